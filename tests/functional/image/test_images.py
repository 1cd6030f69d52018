"""The image metadata API (Glance v2) through openstacksdk, the `openstack`
CLI and raw HTTP: create, show, patch, delete, status actions, listing
(filters, sorting, paging), visibility and isolation between projects,
quotas and schemas."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest

from nimbus.image.api.handlers import images as image_handlers
from tests.functional.image import meta_fixtures
from tests.functional.image.meta_fixtures import Person, new_image, set_columns
from tests.support.cli import cli
from tests.support.cloud import RunningCloud

# The module's fixtures (a cloud of its own, its admin, people in projects).
cloud = meta_fixtures.cloud
admin = meta_fixtures.admin
make_person = meta_fixtures.make_person

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


@pytest.fixture(scope="module")
def alice(make_person: Any) -> Person:
    return make_person()


@pytest.fixture(scope="module")
def bob(make_person: Any) -> Person:
    return make_person()


def test_create_and_show(alice: Person) -> None:
    image = new_image(alice, tags=["t1", "t2"], os_distro="cirros", min_ram=64)
    assert image["status"] == "queued"
    assert image["visibility"] == "shared"
    assert image["owner"] == alice.project_id
    assert image["os_distro"] == "cirros" and image["min_ram"] == 64
    assert image["size"] is None and image["checksum"] is None and image["protected"] is False
    assert sorted(image["tags"]) == ["t1", "t2"]
    assert image["self"] == f"/v2/images/{image['id']}"
    assert image["file"] == f"/v2/images/{image['id']}/file"
    assert image["schema"] == "/v2/schemas/image"
    assert ISO.match(image["created_at"]) and ISO.match(image["updated_at"])
    assert "stores" not in image and "locations" not in image
    shown = alice.conn.image.get_image(image["id"])
    assert shown.name == image["name"] and shown.os_distro == "cirros"
    assert alice.http("GET", f"/images/{image['id']}").json() == image


def test_create_with_id_and_duplicate(alice: Person) -> None:
    image_id = str(uuid.uuid4())
    assert new_image(alice, id=image_id)["id"] == image_id
    again = alice.http("POST", "/images", json={"id": image_id})
    assert again.status_code == 409
    alice.http("DELETE", f"/images/{image_id}")
    # A deleted image's id is never reused.
    assert alice.http("POST", "/images", json={"id": image_id}).status_code == 409


@pytest.mark.parametrize("body, status, message", [
    ({"status": "active"}, 403, "Attribute 'status' is read-only."),
    ({"size": 5}, 403, "Attribute 'size' is read-only."),
    ({"self": "/x"}, 403, "Attribute 'self' is read-only."),
    ({"os_glance_importing_to_stores": "x"}, 403,
     "Attribute 'os_glance_importing_to_stores' is reserved."),
    ({"deleted": "x"}, 403, "Attribute 'deleted' is reserved."),
    ({"locations": []}, 403, "Attribute 'locations' is reserved."),
    ({"disk_format": "floppy"}, 400, "does not match schema"),
    ({"visibility": "everyone"}, 400, "does not match schema"),
    ({"name": "n" * 256}, 400, "does not match schema"),
    ({"id": "not-a-uuid"}, 400, "does not match schema"),
    ({"hw_cpus": 4}, 400, "does not match schema"),
    ({"k" * 256: "v"}, 400, "Custom property should not be greater than 255 characters."),
])
def test_create_refused(alice: Person, body: dict[str, Any], status: int, message: str) -> None:
    resp = alice.http("POST", "/images", json=body)
    assert resp.status_code == status, resp.text
    assert message in resp.json()["message"]


def test_create_bad_bodies(alice: Person) -> None:
    resp = alice.http("POST", "/images", data=b"{not json", content_type="application/json")
    assert resp.status_code == 400
    assert alice.http("POST", "/images", data=b"name=x",
                      content_type="application/x-www-form-urlencoded").status_code == 415


def test_owner_and_visibility_policies(alice: Person, bob: Person, admin: Person) -> None:
    resp = alice.http("POST", "/images", json={"owner": bob.project_id})
    assert resp.status_code == 403
    assert bob.project_id in resp.json()["message"]
    assert alice.http("POST", "/images", json={"visibility": "public"}).status_code == 403
    community = new_image(alice, visibility="community")
    assert community["visibility"] == "community"
    given = new_image(admin, owner=bob.project_id, visibility="public")
    assert given["owner"] == bob.project_id and given["visibility"] == "public"
    image = new_image(alice)
    resp = alice.patch(image["id"], [{"op": "replace", "path": "/visibility",
                                      "value": "public"}])
    assert resp.status_code == 403
    assert "publicize_image" in resp.json()["message"]
    resp = alice.patch(image["id"], [{"op": "replace", "path": "/owner",
                                      "value": bob.project_id}])
    assert resp.status_code == 403


def test_patch(alice: Person) -> None:
    image = new_image(alice, tags=["a"], extra="1")
    ops = [{"op": "replace", "path": "/name", "value": "renamed"},
           {"op": "add", "path": "/color", "value": "blue"},
           {"op": "replace", "path": "/extra", "value": "2"},
           {"op": "replace", "path": "/tags", "value": ["b", "c"]},
           {"op": "add", "path": "/min_disk", "value": 3},
           {"op": "replace", "path": "/visibility", "value": "private"}]
    resp = alice.patch(image["id"], ops)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["name"] == "renamed" and body["color"] == "blue" and body["extra"] == "2"
    assert sorted(body["tags"]) == ["b", "c"] and body["min_disk"] == 3
    assert body["visibility"] == "private"
    resp = alice.patch(image["id"], [{"op": "remove", "path": "/color"}])
    assert resp.status_code == 200 and "color" not in resp.json()
    # Through openstacksdk, as clients do it.
    updated = alice.conn.image.update_image(image["id"], os_version="9")
    assert updated.os_version == "9"


@pytest.mark.parametrize("op, status, message", [
    ({"op": "remove", "path": "/nothing"}, 409, "Property nothing does not exist."),
    ({"op": "replace", "path": "/nothing", "value": "x"}, 409,
     "Property nothing does not exist."),
    ({"op": "replace", "path": "/status", "value": "active"}, 403,
     "Attribute 'status' is read-only."),
    ({"op": "remove", "path": "/name"}, 403, "Property name may not be removed."),
    ({"op": "add", "path": "/os_glance_x", "value": "1"}, 403,
     "Attribute 'os_glance_x' is reserved."),
    ({"op": "move", "path": "/name"}, 400, "Invalid operation: `move`"),
    ({"op": "add", "path": "/name"}, 400, 'Operation "add" requires a member named "value".'),
    ({"op": "add", "path": "name", "value": "x"}, 400, 'does not start with "/"'),
    ({"op": "add", "path": "/a/b", "value": "x"}, 400, "Invalid JSON pointer"),
    ({"op": "replace", "path": "/min_ram", "value": "lots"}, 400, "does not match schema"),
])
def test_patch_refused(alice: Person, op: dict[str, Any], status: int, message: str) -> None:
    image = new_image(alice)
    resp = alice.patch(image["id"], [op])
    assert resp.status_code == status, resp.text
    assert message in resp.json()["message"]


def test_patch_media_type(alice: Person) -> None:
    image = new_image(alice)
    resp = alice.http("PATCH", f"/images/{image['id']}", json=[])
    assert resp.status_code == 415
    assert "application/openstack-images-v2.1-json-patch" in resp.headers["Accept-Patch"]


def test_formats_only_change_while_queued(cloud: RunningCloud, alice: Person) -> None:
    image = new_image(alice)
    set_columns(cloud, image["id"], status="active", size=10)
    resp = alice.patch(image["id"], [{"op": "replace", "path": "/disk_format",
                                      "value": "qcow2"}])
    assert resp.status_code == 403


def test_delete(alice: Person) -> None:
    seen: list[str] = []
    image_handlers.on_delete.append(lambda service, image: seen.append(image["id"]))
    try:
        image = new_image(alice, protected=True)
        resp = alice.http("DELETE", f"/images/{image['id']}")
        assert resp.status_code == 403
        assert "protected" in resp.json()["message"]
        assert seen == []
        alice.patch(image["id"], [{"op": "replace", "path": "/protected", "value": False}])
        assert alice.http("DELETE", f"/images/{image['id']}").status_code == 204
        assert seen == [image["id"]]
    finally:
        image_handlers.on_delete.pop()
    resp = alice.http("GET", f"/images/{image['id']}")
    assert resp.status_code == 404
    assert resp.json()["message"] == f"No image found with ID {image['id']}"
    assert alice.http("DELETE", f"/images/{image['id']}").status_code == 404


def test_deactivate_reactivate(cloud: RunningCloud, alice: Person) -> None:
    image = new_image(alice)
    path = f"/images/{image['id']}/actions"
    resp = alice.http("POST", f"{path}/deactivate")
    assert resp.status_code == 403 and "status 'queued'" in resp.json()["message"]
    set_columns(cloud, image["id"], status="active", size=1)
    assert alice.http("POST", f"{path}/deactivate").status_code == 204
    assert alice.http("GET", f"/images/{image['id']}").json()["status"] == "deactivated"
    assert alice.http("POST", f"{path}/deactivate").status_code == 204
    assert alice.http("POST", f"{path}/reactivate").status_code == 204
    assert alice.http("GET", f"/images/{image['id']}").json()["status"] == "active"


def test_tags(alice: Person) -> None:
    image = new_image(alice)
    for tag in ("x", "y", "x"):
        assert alice.http("PUT", f"/images/{image['id']}/tags/{tag}").status_code == 204
    assert sorted(alice.http("GET", f"/images/{image['id']}").json()["tags"]) == ["x", "y"]
    assert alice.http("DELETE", f"/images/{image['id']}/tags/x").status_code == 204
    assert alice.http("DELETE", f"/images/{image['id']}/tags/x").status_code == 404
    assert alice.http("GET", f"/images/{image['id']}").json()["tags"] == ["y"]


def test_quotas(make_person: Any, cloud: RunningCloud) -> None:
    carol = make_person()
    resp = carol.http("POST", "/images", json={f"p{i}": "v" for i in range(7)})
    assert resp.status_code == 413
    assert "Attempted: 7, Maximum: 6" in resp.json()["message"]
    resp = carol.http("POST", "/images", json={"tags": ["a", "b", "c", "d", "e"]})
    assert resp.status_code == 413
    image = new_image(carol, tags=["a", "b", "c", "d"])
    assert carol.http("PUT", f"/images/{image['id']}/tags/e").status_code == 413
    # Adding a tag the image has is no change.
    assert carol.http("PUT", f"/images/{image['id']}/tags/a").status_code == 204
    resp = carol.patch(image["id"], [{"op": "add", "path": f"/q{i}", "value": "v"}
                                     for i in range(7)])
    assert resp.status_code == 413
    # The service reads its options per request: a limit can be set here.
    cloud.conf.set_override("image_count_total", 3, group="image")
    try:
        new_image(carol)
        new_image(carol)
        resp = carol.http("POST", "/images", json={})
        assert resp.status_code == 413
        assert "image_count_total is over limit of 3" in resp.json()["message"]
        carol.http("DELETE", f"/images/{image['id']}")
        new_image(carol)  # deleted images do not count
    finally:
        cloud.conf.clear_override("image_count_total", group="image")


def test_schemas(alice: Person, cloud: RunningCloud) -> None:
    schema = alice.http("GET", "/schemas/image").json()
    props = schema["properties"]
    assert schema["name"] == "image" and schema["additionalProperties"] == {"type": "string"}
    assert props["disk_format"]["enum"] == [None, *cloud.conf.image.disk_formats]
    assert props["status"]["readOnly"] is True and "readOnly" not in props["name"]
    images = alice.http("GET", "/schemas/images").json()
    assert images["properties"]["images"]["items"]["name"] == "image"
    assert {link["rel"] for link in images["links"]} == {"first", "next", "describedby"}
    member = alice.http("GET", "/schemas/member").json()
    assert member["properties"]["status"]["enum"] == ["pending", "accepted", "rejected"]
    assert "members" in alice.http("GET", "/schemas/members").json()["properties"]
    assert alice.http("GET", "/schemas/task").json()["name"] == "task"
    tasks = alice.http("GET", "/schemas/tasks").json()
    assert "input" not in tasks["properties"]["tasks"]["items"]["properties"]


def test_cli(cloud: RunningCloud, alice: Person) -> None:
    env = alice.env(cloud)
    name = f"cli-{uuid.uuid4().hex[:6]}"
    made = as_json_env(cloud, env, "image", "create", "--disk-format", "raw",
                       "--container-format", "bare", "--property", "os_distro=fedora", name)
    assert made["name"] == name
    cli(cloud, "image", "set", "--property", "hw_disk_bus=scsi", "--tag", "gold", name,
        env=env)
    shown = as_json_env(cloud, env, "image", "show", name)
    assert shown["properties"]["hw_disk_bus"] == "scsi"
    assert shown["properties"]["os_distro"] == "fedora" and "gold" in shown["tags"]
    listed = as_json_env(cloud, env, "image", "list", "--name", name)
    assert [row["Name"] for row in listed] == [name]
    cli(cloud, "image", "delete", name, env=env)
    assert as_json_env(cloud, env, "image", "list", "--name", name) == []


def as_json_env(cloud: RunningCloud, env: dict[str, str], *args: str) -> Any:
    return json.loads(cli(cloud, *args, "-f", "json", env=env).stdout)


# --- listing -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lister(make_person: Any, cloud: RunningCloud) -> tuple[Person, list[dict[str, Any]]]:
    """A project with six images of known names, sizes and tags."""
    dave = make_person()
    made = []
    for i, (tags, fmt) in enumerate([(["red"], "raw"), (["red", "big"], "qcow2"),
                                     ([], "raw"), (["big"], "iso"), (["red"], "raw"),
                                     ([], "qcow2")]):
        image = new_image(dave, name=f"L{i}", tags=tags, disk_format=fmt,
                          visibility="private", batch=str(i % 2))
        set_columns(cloud, image["id"], size=(i + 1) * 100)
        made.append(image)
    return dave, made


def _names(person: Person, query: str) -> list[str]:
    resp = person.http("GET", f"/images?{query}")
    assert resp.status_code == 200, resp.text
    return [image["name"] for image in resp.json()["images"]]


@pytest.mark.parametrize("query, expected", [
    ("sort_key=name&sort_dir=asc", ["L0", "L1", "L2", "L3", "L4", "L5"]),
    ("sort=name:desc", ["L5", "L4", "L3", "L2", "L1", "L0"]),
    ("name=L3", ["L3"]),
    ("name=in:L1,L4,nope&sort_key=name&sort_dir=asc", ["L1", "L4"]),
    ("tag=red&sort_key=name&sort_dir=asc", ["L0", "L1", "L4"]),
    ("tag=red&tag=big", ["L1"]),
    ("disk_format=qcow2&sort_key=name&sort_dir=asc", ["L1", "L5"]),
    ("size_min=300&size_max=500&sort_key=size&sort_dir=asc", ["L2", "L3", "L4"]),
    ("batch=1&sort_key=name&sort_dir=asc", ["L1", "L3", "L5"]),
    ("sort_key=disk_format&sort_dir=asc&sort_key=size&sort_dir=desc",
     ["L3", "L5", "L1", "L4", "L2", "L0"]),
    ("visibility=private&sort_key=name&sort_dir=asc", ["L0", "L1", "L2", "L3", "L4", "L5"]),
    ("visibility=public", []),
])
def test_list_filters_and_sorting(lister: Any, query: str, expected: list[str]) -> None:
    dave, _made = lister
    # Others' public images may exist: keep to dave's.
    names = [n for n in _names(dave, f"owner={dave.project_id}&{query}")]
    assert names == expected


def test_list_time_filters(lister: Any) -> None:
    dave, made = lister
    first = made[0]["created_at"]
    assert len(_names(dave, f"owner={dave.project_id}&created_at=gte:{first}")) == 6
    assert _names(dave, f"owner={dave.project_id}&created_at=lt:{first}") == []
    assert dave.http("GET", "/images?created_at=gt:yesterday").status_code == 400


def test_list_paging(lister: Any) -> None:
    dave, _made = lister
    resp = dave.http("GET", f"/images?owner={dave.project_id}&limit=4&sort_key=name"
                            "&sort_dir=asc")
    body = resp.json()
    assert [i["name"] for i in body["images"]] == ["L0", "L1", "L2", "L3"]
    assert body["schema"] == "/v2/schemas/images"
    assert body["first"].startswith("/v2/images?") and "marker" not in body["first"]
    assert "marker=" in body["next"]
    second = dave.conn.session.get(dave.base.rsplit("/v2", 1)[0] + body["next"]).json()
    assert [i["name"] for i in second["images"]] == ["L4", "L5"]
    assert "next" not in second
    # openstacksdk follows the links itself.
    names = [i.name for i in dave.conn.image.images(owner=dave.project_id, limit=2)]
    assert sorted(names) == ["L0", "L1", "L2", "L3", "L4", "L5"]


@pytest.mark.parametrize("query, message", [
    ("limit=x", "limit param must be an integer"),
    ("limit=-1", "limit param must be positive"),
    ("sort_key=owner", "Invalid sort key: owner"),
    ("sort_dir=up", "Invalid sort direction: up"),
    ("sort=name&sort_key=name", "Old and new sorting syntax cannot be combined"),
    ("visibility=mine", "Invalid visibility value: mine"),
    ("member_status=maybe", "Invalid status: maybe"),
    ("os_hidden=yes", "Invalid value 'yes' for 'os_hidden' filter."),
    ("size_min=big", "Unable to filter on a range with a non-numeric value."),
    ("name=like:x", "Unable to filter by unknown operator 'like'."),
    ("marker=5f0e2b4c-3d1a-4c7e-9b8f-0a1b2c3d4e5f", "No image found with ID"),
])
def test_list_refused(alice: Person, query: str, message: str) -> None:
    resp = alice.http("GET", f"/images?{query}")
    assert resp.status_code == 400, resp.text
    assert message in resp.json()["message"]


def test_hidden_images(alice: Person) -> None:
    image = new_image(alice, os_hidden=True)
    assert image["name"] not in _names(alice, "limit=1000")
    assert image["name"] in _names(alice, "os_hidden=true")
    assert alice.http("GET", f"/images/{image['id']}").status_code == 200


# --- isolation -----------------------------------------------------------------------


def test_private_image_of_another_project_is_invisible(alice: Person, bob: Person,
                                                       admin: Person) -> None:
    secret = new_image(alice, visibility="private", secret_prop="s3cr3t", tags=["hush"])
    shared = new_image(alice, visibility="shared")
    missing = str(uuid.uuid4())
    for image_id in (secret["id"], shared["id"]):
        for method, path, body in [
            ("GET", "", None), ("DELETE", "", None), ("GET", "/members", None),
            ("POST", "/members", {"member": bob.project_id}),
            ("PUT", "/tags/x", None), ("POST", "/actions/deactivate", None),
        ]:
            resp = bob.http(method, f"/images/{image_id}{path}", json=body)
            ghost = bob.http(method, f"/images/{missing}{path}", json=body)
            assert resp.status_code == ghost.status_code == 404, (method, path)
            assert (resp.json()["message"].replace(image_id, "ID")
                    == ghost.json()["message"].replace(missing, "ID"))
        resp = bob.patch(image_id, [{"op": "replace", "path": "/name", "value": "x"}])
        assert resp.status_code == 404
        resp = bob.http("GET", f"/images?marker={image_id}")
        assert resp.status_code == 400 and image_id in resp.json()["message"]
    for query in ("", "visibility=all", "visibility=private", "visibility=shared",
                  "member_status=all", f"owner={alice.project_id}", "secret_prop=s3cr3t",
                  "tag=hush", f"id={secret['id']}", f"name={secret['name']}"):
        listed = bob.http("GET", f"/images?{query}").json()["images"]
        assert not {i["id"] for i in listed} & {secret["id"], shared["id"]}, query
    # The owner and admins see it.
    assert alice.http("GET", f"/images/{secret['id']}").status_code == 200
    assert admin.http("GET", f"/images/{secret['id']}").status_code == 200
    assert secret["id"] in {i["id"] for i in admin.http(
        "GET", f"/images?owner={alice.project_id}&limit=1000").json()["images"]}


def test_community_and_public_images(alice: Person, bob: Person, admin: Person) -> None:
    community = new_image(alice, visibility="community")
    public = new_image(admin, visibility="public")
    listed = {i["id"] for i in bob.http("GET", "/images?limit=1000").json()["images"]}
    assert public["id"] in listed and community["id"] not in listed
    listed = {i["id"] for i in bob.http("GET", "/images?visibility=community&limit=1000"
                                        ).json()["images"]}
    assert community["id"] in listed
    assert bob.http("GET", f"/images/{community['id']}").status_code == 200
    # Visible but not theirs: 403, not 404.
    resp = bob.patch(community["id"], [{"op": "replace", "path": "/name", "value": "x"}])
    assert resp.status_code == 403
    assert bob.http("DELETE", f"/images/{public['id']}").status_code == 403
    mine = {i["id"] for i in alice.http("GET", "/images?limit=1000").json()["images"]}
    assert community["id"] in mine
