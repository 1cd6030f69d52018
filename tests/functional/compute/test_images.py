"""The compute API's image proxy over HTTP and openstacksdk: /images (list,
detail, show, delete) until 2.35 and /images/{id}/metadata until 2.38,
with Nova's bodies (checked against shapes written from Tempest's schemas),
filters and errors, and 404 from the microversions that removed them."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.functional.compute import shapes
from tests.functional.compute.conftest import Person, new_flavor
from tests.functional.compute.imaging import (
    action,
    agent_of,
    glance,
    paused_snapshots,
    wait_image,
    wait_task_done,
)
from tests.functional.compute.test_servers import boot, wait_for
from tests.support.cloud import RunningCloud


@pytest.fixture(scope="module")
def flavor(admin: Person) -> dict[str, Any]:
    return new_flavor(admin, ram=128, vcpus=1, disk=1)


def _own_image(person: Person, **props: Any) -> str:
    """A private image with data, made through the image service."""
    img = person.conn.image.create_image(name=f"own-{uuid.uuid4().hex[:6]}",
                                         disk_format="raw", container_format="bare",
                                         visibility="private", data=b"*" * 1024, **props)
    return str(img.id)


@pytest.fixture(scope="module")
def snapshot(cloud: RunningCloud, alice: Person, image: str,
             flavor: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(snapshot image id, the server it was taken of)."""
    created = boot(alice, image, flavor)
    server = wait_for(alice, created["id"], "ACTIVE")
    resp = action(alice, server["id"], {"createImage": {
        "name": "proxy-snap", "metadata": {"auto_disk_config": "True"}}}, "2.45")
    image_id = resp.json()["image_id"]
    wait_image(alice, cloud, image_id)
    wait_task_done(alice, server["id"], "ACTIVE")
    yield image_id, server
    alice.http("DELETE", f"/servers/{server['id']}")


@pytest.fixture
def server(alice: Person, image: str, flavor: dict[str, Any]) -> Iterator[str]:
    created = boot(alice, image, flavor)
    wait_for(alice, created["id"], "ACTIVE")
    yield created["id"]
    alice.http("DELETE", f"/servers/{created['id']}")


def _ids(resp: Any) -> list[str]:
    assert resp.status_code == 200, resp.text
    return [i["id"] for i in resp.json()["images"]]


def test_list_and_show_shapes(alice: Person, image: str,
                              snapshot: tuple[str, dict[str, Any]]) -> None:
    snap_id, server = snapshot
    for detail in (False, True):
        resp = alice.http("GET", "/images/detail" if detail else "/images", version="2.35")
        shapes.check(shapes.image_list(detail), resp.json())
        assert {image, snap_id} <= set(_ids(resp))
    shown = alice.http("GET", f"/images/{snap_id}").json()
    shapes.check(shapes.IMAGE, shown)
    body = shown["image"]
    assert (body["status"], body["progress"], body["name"]) == ("ACTIVE", 100, "proxy-snap")
    assert body["OS-EXT-IMG-SIZE:size"] == 1024 and body["OS-DCF:diskConfig"] == "AUTO"
    assert body["server"]["id"] == server["id"]
    assert body["server"]["links"][0]["href"].endswith(f"/servers/{server['id']}")
    assert (body["metadata"]["image_type"], body["metadata"]["instance_uuid"]) == \
        ("snapshot", server["id"])
    assert [link["rel"] for link in body["links"]] == ["self", "bookmark", "alternate"]
    assert body["links"][2]["href"].endswith(f"/image/images/{snap_id}")
    # openstacksdk reads it too.
    assert alice.conn.compute.get_image(snap_id).name == "proxy-snap"


def test_filters_and_paging(alice: Person, image: str,
                            snapshot: tuple[str, dict[str, Any]]) -> None:
    snap_id, server = snapshot
    own = _own_image(alice, flavour="mint")
    name = alice.conn.image.get_image(own).name
    assert _ids(alice.http("GET", f"/images?name={name}")) == [own]
    assert own in _ids(alice.http("GET", "/images/detail?status=ACTIVE"))
    assert _ids(alice.http("GET", "/images?status=SAVING")) == []
    for ref in [server["id"], *[link["href"] for link in server["links"]]]:
        assert _ids(alice.http("GET", f"/images?server={ref}")) == [snap_id]
    assert snap_id in _ids(alice.http("GET", "/images?type=snapshot"))
    assert image not in _ids(alice.http("GET", "/images?type=snapshot"))
    assert _ids(alice.http("GET", "/images?property-flavour=mint")) == [own]
    created = alice.http("GET", f"/images/{own}").json()["image"]["created"]
    assert own in _ids(alice.http("GET", f"/images?changes-since={created}"))
    future = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1)).strftime(
        "%Y-%m-%dT%H:%M:%SZ")
    assert _ids(alice.http("GET", f"/images/detail?changes-since={future}")) == []
    everything = _ids(alice.http("GET", "/images"))
    first = alice.http("GET", "/images?limit=1").json()
    assert len(first["images"]) == 1
    next_link = first["images_links"][0]
    assert next_link["rel"] == "next" and "marker=" in next_link["href"]
    marker = first["images"][0]["id"]
    rest = _ids(alice.http("GET", f"/images?marker={marker}"))
    assert [marker, *rest] == everything
    assert alice.http("GET", "/images?limit=x").status_code == 400
    alice.conn.image.delete_image(own)


