"""Bootstrap: the records a new cloud needs before anyone can log in.

Idempotent, like ``keystone-manage bootstrap``: it creates what is missing
and leaves what exists, except that it re-enables the admin user, resets
the admin password when one is given and differs, and points the catalog
entries it manages at the URLs it is given.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from nimbus.identity import exceptions as exc
from nimbus.identity.db import assignments, catalog, resources, roles, users
from nimbus.identity.db.assignments import Grant
from nimbus.identity.passwords import verify_password

LOG = logging.getLogger(__name__)

# Each role implies the next: admin > manager > member > reader.
ROLE_CHAIN = ("admin", "manager", "member", "reader")
OTHER_ROLES = ("service",)
INTERFACES = ("public", "internal")


@dataclass(frozen=True)
class CatalogEntry:
    type: str
    name: str
    url: str


@dataclass(frozen=True)
class Result:
    admin_user_id: str
    admin_project_id: str
    created_admin: bool


def _ensure_role(conn: Connection, name: str) -> dict[str, Any]:
    try:
        return roles.get_role_by_name(conn, name)
    except exc.NotFound:
        LOG.info("Created role %s", name)
        return roles.create_role(conn, {"name": name})


def _ensure_grant(conn: Connection, grant: Grant) -> None:
    assignments.create_grant(conn, grant)


def _ensure_catalog(conn: Connection, region_id: str, entries: Sequence[CatalogEntry]) -> None:
    try:
        catalog.get_region(conn, region_id)
    except exc.NotFound:
        catalog.create_region(conn, {"id": region_id})
    for entry in entries:
        found = catalog.list_services(conn, type=entry.type)
        service = found[0] if found else catalog.create_service(
            conn, {"type": entry.type, "name": entry.name, "enabled": True})
        existing = {e["interface"]: e for e in catalog.list_endpoints(
            conn, service_id=service["id"], region_id=region_id)}
        for interface in INTERFACES:
            endpoint = existing.get(interface)
            if endpoint is None:
                catalog.create_endpoint(conn, {
                    "interface": interface, "service_id": service["id"],
                    "region_id": region_id, "url": entry.url, "enabled": True})
                LOG.info("Created %s endpoint of %s: %s", interface, entry.type, entry.url)
            elif endpoint["url"] != entry.url:
                catalog.update_endpoint(conn, endpoint["id"], {"url": entry.url})
                LOG.info("Updated %s endpoint of %s: %s", interface, entry.type, entry.url)


def bootstrap(
    conn: Connection,
    *,
    hash_secret: Any,
    default_domain_id: str,
    admin_password: str | None,
    admin_username: str = "admin",
    admin_project: str = "admin",
    region_id: str = "RegionOne",
    catalog_entries: Sequence[CatalogEntry] = (),
) -> Result:
    """Create the default domain, roles, admin project and user, their
    grants, and the catalog entries. `admin_password` may be None only when
    the admin user exists already."""
    try:
        resources.get_domain(conn, default_domain_id)
    except exc.NotFound:
        resources.create_domain(conn, {"id": default_domain_id, "name": "Default",
                                       "description": "The default domain", "enabled": True})
    chain = [_ensure_role(conn, name) for name in ROLE_CHAIN]
    for prior, implied in zip(chain, chain[1:], strict=False):
        roles.create_implied_role(conn, prior["id"], implied["id"])
    for name in OTHER_ROLES:
        _ensure_role(conn, name)
    admin_role = chain[0]

    try:
        project = resources.get_project_by_name(conn, admin_project, default_domain_id)
    except exc.NotFound:
        project = resources.create_project(
            conn, {"name": admin_project, "domain_id": default_domain_id,
                   "description": "Bootstrap project for initializing the cloud."}, 5)

    created = False
    try:
        user = users.get_user_by_name(conn, admin_username, default_domain_id)
        changes: dict[str, Any] = {}
        if not user["enabled"]:
            changes["enabled"] = True
        new_hash = None
        if admin_password is not None and not verify_password(
                admin_password, users.password_hash(conn, user["id"])):
            new_hash = hash_secret(admin_password)
        if changes or new_hash:
            user = users.update_user(conn, user["id"], changes, new_hash)
    except exc.NotFound:
        if admin_password is None:
            raise ValueError("an admin password is needed to create the admin user") from None
        user = users.create_user(conn, {"name": admin_username, "domain_id": default_domain_id,
                                        "enabled": True}, hash_secret(admin_password))
        created = True

    _ensure_grant(conn, Grant("user", user["id"], "project", project["id"], admin_role["id"]))
    _ensure_grant(conn, Grant("user", user["id"], "system", "system", admin_role["id"]))
    _ensure_catalog(conn, region_id, catalog_entries)
    return Result(admin_user_id=user["id"], admin_project_id=project["id"],
                  created_admin=created)


def ensure_service_user(conn: Connection, *, hash_secret: Any, default_domain_id: str,
                        username: str, password: str, project_name: str = "service") -> str:
    """The user other services authenticate as when they call each other: in
    the `service` project with the admin and service roles (Nova's, Glance's
    and Placement's service users get the same). Its password is set to
    `password` when it differs. The user's id."""
    try:
        project = resources.get_project_by_name(conn, project_name, default_domain_id)
    except exc.NotFound:
        project = resources.create_project(
            conn, {"name": project_name, "domain_id": default_domain_id,
                   "description": "The project of the services' own users."}, 5)
    try:
        user = users.get_user_by_name(conn, username, default_domain_id)
        if not verify_password(password, users.password_hash(conn, user["id"])):
            user = users.update_user(conn, user["id"], {}, hash_secret(password))
    except exc.NotFound:
        user = users.create_user(conn, {"name": username, "domain_id": default_domain_id,
                                        "enabled": True}, hash_secret(password))
    for role_name in ("admin", "service"):
        role = roles.get_role_by_name(conn, role_name)
        _ensure_grant(conn, Grant("user", user["id"], "project", project["id"], role["id"]))
    return str(user["id"])
