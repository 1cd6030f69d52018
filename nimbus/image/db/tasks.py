"""Queries of tasks: the record of each image import."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from nimbus.common.db.types import utcnow
from nimbus.image.db.models import tasks


def _row(row: Any) -> dict[str, Any]:
    task = dict(row._mapping)
    for key in ("input", "result"):
        task[key] = orjson.loads(task[key]) if task[key] else None
    return task


def create(conn: Connection, *, type: str, owner: str | None, input: dict[str, Any],
           image_id: str | None, request_id: str, user_id: str | None,
           status: str = "pending") -> dict[str, Any]:
    now = utcnow()
    values = {
        "id": str(uuid.uuid4()), "type": type, "status": status, "owner": owner,
        "input": orjson.dumps(input).decode(), "result": None, "message": "",
        "image_id": image_id, "request_id": request_id, "user_id": user_id,
        "expires_at": None, "created_at": now, "updated_at": now, "deleted": False,
    }
    conn.execute(sa.insert(tasks).values(**values))
    return _row(conn.execute(sa.select(tasks).where(tasks.c.id == values["id"])).one())


def get(conn: Connection, task_id: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(tasks).where(tasks.c.id == task_id,
                                              tasks.c.deleted.is_(False))).first()
    return _row(row) if row else None


def finish(conn: Connection, task_id: str, status: str, *, message: str = "",
           result: dict[str, Any] | None = None, ttl_hours: int = 48) -> None:
    now = utcnow()
    conn.execute(sa.update(tasks).where(tasks.c.id == task_id).values(
        status=status, message=message,
        result=orjson.dumps(result).decode() if result is not None else None,
        updated_at=now, expires_at=now + datetime.timedelta(hours=ttl_hours)))


def set_status(conn: Connection, task_id: str, status: str) -> None:
    conn.execute(sa.update(tasks).where(tasks.c.id == task_id).values(
        status=status, updated_at=utcnow()))


def for_image(conn: Connection, image_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(sa.select(tasks).where(
        tasks.c.image_id == image_id, tasks.c.deleted.is_(False))
        .order_by(tasks.c.created_at.desc(), tasks.c.id))
    return [_row(row) for row in rows]


def list_(conn: Connection, *, owner: str | None, status: str | None, type: str | None,
          limit: int, marker: dict[str, Any] | None, sort_key: str,
          sort_dir: str) -> list[dict[str, Any]]:
    """A page of tasks (owner None: everyone's), keyset-paged after `marker`."""
    column = tasks.c[sort_key]
    query = sa.select(tasks).where(tasks.c.deleted.is_(False))
    if owner is not None:
        query = query.where(tasks.c.owner == owner)
    if status:
        query = query.where(tasks.c.status == status)
    if type:
        query = query.where(tasks.c.type == type)
    descending = sort_dir == "desc"
    if marker is not None:
        after = (column < marker[sort_key]) if descending else (column > marker[sort_key])
        same = column == marker[sort_key]
        tie = (tasks.c.id < marker["id"]) if descending else (tasks.c.id > marker["id"])
        query = query.where(sa.or_(after, sa.and_(same, tie)))
    order = [column.desc(), tasks.c.id.desc()] if descending else [column.asc(), tasks.c.id.asc()]
    rows = conn.execute(query.order_by(*order).limit(limit))
    return [_row(row) for row in rows]
