"""Usages of a project (or a user in it), in total or by consumer type."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from nimbus.placement.db import resource_classes
from nimbus.placement.db.models import allocations, consumer_types, consumers, projects, users


def _base(project_id: str, user_id: str | None) -> sa.Select[tuple[Any, ...]]:
    query = (sa.select()
             .select_from(allocations.join(consumers, consumers.c.id == allocations.c.consumer_id)
                          .join(projects, projects.c.id == consumers.c.project_id)
                          .outerjoin(consumer_types,
                                     consumer_types.c.id == consumers.c.consumer_type_id))
             .where(projects.c.external_id == project_id))
    if user_id:
        query = query.join(users, users.c.id == consumers.c.user_id).where(
            users.c.external_id == user_id)
    return query


def totals(conn: Connection, project_id: str, user_id: str | None) -> dict[str, int]:
    rows = conn.execute(_base(project_id, user_id).add_columns(
        allocations.c.resource_class_id, sa.func.sum(allocations.c.used).label("used"))
        .group_by(allocations.c.resource_class_id)).all()
    names = resource_classes.names(conn, [r.resource_class_id for r in rows])
    return {names[r.resource_class_id]: int(r.used) for r in rows}


def by_consumer_type(conn: Connection, project_id: str, user_id: str | None,
                     consumer_type: str | None) -> dict[str, dict[str, int]]:
    """1.38: usages grouped by consumer type, each with its consumer_count.

    ``all`` groups everything under "all"; ``unknown`` only consumers with no
    type, under "unknown"; another name only that type.
    """
    query = _base(project_id, user_id)
    if consumer_type == "unknown":
        query = query.where(consumers.c.consumer_type_id.is_(None))
    elif consumer_type and consumer_type != "all":
        query = query.where(consumer_types.c.name == consumer_type)
    group: sa.ColumnElement[str]
    if consumer_type in ("all", "unknown"):
        group = sa.literal(consumer_type).label("ctype")
    else:
        group = sa.func.coalesce(consumer_types.c.name, "unknown").label("ctype")
    rows = conn.execute(query.add_columns(
        group, allocations.c.resource_class_id, sa.func.sum(allocations.c.used).label("used"))
        .group_by(group, allocations.c.resource_class_id)).all()
    counts = conn.execute(query.add_columns(
        group, sa.func.count(sa.distinct(allocations.c.consumer_id)).label("n"))
        .group_by(group)).all()
    names = resource_classes.names(conn, [r.resource_class_id for r in rows])
    result: dict[str, dict[str, int]] = {}
    for row in rows:
        result.setdefault(row.ctype, {})[names[row.resource_class_id]] = int(row.used)
    for row in counts:
        result.setdefault(row.ctype, {})["consumer_count"] = int(row.n)
    return result
