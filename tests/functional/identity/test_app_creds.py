"""Application credentials: made from a project token, usable to authenticate."""

from __future__ import annotations

import datetime

import httpx
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3


def app_cred_token(cloud, **method) -> httpx.Response:
    return httpx.post(f"{cloud.auth_url}/v3/auth/tokens", json={"auth": {"identity": {
        "methods": ["application_credential"], "application_credential": method}}})


def test_create_use_and_delete(cloud, make_person):
    alice = make_person()
    sess = alice.conn.session
    base = f"{cloud.auth_url}/v3/users/{alice.user.id}/application_credentials"
    created = sess.post(base, json={"application_credential": {
        "name": "ci", "description": "for CI"}}).json()["application_credential"]
    assert created["secret"] and created["project_id"] == alice.project.id
    assert {r["name"] for r in created["roles"]} == {"member", "reader"}
    assert created["unrestricted"] is False and created["expires_at"] is None

    shown = sess.get(f"{base}/{created['id']}").json()["application_credential"]
    assert "secret" not in shown
    assert [c["name"] for c in sess.get(base, params={"name": "ci"}).json()[
        "application_credentials"]] == ["ci"]

    auth = v3.ApplicationCredential(auth_url=cloud.auth_url,
                                    application_credential_id=created["id"],
                                    application_credential_secret=created["secret"])
    ks = ks_session.Session(auth=auth)
    assert ks.get_project_id() == alice.project.id
    token = app_cred_token(cloud, id=created["id"], secret=created["secret"]).json()["token"]
    assert token["methods"] == ["application_credential"]
    assert token["application_credential"] == {"id": created["id"], "name": "ci",
                                               "restricted": True}
    by_name = app_cred_token(cloud, name="ci", secret=created["secret"],
                             user={"id": alice.user.id})
    assert by_name.status_code == 201
    assert app_cred_token(cloud, id=created["id"], secret="wrong").status_code == 401

    # A restricted credential cannot make more credentials.
    denied = ks.post(base, json={"application_credential": {"name": "more"}}, raise_exc=False)
    assert denied.status_code == 403

    subject = by_name.headers["x-subject-token"]
    assert sess.delete(f"{base}/{created['id']}").status_code == 204
    assert app_cred_token(cloud, id=created["id"], secret=created["secret"]).status_code == 401
    check = httpx.get(f"{cloud.auth_url}/v3/auth/tokens", headers={
        "X-Auth-Token": subject, "X-Subject-Token": subject})
    assert check.status_code == 401


def test_roles_subset_and_expiry(cloud, make_person):
    alice = make_person()
    sess = alice.conn.session
    base = f"{cloud.auth_url}/v3/users/{alice.user.id}/application_credentials"
    expires = (datetime.datetime.utcnow() + datetime.timedelta(hours=1)).replace(microsecond=123456)
    created = sess.post(base, json={"application_credential": {
        "name": "readonly", "roles": [{"name": "reader"}],
        "expires_at": expires.isoformat()}}).json()["application_credential"]
    assert created["expires_at"] == expires.isoformat()
    token = app_cred_token(cloud, id=created["id"], secret=created["secret"]).json()["token"]
    assert [r["name"] for r in token["roles"]] == ["reader"]
    too_much = sess.post(base, json={"application_credential": {
        "name": "escalate", "roles": [{"name": "admin"}]}}, raise_exc=False)
    assert too_much.status_code == 403
    past = sess.post(base, json={"application_credential": {
        "name": "old", "expires_at": "2000-01-01T00:00:00"}}, raise_exc=False)
    assert past.status_code == 400
    dup = sess.post(base, json={"application_credential": {"name": "readonly"}},
                    raise_exc=False)
    assert dup.status_code == 409


def test_someone_elses_credentials_are_out_of_reach(cloud, make_person):
    alice, bob = make_person(), make_person()
    url = f"{cloud.auth_url}/v3/users/{bob.user.id}/application_credentials"
    resp = alice.conn.session.post(url, json={"application_credential": {"name": "x"}},
                                   raise_exc=False)
    assert resp.status_code == 403


def test_losing_the_role_invalidates_the_credential(cloud, admin, make_person):
    alice = make_person()
    base = f"{cloud.auth_url}/v3/users/{alice.user.id}/application_credentials"
    created = alice.conn.session.post(base, json={"application_credential": {
        "name": "c", "roles": [{"name": "member"}]}}).json()["application_credential"]
    admin.identity.unassign_project_role_from_user(alice.project, alice.user,
                                                   admin.identity.find_role("member"))
    assert app_cred_token(cloud, id=created["id"], secret=created["secret"]).status_code == 401
