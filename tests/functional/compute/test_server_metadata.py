"""Server metadata and server tags (2.26) through openstacksdk, HTTP and the
CLI: shapes as Tempest checks them, Nova's validation, limits, 404s, and the
states (and locks) in which Nova refuses changes."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.functional.compute import action_shapes as shapes
from tests.functional.compute.conftest import Person, new_flavor
from tests.functional.compute.test_cli import _env
from tests.functional.compute.test_guest_actions import action
from tests.functional.compute.test_servers import boot, wait_for
from tests.support.cli import cli
from tests.support.cloud import RunningCloud

MISSING = "00000000-0000-0000-0000-000000000000"


@pytest.fixture(scope="module")
def flavor(admin: Person) -> dict[str, Any]:
    return new_flavor(admin, ram=128, vcpus=1, disk=1)


@pytest.fixture
def server(admin: Person, alice: Person, image: str, flavor: dict[str, Any]) -> Iterator[str]:
    created = boot(alice, image, flavor, metadata={"color": "blue"})
    wait_for(alice, created["id"], "ACTIVE")
    yield created["id"]
    admin.http("DELETE", f"/servers/{created['id']}")
    wait_for(alice, created["id"], "DELETED")


def updated(person: Person, server: str) -> str:
    return str(person.http("GET", f"/servers/{server}").json()["server"]["updated"])


def after_a_second(person: Person, server: str) -> str:
    """updated is in whole seconds: wait for the next one before a change."""
    before = updated(person, server)
    time.sleep(1.05)
    return before


def test_metadata_through_the_sdk(alice: Person, server: str) -> None:
    sdk = alice.conn.compute
    got = sdk.get_server_metadata(server)
    assert got.metadata == {"color": "blue"}
    sdk.set_server_metadata(server, size="large", shape="round")
    assert sdk.get_server_metadata(server).metadata == {
        "color": "blue", "size": "large", "shape": "round"}
    sdk.delete_server_metadata(server, ["shape"])
    assert sdk.get_server_metadata(server).metadata == {"color": "blue", "size": "large"}


def test_metadata_over_http(alice: Person, server: str) -> None:
    base = f"/servers/{server}/metadata"
    listed = alice.http("GET", base)
    assert listed.status_code == 200
    shapes.check(shapes.METADATA, listed.json())
    before = after_a_second(alice, server)
    merged = alice.http("POST", base, json={"metadata": {"a": "1"}})
    assert merged.status_code == 200, merged.text
    shapes.check(shapes.METADATA, merged.json())
    assert merged.json()["metadata"] == {"color": "blue", "a": "1"}
    assert updated(alice, server) > before
    replaced = alice.http("PUT", base, json={"metadata": {"b": "2"}})
    assert replaced.json() == {"metadata": {"b": "2"}}
    item = alice.http("PUT", f"{base}/c", json={"meta": {"c": "3"}})
    assert item.status_code == 200
    shapes.check(shapes.META_ITEM, item.json())
    shown = alice.http("GET", f"{base}/c")
    assert shown.json() == {"meta": {"c": "3"}}
    assert alice.http("DELETE", f"{base}/c").status_code == 204
    gone = alice.http("GET", f"{base}/c")
    assert gone.status_code == 404
    assert gone.json()["itemNotFound"]["message"] == "Metadata item was not found"
    assert alice.http("DELETE", f"{base}/c").status_code == 404
    assert alice.http("GET", base).json() == {"metadata": {"b": "2"}}
    # Keys with spaces, colons and dots travel in the URL.
    assert alice.http("PUT", f"{base}/a b:c.d", json={"meta": {"a b:c.d": "x"}}
                      ).status_code == 200
    assert alice.http("GET", f"{base}/a b:c.d").json() == {"meta": {"a b:c.d": "x"}}


@pytest.mark.parametrize("method,path,body", [
    ("POST", "", {"metadata": {"": "x"}}),
    ("POST", "", {"metadata": {"k" * 256: "x"}}),
    ("POST", "", {"metadata": {"k": "v" * 256}}),
    ("POST", "", {"metadata": {"k": 1}}),
    ("POST", "", {"meta": {"k": "v"}}),
    ("PUT", "", {"metadata": {"k/x": "v"}}),
    ("PUT", "/k", {"meta": {"other": "v"}}),
    ("PUT", "/k", {"meta": {"k": "v", "l": "w"}}),
    ("PUT", "/k", {"meta": {}}),
])
def test_bad_metadata_is_400(alice: Person, server: str, method: str, path: str,
                             body: dict[str, Any]) -> None:
    resp = alice.http(method, f"/servers/{server}/metadata{path}", json=body)
    assert resp.status_code == 400, resp.text
    assert "badRequest" in resp.json()
    assert alice.http("GET", f"/servers/{server}/metadata").json() == {
        "metadata": {"color": "blue"}}


def test_mismatched_item_says_so(alice: Person, server: str) -> None:
    resp = alice.http("PUT", f"/servers/{server}/metadata/k", json={"meta": {"j": "v"}})
    assert resp.json()["badRequest"]["message"] == "Request body and URI mismatch"


def test_metadata_limit_is_403(cloud: RunningCloud, alice: Person, server: str) -> None:
    limit = cloud.conf.quota.metadata_items
    many = {f"key{i}": "v" for i in range(limit + 1)}
    for method in ("POST", "PUT"):
        resp = alice.http(method, f"/servers/{server}/metadata", json={"metadata": many})
        assert resp.status_code == 403, resp.text
        assert resp.json()["forbidden"]["message"] == (
            f"Maximum number of metadata items exceeds {limit}")
    exactly = {f"key{i}": "v" for i in range(limit)}
    assert alice.http("PUT", f"/servers/{server}/metadata",
                      json={"metadata": exactly}).status_code == 200
    resp = alice.http("PUT", f"/servers/{server}/metadata/one-more",
                      json={"meta": {"one-more": "v"}})
    assert resp.status_code == 403


def test_metadata_of_missing_and_foreign_servers_is_404(alice: Person, server: str,
                                                        make_person: Callable[..., Person]
                                                        ) -> None:
    eve = make_person()
    for person, server_id in ((alice, MISSING), (eve, server), (alice, "not-a-uuid")):
        for method, path, body in (("GET", "", None), ("POST", "", {"metadata": {"k": "v"}}),
                                   ("PUT", "", {"metadata": {}}), ("GET", "/k", None),
                                   ("PUT", "/k", {"meta": {"k": "v"}}),
                                   ("DELETE", "/color", None)):
            resp = person.http(method, f"/servers/{server_id}/metadata{path}", json=body)
            assert resp.status_code == 404, (person.name, method, path, resp.text)


def test_metadata_refused_when_locked_or_in_error(admin: Person, alice: Person,
                                                  server: str) -> None:
    alice.conn.compute.lock_server(server)
    resp = alice.http("POST", f"/servers/{server}/metadata", json={"metadata": {"k": "v"}})
    assert resp.status_code == 409
    assert resp.json()["conflictingRequest"]["message"] == f"Instance {server} is locked"
    assert alice.http("DELETE", f"/servers/{server}/metadata/color").status_code == 409
    # An admin is not held back by a lock.
    assert admin.http("POST", f"/servers/{server}/metadata",
                      json={"metadata": {"k": "v"}}).status_code == 200
    alice.conn.compute.unlock_server(server)
    action(admin, server, {"os-resetState": {"state": "error"}})
    resp = alice.http("PUT", f"/servers/{server}/metadata", json={"metadata": {}})
    assert resp.status_code == 409
    assert resp.json()["conflictingRequest"]["message"] == (
        f"Cannot 'update metadata' instance {server} while it is in vm_state error")
    resp = alice.http("DELETE", f"/servers/{server}/metadata/color")
    assert resp.json()["conflictingRequest"]["message"] == (
        f"Cannot 'delete metadata' instance {server} while it is in vm_state error")
    # Reading is fine in any state.
    assert alice.http("GET", f"/servers/{server}/metadata").status_code == 200
    action(admin, server, {"os-resetState": {"state": "active"}})


def test_metadata_allowed_while_stopped_and_paused(alice: Person, server: str) -> None:
    alice.conn.compute.stop_server(server)
    wait_for(alice, server, "SHUTOFF")
    assert alice.http("POST", f"/servers/{server}/metadata",
                      json={"metadata": {"when": "stopped"}}).status_code == 200
    alice.conn.compute.start_server(server)
    wait_for(alice, server, "ACTIVE")
    alice.conn.compute.pause_server(server)
    wait_for(alice, server, "PAUSED")
    assert alice.http("PUT", f"/servers/{server}/metadata/when",
                      json={"meta": {"when": "paused"}}).status_code == 200
    assert alice.conn.compute.get_server_metadata(server).metadata["when"] == "paused"


# --- tags -------------------------------------------------------------------------

def test_tags_over_http(alice: Person, server: str) -> None:
    base = f"/servers/{server}/tags"
    assert alice.http("GET", base, version="2.25").status_code == 404
    assert alice.http("GET", base, version="2.26").json() == {"tags": []}
    before = after_a_second(alice, server)
    added = alice.http("PUT", f"{base}/red", version="2.26")
    assert added.status_code == 201, added.text
    assert added.headers["Location"].endswith(f"/v2.1/servers/{server}/tags/red")
    assert updated(alice, server) > before
    again = alice.http("PUT", f"{base}/red", version="2.26")
    assert again.status_code == 204 and again.headers["Location"] == added.headers["Location"]
    assert alice.http("GET", f"{base}/red", version="2.26").status_code == 204
    missing = alice.http("GET", f"{base}/blue", version="2.26")
    assert missing.status_code == 404
    assert missing.json()["itemNotFound"]["message"] == f"Server {server} has no tag 'blue'"
    replaced = alice.http("PUT", base, json={"tags": ["b", "a", "b"]}, version="2.26")
    assert replaced.status_code == 200
    shapes.check(shapes.TAGS, replaced.json())
    assert replaced.json() == {"tags": ["a", "b"]}
    assert alice.http("GET", f"/servers/{server}", version="2.26").json()["server"][
        "tags"] == ["a", "b"]
    assert alice.http("DELETE", f"{base}/a", version="2.26").status_code == 204
    gone = alice.http("DELETE", f"{base}/a", version="2.26")
    assert gone.status_code == 404
    assert gone.json()["itemNotFound"]["message"] == f"Instance {server} has no tag 'a'"
    assert alice.http("DELETE", base, version="2.26").status_code == 204
    listed = alice.http("GET", base, version="2.26")
    shapes.check(shapes.TAGS, listed.json())
    assert listed.json() == {"tags": []}


def test_tags_through_the_sdk_and_filters(alice: Person, server: str) -> None:
    sdk = alice.conn.compute
    sdk.add_tag_to_server(server, "blue")
    sdk.add_tag_to_server(server, "green")
    sdk.remove_tag_from_server(server, "blue")
    assert sdk.get_server(server).tags == ["green"]
    found = sdk.servers(tags="green")
    assert server in [s.id for s in found]


def test_tag_validation_and_limits(alice: Person, server: str) -> None:
    base = f"/servers/{server}/tags"
    too_long = alice.http("PUT", f"{base}/{'x' * 61}", version="2.26")
    assert too_long.status_code == 400
    assert too_long.json()["badRequest"]["message"].startswith(
        f"Tag '{'x' * 61}' is invalid. It must be a non empty string without characters "
        "'/' and ','.")
    assert alice.http("PUT", f"{base}/a,b", version="2.26").status_code == 400
    for bad in ({"tags": ["a/b"]}, {"tags": [""]}, {"tags": "a"}, {"tags": [1]},
                {"tags": [f"t{i}" for i in range(51)]}, {}):
        assert alice.http("PUT", base, json=bad, version="2.26").status_code == 400, bad
    fifty = [f"t{i:02d}" for i in range(50)]
    assert alice.http("PUT", base, json={"tags": fifty}, version="2.26").status_code == 200
    over = alice.http("PUT", f"{base}/one-more", version="2.26")
    assert over.status_code == 400
    assert over.json()["badRequest"]["message"] == (
        "The number of tags exceeded the per-server limit 50")


def test_tags_of_other_projects_are_forbidden(alice: Person, server: str,
                                              make_person: Callable[..., Person]) -> None:
    eve = make_person()
    resp = eve.http("GET", f"/servers/{server}/tags", version="2.26")
    assert resp.status_code == 403  # as Nova: policy on the mapping's project
    assert eve.http("PUT", f"/servers/{server}/tags/x", version="2.26").status_code == 403
    assert eve.http("GET", f"/servers/{MISSING}/tags", version="2.26").status_code == 404


def test_tags_refused_in_error_but_not_when_locked(admin: Person, alice: Person,
                                                   server: str) -> None:
    alice.conn.compute.lock_server(server)
    assert alice.http("PUT", f"/servers/{server}/tags/x", version="2.26").status_code == 201
    alice.conn.compute.unlock_server(server)
    action(admin, server, {"os-resetState": {"state": "error"}})
    for method, path, message in (("PUT", "/tags/y", "update tag"),
                                  ("PUT", "/tags", "update tags"),
                                  ("DELETE", "/tags/x", "delete tag"),
                                  ("DELETE", "/tags", "delete tags")):
        resp = alice.http(method, f"/servers/{server}{path}", version="2.26",
                          json={"tags": []} if path == "/tags" and method == "PUT" else None)
        assert resp.status_code == 409, (method, path, resp.text)
        assert resp.json()["conflictingRequest"]["message"] == (
            f"Cannot '{message}' instance {server} while it is in vm_state error")
    assert alice.http("GET", f"/servers/{server}/tags", version="2.26").json() == {
        "tags": ["x"]}
    action(admin, server, {"os-resetState": {"state": "active"}})


def test_metadata_and_tags_with_the_cli(cloud: RunningCloud, alice: Person,
                                        server: str) -> None:
    env = _env(cloud, alice)
    cli(cloud, "server", "set", "--property", "os=linux", server, env=env)
    cli(cloud, "server", "unset", "--property", "color", server, env=env)
    assert alice.http("GET", f"/servers/{server}/metadata").json() == {
        "metadata": {"os": "linux"}}
    cli(cloud, "--os-compute-api-version", "2.26", "server", "set", "--tag", "web", server,
        env=env)
    assert alice.http("GET", f"/servers/{server}/tags", version="2.26").json() == {
        "tags": ["web"]}
