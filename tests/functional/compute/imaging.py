"""Helpers of the tests of server actions that involve images: actions over
HTTP, the image service's view of an image, the agent a server runs on,
and the task states an agent went through."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from nimbus.compute.agent.manager import ComputeManager
from nimbus.compute.db.cell import actions as cell_actions
from tests.functional.compute.conftest import Person
from tests.support.cloud import RunningCloud


def action(person: Person, server_id: str, body: dict[str, Any], version: str = "2.1") -> Any:
    return person.http("POST", f"/servers/{server_id}/action", json=body, version=version)


def glance(person: Person, cloud: RunningCloud, image_id: str) -> Any:
    """GET /v2/images/{id} from the image service, as `person`."""
    return person.conn.session.get(f"{cloud.url}/image/v2/images/{image_id}",
                                   raise_exc=False)


def wait_image(person: Person, cloud: RunningCloud, image_id: str, status: str = "active",
               timeout: float = 30) -> dict[str, Any]:
    """The image once it has `status` ("gone": once it is deleted)."""
    deadline = time.monotonic() + timeout
    while True:
        resp = glance(person, cloud, image_id)
        if status == "gone" and resp.status_code == 404:
            return {}
        if resp.status_code == 200 and resp.json()["status"] == status:
            return dict(resp.json())
        if time.monotonic() > deadline:
            raise AssertionError(f"image {image_id} is not {status}: {resp.status_code} "
                                 f"{resp.text[:300]}")
        time.sleep(0.05)


def wait_task_done(person: Person, server_id: str, status: str,
                   timeout: float = 30) -> dict[str, Any]:
    """The server once it shows `status` with no task running."""
    deadline = time.monotonic() + timeout
    while True:
        body = person.http("GET", f"/servers/{server_id}", version="2.1").json()["server"]
        if body["status"] == status and body["OS-EXT-STS:task_state"] is None:
            return dict(body)
        if time.monotonic() > deadline:
            raise AssertionError(f"server {server_id} is {body['status']} "
                                 f"({body['OS-EXT-STS:task_state']}), not {status}")
        time.sleep(0.05)


def agent_of(cloud: RunningCloud, admin: Person, server_id: str) -> ComputeManager:
    host = admin.http("GET", f"/servers/{server_id}").json()["server"]["OS-EXT-SRV-ATTR:host"]
    return cloud.deployment.compute_runtime.agents[host]


def instance_action(cloud: RunningCloud, server_id: str, request_id: str) -> dict[str, Any]:
    """The instance action of a request, with its events, from the server's cell."""
    runtime = cloud.deployment.compute_runtime
    for cell in runtime.cells.all(include_cell0=False):
        with runtime.cells.db(cell).reader() as conn:
            try:
                return cell_actions.get(conn, server_id, request_id)
            except Exception:
                continue
    raise AssertionError(f"no action {request_id} for {server_id}")


@contextmanager
def task_states(agent: ComputeManager) -> Iterator[list[str | None]]:
    """The task states the agent sets while the block runs, in order."""
    seen: list[str | None] = []
    original = agent._update

    def recording(ctxt: Any, instance: Any, values: dict[str, Any],
                  expected: list[str | None] | None = None) -> Any:
        result = original(ctxt, instance, values, expected)
        if "task_state" in values:
            seen.append(values["task_state"])
        return result

    agent._update = recording  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        del agent._update


@contextmanager
def paused_snapshots(agent: ComputeManager) -> Iterator[tuple[threading.Event,
                                                              threading.Event]]:
    """Snapshots on this agent stop once the disk is captured (the image is
    still queued) until the second event is set; the first says one got there."""
    reached, release = threading.Event(), threading.Event()
    original: Callable[..., Any] = agent.driver.snapshot

    def snapshot(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        reached.set()
        release.wait(30)
        return result

    agent.driver.snapshot = snapshot  # type: ignore[method-assign]
    try:
        yield reached, release
    finally:
        release.set()
        del agent.driver.snapshot
