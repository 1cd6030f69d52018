"""Instance actions and events (os-instance-actions) at the microversions
where they change: deleted servers (2.21), events for owners (2.51), paging
and changes-since (2.58), hostId and host (2.62), changes-before (2.66),
details (2.84); shapes checked as Tempest checks them."""

from __future__ import annotations

import datetime
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

import pytest

from tests.functional.compute import action_shapes as shapes
from tests.functional.compute.conftest import Person, new_flavor
from tests.functional.compute.test_guest_actions import action, events_of
from tests.functional.compute.test_servers import boot, wait_for
from tests.support.cli import as_json
from tests.support.cloud import RunningCloud


@pytest.fixture(scope="module")
def flavor(admin: Person) -> dict[str, Any]:
    return new_flavor(admin, ram=128, vcpus=1, disk=1)


@pytest.fixture(scope="module")
def history(alice: Person, image: str, flavor: dict[str, Any]) -> dict[str, Any]:
    """A server that was created, stopped, started and paused, with the request ids."""
    created = boot(alice, image, flavor)
    server = created["id"]
    wait_for(alice, server, "ACTIVE")
    ids = {}
    for name, body, status in (("stop", {"os-stop": None}, "SHUTOFF"),
                               ("start", {"os-start": None}, "ACTIVE"),
                               ("pause", {"pause": None}, "PAUSED")):
        resp = action(alice, server, body)
        assert resp.status_code == 202
        ids[name] = resp.headers["x-openstack-request-id"]
        wait_for(alice, server, status)
        events_of(alice, server, name)
    return {"server": server, "ids": ids}


def _list(person: Person, server: str, version: str, query: str = "") -> Any:
    return person.http("GET", f"/servers/{server}/os-instance-actions{query}", version=version)


@pytest.mark.parametrize("version", ["2.1", "2.21", "2.51", "2.58", "2.62", "2.66", "2.84",
                                     "2.102"])
def test_list_shapes_and_order(alice: Person, history: dict[str, Any], version: str) -> None:
    resp = _list(alice, history["server"], version)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    shapes.check(shapes.instance_action_list(version), body)
    assert [a["action"] for a in body["instanceActions"]] == ["pause", "start", "stop",
                                                              "create"]
    first = body["instanceActions"][0]
    assert first["request_id"] == history["ids"]["pause"]
    assert (first["user_id"], first["project_id"]) == (alice.user_id, alice.project_id)
    assert first["instance_uuid"] == history["server"] and first["message"] is None


@pytest.mark.parametrize("version", ["2.1", "2.50", "2.51", "2.58", "2.62", "2.84"])
def test_show_events_per_version_and_person(admin: Person, alice: Person,
                                            history: dict[str, Any], version: str) -> None:
    server, request_id = history["server"], history["ids"]["stop"]
    path = f"/servers/{server}/os-instance-actions/{request_id}"
    mine = alice.http("GET", path, version=version).json()
    theirs = admin.http("GET", path, version=version).json()
    shapes.check(shapes.instance_action(version), mine)
    shapes.check(shapes.instance_action(version), theirs)
    action_body = mine["instanceAction"]
    assert action_body["action"] == "stop" and action_body["request_id"] == request_id
    newer = tuple(int(p) for p in version.split(".")) >= (2, 51)
    assert ("events" in action_body) is newer  # owners see events from 2.51
    (event,) = theirs["instanceAction"]["events"]
    assert (event["event"], event["result"]) == ("compute_stop_instance", "Success")
    assert event["traceback"] is None  # admins see tracebacks (none here)
    if newer:
        assert "traceback" not in action_body["events"][0]
    if tuple(int(p) for p in version.split(".")) >= (2, 62):
        assert len(event["hostId"]) == 56 and event["host"].startswith("host-")
        assert "host" not in action_body["events"][0]
        # Hashed with the action's project, whoever asks.
        assert action_body["events"][0]["hostId"] == event["hostId"]
    if version == "2.84":
        assert "details" in event and "details" not in action_body["events"][0]


def test_paging_with_limit_and_marker(alice: Person, history: dict[str, Any]) -> None:
    server = history["server"]
    first = _list(alice, server, "2.58", "?limit=2").json()
    assert [a["action"] for a in first["instanceActions"]] == ["pause", "start"]
    (link,) = first["links"]
    assert link["rel"] == "next"
    query = urllib.parse.parse_qs(urllib.parse.urlparse(link["href"]).query)
    assert query == {"limit": ["2"], "marker": [history["ids"]["start"]]}
    second = _list(alice, server, "2.58", f"?limit=2&marker={history['ids']['start']}").json()
    assert [a["action"] for a in second["instanceActions"]] == ["stop", "create"]
    last = _list(alice, server, "2.58", f"?limit=2&marker={history['ids']['stop']}").json()
    assert [a["action"] for a in last["instanceActions"]] == ["create"]
    assert "links" not in last
    # Below 2.58 paging parameters are ignored.
    assert len(_list(alice, server, "2.57", "?limit=1").json()["instanceActions"]) == 4


