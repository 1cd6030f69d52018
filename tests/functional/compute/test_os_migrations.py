"""GET /os-migrations per microversion: shapes (checked against Tempest's
schemas), filters, paging and changes-since/before (2.59, 2.66), user and
project (2.80), and who may see what."""

from __future__ import annotations

import datetime
import urllib.parse
from typing import Any

import pytest

from tests.functional.compute import shapes, shapes_migrations
from tests.functional.compute.conftest import Person, new_flavor
from tests.functional.compute.moves import action, wait_migration
from tests.functional.compute.test_servers import boot, wait_for
from tests.support.cloud import RunningCloud


@pytest.fixture(scope="module")
def moved(cloud: RunningCloud, admin: Person, image: str) -> dict[str, Any]:
    """A server resized and reverted, then cold-migrated and confirmed, then
    live-migrated: three migrations of three types."""
    small = new_flavor(admin, ram=128, vcpus=1, disk=1)
    big = new_flavor(admin, ram=256, vcpus=1, disk=1)
    server = boot(admin, image, small)["id"]
    wait_for(admin, server, "ACTIVE")
    assert action(admin, server, {"resize": {"flavorRef": big["id"]}}).status_code == 202
    wait_for(admin, server, "VERIFY_RESIZE")
    assert action(admin, server, {"revertResize": None}).status_code == 202
    wait_migration(admin, server, "reverted")
    wait_for(admin, server, "ACTIVE")
    assert action(admin, server, {"migrate": None}).status_code == 202
    wait_for(admin, server, "VERIFY_RESIZE")
    assert action(admin, server, {"confirmResize": None}).status_code == 204
    wait_migration(admin, server, "confirmed", nth=2)
    wait_for(admin, server, "ACTIVE")
    body = {"os-migrateLive": {"block_migration": "auto", "host": None}}
    assert action(admin, server, body, version="2.25").status_code == 202
    wait_migration(admin, server, "completed", nth=3)
    return {"server": server, "small": small, "big": big}


def listing(person: Person, version: str, **query: Any) -> Any:
    path = "/os-migrations"
    if query:
        path += "?" + urllib.parse.urlencode(query, doseq=True)
    return person.http("GET", path, version=version)


@pytest.mark.parametrize("version", ["2.1", "2.22", "2.23", "2.58", "2.59", "2.79", "2.80",
                                     "2.104"])
def test_shape_per_microversion(admin: Person, moved: dict[str, Any], version: str) -> None:
    resp = listing(admin, version)
    assert resp.status_code == 200, resp.text
    shapes.check(shapes_migrations.migration_list(version), resp.json())
    found = [m for m in resp.json()["migrations"] if m["instance_uuid"] == moved["server"]]
    assert len(found) == 3
    assert all(m["source_compute"] and m["dest_compute"] for m in found)
    if tuple(int(p) for p in version.split(".")) >= (2, 23):
        types = [m["migration_type"] for m in found]
        assert types == ["live-migration", "migration", "resize"]
    else:
        assert not any("migration_type" in m for m in found)


def test_newest_first_with_types(admin: Person, moved: dict[str, Any]) -> None:
    found = listing(admin, "2.80").json()["migrations"]
    assert [m["migration_type"] for m in found] == ["live-migration", "migration", "resize"]
    assert [m["status"] for m in found] == ["completed", "confirmed", "reverted"]
    resize = found[2]
    assert (resize["old_instance_type_id"], resize["new_instance_type_id"]) != (None, None)
    assert resize["old_instance_type_id"] != resize["new_instance_type_id"]
    assert found[0]["user_id"] and found[0]["project_id"]
    assert "links" not in found[0]  # a live migration no longer under way
    assert "migration_type" not in listing(admin, "2.22").json()["migrations"][0]


