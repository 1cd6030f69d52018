"""Queries on metadata definitions: namespaces and what they hold (objects,
property definitions, tags, resource type associations), and resource types.

Rows are handed around as plain dicts of their columns. Who may see which
namespace (public ones, a project's own, everything for admins) is decided
in the WHERE clause (``visible_clause``); the handlers check policy on top.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement

from nimbus.common.db.pagination import paginate
from nimbus.common.db.types import utcnow
from nimbus.image.db import models
from nimbus.image.db.images import Viewer

namespaces = models.metadef_namespaces
objects = models.metadef_objects
properties = models.metadef_properties
tags = models.metadef_tags
resource_types = models.metadef_resource_types
ns_rt = models.metadef_namespace_resource_types

NAMESPACE_SORT_KEYS = ("created_at", "updated_at", "namespace", "display_name", "owner",
                       "visibility", "protected")
TAG_SORT_KEYS = ("created_at", "updated_at", "name")


def _row(row: Any) -> dict[str, Any]:
    return dict(row._mapping)


def _stamp(values: Mapping[str, Any], created: bool = True) -> dict[str, Any]:
    now = utcnow()
    stamped = dict(values)
    stamped["updated_at"] = now
    if created:
        stamped["created_at"] = now
    return stamped


# --- namespaces ----------------------------------------------------------------


def visible_clause(viewer: Viewer) -> ColumnElement[bool]:
    """Admins see every namespace; others the public ones and their project's."""
    if viewer.is_admin:
        return sa.true()
    public = namespaces.c.visibility == "public"
    if viewer.project_id is None:
        return public
    return sa.or_(public, namespaces.c.owner == viewer.project_id)


def get_namespace(conn: Connection, name: str, viewer: Viewer) -> dict[str, Any] | None:
    """The namespace of that name, if it exists and `viewer` may see it."""
    row = conn.execute(sa.select(namespaces).where(
        namespaces.c.namespace == name, visible_clause(viewer))).first()
    return _row(row) if row is not None else None


def namespace_by_id(conn: Connection, namespace_id: int) -> dict[str, Any]:
    return _row(conn.execute(sa.select(namespaces).where(namespaces.c.id == namespace_id)).one())


def namespace_taken(conn: Connection, name: str, but: int | None = None) -> bool:
    """Whether any namespace (visible or not) has that name."""
    query = sa.select(namespaces.c.id).where(namespaces.c.namespace == name)
    if but is not None:
        query = query.where(namespaces.c.id != but)
    return conn.execute(query).first() is not None


@dataclass
class NamespaceQuery:
    viewer: Viewer
    limit: int
    sort_key: str = "created_at"
    sort_dir: str = "desc"
    visibility: str | None = None
    resource_types: Sequence[str] = ()
    marker: dict[str, Any] | None = None  # the namespace row paging starts after


def list_namespaces(conn: Connection, q: NamespaceQuery) -> list[dict[str, Any]]:
    query = sa.select(namespaces).where(visible_clause(q.viewer))
    if q.visibility is not None:
        query = query.where(namespaces.c.visibility == q.visibility)
    if q.resource_types:
        associated = (sa.select(ns_rt.c.namespace_id)
                      .join(resource_types, resource_types.c.id == ns_rt.c.resource_type_id)
                      .where(resource_types.c.name.in_(list(q.resource_types))))
        query = query.where(namespaces.c.id.in_(associated))
    keys = [q.sort_key] + [k for k in ("created_at", "id") if k != q.sort_key]
    sort = [(namespaces.c[key], q.sort_dir) for key in keys]
    marker = [q.marker[key] for key in keys] if q.marker is not None else None
    rows = conn.execute(paginate(query, sort, q.limit, marker))
    return [_row(row) for row in rows]


def create_namespace(conn: Connection, values: Mapping[str, Any]) -> int:
    result = conn.execute(sa.insert(namespaces).values(_stamp(values)))
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def update_namespace(conn: Connection, namespace_id: int, values: Mapping[str, Any]) -> None:
    conn.execute(sa.update(namespaces).where(namespaces.c.id == namespace_id)
                 .values(_stamp(values, created=False)))


def delete_namespace(conn: Connection, namespace_id: int) -> None:
    """The namespace and everything in it."""
    for table in (objects, properties, tags, ns_rt):
        conn.execute(sa.delete(table).where(table.c.namespace_id == namespace_id))
    conn.execute(sa.delete(namespaces).where(namespaces.c.id == namespace_id))


def delete_contents(conn: Connection, namespace_id: int, kind: str) -> None:
    """All the namespace's objects, properties or tags."""
    table = {"objects": objects, "properties": properties, "tags": tags}[kind]
    conn.execute(sa.delete(table).where(table.c.namespace_id == namespace_id))


# --- objects, properties, tags: rows named uniquely within a namespace --------------

_TABLES = {"object": objects, "property": properties, "tag": tags}


