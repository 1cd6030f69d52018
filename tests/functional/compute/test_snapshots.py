"""createImage and createBackup through openstacksdk and HTTP: the image is
created as the caller with Nova's properties and filled by the agent through
Nova's task states; a server can boot from it; backups rotate; every
failure leaves no half image and the server back where it was."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from nimbus.compute.virt.fake import SNAPSHOT_BYTES, FailureInjector
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


def _images_of(person: Person, cloud: RunningCloud, server_id: str) -> list[dict[str, Any]]:
    resp = person.conn.session.get(f"{cloud.url}/image/v2/images",
                                   params={"instance_uuid": server_id})
    return list(resp.json()["images"])


def test_snapshot_through_the_sdk_then_boot_from_it(
        cloud: RunningCloud, admin: Person, alice: Person, server: str, image: str,
        flavor: dict[str, Any]) -> None:
    agent = agent_of(cloud, admin, server)
    with task_states(agent) as seen:
        snap = alice.conn.compute.create_server_image(server, name="snap-1",
                                                      metadata={"color": "red"}, wait=True,
                                                      timeout=30)
        wait_task_done(alice, server, "ACTIVE")
    assert seen == ["image_snapshot", "image_pending_upload", "image_uploading", None]
    body = wait_image(alice, cloud, snap.id)
    assert body["name"] == "snap-1"
    assert (body["image_type"], body["instance_uuid"], body["base_image_ref"]) == \
        ("snapshot", server, image)
    assert (body["user_id"], body["owner"], body["visibility"]) == \
        (alice.user_id, alice.project_id, "private")
    assert (body["color"], body["disk_format"], body["container_format"], body["size"]) == \
        ("red", "raw", "bare", SNAPSHOT_BYTES)
    assert not [k for k in body if k.startswith("os_glance")]
    # The snapshot boots.
    second = boot(alice, snap.id, flavor)
    shown = wait_for(alice, second["id"], "ACTIVE")
    assert shown["image"]["id"] == snap.id
    alice.http("DELETE", f"/servers/{second['id']}")
    wait_for(alice, second["id"], "DELETED")
    alice.conn.image.delete_image(snap.id)


def test_create_image_answers_per_microversion(cloud: RunningCloud, alice: Person,
                                               server: str) -> None:
    old = action(alice, server, {"createImage": {"name": "old-style"}}, "2.44")
    assert old.status_code == 202, old.text
    assert old.content == b""
    location = old.headers["Location"]
    image_id = location.rsplit("/", 1)[-1]
    assert location == f"{cloud.url}/image/images/{image_id}"
    wait_image(alice, cloud, image_id)
    wait_task_done(alice, server, "ACTIVE")
    new = action(alice, server, {"createImage": {"name": "new-style"}}, "2.45")
    assert new.status_code == 202, new.text
    assert set(new.json()) == {"image_id"} and "Location" not in new.headers
    wait_image(alice, cloud, new.json()["image_id"])
    wait_task_done(alice, server, "ACTIVE")
    record = instance_action(cloud, server, new.headers["x-openstack-request-id"])
    assert record["action"] == "createImage"
    assert [(e["event"], e["result"]) for e in record["events"]] == \
        [("compute_snapshot_instance", "Success")]
    for found in (image_id, new.json()["image_id"]):
        alice.conn.image.delete_image(found)


def test_snapshots_of_stopped_servers_and_admin_snapshots_shared_with_the_owner(
        cloud: RunningCloud, admin: Person, alice: Person, server: str) -> None:
    alice.conn.compute.stop_server(server)
    wait_for(alice, server, "SHUTOFF")
    resp = action(admin, server, {"createImage": {"name": "by-admin"}}, "2.45")
    assert resp.status_code == 202, resp.text
    image_id = resp.json()["image_id"]
    body = wait_image(admin, cloud, image_id)
    assert (body["owner"], body["visibility"], body["user_id"]) == \
        (admin.project_id, "shared", admin.user_id)
    assert "instance_owner" not in body
    # The server's project is a member: it sees the image.
    assert glance(alice, cloud, image_id).status_code == 200
    assert wait_task_done(alice, server, "SHUTOFF")["OS-EXT-STS:power_state"] == 4
    admin.conn.image.delete_image(image_id)


def test_backups_rotate(cloud: RunningCloud, alice: Person, server: str) -> None:
    made = []
    for i in range(3):
        resp = action(alice, server, {"createBackup": {
            "name": f"backup-{i}", "backup_type": "daily", "rotation": 2}}, "2.1")
        assert resp.status_code == 202, resp.text
        made.append(resp.headers["Location"].rsplit("/", 1)[-1])
        assert resp.headers["Location"] == f"{alice.base}/images/{made[-1]}"
        wait_task_done(alice, server, "ACTIVE")
    wait_image(alice, cloud, made[0], "gone")
    kept = sorted((i["name"], i["id"]) for i in _images_of(alice, cloud, server))
    assert kept == [("backup-1", made[1]), ("backup-2", made[2])]
    body = wait_image(alice, cloud, made[2])
    assert (body["image_type"], body["backup_type"], body["disk_format"]) == \
        ("backup", "daily", "raw")
    # Another type rotates apart; rotation 0 keeps none, and has no Location.
    resp = action(alice, server, {"createBackup": {
        "name": "weekly", "backup_type": "weekly", "rotation": "0"}}, "2.1")
    assert resp.status_code == 202 and "Location" not in resp.headers
    wait_task_done(alice, server, "ACTIVE")
    resp = action(alice, server, {"createBackup": {
        "name": "w2", "backup_type": "weekly", "rotation": 0}}, "2.45")
    assert resp.status_code == 202 and set(resp.json()) == {"image_id"}
    wait_image(alice, cloud, resp.json()["image_id"], "gone")
    assert sorted(i["id"] for i in _images_of(alice, cloud, server)) == sorted(made[1:])
    for found in made[1:]:
        alice.conn.image.delete_image(found)


def test_a_failed_snapshot_leaves_no_image(cloud: RunningCloud, admin: Person, alice: Person,
                                          server: str) -> None:
    agent = agent_of(cloud, admin, server)
    FailureInjector.inject(agent.host, "snapshot")
    resp = action(alice, server, {"createImage": {"name": "doomed"}}, "2.45")
    assert resp.status_code == 202, resp.text
    wait_image(alice, cloud, resp.json()["image_id"], "gone")
    shown = wait_task_done(alice, server, "ACTIVE")
    assert shown["OS-EXT-STS:vm_state"] == "active" and "fault" not in shown
    record = instance_action(cloud, server, resp.headers["x-openstack-request-id"])
    assert [(e["event"], e["result"]) for e in record["events"]] == \
        [("compute_snapshot_instance", "Error")]
    assert _images_of(alice, cloud, server) == []


def test_an_upload_the_image_service_refuses_leaves_no_image(
        cloud: RunningCloud, alice: Person, server: str) -> None:
    cloud.conf.set_override("image_size_cap", SNAPSHOT_BYTES // 2, group="image")
    try:
        resp = action(alice, server, {"createBackup": {
            "name": "too-big", "backup_type": "daily", "rotation": 1}}, "2.45")
        assert resp.status_code == 202, resp.text
        wait_image(alice, cloud, resp.json()["image_id"], "gone")
        wait_task_done(alice, server, "ACTIVE")
    finally:
        cloud.conf.clear_override("image_size_cap", group="image")
    assert _images_of(alice, cloud, server) == []


def test_an_image_quota_refuses_before_anything_changes(
        cloud: RunningCloud, alice: Person, server: str) -> None:
    cloud.conf.set_override("image_count_total", 0, group="image")
    try:
        resp = action(alice, server, {"createImage": {"name": "over"}})
    finally:
        cloud.conf.clear_override("image_count_total", group="image")
    assert resp.status_code == 403, resp.text
    assert "Quota exceeded or out of space" in resp.json()["forbidden"]["message"]
    shown = alice.http("GET", f"/servers/{server}").json()["server"]
    assert (shown["status"], shown["OS-EXT-STS:task_state"]) == ("ACTIVE", None)
    assert _images_of(alice, cloud, server) == []


def test_bad_requests(alice: Person, make_person: Callable[..., Person], server: str) -> None:
    for body in ({"createImage": {}}, {"createImage": {"name": ""}},
                 {"createImage": {"name": "x", "metadata": {"": "v"}}},
                 {"createImage": {"name": "x", "metadata": {"k": "v" * 256}}},
                 {"createBackup": {"name": "x", "backup_type": "daily"}},
                 {"createBackup": {"name": "x", "backup_type": "daily", "rotation": -1}},
                 {"createBackup": {"name": "x", "backup_type": "daily", "rotation": "a"}}):
        resp = action(alice, server, body)
        assert resp.status_code == 400, (body, resp.text)
        assert "badRequest" in resp.json()
    many = {f"k{i}": "v" for i in range(129)}
    resp = action(alice, server, {"createImage": {"name": "x", "metadata": many}}, "2.38")
    assert resp.status_code == 403
    assert resp.json()["forbidden"]["message"] == "Image metadata limit exceeded"
    stranger = make_person()
    resp = action(stranger, server, {"createImage": {"name": "x"}})
    assert resp.status_code == 404
    missing = action(alice, str(uuid.uuid4()), {"createBackup": {
        "name": "x", "backup_type": "daily", "rotation": 1}})
    assert missing.status_code == 404


def test_snapshots_in_the_wrong_state_are_409(alice: Person, server: str) -> None:
    resp = action(alice, server, {"shelve": None})
    assert resp.status_code == 202
    wait_for(alice, server, "SHELVED_OFFLOADED")
    resp = action(alice, server, {"createImage": {"name": "x"}})
    assert resp.status_code == 409
    assert resp.json()["conflictingRequest"]["message"] == (
        f"Cannot 'createImage' instance {server} while it is in vm_state shelved_offloaded")
    resp = action(alice, server, {"createBackup": {
        "name": "x", "backup_type": "daily", "rotation": 1}})
    assert resp.status_code == 409


def test_cli_image_and_backup(cloud: RunningCloud, alice: Person, server: str) -> None:
    env = _env(cloud, alice)
    made = json.loads(cli(cloud, "server", "image", "create", "--name", "by-cli", "--wait",
                          server, "-f", "json", env=env).stdout)
    assert (made["name"], made["status"]) == ("by-cli", "active")
    wait_task_done(alice, server, "ACTIVE")
    cli(cloud, "server", "backup", "create", "--name", "nightly", "--type", "daily",
        "--rotate", "1", "--wait", server, env=env)
    wait_task_done(alice, server, "ACTIVE")
    found = sorted((i["name"], i.get("image_type")) for i in _images_of(alice, cloud, server))
    assert found == [("by-cli", "snapshot"), ("nightly", "backup")]
    for image in _images_of(alice, cloud, server):
        alice.conn.image.delete_image(image["id"])
