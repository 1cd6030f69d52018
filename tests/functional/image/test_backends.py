"""The image service on each database backend: the queries that differ most
between SQLite, PostgreSQL and MariaDB (visibility and membership in SQL,
filters, keyset paging, status compare-and-set, tasks) through one story."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator

import pytest

from tests.functional.image.meta_fixtures import Person, new_image
from tests.support.backends import BACKENDS, fresh_database
from tests.support.cloud import ADMIN_PASSWORD, RunningCloud
from tests.support.people import connect, new_member

pytestmark = pytest.mark.backends


@pytest.fixture(scope="module", params=BACKENDS)
def cloud(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[RunningCloud]:
    data_dir = str(tmp_path_factory.mktemp(f"image-{request.param}"))
    with fresh_database("sqlite", data_dir, "identity") as identity_url, \
            fresh_database(request.param, data_dir, "image") as image_url:
        running = RunningCloud(data_dir, identity_url,
                               image_database={"connection": image_url})
        try:
            yield running
        finally:
            running.stop()


def _person(cloud: RunningCloud, admin: Person) -> Person:
    who = new_member(admin.conn)
    return Person(who.name, who.password, who.project_id, who.name,
                  connect(cloud, who.name, who.password, who.name), admin.base)


def test_share_upload_list_import_delete(cloud: RunningCloud) -> None:
    conn = connect(cloud)
    admin = Person("admin", ADMIN_PASSWORD, conn.identity.find_project("admin").id, "admin",
                   conn, f"{cloud.url}/image/v2")
    alice, bob = _person(cloud, admin), _person(cloud, admin)

    images = [new_image(alice, name=f"disk-{i}", visibility="shared", tags=[f"t{i % 2}"],
                        os_distro="debian" if i % 2 else "fedora") for i in range(5)]
    data = os.urandom(300_000)
    first = images[0]["id"]
    put = alice.http("PUT", f"/images/{first}/file", data=data,
                     content_type="application/octet-stream")
    assert put.status_code == 204, put.text
    assert alice.http("GET", f"/images/{first}/file").content == data

    # Bob sees nothing of alice's shared images until he is a member.
    assert bob.http("GET", f"/images/{first}").status_code == 404
    assert bob.http("GET", "/images").json()["images"] == []
    assert alice.http("POST", f"/images/{first}/members",
                      json={"member": bob.project_id}).status_code == 200
    pending = bob.http("GET", "/images?member_status=pending").json()["images"]
    assert [i["id"] for i in pending] == [first]
    assert bob.http("PUT", f"/images/{first}/members/{bob.project_id}",
                    json={"status": "accepted"}).status_code == 200
    assert [i["id"] for i in bob.http("GET", "/images").json()["images"]] == [first]
    assert hashlib.md5(bob.http("GET", f"/images/{first}/file").content).hexdigest() == \
        hashlib.md5(data).hexdigest()

    # Filters and keyset paging, in SQL.
    mine = alice.http("GET", "/images?tag=t1&os_distro=debian&sort=name:desc").json()["images"]
    assert [i["name"] for i in mine] == ["disk-3", "disk-1"]
    seen, url = [], "/images?limit=2&sort_key=name&sort_dir=asc"
    while url:
        page = alice.http("GET", url.replace("/v2", "")).json()
        seen += [i["name"] for i in page["images"]]
        url = page.get("next", "")
    assert seen == [f"disk-{i}" for i in range(5)]

    # glance-direct import, and its task.
    staged = images[1]["id"]
    assert alice.http("PUT", f"/images/{staged}/stage", data=b"\1" * 4096,
                      content_type="application/octet-stream").status_code == 204
    assert alice.http("POST", f"/images/{staged}/import",
                      json={"method": {"name": "glance-direct"}}).status_code == 202
    deadline = time.monotonic() + 30
    while alice.http("GET", f"/images/{staged}").json()["status"] != "active":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    tasks = alice.http("GET", f"/images/{staged}/tasks").json()["tasks"]
    assert [t["status"] for t in tasks] == ["success"]

    for image in images:
        assert alice.http("DELETE", f"/images/{image['id']}").status_code == 204
    assert alice.http("GET", "/images").json()["images"] == []
    assert alice.http("GET", f"/images/{first}").status_code == 404
