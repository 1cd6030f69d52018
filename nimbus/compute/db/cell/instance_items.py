"""Single items of what hangs off an instance: metadata keys, system metadata
keys, tags; and the guarded touch that changing any of them starts with.

A change first moves the instance's ``updated_at`` under a state guard
(:func:`touch_if`): that UPDATE also locks the instance row until the
transaction ends, so concurrent changes of one server's items run one
after the other and a merge never loses another's keys.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from nimbus.common.db.types import utcnow
from nimbus.compute import exceptions as exc
from nimbus.compute.db.cell.models import instance_metadata, instance_system_metadata, instances
from nimbus.compute.db.cell.models import tags as tags_table


def touch_if(conn: Connection, uuid: str, vm_states: Sequence[str] | None = None,
             task_states: Sequence[str | None] | None = None) -> None:
    """Move updated_at of a live instance whose states are among those given
    (None: any).

    :raises InstanceNotFound: :raises UnexpectedTaskState: (with the actual
        vm_state and task_state in its kwargs)
    """
    query = sa.update(instances).where(instances.c.uuid == uuid, instances.c.deleted == 0)
    if vm_states is not None:
        query = query.where(instances.c.vm_state.in_(list(vm_states)))
    if task_states is not None:
        present = [t for t in task_states if t is not None]
        clauses = [instances.c.task_state.in_(present)] if present else []
        if None in task_states:
            clauses.append(instances.c.task_state.is_(None))
        query = query.where(sa.or_(*clauses) if clauses else sa.false())
    if conn.execute(query.values(updated_at=utcnow())).rowcount == 1:
        return
    current = conn.execute(sa.select(instances.c.vm_state, instances.c.task_state)
                           .where(instances.c.uuid == uuid, instances.c.deleted == 0)).first()
    if current is None:
        raise exc.InstanceNotFound(instance_id=uuid)
    raise exc.UnexpectedTaskState(instance_uuid=uuid, expected=task_states,
                                  actual=current.task_state, vm_state=current.vm_state)


# --- metadata -----------------------------------------------------------------------

def metadata(conn: Connection, uuid: str) -> dict[str, str]:
    t = instance_metadata
    return {k: v for k, v in conn.execute(sa.select(t.c.key, t.c.value)
                                          .where(t.c.instance_uuid == uuid))}


def set_metadata(conn: Connection, uuid: str, items: Mapping[str, str],
                 replace: bool = False) -> None:
    """Add or change `items`; with `replace`, drop every other key too."""
    t = instance_metadata
    query = sa.delete(t).where(t.c.instance_uuid == uuid)
    if not replace:
        if not items:
            return
        query = query.where(t.c.key.in_(list(items)))
    conn.execute(query)
    if items:
        now = utcnow()
        conn.execute(sa.insert(t), [{"instance_uuid": uuid, "key": k, "value": v,
                                     "created_at": now} for k, v in items.items()])


def delete_metadata(conn: Connection, uuid: str, key: str) -> bool:
    """Whether there was such a key."""
    t = instance_metadata
    return bool(conn.execute(sa.delete(t).where(t.c.instance_uuid == uuid,
                                                t.c.key == key)).rowcount)


# --- system metadata -------------------------------------------------------------------

def set_system_metadata(conn: Connection, uuid: str, items: Mapping[str, str | None]) -> None:
    """Add or change some system metadata keys, leaving the others alone."""
    if not items:
        return
    t = instance_system_metadata
    conn.execute(sa.delete(t).where(t.c.instance_uuid == uuid, t.c.key.in_(list(items))))
    now = utcnow()
    conn.execute(sa.insert(t), [{"instance_uuid": uuid, "key": k, "value": v,
                                 "created_at": now} for k, v in items.items()])


def delete_system_metadata(conn: Connection, uuid: str, keys: Iterable[str]) -> None:
    t = instance_system_metadata
    conn.execute(sa.delete(t).where(t.c.instance_uuid == uuid, t.c.key.in_(list(keys))))


# --- tags --------------------------------------------------------------------------------

def tags(conn: Connection, uuid: str) -> list[str]:
    t = tags_table
    return [r[0] for r in conn.execute(sa.select(t.c.tag).where(t.c.resource_id == uuid)
                                       .order_by(t.c.tag))]


def add_tag(conn: Connection, uuid: str, tag: str, limit: int) -> bool:
    """Add `tag`; False when the server had it already.

    :raises TooManyTags: the server has `limit` tags already.
    """
    present = tags(conn, uuid)
    if len(present) >= limit:
        raise exc.TooManyTags(limit=limit)
    if tag in present:
        return False
    conn.execute(sa.insert(tags_table).values(resource_id=uuid, tag=tag))
    return True


def delete_tag(conn: Connection, uuid: str, tag: str) -> None:
    """:raises InstanceTagNotFound:"""
    t = tags_table
    if not conn.execute(sa.delete(t).where(t.c.resource_id == uuid, t.c.tag == tag)).rowcount:
        raise exc.InstanceTagNotFound(instance_id=uuid, tag=tag)


def replace_tags(conn: Connection, uuid: str, wanted: Iterable[str]) -> list[str]:
    """Exactly `wanted` (duplicates once); the tags, sorted."""
    conn.execute(sa.delete(tags_table).where(tags_table.c.resource_id == uuid))
    chosen = sorted(set(wanted))
    if chosen:
        conn.execute(sa.insert(tags_table), [{"resource_id": uuid, "tag": t} for t in chosen])
    return chosen
