"""Live migration through openstacksdk and HTTP: success, failures rolled
back, abort and force-complete of one under way, the server's migrations
(2.22-2.80), with placement checked after every step."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from nimbus.compute import states
from nimbus.compute.db.cell import instances as cell_instances
from nimbus.compute.db.cell import moves
from nimbus.compute.objects.convert import to_object
from nimbus.compute.runtime import internal_context
from nimbus.compute.virt.fake import FailureInjector
from tests.functional.compute import shapes, shapes_migrations
from tests.functional.compute.conftest import Person, new_flavor
from tests.functional.compute.moves import (
    action,
    driver,
    events,
    held,
    host_of,
    migrations,
    provider,
    runtime,
    server_body,
    sizes,
    wait_gone,
    wait_migration,
    wait_task,
)
from tests.functional.compute.test_servers import boot, wait_for
from tests.support.cloud import RunningCloud


@pytest.fixture(scope="module")
def flavor(admin: Person) -> dict[str, Any]:
    return new_flavor(admin, ram=128, vcpus=1, disk=1)


@pytest.fixture
def server(admin: Person, image: str, flavor: dict[str, Any]) -> Iterator[str]:
    created = boot(admin, image, flavor, availability_zone="nova:host-1")
    wait_for(admin, created["id"], "ACTIVE")
    yield created["id"]
    admin.http("DELETE", f"/servers/{created['id']}")
    wait_gone(admin, created["id"])


@pytest.fixture
def slow(cloud: RunningCloud) -> Iterator[None]:
    """Live migrations that take four seconds, reporting progress as they go."""
    cloud.conf.set_override("live_migration_delay", 4.0, "fake_driver")
    try:
        yield
    finally:
        cloud.conf.clear_override("live_migration_delay", "fake_driver")


def live(block_migration: Any = "auto", host: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"os-migrateLive": {"block_migration": block_migration, "host": host, **extra}}


def test_live_migrate(cloud: RunningCloud, admin: Person, server: str,
                      flavor: dict[str, Any]) -> None:
    admin.conn.compute.live_migrate_server(server, host=None, block_migration="auto")
    migration = wait_migration(admin, server, "completed")
    body = wait_for(admin, server, "ACTIVE")
    assert body["OS-EXT-SRV-ATTR:host"] == "host-2"
    assert (body["OS-EXT-STS:task_state"], body["OS-EXT-STS:power_state"]) == (None, 1)
    assert (migration["migration_type"], migration["source_compute"],
            migration["dest_compute"]) == ("live-migration", "host-1", "host-2")
    assert held(admin, cloud, server) == {"host-2": sizes(flavor)}
    assert held(admin, cloud, migration["uuid"]) == {}
    assert server in driver(cloud, "host-2").instances
    assert server not in driver(cloud, "host-1").instances
    assert {"conductor_live_migrate_instance", "compute_check_can_live_migrate_destination",
            "compute_live_migration", "compute_pre_live_migration",
            "compute_post_live_migration_at_destination"} <= set(
        events(cloud, server, "live-migration"))


def test_a_failure_is_rolled_back(cloud: RunningCloud, admin: Person, server: str,
                                  flavor: dict[str, Any]) -> None:
    FailureInjector.inject("host-1", "live_migration")
    try:
        assert action(admin, server, live(), version="2.25").status_code == 202
        migration = wait_migration(admin, server, "failed")
    finally:
        FailureInjector.clear("host-1")
    body = wait_task(admin, server, None)
    assert (body["status"], body["OS-EXT-SRV-ATTR:host"]) == ("ACTIVE", "host-1")
    assert held(admin, cloud, server) == {"host-1": sizes(flavor)}
    assert held(admin, cloud, migration["uuid"]) == {}
    assert server in driver(cloud, "host-1").instances
    # The destination is told (a cast) to drop what it prepared.
    deadline = time.monotonic() + 10
    while server in driver(cloud, "host-2").instances:
        assert time.monotonic() < deadline, "host-2 kept what it prepared"
        time.sleep(0.05)
    assert events(cloud, server, "live-migration")["compute_live_migration"] == "Error"


def test_a_destination_that_refuses(cloud: RunningCloud, admin: Person, server: str,
                                    flavor: dict[str, Any]) -> None:
    """Its checks fail: no other host is left. From 2.34 the answer came
    first (the failure is in the migration and the action); before, it is 400."""
    FailureInjector.inject("host-2", "check_can_live_migrate_destination", times=2)
    try:
        assert action(admin, server, live(), version="2.34").status_code == 202
        wait_migration(admin, server, "error")
        wait_task(admin, server, None)
        resp = action(admin, server, live(False, None, disk_over_commit=False))
    finally:
        FailureInjector.clear("host-2")
    assert resp.status_code == 400, resp.text
    assert resp.json()["badRequest"]["message"].startswith("No valid host was found.")
    body = wait_task(admin, server, None)
    assert (body["status"], body["OS-EXT-SRV-ATTR:host"]) == ("ACTIVE", "host-1")
    assert held(admin, cloud, server) == {"host-1": sizes(flavor)}
    for migration in migrations(admin, server):
        assert migration["status"] == "error"
        assert held(admin, cloud, migration["uuid"]) == {}
    assert events(cloud, server, "live-migration")["conductor_live_migrate_instance"] == "Error"


def test_forced_and_requested_hosts(cloud: RunningCloud, admin: Person, server: str,
                                    flavor: dict[str, Any]) -> None:
    # Before 2.30 a named host is taken as it is (no scheduler): itself is refused.
    resp = action(admin, server, live(False, "host-1", disk_over_commit=False))
    assert resp.status_code == 400
    assert "Unable to migrate instance" in resp.json()["badRequest"]["message"]
    assert action(admin, server, live("auto", "nowhere"), version="2.30").status_code == 400
    resp = action(admin, server, live("auto", None, force=True), version="2.30")
    assert resp.json()["badRequest"]["message"] == "Can't force to a non-provided destination"
    resp = action(admin, server, live("auto", "host-2", force=True), version="2.30")
    assert resp.status_code == 202, resp.text
    wait_migration(admin, server, "completed")
    assert held(admin, cloud, server) == {"host-2": sizes(flavor)}
    # From 2.68 the scheduler checks a named host.
    before = len(migrations(admin, server))
    resp = action(admin, server, live("auto", "host-1"), version="2.68")
    assert resp.status_code == 202, resp.text
    wait_migration(admin, server, "completed", nth=before + 1)
    assert host_of(admin, server) == "host-1"
    assert held(admin, cloud, server) == {"host-1": sizes(flavor)}


@pytest.mark.parametrize(("version", "body"), [
    ("2.1", live("auto", None, disk_over_commit=False)),
    ("2.1", live(True, None)),
    ("2.25", live(True, None, disk_over_commit=False)),
    ("2.68", live(True, "host-2", force=True)),
    ("2.30", live("maybe", None)),
])
def test_bodies_per_microversion(admin: Person, server: str, version: str,
                                 body: dict[str, Any]) -> None:
    assert action(admin, server, body, version=version).status_code == 400


def test_wrong_states_and_callers(admin: Person, alice: Person, image: str,
                                  flavor: dict[str, Any], server: str) -> None:
    admin.conn.compute.stop_server(server)
    wait_for(admin, server, "SHUTOFF")
    resp = action(admin, server, live(), version="2.25")
    assert resp.status_code == 409
    assert resp.json()["conflictingRequest"]["message"] == (
        f"Cannot 'os-migrateLive' instance {server} while it is in vm_state stopped")
    own = boot(alice, image, flavor)["id"]
    wait_for(alice, own, "ACTIVE")
    assert action(alice, own, live(), version="2.25").status_code == 403
    alice.http("DELETE", f"/servers/{own}")


def test_progress_force_complete_and_abort(cloud: RunningCloud, admin: Person, server: str,
                                           flavor: dict[str, Any], slow: None) -> None:
    assert action(admin, server, live(), version="2.25").status_code == 202
    migration = wait_migration(admin, server, "running")
    path = f"/servers/{server}/migrations"
    deadline = time.monotonic() + 10
    while True:
        listed = admin.http("GET", path, version="2.80").json()["migrations"]
        if listed and listed[0]["memory_total_bytes"]:
            break
        assert time.monotonic() < deadline, listed
        time.sleep(0.05)
    (item,) = listed
    shapes.check(shapes_migrations.server_migration("2.80"), item)
    assert item["memory_total_bytes"] == flavor["ram"] * 1024 * 1024
    assert item["memory_processed_bytes"] > 0 and item["disk_total_bytes"] is not None
    assert (item["id"], item["server_uuid"], item["status"]) == (migration["id"], server,
                                                                 "running")
    shown = admin.http("GET", f"{path}/{item['id']}", version="2.23")
    assert shown.status_code == 200
    shapes.check(shapes_migrations.server_migration("2.23"), shown.json()["migration"])
    assert server_body(admin, server)["status"] == "MIGRATING"
    # os-migrations links a live migration under way to its place under the server.
    (listed_there,) = [m for m in migrations(admin, server, version="2.23")
                       if m["id"] == item["id"]]
    self_link, bookmark = listed_there["links"]
    assert (self_link["rel"], bookmark["rel"]) == ("self", "bookmark")
    assert self_link["href"] == f"{admin.base}/servers/{server}/migrations/{item['id']}"
    assert bookmark["href"].endswith(f"/compute/servers/{server}/migrations/{item['id']}")
    resp = admin.http("POST", f"{path}/{item['id']}/action", json={"force_complete": None},
                      version="2.22")
    assert resp.status_code == 202, resp.text
    wait_migration(admin, server, "completed", timeout=3)  # sooner than the 4 s copy
    assert wait_for(admin, server, "ACTIVE")["OS-EXT-SRV-ATTR:host"] == "host-2"
    assert admin.http("GET", path, version="2.23").json() == {"migrations": []}
    gone = admin.http("GET", f"{path}/{item['id']}", version="2.23")
    assert gone.status_code == 404
    assert gone.json()["itemNotFound"]["message"] == (
        f"Live migration {item['id']} for server {server} is not in progress.")

    assert action(admin, server, live(), version="2.25").status_code == 202
    running = wait_migration(admin, server, "running")
    resp = admin.http("DELETE", f"{path}/{running['id']}", version="2.24")
    assert resp.status_code == 202, resp.text
    wait_migration(admin, server, "cancelled")
    body = wait_task(admin, server, None)
    assert (body["status"], body["OS-EXT-SRV-ATTR:host"]) == ("ACTIVE", "host-2")
    assert held(admin, cloud, server) == {"host-2": sizes(flavor)}
    assert held(admin, cloud, running["uuid"]) == {}
    assert server not in driver(cloud, "host-1").instances
    assert set(events(cloud, server, "live_migration_cancel").values()) == {"Success"}


def test_abort_a_queued_one(cloud: RunningCloud, admin: Person, image: str,
                            flavor: dict[str, Any], server: str, slow: None) -> None:
    """One live migration at a time per host: the second waits, queued, and
    only from 2.65 may it be aborted there."""
    second = boot(admin, image, flavor, availability_zone="nova:host-1")["id"]
    wait_for(admin, second, "ACTIVE")
    try:
        assert action(admin, server, live(), version="2.25").status_code == 202
        wait_migration(admin, server, "running")
        assert action(admin, second, live(), version="2.25").status_code == 202
        queued = wait_migration(admin, second, "queued")
        path = f"/servers/{second}/migrations/{queued['id']}"
        resp = admin.http("DELETE", path, version="2.64")
        assert resp.status_code == 400
        assert "Cannot abort live migration while the migration is in this state" in \
            resp.json()["badRequest"]["message"]
        assert admin.http("DELETE", path, version="2.65").status_code == 202
        wait_migration(admin, second, "cancelled")
        assert wait_task(admin, second, None)["OS-EXT-SRV-ATTR:host"] == "host-1"
        assert held(admin, cloud, second) == {"host-1": sizes(flavor)}
        assert held(admin, cloud, queued["uuid"]) == {}
        wait_migration(admin, server, "completed")
    finally:
        admin.http("DELETE", f"/servers/{second}")
        wait_gone(admin, second)


def test_server_migrations_errors(admin: Person, server: str) -> None:
    path = f"/servers/{server}/migrations"
    assert admin.http("GET", path, version="2.22").status_code == 404
    assert admin.http("GET", f"{path}/1", version="2.23").status_code == 404
    assert admin.http("GET", f"{path}/abc", version="2.23").status_code == 404
    resp = admin.http("DELETE", f"{path}/1", version="2.24")
    assert resp.status_code == 409  # the server is not migrating
    resp = admin.http("POST", f"{path}/1/action", json={"force_complete": None},
                      version="2.22")
    assert resp.status_code == 409
    resp = admin.http("POST", f"{path}/1/action", json={"force_complete": 1}, version="2.22")
    assert resp.status_code == 400
    assert admin.http("GET", path, version="2.102").json() == {"migrations": []}
    assert admin.http("GET", path + "?x=1", version="2.102").status_code == 400


def test_an_agent_stopped_mid_migration_rolls_it_back(cloud: RunningCloud, admin: Person,
                                                      server: str,
                                                      flavor: dict[str, Any]) -> None:
    """What an agent that stopped while copying leaves behind: the server
    migrating, a running migration holding the source, the destination
    claimed and prepared. When the agent starts again it rolls back."""
    cells = runtime(cloud).cells
    cell = cells.for_instance(server)
    assert cell is not None
    with cells.db(cell).writer() as conn:
        record = cell_instances.update(conn, server, {"task_state": states.MIGRATING})
        migration = moves.create(conn, {
            "instance_uuid": server, "source_compute": "host-1", "source_node": "host-1",
            "dest_compute": "host-2", "dest_node": "host-2", "status": "running",
            "migration_type": "live-migration"})
    placement = runtime(cloud).placement
    assert placement.move_allocations(server, migration.uuid, record.project_id,
                                      record.user_id)
    assert placement.claim_on(server, provider(cloud, "host-2"), sizes(flavor),
                              record.project_id, record.user_id)
    ctxt = internal_context()
    driver(cloud, "host-2").pre_live_migration(ctxt, to_object(record), {})

    runtime(cloud).agents["host-1"].init_host(ctxt)
    body = server_body(admin, server)
    assert (body["status"], body["OS-EXT-STS:task_state"]) == ("ACTIVE", None)
    assert body["OS-EXT-SRV-ATTR:host"] == "host-1"
    assert migrations(admin, server)[0]["status"] == "error"
    assert held(admin, cloud, server) == {"host-1": sizes(flavor)}
    assert held(admin, cloud, migration.uuid) == {}
    deadline = time.monotonic() + 10
    while server in driver(cloud, "host-2").instances:
        assert time.monotonic() < deadline, "host-2 kept what it prepared"
        time.sleep(0.05)
