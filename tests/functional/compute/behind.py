"""What the scheduling and failure tests look at or set up behind the API: the
running compute services, placement, the cell databases, and API-database
rows (aggregates, server groups, quotas) whose own APIs live elsewhere."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from nimbus.common.db import Database
from nimbus.common.db.types import utcnow
from nimbus.compute import quotas
from nimbus.compute.agent.manager import ComputeManager
from nimbus.compute.db import server_groups
from nimbus.compute.db.cell import actions as cell_actions
from nimbus.compute.db.cell import services
from nimbus.compute.db.cell.models import instances as instances_table
from nimbus.compute.db.models import aggregate_hosts, aggregate_metadata, aggregates
from nimbus.compute.runtime import ComputeRuntime, internal_context
from nimbus.compute.scheduler.manager import SchedulerManager
from nimbus.compute.virt.fake import FakeDriver
from tests.functional.compute.conftest import Person
from tests.support.cloud import RunningCloud

PLACEMENT_VERSION = {"OpenStack-API-Version": "placement 1.39"}


def runtime(cloud: RunningCloud) -> ComputeRuntime:
    found = cloud.deployment.compute_runtime
    assert found is not None
    return found


def scheduler(cloud: RunningCloud) -> SchedulerManager:
    found = runtime(cloud).scheduler
    assert found is not None
    return found


def agent(cloud: RunningCloud, host: str) -> ComputeManager:
    return runtime(cloud).agents[host]


def driver(cloud: RunningCloud, host: str) -> FakeDriver:
    found = agent(cloud, host).driver
    assert isinstance(found, FakeDriver)
    return found


def report(cloud: RunningCloud, *hosts: str) -> None:
    """Each agent's periodic resource report, now."""
    for host in hosts or tuple(runtime(cloud).agents):
        agent(cloud, host).update_available_resource(internal_context())


def api_db(cloud: RunningCloud) -> Database:
    return cloud.deployment.database("api")


def cell_db(cloud: RunningCloud) -> Database:
    return cloud.deployment.database("cell")


def cell0_db(cloud: RunningCloud) -> Database:
    return cloud.deployment.database("cell0")


# --- placement -------------------------------------------------------------------

def placement(admin: Person, cloud: RunningCloud, method: str, path: str,
              json: Any = None) -> Any:
    return admin.conn.session.request(f"{cloud.url}/placement{path}", method, json=json,
                                      headers=PLACEMENT_VERSION, raise_exc=False)


def provider(cloud: RunningCloud, host: str) -> str:
    return agent(cloud, host).tracker.node_uuids[host]


def allocations(admin: Person, cloud: RunningCloud, consumer: str) -> dict[str, Any]:
    return dict(placement(admin, cloud, "GET", f"/allocations/{consumer}").json()["allocations"])


def provider_consumers(admin: Person, cloud: RunningCloud, host: str) -> set[str]:
    path = f"/resource_providers/{provider(cloud, host)}/allocations"
    return set(placement(admin, cloud, "GET", path).json()["allocations"])


def traits(admin: Person, cloud: RunningCloud, host: str) -> set[str]:
    path = f"/resource_providers/{provider(cloud, host)}/traits"
    return set(placement(admin, cloud, "GET", path).json()["traits"])


def add_trait(admin: Person, cloud: RunningCloud, host: str, trait: str) -> None:
    placement(admin, cloud, "PUT", f"/traits/{trait}")
    path = f"/resource_providers/{provider(cloud, host)}/traits"
    for _attempt in range(5):  # the agent's own report may move the generation meanwhile
        current = placement(admin, cloud, "GET", path).json()
        wanted = sorted(set(current["traits"]) | {trait})
        resp = placement(admin, cloud, "PUT", path, json={
            "traits": wanted,
            "resource_provider_generation": current["resource_provider_generation"]})
        if resp.status_code != 409:
            break
    assert resp.status_code == 200, resp.text


# --- the API database ---------------------------------------------------------------

