"""Reboot, pause, suspend and crash dumps through openstacksdk, HTTP and the
CLI: each moves the state machine as Nova's does, refuses the states Nova
refuses (409), records its instance action and event, and ends in a final
state when the driver fails."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from nimbus.compute.virt.fake import FailureInjector
from tests.functional.compute.conftest import Person, new_flavor
from tests.functional.compute.test_cli import _env
from tests.functional.compute.test_servers import boot, wait_for
from tests.support.cli import cli
from tests.support.cloud import RunningCloud
from tests.support.people import connect


@pytest.fixture(scope="module")
def flavor(admin: Person) -> dict[str, Any]:
    return new_flavor(admin, ram=128, vcpus=1, disk=1)


@pytest.fixture
def server(alice: Person, image: str, flavor: dict[str, Any]) -> Iterator[str]:
    created = boot(alice, image, flavor)
    wait_for(alice, created["id"], "ACTIVE")
    yield created["id"]
    alice.http("DELETE", f"/servers/{created['id']}")
    wait_for(alice, created["id"], "DELETED")


def action(person: Person, server_id: str, body: dict[str, Any], version: str = "2.1") -> Any:
    return person.http("POST", f"/servers/{server_id}/action", json=body, version=version)


def events_of(person: Person, server_id: str, name: str,
              timeout: float = 15) -> list[dict[str, Any]]:
    """The events of the newest action called `name`, once all have finished."""
    deadline = time.monotonic() + timeout
    while True:
        listed = person.http("GET", f"/servers/{server_id}/os-instance-actions",
                             version="2.84").json()["instanceActions"]
        mine = [a for a in listed if a["action"] == name]
        if mine:
            shown = person.http(
                "GET", f"/servers/{server_id}/os-instance-actions/{mine[0]['request_id']}",
                version="2.84").json()["instanceAction"]
            events = shown["events"]
            if events and all(e["finish_time"] for e in events):
                return list(events)
        if time.monotonic() > deadline:
            raise AssertionError(f"no finished {name} action on {server_id}: {listed}")
        time.sleep(0.05)


def states_of(person: Person, server_id: str) -> tuple[str, str, str | None, int]:
    body = person.http("GET", f"/servers/{server_id}").json()["server"]
    return (body["status"], body["OS-EXT-STS:vm_state"], body["OS-EXT-STS:task_state"],
            body["OS-EXT-STS:power_state"])


def test_soft_and_hard_reboot_through_the_sdk(alice: Person, server: str) -> None:
    sdk = alice.conn.compute
    sdk.reboot_server(server, "SOFT")
    wait_for(alice, server, "ACTIVE")
    assert [e["event"] for e in events_of(alice, server, "reboot")] == [
        "compute_reboot_instance"]
    sdk.stop_server(server)
    wait_for(alice, server, "SHUTOFF")
    # A soft reboot needs a running server; a hard one starts a stopped one.
    resp = action(alice, server, {"reboot": {"type": "SOFT"}})
    assert resp.status_code == 409, resp.text
    assert resp.json()["conflictingRequest"]["message"] == (
        f"Cannot 'reboot' instance {server} while it is in vm_state stopped")
    sdk.reboot_server(server, "HARD")
    wait_for(alice, server, "ACTIVE")
    assert states_of(alice, server) == ("ACTIVE", "active", None, 1)


def test_reboot_statuses_and_bad_bodies(alice: Person, server: str) -> None:
    assert action(alice, server, {"reboot": {"type": "sideways"}}).status_code == 400
    assert action(alice, server, {"reboot": {}}).status_code == 400
    assert action(alice, server, {"reboot": None}).status_code == 400
    assert action(alice, server, {"reboot": {"type": "hard", "x": 1}}).status_code == 400


def test_pause_and_unpause(alice: Person, server: str) -> None:
    alice.conn.compute.pause_server(server)
    wait_for(alice, server, "PAUSED")
    assert states_of(alice, server) == ("PAUSED", "paused", None, 3)
    for body in ({"pause": None}, {"suspend": None}, {"reboot": {"type": "SOFT"}}):
        resp = action(alice, server, body)
        assert resp.status_code == 409, (body, resp.text)
    alice.conn.compute.unpause_server(server)
    wait_for(alice, server, "ACTIVE")
    assert action(alice, server, {"unpause": None}).status_code == 409
    assert [e["result"] for e in events_of(alice, server, "unpause")] == ["Success"]


def test_suspend_and_resume_and_hard_reboot_of_a_suspended_server(alice: Person,
                                                                   server: str) -> None:
    alice.conn.compute.suspend_server(server)
    wait_for(alice, server, "SUSPENDED")
    assert states_of(alice, server) == ("SUSPENDED", "suspended", None, 7)
    assert action(alice, server, {"pause": None}).status_code == 409
    alice.conn.compute.resume_server(server)
    wait_for(alice, server, "ACTIVE")
    assert action(alice, server, {"resume": None}).status_code == 409
    alice.conn.compute.suspend_server(server)
    wait_for(alice, server, "SUSPENDED")
    assert action(alice, server, {"reboot": {"type": "HARD"}}).status_code == 202
    wait_for(alice, server, "ACTIVE")
    assert states_of(alice, server)[3] == 1


def test_crash_dump_from_2_17(cloud: RunningCloud, alice: Person, server: str) -> None:
    assert action(alice, server, {"trigger_crash_dump": None}).status_code == 404
    assert action(alice, server, {"trigger_crash_dump": {}},
                  version="2.17").status_code == 400
    alice.conn.compute.trigger_server_crash_dump(server)
    assert [e["result"] for e in events_of(alice, server, "trigger_crash_dump")] == [
        "Success"]
    host = [h for h in cloud.hosts
            if server in cloud.deployment.compute_runtime.agents[h].driver.instances][0]
    fake = cloud.deployment.compute_runtime.agents[host].driver.instances[server]
    assert "crash dump triggered (NMI)" in fake.console
    # No task state: the server stays ACTIVE and usable.
    assert states_of(alice, server)[:3] == ("ACTIVE", "active", None)


def _host_of(admin: Person, server: str) -> str:
    return str(admin.http("GET", f"/servers/{server}").json()["server"]["OS-EXT-SRV-ATTR:host"])


def test_failed_pause_clears_the_task_and_records_the_error(admin: Person, alice: Person,
                                                            server: str) -> None:
    FailureInjector.inject(_host_of(admin, server), "pause")
    assert action(alice, server, {"pause": None}).status_code == 202
    events = events_of(alice, server, "pause")
    assert [(e["event"], e["result"]) for e in events] == [("compute_pause_instance", "Error")]
    assert "traceback" not in events[0]  # an admin's
    admin_view = events_of(admin, server, "pause")
    assert "injected failure" in admin_view[0]["traceback"]
    assert states_of(alice, server) == ("ACTIVE", "active", None, 1)
    listed = alice.http("GET", f"/servers/{server}/os-instance-actions").json()
    assert listed["instanceActions"][0]["message"] == "Error"


def test_failed_reboot_of_a_running_guest_stays_active(admin: Person, alice: Person,
                                                       server: str) -> None:
    FailureInjector.inject(_host_of(admin, server), "reboot")
    assert action(alice, server, {"reboot": {"type": "HARD"}}).status_code == 202
    events_of(alice, server, "reboot")
    assert states_of(alice, server) == ("ACTIVE", "active", None, 1)


def test_failed_reboot_of_a_stopped_guest_is_an_error(cloud: RunningCloud, admin: Person,
                                                      alice: Person, server: str) -> None:
    alice.conn.compute.stop_server(server)
    wait_for(alice, server, "SHUTOFF")
    FailureInjector.inject(_host_of(admin, server), "reboot")
    assert action(alice, server, {"reboot": {"type": "HARD"}}).status_code == 202
    body = wait_for(alice, server, "ERROR")
    assert body["OS-EXT-STS:task_state"] is None
    assert "reboot failed" in body["fault"]["message"]
    # Hard reboot is the way out of ERROR, as in Nova (which shows ERROR meanwhile).
    assert action(alice, server, {"reboot": {"type": "HARD"}}).status_code == 202
    assert [e["result"] for e in events_of(alice, server, "reboot")] == ["Success"]
    assert states_of(alice, server) == ("ACTIVE", "active", None, 1)


def reader_of(cloud: RunningCloud, admin: Person, person: Person) -> Person:
    """A new user with the reader role on `person`'s project."""
    ident: Any = admin.conn.identity
    name, password = f"r-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    user = ident.create_user(name=name, password=password, domain_id="default",
                             default_project_id=person.project_id)
    ident.assign_project_role_to_user(person.project_id, user, ident.find_role("reader"))
    return Person(name, password, user.id, person.project_id,
                  connect(cloud, name, password, person.name), admin.base)


