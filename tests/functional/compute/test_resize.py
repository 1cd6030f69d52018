"""Resize and cold migration with confirm and revert, through openstacksdk and
HTTP: the state machine, the migration record, and placement after every
step (the instance's consumer and the migration's)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from nimbus.compute import quotas
from nimbus.compute.virt.fake import FailureInjector
from tests.functional.compute.conftest import Person, new_flavor
from tests.functional.compute.moves import (
    action,
    driver,
    events,
    forced_down,
    held,
    host_of,
    migrations,
    other,
    runtime,
    server_body,
    sizes,
    wait_fault,
    wait_gone,
    wait_migration,
)
from tests.functional.compute.test_servers import boot, wait_for
from tests.support.cloud import RunningCloud


@pytest.fixture(scope="module")
def small(admin: Person) -> dict[str, Any]:
    return new_flavor(admin, ram=128, vcpus=1, disk=1)


@pytest.fixture(scope="module")
def big(admin: Person) -> dict[str, Any]:
    return new_flavor(admin, ram=256, vcpus=2, disk=2)


@pytest.fixture
def server(alice: Person, image: str, small: dict[str, Any]) -> Iterator[str]:
    created = boot(alice, image, small)
    wait_for(alice, created["id"], "ACTIVE")
    yield created["id"]
    alice.http("DELETE", f"/servers/{created['id']}")
    wait_gone(alice, created["id"])


def test_resize_then_confirm(cloud: RunningCloud, admin: Person, alice: Person, server: str,
                             small: dict[str, Any], big: dict[str, Any]) -> None:
    source = host_of(admin, server)
    dest = other(cloud, source)
    assert held(admin, cloud, server) == {source: sizes(small)}
    alice.conn.compute.resize_server(server, big["id"])
    body = wait_for(alice, server, "VERIFY_RESIZE")
    assert body["flavor"]["id"] == big["id"]
    assert (body["OS-EXT-STS:vm_state"], body["OS-EXT-STS:task_state"]) == ("resized", None)
    assert host_of(admin, server) == dest
    (migration,) = migrations(admin, server)
    assert (migration["status"], migration["migration_type"]) == ("finished", "resize")
    assert (migration["source_compute"], migration["dest_compute"]) == (source, dest)
    assert (migration["old_instance_type_id"], migration["new_instance_type_id"]) != (None, None)
    assert migration["old_instance_type_id"] != migration["new_instance_type_id"]
    # The old flavor on the source is the migration's, the new one the instance's.
    assert held(admin, cloud, server) == {dest: sizes(big)}
    assert held(admin, cloud, migration["uuid"]) == {source: sizes(small)}
    assert server in driver(cloud, dest).instances
    assert {"compute_prep_resize", "compute_resize_instance", "compute_finish_resize",
            "cold_migrate"} <= set(events(cloud, server, "resize"))

    alice.conn.compute.confirm_server_resize(server)
    body = wait_for(alice, server, "ACTIVE")
    assert body["flavor"]["id"] == big["id"]
    assert wait_migration(admin, server, "confirmed")["uuid"] == migration["uuid"]
    assert held(admin, cloud, migration["uuid"]) == {}
    assert held(admin, cloud, server) == {dest: sizes(big)}
    assert server not in driver(cloud, source).instances
    assert set(events(cloud, server, "confirmResize").values()) == {"Success"}


def test_resize_then_revert(cloud: RunningCloud, admin: Person, alice: Person, server: str,
                            small: dict[str, Any], big: dict[str, Any]) -> None:
    source = host_of(admin, server)
    resp = action(alice, server, {"resize": {"flavorRef": big["id"],
                                             "OS-DCF:diskConfig": "AUTO"}})
    assert resp.status_code == 202, resp.text
    wait_for(alice, server, "VERIFY_RESIZE")
    (migration,) = migrations(admin, server)
    resp = action(alice, server, {"revertResize": None})
    assert resp.status_code == 202, resp.text
    body = wait_for(alice, server, "ACTIVE")
    assert body["flavor"]["id"] == small["id"]
    assert body["OS-DCF:diskConfig"] == "AUTO"
    assert host_of(admin, server) == source
    assert wait_migration(admin, server, "reverted")["uuid"] == migration["uuid"]
    assert held(admin, cloud, server) == {source: sizes(small)}
    assert held(admin, cloud, migration["uuid"]) == {}
    assert server in driver(cloud, source).instances
    assert server not in driver(cloud, other(cloud, source)).instances
    assert {"compute_revert_resize", "compute_finish_revert_resize"} <= set(
        events(cloud, server, "revertResize"))
    # The request spec is back to the old flavor: a migration now keeps it.
    resp = action(admin, server, {"migrate": None})
    assert resp.status_code == 202, resp.text
    wait_for(alice, server, "VERIFY_RESIZE")
    assert held(admin, cloud, server) == {other(cloud, source): sizes(small)}


def test_cold_migrate_to_a_host(cloud: RunningCloud, admin: Person, alice: Person,
                                server: str, small: dict[str, Any]) -> None:
    source = host_of(admin, server)
    dest = other(cloud, source)
    resp = action(admin, server, {"migrate": {"host": dest}}, version="2.56")
    assert resp.status_code == 202, resp.text
    body = wait_for(alice, server, "VERIFY_RESIZE")
    assert body["flavor"]["id"] == small["id"]
    (migration,) = migrations(admin, server)
    assert (migration["migration_type"], migration["dest_compute"]) == ("migration", dest)
    assert held(admin, cloud, migration["uuid"]) == {source: sizes(small)}
    assert held(admin, cloud, server) == {dest: sizes(small)}
    admin.conn.compute.confirm_server_resize(server)
    wait_for(alice, server, "ACTIVE")
    assert held(admin, cloud, migration["uuid"]) == {}
    assert set(events(cloud, server, "migrate")) >= {"cold_migrate", "compute_finish_resize"}


def test_cold_migrate_bad_hosts(cloud: RunningCloud, admin: Person, server: str) -> None:
    here = host_of(admin, server)
    resp = action(admin, server, {"migrate": {"host": here}}, version="2.56")
    assert resp.status_code == 400
    assert resp.json()["badRequest"]["message"] == \
        "Cannot migrate to the host where the server exists."
    resp = action(admin, server, {"migrate": {"host": "nowhere"}}, version="2.56")
    assert resp.status_code == 400
    assert resp.json()["badRequest"]["message"] == "Compute host nowhere could not be found."
    # Before 2.56 the body is not looked at: the host is ignored.
    assert action(admin, server, {"migrate": {"host": "nowhere"}}, version="2.55"
                  ).status_code == 202
    assert server_body(admin, server)["status"] in ("RESIZE", "VERIFY_RESIZE")


def test_a_stopped_server_stays_stopped(cloud: RunningCloud, alice: Person, server: str,
                                        big: dict[str, Any]) -> None:
    alice.conn.compute.stop_server(server)
    wait_for(alice, server, "SHUTOFF")
    alice.conn.compute.resize_server(server, big["id"])
    body = wait_for(alice, server, "VERIFY_RESIZE")
    assert body["OS-EXT-STS:power_state"] == 4
    alice.conn.compute.confirm_server_resize(server)
    body = wait_for(alice, server, "SHUTOFF")
    assert body["OS-EXT-STS:vm_state"] == "stopped"


def test_wrong_requests(admin: Person, alice: Person, server: str, small: dict[str, Any],
                        big: dict[str, Any]) -> None:
    def message(resp: Any, status: int) -> str:
        assert resp.status_code == status, resp.text
        return str(next(iter(resp.json().values()))["message"])

    same = action(alice, server, {"resize": {"flavorRef": small["id"]}})
    assert message(same, 400) == "When resizing, instances must change flavor!"
    missing = action(alice, server, {"resize": {"flavorRef": "no-such-flavor"}})
    assert message(missing, 400) == "Flavor no-such-flavor could not be found."
    assert action(alice, server, {"resize": {}}).status_code == 400
    assert action(alice, server, {"resize": {"flavorRef": big["id"], "x": 1}}).status_code == 400
    not_resized = action(alice, server, {"confirmResize": None})
    assert message(not_resized, 409).startswith(f"Cannot 'confirmResize' instance {server}")
    assert action(alice, server, {"revertResize": None}).status_code == 409
    # Members may resize; moving to another host is for managers and admins.
    assert action(alice, server, {"migrate": None}).status_code == 403
    alice.conn.compute.resize_server(server, big["id"])
    wait_for(alice, server, "VERIFY_RESIZE")
    again = action(alice, server, {"resize": {"flavorRef": small["id"]}})
    assert message(again, 409) == (f"Cannot 'resize' instance {server} while it is in "
                                   "vm_state resized")


def test_disk_cannot_shrink(cloud: RunningCloud, admin: Person, alice: Person, image: str,
                            big: dict[str, Any], small: dict[str, Any]) -> None:
    """The driver refuses before touching anything: the server is as it was,
    its allocations where they were, the migration in error."""
    created = boot(alice, image, big)["id"]
    wait_for(alice, created, "ACTIVE")
    source = host_of(admin, created)
    assert action(alice, created, {"resize": {"flavorRef": small["id"]}}).status_code == 202
    migration = wait_migration(admin, created, "error")
    body = wait_for(alice, created, "ACTIVE")
    assert (body["flavor"]["id"], host_of(admin, created)) == (big["id"], source)
    assert body["OS-EXT-STS:task_state"] is None
    assert held(admin, cloud, created) == {source: sizes(big)}
    assert held(admin, cloud, migration["uuid"]) == {}
    assert events(cloud, created, "resize")["compute_resize_instance"] == "Error"
    alice.http("DELETE", f"/servers/{created}")


def test_no_valid_host_puts_it_back(cloud: RunningCloud, admin: Person, alice: Person,
                                    server: str, small: dict[str, Any]) -> None:
    nowhere = new_flavor(admin, ram=256, vcpus=1, disk=1)
    resp = admin.http("POST", f"/flavors/{nowhere['id']}/os-extra_specs",
                      json={"extra_specs": {"trait:CUSTOM_NO_HOST_HAS_IT": "required"}})
    assert resp.status_code == 200, resp.text
    assert action(alice, server, {"resize": {"flavorRef": nowhere["id"]}}).status_code == 202
    migration = wait_migration(admin, server, "error")
    body = wait_for(alice, server, "ACTIVE")
    assert (body["OS-EXT-STS:task_state"], body["flavor"]["id"]) == (None, small["id"])
    assert held(admin, cloud, server) == {host_of(admin, server): sizes(small)}
    assert held(admin, cloud, migration["uuid"]) == {}
    assert events(cloud, server, "resize")["cold_migrate"] == "Error"


def test_failure_on_the_destination_is_error(cloud: RunningCloud, admin: Person,
                                             alice: Person, server: str,
                                             big: dict[str, Any]) -> None:
    dest = other(cloud, host_of(admin, server))
    FailureInjector.inject(dest, "finish_migration")
    try:
        alice.conn.compute.resize_server(server, big["id"])
        body = wait_fault(alice, server)
    finally:
        FailureInjector.clear(dest)
    assert "finish_migration failed" in body["fault"]["message"]
    migration = wait_migration(admin, server, "error")
    # The instance stays (in ERROR) on the destination; the source's share is gone.
    assert held(admin, cloud, server) == {dest: sizes(big)}
    assert held(admin, cloud, migration["uuid"]) == {}


def test_delete_while_waiting_for_confirm(cloud: RunningCloud, admin: Person,
                                          alice: Person, image: str, small: dict[str, Any],
                                          big: dict[str, Any]) -> None:
    created = boot(alice, image, small)["id"]
    wait_for(alice, created, "ACTIVE")
    source = host_of(admin, created)
    alice.conn.compute.resize_server(created, big["id"])
    wait_for(alice, created, "VERIFY_RESIZE")
    (migration,) = migrations(admin, created)
    alice.http("DELETE", f"/servers/{created}")
    wait_for(alice, created, "DELETED")
    wait_migration(admin, created, "confirmed")
    assert held(admin, cloud, created) == {}
    assert held(admin, cloud, migration["uuid"]) == {}
    assert created not in driver(cloud, source).instances


def test_resize_up_counts_against_the_quota(cloud: RunningCloud, admin: Person,
                                            make_person: Any, image: str,
                                            small: dict[str, Any],
                                            big: dict[str, Any]) -> None:
    bob = make_person()
    created = boot(bob, image, small)["id"]
    wait_for(bob, created, "ACTIVE")
    api_db = runtime(cloud).cells.api_db
    with api_db.writer() as conn:
        quotas.set_limits(conn, bob.project_id, None, {"cores": 1})
    resp = action(bob, created, {"resize": {"flavorRef": big["id"]}})
    assert resp.status_code == 403, resp.text
    assert resp.json()["forbidden"]["message"] == (
        "Quota exceeded for cores: Requested 1, but already used 1 of 1 cores")
    with api_db.writer() as conn:
        quotas.set_limits(conn, bob.project_id, None, {"cores": 3})
    bob.conn.compute.resize_server(created, big["id"])
    wait_for(bob, created, "VERIFY_RESIZE")
    # While the resize waits, the server counts its larger flavor: one core is left.
    with api_db.reader() as conn:
        assert quotas.usage(conn, bob.project_id)["cores"] == 2
    bob.conn.compute.revert_server_resize(created)
    wait_for(bob, created, "ACTIVE")
    with api_db.reader() as conn:
        assert quotas.usage(conn, bob.project_id)["cores"] == 1
    bob.http("DELETE", f"/servers/{created}")


def test_resizes_left_waiting_are_confirmed(cloud: RunningCloud, admin: Person,
                                            alice: Person, server: str,
                                            big: dict[str, Any]) -> None:
    """[compute] resize_confirm_window: the conductor's periodic confirms them."""
    alice.conn.compute.resize_server(server, big["id"])
    wait_for(alice, server, "VERIFY_RESIZE")
    (migration,) = migrations(admin, server)
    conductor = runtime(cloud).conductor
    assert conductor is not None
    assert conductor.confirm_expired_resizes(3600) == []
    assert conductor.confirm_expired_resizes(0) == [migration["uuid"]]
    wait_for(alice, server, "ACTIVE")
    assert wait_migration(admin, server, "confirmed")
    assert held(admin, cloud, migration["uuid"]) == {}
    assert set(events(cloud, server, "confirmResize").values()) == {"Success"}


