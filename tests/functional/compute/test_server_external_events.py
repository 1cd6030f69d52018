"""POST /os-server-external-events: per-event codes (200, 400, 404, 422), 200
or 207 for the request, names per microversion, the service-or-admin rule,
and power updates (2.76) that move the server and its history."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.functional.compute import action_shapes as shapes
from tests.functional.compute.conftest import Person, new_flavor
from tests.functional.compute.test_guest_actions import events_of, states_of
from tests.functional.compute.test_servers import boot, wait_for
from tests.support.cloud import RunningCloud

PATH = "/os-server-external-events"


@pytest.fixture(scope="module")
def flavor(admin: Person) -> dict[str, Any]:
    return new_flavor(admin, ram=128, vcpus=1, disk=1)


@pytest.fixture
def server(admin: Person, alice: Person, image: str, flavor: dict[str, Any]) -> Iterator[str]:
    created = boot(alice, image, flavor)
    wait_for(alice, created["id"], "ACTIVE")
    yield created["id"]
    admin.http("DELETE", f"/servers/{created['id']}")
    wait_for(alice, created["id"], "DELETED")


def post(person: Person, events: list[dict[str, Any]], version: str = "2.1") -> Any:
    return person.http("POST", PATH, json={"events": events}, version=version)


def test_network_changed_is_accepted(admin: Person, server: str) -> None:
    resp = post(admin, [{"name": "network-changed", "server_uuid": server}])
    assert resp.status_code == 200, resp.text
    shapes.check(shapes.external_events("2.1"), resp.json())
    assert resp.json() == {"events": [{"name": "network-changed", "server_uuid": server,
                                       "status": "completed", "code": 200}]}
    sdk = admin.conn.compute.create_server_external_events(
        [{"name": "network-vif-plugged", "server_uuid": server, "tag": "port-1"}])
    assert [(e.code, e.status, e.tag) for e in sdk] == [(200, "completed", "port-1")]


def test_partial_failures_are_207(admin: Person, alice: Person, image: str, server: str
                                  ) -> None:
    unknown = str(uuid.uuid4())
    # A server no host would take is in cell0, on no host.
    picky = new_flavor(admin, ram=64, vcpus=1, disk=1)
    admin.http("POST", f"/flavors/{picky['id']}/os-extra_specs",
               json={"extra_specs": {"trait:CUSTOM_NOWHERE": "required"}})
    hostless = boot(alice, image, picky)["id"]
    wait_for(alice, hostless, "ERROR")
    resp = post(admin, [
        {"name": "network-changed", "server_uuid": server, "status": "failed"},
        {"name": "network-vif-deleted", "server_uuid": unknown, "tag": "p"},
        {"name": "volume-extended", "server_uuid": server},
        {"name": "network-changed", "server_uuid": hostless},
    ], version="2.51")
    assert resp.status_code == 207, resp.text
    shapes.check(shapes.external_events("2.51"), resp.json())
    assert [(e["code"], e["status"]) for e in resp.json()["events"]] == [
        (200, "completed"), (404, "failed"), (400, "failed"), (422, "failed")]
    all_failed = post(admin, [{"name": "network-changed", "server_uuid": unknown}])
    assert all_failed.status_code == 207
    alice.http("DELETE", f"/servers/{hostless}")


def test_names_per_microversion_and_bad_bodies(admin: Person, server: str) -> None:
    cases = [("volume-extended", "2.50", "2.51"), ("power-update", "2.75", "2.76"),
             ("accelerator-request-bound", "2.81", "2.82")]
    for name, before, since in cases:
        event = {"name": name, "server_uuid": server, "tag": "x"}
        assert post(admin, [event], version=before).status_code == 400, name
        resp = post(admin, [event], version=since)
        assert resp.status_code == 200, (name, resp.text)
        shapes.check(shapes.external_events(since), resp.json())
    for bad in ([], [{"name": "network-changed"}],
                [{"name": "network-changed", "server_uuid": "nope"}],
                [{"name": "network-changed", "server_uuid": server, "status": "done"}],
                [{"name": "network-changed", "server_uuid": server, "color": "red"}]):
        assert post(admin, bad).status_code == 400, bad


def test_only_services_and_admins(cloud: RunningCloud, admin: Person, alice: Person,
                                  make_person: Callable[..., Person], server: str) -> None:
    resp = post(alice, [{"name": "network-changed", "server_uuid": server}])
    assert resp.status_code == 403
    assert resp.json()["forbidden"]["message"] == (
        "Policy doesn't allow os_compute_api:os-server-external-events:create to be "
        "performed.")
    service = make_person(role="service")
    assert post(service, [{"name": "network-changed", "server_uuid": server}]
                ).status_code == 200


def test_power_update_follows_the_guest(admin: Person, alice: Person, server: str) -> None:
    off = {"name": "power-update", "server_uuid": server, "tag": "POWER_OFF"}
    resp = post(admin, [off], version="2.76")
    assert resp.status_code == 200, resp.text
    wait_for(alice, server, "SHUTOFF")
    assert [e["event"] for e in events_of(alice, server, "stop")] == [
        "compute_power_update"]
    assert states_of(alice, server) == ("SHUTOFF", "stopped", None, 4)
    # Powering off a stopped server is a no-op (its event still succeeds).
    post(admin, [off], version="2.76")
    on = {"name": "power-update", "server_uuid": server, "tag": "POWER_ON"}
    assert post(admin, [on], version="2.76").status_code == 200
    wait_for(alice, server, "ACTIVE")
    assert states_of(alice, server) == ("ACTIVE", "active", None, 1)
    listed = alice.http("GET", f"/servers/{server}/os-instance-actions").json()
    assert [a["action"] for a in listed["instanceActions"][:3]] == ["start", "stop", "stop"]
    # A tag that is neither is accepted and dropped, as Nova.
    odd = {"name": "power-update", "server_uuid": server, "tag": "REBOOT"}
    assert post(admin, [odd], version="2.76").status_code == 200
    assert len(alice.http("GET", f"/servers/{server}/os-instance-actions").json()[
        "instanceActions"]) == len(listed["instanceActions"])


def test_volume_extended_is_recorded(admin: Person, alice: Person, server: str) -> None:
    event = {"name": "volume-extended", "server_uuid": server, "tag": str(uuid.uuid4())}
    assert post(admin, [event], version="2.51").status_code == 200
    assert [(e["event"], e["result"]) for e in events_of(alice, server, "extend_volume")] == [
        ("compute_extend_volume", "Success")]