def test_other_projects_and_readers(cloud: RunningCloud, admin: Person, alice: Person,
                                    make_person: Any, server: str) -> None:
    eve = make_person()
    assert action(eve, server, {"pause": None}).status_code == 404
    reader = reader_of(cloud, admin, alice)
    resp = action(reader, server, {"pause": None})
    assert resp.status_code == 403, resp.text
    assert resp.json()["forbidden"]["message"] == (
        "Policy doesn't allow os_compute_api:os-pause-server:pause to be performed.")
    assert states_of(alice, server)[:3] == ("ACTIVE", "active", None)
    # Readers may read the history.
    assert reader.http("GET", f"/servers/{server}/os-instance-actions").status_code == 200


def test_cli_pause_suspend_reboot_and_events(cloud: RunningCloud, alice: Person,
                                             server: str) -> None:
    env = _env(cloud, alice)
    cli(cloud, "server", "pause", server, env=env)
    wait_for(alice, server, "PAUSED")
    cli(cloud, "server", "unpause", server, env=env)
    wait_for(alice, server, "ACTIVE")
    cli(cloud, "server", "suspend", server, env=env)
    wait_for(alice, server, "SUSPENDED")
    cli(cloud, "server", "resume", server, env=env)
    wait_for(alice, server, "ACTIVE")
    cli(cloud, "server", "reboot", "--hard", "--wait", server, env=env)
    listed = cli(cloud, "server", "event", "list", server, "-f", "value", "-c", "Action",
                 env=env).stdout.split()
    assert listed[:5] == ["reboot", "resume", "suspend", "unpause", "pause"]
