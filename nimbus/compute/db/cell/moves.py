"""Migration records of a cell: one per resize, cold or live migration and evacuation.

A record follows its move through Nova's statuses (resize and cold
migration: pre-migrating, migrating, post-migrating, finished, then
confirming/confirmed or reverting/reverted; live migration: accepted,
queued, preparing, running, completed; evacuation: accepted,
pre-migrating, done, completed; failed moves end in error, failed or
cancelled). Status changes may name the statuses they expect, so that two
parties racing on one record (a confirm and the auto-confirm periodic, an
abort and the migration finishing) cannot both win.
"""

from __future__ import annotations

import datetime
import uuid as uuidlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from nimbus.common.db.types import utcnow
from nimbus.compute import exceptions as exc
from nimbus.compute.db.cell.models import migrations

COLUMNS = tuple(c.name for c in migrations.columns)

# Nova's "in progress" sets: what GET /servers/{id}/migrations lists, and
# what blocks or is settled when an agent comes back.
LIVE_IN_PROGRESS = ("queued", "preparing", "running", "post-migrating")
FINAL = ("confirmed", "reverted", "error", "failed", "completed", "cancelled", "done")
EVACUATION_PENDING = ("accepted", "pre-migrating", "done")

_WRITABLE = frozenset(COLUMNS) - {"id", "uuid", "created_at", "deleted", "deleted_at"}


@dataclass(slots=True)
class MigrationRecord:
    """One row of the migrations table, as stored."""

    id: int
    uuid: str
    instance_uuid: str
    source_compute: str | None
    dest_compute: str | None
    source_node: str | None
    dest_node: str | None
    dest_host: str | None
    old_instance_type_id: int | None
    new_instance_type_id: int | None
    status: str
    migration_type: str
    hidden: bool
    memory_total: int | None
    memory_processed: int | None
    memory_remaining: int | None
    disk_total: int | None
    disk_processed: int | None
    disk_remaining: int | None
    user_id: str | None
    project_id: str | None
    created_at: datetime.datetime
    updated_at: datetime.datetime | None
    deleted_at: datetime.datetime | None
    deleted: int
    # Set by whoever read it: the cell it lives in.
    cell_uuid: str | None = field(default=None)

    def as_dict(self) -> dict[str, Any]:
        return {c: getattr(self, c) for c in COLUMNS}


def _build(row: Any) -> MigrationRecord:
    m = row._mapping
    return MigrationRecord(**{c: m[c] for c in COLUMNS})


@dataclass
class Filters:
    """What GET /os-migrations (and the agents' queries) may ask for."""

    host: str | None = None  # source or destination
    source_compute: str | None = None
    node: str | None = None
    status: list[str] = field(default_factory=list)
    instance_uuid: str | None = None
    migration_type: str | None = None
    hidden: bool | None = None
    user_id: str | None = None
    project_id: str | None = None
    changes_since: datetime.datetime | None = None
    changes_before: datetime.datetime | None = None


def create(conn: Connection, values: Mapping[str, Any]) -> MigrationRecord:
    """Insert a migration; uuid, hidden and timestamps default as Nova's."""
    now = utcnow()
    row = {c: values[c] for c in _WRITABLE if c in values}
    row.update(uuid=values.get("uuid") or str(uuidlib.uuid4()), created_at=now, deleted=0)
    row.setdefault("hidden", False)
    result = conn.execute(sa.insert(migrations).values(row))
    return get(conn, int(result.inserted_primary_key[0]))  # type: ignore[index]


def get(conn: Connection, migration_id: int) -> MigrationRecord:
    """:raises MigrationNotFound:"""
    row = conn.execute(sa.select(migrations).where(migrations.c.id == migration_id,
                                                   migrations.c.deleted == 0)).first()
    if row is None:
        raise exc.MigrationNotFound(migration_id=migration_id)
    return _build(row)


def get_by_uuid(conn: Connection, migration_uuid: str) -> MigrationRecord:
    """:raises MigrationNotFound:"""
    row = conn.execute(sa.select(migrations).where(migrations.c.uuid == migration_uuid,
                                                   migrations.c.deleted == 0)).first()
    if row is None:
        raise exc.MigrationNotFound(migration_id=migration_uuid)
    return _build(row)


def get_for_instance(conn: Connection, migration_id: int,
                     instance_uuid: str) -> MigrationRecord:
    """:raises MigrationNotFoundForInstance:"""
    row = conn.execute(sa.select(migrations).where(
        migrations.c.id == migration_id, migrations.c.instance_uuid == instance_uuid,
        migrations.c.deleted == 0)).first()
    if row is None:
        raise exc.MigrationNotFoundForInstance(migration_id=migration_id,
                                               instance_id=instance_uuid)
    return _build(row)


