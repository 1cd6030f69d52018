"""Locks (owner's and admin's, with a reason from 2.73) and os-resetState,
through openstacksdk, HTTP and the CLI, with Nova's policies and records."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.functional.compute.conftest import Person, new_flavor
from tests.functional.compute.test_cli import _env
from tests.functional.compute.test_guest_actions import action, events_of, states_of
from tests.functional.compute.test_servers import boot, wait_for
from tests.support.cli import cli
from tests.support.cloud import RunningCloud


@pytest.fixture(scope="module")
def flavor(admin: Person) -> dict[str, Any]:
    return new_flavor(admin, ram=128, vcpus=1, disk=1)


@pytest.fixture
def server(admin: Person, alice: Person, image: str, flavor: dict[str, Any]) -> Iterator[str]:
    created = boot(alice, image, flavor)
    wait_for(alice, created["id"], "ACTIVE")
    yield created["id"]
    admin.http("DELETE", f"/servers/{created['id']}")
    wait_for(alice, created["id"], "DELETED")


def shown(person: Person, server: str, version: str = "2.73") -> dict[str, Any]:
    return dict(person.http("GET", f"/servers/{server}", version=version).json()["server"])


def test_owner_lock_and_unlock(alice: Person, server: str) -> None:
    alice.conn.compute.lock_server(server)
    body = shown(alice, server, "2.9")
    assert body["locked"] is True and "locked_reason" not in body
    assert shown(alice, server)["locked_reason"] is None
    # Locking it again is a no-op that records nothing.
    assert action(alice, server, {"lock": None}).status_code == 202
    listed = alice.http("GET", f"/servers/{server}/os-instance-actions").json()
    assert [a["action"] for a in listed["instanceActions"]] == ["lock", "create"]
    assert [(e["event"], e["result"]) for e in events_of(alice, server, "lock")] == [
        ("api_lock", "Success")]
    resp = alice.http("DELETE", f"/servers/{server}")
    assert resp.status_code == 409 and "is locked" in resp.text
    alice.conn.compute.unlock_server(server)
    assert shown(alice, server)["locked"] is False
    assert [e["event"] for e in events_of(alice, server, "unlock")] == ["api_unlock"]


def test_locked_reason_from_2_73(alice: Person, server: str) -> None:
    resp = action(alice, server, {"lock": {"locked_reason": "maintenance"}}, version="2.72")
    assert resp.status_code == 202  # ignored before 2.73, as Nova
    assert shown(alice, server)["locked_reason"] is None
    action(alice, server, {"unlock": None})
    for bad in ({"lock": {"locked_reason": ""}}, {"lock": {"locked_reason": "x" * 256}},
                {"lock": {"reason": "x"}}, {"lock": "now"}):
        assert action(alice, server, bad, version="2.73").status_code == 400, bad
    alice.conn.compute.lock_server(server, locked_reason="backups running")
    body = shown(alice, server)
    assert (body["locked"], body["locked_reason"]) == (True, "backups running")
    listed = alice.http("GET", "/servers/detail?locked=true", version="2.73").json()
    assert server in [s["id"] for s in listed["servers"]]
    alice.conn.compute.unlock_server(server)
    assert shown(alice, server)["locked_reason"] is None


def test_admin_locks_need_the_override_to_lift(admin: Person, alice: Person,
                                               server: str) -> None:
    assert action(admin, server, {"lock": {"locked_reason": "audit"}},
                  version="2.73").status_code == 202
    resp = action(alice, server, {"unlock": None})
    assert resp.status_code == 403, resp.text
    assert "os-lock-server:unlock:unlock_override" in resp.json()["forbidden"]["message"]
    # An owner's lock again on top of an admin's is a no-op for the owner.
    assert action(alice, server, {"lock": None}).status_code == 202
    assert shown(admin, server)["locked_reason"] == "audit"
    assert action(admin, server, {"unlock": None}).status_code == 202
    assert shown(alice, server)["locked"] is False
    # An admin may lift an owner's lock too (with the override admins have).
    action(alice, server, {"lock": None})
    assert action(admin, server, {"unlock": None}).status_code == 202


def test_locked_servers_refuse_members_not_admins(admin: Person, alice: Person,
                                                  server: str) -> None:
    alice.conn.compute.lock_server(server)
    for body in ({"pause": None}, {"suspend": None}, {"reboot": {"type": "HARD"}}):
        resp = action(alice, server, body)
        assert resp.status_code == 409, (body, resp.text)
        assert resp.json()["conflictingRequest"]["message"] == f"Instance {server} is locked"
    assert action(admin, server, {"pause": None}).status_code == 202
    wait_for(alice, server, "PAUSED")
    assert action(admin, server, {"unpause": None}).status_code == 202
    wait_for(alice, server, "ACTIVE")
    alice.conn.compute.unlock_server(server)


def test_reset_state_is_for_admins(admin: Person, alice: Person, server: str) -> None:
    resp = action(alice, server, {"os-resetState": {"state": "error"}})
    assert resp.status_code == 403
    assert action(admin, server, {"os-resetState": {"state": "stopped"}}).status_code == 400
    assert action(admin, server, {"os-resetState": {}}).status_code == 400
    assert action(admin, server, {"os-resetState": {"state": "error"}}).status_code == 202
    assert states_of(alice, server)[:3] == ("ERROR", "error", None)
    resp = action(alice, server, {"pause": None})
    assert resp.status_code == 409
    assert admin.conn.compute.reset_server_state(server, "active") is None
    assert states_of(alice, server)[:3] == ("ACTIVE", "active", None)
    history = alice.http("GET", f"/servers/{server}/os-instance-actions",
                         version="2.58").json()["instanceActions"]
    assert [a["action"] for a in history[:2]] == ["resetState", "resetState"]
    shown_action = alice.http(
        "GET", f"/servers/{server}/os-instance-actions/{history[0]['request_id']}",
        version="2.58").json()["instanceAction"]
    assert shown_action["events"] == []


def test_lock_and_unlock_with_the_cli(cloud: RunningCloud, alice: Person, server: str) -> None:
    env = _env(cloud, alice)
    cli(cloud, "--os-compute-api-version", "2.73", "server", "lock", "--reason", "cli said so",
        server, env=env)
    assert shown(alice, server)["locked_reason"] == "cli said so"
    cli(cloud, "server", "unlock", server, env=env)
    assert shown(alice, server)["locked"] is False
