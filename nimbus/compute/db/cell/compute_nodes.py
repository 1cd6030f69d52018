"""Compute nodes of a cell: what each hypervisor node has and uses."""

from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from nimbus.common.db.types import utcnow
from nimbus.compute import exceptions as exc
from nimbus.compute.db.cell.models import compute_nodes

# Columns a resource report may set.
REPORTED = ("hypervisor_type", "hypervisor_version", "vcpus", "memory_mb", "local_gb",
            "vcpus_used", "memory_mb_used", "local_gb_used", "free_ram_mb", "free_disk_gb",
            "disk_available_least", "current_workload", "running_vms", "cpu_info", "host_ip",
            "cpu_allocation_ratio", "ram_allocation_ratio", "disk_allocation_ratio",
            "supported_instances", "stats")
# Reported values stored as JSON text.
_JSON = ("supported_instances", "stats")


@dataclass(frozen=True, slots=True)
class ComputeNode:
    id: int
    uuid: str
    service_id: int | None
    host: str
    hypervisor_hostname: str
    hypervisor_type: str
    hypervisor_version: int
    vcpus: int
    memory_mb: int
    local_gb: int
    vcpus_used: int
    memory_mb_used: int
    local_gb_used: int
    free_ram_mb: int | None
    free_disk_gb: int | None
    disk_available_least: int | None
    current_workload: int | None
    running_vms: int | None
    cpu_info: str | None
    host_ip: str | None
    cpu_allocation_ratio: float | None
    ram_allocation_ratio: float | None
    disk_allocation_ratio: float | None
    mapped: bool
    created_at: datetime
    updated_at: datetime | None
    cell_uuid: str | None = None
    # [architecture, hypervisor type, vm mode] triples (Nova's supported_hv_specs).
    supported_instances: list[list[str]] = field(default_factory=list)
    # Nova's compute node stats: num_instances, num_vm_<state>, num_task_<state>,
    # num_proj_<project>, io_workload, failed_builds...
    stats: dict[str, Any] = field(default_factory=dict)


_PLAIN = tuple(k for k in ComputeNode.__dataclass_fields__ if k not in ("cell_uuid", *_JSON))


def _build(row: Any, cell_uuid: str | None = None) -> ComputeNode:
    m = row._mapping
    loaded = {k: orjson.loads(m[k]) if m[k] else None for k in _JSON}
    return ComputeNode(cell_uuid=cell_uuid, **{k: m[k] for k in _PLAIN},
                       supported_instances=loaded["supported_instances"] or [],
                       stats=loaded["stats"] or {})


def upsert(conn: Connection, host: str, nodename: str, service_id: int,
           values: dict[str, Any], node_uuid: str | None = None) -> ComputeNode:
    """Create or update the node (host, nodename) with a resource report."""
    now = utcnow()
    report = {k: orjson.dumps(v).decode() if k in _JSON else v
              for k, v in values.items() if k in REPORTED}
    query = sa.select(compute_nodes).where(compute_nodes.c.host == host,
                                           compute_nodes.c.hypervisor_hostname == nodename,
                                           compute_nodes.c.deleted == 0)
    row = conn.execute(query).first()
    if row is None:
        conn.execute(sa.insert(compute_nodes).values(
            uuid=node_uuid or str(uuidlib.uuid4()), service_id=service_id, host=host,
            hypervisor_hostname=nodename, mapped=False, created_at=now, updated_at=now,
            deleted=0, **report))
    else:
        conn.execute(sa.update(compute_nodes).where(compute_nodes.c.id == row.id)
                     .values(updated_at=now, service_id=service_id, **report))
    return _build(conn.execute(query).one())


def list_nodes(conn: Connection, host: str | None = None,
               uuids: list[str] | None = None, cell_uuid: str | None = None) -> list[ComputeNode]:
    query = sa.select(compute_nodes).where(compute_nodes.c.deleted == 0)
    if host is not None:
        query = query.where(compute_nodes.c.host == host)
    if uuids is not None:
        query = query.where(compute_nodes.c.uuid.in_(uuids))
    return [_build(r, cell_uuid) for r in conn.execute(query.order_by(compute_nodes.c.id))]


def get_by_uuid(conn: Connection, node_uuid: str, cell_uuid: str | None = None) -> ComputeNode:
    row = conn.execute(sa.select(compute_nodes).where(compute_nodes.c.uuid == node_uuid,
                                                      compute_nodes.c.deleted == 0)).first()
    if row is None:
        raise exc.ComputeHostNotFound(host=node_uuid)
    return _build(row, cell_uuid)


def unmapped(conn: Connection) -> list[ComputeNode]:
    rows = conn.execute(sa.select(compute_nodes).where(compute_nodes.c.deleted == 0,
                                                       compute_nodes.c.mapped.is_(False)))
    return [_build(r) for r in rows]


def mark_mapped(conn: Connection, node_ids: list[int]) -> None:
    if node_ids:
        conn.execute(sa.update(compute_nodes).where(compute_nodes.c.id.in_(node_ids))
                     .values(mapped=True))
