"""Server actions through openstacksdk and HTTP: each moves the state machine
as Nova's does, and an action in the wrong state is 409."""

from __future__ import annotations

from typing import Any

import pytest

from tests.functional.compute.conftest import Person, new_flavor
from tests.functional.compute.test_servers import boot, wait_for


@pytest.fixture(scope="module")
def flavor(admin: Person) -> dict[str, Any]:
    return new_flavor(admin, ram=128, vcpus=1, disk=1)


@pytest.fixture
def server(alice: Person, image: str, flavor: dict[str, Any]) -> Any:
    created = boot(alice, image, flavor)
    wait_for(alice, created["id"], "ACTIVE")
    yield created["id"]
    alice.http("DELETE", f"/servers/{created['id']}")


def action(person: Person, server_id: str, body: dict[str, Any], version: str = "2.1") -> Any:
    return person.http("POST", f"/servers/{server_id}/action", json=body, version=version)


def test_stop_and_start(alice: Person, server: str) -> None:
    sdk = alice.conn.compute
    sdk.stop_server(server)
    body = wait_for(alice, server, "SHUTOFF")
    assert (body["OS-EXT-STS:vm_state"], body["OS-EXT-STS:power_state"]) == ("stopped", 4)
    resp = action(alice, server, {"os-stop": None})
    assert resp.status_code == 409, resp.text
    assert "Cannot 'stop' instance" in resp.json()["conflictingRequest"]["message"]
    sdk.start_server(server)
    body = wait_for(alice, server, "ACTIVE")
    assert body["OS-EXT-STS:power_state"] == 1
    assert action(alice, server, {"os-start": None}).status_code == 409


def test_unknown_and_malformed_actions_are_400(alice: Person, server: str) -> None:
    assert action(alice, server, {"no-such-action": None}).status_code == 400
    assert action(alice, server, {"os-stop": None, "os-start": None}).status_code == 400


def test_actions_on_missing_servers_are_404(alice: Person) -> None:
    resp = action(alice, "00000000-0000-0000-0000-000000000000", {"os-stop": None})
    assert resp.status_code == 404
