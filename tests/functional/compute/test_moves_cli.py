"""The `openstack` CLI moving a server: resize with confirm and revert, cold
and live migration, and the migrations it lists and shows."""

from __future__ import annotations

from typing import Any

from tests.functional.compute.conftest import Person, new_flavor
from tests.functional.compute.moves import held, host_of, other, sizes, wait_migration
from tests.functional.compute.test_servers import boot, wait_for
from tests.support.cli import as_json, cli
from tests.support.cloud import RunningCloud


def test_resize_migrate_and_list(cloud: RunningCloud, admin: Person, image: str) -> None:
    small = new_flavor(admin, ram=128, vcpus=1, disk=1)
    big = new_flavor(admin, ram=256, vcpus=1, disk=1)
    server = boot(admin, image, small)["id"]
    wait_for(admin, server, "ACTIVE")
    first = host_of(admin, server)

    # (Waiting here, not with --wait, which polls every few seconds.)
    cli(cloud, "--os-cloud", "nimbus", "server", "resize", "--flavor", big["name"], server)
    wait_for(admin, server, "VERIFY_RESIZE")
    assert as_json(cloud, "server", "show", server)["flavor"]["name"] == big["name"]
    cli(cloud, "--os-cloud", "nimbus", "server", "resize", "confirm", server)
    wait_for(admin, server, "ACTIVE")
    assert held(admin, cloud, server) == {other(cloud, first): sizes(big)}

    cli(cloud, "--os-cloud", "nimbus", "server", "migrate", server)
    wait_for(admin, server, "VERIFY_RESIZE")
    cli(cloud, "--os-cloud", "nimbus", "server", "resize", "revert", server)
    wait_for(admin, server, "ACTIVE")
    assert host_of(admin, server) == other(cloud, first)

    cli(cloud, "--os-cloud", "nimbus", "server", "migrate", "--live-migration", server)
    wait_migration(admin, server, "completed", nth=3)
    assert host_of(admin, server) == first
    assert held(admin, cloud, server) == {first: sizes(big)}

    listed: list[dict[str, Any]] = as_json(
        cloud, "--os-compute-api-version", "2.80", "server", "migration", "list",
        "--server", server)
    assert [(m["Type"], m["Status"]) for m in listed] == [
        ("live-migration", "completed"), ("migration", "reverted"), ("resize", "confirmed")]
    assert {m["Source Compute"] for m in listed} == {first, other(cloud, first)}
    admin.http("DELETE", f"/servers/{server}")
