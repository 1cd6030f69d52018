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
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from nimbus.image.db import images as db
from tests.support.backends import fresh_database
from tests.support.cloud import ADMIN_PASSWORD, RunningCloud

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


def _connect(cloud: RunningCloud, user: str, password: str, project: str
             ) -> openstack.connection.Connection:
    auth = v3.Password(auth_url=cloud.auth_url, username=user, password=password,
                       user_domain_id="default", project_name=project,
                       project_domain_id="default")
    return openstack.connection.Connection(session=ks_session.Session(auth=auth),
                                           region_name=cloud.conf.region_name,
                                           identity_api_version="3")


@pytest.fixture(scope="module")
def admin(cloud: RunningCloud) -> Person:
    conn = _connect(cloud, "admin", ADMIN_PASSWORD, "admin")
    project = conn.identity.find_project("admin")
    return Person("admin", ADMIN_PASSWORD, project.id, "admin", conn,
                  f"{cloud.url}/image/v2")


@pytest.fixture(scope="module")
def make_person(cloud: RunningCloud, admin: Person) -> Callable[..., Person]:
    def make(role: str = "member") -> Person:
        ident = admin.conn.identity
        name = f"p-{uuid.uuid4().hex[:8]}"
        project = ident.create_project(name=name, domain_id="default")
        password = uuid.uuid4().hex
        user = ident.create_user(name=name, password=password, domain_id="default",
                                 default_project_id=project.id)
        ident.assign_project_role_to_user(project, user, ident.find_role(role))
        return Person(name, password, project.id, name, _connect(cloud, name, password, name),
                      admin.base)

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