def test_the_new_flavor_must_fit_the_image(admin: Person, alice: Person,
                                           big: dict[str, Any]) -> None:
    picky = admin.conn.image.create_image(name="min-disk-2", disk_format="raw",
                                          container_format="bare", visibility="public",
                                          data=b"\0" * 4096, min_disk=2)
    try:
        created = boot(alice, picky.id, big)["id"]
        wait_for(alice, created, "ACTIVE")
        smaller = new_flavor(admin, ram=256, vcpus=1, disk=1)
        resp = action(alice, created, {"resize": {"flavorRef": smaller["id"]}})
        assert resp.status_code == 400
        assert resp.json()["badRequest"]["message"] == (
            "Flavor's disk is smaller than the minimum size specified in image metadata. "
            f"Flavor disk is {1024 ** 3} bytes, minimum size is {2 * 1024 ** 3} bytes.")
        diskless = new_flavor(admin, ram=256, vcpus=1, disk=0)
        resp = action(alice, created, {"resize": {"flavorRef": diskless["id"]}})
        assert resp.status_code == 400
        assert resp.json()["badRequest"]["message"] == (
            "Server disk was unable to be resized because: Resize to zero disk flavor is "
            "not allowed.")
        assert server_body(alice, created)["status"] == "ACTIVE"
        alice.http("DELETE", f"/servers/{created}")
        wait_gone(alice, created)
    finally:
        admin.conn.image.delete_image(picky)


