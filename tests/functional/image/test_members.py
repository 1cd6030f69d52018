"""Image sharing (Glance's members API) through raw HTTP, openstacksdk and
the `openstack` CLI: the owner adds members, a member accepts, and nobody
else learns anything about the image."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.functional.image import meta_fixtures
from tests.functional.image.meta_fixtures import Person, new_image
from tests.support.cli import cli
from tests.support.cloud import RunningCloud

cloud = meta_fixtures.cloud
admin = meta_fixtures.admin
make_person = meta_fixtures.make_person


@pytest.fixture
def trio(make_person: Any) -> tuple[Person, Person, Person]:
    """An owner, a member to be, and a stranger."""
    return make_person(), make_person(), make_person()


def _listed(person: Person, query: str = "") -> set[str]:
    resp = person.http("GET", f"/images?limit=1000&{query}")
    assert resp.status_code == 200, resp.text
    return {image["id"] for image in resp.json()["images"]}


def test_sharing_flow(trio: Any) -> None:
    owner, member, stranger = trio
    image = new_image(owner, visibility="shared")
    path = f"/images/{image['id']}/members"
    resp = owner.http("POST", path, json={"member": member.project_id})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["status"] == "pending" and body["member_id"] == member.project_id
    assert body["image_id"] == image["id"] and body["schema"] == "/v2/schemas/member"
    # Pending: the member may look at it, but it is not in its default list.
    assert member.http("GET", f"/images/{image['id']}").status_code == 200
    assert image["id"] not in _listed(member)
    assert image["id"] in _listed(member, "member_status=pending")
    assert image["id"] in _listed(member, "member_status=all")
    resp = member.http("PUT", f"{path}/{member.project_id}", json={"status": "accepted"})
    assert resp.status_code == 200 and resp.json()["status"] == "accepted"
    assert image["id"] in _listed(member)
    assert image["id"] in _listed(member, "visibility=shared")
    assert image["id"] not in _listed(member, "member_status=pending")
    # The stranger sees nothing of it.
    assert image["id"] not in _listed(stranger, "member_status=all&visibility=all")
    assert stranger.http("GET", path).status_code == 404
    assert stranger.http("GET", f"{path}/{member.project_id}").status_code == 404
    # Rejected: out of the list again.
    member.http("PUT", f"{path}/{member.project_id}", json={"status": "rejected"})
    assert image["id"] not in _listed(member)
    assert image["id"] in _listed(member, "member_status=rejected")


def test_who_sees_and_changes_what(trio: Any, make_person: Any) -> None:
    owner, member, other_member = trio
    image = new_image(owner, visibility="shared")
    path = f"/images/{image['id']}/members"
    for person in (member, other_member):
        assert owner.http("POST", path, json={"member": person.project_id}).status_code == 200
    listed = owner.http("GET", path).json()
    assert {m["member_id"] for m in listed["members"]} == {member.project_id,
                                                           other_member.project_id}
    assert listed["schema"] == "/v2/schemas/members"
    # A member sees its own membership only.
    mine = member.http("GET", path).json()["members"]
    assert [m["member_id"] for m in mine] == [member.project_id]
    assert member.http("GET", f"{path}/{other_member.project_id}").status_code == 404
    # Only the member sets its status; only the owner adds and removes.
    resp = owner.http("PUT", f"{path}/{member.project_id}", json={"status": "accepted"})
    assert resp.status_code == 403
    resp = member.http("PUT", f"{path}/{member.project_id}", json={"status": "maybe"})
    assert resp.status_code == 400
    assert member.http("POST", path, json={"member": member.project_id}).status_code == 403
    assert member.http("DELETE", f"{path}/{member.project_id}").status_code == 403
    assert owner.http("DELETE", f"{path}/{other_member.project_id}").status_code == 204
    assert other_member.http("GET", f"/images/{image['id']}").status_code == 404
    assert owner.http("DELETE", f"{path}/{other_member.project_id}").status_code == 404


def test_member_rules(make_person: Any) -> None:
    owner = make_person()
    private = new_image(owner, visibility="private")
    resp = owner.http("POST", f"/images/{private['id']}/members", json={"member": "x"})
    assert resp.status_code == 403
    assert resp.json()["message"] == "Only shared images have members."
    image = new_image(owner, visibility="shared")
    path = f"/images/{image['id']}/members"
    assert owner.http("POST", path, json={}).status_code == 400
    assert owner.http("POST", path, json={"member": ""}).status_code == 400
    assert owner.http("POST", path, json={"member": "p1"}).status_code == 200
    resp = owner.http("POST", path, json={"member": "p1"})
    assert resp.status_code == 409
    for name in ("p2", "p3"):
        assert owner.http("POST", path, json={"member": name}).status_code == 200
    resp = owner.http("POST", path, json={"member": "p4"})
    assert resp.status_code == 413  # image_member_quota is 3 here
    # Deleting the image drops its members.
    assert owner.http("DELETE", f"/images/{image['id']}").status_code == 204
    assert owner.http("GET", path).status_code == 404


def test_sharing_with_the_cli(cloud: RunningCloud, trio: Any) -> None:
    owner, member, _stranger = trio
    image = new_image(owner, visibility="shared", name="cli-shared")
    cli(cloud, "image", "add", "project", image["id"], member.project_id,
        env=owner.env(cloud))
    cli(cloud, "image", "set", "--accept", image["id"], env=member.env(cloud))
    rows = json.loads(cli(cloud, "image", "list", "-f", "json",
                          env=member.env(cloud)).stdout)
    assert image["id"] in {row["ID"] for row in rows}
    members = json.loads(cli(cloud, "image", "member", "list", image["id"], "-f", "json",
                             env=owner.env(cloud)).stdout)
    assert [(m["Member ID"], m["Status"]) for m in members] == [
        (member.project_id, "accepted")]
    # openstacksdk sees the same.
    found = list(member.conn.image.members(image["id"]))
    assert [(m.member_id, m.status) for m in found] == [(member.project_id, "accepted")]
