"""Fixtures of the image metadata tests: a cloud with small image quotas,
people in projects of their own, raw HTTP beside openstacksdk."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import openstack
import orjson
import pytest

from nimbus.image.db import images as db
from tests.support.backends import fresh_database
from tests.support.cloud import ADMIN_PASSWORD, RunningCloud
from tests.support.people import connect, new_member

QUOTAS = {"image_property_quota": 6, "image_tag_quota": 4, "image_member_quota": 3}


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCloud]:
    data_dir = str(tmp_path_factory.mktemp("image-meta"))
    with fresh_database("sqlite", data_dir, "identity") as url:
        running = RunningCloud(data_dir, url, image=dict(QUOTAS))
        try:
            yield running
        finally:
            running.stop()


@dataclass
class Person:
    """Someone with a role on a project, their connection and their raw HTTP."""

    name: str
    password: str
    project_id: str
    project_name: str
    conn: openstack.connection.Connection
    base: str  # the image API's /v2

    def http(self, method: str, path: str, json: Any = None, content_type: str | None = None,
             data: bytes | None = None) -> Any:
        headers = {"Content-Type": content_type} if content_type else {}
        return self.conn.session.request(self.base + path, method, json=json, data=data,
                                         headers=headers, raise_exc=False)

    def patch(self, image_id: str, ops: list[dict[str, Any]]) -> Any:
        return self.http("PATCH", f"/images/{image_id}", data=orjson.dumps(ops),
                         content_type="application/openstack-images-v2.1-json-patch")

    def env(self, cloud: RunningCloud) -> dict[str, str]:
        """The environment for the `openstack` CLI as this person."""
        return {"PATH": os.environ["PATH"], "HOME": cloud.data_dir,
                "OS_AUTH_URL": cloud.auth_url, "OS_USERNAME": self.name,
                "OS_PASSWORD": self.password, "OS_PROJECT_NAME": self.project_name,
                "OS_USER_DOMAIN_ID": "default", "OS_PROJECT_DOMAIN_ID": "default",
                "OS_IDENTITY_API_VERSION": "3", "OS_REGION_NAME": cloud.conf.region_name}


@pytest.fixture(scope="module")
def admin(cloud: RunningCloud) -> Person:
    conn = connect(cloud)
    project = conn.identity.find_project("admin")
    return Person("admin", ADMIN_PASSWORD, project.id, "admin", conn,
                  f"{cloud.url}/image/v2")


@pytest.fixture(scope="module")
def make_person(cloud: RunningCloud, admin: Person) -> Callable[..., Person]:
    def make(role: str = "member") -> Person:
        who = new_member(admin.conn, role)
        return Person(who.name, who.password, who.project_id, who.name,
                      connect(cloud, who.name, who.password, who.name), admin.base)

    return make


def new_image(person: Person, **attrs: Any) -> dict[str, Any]:
    body = {"name": f"img-{uuid.uuid4().hex[:6]}", "disk_format": "raw",
            "container_format": "bare", **attrs}
    resp = person.http("POST", "/images", json=body)
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


def set_columns(cloud: RunningCloud, image_id: str, **columns: Any) -> None:
    """Give an image what only data uploads give (status, size), directly."""
    assert cloud.deployment.image is not None
    with cloud.deployment.image.db.writer() as conn:
        db.update(conn, image_id, **columns)