def test_resize_to_the_same_host(cloud: RunningCloud, admin: Person, image: str,
                                 small: dict[str, Any], big: dict[str, Any]) -> None:
    """[compute] allow_resize_to_same_host, with the other host down: the old
    and the new guest side by side on one host, both claimed there until the
    resize is reverted (then confirmed after a second one)."""
    created = boot(admin, image, small, availability_zone="nova:host-1")["id"]
    wait_for(admin, created, "ACTIVE")
    cloud.conf.set_override("allow_resize_to_same_host", True, "compute")
    try:
        with forced_down(cloud, "host-2"):
            admin.conn.compute.resize_server(created, big["id"])
            wait_for(admin, created, "VERIFY_RESIZE")
            (migration,) = migrations(admin, created)
            assert (migration["source_compute"], migration["dest_compute"]) == (
                "host-1", "host-1")
            assert held(admin, cloud, created) == {"host-1": sizes(big)}
            assert held(admin, cloud, migration["uuid"]) == {"host-1": sizes(small)}
            admin.conn.compute.revert_server_resize(created)
            body = wait_for(admin, created, "ACTIVE")
            assert body["flavor"]["id"] == small["id"]
            assert held(admin, cloud, created) == {"host-1": sizes(small)}
            assert held(admin, cloud, migration["uuid"]) == {}
            assert driver(cloud, "host-1").instances[created].power_state == 1
            admin.conn.compute.resize_server(created, big["id"])
            wait_for(admin, created, "VERIFY_RESIZE")
            admin.conn.compute.confirm_server_resize(created)
            wait_for(admin, created, "ACTIVE")
            assert held(admin, cloud, created) == {"host-1": sizes(big)}
            assert driver(cloud, "host-1").instances[created].power_state == 1
    finally:
        cloud.conf.clear_override("allow_resize_to_same_host", "compute")
        admin.http("DELETE", f"/servers/{created}")
