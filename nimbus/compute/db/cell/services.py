"""Services of a cell (compute agents, conductors) and their heartbeats."""

from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from nimbus.common.db import DuplicateEntry
from nimbus.common.db.types import utcnow
from nimbus.compute import exceptions as exc
from nimbus.compute.db.cell.models import compute_nodes, services


@dataclass(frozen=True, slots=True)
class Service:
    id: int
    uuid: str
    host: str
    binary: str
    topic: str | None
    report_count: int
    disabled: bool
    disabled_reason: str | None
    last_seen_up: datetime | None
    forced_down: bool
    version: int
    created_at: datetime
    updated_at: datetime | None
    cell_uuid: str | None = None

    def is_up(self, now: datetime, down_time: int) -> bool:
        """Nova's servicegroup rule: up when seen within `down_time` seconds
        and not forced down."""
        if self.forced_down:
            return False
        seen = self.last_seen_up or self.updated_at or self.created_at
        return (now - seen).total_seconds() <= down_time


def _build(row: Any) -> Service:
    m = row._mapping
    return Service(**{k: m[k] for k in Service.__dataclass_fields__ if k != "cell_uuid"})


def register(conn: Connection, host: str, binary: str, topic: str | None,
             version: int) -> Service:
    """The live service of (host, binary), created if new, its version updated."""
    now = utcnow()
    query = sa.select(services).where(services.c.host == host, services.c.binary == binary,
                                      services.c.deleted == 0)
    row = conn.execute(query).first()
    if row is None:
        try:
            with conn.begin_nested():
                conn.execute(sa.insert(services).values(
                    uuid=str(uuidlib.uuid4()), host=host, binary=binary, topic=topic,
                    report_count=0, disabled=False, forced_down=False, version=version,
                    created_at=now, updated_at=now, last_seen_up=now, deleted=0))
        except DuplicateEntry:
            pass  # registered by a twin starting at the same moment: use its row
    else:
        conn.execute(sa.update(services).where(services.c.id == row.id)
                     .values(version=version, topic=topic, updated_at=now, last_seen_up=now))
    return _build(conn.execute(query).one())


def heartbeat(conn: Connection, service_id: int) -> None:
    now = utcnow()
    conn.execute(sa.update(services).where(services.c.id == service_id)
                 .values(report_count=services.c.report_count + 1, last_seen_up=now,
                         updated_at=now))


def list_services(conn: Connection, host: str | None = None,
                  binary: str | None = None) -> list[Service]:
    query = sa.select(services).where(services.c.deleted == 0)
    if host is not None:
        query = query.where(services.c.host == host)
    if binary is not None:
        query = query.where(services.c.binary == binary)
    return [_build(r) for r in conn.execute(query.order_by(services.c.id))]


def get_by_uuid(conn: Connection, service_uuid: str) -> Service:
    row = conn.execute(sa.select(services).where(services.c.uuid == service_uuid,
                                                 services.c.deleted == 0)).first()
    if row is None:
        raise exc.ServiceNotFound(service_id=service_uuid)
    return _build(row)


def get_by_id(conn: Connection, service_id: int) -> Service:
    row = conn.execute(sa.select(services).where(services.c.id == service_id,
                                                 services.c.deleted == 0)).first()
    if row is None:
        raise exc.ServiceNotFound(service_id=service_id)
    return _build(row)


def update(conn: Connection, service_id: int, values: dict[str, Any]) -> Service:
    conn.execute(sa.update(services).where(services.c.id == service_id)
                 .values(updated_at=utcnow(), **values))
    return get_by_id(conn, service_id)


def destroy(conn: Connection, service_id: int) -> None:
    """Soft-delete a service and the compute nodes it owns."""
    now = utcnow()
    conn.execute(sa.update(services).where(services.c.id == service_id)
                 .values(deleted=services.c.id, deleted_at=now))
    conn.execute(sa.update(compute_nodes).where(compute_nodes.c.service_id == service_id,
                                                compute_nodes.c.deleted == 0)
                 .values(deleted=compute_nodes.c.id, deleted_at=now))
