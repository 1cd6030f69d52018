"""Quotas under races: many boots at once never pass a limit (the count and
the new servers share a transaction under the project's lock), on every
database backend; and the conductor's recheck puts the servers of a request
that went over a limit lowered meanwhile in ERROR, with nothing claimed."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.functional.compute import behind
from tests.functional.compute.conftest import SERVICES, Person, new_flavor
from tests.functional.compute.test_scheduling import create, delete_all
from tests.functional.compute.test_servers import wait_for
from tests.support.backends import BACKENDS, fresh_database
from tests.support.cloud import RunningCloud
from tests.support.people import connect, new_member

BOOTS = 50


@pytest.fixture(scope="module", params=BACKENDS)
def cloud(request: pytest.FixtureRequest,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCloud]:
    """A cloud whose API database (where quotas are counted) is on each backend."""
    backend = str(request.param)
    data_dir = str(tmp_path_factory.mktemp(f"quota-{backend}"))
    with fresh_database("sqlite", data_dir, "identity") as identity, \
            fresh_database(backend, data_dir, "api") as api:
        running = RunningCloud(data_dir, identity, api={"enabled_services": SERVICES},
                               api_database={"connection": api})
        try:
            yield running
        finally:
            running.stop()


def person(cloud: RunningCloud, admin: Person) -> Person:
    who = new_member(admin.conn, "member")
    return Person(who.name, who.password, who.user_id, who.project_id,
                  connect(cloud, who.name, who.password, who.name), admin.base)


def boot_at_once(cloud: RunningCloud, someone: Person, image: str,
                 flavor: dict[str, Any]) -> Counter[int]:
    """BOOTS creates sent together (released by a barrier); their status codes."""
    start = threading.Barrier(BOOTS)
    body = {"server": {"name": "racer", "imageRef": image, "flavorRef": flavor["id"]}}
    # A session per thread, as BOOTS clients would have.
    people = [Person(someone.name, someone.password, someone.user_id, someone.project_id,
                     connect(cloud, someone.name, someone.password, someone.name),
                     someone.base) for _ in range(BOOTS)]
    for who in people:
        who.conn.session.get_token()  # authenticated before the race, not during it

    def boot(who: Person) -> tuple[int, Any]:
        start.wait()
        resp = who.http("POST", "/servers", json=body)
        return resp.status_code, resp.json()

    with ThreadPoolExecutor(BOOTS) as pool:
        answers = list(pool.map(boot, people))
    for status, answer in answers:
        if status == 403:
            assert answer["forbidden"]["message"].startswith("Quota exceeded for ")
    return Counter(status for status, _ in answers)


def settle(someone: Person) -> list[str]:
    """Every server of the project ACTIVE; their ids."""
    ids = [s["id"] for s in someone.http("GET", "/servers").json()["servers"]]
    for server_id in ids:
        wait_for(someone, server_id, "ACTIVE", timeout=60)
    return ids


@pytest.mark.slow
def test_fifty_boots_against_ten_instances(cloud: RunningCloud, admin: Person,
                                           image: str) -> None:
    racer = person(cloud, admin)
    flavor = new_flavor(admin, ram=64, vcpus=1, disk=1)
    codes = boot_at_once(cloud, racer, image, flavor)  # [quota] instances is 10
    assert codes == {202: 10, 403: BOOTS - 10}
    assert len(settle(racer)) == 10


@pytest.mark.slow
@pytest.mark.parametrize("limit,flavor_size,fits", [
    ({"cores": 10}, {"vcpus": 2, "ram": 64}, 5),
    ({"ram": 1024}, {"vcpus": 1, "ram": 256}, 4),
])
def test_fifty_boots_against_cores_and_ram(cloud: RunningCloud, admin: Person, image: str,
                                           limit: dict[str, int], flavor_size: dict[str, int],
                                           fits: int) -> None:
    racer = person(cloud, admin)
    behind.set_quota(cloud, racer.project_id, instances=-1, **limit)
    flavor = new_flavor(admin, disk=1, **flavor_size)
    codes = boot_at_once(cloud, racer, image, flavor)
    assert codes == {202: fits, 403: BOOTS - fits}
    assert len(settle(racer)) == fits


def test_recheck_refuses_what_a_lowered_limit_no_longer_allows(
        cloud: RunningCloud, admin: Person, image: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    racer = person(cloud, admin)
    flavor = new_flavor(admin, ram=64, vcpus=1, disk=1)
    sched = behind.scheduler(cloud)
    scheduled, go_on = threading.Event(), threading.Event()
    real = sched.select_destinations

    def schedule_then_wait(*args: Any, **kwargs: Any) -> Any:
        chosen = real(*args, **kwargs)
        scheduled.set()
        go_on.wait(20)
        return chosen

    monkeypatch.setattr(sched, "select_destinations", schedule_then_wait)
    ids = create(racer, image, flavor, min_count=2, max_count=2)
    assert scheduled.wait(20)
    behind.set_quota(cloud, racer.project_id, instances=1)  # lowered meanwhile
    go_on.set()
    for server_id in ids:
        body = wait_for(admin, server_id, "ERROR")
        assert body["fault"]["code"] == 413
        assert body["fault"]["message"] == ("Quota exceeded for instances: Requested 2, but "
                                            "already used 1 of 1 instances")
        assert body["OS-EXT-SRV-ATTR:host"] is None
        assert not behind.in_cell0(cloud, server_id)  # scheduled: in its cell
        assert behind.allocations(admin, cloud, server_id) == {}
    delete_all(racer, *ids)
    # Without the recheck the same race builds them.
    behind.set_quota(cloud, racer.project_id, instances=10)
    scheduled.clear()
    go_on.clear()
    with behind.overridden(cloud, "quota", recheck_quota=False):
        ids = create(racer, image, flavor, min_count=2, max_count=2)
        assert scheduled.wait(20)
        behind.set_quota(cloud, racer.project_id, instances=1)
        go_on.set()
        for server_id in ids:
            wait_for(racer, server_id, "ACTIVE")
    delete_all(racer, *ids)
