"""Clients as users hold them: password sessions, openstacksdk connections,
and new users with a role on a project of their own."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import openstack
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from tests.support.cloud import ADMIN_PASSWORD, RunningCloud


def password_session(cloud: RunningCloud, username: str, password: str,
                     project: str | None = "admin", **scope: str) -> ks_session.Session:
    kwargs = dict(auth_url=cloud.auth_url, username=username, password=password,
                  user_domain_id="default")
    if project:
        kwargs.update(project_name=project, project_domain_id="default")
    kwargs.update(scope)
    return ks_session.Session(auth=v3.Password(**kwargs))


def connect(cloud: RunningCloud, username: str = "admin", password: str = ADMIN_PASSWORD,
            project: str | None = "admin") -> openstack.connection.Connection:
    return openstack.connection.Connection(
        session=password_session(cloud, username, password, project),
        region_name=cloud.conf.region_name, identity_api_version="3")


@dataclass(frozen=True)
class Member:
    """A new user with `role` on a new project named like the user."""

    name: str
    password: str
    user_id: str
    project_id: str


def new_member(admin: openstack.connection.Connection, role: str = "member") -> Member:
    ident: Any = admin.identity
    name = f"p-{uuid.uuid4().hex[:8]}"
    project = ident.create_project(name=name, domain_id="default")
    password = uuid.uuid4().hex
    user = ident.create_user(name=name, password=password, domain_id="default",
                             default_project_id=project.id)
    ident.assign_project_role_to_user(project, user, ident.find_role(role))
    return Member(name, password, user.id, project.id)
