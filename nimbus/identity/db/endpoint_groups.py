"""OS-EP-FILTER: endpoint groups and the endpoints and groups associated with projects."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from nimbus.common.db import DuplicateEntry, ReferenceMissing
from nimbus.identity import exceptions as exc
from nimbus.identity.db import catalog, resources
from nimbus.identity.db.common import new_id
from nimbus.identity.db.models import (
    endpoint_groups,
    project_endpoint_groups,
    project_endpoints,
)

# The endpoint attributes a group may filter on, as Keystone allows.
FILTER_KEYS = ("service_id", "region_id", "interface")


def _group(row: Row[Any]) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "description": row.description,
            "filters": row.filters}


def check_filters(filters: Mapping[str, Any] | None) -> None:
    """An endpoint group filters on at least one of FILTER_KEYS and nothing else.

    :raises ValidationError: no filters, or one on another attribute.
    """
    if not filters:
        raise exc.ValidationError("filters field is required and cannot be empty")
    unknown = sorted(set(filters) - set(FILTER_KEYS))
    if unknown:
        raise exc.ValidationError(
            f"Invalid filter {', '.join(unknown)} for endpoint_group: "
            f"filter on {' or '.join(FILTER_KEYS)}."
        )


def get_group(conn: Connection, group_id: str) -> dict[str, Any]:
    row = conn.execute(sa.select(endpoint_groups)
                       .where(endpoint_groups.c.id == group_id)).first()
    if row is None:
        raise exc.NotFound("Endpoint Group", group_id)
    return _group(row)


def list_groups(conn: Connection, name: str | None = None) -> list[dict[str, Any]]:
    query = sa.select(endpoint_groups).order_by(endpoint_groups.c.name, endpoint_groups.c.id)
    if name is not None:
        query = query.where(endpoint_groups.c.name == name)
    return [_group(row) for row in conn.execute(query)]


def create_group(conn: Connection, ref: Mapping[str, Any]) -> dict[str, Any]:
    check_filters(ref.get("filters"))
    group_id = new_id()
    conn.execute(sa.insert(endpoint_groups).values(
        id=group_id, name=ref["name"], description=ref.get("description"),
        filters=dict(ref["filters"])))
    return get_group(conn, group_id)


def update_group(conn: Connection, group_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    get_group(conn, group_id)
    values = {k: changes[k] for k in ("name", "description", "filters") if k in changes}
    if "filters" in values:
        check_filters(values["filters"])
    if values:
        conn.execute(sa.update(endpoint_groups).where(endpoint_groups.c.id == group_id)
                     .values(**values))
    return get_group(conn, group_id)


def delete_group(conn: Connection, group_id: str) -> None:
    """Delete a group; its project associations go with it (ON DELETE CASCADE)."""
    deleted = conn.execute(sa.delete(endpoint_groups)
                           .where(endpoint_groups.c.id == group_id)).rowcount
    if not deleted:
        raise exc.NotFound("Endpoint Group", group_id)


def _matches(endpoint: Mapping[str, Any], filters: Mapping[str, Any]) -> bool:
    return all(endpoint.get(key) == value for key, value in filters.items())


def endpoints_in_group(conn: Connection, group_id: str) -> list[dict[str, Any]]:
    """The endpoints the group's filters select (the catalog is small: one query)."""
    filters = get_group(conn, group_id)["filters"]
    return [e for e in catalog.list_endpoints(conn) if _matches(e, filters)]


# -- endpoint groups of projects ------------------------------------------------

def add_group_to_project(conn: Connection, group_id: str, project_id: str) -> None:
    resources.get_project(conn, project_id)
    get_group(conn, group_id)
    try:
        conn.execute(sa.insert(project_endpoint_groups).values(
            endpoint_group_id=group_id, project_id=project_id))
    except DuplicateEntry:
        raise exc.Conflict("project_endpoint_group",
                           f"endpoint group {group_id} is already in project {project_id}"
                           ) from None
    except ReferenceMissing:
        # Deleted by someone else since the checks above.
        raise exc.NotFound("Endpoint Group or project", f"{group_id}, {project_id}") from None


def get_group_in_project(conn: Connection, group_id: str, project_id: str) -> dict[str, Any]:
    resources.get_project(conn, project_id)
    get_group(conn, group_id)
    row = conn.execute(sa.select(project_endpoint_groups).where(
        project_endpoint_groups.c.endpoint_group_id == group_id,
        project_endpoint_groups.c.project_id == project_id)).first()
    if row is None:
        raise exc.NotFound("Endpoint Group Project Association",
                           f"{group_id} in project {project_id}")
    return {"endpoint_group_id": group_id, "project_id": project_id}


