"""Builds that go wrong, each ending in a final state with placement exact:
failures rescheduled to an alternate (and past the last one, ERROR with
Nova's fault), deletes while scheduling and while spawning, an agent dying
mid-build, scheduling failures of every kind, and the build failure counter
the scheduler weighs."""

from __future__ import annotations

import datetime
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from nimbus.compute import exceptions as exc
from nimbus.compute.agent.manager import ComputeManager
from nimbus.compute.db.cell import services
from nimbus.compute.runtime import internal_context
from nimbus.compute.scheduler import groups
from nimbus.compute.virt.fake import FailureInjector
from tests.functional.compute import behind
from tests.functional.compute.conftest import SERVICES, Person, new_flavor
from tests.functional.compute.test_scheduling import create, delete_all, failed
from tests.functional.compute.test_servers import wait_for
from tests.support.backends import fresh_database
from tests.support.cloud import RunningCloud

DOWN_TIME = 5
HOSTS = ("host-1", "host-2")


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCloud]:
    """A cloud whose agents count as down 5 s after their last heartbeat."""
    data_dir = str(tmp_path_factory.mktemp("failures"))
    with fresh_database("sqlite", data_dir, "identity") as url:
        running = RunningCloud(data_dir, url, api={"enabled_services": SERVICES},
                               compute={"service_down_time": DOWN_TIME, "report_interval": 1})
        try:
            yield running
        finally:
            FailureInjector.clear()
            GRAVE.set()
            running.stop()


@pytest.fixture(autouse=True)
def no_leftover_failures() -> Iterator[None]:
    yield
    FailureInjector.clear()


@pytest.fixture(scope="module")
def flavor(admin: Person) -> dict[str, Any]:
    return new_flavor(admin, ram=128, vcpus=1, disk=1)


def task_state(admin: Person, server_id: str) -> str | None:
    found: str | None = behind.server(admin, server_id)["OS-EXT-STS:task_state"]
    return found


def spawning(admin: Person, server_id: str) -> str:
    """Wait until the server is spawning; its host."""
    behind.eventually(lambda: task_state(admin, server_id) == "spawning", what="spawning")
    return str(behind.host_of(admin, server_id))


def build_events(cloud: RunningCloud, server_id: str) -> list[tuple[str, str]]:
    return [(e["host"], e["result"]) for e in behind.events(cloud, server_id)
            if e["event"] == "compute_build_and_run_instance"]


def failed_builds(cloud: RunningCloud, host: str) -> int:
    from nimbus.compute.db.cell import compute_nodes

    with behind.cell_db(cloud).reader() as conn:
        (node,) = compute_nodes.list_nodes(conn, host=host)
    return int(node.stats.get("failed_builds", 0))


def other(host: str) -> str:
    return HOSTS[1] if host == HOSTS[0] else HOSTS[0]


def succeed_on(cloud: RunningCloud, admin: Person, image: str, flavor: dict[str, Any],
               host: str) -> None:
    """A successful build on `host` (forced), which resets its failure count."""
    behind.set_quota(cloud, admin.project_id, instances=-1, cores=-1, ram=-1)
    (server_id,) = create(admin, image, flavor, availability_zone=f"nova:{host}")
    wait_for(admin, server_id, "ACTIVE")
    delete_all(admin, server_id)


# --- build failures ------------------------------------------------------------------

def test_a_failed_build_is_rescheduled_and_counted(cloud: RunningCloud, admin: Person,
                                                   alice: Person, image: str,
                                                   flavor: dict[str, Any]) -> None:
    holds = [FailureInjector.hold(h, "spawn") for h in HOSTS]
    (server_id,) = create(alice, image, flavor)
    first = spawning(admin, server_id)
    FailureInjector.inject(first, "spawn")
    for hold in holds:
        hold.set()
    wait_for(alice, server_id, "ACTIVE")
    second = other(first)
    assert behind.host_of(admin, server_id) == second
    assert build_events(cloud, server_id) == [(first, "Error"), (second, "Success")]
    # The claim moved: only on the host it runs on.
    assert list(behind.allocations(admin, cloud, server_id)) == [behind.provider(cloud, second)]
    assert server_id not in behind.provider_consumers(admin, cloud, first)
    # The agent told the scheduler at once, which now keeps away from the
    # failing host although it is the emptier one.
    assert failed_builds(cloud, first) == 1 and failed_builds(cloud, second) == 0
    (next_one,) = create(alice, image, flavor)
    wait_for(alice, next_one, "ACTIVE")
    assert behind.host_of(admin, next_one) == second
    # A success on the failing host resets its count; it is chosen again.
    succeed_on(cloud, admin, image, flavor, first)
    assert failed_builds(cloud, first) == 0
    (after,) = create(alice, image, flavor)
    wait_for(alice, after, "ACTIVE")
    assert behind.host_of(admin, after) == first
    delete_all(alice, server_id, next_one, after)


