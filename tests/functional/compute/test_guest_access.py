"""Reaching into a guest: changePassword, console output, remote consoles
(2.6), the metadata service's password, diagnostics (legacy and 2.48) and
addresses; each through openstacksdk or HTTP, with Nova's answers when the
guest or its driver cannot."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from nimbus.compute.virt import driver as virt
from nimbus.compute.virt.fake import FailureInjector
from tests.functional.compute import action_shapes as shapes
from tests.functional.compute.conftest import Person, new_flavor
from tests.functional.compute.test_cli import _env
from tests.functional.compute.test_guest_actions import action, events_of, states_of
from tests.functional.compute.test_servers import boot, wait_for
from tests.support.cli import cli
from tests.support.cloud import RunningCloud


@pytest.fixture(scope="module")
def flavor(admin: Person) -> dict[str, Any]:
    return new_flavor(admin, ram=128, vcpus=2, disk=1)


@pytest.fixture(scope="module")
def server(admin: Person, alice: Person, image: str, flavor: dict[str, Any]) -> Iterator[str]:
    created = boot(alice, image, flavor)
    wait_for(alice, created["id"], "ACTIVE")
    yield created["id"]
    admin.http("DELETE", f"/servers/{created['id']}")
    wait_for(alice, created["id"], "DELETED")


def agent_of(cloud: RunningCloud, admin: Person, server: str) -> Any:
    host = admin.http("GET", f"/servers/{server}").json()["server"]["OS-EXT-SRV-ATTR:host"]
    return cloud.deployment.compute_runtime.agents[host]


# --- changePassword ---------------------------------------------------------------

def test_change_password(alice: Person, server: str) -> None:
    alice.conn.compute.change_server_password(server, "s3cret!")
    assert [e["result"] for e in events_of(alice, server, "changePassword")] == ["Success"]
    assert states_of(alice, server)[:3] == ("ACTIVE", "active", None)
    for bad in ({"changePassword": {}}, {"changePassword": {"adminPass": 1}},
                {"changePassword": {"adminPass": "x", "extra": 1}}):
        assert action(alice, server, bad).status_code == 400, bad


def test_change_password_failures(cloud: RunningCloud, admin: Person, alice: Person,
                                  server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    agent = agent_of(cloud, admin, server)
    FailureInjector.inject(agent.host, "set_admin_password", message="agent said p4ss")
    resp = action(alice, server, {"changePassword": {"adminPass": "p4ss"}})
    assert resp.status_code == 409, resp.text
    assert resp.json()["conflictingRequest"]["message"] == (
        f"Failed to set admin password on {server} because error setting admin password")
    assert "p4ss" not in resp.text
    assert states_of(alice, server)[:3] == ("ACTIVE", "active", None)

    def unsupported(instance: Any, new_pass: str) -> None:
        raise virt.UnsupportedOperation("no guest agent")

    monkeypatch.setattr(agent.driver, "set_admin_password", unsupported)
    resp = action(alice, server, {"changePassword": {"adminPass": "p4ss"}})
    assert resp.status_code == 501
    assert resp.json()["notImplemented"]["message"] == "Unable to set password on instance"
    assert states_of(alice, server)[2] is None


def test_change_password_needs_active(alice: Person, server: str) -> None:
    alice.conn.compute.pause_server(server)
    wait_for(alice, server, "PAUSED")
    resp = action(alice, server, {"changePassword": {"adminPass": "x"}})
    assert resp.status_code == 409
    assert resp.json()["conflictingRequest"]["message"] == (
        f"Cannot 'changePassword' instance {server} while it is in vm_state paused")
    alice.conn.compute.unpause_server(server)
    wait_for(alice, server, "ACTIVE")


# --- console output -------------------------------------------------------------

def test_console_output(alice: Person, server: str) -> None:
    whole = action(alice, server, {"os-getConsoleOutput": {}})
    assert whole.status_code == 200, whole.text
    shapes.check(shapes.CONSOLE_OUTPUT, whole.json())
    lines = whole.json()["output"].split("\n")
    assert lines[0].startswith(f"fake console of {server}")
    assert action(alice, server, {"os-getConsoleOutput": {"length": -1}}).json() == \
        whole.json()
    tail = action(alice, server, {"os-getConsoleOutput": {"length": "2"}}).json()["output"]
    assert tail == "\n".join(lines[-2:])
    assert action(alice, server, {"os-getConsoleOutput": {"length": 0}}).json() == {
        "output": ""}
    sdk = alice.conn.compute.get_server_console_output(server, length=1)
    assert sdk == {"output": ""}  # the last "line" after the final newline
    for bad in ({"os-getConsoleOutput": {"length": -2}},
                {"os-getConsoleOutput": {"length": "ten"}},
                {"os-getConsoleOutput": {"lines": 1}}):
        assert action(alice, server, bad).status_code == 400, bad


def test_console_log_with_the_cli(cloud: RunningCloud, alice: Person, server: str) -> None:
    whole = action(alice, server, {"os-getConsoleOutput": {}}).json()["output"]
    shown = cli(cloud, "console", "log", "show", "--lines", "3", server,
                env=_env(cloud, alice)).stdout
    assert shown.rstrip("\n") == "\n".join(whole.split("\n")[-3:]).rstrip("\n")


def test_console_output_when_the_guest_has_none(cloud: RunningCloud, admin: Person,
                                                alice: Person, server: str) -> None:
    FailureInjector.inject(agent_of(cloud, admin, server).host, "get_console_output")
    resp = action(alice, server, {"os-getConsoleOutput": {}})
    assert resp.status_code == 404
    assert resp.json()["itemNotFound"]["message"] == (
        "Guest does not have a console available.")


# --- remote consoles ----------------------------------------------------------------

def test_remote_consoles_without_a_console(alice: Person, server: str) -> None:
    path = f"/servers/{server}/remote-consoles"
    body = {"remote_console": {"protocol": "vnc", "type": "novnc"}}
    assert alice.http("POST", path, json=body, version="2.5").status_code == 404
    resp = alice.http("POST", path, json=body, version="2.6")
    assert resp.status_code == 400, resp.text
    assert resp.json()["badRequest"]["message"] == "Unavailable console type novnc."
    rdp = alice.http("POST", path, json={"remote_console": {"protocol": "rdp",
                                                            "type": "rdp-html5"}},
                     version="2.6")
    assert rdp.json()["badRequest"]["message"] == "Unavailable console type rdp."
    mks = {"remote_console": {"protocol": "mks", "type": "webmks"}}
    assert alice.http("POST", path, json=mks, version="2.6").status_code == 400
    assert alice.http("POST", path, json=mks, version="2.8").json()["badRequest"][
        "message"] == "Unavailable console type webmks."
    for bad in ({"remote_console": {"protocol": "vnc"}}, {"remote_console": {
            "protocol": "telnet", "type": "novnc"}}, {"console": {}}):
        assert alice.http("POST", path, json=bad, version="2.6").status_code == 400
    missing = alice.http("POST", "/servers/00000000-0000-0000-0000-000000000000/"
                         "remote-consoles", json=body, version="2.6")
    assert missing.status_code == 404


# --- the metadata service's password ------------------------------------------------

def test_server_password(cloud: RunningCloud, alice: Person, server: str) -> None:
    path = f"/servers/{server}/os-server-password"
    empty = alice.http("GET", path)
    assert empty.status_code == 200
    shapes.check(shapes.PASSWORD, empty.json())
    assert empty.json() == {"password": ""}
    # What the metadata service stores when a guest posts its encrypted password.
    from nimbus.compute.ops import lookup, server_items

    compute = cloud.deployment.compute
    found = lookup.find(compute, None, server, True)  # type: ignore[arg-type]
    secret = "x" * 300 + "y" * 300
    server_items.set_password(compute, found, secret)
    assert alice.conn.compute.get_server_password(server) == secret
    alice.conn.compute.clear_server_password(server)
    assert alice.http("GET", path).json() == {"password": ""}
    assert alice.http("GET", f"{path}?x=1", version="2.102").status_code == 400


# --- diagnostics ----------------------------------------------------------------------

def test_diagnostics_standard_and_legacy(admin: Person, alice: Person, server: str) -> None:
    path = f"/servers/{server}/diagnostics"
    resp = alice.http("GET", path, version="2.48")
    assert resp.status_code == 403
    standard = admin.http("GET", path, version="2.48")
    assert standard.status_code == 200, standard.text
    shapes.check(shapes.DIAGNOSTICS_V2_48, standard.json())
    body = standard.json()
    assert (body["state"], body["driver"], body["num_cpus"]) == ("running", "libvirt", 2)
    assert body["memory_details"] == {"maximum": 128, "used": 0}
    legacy = admin.http("GET", path, version="2.47").json()
    assert legacy["memory"] == 128 * 1024
    assert set(legacy) >= {"cpu0_time", "cpu1_time", "vda_read", "vda_write_req",
                           "vda_errors"}
    sdk = admin.conn.compute.get_server_diagnostics(server)
    assert sdk.driver == "libvirt"


def test_diagnostics_of_a_stopped_server_is_409(admin: Person, alice: Person,
                                                server: str) -> None:
    alice.conn.compute.stop_server(server)
    wait_for(alice, server, "SHUTOFF")
    resp = admin.http("GET", f"/servers/{server}/diagnostics", version="2.48")
    assert resp.status_code == 409
    assert resp.json()["conflictingRequest"]["message"] == (
        f"Cannot 'get_diagnostics' instance {server} while it is in power state shutdown")
    alice.conn.compute.start_server(server)
    wait_for(alice, server, "ACTIVE")


# --- addresses ----------------------------------------------------------------------------

def test_addresses_without_networks(alice: Person, server: str) -> None:
    listed = alice.http("GET", f"/servers/{server}/ips")
    assert listed.status_code == 200
    shapes.check(shapes.ADDRESSES, listed.json())
    assert listed.json() == {"addresses": {}}
    resp = alice.http("GET", f"/servers/{server}/ips/private")
    assert resp.status_code == 404
    assert resp.json()["itemNotFound"]["message"] == (
        "Instance is not a member of specified network")


def test_addresses_from_the_info_cache(cloud: RunningCloud, alice: Person, image: str,
                                       flavor: dict[str, Any]) -> None:
    created = boot(alice, image, flavor)
    server = created["id"]
    wait_for(alice, server, "ACTIVE")
    vif = {"address": "fa:16:3e:00:00:01", "network": {"label": "private"},
           "fixed_ips": [{"address": "10.0.0.5", "version": 4, "type": "fixed",
                          "floating_ips": [{"address": "172.24.4.9", "version": 4}]},
                         {"address": "fd00::5", "version": 6, "type": "fixed"}]}
    from nimbus.compute.db.cell import instances as cell_instances

    compute = cloud.deployment.compute
    cell = compute.cells.for_instance(server)
    assert cell is not None
    with compute.cells.db(cell).writer() as conn:
        cell_instances.update(conn, server, {"network_info": [vif]})
    listed = alice.http("GET", f"/servers/{server}/ips").json()
    shapes.check(shapes.ADDRESSES, listed)
    assert listed == {"addresses": {"private": [
        {"version": 4, "addr": "10.0.0.5"}, {"version": 4, "addr": "172.24.4.9"},
        {"version": 6, "addr": "fd00::5"}]}}
    one = alice.http("GET", f"/servers/{server}/ips/private").json()
    shapes.check(shapes.ADDRESSES_BY_NETWORK, one)
    assert one == listed["addresses"]
    assert [a.address for a in alice.conn.compute.server_ips(server)] == [
        "10.0.0.5", "172.24.4.9", "fd00::5"]
    assert orjson.loads(orjson.dumps(listed)) == listed
    alice.http("DELETE", f"/servers/{server}")
    wait_for(alice, server, "DELETED")
