"""Fixtures of the compute tests: a cloud with compute enabled (it is not by
default), people in projects of their own, raw HTTP at any microversion."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import openstack
import pytest

from tests.support.backends import fresh_database
from tests.support.cloud import ADMIN_PASSWORD, RunningCloud
from tests.support.people import connect, new_member

SERVICES = ["identity", "placement", "image", "compute"]
KEY_PAIRS_QUOTA = 5


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCloud]:
    data_dir = str(tmp_path_factory.mktemp("compute"))
    with fresh_database("sqlite", data_dir, "identity") as url:
        running = RunningCloud(data_dir, url, api={"enabled_services": SERVICES},
                               quota={"key_pairs": KEY_PAIRS_QUOTA})
        try:
            yield running
        finally:
            running.stop()


@dataclass
class Person:
    """Someone with a role on a project: an openstacksdk connection and raw HTTP."""

    name: str
    password: str
    user_id: str
    project_id: str
    conn: openstack.connection.Connection
    base: str  # the compute API's /v2.1

    def http(self, method: str, path: str, json: Any = None, version: str | None = None,
             headers: dict[str, str] | None = None) -> Any:
        sent = dict(headers or {})
        if version:
            sent["OpenStack-API-Version"] = f"compute {version}"
        return self.conn.session.request(self.base + path, method, json=json, headers=sent,
                                         raise_exc=False)


@pytest.fixture(scope="module")
def admin(cloud: RunningCloud) -> Person:
    conn = connect(cloud)
    project = conn.identity.find_project("admin")
    user = conn.identity.find_user("admin")
    return Person("admin", ADMIN_PASSWORD, user.id, project.id, conn,
                  f"{cloud.url}/compute/v2.1")


@pytest.fixture(scope="module")
def make_person(cloud: RunningCloud, admin: Person) -> Callable[..., Person]:
    def make(role: str = "member") -> Person:
        who = new_member(admin.conn, role)
        return Person(who.name, who.password, who.user_id, who.project_id,
                      connect(cloud, who.name, who.password, who.name), admin.base)

    return make


@pytest.fixture(scope="module")
def alice(make_person: Callable[..., Person]) -> Person:
    return make_person()


def new_flavor(admin: Person, version: str = "2.1", **attrs: Any) -> dict[str, Any]:
    body = {"name": f"f-{uuid.uuid4().hex[:8]}", "ram": 512, "vcpus": 1, "disk": 1, **attrs}
    resp = admin.http("POST", "/flavors", json={"flavor": body}, version=version)
    assert resp.status_code == 200, resp.text
    return dict(resp.json()["flavor"])


@pytest.fixture(scope="module")
def image(admin: Person) -> str:
    """A tiny public raw image to boot from."""
    img = admin.conn.image.create_image(name=f"img-{uuid.uuid4().hex[:6]}", disk_format="raw",
                                        container_format="bare", visibility="public",
                                        data=b"\0" * 4096)
    return str(img.id)
