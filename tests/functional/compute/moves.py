"""What the tests of resize, migrations and evacuation share: actions over
HTTP, placement's view of a server and its migrations, the hosts' drivers,
and the cell database behind the API."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Iterator
from typing import Any

from nimbus.compute.db.cell import actions, services
from nimbus.compute.runtime import ComputeRuntime
from nimbus.compute.virt.fake import FakeDriver
from tests.functional.compute.conftest import Person
from tests.support.cloud import RunningCloud

RESOURCES = ("VCPU", "MEMORY_MB", "DISK_GB")


def action(person: Person, server_id: str, body: dict[str, Any], version: str = "2.1") -> Any:
    return person.http("POST", f"/servers/{server_id}/action", json=body, version=version)


def runtime(cloud: RunningCloud) -> ComputeRuntime:
    found = cloud.deployment.compute_runtime
    assert found is not None
    return found


def driver(cloud: RunningCloud, host: str) -> FakeDriver:
    found = runtime(cloud).agents[host].driver
    assert isinstance(found, FakeDriver)
    return found


def provider(cloud: RunningCloud, host: str) -> str:
    """The resource provider (compute node) uuid of a host."""
    return runtime(cloud).agents[host].tracker.node_uuids[host]


def held(admin: Person, cloud: RunningCloud, consumer: str) -> dict[str, dict[str, int]]:
    """host -> resources `consumer` holds there in placement."""
    resp = admin.conn.session.get(f"{cloud.url}/placement/allocations/{consumer}",
                                  headers={"OpenStack-API-Version": "placement 1.28"})
    assert resp.status_code == 200, resp.text
    by_rp = {rp: a["resources"] for rp, a in resp.json()["allocations"].items()}
    hosts = {provider(cloud, h): h for h in cloud.hosts}
    return {hosts[rp]: resources for rp, resources in by_rp.items()}


def sizes(flavor: dict[str, Any]) -> dict[str, int]:
    return {"VCPU": flavor["vcpus"], "MEMORY_MB": flavor["ram"], "DISK_GB": flavor["disk"]}


def server_body(admin: Person, server_id: str, version: str = "2.1") -> dict[str, Any]:
    resp = admin.http("GET", f"/servers/{server_id}", version=version)
    assert resp.status_code == 200, resp.text
    return dict(resp.json()["server"])


def host_of(admin: Person, server_id: str) -> str:
    return str(server_body(admin, server_id)["OS-EXT-SRV-ATTR:host"])


def other(cloud: RunningCloud, host: str) -> str:
    (found,) = [h for h in cloud.hosts if h != host]
    return found


def migrations(admin: Person, server_id: str, version: str = "2.80") -> list[dict[str, Any]]:
    """The server's migrations, newest first, as GET /os-migrations shows them."""
    resp = admin.http("GET", f"/os-migrations?instance_uuid={server_id}", version=version)
    assert resp.status_code == 200, resp.text
    return list(resp.json()["migrations"])


def wait_migration(admin: Person, server_id: str, status: str, timeout: float = 30,
                   nth: int = 1) -> dict[str, Any]:
    """The server's newest migration once it is `status` and the server has
    had `nth` migrations (the newest of earlier ones may have that status too)."""
    deadline = time.monotonic() + timeout
    while True:
        found = migrations(admin, server_id)
        if len(found) >= nth and found[0]["status"] == status:
            return found[0]
        if time.monotonic() > deadline:
            raise AssertionError(f"the migration of {server_id} is "
                                 f"{found[0]['status'] if found else None}, not {status}")
        time.sleep(0.05)


def wait_task(admin: Person, server_id: str, task: str | None,
              timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        body = server_body(admin, server_id)
        if body["OS-EXT-STS:task_state"] == task:
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"server {server_id} is {body['OS-EXT-STS:task_state']}, "
                                 f"not {task}")
        time.sleep(0.05)


def instance_actions(cloud: RunningCloud, server_id: str) -> list[dict[str, Any]]:
    """The server's instance actions with their events, newest first, from its cell."""
    cells = runtime(cloud).cells
    cell = cells.for_instance(server_id)
    assert cell is not None
    with cells.db(cell).reader() as conn:
        found = actions.list_for(conn, server_id)
        return [actions.get(conn, server_id, a["request_id"]) for a in found]


def events(cloud: RunningCloud, server_id: str, name: str,
           timeout: float = 10) -> dict[str, str | None]:
    """event -> result of the newest action `name` of the server, once every
    event it has finished (an agent finishes its event after its last write)."""
    deadline = time.monotonic() + timeout
    while True:
        found = next((a for a in instance_actions(cloud, server_id) if a["action"] == name),
                     None)
        results = {e["event"]: e["result"] for e in (found or {}).get("events", [])}
        if results and None not in results.values():
            return results
        if time.monotonic() > deadline:
            raise AssertionError(f"action {name} of {server_id} has events {results}")
        time.sleep(0.05)


def wait_fault(person: Person, server_id: str, timeout: float = 10) -> dict[str, Any]:
    """The server in ERROR with its fault (recorded just after the state)."""
    deadline = time.monotonic() + timeout
    while True:
        body = server_body(person, server_id)
        if body["status"] == "ERROR" and "fault" in body:
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"server {server_id} is {body['status']} without a fault")
        time.sleep(0.05)


def wait_gone(person: Person, server_id: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while person.http("GET", f"/servers/{server_id}").status_code != 404:
        if time.monotonic() > deadline:
            raise AssertionError(f"server {server_id} is still there")
        time.sleep(0.05)


@contextlib.contextmanager
def forced_down(cloud: RunningCloud, host: str) -> Iterator[None]:
    """The agent of `host` counts as down (as os-services force-down makes it)."""
    cells = runtime(cloud).cells
    cell = cells.for_host(host)
    with cells.db(cell).writer() as conn:
        (service,) = services.list_services(conn, host=host, binary="nova-compute")
        services.update(conn, service.id, {"forced_down": True})
    try:
        yield
    finally:
        with cells.db(cell).writer() as conn:
            services.update(conn, service.id, {"forced_down": False})


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"
