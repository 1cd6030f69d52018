"""16 clients racing for the last units of a provider never over-allocate,
on every database backend."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.support.backends import fresh_database
from tests.support.cloud import RunningPlacement

CLIENTS = 16
HEADERS = {"X-Auth-Token": "admin", "OpenStack-API-Version": "placement 1.39"}


@pytest.fixture(scope="module")
def placement(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningPlacement]:
    data_dir = str(tmp_path_factory.mktemp(f"claims-{backend}"))
    with fresh_database(backend, data_dir, "placement") as url:
        running = RunningPlacement(data_dir, url)
        try:
            yield running
        finally:
            running.stop()


def _claim(url: str, rp: str, amount: int, start: threading.Barrier, results: list[int]) -> None:
    body = {"allocations": {rp: {"resources": {"VCPU": amount}}},
            "project_id": "p", "user_id": "u", "consumer_generation": None,
            "consumer_type": "INSTANCE"}
    with httpx.Client(base_url=url, headers=HEADERS, timeout=60) as client:
        start.wait()
        response = client.put(f"/allocations/{uuid.uuid4()}", json=body)
    results.append(response.status_code)


@pytest.mark.parametrize(("total", "taken", "amount"), [(10, 7, 1), (64, 40, 2), (16, 0, 3)])
def test_racing_claims_never_over_allocate(placement: RunningPlacement, total: int, taken: int,
                                           amount: int) -> None:
    url = placement.placement_url
    rp = str(uuid.uuid4())
    with httpx.Client(base_url=url, headers=HEADERS, timeout=60) as client:
        assert client.post("/resource_providers", json={"name": rp, "uuid": rp}).status_code == 200
        assert client.put(f"/resource_providers/{rp}/inventories", json={
            "resource_provider_generation": 0,
            "inventories": {"VCPU": {"total": total}}}).status_code == 200
        if taken:
            assert client.put(f"/allocations/{uuid.uuid4()}", json={
                "allocations": {rp: {"resources": {"VCPU": taken}}}, "project_id": "p",
                "user_id": "u", "consumer_generation": None,
                "consumer_type": "INSTANCE"}).status_code == 204

    start = threading.Barrier(CLIENTS)
    results: list[int] = []
    threads = [threading.Thread(target=_claim, args=(url, rp, amount, start, results))
               for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    winners = (total - taken) // amount
    assert len(results) == CLIENTS
    assert sorted(results) == [204] * min(winners, CLIENTS) + [409] * (CLIENTS - winners), results
    with httpx.Client(base_url=url, headers=HEADERS, timeout=60) as client:
        usages = client.get(f"/resource_providers/{rp}/usages").json()["usages"]
        allocations = client.get(f"/resource_providers/{rp}/allocations").json()["allocations"]
    expected = taken + amount * min(winners, CLIENTS)
    assert usages == {"VCPU": expected}
    assert sum(a["resources"]["VCPU"] for a in allocations.values()) == expected