def make_aggregate(admin: Person, cloud: RunningCloud, hosts: list[str],
                   metadata: dict[str, str], mirror: bool = True) -> str:
    """A host aggregate, mirrored into placement as Nova's aggregate API does."""
    agg_uuid = str(uuid.uuid4())
    now = utcnow()
    with api_db(cloud).writer() as conn:
        agg_id = conn.execute(sa.insert(aggregates).values(
            uuid=agg_uuid, name=f"agg-{agg_uuid[:8]}", created_at=now)).inserted_primary_key[0]
        for host in hosts:
            conn.execute(sa.insert(aggregate_hosts).values(aggregate_id=agg_id, host=host,
                                                           created_at=now))
        for key, value in metadata.items():
            conn.execute(sa.insert(aggregate_metadata).values(
                aggregate_id=agg_id, key=key, value=value, created_at=now))
    if mirror:
        for host in hosts:
            runtime(cloud).placement.add_to_aggregate(provider(cloud, host), agg_uuid)
    return agg_uuid


def drop_aggregate(cloud: RunningCloud, agg_uuid: str, hosts: list[str]) -> None:
    with api_db(cloud).writer() as conn:
        conn.execute(sa.delete(aggregates).where(aggregates.c.uuid == agg_uuid))
    for host in hosts:
        runtime(cloud).placement.remove_from_aggregate(provider(cloud, host), agg_uuid)


def make_group(cloud: RunningCloud, person: Person, policy: str,
               rules: dict[str, Any] | None = None) -> str:
    with api_db(cloud).writer() as conn:
        group = server_groups.create(conn, f"g-{uuid.uuid4().hex[:6]}", person.project_id,
                                     person.user_id, policy, rules)
    return str(group["uuid"])


def set_quota(cloud: RunningCloud, project_id: str, **limits: int) -> None:
    with api_db(cloud).writer() as conn:
        quotas.set_limits(conn, project_id, None, limits)


# --- the cells ---------------------------------------------------------------------------

def events(cloud: RunningCloud, server_id: str) -> list[dict[str, Any]]:
    """Every event of every action of a server, oldest first, with its action's name."""
    found = []
    for db in (cell_db(cloud), cell0_db(cloud)):
        with db.reader() as conn:
            for action in reversed(cell_actions.list_for(conn, server_id)):
                full = cell_actions.get(conn, server_id, action["request_id"])
                found += [{**e, "action": full["action"], "message": full["message"]}
                          for e in full["events"]]
    return found


def actions_of(cloud: RunningCloud, server_id: str) -> list[dict[str, Any]]:
    with cell_db(cloud).reader() as conn:
        return list(reversed(cell_actions.list_for(conn, server_id)))


def in_cell0(cloud: RunningCloud, server_id: str) -> bool:
    with cell0_db(cloud).reader() as conn:
        return conn.execute(sa.select(instances_table.c.id).where(
            instances_table.c.uuid == server_id)).first() is not None


def set_service(cloud: RunningCloud, host: str, **values: Any) -> None:
    with cell_db(cloud).writer() as conn:
        (service,) = services.list_services(conn, host=host, binary="nova-compute")
        services.update(conn, service.id, values)


# --- waiting -------------------------------------------------------------------------------

def eventually(check: Callable[[], Any], timeout: float = 20, what: str = "") -> Any:
    """Poll `check` until it returns something true; that value."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        time.sleep(0.05)


def server(person: Person, server_id: str, version: str = "2.1") -> dict[str, Any]:
    resp = person.http("GET", f"/servers/{server_id}", version=version)
    assert resp.status_code == 200, resp.text
    return dict(resp.json()["server"])


def host_of(admin: Person, server_id: str) -> str | None:
    found: str | None = server(admin, server_id)["OS-EXT-SRV-ATTR:host"]
    return found


@contextmanager
def overridden(cloud: RunningCloud, group: str, **values: Any) -> Iterator[None]:
    """Configuration options changed for the duration (services read them per call)."""
    for key, value in values.items():
        cloud.conf.set_override(key, value, group=group)
    try:
        yield
    finally:
        for key in values:
            cloud.conf.clear_override(key, group=group)


@contextmanager
def with_filters(cloud: RunningCloud, *names: str) -> Iterator[None]:
    """The scheduler runs these filters too for the duration."""
    from nimbus.compute.scheduler import framework

    manager = scheduler(cloud)
    before = list(manager.filters)
    manager.filters = before + framework.load_filters(cloud.conf, list(names))
    try:
        yield
    finally:
        manager.filters = before