def test_bad_queries_are_400(alice: Person, history: dict[str, Any]) -> None:
    server = history["server"]
    for query in ("?limit=-1", "?limit=x", "?marker=req-nope", "?changes-since=yesterday",
                  "?bogus=1", "?changes-before=2020-01-01T00:00:00Z"):
        resp = _list(alice, server, "2.58", query)
        assert resp.status_code == 400, (query, resp.text)
    assert _list(alice, server, "2.58", "?marker=req-nope").json()["badRequest"][
        "message"] == "Marker req-nope could not be found."
    since, before = "2030-01-01T00:00:00Z", "2020-01-01T00:00:00Z"
    resp = _list(alice, server, "2.66", f"?changes-since={since}&changes-before={before}")
    assert resp.json()["badRequest"]["message"] == (
        "The value of changes-since must be less than or equal to changes-before.")
    assert _list(alice, server, "2.1", "?bogus=1").status_code == 200


def test_changes_since_and_before(alice: Person, history: dict[str, Any]) -> None:
    server = history["server"]
    actions = _list(alice, server, "2.58").json()["instanceActions"]
    pause_updated = datetime.datetime.fromisoformat(actions[0]["updated_at"])
    at = (pause_updated - datetime.timedelta(microseconds=1)).isoformat() + "Z"
    newer = _list(alice, server, "2.58", f"?changes-since={urllib.parse.quote(at)}").json()
    assert [a["action"] for a in newer["instanceActions"]] == ["pause"]
    older = _list(alice, server, "2.66", f"?changes-before={urllib.parse.quote(at)}").json()
    assert [a["action"] for a in older["instanceActions"]] == ["start", "stop", "create"]


def test_missing_and_foreign(alice: Person, history: dict[str, Any],
                             make_person: Callable[..., Person]) -> None:
    server = history["server"]
    missing = alice.http("GET", f"/servers/{server}/os-instance-actions/req-nope")
    assert missing.status_code == 404
    assert missing.json()["itemNotFound"]["message"] == "Action req-nope not found"
    eve = make_person()
    assert _list(eve, server, "2.1").status_code == 404
    assert _list(alice, "00000000-0000-0000-0000-000000000000", "2.1").status_code == 404
    assert alice.http("GET", f"/servers/{server}/os-instance-actions/"
                      f"{history['ids']['stop']}?x=1", version="2.102").status_code == 400


def test_deleted_servers_keep_their_history_from_2_21(alice: Person, image: str,
                                                      flavor: dict[str, Any]) -> None:
    created = boot(alice, image, flavor)
    wait_for(alice, created["id"], "ACTIVE")
    resp = alice.http("DELETE", f"/servers/{created['id']}")
    wait_for(alice, created["id"], "DELETED")
    assert _list(alice, created["id"], "2.20").status_code == 404
    listed = _list(alice, created["id"], "2.21")
    assert listed.status_code == 200, listed.text
    actions = listed.json()["instanceActions"]
    assert [a["action"] for a in actions] == ["delete", "create"]
    assert actions[0]["request_id"] == resp.headers["x-openstack-request-id"]
    deadline = time.monotonic() + 10
    while True:
        shown = alice.http("GET", f"/servers/{created['id']}/os-instance-actions/"
                           f"{actions[0]['request_id']}", version="2.51").json()
        events = shown["instanceAction"]["events"]
        if events and events[0]["finish_time"] or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert [(e["event"], e["result"]) for e in events] == [
        ("compute_terminate_instance", "Success")]


def test_event_list_with_the_cli(cloud: RunningCloud, history: dict[str, Any]) -> None:
    server = history["server"]
    listed = as_json(cloud, "server", "event", "list", server)
    assert [e["Action"] for e in listed] == ["pause", "start", "stop", "create"]
    shown = as_json(cloud, "--os-compute-api-version", "2.62", "server", "event", "show",
                    server, history["ids"]["pause"])
    assert shown["action"] == "pause"
    assert [e["event"] for e in shown["events"]] == ["compute_pause_instance"]
