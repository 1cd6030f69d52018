"""Clients for the identity tests: openstacksdk and keystoneauth, as users use them."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import openstack
import pytest

from tests.support.cloud import RunningCloud
from tests.support.people import connect, password_session

__all__ = ["connect", "password_session"]  # the identity tests import them from here


@pytest.fixture(scope="session")
def admin(cloud: RunningCloud) -> openstack.connection.Connection:
    return connect(cloud)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@dataclass
class Person:
    """A user with a role on a project of their own, and their connection."""

    user: object
    project: object
    password: str
    conn: openstack.connection.Connection


@pytest.fixture
def make_person(cloud: RunningCloud, admin) -> Iterator[Callable[..., Person]]:
    made: list[Person] = []

    def make(role: str = "member") -> Person:
        project = admin.identity.create_project(name=unique("proj"), domain_id="default")
        password = uuid.uuid4().hex
        user = admin.identity.create_user(name=unique("user"), password=password,
                                          domain_id="default", default_project_id=project.id)
        role_ref = admin.identity.find_role(role)
        admin.identity.assign_project_role_to_user(project, user, role_ref)
        person = Person(user, project, password,
                        connect(cloud, user.name, password, project.name))
        made.append(person)
        return person

    yield make
    for person in made:
        admin.identity.delete_user(person.user, ignore_missing=True)
        admin.identity.delete_project(person.project, ignore_missing=True)
