"""POST/GET/HEAD/DELETE /v3/auth/tokens: scopes, shapes, failures, revocation."""

from __future__ import annotations

import datetime
import re

import httpx
import pytest

from nimbus.identity.tokens import Payload, new_audit_id
from tests.support.cloud import ADMIN_PASSWORD

TIME_FORMAT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000000Z$")


def password_auth(user: dict, password: str, scope=None) -> dict:
    body: dict = {"auth": {"identity": {"methods": ["password"], "password": {
        "user": dict(user, password=password)}}}}
    if scope is not None:
        body["auth"]["scope"] = scope
    return body


ADMIN_BY_NAME = {"name": "admin", "domain": {"name": "Default"}}
ADMIN_PROJECT = {"project": {"name": "admin", "domain": {"id": "default"}}}


def issue(cloud, body, **params) -> httpx.Response:
    return httpx.post(f"{cloud.auth_url}/v3/auth/tokens", json=body, params=params)


def admin_token(cloud) -> str:
    resp = issue(cloud, password_auth(ADMIN_BY_NAME, ADMIN_PASSWORD, ADMIN_PROJECT))
    assert resp.status_code == 201, resp.text
    return resp.headers["x-subject-token"]


def validate(cloud, subject: str, caller: str | None = None, **params) -> httpx.Response:
    return httpx.get(f"{cloud.auth_url}/v3/auth/tokens", params=params, headers={
        "X-Auth-Token": caller or admin_token(cloud), "X-Subject-Token": subject})


def test_project_scoped_token_shape(cloud):
    resp = issue(cloud, password_auth(ADMIN_BY_NAME, ADMIN_PASSWORD, ADMIN_PROJECT))
    assert resp.status_code == 201
    token = resp.json()["token"]
    assert set(token) == {"methods", "user", "audit_ids", "expires_at", "issued_at",
                          "project", "is_domain", "roles", "catalog"}
    assert token["methods"] == ["password"]
    assert token["user"]["name"] == "admin"
    assert token["user"]["domain"] == {"id": "default", "name": "Default"}
    assert token["user"]["password_expires_at"] is None
    assert token["project"]["domain"] == {"id": "default", "name": "Default"}
    assert token["is_domain"] is False
    assert TIME_FORMAT.match(token["expires_at"]) and TIME_FORMAT.match(token["issued_at"])
    expires = datetime.datetime.strptime(token["expires_at"], "%Y-%m-%dT%H:%M:%S.%fZ")
    issued = datetime.datetime.strptime(token["issued_at"], "%Y-%m-%dT%H:%M:%S.%fZ")
    assert 3590 <= (expires - issued).total_seconds() <= 3600
    assert len(token["audit_ids"]) == 1 and len(token["audit_ids"][0]) == 22
    (identity,) = [s for s in token["catalog"] if s["type"] == "identity"]
    assert identity["name"] == "keystone"
    public = [e for e in identity["endpoints"] if e["interface"] == "public"]
    assert public == [{"id": public[0]["id"], "interface": "public", "region": "RegionOne",
                       "region_id": "RegionOne", "url": cloud.auth_url}]
    assert len(resp.headers["x-subject-token"]) < 255


def test_unscoped_token_has_no_roles_or_catalog(cloud):
    resp = issue(cloud, password_auth({"id": cloud.bootstrap.admin_user_id}, ADMIN_PASSWORD))
    token = resp.json()["token"]
    assert resp.status_code == 201
    assert "roles" not in token and "catalog" not in token and "project" not in token


def test_explicitly_unscoped_ignores_the_default_project(cloud, admin, make_person):
    person = make_person()
    body = password_auth({"id": person.user.id}, person.password)
    assert issue(cloud, body).json()["token"]["project"]["id"] == person.project.id
    body["auth"]["scope"] = "unscoped"
    assert "project" not in issue(cloud, body).json()["token"]


def test_system_and_domain_scopes(cloud, admin):
    system = issue(cloud, password_auth(ADMIN_BY_NAME, ADMIN_PASSWORD, {"system": {"all": True}}))
    assert system.status_code == 201
    assert system.json()["token"]["system"] == {"all": True}
    denied = issue(cloud, password_auth(ADMIN_BY_NAME, ADMIN_PASSWORD, {"domain": {"id": "default"}}))
    assert denied.status_code == 401  # no role on the domain yet
    admin.identity.assign_domain_role_to_user("default", cloud.bootstrap.admin_user_id,
                                              admin.identity.find_role("reader"))
    try:
        domain = issue(cloud, password_auth(ADMIN_BY_NAME, ADMIN_PASSWORD,
                                            {"domain": {"name": "Default"}}))
        assert domain.status_code == 201
        token = domain.json()["token"]
        assert token["domain"] == {"id": "default", "name": "Default"}
        assert [r["name"] for r in token["roles"]] == ["reader"]
    finally:
        admin.identity.unassign_domain_role_from_user(
            "default", cloud.bootstrap.admin_user_id, admin.identity.find_role("reader"))


