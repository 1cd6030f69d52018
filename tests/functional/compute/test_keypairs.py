"""Key pairs through openstacksdk and HTTP: generated and imported, ssh and
x509, per microversion, with admins acting for other users from 2.10."""

from __future__ import annotations

import uuid

import pytest

from nimbus.compute import keys
from tests.functional.compute import shapes
from tests.functional.compute.conftest import KEY_PAIRS_QUOTA, Person


def _name() -> str:
    return f"kp-{uuid.uuid4().hex[:8]}"


def test_sdk_generate_import_list_show_delete(make_person: object) -> None:
    bob: Person = make_person()  # type: ignore[operator]
    compute = bob.conn.compute
    generated = compute.create_keypair(name=_name())
    assert generated.private_key.startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert generated.fingerprint == keys.ssh_fingerprint(generated.public_key)
    _, public, fingerprint = keys.generate(keys.SSH, "elsewhere")
    imported = compute.create_keypair(name=_name(), public_key=public)
    assert imported.fingerprint == fingerprint and not imported.private_key
    assert sorted(k.name for k in compute.keypairs()) == sorted([generated.name, imported.name])
    shown = compute.get_keypair(imported.name)
    assert (shown.public_key, shown.user_id) == (public, bob.user_id)
    compute.delete_keypair(generated.name)
    assert [k.name for k in compute.keypairs()] == [imported.name]


@pytest.mark.parametrize("version,status,delete_status", [
    ("2.1", 200, 202), ("2.2", 201, 204), ("2.10", 201, 204), ("2.35", 201, 204),
    ("2.91", 201, 204)])
def test_shapes_and_statuses(alice: Person, version: str, status: int,
                             delete_status: int) -> None:
    name = _name()
    created = alice.http("POST", "/os-keypairs", version=version, json={"keypair": {"name": name}})
    assert created.status_code == status, created.text
    shapes.check(shapes.keypair_create(version), created.json())
    assert "private_key" in created.json()["keypair"]
    shown = alice.http("GET", f"/os-keypairs/{name}", version=version)
    shapes.check(shapes.keypair_show(version), shown.json())
    assert shown.json()["keypair"]["deleted"] is False
    shapes.check(shapes.keypair_list(version),
                 alice.http("GET", "/os-keypairs", version=version).json())
    assert alice.http("DELETE", f"/os-keypairs/{name}",
                      version=version).status_code == delete_status


def test_x509_from_2_2(alice: Person) -> None:
    assert alice.http("POST", "/os-keypairs", version="2.1", json={"keypair": {
        "name": _name(), "type": "x509"}}).status_code == 400
    made = alice.http("POST", "/os-keypairs", version="2.2", json={"keypair": {
        "name": _name(), "type": "x509"}}).json()["keypair"]
    assert made["type"] == "x509" and made["public_key"].startswith("-----BEGIN CERTIFICATE")
    assert made["fingerprint"] == keys.x509_fingerprint(made["public_key"])
    imported = alice.http("POST", "/os-keypairs", version="2.2", json={"keypair": {
        "name": _name(), "type": "x509", "public_key": made["public_key"]}})
    assert imported.status_code == 201
    assert imported.json()["keypair"]["fingerprint"] == made["fingerprint"]


def test_2_92_requires_a_public_key_and_allows_more_names(alice: Person) -> None:
    refused = alice.http("POST", "/os-keypairs", version="2.92",
                         json={"keypair": {"name": _name()}})
    assert refused.status_code == 400
    _, public, _ = keys.generate(keys.SSH, "x")
    name = f"me@host.{uuid.uuid4().hex[:4]}"
    assert alice.http("POST", "/os-keypairs", version="2.91", json={"keypair": {
        "name": name, "public_key": public}}).status_code == 400
    made = alice.http("POST", "/os-keypairs", version="2.92", json={"keypair": {
        "name": name, "public_key": public}})
    assert made.status_code == 201
    assert "private_key" not in made.json()["keypair"]


