"""Server lists across cells: filters in SQL, one query per cell at once,
merged in the requested order with build requests, paged by marker.

Each cell answers at most `limit` servers past the marker in the same order
(the last sort key is always the uuid, so the order is total across cells);
merging those and keeping the first `limit` gives the page a single database
would. A cell that does not answer is reported, not fatal: its servers are
left out (before 2.69) or shown as minimal bodies from their mappings.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cmp_to_key
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from nimbus.compute import exceptions as exc
from nimbus.compute import states
from nimbus.compute.cells import CellFailed, CellTimeout
from nimbus.compute.db import build_requests
from nimbus.compute.db.cell import instances as cell_instances
from nimbus.compute.db.cell.instances import InstanceRecord
from nimbus.compute.db.cell.models import instance_metadata, instances, tags
from nimbus.compute.ops.lookup import record_from_build_request

if TYPE_CHECKING:
    from nimbus.compute.db.mappings import CellMapping
    from nimbus.compute.service import Compute

# Sort keys Nova accepts, by the column they sort on.
SORT_COLUMNS = {
    "access_ip_v4": "access_ip_v4", "access_ip_v6": "access_ip_v6",
    "auto_disk_config": "auto_disk_config", "availability_zone": "availability_zone",
    "config_drive": "config_drive", "created_at": "created_at",
    "display_description": "display_description", "display_name": "display_name",
    "host": "host", "hostname": "hostname", "image_ref": "image_ref",
    "instance_type_id": "instance_type_id", "kernel_id": "kernel_id",
    "key_name": "key_name", "launch_index": "launch_index", "launched_at": "launched_at",
    "locked_by": "locked_by", "node": "node", "power_state": "power_state",
    "progress": "progress", "project_id": "project_id", "ramdisk_id": "ramdisk_id",
    "root_device_name": "root_device_name", "task_state": "task_state",
    "terminated_at": "terminated_at", "updated_at": "updated_at", "user_id": "user_id",
    "uuid": "uuid", "vm_state": "vm_state", "locked": "locked",
}
# Keys Nova once accepted and now ignores (400 from 2.75).
IGNORED_SORT_KEYS = frozenset({
    "architecture", "cell_name", "cleaned", "default_ephemeral_device",
    "default_swap_device", "deleted", "deleted_at", "disable_terminate", "ephemeral_gb",
    "ephemeral_key_uuid", "id", "key_data", "launched_on", "memory_mb", "os_type",
    "reservation_id", "root_gb", "shutdown_terminate", "user_data", "vcpus", "vm_mode"})


@dataclass
class Query:
    """A validated server list request."""

    project_id: str | None  # None: every project (admin, all_tenants)
    user_id: str | None = None
    exact: dict[str, list[Any]] = field(default_factory=dict)  # column -> allowed values
    regex: dict[str, str] = field(default_factory=dict)  # column -> pattern
    status: list[tuple[str, list[str | None] | None]] | None = None
    deleted: bool | None = False  # None: both
    changes_since: datetime.datetime | None = None
    changes_before: datetime.datetime | None = None
    tags_all: list[str] = field(default_factory=list)
    tags_any: list[str] = field(default_factory=list)
    not_tags_all: list[str] = field(default_factory=list)
    not_tags_any: list[str] = field(default_factory=list)
    locked: bool | None = None
    ip: str | None = None
    ip6: str | None = None
    flavor_id: int | None = None  # the API database id of a flavor
    sort: list[tuple[str, str]] = field(default_factory=lambda: [("created_at", "desc")])
    limit: int = 1000
    marker: str | None = None


@dataclass
class Page:
    servers: list[InstanceRecord]
    down_cells: list[CellMapping]


def _where(q: Query) -> list[sa.ColumnElement[bool]]:
    t = instances
    clauses: list[sa.ColumnElement[bool]] = []
    if q.project_id is not None:
        clauses.append(t.c.project_id == q.project_id)
    if q.user_id is not None:
        clauses.append(t.c.user_id == q.user_id)
    if q.deleted is False and q.changes_since is None and q.changes_before is None:
        clauses.append(t.c.deleted == 0)
    elif q.deleted is True:
        clauses.append(t.c.deleted != 0)
    for column, values in q.exact.items():
        clauses.append(t.c[column].in_(values))
    for column, pattern in q.regex.items():
        clauses.append(t.c[column].regexp_match(pattern))
    if q.flavor_id is not None:
        clauses.append(t.c.instance_type_id == q.flavor_id)
    if q.status is not None:
        clauses.append(sa.or_(*[_status_clause(vm, tasks) for vm, tasks in q.status]))
    if q.changes_since is not None:
        clauses.append(t.c.updated_at >= q.changes_since)
    if q.changes_before is not None:
        clauses.append(t.c.updated_at <= q.changes_before)
    if q.locked is not None:
        clauses.append(t.c.locked.is_(q.locked))
    clauses.extend(_tag_clauses(q))
    return clauses


def _status_clause(vm_state: str, tasks: list[str | None] | None) -> sa.ColumnElement[bool]:
    t = instances
    if tasks is None:
        excluded = states.excluded_tasks(vm_state)
        if not excluded:
            return t.c.vm_state == vm_state
        return sa.and_(t.c.vm_state == vm_state,
                       sa.or_(t.c.task_state.is_(None), t.c.task_state.not_in(excluded)))
    return sa.and_(t.c.vm_state == vm_state, t.c.task_state.in_(tasks))


def _tag_clauses(q: Query) -> list[sa.ColumnElement[bool]]:
    def has(tag: str) -> sa.ColumnElement[bool]:
        return sa.exists().where(tags.c.resource_id == instances.c.uuid, tags.c.tag == tag)

    clauses = [has(tag) for tag in q.tags_all]
    if q.tags_any:
        clauses.append(sa.or_(*[has(tag) for tag in q.tags_any]))
    if q.not_tags_all:
        clauses.append(sa.not_(sa.and_(*[has(tag) for tag in q.not_tags_all])))
    for tag in q.not_tags_any:
        clauses.append(sa.not_(has(tag)))
    return clauses


def metadata_clause(key: str, value: str) -> sa.ColumnElement[bool]:
    return sa.exists().where(instance_metadata.c.instance_uuid == instances.c.uuid,
                             instance_metadata.c.key == key, instance_metadata.c.value == value)


def _sort_values(record: InstanceRecord, sort: list[tuple[str, str]]) -> list[Any]:
    return [getattr(record, SORT_COLUMNS[key]) for key, _ in sort]


def _order(sort: list[tuple[str, str]]) -> list[tuple[sa.ColumnElement[Any], str]]:
    keys = list(sort)
    if not any(k == "uuid" for k, _ in keys):
        keys.append(("uuid", keys[-1][1] if keys else "desc"))
    return [(instances.c[SORT_COLUMNS[k]], d) for k, d in keys]


def _full_sort(sort: list[tuple[str, str]]) -> list[tuple[str, str]]:
    keys = list(sort)
    if not any(k == "uuid" for k, _ in keys):
        keys.append(("uuid", keys[-1][1] if keys else "desc"))
    return keys


def _compare(sort: list[tuple[str, str]]) -> Callable[[InstanceRecord, InstanceRecord], int]:
    """The order of the SQL (NULL lowest), for merging the cells' pages."""

    def cmp(a: InstanceRecord, b: InstanceRecord) -> int:
        for key, direction in sort:
            x, y = getattr(a, SORT_COLUMNS[key]), getattr(b, SORT_COLUMNS[key])
            if x == y:
                continue
            if x is None:
                result = -1
            elif y is None:
                result = 1
            else:
                result = -1 if x < y else 1
            return result if direction == "asc" else -result
        return 0

    return cmp