def test_validate_returns_the_same_body(cloud):
    resp = issue(cloud, password_auth(ADMIN_BY_NAME, ADMIN_PASSWORD, ADMIN_PROJECT))
    subject = resp.headers["x-subject-token"]
    shown = validate(cloud, subject)
    assert shown.status_code == 200
    assert shown.headers["x-subject-token"] == subject
    assert shown.json() == resp.json()
    bare = validate(cloud, subject, nocatalog="1").json()["token"]
    assert "catalog" not in bare
    head = httpx.head(f"{cloud.auth_url}/v3/auth/tokens", headers={
        "X-Auth-Token": subject, "X-Subject-Token": subject})
    assert head.status_code == 200


def test_revoked_token_is_refused_everywhere(cloud):
    subject = admin_token(cloud)
    headers = {"X-Auth-Token": admin_token(cloud), "X-Subject-Token": subject}
    assert httpx.delete(f"{cloud.auth_url}/v3/auth/tokens", headers=headers).status_code == 204
    assert validate(cloud, subject).status_code == 404
    assert httpx.get(f"{cloud.auth_url}/v3/projects",
                     headers={"X-Auth-Token": subject}).status_code == 401


def test_rescoping_keeps_expiry_and_chains_audit_ids(cloud):
    unscoped = issue(cloud, password_auth(ADMIN_BY_NAME, ADMIN_PASSWORD))
    first = unscoped.json()["token"]
    body = {"auth": {"identity": {"methods": ["token"], "token": {
        "id": unscoped.headers["x-subject-token"]}}, "scope": ADMIN_PROJECT}}
    rescoped = issue(cloud, body)
    assert rescoped.status_code == 201
    token = rescoped.json()["token"]
    assert token["expires_at"] == first["expires_at"]
    assert token["audit_ids"][1] == first["audit_ids"][0]
    assert "token" in token["methods"] and token["project"]["name"] == "admin"


@pytest.mark.parametrize("user,password", [
    (ADMIN_BY_NAME, "wrong"),
    ({"name": "nobody", "domain": {"name": "Default"}}, ADMIN_PASSWORD),
    ({"name": "admin", "domain": {"name": "NoSuchDomain"}}, ADMIN_PASSWORD),
    ({"id": "0" * 32}, ADMIN_PASSWORD),
])
def test_bad_credentials_are_401_and_say_nothing_more(cloud, user, password):
    resp = issue(cloud, password_auth(user, password))
    assert resp.status_code == 401
    assert resp.json() == {"error": {"code": 401, "title": "Unauthorized",
                                     "message": "The request you have made requires authentication."}}
    assert resp.headers["www-authenticate"] == f'Keystone uri="{cloud.auth_url}"'


def test_disabled_user_cannot_authenticate(cloud, admin, make_person):
    person = make_person()
    admin.identity.update_user(person.user, enabled=False)
    resp = issue(cloud, password_auth({"id": person.user.id}, person.password))
    assert resp.status_code == 401


def test_scope_without_a_role_is_401(cloud, admin, make_person):
    person = make_person()
    resp = issue(cloud, password_auth({"id": person.user.id}, person.password, ADMIN_PROJECT))
    assert resp.status_code == 401


@pytest.mark.parametrize("body", [
    {"auth": {}},
    {"auth": {"identity": {"methods": "password"}}},
    {"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "x"}}}}},
    {"auth": {"identity": {"methods": ["password"]}}},
    {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "admin", "password": "x"}}}}},
    {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "id": "x", "password": "x"}}}, "scope": {"project": {"id": "a"}, "domain": {"id": "b"}}}},
])
def test_malformed_auth_requests_are_400(cloud, body):
    resp = issue(cloud, body)
    assert resp.status_code == 400, resp.text
    assert resp.json()["error"]["code"] == 400


def test_tampered_and_foreign_tokens_are_refused(cloud):
    subject = admin_token(cloud)
    tampered = subject[:-6] + ("AAAAAA" if not subject.endswith("AAAAAA") else "BBBBBB")
    assert validate(cloud, tampered).status_code == 404
    assert validate(cloud, "not-a-token").status_code == 404
    resp = httpx.get(f"{cloud.auth_url}/v3/projects", headers={"X-Auth-Token": tampered})
    assert resp.status_code == 401


