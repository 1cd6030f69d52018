"""Resource classes: the standard ones and CUSTOM_* ones."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

import os_resource_classes as orc
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from nimbus.common.db import DuplicateEntry
from nimbus.common.db.types import utcnow
from nimbus.placement import exceptions as exc
from nimbus.placement.db.models import inventories, resource_classes

RC = resource_classes
STANDARD = frozenset(orc.STANDARDS)


@dataclass(frozen=True, slots=True)
class ResourceClass:
    id: int
    name: str
    created_at: datetime.datetime | None
    updated_at: datetime.datetime | None


def _row(row: sa.Row[tuple[int, str, datetime.datetime | None, datetime.datetime | None]]) -> ResourceClass:
    return ResourceClass(row.id, row.name, row.created_at, row.updated_at)


def list_all(conn: Connection) -> list[ResourceClass]:
    return [_row(r) for r in conn.execute(sa.select(RC).order_by(RC.c.id))]


def get(conn: Connection, name: str) -> ResourceClass:
    row = conn.execute(sa.select(RC).where(RC.c.name == name)).first()
    if row is None:
        raise exc.ResourceClassNotFound(name=name)
    return _row(row)


def ids(conn: Connection, names: Iterable[str]) -> dict[str, int]:
    """Ids by name of every name in `names`.

    :raises ResourceClassNotFound: naming the first unknown one.
    """
    wanted = sorted(set(names))
    if not wanted:
        return {}
    found = {r.name: r.id for r in conn.execute(
        sa.select(RC.c.name, RC.c.id).where(RC.c.name.in_(wanted)))}
    for name in wanted:
        if name not in found:
            raise exc.ResourceClassNotFound(name=name)
    return found


def names(conn: Connection, rc_ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted(set(rc_ids))
    if not wanted:
        return {}
    return {r.id: r.name for r in conn.execute(
        sa.select(RC.c.id, RC.c.name).where(RC.c.id.in_(wanted)))}


def create(conn: Connection, name: str) -> ResourceClass:
    try:
        conn.execute(sa.insert(RC).values(name=name, created_at=utcnow()))
    except DuplicateEntry:
        raise exc.ResourceClassExists(resource_class=name) from None
    return get(conn, name)


def rename(conn: Connection, name: str, new_name: str) -> ResourceClass:
    current = get(conn, name)
    if name in STANDARD:
        raise exc.ResourceClassCannotUpdateStandard(resource_class=name)
    try:
        conn.execute(sa.update(RC).where(RC.c.id == current.id)
                     .values(name=new_name, updated_at=utcnow()))
    except DuplicateEntry:
        raise exc.ResourceClassExists(resource_class=new_name) from None
    return get(conn, new_name)


def delete(conn: Connection, name: str) -> None:
    current = get(conn, name)
    if name in STANDARD:
        raise exc.ResourceClassCannotDeleteStandard(resource_class=name)
    in_use = conn.execute(sa.select(inventories.c.resource_provider_id)
                          .where(inventories.c.resource_class_id == current.id).limit(1)).first()
    if in_use is not None:
        raise exc.ResourceClassInUse(resource_class=name)
    conn.execute(sa.delete(RC).where(RC.c.id == current.id))
