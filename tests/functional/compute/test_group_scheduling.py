"""Server group policies in the scheduler and on the agents: affinity and
anti-affinity (hard, soft, max_server_per_host of 2.64) across separate
requests and within one multi-create, from the members' hosts as they are
when the request is scheduled; the agents' last check when two requests race."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from nimbus.compute.scheduler import groups
from tests.functional.compute import behind
from tests.functional.compute.conftest import Person, new_flavor
from tests.functional.compute.test_scheduling import create, delete_all, failed
from tests.functional.compute.test_servers import wait_for
from tests.support.cloud import RunningCloud


@pytest.fixture(scope="module")
def flavor(admin: Person) -> dict[str, Any]:
    return new_flavor(admin, ram=128, vcpus=1, disk=1)


@pytest.fixture
def member(alice: Person, image: str, flavor: dict[str, Any]) -> Iterator[Any]:
    """Boots members of a group (ids of one request), deleted afterwards."""
    made: list[str] = []

    def boot(group: str, count: int = 1, **server: Any) -> list[str]:
        ids = create(alice, image, flavor, hints={"group": group}, min_count=count,
                     max_count=count, **server)
        made.extend(ids)
        return ids

    yield boot
    delete_all(alice, *made)


def active_hosts(admin: Person, alice: Person, ids: list[str]) -> list[str]:
    for server_id in ids:
        wait_for(alice, server_id, "ACTIVE")
    return [str(behind.host_of(admin, s)) for s in ids]


def test_anti_affinity_across_requests(cloud: RunningCloud, admin: Person, alice: Person,
                                       member: Any) -> None:
    group = behind.make_group(cloud, alice, "anti-affinity")
    (first,) = member(group)
    (second,) = member(group)
    assert sorted(active_hosts(admin, alice, [first, second])) == ["host-1", "host-2"]
    (third,) = member(group)
    fault = failed(admin, cloud, third)
    assert fault["message"] == "No valid host was found. There are not enough hosts available."
    assert "'ServerGroupAntiAffinityFilter: (start: 2, end: 0)'" in fault["details"]


def test_anti_affinity_within_one_request(cloud: RunningCloud, admin: Person, alice: Person,
                                          member: Any) -> None:
    pair = member(behind.make_group(cloud, alice, "anti-affinity"), 2)
    assert sorted(active_hosts(admin, alice, pair)) == ["host-1", "host-2"]
    # Three cannot fit on two hosts: none of them is built (all or nothing).
    trio = member(behind.make_group(cloud, alice, "anti-affinity"), 3)
    for server_id in trio:
        failed(admin, cloud, server_id)


def test_max_server_per_host(cloud: RunningCloud, admin: Person, alice: Person,
                             member: Any) -> None:
    group = behind.make_group(cloud, alice, "anti-affinity", {"max_server_per_host": 2})
    ids = member(group, 2) + member(group, 2)
    assert Counter(active_hosts(admin, alice, ids)) == {"host-1": 2, "host-2": 2}
    (fifth,) = member(group)
    failed(admin, cloud, fifth)


def test_affinity_across_and_within_requests(cloud: RunningCloud, admin: Person,
                                             alice: Person, member: Any) -> None:
    group = behind.make_group(cloud, alice, "affinity")
    (first,) = member(group)
    (where,) = active_hosts(admin, alice, [first])
    rest = member(group, 2)
    assert active_hosts(admin, alice, rest) == [where, where]


def test_soft_policies_weigh_without_refusing(cloud: RunningCloud, admin: Person,
                                             alice: Person, member: Any) -> None:
    spread = member(behind.make_group(cloud, alice, "soft-anti-affinity"), 3)
    assert sorted(Counter(active_hosts(admin, alice, spread)).values()) == [1, 2]
    # By default soft-affinity weighs as much as the I/O operations a build
    # adds to its host (Nova's multipliers, both 1): make it count more.
    together = behind.make_group(cloud, alice, "soft-affinity")
    with behind.overridden(cloud, "filter_scheduler", soft_affinity_weight_multiplier=10.0):
        ids = member(together, 3)
        hosts = active_hosts(admin, alice, ids)
        (later,) = member(together)  # a later request follows the members
        hosts += active_hosts(admin, alice, [later])
    assert len(set(hosts)) == 1


def test_a_policy_whose_plugin_is_off_is_refused(cloud: RunningCloud, admin: Person,
                                                 alice: Person, member: Any) -> None:
    sched = behind.scheduler(cloud)
    sched.enabled.discard("ServerGroupSoftAffinityWeigher")
    try:
        (refused,) = member(behind.make_group(cloud, alice, "soft-affinity"))
        fault = failed(admin, cloud, refused)
        assert fault["message"] == ("ServerGroup policy is not supported: "
                                    "ServerGroupSoftAffinityWeigher not configured")
    finally:
        sched.enabled.add("ServerGroupSoftAffinityWeigher")


def test_agents_last_check_refuses_a_forced_host(cloud: RunningCloud, admin: Person,
                                                 alice: Person, image: str,
                                                 flavor: dict[str, Any]) -> None:
    """A forced host skips the filters (Nova); the agent's check still holds
    the policy, and without retries (forced) the server ends in ERROR."""
    group = behind.make_group(cloud, alice, "anti-affinity")
    (first,) = create(alice, image, flavor, hints={"group": group})
    (where,) = active_hosts(admin, alice, [first])
    behind.set_quota(cloud, admin.project_id, instances=-1)
    (forced,) = create(admin, image, flavor, hints={"group": group},
                       availability_zone=f"nova:{where}")
    body = wait_for(admin, forced, "ERROR")
    assert body["fault"]["message"] == "Anti-affinity instance group policy was violated"
    assert body["OS-EXT-SRV-ATTR:host"] is None
    assert behind.allocations(admin, cloud, forced) == {}
    build = [e for e in behind.events(cloud, forced)
             if e["event"] == "compute_build_and_run_instance"]
    assert [(e["host"], e["result"]) for e in build] == [(where, "Error")]
    assert "GroupAffinityViolation" in build[0]["traceback"]
    delete_all(admin, forced)
    delete_all(alice, first)


def test_racing_requests_are_sorted_out_by_the_agents(
        cloud: RunningCloud, admin: Person, alice: Person, image: str,
        flavor: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """Two requests read the group before either placed its member (the
    scheduler is made to wait for both), so both choose the same host; the
    agent's check sends one of them on to the other host."""
    group = behind.make_group(cloud, alice, "anti-affinity")
    both_read = threading.Barrier(2, timeout=20)
    real_load = groups.load

    def load_together(*args: Any) -> Any:
        view = real_load(*args)
        both_read.wait()
        return view

    monkeypatch.setattr(groups, "load", load_together)
    with ThreadPoolExecutor(2) as pool:
        ids = [f.result()[0] for f in [pool.submit(create, alice, image, flavor,
                                                   {"group": group}) for _ in range(2)]]
    # (Scheduling happens after the 202s: the patch stays until both are built.)
    assert sorted(active_hosts(admin, alice, ids)) == ["host-1", "host-2"]
    assert not both_read.broken
    builds = {s: [(e["host"], e["result"]) for e in behind.events(cloud, s)
                  if e["event"] == "compute_build_and_run_instance"] for s in ids}
    moved = [s for s, found in builds.items() if len(found) == 2]
    assert len(moved) == 1, builds
    (first_try, second_try) = builds[moved[0]]
    assert first_try[1] == "Error" and second_try == (behind.host_of(admin, moved[0]),
                                                      "Success")
    assert first_try[0] != second_try[0]
    # The claim moved with it: one allocation, on the host it runs on.
    claimed = behind.allocations(admin, cloud, moved[0])
    assert list(claimed) == [behind.provider(cloud, second_try[0])]
    delete_all(alice, *ids)