@pytest.mark.parametrize("body", [
    {"name": ""}, {"name": "bad/name"}, {"name": "x" * 256},
    {"name": "ok-name", "public_key": "not a key"}, {"name": "ok", "type": "pgp"},
    {"name": "ok", "extra": 1}])
def test_bad_requests(alice: Person, body: dict[str, object]) -> None:
    resp = alice.http("POST", "/os-keypairs", version="2.2", json={"keypair": body})
    assert resp.status_code == 400, resp.text
    assert resp.json()["badRequest"]["code"] == 400


def test_duplicates_missing_and_quota(make_person: object) -> None:
    carol: Person = make_person()  # type: ignore[operator]
    name = _name()
    assert carol.http("POST", "/os-keypairs", json={"keypair": {"name": name}}).ok
    dup = carol.http("POST", "/os-keypairs", json={"keypair": {"name": name}})
    assert dup.status_code == 409
    assert dup.json()["conflictingRequest"]["message"] == f"Key pair '{name}' already exists."
    missing = carol.http("GET", "/os-keypairs/nope")
    assert missing.status_code == 404
    assert missing.json()["itemNotFound"]["message"] == (
        f"Keypair nope not found for user {carol.user_id}")
    for _ in range(KEY_PAIRS_QUOTA - 1):
        assert carol.http("POST", "/os-keypairs", json={"keypair": {"name": _name()}}).ok
    over = carol.http("POST", "/os-keypairs", json={"keypair": {"name": _name()}})
    assert over.status_code == 403
    assert over.json()["forbidden"]["message"] == "Quota exceeded, too many key pairs."


def test_users_see_only_their_own(admin: Person, alice: Person, make_person: object) -> None:
    dave: Person = make_person()  # type: ignore[operator]
    name = _name()
    assert dave.http("POST", "/os-keypairs", json={"keypair": {"name": name}}).ok
    assert alice.http("GET", f"/os-keypairs/{name}").status_code == 404
    assert alice.http("GET", f"/os-keypairs/{name}?user_id={dave.user_id}",
                      version="2.10").status_code == 403
    # Admins name the user from 2.10.
    assert admin.http("GET", f"/os-keypairs/{name}?user_id={dave.user_id}",
                      version="2.9").status_code == 404
    shown = admin.http("GET", f"/os-keypairs/{name}?user_id={dave.user_id}", version="2.10")
    assert shown.json()["keypair"]["user_id"] == dave.user_id
    listed = admin.http("GET", f"/os-keypairs?user_id={dave.user_id}", version="2.10").json()
    assert [k["keypair"]["name"] for k in listed["keypairs"]] == [name]
    made = admin.http("POST", "/os-keypairs", version="2.10", json={"keypair": {
        "name": _name(), "user_id": dave.user_id}})
    assert made.json()["keypair"]["user_id"] == dave.user_id
    assert admin.http("DELETE", f"/os-keypairs/{name}?user_id={dave.user_id}",
                      version="2.10").status_code == 204
    assert dave.http("GET", f"/os-keypairs/{name}").status_code == 404


def test_paging_from_2_35(make_person: object) -> None:
    erin: Person = make_person()  # type: ignore[operator]
    names = sorted(_name() for _ in range(4))
    for name in names:
        assert erin.http("POST", "/os-keypairs", json={"keypair": {"name": name}}).ok
    # Before 2.35 limit is not a parameter and everything comes back.
    assert len(erin.http("GET", "/os-keypairs?limit=1", version="2.34").json()["keypairs"]) == 4
    first = erin.http("GET", "/os-keypairs?limit=3", version="2.35").json()
    assert [k["keypair"]["name"] for k in first["keypairs"]] == names[:3]
    next_href = first["keypairs_links"][0]["href"]
    assert f"marker={names[2]}" in next_href
    rest = erin.http("GET", next_href.split("/v2.1", 1)[1], version="2.35").json()
    assert [k["keypair"]["name"] for k in rest["keypairs"]] == names[3:]
    assert "keypairs_links" not in rest
    assert erin.http("GET", "/os-keypairs?marker=nope", version="2.35").status_code == 400
    assert erin.http("GET", "/os-keypairs?color=red", version="2.75").status_code == 400
