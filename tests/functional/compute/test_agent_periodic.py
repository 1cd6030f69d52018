"""An agent's periodic repairs, run now rather than at their intervals: power
states synced with the driver, allocations healed or removed against the
cell, guests the cell deleted reaped."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from nimbus.compute import states
from nimbus.compute.runtime import internal_context
from nimbus.compute.virt.fake import FakeInstance
from tests.functional.compute import behind
from tests.functional.compute.conftest import Person, new_flavor
from tests.functional.compute.test_scheduling import create, delete_all
from tests.functional.compute.test_servers import wait_for
from tests.support.cloud import RunningCloud


@pytest.fixture(scope="module")
def flavor(admin: Person) -> dict[str, Any]:
    return new_flavor(admin, ram=128, vcpus=1, disk=1)


@pytest.fixture
def running(admin: Person, alice: Person, image: str,
            flavor: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """An ACTIVE server of alice's: (id, host)."""
    (server_id,) = create(alice, image, flavor)
    wait_for(alice, server_id, "ACTIVE")
    yield server_id, str(behind.host_of(admin, server_id))
    delete_all(alice, server_id)


def guest(cloud: RunningCloud, host: str, server_id: str) -> FakeInstance:
    return behind.driver(cloud, host).instances[server_id]


def sync(cloud: RunningCloud, host: str) -> None:
    behind.agent(cloud, host).sync_power_states(internal_context())


def test_a_guest_that_shut_itself_down_is_stopped(cloud: RunningCloud, admin: Person,
                                                   alice: Person,
                                                   running: tuple[str, str]) -> None:
    server_id, host = running
    guest(cloud, host, server_id).power_state = states.SHUTDOWN
    sync(cloud, host)
    body = wait_for(alice, server_id, "SHUTOFF")
    assert (body["OS-EXT-STS:vm_state"], body["OS-EXT-STS:power_state"]) == ("stopped", 4)
    (stop,) = [a for a in behind.actions_of(cloud, server_id) if a["action"] == "stop"]
    events = [(e["event"], e["result"]) for e in behind.events(cloud, server_id)
              if e["action"] == "stop"]
    assert events == [("compute_stop_instance", "Success")] and stop["user_id"] is None
    # It starts again as any stopped server does.
    alice.conn.compute.start_server(server_id)
    wait_for(alice, server_id, "ACTIVE")


def test_a_stopped_server_found_running_is_forced_off(cloud: RunningCloud, alice: Person,
                                                      running: tuple[str, str]) -> None:
    server_id, host = running
    alice.conn.compute.stop_server(server_id)
    wait_for(alice, server_id, "SHUTOFF")
    guest(cloud, host, server_id).power_state = states.RUNNING  # someone started it
    sync(cloud, host)
    behind.eventually(lambda: guest(cloud, host, server_id).power_state == states.SHUTDOWN,
                      what="forced off")
    assert wait_for(alice, server_id, "SHUTOFF")["OS-EXT-STS:power_state"] == 4


def test_a_guest_the_driver_lost_is_only_recorded(cloud: RunningCloud, alice: Person,
                                                  running: tuple[str, str]) -> None:
    server_id, host = running
    del behind.driver(cloud, host).instances[server_id]
    sync(cloud, host)
    body = behind.server(alice, server_id)
    # Nova: "Instance is unexpectedly not found. Ignore." -- NOSTATE, still ACTIVE.
    assert (body["status"], body["OS-EXT-STS:power_state"]) == ("ACTIVE", 0)
    assert not [a for a in behind.actions_of(cloud, server_id) if a["action"] == "stop"]


def test_a_server_in_a_task_is_left_alone(cloud: RunningCloud, alice: Person,
                                          running: tuple[str, str]) -> None:
    server_id, host = running
    with behind.cell_db(cloud).writer() as conn:
        from nimbus.compute.db.cell import instances

        instances.update(conn, server_id, {"task_state": "rebooting"})
    guest(cloud, host, server_id).power_state = states.SHUTDOWN
    sync(cloud, host)
    body = behind.server(alice, server_id)
    assert (body["status"], body["OS-EXT-STS:power_state"]) == ("REBOOT", 1)
    with behind.cell_db(cloud).writer() as conn:
        instances.update(conn, server_id, {"task_state": None})


def test_allocations_healed_and_removed(cloud: RunningCloud, admin: Person, alice: Person,
                                        running: tuple[str, str], image: str,
                                        flavor: dict[str, Any]) -> None:
    server_id, host = running
    node = behind.provider(cloud, host)
    before = behind.allocations(admin, cloud, server_id)
    assert behind.placement(admin, cloud, "DELETE", f"/allocations/{server_id}").status_code \
        == 204
    behind.report(cloud, host)
    healed = behind.allocations(admin, cloud, server_id)
    assert list(healed) == list(before) == [node]
    assert healed[node]["resources"] == before[node]["resources"] == {
        "VCPU": 1, "MEMORY_MB": 128, "DISK_GB": 1}
    # A claim left for an instance the cell deleted goes at the next report.
    (gone,) = create(alice, image, flavor)
    wait_for(alice, gone, "ACTIVE")
    gone_host = str(behind.host_of(admin, gone))
    delete_all(alice, gone)
    stale = {"allocations": {behind.provider(cloud, gone_host): {"resources": {"VCPU": 1}}},
             "project_id": alice.project_id, "user_id": alice.user_id,
             "consumer_generation": None, "consumer_type": "INSTANCE"}
    assert behind.placement(admin, cloud, "PUT", f"/allocations/{gone}",
                            json=stale).status_code == 204
    # A consumer the cell does not know (a build being scheduled) is kept.
    unknown = "1b0c6f0a-64a5-4b4a-9f3f-3f9b1d1e7a11"
    assert behind.placement(admin, cloud, "PUT", f"/allocations/{unknown}",
                            json=stale).status_code == 204
    behind.report(cloud, gone_host)
    assert behind.allocations(admin, cloud, gone) == {}
    assert behind.allocations(admin, cloud, unknown) != {}
    behind.placement(admin, cloud, "DELETE", f"/allocations/{unknown}")


@pytest.mark.parametrize("action,timeout,left", [
    ("reap", 0, None), ("shutdown", 0, states.SHUTDOWN), ("log", 0, states.RUNNING),
    ("noop", 0, states.RUNNING), ("reap", 3600, states.RUNNING),
])
def test_guests_the_cell_deleted(cloud: RunningCloud, admin: Person, alice: Person,
                                 image: str, flavor: dict[str, Any], action: str,
                                 timeout: int, left: int | None) -> None:
    (server_id,) = create(alice, image, flavor)
    wait_for(alice, server_id, "ACTIVE")
    host = str(behind.host_of(admin, server_id))
    kept = guest(cloud, host, server_id)
    delete_all(alice, server_id)
    behind.driver(cloud, host).instances[server_id] = kept  # the hypervisor still has it
    with behind.overridden(cloud, "compute", running_deleted_instance_action=action,
                           running_deleted_instance_timeout=timeout):
        behind.agent(cloud, host).cleanup_running_deleted_instances(internal_context())
    found = behind.driver(cloud, host).instances.get(server_id)
    assert (found.power_state if found else None) == left
    behind.driver(cloud, host).instances.pop(server_id, None)
