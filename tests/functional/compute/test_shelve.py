"""shelve, shelveOffload and unshelve through openstacksdk, the CLI and HTTP:
the snapshot named "<name>-shelved", the offload after [compute]
shelved_offload_time (placement allocations and host given back),
unshelve in place or through the scheduler (a zone from 2.77, a host and
an unpinned zone from 2.91), and failures that leave the server shelved."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa

from nimbus.common.db.types import utcnow
from nimbus.compute.db.models import aggregate_hosts, aggregate_metadata, aggregates
from nimbus.compute.runtime import internal_context
from nimbus.compute.virt.fake import FailureInjector
from tests.functional.compute.conftest import Person, new_flavor
from tests.functional.compute.imaging import (
    action,
    agent_of,
    glance,
    instance_action,
    task_states,
    wait_image,
    wait_task_done,
)
from tests.functional.compute.test_cli import _env
from tests.functional.compute.test_servers import allocations, boot, wait_for
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


@contextmanager
def offload_time(cloud: RunningCloud, seconds: int) -> Iterator[None]:
    cloud.conf.set_override("shelved_offload_time", seconds, group="compute")
    try:
        yield
    finally:
        cloud.conf.clear_override("shelved_offload_time", group="compute")


def shelved_image(alice: Person, cloud: RunningCloud, server: str) -> dict[str, Any]:
    name = alice.http("GET", f"/servers/{server}").json()["server"]["name"] + "-shelved"
    found = alice.conn.session.get(f"{cloud.url}/image/v2/images",
                                   params={"name": name}).json()["images"]
    assert len(found) == 1, found
    return dict(found[0])


def test_sdk_shelve_offloads_and_unshelve_schedules(cloud: RunningCloud, admin: Person,
                                                    alice: Person, server: str) -> None:
    agent = agent_of(cloud, admin, server)
    with task_states(agent) as seen:
        alice.conn.compute.shelve_server(server)
        shown = wait_task_done(alice, server, "SHELVED_OFFLOADED")
    assert seen == ["shelving_image_pending_upload", "shelving_image_uploading",
                    "shelving_offloading", None]
    assert shown["OS-EXT-STS:power_state"] == 4
    detail = admin.http("GET", f"/servers/{server}").json()["server"]
    assert (detail["OS-EXT-SRV-ATTR:host"], detail["OS-EXT-SRV-ATTR:hypervisor_hostname"]) \
        == (None, None)
    assert allocations(admin, cloud, server) == {}
    assert server not in agent.driver.instances
    image = wait_image(alice, cloud, shelved_image(alice, cloud, server)["id"])
    assert (image["image_type"], image["instance_uuid"]) == ("snapshot", server)
    resp = action(alice, server, {"unshelve": None})
    assert resp.status_code == 202, resp.text
    wait_task_done(alice, server, "ACTIVE")
    detail = admin.http("GET", f"/servers/{server}").json()["server"]
    assert detail["OS-EXT-SRV-ATTR:host"] in cloud.hosts
    assert len(allocations(admin, cloud, server)) == 1
    wait_image(alice, cloud, image["id"], "gone")
    record = instance_action(cloud, server, resp.headers["x-openstack-request-id"])
    assert [(e["event"], e["result"]) for e in record["events"]] == [
        ("get_image_info", "Success"), ("schedule_instances", "Success"),
        ("compute_unshelve_instance", "Success")]


def test_shelved_servers_stay_until_offloaded_and_unshelve_in_place(
        cloud: RunningCloud, admin: Person, alice: Person, server: str) -> None:
    agent = agent_of(cloud, admin, server)
    with offload_time(cloud, -1):
        alice.conn.compute.shelve_server(server)
        wait_task_done(alice, server, "SHELVED")
        assert agent.offload_shelved(internal_context()) == []
    assert len(allocations(admin, cloud, server)) == 1
    image_id = shelved_image(alice, cloud, server)["id"]
    # In place: the same host, the image deleted.
    assert action(alice, server, {"unshelve": None}).status_code == 202
    wait_task_done(alice, server, "ACTIVE")
    assert agent_of(cloud, admin, server) is agent
    wait_image(alice, cloud, image_id, "gone")
    # Shelve again; only admins offload by hand.
    with offload_time(cloud, -1):
        alice.conn.compute.shelve_server(server)
        wait_task_done(alice, server, "SHELVED")
    resp = action(alice, server, {"shelveOffload": None})
    assert resp.status_code == 403, resp.text
    resp = action(admin, server, {"shelveOffload": None})
    assert resp.status_code == 202, resp.text
    wait_task_done(alice, server, "SHELVED_OFFLOADED")
    assert allocations(admin, cloud, server) == {}
    assert action(admin, server, {"shelveOffload": None}).status_code == 409


def test_the_periodic_task_offloads_after_the_offload_time(
        cloud: RunningCloud, admin: Person, alice: Person, server: str) -> None:
    agent = agent_of(cloud, admin, server)
    with offload_time(cloud, 1):
        alice.conn.compute.shelve_server(server)
        wait_task_done(alice, server, "SHELVED")
        assert agent.offload_shelved(internal_context()) == []
        time.sleep(1.1)
        assert agent.offload_shelved(internal_context()) == [server]
    wait_task_done(alice, server, "SHELVED_OFFLOADED")
    assert allocations(admin, cloud, server) == {}


@contextmanager
def zone_of_host_2(cloud: RunningCloud, admin: Person, zone: str,
                   in_placement: bool) -> Iterator[None]:
    """An aggregate with availability zone `zone` holding host-2 (mirrored into
    placement only when asked: without, no host can be found in the zone)."""
    db = cloud.deployment.compute.api_db
    agg_uuid = str(uuid.uuid4())
    with db.writer() as conn:
        agg_id = conn.execute(sa.insert(aggregates).values(
            uuid=agg_uuid, name=f"agg-{agg_uuid[:6]}", created_at=utcnow())
        ).inserted_primary_key[0]
        conn.execute(sa.insert(aggregate_hosts).values(aggregate_id=agg_id, host="host-2",
                                                       created_at=utcnow()))
        conn.execute(sa.insert(aggregate_metadata).values(
            aggregate_id=agg_id, key="availability_zone", value=zone, created_at=utcnow()))
    placement = f"{cloud.url}/placement"
    headers = {"OpenStack-API-Version": "placement 1.19"}
    provider = admin.conn.session.get(f"{placement}/resource_providers",
                                      params={"name": "host-2"},
                                      headers=headers).json()["resource_providers"][0]
    url = f"{placement}/resource_providers/{provider['uuid']}/aggregates"

    def set_aggregates(wanted: list[str]) -> None:
        current = admin.conn.session.get(url, headers=headers).json()
        admin.conn.session.put(url, headers=headers, json={
            "aggregates": wanted,
            "resource_provider_generation": current["resource_provider_generation"]})

    if in_placement:
        set_aggregates([agg_uuid])
    try:
        yield
    finally:
        if in_placement:
            set_aggregates([])
        with db.writer() as conn:
            conn.execute(sa.delete(aggregates).where(aggregates.c.id == agg_id))


def test_unshelve_to_a_zone_and_a_host(cloud: RunningCloud, admin: Person, alice: Person,
                                       server: str) -> None:
    def unshelve(who: Person, body: Any, version: str) -> Any:
        return action(who, server, {"unshelve": body}, version)

    with offload_time(cloud, -1):
        alice.conn.compute.shelve_server(server)
        wait_task_done(alice, server, "SHELVED")
    # A zone or a host only for an offloaded server.
    resp = unshelve(alice, {"availability_zone": "nova"}, "2.77")
    assert resp.status_code == 409
    assert resp.json()["conflictingRequest"]["message"] == (
        f'Specifying an availability zone or a host when unshelving server "{server}" with '
        'status "shelved" is not supported. The server status must be SHELVED_OFFLOADED.')
    assert action(admin, server, {"shelveOffload": None}).status_code == 202
    wait_task_done(alice, server, "SHELVED_OFFLOADED")
    assert unshelve(alice, {}, "2.77").status_code == 400
    assert unshelve(alice, {"host": "host-1"}, "2.90").status_code == 400
    resp = unshelve(alice, {"availability_zone": "atlantis"}, "2.77")
    assert resp.json()["badRequest"]["message"] == \
        "The requested availability zone is not available"
    assert unshelve(alice, {"host": "host-1"}, "2.91").status_code == 403
    resp = unshelve(admin, {"host": "nowhere"}, "2.91")
    assert resp.json()["badRequest"]["message"] == "Compute host nowhere could not be found."
    # A zone with no host placement can offer: the server stays offloaded.
    with zone_of_host_2(cloud, admin, "az-hidden", in_placement=False):
        resp = unshelve(alice, {"availability_zone": "az-hidden"}, "2.77")
        assert resp.status_code == 202, resp.text
        wait_task_done(alice, server, "SHELVED_OFFLOADED")
    record = instance_action(cloud, server, resp.headers["x-openstack-request-id"])
    assert ("schedule_instances", "Error") in [(e["event"], e["result"])
                                               for e in record["events"]]
    assert allocations(admin, cloud, server) == {}
    with zone_of_host_2(cloud, admin, "az-2", in_placement=True):
        resp = unshelve(admin, {"availability_zone": "az-2", "host": "host-1"}, "2.91")
        assert resp.json()["conflictingRequest"]["message"] == \
            'Host "host-1" is not in the availability zone "az-2".'
        assert unshelve(alice, {"availability_zone": "az-2"}, "2.77").status_code == 202
        shown = wait_task_done(admin, server, "ACTIVE")
        assert (shown["OS-EXT-SRV-ATTR:host"], shown["OS-EXT-AZ:availability_zone"]) == \
            ("host-2", "az-2")
        pinned = alice.http("GET", f"/servers/{server}", version="2.96").json()["server"]
        assert pinned["pinned_availability_zone"] == "az-2"
        # Offloaded again, unpinned (null zone) and sent to host-1 by name.
        assert action(alice, server, {"shelve": None}).status_code == 202
        wait_task_done(alice, server, "SHELVED_OFFLOADED")
        resp = unshelve(admin, {"availability_zone": None, "host": "host-1"}, "2.91")
        assert resp.status_code == 202, resp.text
        shown = wait_task_done(admin, server, "ACTIVE")
    assert shown["OS-EXT-SRV-ATTR:host"] == "host-1"
    pinned = alice.http("GET", f"/servers/{server}", version="2.96").json()["server"]
    assert pinned["pinned_availability_zone"] is None


def test_failures_leave_the_server_shelved_or_active(cloud: RunningCloud, admin: Person,
                                                    alice: Person, server: str) -> None:
    host = agent_of(cloud, admin, server).host
    FailureInjector.inject(host, "snapshot")
    assert action(alice, server, {"shelve": None}).status_code == 202
    shown = wait_task_done(alice, server, "ACTIVE")
    assert shown["OS-EXT-STS:power_state"] == 1
    assert alice.conn.session.get(f"{cloud.url}/image/v2/images", params={
        "instance_uuid": server}).json()["images"] == []
    alice.conn.compute.shelve_server(server)
    wait_task_done(alice, server, "SHELVED_OFFLOADED")
    image_id = shelved_image(alice, cloud, server)["id"]
    for name in cloud.hosts:
        FailureInjector.inject(name, "spawn")
    try:
        assert action(alice, server, {"unshelve": None}).status_code == 202
        wait_task_done(alice, server, "SHELVED_OFFLOADED")
    finally:
        FailureInjector.clear()
    detail = admin.http("GET", f"/servers/{server}").json()["server"]
    assert detail["OS-EXT-SRV-ATTR:host"] is None
    assert allocations(admin, cloud, server) == {}
    assert glance(alice, cloud, image_id).status_code == 200
    # Deleting a shelved server deletes its image.
    alice.conn.compute.delete_server(server)
    wait_for(alice, server, "DELETED")
    wait_image(alice, cloud, image_id, "gone")


def test_wrong_states_and_bodies(alice: Person, make_person: Callable[..., Person],
                                 server: str) -> None:
    assert action(alice, server, {"unshelve": None}).status_code == 409
    assert action(alice, server, {"shelveOffload": None}).status_code == 403
    assert action(alice, server, {"shelve": {"x": 1}}).status_code == 202  # Nova's {} schema
    wait_task_done(alice, server, "SHELVED_OFFLOADED")
    resp = action(alice, server, {"shelve": None})
    assert resp.status_code == 409
    assert resp.json()["conflictingRequest"]["message"] == (
        f"Cannot 'shelve' instance {server} while it is in vm_state shelved_offloaded")
    assert action(make_person(), server, {"unshelve": None}).status_code == 404
    assert action(alice, server, {"unshelve": None, "x": 1}).status_code == 400


def test_cli_shelve_and_unshelve(cloud: RunningCloud, alice: Person, server: str) -> None:
    env = _env(cloud, alice)
    cli(cloud, "server", "shelve", "--wait", server, env=env)
    shown = json.loads(cli(cloud, "server", "show", server, "-f", "json", env=env).stdout)
    assert shown["status"] == "SHELVED_OFFLOADED"
    cli(cloud, "server", "unshelve", "--wait", server, env=env)
    assert wait_task_done(alice, server, "ACTIVE")["status"] == "ACTIVE"


def test_failures_on_the_host_leave_the_server_shelved(cloud: RunningCloud, admin: Person,
                                                      alice: Person, server: str) -> None:
    host = agent_of(cloud, admin, server).host
    with offload_time(cloud, -1):
        alice.conn.compute.shelve_server(server)
        wait_task_done(alice, server, "SHELVED")
    # Powering on in place fails: still SHELVED, its image kept.
    image_id = shelved_image(alice, cloud, server)["id"]
    FailureInjector.inject(host, "power_on")
    assert action(alice, server, {"unshelve": None}).status_code == 202
    wait_task_done(alice, server, "SHELVED")
    assert glance(alice, cloud, image_id).status_code == 200
    # Removing the guest fails: still SHELVED, on its host, its allocations kept.
    FailureInjector.inject(host, "destroy")
    resp = action(admin, server, {"shelveOffload": None})
    assert resp.status_code == 202
    wait_task_done(alice, server, "SHELVED")
    assert len(allocations(admin, cloud, server)) == 1
    record = instance_action(cloud, server, resp.headers["x-openstack-request-id"])
    assert [(e["event"], e["result"]) for e in record["events"]] == \
        [("compute_shelve_offload_instance", "Error")]
    # Both work once the host does.
    assert action(alice, server, {"unshelve": None}).status_code == 202
    wait_task_done(alice, server, "ACTIVE")
    wait_image(alice, cloud, image_id, "gone")


def test_a_lost_shelved_image_is_error_on_no_host(cloud: RunningCloud, admin: Person,
                                                 alice: Person, server: str,
                                                 image: str) -> None:
    alice.conn.compute.shelve_server(server)
    wait_task_done(alice, server, "SHELVED_OFFLOADED")
    image_id = shelved_image(alice, cloud, server)["id"]
    alice.conn.image.delete_image(image_id)
    resp = action(alice, server, {"unshelve": None})
    assert resp.status_code == 202
    shown = wait_task_done(alice, server, "ERROR")
    assert shown["fault"]["message"] == \
        f"Unshelve attempted but the image {image_id} cannot be found."
    record = instance_action(cloud, server, resp.headers["x-openstack-request-id"])
    assert [(e["event"], e["result"]) for e in record["events"]] == \
        [("get_image_info", "Error")]
    # In ERROR on no host: nothing an agent must do can start.
    for body in ({"rebuild": {"imageRef": image}}, {"rescue": None}):
        resp = action(alice, server, body)
        assert resp.status_code == 409, resp.text
        assert resp.json()["conflictingRequest"]["message"] == \
            f"Instance {server} is not ready"