def test_show_and_delete_errors(admin: Person, alice: Person, image: str) -> None:
    for image_id in (str(uuid.uuid4()), "not-a-uuid"):
        for method in ("GET", "DELETE"):
            resp = alice.http(method, f"/images/{image_id}")
            assert resp.status_code == 404, (method, resp.text)
            assert resp.json()["itemNotFound"]["message"] == "Image not found."
    # A blank id is no image (Nova's router has no route for it).
    for path in ("/images/", "/images"):
        resp = alice.http("DELETE", path)
        assert resp.status_code == 404, resp.text
    # A public image someone else owns is visible, not deletable.
    resp = alice.http("DELETE", f"/images/{image}")
    assert resp.status_code == 403
    assert resp.json()["forbidden"]["message"] == "You are not allowed to delete the image."
    # A private image of another project is not even there.
    secret = _own_image(admin)
    assert alice.http("GET", f"/images/{secret}").status_code == 404
    queued = admin.conn.image.create_image(name="queued", disk_format="raw",
                                           container_format="bare")
    body = admin.http("GET", f"/images/{queued.id}").json()["image"]
    assert (body["status"], body["progress"], body["OS-EXT-IMG-SIZE:size"]) == \
        ("SAVING", 25, None)
    assert admin.http("DELETE", f"/images/{queued.id}").status_code == 204
    assert admin.http("GET", f"/images/{queued.id}").status_code == 404
    admin.conn.image.delete_image(secret)


def test_the_proxy_is_gone_from_2_36(alice: Person, image: str) -> None:
    for method, path in (("GET", "/images"), ("GET", "/images/detail"),
                         ("GET", f"/images/{image}"), ("DELETE", f"/images/{image}")):
        assert alice.http(method, path, version="2.35").status_code in (200, 403)
        resp = alice.http(method, path, version="2.36")
        assert resp.status_code == 404, (method, path)
        assert "itemNotFound" in resp.json()
    assert alice.http("GET", f"/images/{image}/metadata", version="2.38").status_code == 200
    assert alice.http("GET", f"/images/{image}/metadata", version="2.39").status_code == 404
    assert alice.http("PUT", f"/images/{image}/metadata/k", json={"meta": {"k": "v"}},
                      version="2.39").status_code == 404


def test_image_metadata(alice: Person, admin: Person, image: str) -> None:
    own = _own_image(alice)
    base = f"/images/{own}/metadata"
    resp = alice.http("PUT", base, json={"metadata": {"os_version": "value1",
                                                      "os_distro": "value2"}})
    assert resp.status_code == 200, resp.text
    shapes.check(shapes.IMAGE_METADATA, resp.json())
    assert alice.http("GET", base).json() == {
        "metadata": {"os_version": "value1", "os_distro": "value2"}}
    resp = alice.http("POST", base, json={"metadata": {"os_version": "alt1",
                                                       "architecture": "value3"}})
    assert resp.json()["metadata"] == {"os_version": "alt1", "os_distro": "value2",
                                       "architecture": "value3"}
    item = alice.http("GET", f"{base}/os_distro").json()
    shapes.check(shapes.IMAGE_META_ITEM, item)
    assert item == {"meta": {"os_distro": "value2"}}
    resp = alice.http("PUT", f"{base}/os_version", json={"meta": {"os_version": "alt"}})
    assert resp.json() == {"meta": {"os_version": "alt"}}
    assert alice.http("DELETE", f"{base}/architecture").status_code == 204
    assert alice.http("GET", base).json()["metadata"] == {"os_version": "alt",
                                                          "os_distro": "value2"}
    # PUT replaces everything.
    alice.http("PUT", base, json={"metadata": {"only": "this"}})
    assert alice.http("GET", base).json()["metadata"] == {"only": "this"}
    # Errors, in Nova's words.
    resp = alice.http("PUT", f"{base}/a", json={"meta": {"b": "v"}})
    assert resp.json()["badRequest"]["message"] == "Request body and URI mismatch"
    assert alice.http("PUT", f"{base}/a", json={"meta": {"a": "1", "b": "2"}}).status_code \
        == 400
    assert alice.http("POST", base, json={"metadata": {"": "v"}}).status_code == 400
    assert alice.http("GET", f"{base}/missing").status_code == 404
    resp = alice.http("DELETE", f"{base}/missing")
    assert resp.json()["itemNotFound"]["message"] == "Invalid metadata key"
    many = {f"k{i}": "v" for i in range(128)}
    resp = alice.http("POST", base, json={"metadata": many})
    assert resp.json()["forbidden"]["message"] == "Image metadata limit exceeded"
    for method in ("GET", "POST", "PUT"):
        body = {"metadata": {"a": "b"}} if method != "GET" else None
        resp = alice.http(method, f"/images/{uuid.uuid4()}/metadata", json=body)
        assert resp.status_code == 404
    # Someone else's public image is read-only.
    resp = alice.http("POST", f"/images/{image}/metadata", json={"metadata": {"a": "b"}})
    assert resp.status_code == 403
    alice.conn.image.delete_image(own)


def test_deleting_a_saving_image_ends_the_snapshot(cloud: RunningCloud, admin: Person,
                                                   alice: Person, server: str) -> None:
    agent = agent_of(cloud, admin, server)
    with paused_snapshots(agent) as (reached, release):
        resp = action(alice, server, {"createImage": {"name": "saving"}}, "2.45")
        image_id = resp.json()["image_id"]
        assert reached.wait(10)
        shown = alice.http("GET", f"/servers/{server}").json()["server"]
        assert shown["OS-EXT-STS:task_state"] == "image_pending_upload"
        proxy = alice.http("GET", f"/images/{image_id}").json()["image"]
        assert (proxy["status"], proxy["progress"]) == ("SAVING", 25)
        assert alice.http("DELETE", f"/images/{image_id}").status_code == 204
        release.set()
    wait_task_done(alice, server, "ACTIVE")
    assert glance(alice, cloud, image_id).status_code == 404
