"""Cells v2 mappings in the API database: which cells exist, which host and
which instance lives in which cell."""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from nimbus.common.db import DuplicateEntry
from nimbus.common.db.types import utcnow
from nimbus.compute import exceptions as exc
from nimbus.compute.db.models import cell_mappings, host_mappings, instance_mappings

# Nova's fixed uuid of cell0.
CELL0_UUID = "00000000-0000-0000-0000-000000000000"


@dataclass(frozen=True, slots=True)
class CellMapping:
    id: int
    uuid: str
    name: str | None
    transport_url: str | None
    database_connection: str | None
    disabled: bool

    @property
    def is_cell0(self) -> bool:
        return self.uuid == CELL0_UUID


@dataclass(frozen=True, slots=True)
class InstanceMapping:
    instance_uuid: str
    cell_uuid: str | None  # None until scheduled (or buried in cell0)
    project_id: str
    user_id: str | None
    queued_for_delete: bool


def _cell(row: Any) -> CellMapping:
    m = row._mapping
    return CellMapping(m["id"], m["uuid"], m["name"], m["transport_url"],
                       m["database_connection"], bool(m["disabled"]))


# --- cells ----------------------------------------------------------------------

def list_cells(conn: Connection) -> list[CellMapping]:
    return [_cell(r) for r in conn.execute(sa.select(cell_mappings).order_by(cell_mappings.c.id))]


def get_cell(conn: Connection, name_or_uuid: str) -> CellMapping:
    row = conn.execute(sa.select(cell_mappings).where(sa.or_(
        cell_mappings.c.uuid == name_or_uuid, cell_mappings.c.name == name_or_uuid))).first()
    if row is None:
        raise exc.CellMappingNotFound(uuid=name_or_uuid)
    return _cell(row)


def create_cell(conn: Connection, name: str, transport_url: str, database_connection: str,
                cell_uuid: str | None = None, disabled: bool = False) -> CellMapping:
    """:raises CellExists: a cell with this name or these URLs exists."""
    for cell in list_cells(conn):
        if cell.name == name or (cell.database_connection == database_connection
                                 and cell.transport_url == transport_url):
            raise exc.CellExists(name=cell.name)
    uuid = cell_uuid or str(uuidlib.uuid4())
    conn.execute(sa.insert(cell_mappings).values(
        uuid=uuid, name=name, transport_url=transport_url,
        database_connection=database_connection, disabled=disabled, created_at=utcnow()))
    return get_cell(conn, uuid)


def update_cell(conn: Connection, cell_uuid: str, values: dict[str, Any]) -> CellMapping:
    conn.execute(sa.update(cell_mappings).where(cell_mappings.c.uuid == cell_uuid)
                 .values(updated_at=utcnow(), **values))
    return get_cell(conn, cell_uuid)


def delete_cell(conn: Connection, cell_uuid: str) -> None:
    """:raises CellInUse: hosts or instances are mapped to it."""
    cell = get_cell(conn, cell_uuid)
    used = conn.execute(sa.select(sa.func.count()).select_from(host_mappings)
                        .where(host_mappings.c.cell_id == cell.id)).scalar_one()
    used += conn.execute(sa.select(sa.func.count()).select_from(instance_mappings)
                         .where(instance_mappings.c.cell_id == cell.id)).scalar_one()
    if used:
        raise exc.CellInUse(uuid=cell_uuid)
    conn.execute(sa.delete(cell_mappings).where(cell_mappings.c.id == cell.id))


# --- hosts ----------------------------------------------------------------------

def host_cell(conn: Connection, host: str) -> CellMapping:
    """:raises HostMappingNotFound:"""
    row = conn.execute(sa.select(cell_mappings).join(
        host_mappings, host_mappings.c.cell_id == cell_mappings.c.id)
        .where(host_mappings.c.host == host)).first()
    if row is None:
        raise exc.HostMappingNotFound(name=host)
    return _cell(row)


def host_cells(conn: Connection) -> dict[str, str]:
    """host -> cell uuid, for every mapped host."""
    rows = conn.execute(sa.select(host_mappings.c.host, cell_mappings.c.uuid).join(
        cell_mappings, host_mappings.c.cell_id == cell_mappings.c.id))
    return {h: u for h, u in rows}


def map_host(conn: Connection, host: str, cell: CellMapping) -> bool:
    """Map `host` to `cell`; False when it was mapped already."""
    try:
        with conn.begin_nested():
            conn.execute(sa.insert(host_mappings).values(host=host, cell_id=cell.id,
                                                         created_at=utcnow()))
    except DuplicateEntry:
        return False
    return True


