"""Soft delete, on a cloud with [compute] reclaim_instance_interval set: DELETE
leaves the server SOFT_DELETED (powered off, out of the quota), restore
brings it back (if the quota has room), forceDelete deletes it at once, and
the agents' periodic task reclaims it once the interval has passed; no
allocation outlives its server."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from nimbus.compute import quotas
from tests.functional.compute.conftest import SERVICES, Person, new_flavor
from tests.functional.compute.test_cli import _env
from tests.functional.compute.test_guest_actions import action, events_of, states_of
from tests.functional.compute.test_servers import allocations, boot, wait_for
from tests.support.backends import fresh_database
from tests.support.cli import cli
from tests.support.cloud import RunningCloud

RECLAIM_AFTER = 20  # seconds (long enough for a slow CLI call); the periodic task runs as often


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCloud]:
    data_dir = str(tmp_path_factory.mktemp("deferred"))
    with fresh_database("sqlite", data_dir, "identity") as url:
        running = RunningCloud(data_dir, url, api={"enabled_services": SERVICES},
                               compute={"reclaim_instance_interval": RECLAIM_AFTER})
        try:
            yield running
        finally:
            running.stop()


@pytest.fixture(scope="module")
def flavor(admin: Person) -> dict[str, Any]:
    return new_flavor(admin, ram=128, vcpus=1, disk=1)


@pytest.fixture
def server(admin: Person, alice: Person, image: str, flavor: dict[str, Any]) -> Iterator[str]:
    created = boot(alice, image, flavor)
    wait_for(alice, created["id"], "ACTIVE")
    yield created["id"]
    admin.http("POST", f"/servers/{created['id']}/action", json={"forceDelete": None})
    wait_for(alice, created["id"], "DELETED")


def soft_delete(person: Person, server: str) -> None:
    assert person.http("DELETE", f"/servers/{server}").status_code == 204
    wait_for(person, server, "SOFT_DELETED")


def test_delete_then_restore(cloud: RunningCloud, admin: Person, alice: Person,
                             server: str) -> None:
    soft_delete(alice, server)
    assert states_of(alice, server) == ("SOFT_DELETED", "soft-delete", None, 4)
    assert [(e["event"], e["result"]) for e in events_of(alice, server, "delete")] == [
        ("compute_soft_delete_instance", "Success")]
    # Still on its host, with its allocation, but out of the quota.
    assert allocations(admin, cloud, server) != {}
    listed = alice.http("GET", "/servers").json()["servers"]
    assert server in [s["id"] for s in listed]
    alice.conn.compute.restore_server(server)
    wait_for(alice, server, "ACTIVE")
    soft_delete(alice, server)
    cli(cloud, "server", "restore", server, env=_env(cloud, alice))
    wait_for(alice, server, "ACTIVE")
    assert states_of(alice, server) == ("ACTIVE", "active", None, 1)
    assert [e["event"] for e in events_of(alice, server, "restore")] == [
        "compute_restore_instance"]
    resp = action(alice, server, {"restore": None})
    assert resp.status_code == 409
    assert resp.json()["conflictingRequest"]["message"] == (
        f"Cannot 'restore' instance {server} while it is in vm_state active")


def test_force_delete_of_a_soft_deleted_server(cloud: RunningCloud, admin: Person,
                                               alice: Person, image: str,
                                               flavor: dict[str, Any]) -> None:
    created = boot(alice, image, flavor)["id"]
    wait_for(alice, created, "ACTIVE")
    soft_delete(alice, created)
    alice.conn.compute.delete_server(created, force=True)  # forceDelete
    wait_for(alice, created, "DELETED")
    assert allocations(admin, cloud, created) == {}
    gone = admin.http("GET", f"/servers/{created}/os-instance-actions", version="2.21").json()
    assert [a["action"] for a in gone["instanceActions"]] == ["delete", "delete", "create"]


def test_force_delete_of_an_active_server(cloud: RunningCloud, admin: Person, alice: Person,
                                          image: str, flavor: dict[str, Any]) -> None:
    created = boot(alice, image, flavor)["id"]
    wait_for(alice, created, "ACTIVE")
    assert action(alice, created, {"forceDelete": None}).status_code == 202
    wait_for(alice, created, "DELETED")
    assert allocations(admin, cloud, created) == {}


def test_reclaimed_after_the_interval(cloud: RunningCloud, admin: Person, alice: Person,
                                      image: str, flavor: dict[str, Any]) -> None:
    created = boot(alice, image, flavor)["id"]
    wait_for(alice, created, "ACTIVE")
    soft_delete(alice, created)
    started = time.monotonic()
    wait_for(alice, created, "DELETED", timeout=4 * RECLAIM_AFTER)
    assert time.monotonic() - started >= RECLAIM_AFTER - 1
    assert allocations(admin, cloud, created) == {}
    assert action(alice, created, {"restore": None}).status_code == 404


def test_restore_checks_the_quota(cloud: RunningCloud, make_person: Callable[..., Person],
                                  image: str, flavor: dict[str, Any]) -> None:
    bob = make_person()
    compute = cloud.deployment.compute
    with compute.api_db.writer() as conn:
        quotas.set_limits(conn, bob.project_id, None, {"instances": 1})
    first = boot(bob, image, flavor)["id"]
    wait_for(bob, first, "ACTIVE")
    soft_delete(bob, first)
    second = boot(bob, image, flavor)["id"]  # the soft-deleted one does not count
    wait_for(bob, second, "ACTIVE")
    resp = action(bob, first, {"restore": None})
    assert resp.status_code == 403, resp.text
    assert resp.json()["forbidden"]["message"] == (
        "Quota exceeded for instances: Requested 1, but already used 1 of 1 instances")
    assert states_of(bob, first)[:3] == ("SOFT_DELETED", "soft-delete", None)
    bob.http("POST", f"/servers/{second}/action", json={"forceDelete": None})
    wait_for(bob, second, "DELETED")
    assert action(bob, first, {"restore": None}).status_code == 202
    wait_for(bob, first, "ACTIVE")
    bob.http("POST", f"/servers/{first}/action", json={"forceDelete": None})
    wait_for(bob, first, "DELETED")


def test_servers_that_never_ran_are_deleted_at_once(admin: Person, alice: Person,
                                                    image: str) -> None:
    picky = new_flavor(admin, ram=64, vcpus=1, disk=1)
    admin.http("POST", f"/flavors/{picky['id']}/os-extra_specs",
               json={"extra_specs": {"trait:CUSTOM_NOWHERE": "required"}})
    created = boot(alice, image, picky)["id"]
    wait_for(alice, created, "ERROR")
    assert alice.http("DELETE", f"/servers/{created}").status_code == 204
    assert alice.http("GET", f"/servers/{created}").status_code == 404


def test_locked_servers_are_neither_deleted_nor_forced(admin: Person, alice: Person,
                                                       server: str) -> None:
    alice.conn.compute.lock_server(server)
    assert alice.http("DELETE", f"/servers/{server}").status_code == 409
    resp = action(alice, server, {"forceDelete": None})
    assert resp.status_code == 409
    assert resp.json()["conflictingRequest"]["message"] == f"Instance {server} is locked"
    soft_delete(admin, server)  # an admin may
    assert action(alice, server, {"restore": None}).status_code == 409
    assert action(admin, server, {"restore": None}).status_code == 202
    wait_for(alice, server, "ACTIVE")
    alice.conn.compute.unlock_server(server)