def by_instance_and_status(conn: Connection, instance_uuid: str,
                           status: str) -> MigrationRecord:
    """The newest migration of an instance in `status`.

    :raises MigrationNotFoundByStatus:
    """
    row = conn.execute(sa.select(migrations).where(
        migrations.c.instance_uuid == instance_uuid, migrations.c.status == status,
        migrations.c.deleted == 0).order_by(migrations.c.id.desc()).limit(1)).first()
    if row is None:
        raise exc.MigrationNotFoundByStatus(instance_id=instance_uuid, status=status)
    return _build(row)


def in_progress(conn: Connection, instance_uuid: str,
                migration_type: str | None = None) -> list[MigrationRecord]:
    """An instance's migrations under way (Nova's in-progress statuses)."""
    query = sa.select(migrations).where(
        migrations.c.instance_uuid == instance_uuid, migrations.c.deleted == 0,
        migrations.c.status.in_(LIVE_IN_PROGRESS))
    if migration_type is not None:
        query = query.where(migrations.c.migration_type == migration_type)
    return [_build(r) for r in conn.execute(query.order_by(migrations.c.id))]


def update(conn: Connection, migration_id: int, values: Mapping[str, Any],
           expected_status: Sequence[str] | None = None) -> MigrationRecord:
    """Change a migration, only while its status is one of `expected_status`
    (None: any).

    :raises MigrationNotFound: :raises InvalidMigrationState: the status moved on.
    """
    row = {c: v for c, v in values.items() if c in _WRITABLE}
    row["updated_at"] = utcnow()
    query = sa.update(migrations).where(migrations.c.id == migration_id,
                                        migrations.c.deleted == 0)
    if expected_status is not None:
        query = query.where(migrations.c.status.in_(list(expected_status)))
    if conn.execute(query.values(row)).rowcount != 1:
        current = get(conn, migration_id)
        raise exc.InvalidMigrationState(migration_id=migration_id,
                                        instance_uuid=current.instance_uuid,
                                        state=current.status,
                                        method=f"set it {values.get('status', 'updated')}")
    return get(conn, migration_id)


def _where(query: sa.Select[Any], filters: Filters) -> sa.Select[Any]:
    t = migrations
    query = query.where(t.c.deleted == 0)
    if filters.host is not None:
        query = query.where(sa.or_(t.c.source_compute == filters.host,
                                   t.c.dest_compute == filters.host))
    elif filters.source_compute is not None:
        query = query.where(t.c.source_compute == filters.source_compute)
    if filters.node is not None:
        query = query.where(sa.or_(t.c.source_node == filters.node,
                                   t.c.dest_node == filters.node))
    if filters.status:
        query = query.where(t.c.status.in_(filters.status))
    for name in ("instance_uuid", "migration_type", "user_id", "project_id", "hidden"):
        value = getattr(filters, name)
        if value is not None:
            query = query.where(t.c[name] == value)
    if filters.changes_since is not None:
        query = query.where(t.c.updated_at >= filters.changes_since)
    if filters.changes_before is not None:
        query = query.where(t.c.updated_at <= filters.changes_before)
    return query


def marker_key(conn: Connection, marker: str) -> tuple[datetime.datetime, int] | None:
    """(created_at, id) of the migration `marker` (a uuid), None when this
    cell does not have it."""
    row = conn.execute(sa.select(migrations.c.created_at, migrations.c.id)
                       .where(migrations.c.uuid == marker)).first()
    return None if row is None else (row.created_at, row.id)


def list_migrations(conn: Connection, filters: Filters, limit: int | None = None,
                    after: tuple[datetime.datetime, int] | None = None
                    ) -> list[MigrationRecord]:
    """Migrations matching `filters`, newest first (created_at, then id,
    descending, as Nova pages them), those before the key `after` only."""
    t = migrations
    query = _where(sa.select(t), filters)
    if after is not None:
        created, ident = after
        query = query.where(sa.or_(t.c.created_at < created,
                                   sa.and_(t.c.created_at == created, t.c.id < ident)))
    query = query.order_by(t.c.created_at.desc(), t.c.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return [_build(r) for r in conn.execute(query)]


def unconfirmed(conn: Connection, older_than: datetime.datetime) -> list[MigrationRecord]:
    """Resizes and cold migrations waiting for a confirm since before `older_than`."""
    t = migrations
    return [_build(r) for r in conn.execute(
        sa.select(t).where(t.c.status == "finished", t.c.deleted == 0,
                           t.c.updated_at < older_than).order_by(t.c.id))]
