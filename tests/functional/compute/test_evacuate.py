"""Evacuation through HTTP: only off a host whose agent is down (forced down
here, as os-services would), rebuilt elsewhere by the scheduler; the source
cleans up when its agent comes back. Placement is checked at each step."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from nimbus.compute.runtime import internal_context
from tests.functional.compute.conftest import Person, new_flavor
from tests.functional.compute.moves import (
    action,
    driver,
    events,
    forced_down,
    held,
    host_of,
    migrations,
    runtime,
    sizes,
    wait_fault,
    wait_gone,
    wait_migration,
)
from tests.functional.compute.test_servers import boot, wait_for
from tests.support.cloud import RunningCloud


@pytest.fixture(scope="module")
def flavor(admin: Person) -> dict[str, Any]:
    return new_flavor(admin, ram=128, vcpus=1, disk=1)


@pytest.fixture
def server(admin: Person, image: str, flavor: dict[str, Any]) -> Iterator[str]:
    created = boot(admin, image, flavor, availability_zone="nova:host-1")
    wait_for(admin, created["id"], "ACTIVE")
    yield created["id"]
    admin.http("DELETE", f"/servers/{created['id']}")
    wait_gone(admin, created["id"])


def come_back(cloud: RunningCloud, host: str) -> None:
    """The agent of `host` starts again (its guests survived, as after a
    network partition rather than a reboot)."""
    runtime(cloud).agents[host].init_host(internal_context())


def test_evacuate_then_the_source_comes_back(cloud: RunningCloud, admin: Person,
                                             server: str, flavor: dict[str, Any]) -> None:
    with forced_down(cloud, "host-1"):
        resp = action(admin, server, {"evacuate": {}}, version="2.14")
        assert (resp.status_code, resp.content) == (200, b"")
        migration = wait_migration(admin, server, "done")
        body = wait_for(admin, server, "ACTIVE")
        assert body["OS-EXT-SRV-ATTR:host"] == "host-2"
        assert (migration["migration_type"], migration["source_compute"],
                migration["dest_compute"]) == ("evacuation", "host-1", "host-2")
        # Until the source is cleaned up the instance holds both hosts.
        assert held(admin, cloud, server) == {"host-1": sizes(flavor), "host-2": sizes(flavor)}
        assert held(admin, cloud, migration["uuid"]) == {}
        assert server in driver(cloud, "host-1").instances
        assert server in driver(cloud, "host-2").instances
        assert set(events(cloud, server, "evacuate")) == {"rebuild_server",
                                                          "compute_rebuild_instance"}
    come_back(cloud, "host-1")
    assert migrations(admin, server)[0]["status"] == "completed"
    assert server not in driver(cloud, "host-1").instances
    assert held(admin, cloud, server) == {"host-2": sizes(flavor)}
    assert wait_for(admin, server, "ACTIVE")["OS-EXT-SRV-ATTR:host"] == "host-2"


def test_before_2_14_the_answer_has_the_password(cloud: RunningCloud, admin: Person,
                                                 server: str) -> None:
    with forced_down(cloud, "host-1"):
        resp = action(admin, server, {"evacuate": {"onSharedStorage": False,
                                                   "adminPass": "s3cret"}})
        assert resp.status_code == 200, resp.text
        assert resp.json() == {"adminPass": "s3cret"}
        wait_migration(admin, server, "done")
        generated = action(admin, server, {"evacuate": {"onSharedStorage": "False"}})
        assert generated.status_code == 400  # its host, host-2, is up
    come_back(cloud, "host-1")


def test_from_2_95_it_ends_stopped(cloud: RunningCloud, admin: Person, server: str) -> None:
    with forced_down(cloud, "host-1"):
        resp = action(admin, server, {"evacuate": {"host": "host-2"}}, version="2.95")
        assert resp.status_code == 200, resp.text
        wait_migration(admin, server, "done")
        body = wait_for(admin, server, "SHUTOFF")
        assert (body["OS-EXT-SRV-ATTR:host"], body["OS-EXT-STS:power_state"]) == ("host-2", 4)
    come_back(cloud, "host-1")


def test_forced_to_a_host(cloud: RunningCloud, admin: Person, server: str,
                          flavor: dict[str, Any]) -> None:
    with forced_down(cloud, "host-1"):
        resp = action(admin, server, {"evacuate": {"host": "host-2", "force": True}},
                      version="2.29")
        assert resp.status_code == 200, resp.text
        wait_migration(admin, server, "done")
        assert held(admin, cloud, server) == {"host-1": sizes(flavor), "host-2": sizes(flavor)}
    come_back(cloud, "host-1")
    assert held(admin, cloud, server) == {"host-2": sizes(flavor)}


def test_refusals(cloud: RunningCloud, admin: Person, alice: Person, image: str,
                  flavor: dict[str, Any], server: str) -> None:
    def message(resp: Any, status: int) -> str:
        assert resp.status_code == status, resp.text
        return str(next(iter(resp.json().values()))["message"])

    up = action(admin, server, {"evacuate": {}}, version="2.14")
    assert message(up, 400) == "Compute service of host-1 is still in use."
    same = action(admin, server, {"evacuate": {"host": "host-1"}}, version="2.14")
    assert message(same, 400) == "The target host can't be the same one."
    unknown = action(admin, server, {"evacuate": {"host": "nowhere"}}, version="2.14")
    assert message(unknown, 404) == "Compute host nowhere not found."
    forced = action(admin, server, {"evacuate": {"force": True}}, version="2.29")
    assert message(forced, 400) == "Can't force to a non-provided destination"
    assert action(admin, server, {"evacuate": {}}).status_code == 400  # onSharedStorage
    assert action(admin, server, {"evacuate": {"onSharedStorage": True}},
                  version="2.14").status_code == 400
    assert action(admin, server, {"evacuate": {"host": "host-2", "force": True}},
                  version="2.68").status_code == 400
    shared = action(admin, server, {"evacuate": {"onSharedStorage": True, "adminPass": "x"}})
    assert message(shared, 400) == "admin password can't be changed on existing disk"
    own = boot(alice, image, flavor)["id"]
    wait_for(alice, own, "ACTIVE")
    assert action(alice, own, {"evacuate": {}}, version="2.14").status_code == 403
    alice.http("DELETE", f"/servers/{own}")


def test_no_host_to_go_to(cloud: RunningCloud, admin: Person, server: str,
                          flavor: dict[str, Any]) -> None:
    """Every other host is down too: ERROR with a fault, the source kept."""
    with forced_down(cloud, "host-1"), forced_down(cloud, "host-2"):
        assert action(admin, server, {"evacuate": {}}, version="2.14").status_code == 200
        body = wait_fault(admin, server)
    assert body["fault"]["message"].startswith("No valid host was found.")
    assert wait_migration(admin, server, "error")
    assert host_of(admin, server) == "host-1"
    assert held(admin, cloud, server) == {"host-1": sizes(flavor)}
    assert events(cloud, server, "evacuate")["rebuild_server"] == "Error"


def test_a_server_that_never_had_a_host(admin: Person, image: str) -> None:
    nowhere = new_flavor(admin, ram=128, vcpus=1, disk=1)
    resp = admin.http("POST", f"/flavors/{nowhere['id']}/os-extra_specs",
                      json={"extra_specs": {"trait:CUSTOM_NO_HOST_HAS_IT": "required"}})
    assert resp.status_code == 200, resp.text
    buried = boot(admin, image, nowhere)["id"]
    wait_for(admin, buried, "ERROR")
    resp = action(admin, buried, {"evacuate": {}}, version="2.14")
    assert resp.status_code == 404, resp.text
    assert resp.json()["itemNotFound"]["message"] == "Compute host None could not be found."
    admin.http("DELETE", f"/servers/{buried}")
