"""GET /allocation_candidates on every database backend.

The search reads the trees in slices when a request has a limit, and asks
some questions differently per backend (arrays on PostgreSQL, IN lists
elsewhere; no transaction for reads on PostgreSQL). So, on each backend:
a fresh server's very first request can be a candidates query; a limited
answer is the first candidates of the whole answer (in this cloud, where
providers are made tree by tree, provider order is tree order), with the
summaries of their trees; and PostgreSQL and MariaDB answer exactly as
SQLite does.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from nimbus.common import config
from nimbus.common.db import Database, create_engine
from nimbus.common.policy import Policy
from nimbus.placement.service import Placement
from tests.support.backends import fresh_database
from tests.support.cloud import RunningPlacement

HEADERS = {"X-Auth-Token": "admin", "OpenStack-API-Version": "placement 1.39"}
NAMESPACE = uuid.UUID("0c0f0b0a-7f64-4e3c-9f0e-1d2a3b4c5d6e")
NODES = 45  # more trees than the first slice of a search with limit=1 holds
AGGREGATES = [str(uuid.uuid5(NAMESPACE, f"agg-{i}")) for i in range(2)]


def _node(i: int) -> str:
    return str(uuid.uuid5(NAMESPACE, f"node-{i}"))


def _child(i: int) -> str:
    return str(uuid.uuid5(NAMESPACE, f"node-{i}-gpu"))


QUERIES = [
    "resources=VCPU:1",
    "resources=VCPU:4,MEMORY_MB:1024",
    "resources=VCPU:1&required=CUSTOM_FAST",
    "resources=VCPU:1&required=!CUSTOM_FAST",
    "resources=VCPU:1,CUSTOM_GPU:1",
    "resources=VCPU:1&resources_GPU=CUSTOM_GPU:1&group_policy=isolate",
    "resources_A=VCPU:1&resources_B=MEMORY_MB:512&group_policy=none",
    "resources=VCPU:1&resources_GPU=CUSTOM_GPU:1&required_GPU=CUSTOM_GPU_FAST"
    "&group_policy=none",
    f"resources=VCPU:1&member_of={AGGREGATES[0]}",
    "resources=VCPU:1&root_required=CUSTOM_FAST",
    f"resources=VCPU:1,CUSTOM_GPU:1&in_tree={_node(6)}",
]


def _put(client: httpx.Client, path: str, body: Any, status: int = 200) -> None:
    response = client.put(path, json=body)
    assert response.status_code == status, response.text


def _build(url: str) -> None:
    """Nodes with VCPU, memory and disk, every third with a GPU child, every
    fourth fast, two aggregates, and some nodes nearly full."""
    with httpx.Client(base_url=url, headers=HEADERS, timeout=60) as client:
        _put(client, "/resource_classes/CUSTOM_GPU", None, 201)
        for name in ("CUSTOM_FAST", "CUSTOM_GPU_FAST"):
            _put(client, f"/traits/{name}", None, 201)
        for i in range(NODES):
            rp = _node(i)
            assert client.post("/resource_providers", json={
                "name": f"node-{i}", "uuid": rp}).status_code == 200
            _put(client, f"/resource_providers/{rp}/inventories", {
                "resource_provider_generation": 0, "inventories": {
                    "VCPU": {"total": 8}, "MEMORY_MB": {"total": 4096},
                    "DISK_GB": {"total": 100}}})
            _put(client, f"/resource_providers/{rp}/aggregates", {
                "resource_provider_generation": 1, "aggregates": [AGGREGATES[i % 2]]})
            if i % 4 == 0:
                _put(client, f"/resource_providers/{rp}/traits", {
                    "resource_provider_generation": 2, "traits": ["CUSTOM_FAST"]})
            if i % 3 == 0:
                kid = _child(i)
                assert client.post("/resource_providers", json={
                    "name": f"node-{i}-gpu", "uuid": kid,
                    "parent_provider_uuid": rp}).status_code == 200
                _put(client, f"/resource_providers/{kid}/inventories", {
                    "resource_provider_generation": 0,
                    "inventories": {"CUSTOM_GPU": {"total": 2}}})
                if i % 2 == 0:
                    _put(client, f"/resource_providers/{kid}/traits", {
                        "resource_provider_generation": 1, "traits": ["CUSTOM_GPU_FAST"]})
            if i % 7 == 0:
                _put(client, f"/allocations/{uuid.uuid5(NAMESPACE, f'vm-{i}')}", {
                    "allocations": {rp: {"resources": {"VCPU": 6}}}, "project_id": "p",
                    "user_id": "u", "consumer_generation": None,
                    "consumer_type": "INSTANCE"}, 204)


def _answers(url: str) -> dict[str, Any]:
    """Each query's answer, whole and with limits."""
    found: dict[str, Any] = {}
    with httpx.Client(base_url=url, headers=HEADERS, timeout=60) as client:
        for query in QUERIES:
            for limit in ("", "&limit=1", "&limit=2", "&limit=20"):
                response = client.get(f"/allocation_candidates?{query}{limit}")
                assert response.status_code == 200, response.text
                found[query + limit] = response.json()
    return found


