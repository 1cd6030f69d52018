"""Application credentials and their access rules."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from nimbus.common.db import DuplicateEntry
from nimbus.common.db.types import utcnow
from nimbus.identity import exceptions as exc
from nimbus.identity.db import revocations, roles
from nimbus.identity.db.common import new_id
from nimbus.identity.db.models import (
    access_rules,
    application_credential_access_rules,
    application_credential_roles,
    application_credentials,
)

APP_CREDS = application_credentials


def _access_rules_of(conn: Connection, internal_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    result: dict[int, list[dict[str, Any]]] = {i: [] for i in internal_ids}
    if not internal_ids:
        return result
    rows = conn.execute(
        sa.select(application_credential_access_rules.c.application_credential_id,
                  access_rules.c.id, access_rules.c.service, access_rules.c.path,
                  access_rules.c.method)
        .join(access_rules, access_rules.c.internal_id
              == application_credential_access_rules.c.access_rule_id)
        .where(application_credential_access_rules.c.application_credential_id.in_(internal_ids))
        .order_by(access_rules.c.internal_id))
    for row in rows:
        result[row.application_credential_id].append(
            {"id": row.id, "service": row.service, "path": row.path, "method": row.method})
    return result


def _render(conn: Connection, rows: Sequence[Row[Any]]) -> list[dict[str, Any]]:
    internal = [row.internal_id for row in rows]
    role_rows = conn.execute(
        sa.select(application_credential_roles)
        .where(application_credential_roles.c.application_credential_id.in_(internal))
    ).all() if internal else []
    role_refs = roles.roles_by_id(conn, {r.role_id for r in role_rows})
    by_cred: dict[int, list[dict[str, Any]]] = {i: [] for i in internal}
    for r in role_rows:
        role = role_refs.get(r.role_id)
        if role is not None:
            by_cred[r.application_credential_id].append(
                {"id": role["id"], "name": role["name"], "domain_id": role["domain_id"]})
    rules = _access_rules_of(conn, internal)
    return [
        {
            "id": row.id,
            "name": row.name,
            "description": row.description,
            "user_id": row.user_id,
            "project_id": row.project_id,
            "system": row.system,
            "expires_at": row.expires_at,
            "unrestricted": row.unrestricted,
            "roles": sorted(by_cred[row.internal_id], key=lambda r: r["name"]),
            "access_rules": rules[row.internal_id],
        }
        for row in rows
    ]


def get(conn: Connection, app_cred_id: str, user_id: str | None = None) -> dict[str, Any]:
    query = sa.select(APP_CREDS).where(APP_CREDS.c.id == app_cred_id)
    if user_id is not None:
        query = query.where(APP_CREDS.c.user_id == user_id)
    row = conn.execute(query).first()
    if row is None:
        raise exc.NotFound("Application Credential", app_cred_id)
    return _render(conn, [row])[0]


def get_by_name(conn: Connection, name: str, user_id: str) -> dict[str, Any]:
    row = conn.execute(sa.select(APP_CREDS).where(
        APP_CREDS.c.name == name, APP_CREDS.c.user_id == user_id)).first()
    if row is None:
        raise exc.NotFound("Application Credential", name)
    return _render(conn, [row])[0]


def secret_hash(conn: Connection, app_cred_id: str) -> str | None:
    return conn.execute(sa.select(APP_CREDS.c.secret_hash)
                        .where(APP_CREDS.c.id == app_cred_id)).scalar()


def list_for_user(conn: Connection, user_id: str, name: str | None = None) -> list[dict[str, Any]]:
    query = sa.select(APP_CREDS).where(APP_CREDS.c.user_id == user_id)
    if name is not None:
        query = query.where(APP_CREDS.c.name == name)
    return _render(conn, conn.execute(query.order_by(APP_CREDS.c.internal_id)).all())


def _access_rule_internal_id(conn: Connection, user_id: str, rule: Mapping[str, Any]) -> int:
    """The id of an existing rule of the user (by id, or by its content), or a new one."""
    if rule.get("id"):
        row = conn.execute(sa.select(access_rules.c.internal_id).where(
            access_rules.c.id == rule["id"], access_rules.c.user_id == user_id)).first()
        if row is None:
            raise exc.NotFound("access rule", rule["id"])
        return int(row.internal_id)
    match = (access_rules.c.user_id == user_id, access_rules.c.service == rule["service"],
             access_rules.c.path == rule["path"], access_rules.c.method == rule["method"])
    row = conn.execute(sa.select(access_rules.c.internal_id).where(*match)).first()
    if row is not None:
        return int(row.internal_id)
    result = conn.execute(sa.insert(access_rules).values(
        id=new_id(), user_id=user_id, service=rule["service"], path=rule["path"],
        method=rule["method"]))
    return _inserted_id(result)


def _inserted_id(result: sa.CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def create(
    conn: Connection,
    *,
    user_id: str,
    project_id: str | None,
    name: str,
    hashed_secret: str,
    role_ids: list[str],
    description: str | None = None,
    expires_at: datetime.datetime | None = None,
    unrestricted: bool = False,
    rules: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    app_cred_id = new_id()
    try:
        result = conn.execute(sa.insert(APP_CREDS).values(
            id=app_cred_id, name=name, secret_hash=hashed_secret, description=description,
            user_id=user_id, project_id=project_id, expires_at=expires_at,
            unrestricted=unrestricted, created_at=utcnow()))
    except DuplicateEntry:
        raise exc.Conflict(
            "application_credential",
            f"An application credential with the name {name} already exists for this user",
        ) from None
    internal_id = _inserted_id(result)
    if role_ids:
        conn.execute(sa.insert(application_credential_roles), [
            {"application_credential_id": internal_id, "role_id": r} for r in role_ids])
    rule_ids = list(dict.fromkeys(_access_rule_internal_id(conn, user_id, r) for r in rules))
    if rule_ids:
        conn.execute(sa.insert(application_credential_access_rules), [
            {"application_credential_id": internal_id, "access_rule_id": r} for r in rule_ids])
    return get(conn, app_cred_id)


def delete(conn: Connection, app_cred_id: str, user_id: str) -> None:
    get(conn, app_cred_id, user_id)
    conn.execute(sa.delete(APP_CREDS).where(APP_CREDS.c.id == app_cred_id))
    revocations.revoke(conn, application_credential_id=app_cred_id)


# -- access rules --------------------------------------------------------------

def list_access_rules(conn: Connection, user_id: str) -> list[dict[str, Any]]:
    return [
        {"id": r.id, "service": r.service, "path": r.path, "method": r.method}
        for r in conn.execute(sa.select(access_rules).where(access_rules.c.user_id == user_id)
                              .order_by(access_rules.c.internal_id))
    ]


def get_access_rule(conn: Connection, user_id: str, rule_id: str) -> dict[str, Any]:
    for rule in list_access_rules(conn, user_id):
        if rule["id"] == rule_id:
            return rule
    raise exc.NotFound("access rule", rule_id)


def delete_access_rule(conn: Connection, user_id: str, rule_id: str) -> None:
    get_access_rule(conn, user_id, rule_id)
    internal = conn.execute(sa.select(access_rules.c.internal_id)
                            .where(access_rules.c.id == rule_id)).scalar()
    in_use = conn.execute(sa.select(application_credential_access_rules.c.access_rule_id)
                          .where(application_credential_access_rules.c.access_rule_id == internal)
                          .limit(1)).first()
    if in_use is not None:
        raise exc.Forbidden(
            f"Cannot delete access rule {rule_id}: an application credential uses it."
        )
    conn.execute(sa.delete(access_rules).where(access_rules.c.internal_id == internal))
