"""Instances of one cell: create, read, update under expected states, soft delete, list.

Reads return :class:`InstanceRecord` values, plain and cheap to build (a
server list renders a thousand of them); the conductor turns one into an
RPC object when it sends it. Everything an instance carries besides its
row (flavor, metadata, system metadata, tags, network info, the latest
fault) is fetched set-wise: one query per table for any number of instances.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from nimbus.common.db.types import utcnow
from nimbus.compute import exceptions as exc
from nimbus.compute.db.cell.models import (
    instance_extra,
    instance_faults,
    instance_info_caches,
    instance_metadata,
    instance_system_metadata,
    instances,
    tags,
)

_EXTRA_KEYS = ("security_groups", "scheduler_hints", "pinned_availability_zone",
               "trusted_certs")


@dataclass(slots=True)
class InstanceRecord:
    """One instance with what hangs off it, as stored."""

    id: int
    uuid: str
    user_id: str
    project_id: str
    image_ref: str | None
    kernel_id: str | None
    ramdisk_id: str | None
    hostname: str | None
    host: str | None
    node: str | None
    launched_on: str | None
    launch_index: int | None
    key_name: str | None
    key_data: str | None
    power_state: int
    vm_state: str
    task_state: str | None
    memory_mb: int
    vcpus: int
    root_gb: int
    ephemeral_gb: int
    instance_type_id: int | None
    user_data: str | None
    reservation_id: str | None
    launched_at: datetime.datetime | None
    terminated_at: datetime.datetime | None
    availability_zone: str | None
    display_name: str | None
    display_description: str | None
    locked: bool
    locked_by: str | None
    os_type: str | None
    architecture: str | None
    vm_mode: str | None
    root_device_name: str | None
    config_drive: str | None
    access_ip_v4: str | None
    access_ip_v6: str | None
    auto_disk_config: bool
    progress: int | None
    shutdown_terminate: bool
    disable_terminate: bool
    cleaned: bool
    hidden: bool
    created_at: datetime.datetime
    updated_at: datetime.datetime | None
    deleted_at: datetime.datetime | None
    deleted: int
    flavor: dict[str, Any] = field(default_factory=dict)
    old_flavor: dict[str, Any] | None = None
    new_flavor: dict[str, Any] | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    system_metadata: dict[str, str | None] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    security_groups: list[str] = field(default_factory=list)
    scheduler_hints: dict[str, list[str]] = field(default_factory=dict)
    pinned_availability_zone: str | None = None
    trusted_certs: list[str] | None = None  # trusted image certificate ids (2.63)
    network_info: list[dict[str, Any]] = field(default_factory=list)
    fault: dict[str, Any] | None = None
    # Set by whoever read it: the cell it lives in.
    cell_uuid: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


COLUMNS = tuple(c.name for c in instances.columns)


@dataclass(frozen=True)
class Extras:
    """Which of the tables around an instance a read should fetch."""

    metadata: bool = True
    system_metadata: bool = True
    tags: bool = True
    info_cache: bool = True
    fault: bool = True
    extra: bool = True


ALL = Extras()
NONE = Extras(False, False, False, False, False, False)


def _deleted(read_deleted: str) -> sa.ColumnElement[bool]:
    if read_deleted == "yes":
        return sa.true()
    if read_deleted == "only":
        return instances.c.deleted != 0
    return instances.c.deleted == 0


def _records(conn: Connection, rows: Sequence[Any], extras: Extras) -> list[InstanceRecord]:
    found = [InstanceRecord(**{c: row[i] for i, c in enumerate(COLUMNS)}) for row in rows]
    if found:
        _attach(conn, found, extras)
    return found


def _attach(conn: Connection, found: list[InstanceRecord], extras: Extras) -> None:
    by_uuid = {r.uuid: r for r in found}
    uuids = list(by_uuid)
    if extras.extra:
        for uuid, flavor, extra in conn.execute(
                sa.select(instance_extra.c.instance_uuid, instance_extra.c.flavor,
                          instance_extra.c.extra)
                .where(instance_extra.c.instance_uuid.in_(uuids))):
            record = by_uuid[uuid]
            if flavor:
                flavors = orjson.loads(flavor)
                record.flavor = flavors.get("cur") or {}
                record.old_flavor = flavors.get("old")
                record.new_flavor = flavors.get("new")
            if extra:
                values = orjson.loads(extra)
                for key in _EXTRA_KEYS:
                    if key in values:
                        setattr(record, key, values[key])
    if extras.metadata:
        for uuid, key, value in conn.execute(
                sa.select(instance_metadata.c.instance_uuid, instance_metadata.c.key,
                          instance_metadata.c.value)
                .where(instance_metadata.c.instance_uuid.in_(uuids))):
            by_uuid[uuid].metadata[key] = value
    if extras.system_metadata:
        for uuid, key, value in conn.execute(
                sa.select(instance_system_metadata.c.instance_uuid,
                          instance_system_metadata.c.key, instance_system_metadata.c.value)
                .where(instance_system_metadata.c.instance_uuid.in_(uuids))):
            by_uuid[uuid].system_metadata[key] = value
    if extras.tags:
        for uuid, tag in conn.execute(sa.select(tags.c.resource_id, tags.c.tag)
                                      .where(tags.c.resource_id.in_(uuids))
                                      .order_by(tags.c.tag)):
            by_uuid[uuid].tags.append(tag)
    if extras.info_cache:
        for uuid, info in conn.execute(
                sa.select(instance_info_caches.c.instance_uuid,
                          instance_info_caches.c.network_info)
                .where(instance_info_caches.c.instance_uuid.in_(uuids))):
            if info:
                by_uuid[uuid].network_info = orjson.loads(info)
    if extras.fault:
        _attach_faults(conn, by_uuid)


def _attach_faults(conn: Connection, by_uuid: dict[str, InstanceRecord]) -> None:
    """The newest fault of each instance in ERROR or DELETED (only they show one)."""
    wanted = [u for u, r in by_uuid.items() if r.vm_state in ("error", "deleted")]
    if not wanted:
        return
    rows = conn.execute(
        sa.select(instance_faults.c.instance_uuid, instance_faults.c.code,
                  instance_faults.c.message, instance_faults.c.details,
                  instance_faults.c.host, instance_faults.c.created_at)
        .where(instance_faults.c.instance_uuid.in_(wanted))
        .order_by(instance_faults.c.created_at, instance_faults.c.id))
    for uuid, code, message, details, host, created in rows:
        by_uuid[uuid].fault = {"code": code, "message": message, "details": details,
                               "host": host, "created": created}


# --- create ---------------------------------------------------------------------

def create(conn: Connection, values: Mapping[str, Any]) -> InstanceRecord:
    """Insert an instance and what hangs off it; `values` has the columns of
    instances and, optionally, flavor / old_flavor / new_flavor (dicts),
    metadata, system_metadata, tags, security_groups, scheduler_hints,
    pinned_availability_zone and network_info."""
    now = utcnow()
    row = {c: values[c] for c in COLUMNS if c in values and c != "id"}
    row.setdefault("created_at", now)
    row["updated_at"] = row.get("updated_at") or now
    row.setdefault("deleted", 0)
    uuid = row["uuid"]
    conn.execute(sa.insert(instances).values(row))
    extra = {k: values[k] for k in _EXTRA_KEYS if values.get(k) is not None}
    conn.execute(sa.insert(instance_extra).values(
        instance_uuid=uuid, created_at=now, extra=orjson.dumps(extra).decode(),
        flavor=_flavors_json(values.get("flavor"), values.get("old_flavor"),
                             values.get("new_flavor"))))
    _replace_pairs(conn, instance_metadata, uuid, values.get("metadata") or {}, now)
    _replace_pairs(conn, instance_system_metadata, uuid, values.get("system_metadata") or {},
                   now)
    if values.get("tags"):
        conn.execute(sa.insert(tags), [{"resource_id": uuid, "tag": t}
                                       for t in sorted(set(values["tags"]))])
    conn.execute(sa.insert(instance_info_caches).values(
        instance_uuid=uuid, created_at=now,
        network_info=orjson.dumps(values.get("network_info") or []).decode()))
    return get(conn, uuid)


def _flavors_json(cur: Any, old: Any, new: Any) -> str:
    return orjson.dumps({"cur": cur, "old": old, "new": new}).decode()


def _replace_pairs(conn: Connection, table: sa.Table, uuid: str, pairs: Mapping[str, Any],
                   now: datetime.datetime) -> None:
    conn.execute(sa.delete(table).where(table.c.instance_uuid == uuid))
    if pairs:
        conn.execute(sa.insert(table), [
            {"instance_uuid": uuid, "key": k, "value": v, "created_at": now}
            for k, v in pairs.items()])


# --- read --------------------------------------------------------------------------

def get(conn: Connection, uuid: str, read_deleted: str = "no",
        extras: Extras = ALL) -> InstanceRecord:
    """:raises InstanceNotFound:"""
    rows = conn.execute(sa.select(instances).where(instances.c.uuid == uuid,
                                                   _deleted(read_deleted))).all()
    if not rows:
        raise exc.InstanceNotFound(instance_id=uuid)
    return _records(conn, rows, extras)[0]


def get_many(conn: Connection, uuids: Iterable[str], read_deleted: str = "no",
             extras: Extras = ALL) -> list[InstanceRecord]:
    wanted = list(uuids)
    if not wanted:
        return []
    rows = conn.execute(sa.select(instances).where(instances.c.uuid.in_(wanted),
                                                   _deleted(read_deleted))).all()
    return _records(conn, rows, extras)


def on_host(conn: Connection, host: str, extras: Extras = NONE) -> list[InstanceRecord]:
    """Live instances whose host is `host`."""
    rows = conn.execute(sa.select(instances).where(instances.c.host == host,
                                                   instances.c.deleted == 0)).all()
    return _records(conn, rows, extras)


def select(conn: Connection, query: sa.Select[Any], extras: Extras = ALL) -> list[InstanceRecord]:
    """Run a SELECT of whole instances rows built by a caller (the server
    lists build theirs from their filters)."""
    return _records(conn, conn.execute(query).all(), extras)


# --- update ----------------------------------------------------------------------

def update(conn: Connection, uuid: str, values: Mapping[str, Any],
           expected_task_state: Sequence[str | None] | None = None,
           expected_vm_state: Sequence[str] | None = None) -> InstanceRecord:
    """Change columns (and flavor/metadata/system_metadata/extra keys) of a
    live instance, only if its task and vm states are among the expected
    ones (None: any).

    :raises InstanceNotFound: no live instance has this uuid.
    :raises UnexpectedTaskState: the states moved on (another action won).
    """
    now = utcnow()
    row = {c: values[c] for c in COLUMNS if c in values and c not in ("id", "uuid")}
    row["updated_at"] = now
    query = sa.update(instances).where(instances.c.uuid == uuid, instances.c.deleted == 0)
    if expected_task_state is not None:
        query = query.where(_in_or_null(instances.c.task_state, expected_task_state))
    if expected_vm_state is not None:
        query = query.where(instances.c.vm_state.in_(list(expected_vm_state)))
    if conn.execute(query.values(row)).rowcount != 1:
        current = conn.execute(sa.select(instances.c.task_state, instances.c.vm_state)
                               .where(instances.c.uuid == uuid,
                                      instances.c.deleted == 0)).first()
        if current is None:
            raise exc.InstanceNotFound(instance_id=uuid)
        raise exc.UnexpectedTaskState(instance_uuid=uuid, expected=expected_task_state,
                                      actual=current.task_state)
    _update_hanging(conn, uuid, values, now)
    return get(conn, uuid)


def _in_or_null(column: sa.ColumnElement[Any], values: Sequence[Any]) -> sa.ColumnElement[bool]:
    present = [v for v in values if v is not None]
    clauses = [column.in_(present)] if present else []
    if any(v is None for v in values):
        clauses.append(column.is_(None))
    return sa.or_(*clauses) if clauses else sa.false()


def _update_hanging(conn: Connection, uuid: str, values: Mapping[str, Any],
                    now: datetime.datetime) -> None:
    if "metadata" in values:
        _replace_pairs(conn, instance_metadata, uuid, values["metadata"], now)
    if "system_metadata" in values:
        _replace_pairs(conn, instance_system_metadata, uuid, values["system_metadata"], now)
    if "network_info" in values:
        conn.execute(sa.update(instance_info_caches)
                     .where(instance_info_caches.c.instance_uuid == uuid)
                     .values(network_info=orjson.dumps(values["network_info"]).decode(),
                             updated_at=now))
    flavor_keys = [k for k in ("flavor", "old_flavor", "new_flavor") if k in values]
    extra_keys = [k for k in _EXTRA_KEYS if k in values]
    if not (flavor_keys or extra_keys):
        return
    current = conn.execute(sa.select(instance_extra.c.flavor, instance_extra.c.extra)
                           .where(instance_extra.c.instance_uuid == uuid)).one()
    changes: dict[str, Any] = {"updated_at": now}
    if flavor_keys:
        flavors = orjson.loads(current.flavor) if current.flavor else {}
        for key in flavor_keys:
            flavors[{"flavor": "cur", "old_flavor": "old", "new_flavor": "new"}[key]] = values[key]
        changes["flavor"] = orjson.dumps(flavors).decode()
    if extra_keys:
        extra = orjson.loads(current.extra) if current.extra else {}
        extra.update({k: values[k] for k in extra_keys})
        changes["extra"] = orjson.dumps(extra).decode()
    conn.execute(sa.update(instance_extra).where(instance_extra.c.instance_uuid == uuid)
                 .values(changes))


def set_tags(conn: Connection, uuid: str, wanted: Iterable[str]) -> list[str]:
    conn.execute(sa.delete(tags).where(tags.c.resource_id == uuid))
    chosen = sorted(set(wanted))
    if chosen:
        conn.execute(sa.insert(tags), [{"resource_id": uuid, "tag": t} for t in chosen])
    touch(conn, uuid)
    return chosen


def touch(conn: Connection, uuid: str) -> None:
    """Move updated_at, as any change of what hangs off an instance does."""
    conn.execute(sa.update(instances).where(instances.c.uuid == uuid)
                 .values(updated_at=utcnow()))


def destroy(conn: Connection, uuid: str, values: Mapping[str, Any] | None = None) -> None:
    """Soft-delete: the row stays (deleted = id) for usage and audit; its
    metadata goes. A second delete is a no-op."""
    now = utcnow()
    row = {"deleted": instances.c.id, "deleted_at": now, "updated_at": now,
           "vm_state": "deleted", "task_state": None, "terminated_at": now,
           **{c: v for c, v in (values or {}).items() if c in COLUMNS}}
    conn.execute(sa.update(instances).where(instances.c.uuid == uuid, instances.c.deleted == 0)
                 .values(row))
    conn.execute(sa.delete(instance_metadata).where(instance_metadata.c.instance_uuid == uuid))
    conn.execute(sa.delete(tags).where(tags.c.resource_id == uuid))


def add_fault(conn: Connection, uuid: str, code: int, message: str, details: str | None,
              host: str | None) -> None:
    conn.execute(sa.insert(instance_faults).values(
        instance_uuid=uuid, code=code, message=message[:255], details=details, host=host,
        created_at=utcnow()))


def count_by_project(conn: Connection, project_id: str,
                     user_id: str | None = None) -> dict[str, int]:
    """Live instances of a project (and user), with their cores and RAM."""
    query = sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(instances.c.vcpus), 0),
                      sa.func.coalesce(sa.func.sum(instances.c.memory_mb), 0)).where(
        instances.c.project_id == project_id, instances.c.deleted == 0)
    if user_id is not None:
        query = query.where(instances.c.user_id == user_id)
    count, cores, ram = conn.execute(query).one()
    return {"instances": int(count), "cores": int(cores), "ram": int(ram)}


# Task states Nova counts as I/O-heavy work on a host (its io_workload).
IO_TASK_STATES = ("resize_migrating", "rebuilding", "resize_prep", "image_snapshot",
                  "image_backup", "rescuing", "unshelving")


def host_counts(conn: Connection, hosts: Iterable[str]) -> dict[str, tuple[int, int]]:
    """host -> (live instances, I/O-heavy operations under way), as the
    scheduler's NumInstances and IoOps filters and weighers count them."""
    wanted = list(hosts)
    if not wanted:
        return {}
    busy = sa.or_(instances.c.vm_state == "building",
                  instances.c.task_state.in_(IO_TASK_STATES))
    rows = conn.execute(
        sa.select(instances.c.host, sa.func.count(),
                  sa.func.coalesce(sa.func.sum(sa.case((busy, 1), else_=0)), 0))
        .where(instances.c.host.in_(wanted), instances.c.deleted == 0)
        .group_by(instances.c.host))
    return {host: (int(count), int(io)) for host, count, io in rows}


def hosts_of(conn: Connection, uuids: Iterable[str]) -> dict[str, str]:
    """instance uuid -> host, for the live instances of `uuids` that have one."""
    wanted = list(uuids)
    if not wanted:
        return {}
    rows = conn.execute(sa.select(instances.c.uuid, instances.c.host).where(
        instances.c.uuid.in_(wanted), instances.c.deleted == 0, instances.c.host.isnot(None)))
    return {uuid: host for uuid, host in rows}