def remove_group_from_project(conn: Connection, group_id: str, project_id: str) -> None:
    get_group_in_project(conn, group_id, project_id)
    conn.execute(sa.delete(project_endpoint_groups).where(
        project_endpoint_groups.c.endpoint_group_id == group_id,
        project_endpoint_groups.c.project_id == project_id))


def projects_of_group(conn: Connection, group_id: str) -> list[dict[str, Any]]:
    get_group(conn, group_id)
    ids = sa.select(project_endpoint_groups.c.project_id).where(
        project_endpoint_groups.c.endpoint_group_id == group_id)
    return resources.list_projects(conn, ids=[r.project_id for r in conn.execute(ids)])


def groups_of_project(conn: Connection, project_id: str) -> list[dict[str, Any]]:
    resources.get_project(conn, project_id)
    return _groups_of_project(conn, project_id)


def _groups_of_project(conn: Connection, project_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        sa.select(endpoint_groups)
        .join(project_endpoint_groups,
              project_endpoint_groups.c.endpoint_group_id == endpoint_groups.c.id)
        .where(project_endpoint_groups.c.project_id == project_id)
        .order_by(endpoint_groups.c.name, endpoint_groups.c.id))
    return [_group(row) for row in rows]


# -- endpoints of projects ------------------------------------------------------

def _endpoint_in_project(conn: Connection, endpoint_id: str, project_id: str) -> bool:
    return conn.execute(sa.select(project_endpoints.c.endpoint_id).where(
        project_endpoints.c.endpoint_id == endpoint_id,
        project_endpoints.c.project_id == project_id)).first() is not None


def _not_in_project(endpoint_id: str, project_id: str) -> exc.NotFound:
    return exc.NotFound("endpoint in project",
                        f"endpoint {endpoint_id} in project {project_id}")


def add_endpoint_to_project(conn: Connection, endpoint_id: str, project_id: str) -> None:
    catalog.get_endpoint(conn, endpoint_id)
    resources.get_project(conn, project_id)
    try:
        conn.execute(sa.insert(project_endpoints).values(
            endpoint_id=endpoint_id, project_id=project_id))
    except DuplicateEntry:
        raise exc.Conflict("project_endpoint",
                           f"endpoint {endpoint_id} is already in project {project_id}"
                           ) from None
    except ReferenceMissing:
        # Deleted by someone else since the checks above.
        raise exc.NotFound("endpoint or project", f"{endpoint_id}, {project_id}") from None


def check_endpoint_in_project(conn: Connection, endpoint_id: str, project_id: str) -> None:
    catalog.get_endpoint(conn, endpoint_id)
    resources.get_project(conn, project_id)
    if not _endpoint_in_project(conn, endpoint_id, project_id):
        raise _not_in_project(endpoint_id, project_id)


def remove_endpoint_from_project(conn: Connection, endpoint_id: str, project_id: str) -> None:
    deleted = conn.execute(sa.delete(project_endpoints).where(
        project_endpoints.c.endpoint_id == endpoint_id,
        project_endpoints.c.project_id == project_id)).rowcount
    if not deleted:
        raise _not_in_project(endpoint_id, project_id)


def projects_of_endpoint(conn: Connection, endpoint_id: str) -> list[dict[str, Any]]:
    """The projects associated with the endpoint directly (not through groups)."""
    catalog.get_endpoint(conn, endpoint_id)
    ids = sa.select(project_endpoints.c.project_id).where(
        project_endpoints.c.endpoint_id == endpoint_id)
    return resources.list_projects(conn, ids=[r.project_id for r in conn.execute(ids)])


def endpoints_of_project(conn: Connection, project_id: str) -> list[dict[str, Any]]:
    """The endpoints of a project: those associated directly, and those its
    endpoint groups select."""
    resources.get_project(conn, project_id)
    direct = {r.endpoint_id for r in conn.execute(
        sa.select(project_endpoints.c.endpoint_id)
        .where(project_endpoints.c.project_id == project_id))}
    filter_sets = [g["filters"] for g in _groups_of_project(conn, project_id)]
    return [e for e in catalog.list_endpoints(conn)
            if e["id"] in direct or any(_matches(e, f) for f in filter_sets)]
