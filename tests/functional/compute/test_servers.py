"""Servers through openstacksdk and HTTP: boot, show, list, update, delete,
with placement and the cells checked behind the API."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from tests.functional.compute.conftest import Person, new_flavor
from tests.support.cloud import RunningCloud


def wait_for(person: Person, server_id: str, status: str, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        resp = person.http("GET", f"/servers/{server_id}", version="2.1")
        if status == "DELETED" and resp.status_code == 404:
            return {}
        body = resp.json()["server"]
        if body["status"] == status:
            return dict(body)
        if body["status"] == "ERROR" and status != "ERROR":
            raise AssertionError(f"server {server_id} went to ERROR: {body.get('fault')}")
        if time.monotonic() > deadline:
            raise AssertionError(f"server {server_id} is {body['status']}, not {status}")
        time.sleep(0.05)


@pytest.fixture(scope="module")
def flavor(admin: Person) -> dict[str, Any]:
    return new_flavor(admin, ram=256, vcpus=1, disk=1)


def boot(person: Person, image: str, flavor: dict[str, Any], version: str = "2.1",
         **extra: Any) -> dict[str, Any]:
    body = {"server": {"name": f"s-{uuid.uuid4().hex[:6]}", "imageRef": image,
                       "flavorRef": flavor["id"], **extra}}
    if version >= "2.37" and "networks" not in extra:
        body["server"]["networks"] = "none"
    resp = person.http("POST", "/servers", json=body, version=version)
    assert resp.status_code == 202, resp.text
    return dict(resp.json()["server"])


def allocations(admin: Person, cloud: RunningCloud, consumer: str) -> dict[str, Any]:
    resp = admin.conn.session.get(f"{cloud.url}/placement/allocations/{consumer}",
                                  headers={"OpenStack-API-Version": "placement 1.28"})
    return dict(resp.json()["allocations"])


def test_sdk_boot_show_list_delete(cloud: RunningCloud, admin: Person,
                                   make_person: Callable[..., Person], image: str,
                                   flavor: dict[str, Any]) -> None:
    bob = make_person()
    server = bob.conn.compute.create_server(name="sdk-vm", image_id=image,
                                            flavor_id=flavor["id"], networks="none")
    server = bob.conn.compute.wait_for_server(server, wait=30, interval=0.1)
    assert server.status == "ACTIVE"
    assert server.flavor.vcpus == 1  # openstacksdk asks for the newest microversion
    assert server.id in [s.id for s in bob.conn.compute.servers()]
    # The claim is in placement, on the host the server runs on.
    claimed = allocations(admin, cloud, server.id)
    assert len(claimed) == 1
    (resources,) = [a["resources"] for a in claimed.values()]
    assert resources == {"VCPU": 1, "MEMORY_MB": 256, "DISK_GB": 1}
    shown = admin.http("GET", f"/servers/{server.id}", version="2.1").json()["server"]
    assert shown["OS-EXT-SRV-ATTR:host"] in cloud.hosts
    bob.conn.compute.delete_server(server)
    bob.conn.compute.wait_for_delete(server, wait=30, interval=0.1)
    assert allocations(admin, cloud, server.id) == {}
    assert server.id not in [s.id for s in bob.conn.compute.servers()]


def test_create_answer_and_details(alice: Person, image: str, flavor: dict[str, Any]) -> None:
    created = boot(alice, image, flavor, metadata={"color": "blue"})
    assert set(created) == {"id", "links", "OS-DCF:diskConfig", "security_groups", "adminPass"}
    assert [link["rel"] for link in created["links"]] == ["self", "bookmark"]
    body = wait_for(alice, created["id"], "ACTIVE")
    assert body["metadata"] == {"color": "blue"}
    assert body["tenant_id"] == alice.project_id and body["user_id"] == alice.user_id
    assert body["image"]["id"] == image
    assert body["flavor"]["id"] == flavor["id"]
    assert body["OS-EXT-STS:vm_state"] == "active" and body["OS-EXT-STS:power_state"] == 1
    assert "OS-EXT-SRV-ATTR:host" not in body  # an admin-only field
    assert len(body["hostId"]) == 56
    assert alice.http("DELETE", f"/servers/{created['id']}").status_code == 204
    wait_for(alice, created["id"], "DELETED")


def test_multiple_create_names_and_reservation(alice: Person, image: str,
                                               flavor: dict[str, Any]) -> None:
    name = f"many-{uuid.uuid4().hex[:6]}"
    resp = alice.http("POST", "/servers", json={"server": {
        "name": name, "imageRef": image, "flavorRef": flavor["id"], "min_count": 2,
        "max_count": 2, "return_reservation_id": True}})
    assert resp.status_code == 202, resp.text
    reservation = resp.json()["reservation_id"]
    listed = alice.http("GET", f"/servers/detail?reservation_id={reservation}").json()
    names = sorted(s["name"] for s in listed["servers"])
    assert names == [f"{name}-1", f"{name}-2"]
    for server in listed["servers"]:
        wait_for(alice, server["id"], "ACTIVE")
        alice.http("DELETE", f"/servers/{server['id']}")


def test_no_valid_host_goes_to_cell0_in_error(admin: Person, alice: Person, image: str) -> None:
    picky = new_flavor(admin, ram=64, vcpus=1, disk=1)
    resp = admin.http("POST", f"/flavors/{picky['id']}/os-extra_specs",
                      json={"extra_specs": {"trait:CUSTOM_NO_HOST_HAS_IT": "required"}})
    assert resp.status_code == 200, resp.text
    created = boot(alice, image, picky)
    body = wait_for(alice, created["id"], "ERROR")
    assert "No valid host" in body["fault"]["message"]
    assert body["fault"]["code"] == 500
    assert alice.http("DELETE", f"/servers/{created['id']}").status_code == 204
    wait_for(alice, created["id"], "DELETED")


@pytest.mark.parametrize("body,fragment", [
    ({"name": "", "flavorRef": "1"}, "name"),
    ({"name": 12345, "flavorRef": "1"}, "name"),
    ({"name": "x" * 256, "flavorRef": "1"}, "name"),
    ({"name": "ok", "flavorRef": "1", "imageRef": "-1"}, "imageRef"),
    ({"name": "ok", "flavorRef": "1", "min_count": 0}, "min_count"),
    ({"name": "ok", "flavorRef": "1", "max_count": 2.5}, "max_count"),
    ({"name": "ok", "flavorRef": "1", "metadata": {"a": "b" * 260}}, "metadata"),
])
def test_bad_create_bodies_are_400(alice: Person, body: dict[str, Any], fragment: str) -> None:
    resp = alice.http("POST", "/servers", json={"server": body})
    assert resp.status_code == 400, resp.text
    assert fragment in resp.json()["badRequest"]["message"]


def test_bad_references_are_400(alice: Person, image: str, flavor: dict[str, Any]) -> None:
    cases = [
        ({"flavorRef": "nope", "imageRef": image}, "Invalid flavorRef provided."),
        ({"flavorRef": flavor["id"], "imageRef": str(uuid.uuid4())},
         "Can not find requested image"),
        ({"flavorRef": flavor["id"], "imageRef": image, "key_name": "missing"},
         "Invalid key_name provided."),
        ({"flavorRef": flavor["id"], "imageRef": image, "min_count": 3, "max_count": 2},
         "min_count must be <= max_count"),
        ({"flavorRef": flavor["id"], "imageRef": image,
          "networks": [{"uuid": str(uuid.uuid4())}]}, "could not be found"),
        ({"flavorRef": flavor["id"], "imageRef": image, "availability_zone": "nowhere"},
         "availability zone is not available"),
    ]
    before = len(alice.http("GET", "/servers").json()["servers"])
    for body, message in cases:
        resp = alice.http("POST", "/servers", json={"server": {"name": "bad", **body}})
        assert resp.status_code == 400, (body, resp.text)
        assert message in resp.json()["badRequest"]["message"]
    assert len(alice.http("GET", "/servers").json()["servers"]) == before


def test_other_projects_servers_are_invisible(alice: Person, make_person: Callable[..., Person],
                                              image: str, flavor: dict[str, Any]) -> None:
    created = boot(alice, image, flavor)
    eve = make_person()
    for method, body in (("GET", None), ("PUT", {"server": {"name": "x"}}), ("DELETE", None)):
        resp = eve.http(method, f"/servers/{created['id']}", json=body)
        assert resp.status_code == 404, resp.text
    assert created["id"] not in [s["id"] for s in eve.http("GET", "/servers").json()["servers"]]
    alice.http("DELETE", f"/servers/{created['id']}")


def test_update_name_and_description(alice: Person, image: str, flavor: dict[str, Any]) -> None:
    created = boot(alice, image, flavor)
    wait_for(alice, created["id"], "ACTIVE")
    resp = alice.http("PUT", f"/servers/{created['id']}", version="2.19",
                      json={"server": {"name": "renamed", "description": "d"}})
    assert resp.status_code == 200, resp.text
    body = resp.json()["server"]
    assert (body["name"], body["description"]) == ("renamed", "d")
    assert "OS-EXT-STS:vm_state" not in body  # the reduced body before 2.75
    full = alice.http("PUT", f"/servers/{created['id']}", version="2.75",
                      json={"server": {"name": "again"}}).json()["server"]
    assert full["OS-EXT-STS:vm_state"] == "active"
    for bad in ({"name": ""}, {"name": "x" * 256}):
        assert alice.http("PUT", f"/servers/{created['id']}",
                          json={"server": bad}).status_code == 400
    alice.http("DELETE", f"/servers/{created['id']}")


def test_list_filters_sorting_and_paging(alice: Person, image: str,
                                         flavor: dict[str, Any]) -> None:
    prefix = f"page-{uuid.uuid4().hex[:6]}"
    ids = []
    for i in range(5):
        created = boot(alice, image, flavor, name=f"{prefix}-{i}")
        ids.append(created["id"])
    for server_id in ids:
        wait_for(alice, server_id, "ACTIVE")
    listed = alice.http("GET", f"/servers?name=^{prefix}&sort_key=display_name&sort_dir=asc"
                        ).json()["servers"]
    assert [s["name"] for s in listed] == [f"{prefix}-{i}" for i in range(5)]
    seen: list[str] = []
    url = f"/servers?name=^{prefix}&limit=2"
    while url:
        page = alice.http("GET", url).json()
        seen += [s["id"] for s in page["servers"]]
        nxt = [link["href"] for link in page.get("servers_links", []) if link["rel"] == "next"]
        url = nxt[0].split("/v2.1", 1)[1] if nxt else ""
    assert sorted(seen) == sorted(ids) and len(seen) == 5
    active = alice.http("GET", f"/servers?name=^{prefix}&status=ACTIVE").json()["servers"]
    assert len(active) == 5
    assert alice.http("GET", f"/servers?name=^{prefix}&status=SHUTOFF").json()["servers"] == []
    assert alice.http("GET", "/servers?status=bogus", version="2.38").status_code == 400
    assert alice.http("GET", f"/servers?marker={uuid.uuid4()}").status_code == 400
    assert alice.http("GET", "/servers?limit=-1").status_code == 400
    for server_id in ids:
        alice.http("DELETE", f"/servers/{server_id}")


def test_deleted_servers_for_admins(admin: Person, alice: Person, image: str,
                                    flavor: dict[str, Any]) -> None:
    created = boot(alice, image, flavor)
    wait_for(alice, created["id"], "ACTIVE")
    alice.http("DELETE", f"/servers/{created['id']}")
    wait_for(alice, created["id"], "DELETED")
    gone = admin.http("GET", "/servers/detail?deleted=true&all_tenants=1").json()["servers"]
    assert created["id"] in [s["id"] for s in gone]
    assert all(s["status"] == "DELETED" for s in gone)


def test_access_ips_and_rename_while_building(cloud: RunningCloud, alice: Person, image: str,
                                              flavor: dict[str, Any]) -> None:
    # Slow builds, so that the rename lands while the server is building.
    cloud.conf.set_override("spawn_delay", 1.0, group="fake_driver")
    try:
        created = boot(alice, image, flavor, accessIPv4="1.2.3.4",
                       accessIPv6="0000:0000:0000:0000:0000:babe:220.12.22.2")
        renamed = alice.http("PUT", f"/servers/{created['id']}",
                             json={"server": {"name": "renamed-early"}})
        assert renamed.status_code == 200, renamed.text
        body = wait_for(alice, created["id"], "ACTIVE")
    finally:
        cloud.conf.clear_override("spawn_delay", group="fake_driver")
    assert body["name"] == "renamed-early"
    assert (body["accessIPv4"], body["accessIPv6"]) == ("1.2.3.4", "::babe:dc0c:1602")
    alice.http("DELETE", f"/servers/{created['id']}")
