"""Rebuild through openstacksdk, the CLI and HTTP: a new image and new
attributes on the same host through Nova's task states, the answer's shape
per microversion, and the refusals (400, 403, 404, 409) and failures (ERROR
with a fault, the old image back when the host cannot take the new one)."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from nimbus.compute.runtime import internal_context
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

# What a rebuild answers, per microversion (the reduced body of an update
# before 2.75, the body of a show from 2.75), without adminPass.
_REDUCED = {"id", "name", "status", "tenant_id", "user_id", "metadata", "hostId", "image",
            "flavor", "created", "updated", "addresses", "accessIPv4", "accessIPv6", "links",
            "OS-DCF:diskConfig", "progress"}
_ADDED = [("2.9", {"locked"}), ("2.19", {"description"}), ("2.26", {"tags"}),
          ("2.54", {"key_name"}), ("2.57", {"user_data"}),
          ("2.63", {"trusted_image_certificates"}), ("2.71", {"server_groups"}),
          ("2.73", {"locked_reason"}),
          ("2.75", {"OS-EXT-AZ:availability_zone", "config_drive", "OS-SRV-USG:launched_at",
                    "OS-SRV-USG:terminated_at", "security_groups", "OS-EXT-STS:task_state",
                    "OS-EXT-STS:vm_state", "OS-EXT-STS:power_state",
                    "os-extended-volumes:volumes_attached"}),
          ("2.96", {"pinned_availability_zone"}), ("2.100", {"scheduler_hints"})]


def _version(text: str) -> tuple[int, int]:
    major, minor = text.split(".")
    return int(major), int(minor)


def expected_keys(version: str) -> set[str]:
    keys = set(_REDUCED)
    for since, added in _ADDED:
        if _version(version) >= _version(since):
            keys |= added
    return keys


@pytest.fixture(scope="module")
def flavor(admin: Person) -> dict[str, Any]:
    return new_flavor(admin, ram=128, vcpus=1, disk=1)


@pytest.fixture(scope="module")
def other_image(admin: Person) -> str:
    """A second public image, with properties a rebuild records."""
    img = admin.conn.image.create_image(
        name=f"img-{uuid.uuid4().hex[:6]}", disk_format="raw", container_format="bare",
        visibility="public", data=b"\0" * 2048, os_distro="fakeos", hw_rng_model="virtio")
    return str(img.id)


@pytest.fixture
def server(alice: Person, image: str, flavor: dict[str, Any]) -> Iterator[str]:
    created = boot(alice, image, flavor, metadata={"old": "yes"})
    wait_for(alice, created["id"], "ACTIVE")
    yield created["id"]
    alice.http("DELETE", f"/servers/{created['id']}")


def test_sdk_rebuild_with_a_new_image(cloud: RunningCloud, admin: Person, alice: Person,
                                      server: str, image: str, other_image: str) -> None:
    before = alice.http("GET", f"/servers/{server}", version="2.98").json()["server"]
    agent = agent_of(cloud, admin, server)
    with task_states(agent) as seen:
        rebuilt = alice.conn.compute.rebuild_server(
            server, image=other_image, name="rebuilt", admin_password="s3cret",
            metadata={"new": "yes"}, access_ipv4="10.0.0.9")
        assert rebuilt.admin_password == "s3cret"
        shown = wait_task_done(alice, server, "ACTIVE")
    assert seen == ["rebuild_block_device_mapping", "rebuild_spawning", None]
    assert (shown["name"], shown["metadata"], shown["accessIPv4"]) == \
        ("rebuilt", {"new": "yes"}, "10.0.0.9")
    assert shown["image"]["id"] == other_image
    assert shown["OS-SRV-USG:launched_at"] > before["OS-SRV-USG:launched_at"]
    assert shown["OS-EXT-STS:power_state"] == 1
    # The image properties recorded with the server are the new image's.
    after = alice.http("GET", f"/servers/{server}", version="2.98").json()["server"]
    assert after["image"]["properties"]["os_distro"] == "fakeos"
    assert "os_distro" not in before["image"]["properties"]
    assert agent.driver.instances[server].image_id == other_image


@pytest.mark.parametrize("version", ["2.1", "2.9", "2.19", "2.26", "2.47", "2.54", "2.57",
                                     "2.63", "2.71", "2.73", "2.75", "2.96", "2.100"])
def test_rebuild_answer_per_microversion(cloud: RunningCloud, alice: Person, server: str,
                                         image: str, version: str) -> None:
    resp = action(alice, server, {"rebuild": {"imageRef": image}}, version)
    assert resp.status_code == 202, resp.text
    body = resp.json()["server"]
    assert set(body) == expected_keys(version) | {"adminPass"}
    assert body["status"] == "REBUILD"
    assert resp.headers["Location"] == body["links"][0]["href"]
    if _version(version) >= (2, 47):
        assert set(body["flavor"]) >= {"vcpus", "ram", "disk", "original_name"}
    wait_task_done(alice, server, "ACTIVE")
    record = instance_action(cloud, server, resp.headers["x-openstack-request-id"])
    assert record["action"] == "rebuild"
    assert [(e["event"], e["result"]) for e in record["events"]] == [
        ("rebuild_server", "Success"), ("compute_rebuild_instance", "Success")]


def test_admins_see_extended_attributes_from_2_75(admin: Person, server: str,
                                                  image: str) -> None:
    reduced = action(admin, server, {"rebuild": {"imageRef": image}}, "2.74").json()["server"]
    assert not [k for k in reduced if k.startswith("OS-EXT-SRV-ATTR")]
    wait_task_done(admin, server, "ACTIVE")
    full = action(admin, server, {"rebuild": {"imageRef": image}}, "2.75").json()["server"]
    assert {"OS-EXT-SRV-ATTR:host", "OS-EXT-SRV-ATTR:hostname", "host_status",
            "user_data"} <= set(full)
    assert "OS-EXT-SRV-ATTR:user_data" not in full
    wait_task_done(admin, server, "ACTIVE")


def test_rebuild_attributes_per_microversion(alice: Person, server: str, image: str) -> None:
    key = alice.conn.compute.create_keypair(name=f"k-{uuid.uuid4().hex[:6]}")
    data = base64.b64encode(b"#!/bin/sh\necho hi\n").decode()
    resp = action(alice, server, {"rebuild": {
        "imageRef": image, "description": "again", "key_name": key.name, "user_data": data,
        "trusted_image_certificates": ["cert-1", "cert-2"], "hostname": "new-host",
        "OS-DCF:diskConfig": "AUTO"}}, "2.90")
    assert resp.status_code == 202, resp.text
    body = resp.json()["server"]
    assert (body["description"], body["key_name"], body["user_data"]) == \
        ("again", key.name, data)
    assert body["trusted_image_certificates"] == ["cert-1", "cert-2"]
    assert body["OS-DCF:diskConfig"] == "AUTO"
    wait_task_done(alice, server, "ACTIVE")
    shown = alice.http("GET", f"/servers/{server}", version="2.90").json()["server"]
    assert shown["trusted_image_certificates"] == ["cert-1", "cert-2"]
    assert shown["key_name"] == key.name
    # null removes the key, the user data and the certificates.
    resp = action(alice, server, {"rebuild": {
        "imageRef": image, "key_name": None, "user_data": None,
        "trusted_image_certificates": None}}, "2.63")
    assert resp.status_code == 202, resp.text
    body = resp.json()["server"]
    assert (body["key_name"], body["user_data"], body["trusted_image_certificates"]) == \
        (None, None, None)
    wait_task_done(alice, server, "ACTIVE")
    # Gated fields are refused below their microversion; personality went in 2.57.
    for version, field, value in (("2.18", "description", "x"), ("2.53", "key_name", None),
                                  ("2.56", "user_data", data), ("2.89", "hostname", "h1"),
                                  ("2.57", "personality", [])):
        resp = action(alice, server, {"rebuild": {"imageRef": image, field: value}}, version)
        assert resp.status_code == 400, (version, field, resp.text)
    resp = action(alice, server, {"rebuild": {"imageRef": image, "personality": [
        {"path": "/etc/motd", "contents": base64.b64encode(b"hi").decode()}]}}, "2.56")
    assert resp.status_code == 202, resp.text
    wait_task_done(alice, server, "ACTIVE")
    alice.conn.compute.delete_keypair(key)


def test_stopped_and_errored_servers_rebuild(cloud: RunningCloud, admin: Person,
                                            alice: Person, server: str, image: str) -> None:
    alice.conn.compute.stop_server(server)
    wait_for(alice, server, "SHUTOFF")
    assert action(alice, server, {"rebuild": {"imageRef": image,
                                              "preserve_ephemeral": True}}).status_code == 202
    shown = wait_task_done(alice, server, "SHUTOFF")
    assert shown["OS-EXT-STS:power_state"] == 4
    # A failed rebuild is ERROR with a fault; a rebuild of an ERROR server heals it.
    FailureInjector.inject(agent_of(cloud, admin, server).host, "spawn")
    assert action(alice, server, {"rebuild": {"imageRef": image}}).status_code == 202
    shown = wait_task_done(alice, server, "ERROR")
    assert shown["fault"]["message"].startswith(f"Rebuild of instance {server} failed")
    assert action(alice, server, {"rebuild": {"imageRef": image}}).status_code == 202
    assert wait_task_done(alice, server, "ACTIVE")["OS-EXT-STS:power_state"] == 1


def test_a_host_without_the_new_images_traits_refuses_it(
        cloud: RunningCloud, admin: Person, alice: Person, server: str, image: str) -> None:
    needy = admin.conn.image.create_image(
        name=f"img-{uuid.uuid4().hex[:6]}", disk_format="raw", container_format="bare",
        visibility="public", data=b"\0" * 512, **{"trait:CUSTOM_NOWHERE": "required"})
    resp = action(alice, server, {"rebuild": {"imageRef": needy.id}}, "2.98")
    assert resp.status_code == 202, resp.text
    assert resp.json()["server"]["image"]["id"] == needy.id
    shown = wait_task_done(alice, server, "ERROR")
    assert shown["image"]["id"] == image  # the old image back
    assert "Image traits cannot be satisfied" in shown["fault"]["message"]
    record = instance_action(cloud, server, resp.headers["x-openstack-request-id"])
    assert [(e["event"], e["result"]) for e in record["events"]] == \
        [("rebuild_server", "Error")]
    props = alice.http("GET", f"/servers/{server}", version="2.98").json()["server"]
    assert "trait:CUSTOM_NOWHERE" not in props["image"]["properties"]
    admin.conn.image.delete_image(needy)


def test_bad_rebuilds(admin: Person, alice: Person, make_person: Callable[..., Person],
                      server: str, image: str, flavor: dict[str, Any]) -> None:
    def refused(body: dict[str, Any], status: int, version: str = "2.1",
                who: Person = alice) -> str:
        resp = action(who, server, {"rebuild": body}, version)
        assert resp.status_code == status, (body, resp.text)
        return str(next(iter(resp.json().values()))["message"])

    assert refused({}, 400)
    assert refused({"imageRef": "not-a-uuid"}, 400)
    assert refused({"imageRef": image, "name": ""}, 400)
    assert refused({"imageRef": str(uuid.uuid4())}, 400) == "Cannot find image for rebuild"
    queued = admin.conn.image.create_image(name="queued", disk_format="raw",
                                           container_format="bare", visibility="public")
    assert refused({"imageRef": queued.id}, 400) == f"Image {queued.id} is not active."
    big = admin.conn.image.create_image(name="big", disk_format="raw", container_format="bare",
                                        visibility="public", data=b"\0" * 64, min_ram=4096)
    assert refused({"imageRef": big.id}, 400) == \
        "Flavor's memory is too small for requested image."
    assert refused({"imageRef": image, "key_name": "nope"}, 400, "2.54") == \
        "Invalid key_name provided."
    many = {f"k{i}": "v" for i in range(129)}
    assert refused({"imageRef": image, "metadata": many}, 403) == \
        "Maximum number of metadata items exceeds 128"
    assert refused({"imageRef": image}, 404, who=make_person())
    shown = alice.http("GET", f"/servers/{server}").json()["server"]
    assert (shown["status"], shown["OS-EXT-STS:task_state"]) == ("ACTIVE", None)
    assert action(alice, server, {"shelve": None}).status_code == 202
    wait_for(alice, server, "SHELVED_OFFLOADED")
    assert refused({"imageRef": image}, 409) == (
        f"Cannot 'rebuild' instance {server} while it is in vm_state shelved_offloaded")
    missing = action(alice, str(uuid.uuid4()), {"rebuild": {"imageRef": image}})
    assert missing.status_code == 404
    for made in (queued, big):
        admin.conn.image.delete_image(made)


def test_cli_rebuild(cloud: RunningCloud, alice: Person, server: str,
                     other_image: str) -> None:
    out = cli(cloud, "server", "rebuild", "--image", other_image, "--name", "by-cli",
              "--wait", server, "-f", "json", env=_env(cloud, alice)).stdout
    # --wait prints its progress before the document.
    rebuilt = json.loads(out[out.index("{"):])
    assert rebuilt["name"] == "by-cli"
    shown = alice.http("GET", f"/servers/{server}").json()["server"]
    assert (shown["status"], shown["image"]["id"]) == ("ACTIVE", other_image)


def test_an_agent_restarted_mid_rebuild_settles_the_server_in_error(
        cloud: RunningCloud, admin: Person, alice: Person, server: str) -> None:
    agent = agent_of(cloud, admin, server)
    ctxt = internal_context()
    agent.conductor.instance_update(ctxt, server, {"task_state": "rebuild_spawning"})
    agent.init_host(ctxt)  # what a restarted agent does first
    shown = wait_task_done(alice, server, "ERROR")
    assert shown["fault"]["message"] == \
        "The compute agent stopped while rebuilding the instance."


def test_servers_that_never_ran_cannot_be_rebuilt_or_rescued(admin: Person, alice: Person,
                                                             image: str) -> None:
    picky = new_flavor(admin, ram=64, vcpus=1, disk=1)
    admin.http("POST", f"/flavors/{picky['id']}/os-extra_specs",
               json={"extra_specs": {"trait:CUSTOM_NO_HOST_HAS_IT": "required"}})
    created = boot(alice, image, picky)
    wait_for(alice, created["id"], "ERROR")  # buried in cell0, on no host
    for name, body in (("rebuild", {"rebuild": {"imageRef": image}}),
                       ("rescue", {"rescue": None})):
        resp = action(alice, created["id"], body)
        assert resp.status_code == 409, resp.text
        assert resp.json()["conflictingRequest"]["message"] == \
            f"Cannot '{name}' instance {created['id']} while it is in launched_at None"
    alice.http("DELETE", f"/servers/{created['id']}")