def list_items(conn: Connection, kind: str, namespace_ids: Iterable[int]) -> list[dict[str, Any]]:
    """The objects, properties or tags of the namespaces, oldest first."""
    table = _TABLES[kind]
    rows = conn.execute(sa.select(table).where(table.c.namespace_id.in_(list(namespace_ids)))
                        .order_by(table.c.namespace_id, table.c.id))
    return [_row(row) for row in rows]


def get_item(conn: Connection, kind: str, namespace_id: int, name: str) -> dict[str, Any] | None:
    table = _TABLES[kind]
    row = conn.execute(sa.select(table).where(table.c.namespace_id == namespace_id,
                                              table.c.name == name)).first()
    return _row(row) if row is not None else None


def name_taken(conn: Connection, kind: str, namespace_id: int, name: str,
               but: int | None = None) -> bool:
    """Whether the namespace holds an item of that name; tag names are
    compared without case, as Glance does."""
    table = _TABLES[kind]
    column = table.c.name
    query = sa.select(table.c.id).where(table.c.namespace_id == namespace_id)
    if kind == "tag":
        query = query.where(sa.func.lower(column) == name.lower())
    else:
        query = query.where(column == name)
    if but is not None:
        query = query.where(table.c.id != but)
    return conn.execute(query).first() is not None


def create_items(conn: Connection, kind: str, namespace_id: int,
                 values: Sequence[Mapping[str, Any]]) -> None:
    if not values:
        return
    rows = [{**_stamp(v), "namespace_id": namespace_id} for v in values]
    conn.execute(sa.insert(_TABLES[kind]), rows)


def update_item(conn: Connection, kind: str, item_id: int, values: Mapping[str, Any]) -> None:
    table = _TABLES[kind]
    conn.execute(sa.update(table).where(table.c.id == item_id)
                 .values(_stamp(values, created=False)))


def delete_item(conn: Connection, kind: str, item_id: int) -> None:
    table = _TABLES[kind]
    conn.execute(sa.delete(table).where(table.c.id == item_id))


def list_tags(conn: Connection, namespace_id: int, limit: int | None, sort_key: str,
              sort_dir: str, marker: dict[str, Any] | None) -> list[dict[str, Any]]:
    keys = [sort_key] + [k for k in ("created_at", "id") if k != sort_key]
    sort = [(tags.c[key], sort_dir) for key in keys]
    query = sa.select(tags).where(tags.c.namespace_id == namespace_id)
    rows = conn.execute(paginate(query, sort, limit,
                                 [marker[k] for k in keys] if marker is not None else None))
    return [_row(row) for row in rows]


# --- resource types ------------------------------------------------------------


def list_resource_types(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute(sa.select(resource_types).order_by(resource_types.c.id))
    return [_row(row) for row in rows]


def resource_type_id(conn: Connection, name: str, create: bool = False) -> int | None:
    """The id of the resource type, added (unprotected) first if `create`."""
    found = conn.execute(sa.select(resource_types.c.id)
                         .where(resource_types.c.name == name)).scalar_one_or_none()
    if found is not None or not create:
        return found
    result = conn.execute(sa.insert(resource_types).values(
        _stamp({"name": name, "protected": False})))
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def list_associations(conn: Connection, namespace_ids: Iterable[int]) -> list[dict[str, Any]]:
    """The resource type associations of the namespaces: ``namespace_id``,
    ``name`` (of the resource type), ``prefix``, ``properties_target`` and
    the timestamps, oldest first."""
    rows = conn.execute(
        sa.select(ns_rt.c.namespace_id, resource_types.c.name, ns_rt.c.prefix,
                  ns_rt.c.properties_target, ns_rt.c.created_at, ns_rt.c.updated_at)
        .join(resource_types, resource_types.c.id == ns_rt.c.resource_type_id)
        .where(ns_rt.c.namespace_id.in_(list(namespace_ids)))
        .order_by(ns_rt.c.namespace_id, ns_rt.c.created_at, resource_types.c.name))
    return [_row(row) for row in rows]


def associated(conn: Connection, namespace_id: int, type_id: int) -> bool:
    return conn.execute(sa.select(ns_rt.c.namespace_id).where(
        ns_rt.c.namespace_id == namespace_id, ns_rt.c.resource_type_id == type_id)
    ).first() is not None


def associate(conn: Connection, namespace_id: int, type_id: int, prefix: str | None,
              properties_target: str | None) -> None:
    conn.execute(sa.insert(ns_rt).values(_stamp({
        "namespace_id": namespace_id, "resource_type_id": type_id, "prefix": prefix,
        "properties_target": properties_target})))


def dissociate(conn: Connection, namespace_id: int, name: str) -> bool:
    """Remove the namespace's association with the named resource type."""
    type_id = resource_type_id(conn, name)
    if type_id is None:
        return False
    result = conn.execute(sa.delete(ns_rt).where(ns_rt.c.namespace_id == namespace_id,
                                                 ns_rt.c.resource_type_id == type_id))
    return bool(result.rowcount)
