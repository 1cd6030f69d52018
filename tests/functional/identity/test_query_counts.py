"""SQL round trips per request stay few and do not grow with the data (no N+1)."""

from __future__ import annotations

import contextlib

import httpx
from sqlalchemy import event

from tests.functional.identity.conftest import unique
from tests.functional.identity.test_tokens import admin_token


@contextlib.contextmanager
def counting(cloud):
    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        if not statement.lstrip().upper().startswith(("BEGIN", "PRAGMA", "SAVEPOINT", "RELEASE")):
            statements.append(statement)

    engine = cloud.identity.db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_validation_and_listing_round_trips(cloud, admin):
    token = admin_token(cloud)
    headers = {"X-Auth-Token": token, "X-Subject-Token": token}
    httpx.get(f"{cloud.auth_url}/v3/auth/tokens", headers=headers, params={"nocatalog": 1})
    with counting(cloud) as statements:
        httpx.get(f"{cloud.auth_url}/v3/auth/tokens", headers=headers, params={"nocatalog": 1})
    # caller and subject: user, domain, project, domain, groups, grants,
    # implications, roles, revocations -- twice.
    assert len(statements) <= 20, statements


def test_include_names_costs_the_same_for_many_assignments(cloud, admin):
    member = admin.identity.find_role("member")
    user = admin.identity.create_user(name=unique("u"), password="pw")
    projects = []
    url = f"{cloud.auth_url}/v3/role_assignments?include_names&effective"

    def measure() -> int:
        with counting(cloud) as statements:
            resp = admin.session.get(url, params={"user.id": user.id})
        assert resp.status_code == 200
        return len(statements)

    try:
        projects.append(admin.identity.create_project(name=unique("p"), domain_id="default"))
        admin.identity.assign_project_role_to_user(projects[0], user, member)
        few = measure()
        for _ in range(10):
            project = admin.identity.create_project(name=unique("p"), domain_id="default")
            projects.append(project)
            admin.identity.assign_project_role_to_user(project, user, member)
        assert measure() == few
    finally:
        admin.identity.delete_user(user)
        for project in projects:
            admin.identity.delete_project(project)