def test_no_alternate_left_is_nova_retry_fault(cloud: RunningCloud, admin: Person,
                                              alice: Person, image: str,
                                              flavor: dict[str, Any]) -> None:
    for host in HOSTS:
        FailureInjector.inject(host, "spawn")
    (server_id,) = create(alice, image, flavor)
    body = wait_for(admin, server_id, "ERROR")
    assert body["fault"]["message"] == (
        "Exceeded maximum number of retries. Exhausted all hosts available for retrying "
        f"build failures for instance {server_id}.")
    assert body["OS-EXT-SRV-ATTR:host"] is None and body["OS-EXT-STS:task_state"] is None
    assert behind.allocations(admin, cloud, server_id) == {}
    assert sorted(h for h, result in build_events(cloud, server_id)) == sorted(HOSTS)
    for host in HOSTS:
        succeed_on(cloud, admin, image, flavor, host)
    delete_all(alice, server_id)


def test_without_retries_the_driver_error_is_the_fault(cloud: RunningCloud, admin: Person,
                                                       alice: Person, image: str,
                                                       flavor: dict[str, Any]) -> None:
    with behind.overridden(cloud, "scheduler", max_attempts=1):
        for host in HOSTS:
            FailureInjector.inject(host, "spawn", message="no disk")
        (server_id,) = create(alice, image, flavor)
        body = wait_for(admin, server_id, "ERROR")
    where = build_events(cloud, server_id)[0][0]
    assert body["fault"]["message"] == f"spawn failed on {where}: no disk"
    assert len(build_events(cloud, server_id)) == 1
    assert behind.allocations(admin, cloud, server_id) == {}
    succeed_on(cloud, admin, image, flavor, where)
    delete_all(alice, server_id)


# --- deletes during builds -------------------------------------------------------------

