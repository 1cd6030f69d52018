"""Queries of flavors, their extra specs and the projects a private flavor is shared with.

Who may see a flavor is decided in the WHERE clause: a caller that is not an
admin sees public flavors and the private ones shared with its project.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from nimbus.common.db import DuplicateEntry
from nimbus.common.db.pagination import paginate
from nimbus.common.db.types import utcnow
from nimbus.compute import exceptions as exc
from nimbus.compute.db.models import flavor_extra_specs, flavor_projects, flavors

# Sort keys a client may name (Nova's list); each is a column of flavors.
SORT_KEYS = ("created_at", "description", "disabled", "ephemeral_gb", "flavorid", "id",
             "is_public", "memory_mb", "name", "root_gb", "rxtx_factor", "swap",
             "updated_at", "vcpu_weight", "vcpus")


@dataclass(frozen=True, slots=True)
class Flavor:
    id: int  # the database id; clients know a flavor by its flavorid
    flavorid: str
    name: str
    memory_mb: int
    vcpus: int
    root_gb: int
    ephemeral_gb: int
    swap: int
    rxtx_factor: float | None
    vcpu_weight: int | None
    disabled: bool
    is_public: bool
    description: str | None
    created_at: datetime.datetime
    updated_at: datetime.datetime | None
    extra_specs: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Viewer:
    """Whom a query answers: an admin sees every flavor, anyone else the
    public ones and those shared with `project_id`."""

    project_id: str | None
    is_admin: bool


def _visible(viewer: Viewer) -> sa.ColumnElement[bool]:
    if viewer.is_admin:
        return sa.true()
    shared = sa.exists().where(flavor_projects.c.flavor_id == flavors.c.id,
                               flavor_projects.c.project_id == viewer.project_id)
    return sa.or_(flavors.c.is_public.is_(True), shared)


def _specs(conn: Connection, ids: Sequence[int]) -> dict[int, dict[str, str]]:
    found: dict[int, dict[str, str]] = {i: {} for i in ids}
    if not ids:
        return found
    rows = conn.execute(sa.select(flavor_extra_specs.c.flavor_id, flavor_extra_specs.c.key,
                                  flavor_extra_specs.c.value)
                        .where(flavor_extra_specs.c.flavor_id.in_(ids)))
    for flavor_id, key, value in rows:
        found[flavor_id][key] = value
    return found


def _build(row: Any, specs: dict[str, str]) -> Flavor:
    m = row._mapping
    return Flavor(
        id=m["id"], flavorid=m["flavorid"], name=m["name"], memory_mb=m["memory_mb"],
        vcpus=m["vcpus"], root_gb=m["root_gb"] or 0, ephemeral_gb=m["ephemeral_gb"] or 0,
        swap=m["swap"] or 0, rxtx_factor=m["rxtx_factor"], vcpu_weight=m["vcpu_weight"],
        disabled=bool(m["disabled"]), is_public=bool(m["is_public"]),
        description=m["description"], created_at=m["created_at"], updated_at=m["updated_at"],
        extra_specs=specs)


def get(conn: Connection, flavorid: str, viewer: Viewer) -> Flavor:
    """The flavor `flavorid` as `viewer` may see it.

    :raises FlavorNotFound: no such flavor, or one hidden from the viewer.
    """
    row = conn.execute(sa.select(flavors).where(flavors.c.flavorid == flavorid,
                                                _visible(viewer))).first()
    if row is None:
        raise exc.FlavorNotFound(flavor_id=flavorid)
    return _build(row, _specs(conn, [row.id])[row.id])


@dataclass(frozen=True, slots=True)
class Filters:
    is_public: bool | None = True  # None: public and private alike
    min_memory_mb: int | None = None
    min_root_gb: int | None = None
    disabled: bool | None = None
    name: str | None = None  # a regular expression, as Nova takes it


def list_flavors(conn: Connection, viewer: Viewer, filters: Filters, *,
                 sort_key: str = "flavorid", sort_dir: str = "asc",
                 limit: int | None = None, marker: str | None = None) -> list[Flavor]:
    """One page of flavors, with their extra specs, in two queries.

    :raises MarkerNotFound: `marker` names no flavor the viewer may see.
    """
    if sort_key not in SORT_KEYS:
        raise ValueError(f"cannot sort flavors by {sort_key!r}")
    query = sa.select(flavors).where(_visible(viewer))
    if filters.min_memory_mb is not None:
        query = query.where(flavors.c.memory_mb >= filters.min_memory_mb)
    if filters.min_root_gb is not None:
        query = query.where(flavors.c.root_gb >= filters.min_root_gb)
    if filters.disabled is not None:
        query = query.where(flavors.c.disabled.is_(filters.disabled))
    if filters.name is not None:
        query = query.where(flavors.c.name.regexp_match(filters.name))
    if filters.is_public is not None:
        public: sa.ColumnElement[bool] = flavors.c.is_public.is_(filters.is_public)
        if filters.is_public and viewer.project_id is not None:
            # As Nova: "public" includes what is shared with the caller.
            public = sa.or_(public, sa.exists().where(
                flavor_projects.c.flavor_id == flavors.c.id,
                flavor_projects.c.project_id == viewer.project_id))
        query = query.where(public)
    column = flavors.c[sort_key]
    sort = [(column, sort_dir), (flavors.c.id, sort_dir)]
    marker_values = None
    if marker is not None:
        row = conn.execute(sa.select(column, flavors.c.id).where(
            flavors.c.flavorid == marker, _visible(viewer))).first()
        if row is None:
            raise exc.MarkerNotFound(marker=marker)
        marker_values = (row[0], row[1])
    rows = conn.execute(paginate(query, sort, limit, marker_values)).all()
    specs = _specs(conn, [r.id for r in rows])
    return [_build(r, specs[r.id]) for r in rows]


def create(conn: Connection, values: Mapping[str, Any]) -> Flavor:
    """A new flavor from `values` (the columns of flavors, flavorid included).

    :raises FlavorIdExists: or FlavorExists, when the id or the name is taken.
    """
    taken = conn.execute(sa.select(flavors.c.flavorid, flavors.c.name).where(sa.or_(
        flavors.c.flavorid == values["flavorid"], flavors.c.name == values["name"]))).all()
    if any(r.flavorid == values["flavorid"] for r in taken):
        raise exc.FlavorIdExists(flavor_id=values["flavorid"])
    if taken:
        raise exc.FlavorExists(name=values["name"])
    try:
        inserted = conn.execute(sa.insert(flavors).values(**values, created_at=utcnow()))
        pk = inserted.inserted_primary_key[0]  # type: ignore[index]
    except DuplicateEntry:
        # Another request took the name or id between our check and insert.
        raise exc.FlavorExists(name=values["name"]) from None
    row = conn.execute(sa.select(flavors).where(flavors.c.id == pk)).one()
    return _build(row, {})


def update_description(conn: Connection, flavor: Flavor, description: str | None) -> Flavor:
    now = utcnow()
    conn.execute(sa.update(flavors).where(flavors.c.id == flavor.id).values(
        description=description, updated_at=now))
    return dataclasses.replace(flavor, description=description, updated_at=now)


def delete(conn: Connection, flavorid: str) -> None:
    """Delete a flavor with its extra specs and access list.

    :raises FlavorNotFound:
    """
    pk = conn.execute(sa.select(flavors.c.id).where(flavors.c.flavorid == flavorid)).scalar()
    if pk is None:
        raise exc.FlavorNotFound(flavor_id=flavorid)
    conn.execute(sa.delete(flavor_extra_specs).where(flavor_extra_specs.c.flavor_id == pk))
    conn.execute(sa.delete(flavor_projects).where(flavor_projects.c.flavor_id == pk))
    conn.execute(sa.delete(flavors).where(flavors.c.id == pk))


def set_extra_specs(conn: Connection, flavor: Flavor, specs: Mapping[str, str]) -> None:
    """Add or replace extra specs (others stay)."""
    now = utcnow()
    existing = set(conn.execute(sa.select(flavor_extra_specs.c.key).where(
        flavor_extra_specs.c.flavor_id == flavor.id,
        flavor_extra_specs.c.key.in_(list(specs)))).scalars())
    for key in existing:
        conn.execute(sa.update(flavor_extra_specs).where(
            flavor_extra_specs.c.flavor_id == flavor.id, flavor_extra_specs.c.key == key
        ).values(value=specs[key], updated_at=now))
    new = [{"flavor_id": flavor.id, "key": k, "value": v, "created_at": now}
           for k, v in specs.items() if k not in existing]
    if new:
        conn.execute(sa.insert(flavor_extra_specs), new)


def delete_extra_spec(conn: Connection, flavor: Flavor, key: str) -> None:
    """:raises FlavorExtraSpecsNotFound:"""
    result = conn.execute(sa.delete(flavor_extra_specs).where(
        flavor_extra_specs.c.flavor_id == flavor.id, flavor_extra_specs.c.key == key))
    if result.rowcount == 0:
        raise exc.FlavorExtraSpecsNotFound(flavor_id=flavor.flavorid, extra_specs_key=key)


def projects(conn: Connection, flavor: Flavor) -> list[str]:
    """The projects a flavor is shared with, in the order they were added."""
    return list(conn.execute(sa.select(flavor_projects.c.project_id).where(
        flavor_projects.c.flavor_id == flavor.id).order_by(flavor_projects.c.id)).scalars())


def add_project(conn: Connection, flavor: Flavor, project_id: str) -> None:
    """:raises FlavorAccessExists:"""
    if conn.execute(sa.select(flavor_projects.c.id).where(
            flavor_projects.c.flavor_id == flavor.id,
            flavor_projects.c.project_id == project_id)).first() is not None:
        raise exc.FlavorAccessExists(flavor_id=flavor.flavorid, project_id=project_id)
    try:
        conn.execute(sa.insert(flavor_projects).values(
            flavor_id=flavor.id, project_id=project_id, created_at=utcnow()))
    except DuplicateEntry:
        raise exc.FlavorAccessExists(flavor_id=flavor.flavorid,
                                     project_id=project_id) from None


def remove_project(conn: Connection, flavor: Flavor, project_id: str) -> None:
    """:raises FlavorAccessNotFound:"""
    result = conn.execute(sa.delete(flavor_projects).where(
        flavor_projects.c.flavor_id == flavor.id, flavor_projects.c.project_id == project_id))
    if result.rowcount == 0:
        raise exc.FlavorAccessNotFound(flavor_id=flavor.flavorid, project_id=project_id)
