"""rescue and unrescue through openstacksdk, the CLI and HTTP: RESCUE with the
rescue image asked for (or the server's own), the adminPass answer, the
states they are allowed from, and a driver failure that ends in ERROR."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from nimbus.compute.virt.fake import FailureInjector
from tests.functional.compute.conftest import Person, new_flavor
from tests.functional.compute.imaging import (
    action,
    agent_of,
    instance_action,
    task_states,
    wait_task_done,
)
from tests.functional.compute.test_cli import _env
from tests.functional.compute.test_servers import boot, wait_for
from tests.support.cli import cli
from tests.support.cloud import RunningCloud


@pytest.fixture(scope="module")
def flavor(admin: Person) -> dict[str, Any]:
    return new_flavor(admin, ram=128, vcpus=1, disk=1)


@pytest.fixture
def server(alice: Person, image: str, flavor: dict[str, Any]) -> Iterator[str]:
    created = boot(alice, image, flavor)
    wait_for(alice, created["id"], "ACTIVE")
    yield created["id"]
    alice.http("DELETE", f"/servers/{created['id']}")


def test_sdk_rescue_and_unrescue(cloud: RunningCloud, admin: Person, alice: Person,
                                 server: str, image: str) -> None:
    agent = agent_of(cloud, admin, server)
    with task_states(agent) as seen:
        alice.conn.compute.rescue_server(server, admin_pass="let-me-in")
        shown = wait_task_done(alice, server, "RESCUE")
    assert seen == [None]
    assert (shown["OS-EXT-STS:vm_state"], shown["OS-EXT-STS:power_state"]) == ("rescued", 1)
    fake = agent.driver.instances[server]
    assert fake.rescued and fake.rescue_image_id == image  # the server's own image
    resp = action(alice, server, {"rescue": None})
    assert resp.status_code == 409
    assert resp.json()["conflictingRequest"]["message"] == (
        f"Cannot 'rescue' instance {server} while it is in vm_state rescued")
    alice.conn.compute.unrescue_server(server)
    shown = wait_task_done(alice, server, "ACTIVE")
    assert not agent.driver.instances[server].rescued
    assert action(alice, server, {"unrescue": None}).status_code == 409


def test_rescue_answers_and_images(cloud: RunningCloud, alice: Person, admin: Person,
                                   server: str) -> None:
    resp = action(alice, server, {"rescue": None})
    assert resp.status_code == 200, resp.text
    assert set(resp.json()) == {"adminPass"} and len(resp.json()["adminPass"]) >= 8
    wait_task_done(alice, server, "RESCUE")
    assert action(alice, server, {"unrescue": None}).status_code == 202
    wait_task_done(alice, server, "ACTIVE")
    # A rescue image of the caller's choosing, from a stopped server.
    rescuer = alice.conn.image.create_image(name="rescuer", disk_format="raw",
                                            container_format="bare", data=b"\0" * 512)
    alice.conn.compute.stop_server(server)
    wait_for(alice, server, "SHUTOFF")
    resp = action(alice, server, {"rescue": {"rescue_image_ref": rescuer.id}})
    assert resp.status_code == 200, resp.text
    wait_task_done(alice, server, "RESCUE")
    assert agent_of(cloud, admin, server).driver.instances[server].rescue_image_id == \
        rescuer.id
    record = instance_action(cloud, server, resp.headers["x-openstack-request-id"])
    assert [(e["event"], e["result"]) for e in record["events"]] == \
        [("compute_rescue_instance", "Success")]
    # Without instance passwords, the answer is empty.
    assert action(alice, server, {"unrescue": None}).status_code == 202
    wait_task_done(alice, server, "ACTIVE")
    cloud.conf.set_override("enable_instance_password", False, group="compute")
    try:
        resp = action(alice, server, {"rescue": {"adminPass": "x"}})
    finally:
        cloud.conf.clear_override("enable_instance_password", group="compute")
    assert (resp.status_code, resp.json()) == (200, {})
    wait_task_done(alice, server, "RESCUE")
    alice.conn.image.delete_image(rescuer)


def test_bad_rescues(alice: Person, admin: Person, make_person: Callable[..., Person],
                     server: str) -> None:
    missing = str(uuid.uuid4())
    resp = action(alice, server, {"rescue": {"rescue_image_ref": missing}})
    assert resp.status_code == 400
    assert resp.json()["badRequest"]["message"] == \
        f"Requested rescue image '{missing}' is not supported"
    for body in ({"rescue": {"rescue_image_ref": "nope"}}, {"rescue": {"other": 1}},
                 {"rescue": "x"}):
        assert action(alice, server, body).status_code == 400, body
    assert action(make_person(), server, {"rescue": None}).status_code == 404
    shown = alice.http("GET", f"/servers/{server}").json()["server"]
    assert (shown["status"], shown["OS-EXT-STS:task_state"]) == ("ACTIVE", None)


def test_a_failed_rescue_is_error_and_rescue_heals_errors(
        cloud: RunningCloud, admin: Person, alice: Person, server: str) -> None:
    FailureInjector.inject(agent_of(cloud, admin, server).host, "rescue")
    assert action(alice, server, {"rescue": None}).status_code == 200
    shown = wait_task_done(alice, server, "ERROR")
    assert shown["fault"]["message"].startswith(f"Instance {server} cannot be rescued")
    # ERROR servers may be rescued (that is what rescue is for).
    assert action(alice, server, {"rescue": None}).status_code == 200
    wait_task_done(alice, server, "RESCUE")
    # A failed unrescue is ERROR too.
    FailureInjector.inject(agent_of(cloud, admin, server).host, "unrescue")
    assert action(alice, server, {"unrescue": None}).status_code == 202
    shown = wait_task_done(alice, server, "ERROR")
    assert shown["fault"]["message"].startswith(f"Unrescue of instance {server} failed")


def test_cli_rescue(cloud: RunningCloud, alice: Person, server: str) -> None:
    env = _env(cloud, alice)
    cli(cloud, "server", "rescue", server, env=env)
    wait_task_done(alice, server, "RESCUE")
    cli(cloud, "server", "unrescue", server, env=env)
    wait_task_done(alice, server, "ACTIVE")
    shown = json.loads(cli(cloud, "server", "show", server, "-f", "json", env=env).stdout)
    assert shown["status"] == "ACTIVE"
