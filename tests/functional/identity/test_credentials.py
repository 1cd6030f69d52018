"""/v3/credentials and the EC2 credentials of a user."""

from __future__ import annotations

import json

import sqlalchemy as sa

from nimbus.identity.db.models import credentials


def test_ec2_credentials(cloud, make_person):
    alice = make_person()
    sess = alice.conn.session
    base = f"{cloud.auth_url}/v3/users/{alice.user.id}/credentials/OS-EC2"
    made = sess.post(base, json={"tenant_id": alice.project.id}).json()["credential"]
    assert made["user_id"] == alice.user.id and made["tenant_id"] == alice.project.id
    assert made["access"] and made["secret"] and made["trust_id"] is None
    assert made["links"]["self"] == f"{base}/{made['access']}"
    listed = sess.get(base).json()["credentials"]
    assert [c["access"] for c in listed] == [made["access"]]
    shown = sess.get(f"{base}/{made['access']}").json()["credential"]
    assert shown["secret"] == made["secret"]
    assert sess.delete(f"{base}/{made['access']}").status_code == 204
    assert sess.get(f"{base}/{made['access']}", raise_exc=False).status_code == 404
    other = sess.post(base, json={"tenant_id": "0" * 32}, raise_exc=False)
    assert other.status_code == 404


def test_credentials_crud_and_encryption_at_rest(cloud, admin):
    sess = admin.session
    user_id = cloud.bootstrap.admin_user_id
    blob = json.dumps({"access": "AKIA-test", "secret": "very-secret-value"})
    made = sess.post(f"{cloud.auth_url}/v3/credentials", json={"credential": {
        "user_id": user_id, "project_id": cloud.bootstrap.admin_project_id,
        "type": "ec2", "blob": blob}}).json()["credential"]
    assert made["blob"] == blob
    with cloud.identity.db.reader() as conn:
        stored = conn.execute(sa.select(credentials.c.encrypted_blob)
                              .where(credentials.c.id == made["id"])).scalar()
    assert "very-secret-value" not in stored
    new_blob = json.dumps({"access": "AKIA-new", "secret": "s2"})
    updated = sess.patch(f"{cloud.auth_url}/v3/credentials/{made['id']}", json={
        "credential": {"blob": new_blob}}).json()["credential"]
    assert json.loads(updated["blob"])["access"] == "AKIA-new" and updated["id"] == made["id"]
    totp = sess.post(f"{cloud.auth_url}/v3/credentials", json={"credential": {
        "user_id": user_id, "type": "totp", "blob": "abc"}}).json()["credential"]
    types = {c["type"] for c in sess.get(f"{cloud.auth_url}/v3/credentials",
                                         params={"user_id": user_id}).json()["credentials"]}
    assert {"ec2", "totp"} <= types
    no_project = sess.post(f"{cloud.auth_url}/v3/credentials", json={"credential": {
        "user_id": user_id, "type": "ec2", "blob": blob}}, raise_exc=False)
    assert no_project.status_code == 400
    for cred in (made, totp):
        assert sess.delete(f"{cloud.auth_url}/v3/credentials/{cred['id']}").status_code == 204