@pytest.fixture(scope="module")
def answers(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    data_dir = str(tmp_path_factory.mktemp(f"candidates-{backend}"))
    with fresh_database(backend, data_dir, "placement") as url:
        running = RunningPlacement(data_dir, url)
        try:
            first = httpx.get(f"{running.placement_url}/allocation_candidates?resources=VCPU:1",
                              headers=HEADERS, timeout=60)
            assert first.status_code == 200, first.text  # the server's first request
            assert first.json() == {"allocation_requests": [], "provider_summaries": {}}
            _build(running.placement_url)
            yield _answers(running.placement_url)
        finally:
            running.stop()


@pytest.fixture(scope="module")
def sqlite_answers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    data_dir = str(tmp_path_factory.mktemp("candidates-reference"))
    with fresh_database("sqlite", data_dir, "placement") as url:
        running = RunningPlacement(data_dir, url)
        try:
            _build(running.placement_url)
            yield _answers(running.placement_url)
        finally:
            running.stop()


def _providers(requests: list[dict[str, Any]]) -> set[str]:
    return {rp for request in requests for rp in request["allocations"]}


@pytest.mark.parametrize("query", QUERIES)
def test_a_limit_keeps_the_first_candidates(answers: dict[str, Any], query: str) -> None:
    whole = answers[query]
    assert whole["allocation_requests"], "every query has candidates in this cloud"
    for limit in (1, 2, 20):
        limited = answers[f"{query}&limit={limit}"]
        assert limited["allocation_requests"] == whole["allocation_requests"][:limit]
        summaries = limited["provider_summaries"]
        assert _providers(limited["allocation_requests"]) <= set(summaries)
        assert all(whole["provider_summaries"][rp] == summary
                   for rp, summary in summaries.items())


def test_same_answers_as_sqlite(backend: str, answers: dict[str, Any],
                                sqlite_answers: dict[str, Any]) -> None:
    if backend == "sqlite":
        pytest.skip("the reference itself")
    assert answers == sqlite_answers


def test_reads_from_a_fresh_engine(backend: str, tmp_path: Any) -> None:
    """Placement's reader before and after its engine first connects (the
    dialect knows the server's isolation level only then): outside a
    transaction on PostgreSQL at READ COMMITTED, in one elsewhere."""
    conf = config.make_conf()
    with fresh_database(backend, str(tmp_path), "placement") as url:
        db = Database("placement", create_engine(url))
        try:
            service = Placement(conf, db, Policy(conf))
            for _ in range(2):
                with service.reader() as conn:
                    assert conn.execute(sa.text("SELECT 1")).scalar() == 1
                    level = conn.get_execution_options().get("isolation_level")
            assert (level == "AUTOCOMMIT") == (backend == "postgresql")
        finally:
            db.dispose()