def _ip_matches(q: Query, record: InstanceRecord) -> bool:
    if q.ip is None and q.ip6 is None:
        return True
    for vif in record.network_info:
        for ip in vif.get("fixed_ips", []) + [f for i in vif.get("fixed_ips", [])
                                               for f in i.get("floating_ips", [])]:
            address = ip.get("address", "")
            version = ip.get("version", 6 if ":" in address else 4)
            if q.ip is not None and version == 4 and re.search(q.ip, address):
                return True
            if q.ip6 is not None and version == 6 and re.search(q.ip6, address):
                return True
    return False


def _marker_values(compute: Compute, q: Query, sort: list[tuple[str, str]]) -> list[Any]:
    """The sort values of the marker server, from whichever cell holds it."""
    assert q.marker is not None
    found: list[Any] | None = None

    def look(cell: CellMapping, db: Any) -> list[Any] | None:
        with db.reader() as conn:
            try:
                record = cell_instances.get(conn, q.marker, read_deleted="yes",  # type: ignore[arg-type]
                                            extras=cell_instances.NONE)
            except exc.InstanceNotFound:
                return None
        return _sort_values(record, sort)

    for result in compute.cells.scatter(compute.cells.all(), look).values():
        if isinstance(result, list):
            found = result
    if found is None:
        with compute.api_db.reader() as conn:
            requests = build_requests.get_many(conn, [q.marker])
        if requests:
            found = _sort_values(record_from_build_request(requests[0]), sort)
    if found is None:
        raise exc.MarkerNotFound(marker=q.marker)
    return found


