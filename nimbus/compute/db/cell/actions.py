"""Instance actions and their events: who asked for what, and how each step went."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from nimbus.common.db.types import utcnow
from nimbus.compute import exceptions as exc
from nimbus.compute.db.cell.models import instance_actions, instance_actions_events


def start(conn: Connection, instance_uuid: str, action: str, request_id: str,
          user_id: str | None, project_id: str | None,
          when: datetime.datetime | None = None) -> int:
    """Record the start of an action; the id of its row."""
    now = when or utcnow()
    result = conn.execute(sa.insert(instance_actions).values(
        action=action, instance_uuid=instance_uuid, request_id=request_id, user_id=user_id,
        project_id=project_id, start_time=now, created_at=now, updated_at=now))
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def _find(conn: Connection, instance_uuid: str, request_id: str) -> int:
    row = conn.execute(sa.select(instance_actions.c.id)
                       .where(instance_actions.c.instance_uuid == instance_uuid,
                              instance_actions.c.request_id == request_id)
                       .order_by(instance_actions.c.id.desc()).limit(1)).first()
    if row is None:
        raise exc.InstanceActionNotFound(request_id=request_id, instance_uuid=instance_uuid)
    return int(row[0])


def finish(conn: Connection, instance_uuid: str, request_id: str,
           message: str | None = None) -> None:
    now = utcnow()
    conn.execute(sa.update(instance_actions)
                 .where(instance_actions.c.id == _find(conn, instance_uuid, request_id))
                 .values(finish_time=now, updated_at=now, message=message))


def event_start(conn: Connection, instance_uuid: str, request_id: str, event: str,
                host: str | None) -> None:
    action_id = _find(conn, instance_uuid, request_id)
    now = utcnow()
    conn.execute(sa.insert(instance_actions_events).values(
        action_id=action_id, event=event, start_time=now, host=host, created_at=now))
    # An action's updated_at moves with its events (2.58's changes-since).
    conn.execute(sa.update(instance_actions).where(instance_actions.c.id == action_id)
                 .values(updated_at=now))


def event_finish(conn: Connection, instance_uuid: str, request_id: str, event: str,
                 result: str, traceback: str | None = None,
                 details: str | None = None) -> None:
    """Finish the newest unfinished `event` of the action; an action whose
    event failed records the failure as its message, as Nova does."""
    action_id = _find(conn, instance_uuid, request_id)
    now = utcnow()
    row = conn.execute(sa.select(instance_actions_events.c.id)
                       .where(instance_actions_events.c.action_id == action_id,
                              instance_actions_events.c.event == event)
                       .order_by(instance_actions_events.c.id.desc()).limit(1)).first()
    if row is None:
        raise exc.InstanceActionEventNotFound(action_id=action_id, event=event)
    conn.execute(sa.update(instance_actions_events)
                 .where(instance_actions_events.c.id == row[0])
                 .values(finish_time=now, result=result, traceback=traceback,
                         details=details, updated_at=now))
    changes: dict[str, Any] = {"updated_at": now}
    if result.lower() == "error":
        changes["message"] = "Error"
    conn.execute(sa.update(instance_actions).where(instance_actions.c.id == action_id)
                 .values(changes))


def list_for(conn: Connection, instance_uuid: str, limit: int | None = None,
             marker: str | None = None, changes_since: datetime.datetime | None = None,
             changes_before: datetime.datetime | None = None) -> list[dict[str, Any]]:
    """The actions of an instance, newest first (by created_at, then id)."""
    t = instance_actions
    query = sa.select(t).where(t.c.instance_uuid == instance_uuid)
    if changes_since is not None:
        query = query.where(t.c.updated_at >= changes_since)
    if changes_before is not None:
        query = query.where(t.c.updated_at <= changes_before)
    if marker is not None:
        found = conn.execute(sa.select(t.c.id, t.c.created_at)
                             .where(t.c.instance_uuid == instance_uuid,
                                    t.c.request_id == marker)).first()
        if found is None:
            raise exc.MarkerNotFound(marker=marker)
        query = query.where(sa.or_(t.c.created_at < found.created_at,
                                   sa.and_(t.c.created_at == found.created_at,
                                           t.c.id < found.id)))
    query = query.order_by(t.c.created_at.desc(), t.c.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return [dict(row._mapping) for row in conn.execute(query)]


def get(conn: Connection, instance_uuid: str, request_id: str) -> dict[str, Any]:
    """An action with its events (oldest first)."""
    t = instance_actions
    row = conn.execute(sa.select(t).where(t.c.instance_uuid == instance_uuid,
                                          t.c.request_id == request_id)
                       .order_by(t.c.id.desc()).limit(1)).first()
    if row is None:
        raise exc.InstanceActionNotFound(request_id=request_id, instance_uuid=instance_uuid)
    action = dict(row._mapping)
    e = instance_actions_events
    action["events"] = [dict(r._mapping) for r in conn.execute(
        sa.select(e).where(e.c.action_id == action["id"]).order_by(e.c.id))]
    return action


def latest_unfinished(conn: Connection, instance_uuids: Sequence[str]) -> dict[str, str]:
    """instance uuid -> request id of its newest action, for actions still running."""
    if not instance_uuids:
        return {}
    t = instance_actions
    rows = conn.execute(sa.select(t.c.instance_uuid, t.c.request_id)
                        .where(t.c.instance_uuid.in_(list(instance_uuids)),
                               t.c.finish_time.is_(None)).order_by(t.c.id))
    return {u: r for u, r in rows}