def unmap_host(conn: Connection, host: str) -> None:
    conn.execute(sa.delete(host_mappings).where(host_mappings.c.host == host))


# --- instances --------------------------------------------------------------------

def _instance_query() -> sa.Select[Any]:
    return sa.select(instance_mappings.c.instance_uuid, cell_mappings.c.uuid,
                     instance_mappings.c.project_id, instance_mappings.c.user_id,
                     instance_mappings.c.queued_for_delete).outerjoin(
        cell_mappings, instance_mappings.c.cell_id == cell_mappings.c.id)


def create_instance_mapping(conn: Connection, instance_uuid: str, project_id: str,
                            user_id: str, vcpus: int, memory_mb: int) -> None:
    conn.execute(sa.insert(instance_mappings).values(
        instance_uuid=instance_uuid, project_id=project_id, user_id=user_id, cell_id=None,
        queued_for_delete=False, vcpus=vcpus, memory_mb=memory_mb, created_at=utcnow()))


def get_instance_mapping(conn: Connection, instance_uuid: str) -> InstanceMapping:
    """:raises InstanceMappingNotFound:"""
    row = conn.execute(_instance_query().where(
        instance_mappings.c.instance_uuid == instance_uuid)).first()
    if row is None:
        raise exc.InstanceMappingNotFound(uuid=instance_uuid)
    return InstanceMapping(*row)


def instance_mappings_for(conn: Connection, instance_uuids: Iterable[str]) -> list[InstanceMapping]:
    wanted = list(instance_uuids)
    if not wanted:
        return []
    rows = conn.execute(_instance_query().where(instance_mappings.c.instance_uuid.in_(wanted)))
    return [InstanceMapping(*r) for r in rows]


def set_instance_cell(conn: Connection, instance_uuid: str, cell: CellMapping) -> None:
    conn.execute(sa.update(instance_mappings)
                 .where(instance_mappings.c.instance_uuid == instance_uuid)
                 .values(cell_id=cell.id, updated_at=utcnow()))


def update_instance_mapping(conn: Connection, instance_uuid: str, **values: Any) -> None:
    conn.execute(sa.update(instance_mappings)
                 .where(instance_mappings.c.instance_uuid == instance_uuid)
                 .values(updated_at=utcnow(), **values))


def delete_instance_mapping(conn: Connection, instance_uuid: str) -> None:
    conn.execute(sa.delete(instance_mappings)
                 .where(instance_mappings.c.instance_uuid == instance_uuid))


def instance_size(conn: Connection, instance_uuid: str) -> dict[str, int]:
    """The cores and RAM an instance counts for in its project's quota.

    :raises InstanceMappingNotFound:
    """
    row = conn.execute(sa.select(instance_mappings.c.vcpus, instance_mappings.c.memory_mb)
                       .where(instance_mappings.c.instance_uuid == instance_uuid)).first()
    if row is None:
        raise exc.InstanceMappingNotFound(uuid=instance_uuid)
    return {"cores": int(row.vcpus or 0), "ram": int(row.memory_mb or 0)}


def project_cells(conn: Connection, project_id: str | None) -> list[str]:
    """Uuids of the cells holding instances of `project_id` (None: of anyone)."""
    query = sa.select(sa.distinct(cell_mappings.c.uuid)).join(
        instance_mappings, instance_mappings.c.cell_id == cell_mappings.c.id)
    if project_id is not None:
        query = query.where(instance_mappings.c.project_id == project_id)
    return [r[0] for r in conn.execute(query)]


def project_usage(conn: Connection, project_id: str,
                  user_id: str | None = None) -> dict[str, int]:
    """Live instances of a project (and user) with their cores and RAM, as
    the quota check counts them."""
    query = sa.select(sa.func.count(),
                      sa.func.coalesce(sa.func.sum(instance_mappings.c.vcpus), 0),
                      sa.func.coalesce(sa.func.sum(instance_mappings.c.memory_mb), 0)).where(
        instance_mappings.c.project_id == project_id,
        instance_mappings.c.queued_for_delete.is_(False))
    if user_id is not None:
        query = query.where(instance_mappings.c.user_id == user_id)
    count, cores, ram = conn.execute(query).one()
    return {"instances": int(count), "cores": int(cores), "ram": int(ram)}