def list_servers(compute: Compute, q: Query) -> Page:
    sort = _full_sort(q.sort)
    marker = _marker_values(compute, q, sort) if q.marker else None
    where = _where(q)
    fetch = q.limit + (50 if (q.ip or q.ip6) else 0)

    def look(cell: CellMapping, db: Any) -> list[InstanceRecord]:
        from nimbus.common.db.pagination import paginate

        query = paginate(sa.select(instances).where(*where), _order(q.sort), fetch, marker)
        with db.reader() as conn:
            found = cell_instances.select(conn, query)
        for record in found:
            record.cell_uuid = cell.uuid
        return found

    results = compute.cells.scatter(compute.cells.all(), look)
    servers: list[InstanceRecord] = []
    down: list[CellMapping] = []
    for cell_uuid, result in results.items():
        if isinstance(result, (CellTimeout, CellFailed)):
            down.append(compute.cells.get(cell_uuid))
            continue
        servers.extend(result)
    servers.extend(_build_requests(compute, q, sort, marker))
    if len(results) > 1 or len(servers) > fetch:
        servers.sort(key=cmp_to_key(_compare(sort)))
    servers = [s for s in servers if _ip_matches(q, s)][:q.limit]
    return Page(servers, down)


def _build_requests(compute: Compute, q: Query, sort: list[tuple[str, str]],
                    marker: list[Any] | None) -> list[InstanceRecord]:
    """Servers not yet in a cell that match the query."""
    if q.deleted is True:
        return []
    with compute.api_db.reader() as conn:
        requests = build_requests.get_many(conn, project_id=q.project_id)
    found = []
    cmp = _compare(sort)
    for request in requests:
        record = record_from_build_request(request)
        if not _matches(q, record):
            continue
        if marker is not None:
            marker_record = _Values(sort, marker)
            if cmp(record, marker_record) <= 0:  # type: ignore[arg-type]
                continue
        found.append(record)
    return found


class _Values:
    """A stand-in record holding only the sort values of a marker."""

    def __init__(self, sort: list[tuple[str, str]], values: list[Any]) -> None:
        for (key, _), value in zip(sort, values, strict=True):
            setattr(self, SORT_COLUMNS[key], value)


def _matches(q: Query, record: InstanceRecord) -> bool:
    """A build request against the query's filters (they are few in practice)."""
    if q.user_id is not None and record.user_id != q.user_id:
        return False
    for column, values in q.exact.items():
        if getattr(record, column, None) not in values:
            return False
    for column, pattern in q.regex.items():
        if not re.search(pattern, str(getattr(record, column, "") or "")):
            return False
    if q.status is not None and not any(
            record.vm_state == vm and (tasks is None or record.task_state in tasks)
            for vm, tasks in q.status):
        return False
    if q.flavor_id is not None and record.instance_type_id != q.flavor_id:
        return False
    if q.changes_before is not None and record.updated_at and \
            record.updated_at > q.changes_before:
        return False
    if q.changes_since is not None and record.updated_at and \
            record.updated_at < q.changes_since:
        return False
    if q.tags_all or q.tags_any or q.not_tags_all or q.not_tags_any or q.locked:
        return False
    return not (q.ip or q.ip6)