@pytest.mark.parametrize(("version", "query", "statuses"), [
    ("2.1", {"status": "reverted"}, ["reverted"]),
    ("2.1", {"migration_type": "resize"}, ["reverted"]),
    ("2.23", {"migration_type": "live-migration"}, ["completed"]),
    ("2.1", {"host": "nowhere"}, []),
    ("2.1", {"source_compute": "nowhere"}, []),
    ("2.1", {"status": ["reverted", "confirmed"]}, ["confirmed", "reverted"]),
    ("2.1", {"no_such_filter": "x"}, ["completed", "confirmed", "reverted"]),
    ("2.80", {"user_id": "someone-else"}, []),
])
def test_filters(admin: Person, moved: dict[str, Any], version: str, query: dict[str, Any],
                 statuses: list[str]) -> None:
    resp = listing(admin, version, **query)
    assert resp.status_code == 200, resp.text
    assert [m["status"] for m in resp.json()["migrations"]] == statuses


def test_host_and_instance_filters(admin: Person, moved: dict[str, Any]) -> None:
    everything = listing(admin, "2.80").json()["migrations"]
    host = everything[0]["dest_compute"]
    by_host = listing(admin, "2.80", host=host).json()["migrations"]
    assert by_host and all(host in (m["source_compute"], m["dest_compute"]) for m in by_host)
    mine = listing(admin, "2.80", instance_uuid=moved["server"],
                   project_id=everything[0]["project_id"]).json()["migrations"]
    assert len(mine) == 3


def test_paging_from_2_59(admin: Person, moved: dict[str, Any]) -> None:
    everything = listing(admin, "2.59").json()
    assert "migrations_links" not in everything  # not a full page
    first = listing(admin, "2.59", limit=1).json()
    assert [m["uuid"] for m in first["migrations"]] == [everything["migrations"][0]["uuid"]]
    (link,) = first["migrations_links"]
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(link["href"]).query))
    assert query == {"limit": "1", "marker": first["migrations"][0]["uuid"]}
    rest = listing(admin, "2.59", **query).json()["migrations"]
    assert rest == everything["migrations"][1:2]
    after_all = listing(admin, "2.59", marker=everything["migrations"][-1]["uuid"])
    assert after_all.json()["migrations"] == []
    bad_marker = listing(admin, "2.59", marker="00000000-0000-0000-0000-000000000000")
    assert bad_marker.status_code == 400
    assert listing(admin, "2.59", limit=-1).status_code == 400
    assert listing(admin, "2.59", limit="x").status_code == 400
    # Before 2.59 there is no paging: limit is ignored.
    assert len(listing(admin, "2.58", limit=1).json()["migrations"]) == 3


def test_changes_since_and_before(admin: Person, moved: dict[str, Any]) -> None:
    now = datetime.datetime.now(datetime.UTC)
    later = (now + datetime.timedelta(hours=1)).isoformat()
    earlier = (now - datetime.timedelta(hours=1)).isoformat()
    assert listing(admin, "2.59", **{"changes-since": later}).json()["migrations"] == []
    assert len(listing(admin, "2.59", **{"changes-since": earlier}).json()["migrations"]) == 3
    # Ignored before 2.59.
    assert len(listing(admin, "2.58", **{"changes-since": later}).json()["migrations"]) == 3
    assert listing(admin, "2.66", **{"changes-before": earlier}).json()["migrations"] == []
    assert listing(admin, "2.65", **{"changes-before": earlier}).status_code == 400
    both = listing(admin, "2.66", **{"changes-since": later, "changes-before": earlier})
    assert both.status_code == 400
    assert listing(admin, "2.59", **{"changes-since": "yesterday"}).status_code == 400


def test_strict_query_from_2_59(admin: Person, moved: dict[str, Any]) -> None:
    resp = listing(admin, "2.59", no_such_filter="x")
    assert resp.status_code == 400
    assert "no_such_filter" in resp.json()["badRequest"]["message"]
    assert listing(admin, "2.79", user_id="x").status_code == 400
    assert listing(admin, "2.80", user_id="x").status_code == 200


def test_who_may_list(admin: Person, alice: Person, make_person: Any,
                      moved: dict[str, Any]) -> None:
    assert listing(alice, "2.80").status_code == 403
    manager = make_person("manager")
    own = listing(manager, "2.80", project_id=manager.project_id)
    assert (own.status_code, own.json()) == (200, {"migrations": []})
    assert listing(manager, "2.80").status_code == 403  # every project: admins only