def test_delete_while_scheduling(cloud: RunningCloud, admin: Person, alice: Person,
                                 image: str, flavor: dict[str, Any],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    sched = behind.scheduler(cloud)
    claimed, go_on = threading.Event(), threading.Event()
    real = sched.select_destinations

    def claim_then_wait(*args: Any, **kwargs: Any) -> Any:
        chosen = real(*args, **kwargs)
        claimed.set()
        go_on.wait(20)
        return chosen

    monkeypatch.setattr(sched, "select_destinations", claim_then_wait)
    (server_id,) = create(alice, image, flavor)
    assert claimed.wait(20)
    assert behind.allocations(admin, cloud, server_id) != {}  # claimed, not yet in a cell
    assert alice.http("DELETE", f"/servers/{server_id}").status_code == 204
    go_on.set()
    wait_for(alice, server_id, "DELETED")
    behind.eventually(lambda: behind.allocations(admin, cloud, server_id) == {},
                      what="the claim given back")
    for host in HOSTS:
        assert server_id not in behind.driver(cloud, host).list_instance_uuids()


def test_delete_while_spawning(cloud: RunningCloud, admin: Person, alice: Person,
                               image: str, flavor: dict[str, Any]) -> None:
    holds = [FailureInjector.hold(h, "spawn") for h in HOSTS]
    (server_id,) = create(alice, image, flavor)
    host = spawning(admin, server_id)
    assert alice.http("DELETE", f"/servers/{server_id}").status_code == 204
    assert task_state(admin, server_id) == "deleting"
    for hold in holds:
        hold.set()
    wait_for(alice, server_id, "DELETED")
    assert behind.allocations(admin, cloud, server_id) == {}
    assert server_id not in behind.driver(cloud, host).list_instance_uuids()
    names = [e["event"] for e in behind.events(cloud, server_id)]
    assert names == ["compute_build_and_run_instance", "compute_terminate_instance"]
    assert failed_builds(cloud, host) == 0  # a delete is not the host's failure


# --- an agent dying mid-build ---------------------------------------------------------------

# Set when the module's cloud stops: the threads of dead agents may then end.
GRAVE = threading.Event()


class Dead:
    """What a crashed agent's clients do: nothing they send arrives, and the
    thread sending it never goes on (until the test cloud stops)."""

    def __getattr__(self, name: str) -> Any:
        def hang(*args: Any, **kwargs: Any) -> Any:
            GRAVE.wait()
            raise RuntimeError("this agent is dead")
        return hang


def kill(cloud: RunningCloud, host: str) -> ComputeManager:
    """Stop `host`'s agent as a crash would: no more messages or heartbeats,
    and what it was doing never reaches the conductor or placement."""
    manager = behind.runtime(cloud).stop_agent(host, wait=False)
    manager.conductor = manager.tracker.conductor = Dead()  # type: ignore[assignment]
    manager.placement = manager.tracker.placement = Dead()  # type: ignore[assignment]
    return manager


def wait_until_down(cloud: RunningCloud, host: str) -> None:
    def down() -> bool:
        with behind.cell_db(cloud).reader() as conn:
            (service,) = services.list_services(conn, host=host, binary="nova-compute")
        return not service.is_up(datetime.datetime.now(datetime.UTC), DOWN_TIME)
    behind.eventually(down, timeout=DOWN_TIME * 4, what=f"{host} down")


def test_agent_dies_mid_build_then_comes_back(cloud: RunningCloud, admin: Person,
                                              alice: Person, image: str,
                                              flavor: dict[str, Any]) -> None:
    holds = [FailureInjector.hold(h, "spawn") for h in HOSTS]
    (server_id,) = create(alice, image, flavor)
    host = spawning(admin, server_id)
    kill(cloud, host)
    for hold in holds:
        hold.set()  # the dead agent's thread finishes its spawn, and reaches no one
    assert task_state(admin, server_id) == "spawning"
    behind.runtime(cloud).start_agent(host)  # it comes back, and settles what it left
    body = wait_for(admin, server_id, "ERROR")
    assert body["fault"]["message"] == "The compute agent stopped while building the instance."
    assert body["OS-EXT-SRV-ATTR:host"] is None
    assert behind.allocations(admin, cloud, server_id) == {}
    delete_all(alice, server_id)


def test_server_deleted_while_its_agent_is_down(cloud: RunningCloud, admin: Person,
                                                alice: Person, image: str,
                                                flavor: dict[str, Any]) -> None:
    holds = [FailureInjector.hold(h, "spawn") for h in HOSTS]
    (server_id,) = create(alice, image, flavor)
    host = spawning(admin, server_id)
    dead = kill(cloud, host)
    wait_until_down(cloud, host)
    # The API deletes it without the agent, and gives the claim back itself.
    assert alice.http("DELETE", f"/servers/{server_id}").status_code == 204
    wait_for(alice, server_id, "DELETED")
    assert behind.allocations(admin, cloud, server_id) == {}
    for hold in holds:
        hold.set()
    # The hypervisor kept the guest the dead agent spawned.
    behind.eventually(lambda: server_id in dead.driver.list_instance_uuids(), what="guest")
    back = behind.runtime(cloud).start_agent(host)
    # The hypervisor of the agent that came back still runs the guest the
    # cell deleted: the periodic cleanup reaps it.
    fake = behind.driver(cloud, host)
    fake.instances[server_id] = dead.driver.instances[server_id]  # type: ignore[attr-defined]
    back.cleanup_running_deleted_instances(internal_context())
    assert server_id not in fake.list_instance_uuids()
    assert behind.allocations(admin, cloud, server_id) == {}


# --- scheduling failures of every kind --------------------------------------------------

@pytest.mark.parametrize("breakage,message,details", [
    ("candidates", "No valid host was found. ", "Placement said"),
    ("claims", "No valid host was found. There are not enough hosts available.",
     "Placement refused the claim"),
    ("bug", "RuntimeError", "RuntimeError: a scheduler bug"),
])
def test_scheduling_failures_end_in_cell0_with_nothing_claimed(
        cloud: RunningCloud, admin: Person, alice: Person, image: str,
        flavor: dict[str, Any], monkeypatch: pytest.MonkeyPatch, breakage: str,
        message: str, details: str) -> None:
    sched = behind.scheduler(cloud)
    if breakage == "candidates":
        def broken(*args: Any) -> Any:
            raise exc.PlacementError(status=503, method="GET", url="/allocation_candidates",
                                     detail="placement is down")
        monkeypatch.setattr(sched.placement, "allocation_candidates", broken)
    elif breakage == "claims":
        real_claim = sched.placement.claim
        calls: list[str] = []

        def second_claim_fails(consumer: str, *args: Any, **kwargs: Any) -> bool:
            calls.append(consumer)  # the first instance gets its claim, the second none
            return len(set(calls)) == 1 and bool(real_claim(consumer, *args, **kwargs))
        monkeypatch.setattr(sched.placement, "claim", second_claim_fails)
    else:
        def bug(*args: Any) -> Any:
            raise RuntimeError("a scheduler bug")
        monkeypatch.setattr(groups, "load", bug)
    ids = create(alice, image, flavor, min_count=2, max_count=2)
    for server_id in ids:
        fault = failed(admin, cloud, server_id)
        assert fault["message"] == message
        assert details in fault["details"]
    monkeypatch.undo()
    delete_all(alice, *ids)


def test_nothing_is_left_behind(cloud: RunningCloud, admin: Person) -> None:
    """After every failure above, placement and the hypervisors hold exactly
    what the cells say runs on each host."""
    from nimbus.compute.db.cell.instances import on_host

    for host in HOSTS:
        with behind.cell_db(cloud).reader() as conn:
            live = {r.uuid for r in on_host(conn, host)}
        assert behind.provider_consumers(admin, cloud, host) == live, host
        assert set(behind.driver(cloud, host).list_instance_uuids()) == live, host