def test_expired_token_is_refused_unless_allowed(cloud, make_person):
    person = make_person()  # a user no earlier revocation can match
    now = datetime.datetime.now(datetime.UTC)
    expired = cloud.identity.codec.encode(Payload(
        user_id=person.user.id, methods=("password",),
        expires_at=now - datetime.timedelta(seconds=5),
        issued_at=now - datetime.timedelta(hours=1), audit_ids=(new_audit_id(),),
        project_id=person.project.id))
    assert validate(cloud, expired).status_code == 404
    assert validate(cloud, expired, allow_expired="1").status_code == 200
    assert httpx.get(f"{cloud.auth_url}/v3/projects",
                     headers={"X-Auth-Token": expired}).status_code == 401


def test_password_change_revokes_old_tokens_but_not_new_ones(cloud, make_person):
    person = make_person()
    old = issue(cloud, password_auth({"id": person.user.id}, person.password))
    old_token = old.headers["x-subject-token"]
    resp = httpx.post(f"{cloud.auth_url}/v3/users/{person.user.id}/password",
                      headers={"X-Auth-Token": old_token},
                      json={"user": {"password": "new-pass", "original_password": person.password}})
    assert resp.status_code == 204, resp.text
    assert validate(cloud, old_token).status_code == 404
    # Within the same second: the new token must work (millisecond issue times).
    new = issue(cloud, password_auth({"id": person.user.id}, "new-pass"))
    assert new.status_code == 201
    assert validate(cloud, new.headers["x-subject-token"]).status_code == 200
    assert issue(cloud, password_auth({"id": person.user.id}, person.password)).status_code == 401


def test_wrong_original_password_is_401(cloud, make_person):
    person = make_person()
    token = issue(cloud, password_auth({"id": person.user.id}, person.password))
    resp = httpx.post(f"{cloud.auth_url}/v3/users/{person.user.id}/password",
                      headers={"X-Auth-Token": token.headers["x-subject-token"]},
                      json={"user": {"password": "new", "original_password": "wrong"}})
    assert resp.status_code == 401


def test_removing_the_role_revokes_the_project_token(cloud, admin, make_person):
    person = make_person()
    token = issue(cloud, password_auth({"id": person.user.id}, person.password))
    subject = token.headers["x-subject-token"]
    assert validate(cloud, subject).status_code == 200
    admin.identity.unassign_project_role_from_user(person.project, person.user,
                                                   admin.identity.find_role("member"))
    assert validate(cloud, subject).status_code == 404


def test_disabling_the_project_invalidates_its_tokens(cloud, admin, make_person):
    person = make_person()
    subject = issue(cloud, password_auth({"id": person.user.id}, person.password)).headers[
        "x-subject-token"]
    admin.identity.update_project(person.project, enabled=False)
    assert validate(cloud, subject).status_code == 404
    admin.identity.update_project(person.project, enabled=True)
    # A revocation is permanent: re-enabling does not bring the token back.
    assert validate(cloud, subject).status_code == 404


def test_key_rotation_keeps_recent_tokens_valid(cloud):
    keys = cloud.identity.keys
    old = admin_token(cloud)
    keys.rotate()
    assert validate(cloud, old).status_code == 200
    for _ in range(keys.max_active_keys):
        keys.rotate()
    assert validate(cloud, old).status_code == 404
    assert validate(cloud, admin_token(cloud)).status_code == 200


def test_token_of_a_deleted_user_is_invalid(cloud, admin, make_person):
    person = make_person()
    subject = issue(cloud, password_auth({"id": person.user.id}, person.password)).headers[
        "x-subject-token"]
    admin.identity.delete_user(person.user)
    assert validate(cloud, subject).status_code == 404


def test_auth_projects_and_catalog(cloud, make_person):
    person = make_person()
    sess = person.conn.session
    projects = sess.get(f"{cloud.auth_url}/v3/auth/projects").json()["projects"]
    assert [p["id"] for p in projects] == [person.project.id]
    catalog = sess.get(f"{cloud.auth_url}/v3/auth/catalog").json()["catalog"]
    assert "identity" in [s["type"] for s in catalog]
    assert sess.get(f"{cloud.auth_url}/v3/auth/system").json()["system"] == []
    assert sess.get(f"{cloud.auth_url}/v3/auth/domains").json()["domains"] == []

