"""Finding a server: its mapping says which cell (or none yet: a build request)."""

from __future__ import annotations

import datetime
import uuid as uuidlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nimbus.common.context import RequestContext
from nimbus.compute import exceptions as exc
from nimbus.compute import states
from nimbus.compute.db import build_requests, mappings
from nimbus.compute.db.cell import instances as cell_instances
from nimbus.compute.db.cell.instances import InstanceRecord
from nimbus.compute.db.mappings import CellMapping

if TYPE_CHECKING:
    from nimbus.compute.service import Compute


@dataclass
class Found:
    """A server and where it lives: `cell` None means a build request."""

    server: InstanceRecord
    cell: CellMapping | None


def is_uuid(value: str) -> bool:
    try:
        uuidlib.UUID(value)
    except ValueError:
        return False
    return True


def record_from_build_request(request: dict[str, Any]) -> InstanceRecord:
    """An instance not yet in a cell, shown as Nova shows a build request."""
    inst = request["instance"]
    values = {c: inst.get(c) for c in cell_instances.COLUMNS}
    values.update(
        id=0, vm_state=inst.get("vm_state") or states.BUILDING,
        task_state=inst.get("task_state", states.SCHEDULING), power_state=0,
        created_at=request["created_at"], updated_at=request["created_at"], deleted=0,
        locked=bool(inst.get("locked")), auto_disk_config=bool(inst.get("auto_disk_config")),
        shutdown_terminate=False, disable_terminate=False, cleaned=False, hidden=False,
        memory_mb=inst.get("memory_mb", 0), vcpus=inst.get("vcpus", 0),
        root_gb=inst.get("root_gb", 0), ephemeral_gb=inst.get("ephemeral_gb", 0))
    for key in ("launched_at", "terminated_at", "deleted_at"):
        if isinstance(values.get(key), str):
            values[key] = datetime.datetime.fromisoformat(values[key])
    record = InstanceRecord(**values)
    record.flavor = inst.get("flavor") or {}
    record.metadata = dict(inst.get("metadata") or {})
    record.system_metadata = dict(inst.get("system_metadata") or {})
    record.tags = list(request.get("tags") or [])
    record.security_groups = list(inst.get("security_groups") or [])
    record.scheduler_hints = dict(inst.get("scheduler_hints") or {})
    record.pinned_availability_zone = inst.get("pinned_availability_zone")
    return record


def visible(ctx: RequestContext, server: InstanceRecord, is_admin: bool) -> bool:
    """Tenant isolation: only admins see other projects' servers."""
    return is_admin or server.project_id == ctx.project_id


def find(compute: Compute, ctx: RequestContext, server_id: str, is_admin: bool,
         read_deleted: str = "no") -> Found:
    """The server `server_id` as the caller may see it.

    :raises InstanceNotFound: unknown, deleted, or another project's.
    """
    if not is_uuid(server_id):
        raise exc.InstanceNotFound(instance_id=server_id)
    for _attempt in range(2):
        with compute.api_db.reader() as conn:
            try:
                mapping = mappings.get_instance_mapping(conn, server_id)
            except exc.InstanceMappingNotFound:
                raise exc.InstanceNotFound(instance_id=server_id) from None
            request = None
            if mapping.cell_uuid is None:
                try:
                    request = build_requests.get(conn, server_id)
                except exc.BuildRequestNotFound:
                    continue  # it reached a cell meanwhile: read the mapping again
        if request is not None:
            server = record_from_build_request(request)
            if not visible(ctx, server, is_admin):
                break
            return Found(server, None)
        cell = compute.cells.get(mapping.cell_uuid)  # type: ignore[arg-type]
        with compute.cells.db(cell).reader() as conn:
            server = cell_instances.get(conn, server_id, read_deleted=read_deleted)
        server.cell_uuid = cell.uuid
        if not visible(ctx, server, is_admin):
            break
        return Found(server, cell)
    raise exc.InstanceNotFound(instance_id=server_id)
