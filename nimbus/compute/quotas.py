"""Quotas, counted from the databases (never kept as counters), as Nova's
"DbQuotaDriver" with counting.

Limits come from, in order: a user's own limit in the project, the
project's, the ``default`` quota class, then ``[quota]``. Usage is counted
at check time: instances, cores and RAM from the API database's instance
mappings (which carry each instance's sizes), server groups and members,
key pairs. A check that creates (a boot) runs in the same transaction as
the rows it creates, after locking the project's row in ``quota_locks``,
so parallel requests are counted one after the other and can never pass a
limit together.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from oslo_config import cfg
from sqlalchemy.engine import Connection

from nimbus.common.db import Database, DuplicateEntry
from nimbus.common.db.types import utcnow
from nimbus.compute import exceptions as exc
from nimbus.compute.db import mappings
from nimbus.compute.db.models import (
    instance_group_member,
    instance_groups,
    key_pairs,
    project_user_quotas,
    quota_classes,
    quota_locks,
    quotas,
)

T = TypeVar("T")

# Resources a quota set shows, in Nova's order.
RESOURCES = ("instances", "cores", "ram", "metadata_items", "injected_files",
             "injected_file_content_bytes", "injected_file_path_length", "key_pairs",
             "server_groups", "server_group_members")
# Counted per project from instance mappings.
INSTANCE_RESOURCES = ("instances", "cores", "ram")
UNLIMITED = -1


@dataclass(frozen=True)
class Over:
    """What a check found over its limit."""

    resources: list[str]
    requested: dict[str, int]
    used: dict[str, int]
    allowed: dict[str, int]

    def message(self) -> str:
        names = ", ".join(self.resources)
        req = ", ".join(str(self.requested[r]) for r in self.resources)
        used = ", ".join(str(self.used[r]) for r in self.resources)
        allowed = ", ".join(str(self.allowed[r]) for r in self.resources)
        return (f"Quota exceeded for {names}: Requested {req}, but already used {used} of "
                f"{allowed} {names}")


def defaults(conf: cfg.ConfigOpts, conn: Connection) -> dict[str, int]:
    """The limits of the ``default`` class over ``[quota]``."""
    found = {r: int(conf.quota[r]) for r in RESOURCES}
    for resource, limit in conn.execute(
            sa.select(quota_classes.c.resource, quota_classes.c.hard_limit)
            .where(quota_classes.c.class_name == "default")):
        if resource in found and limit is not None:
            found[resource] = int(limit)
    return found


def limits(conf: cfg.ConfigOpts, conn: Connection, project_id: str,
           user_id: str | None = None) -> dict[str, int]:
    found = defaults(conf, conn)
    for resource, limit in conn.execute(
            sa.select(quotas.c.resource, quotas.c.hard_limit)
            .where(quotas.c.project_id == project_id)):
        if resource in found and limit is not None:
            found[resource] = int(limit)
    if user_id is not None:
        for resource, limit in conn.execute(
                sa.select(project_user_quotas.c.resource, project_user_quotas.c.hard_limit)
                .where(project_user_quotas.c.project_id == project_id,
                       project_user_quotas.c.user_id == user_id)):
            if resource in found and limit is not None:
                found[resource] = int(limit)
    return found


def usage(conn: Connection, project_id: str, user_id: str | None = None) -> dict[str, int]:
    """What a project (and user) uses of the counted resources."""
    used = mappings.project_usage(conn, project_id, user_id)
    groups = sa.select(sa.func.count()).select_from(instance_groups).where(
        instance_groups.c.project_id == project_id)
    if user_id is not None:
        groups = groups.where(instance_groups.c.user_id == user_id)
    used["server_groups"] = int(conn.execute(groups).scalar_one())
    if user_id is not None:
        used["key_pairs"] = int(conn.execute(
            sa.select(sa.func.count()).select_from(key_pairs)
            .where(key_pairs.c.user_id == user_id)).scalar_one())
    return used


def group_members(conn: Connection, group_uuid: str) -> int:
    return int(conn.execute(
        sa.select(sa.func.count()).select_from(instance_group_member).join(
            instance_groups, instance_groups.c.id == instance_group_member.c.group_id)
        .where(instance_groups.c.uuid == group_uuid)).scalar_one())


def lock_project(conn: Connection, project_id: str) -> None:
    """Serialize quota checks of one project until this transaction ends."""
    try:
        with conn.begin_nested():
            conn.execute(sa.insert(quota_locks).values(project_id=project_id))
    except DuplicateEntry:
        pass  # the row exists: lock it below
    conn.execute(sa.select(quota_locks.c.project_id)
                 .where(quota_locks.c.project_id == project_id).with_for_update())


def over(requested: Mapping[str, int], used: Mapping[str, int],
         allowed: Mapping[str, int]) -> Over | None:
    bad = [r for r, n in requested.items()
           if n > 0 and allowed.get(r, UNLIMITED) >= 0 and used.get(r, 0) + n > allowed[r]]
    if not bad:
        return None
    return Over(bad, dict(requested), {r: used.get(r, 0) for r in requested}, dict(allowed))


def fitting(per_instance: Mapping[str, int], used: Mapping[str, int],
            allowed: Mapping[str, int], wanted: int) -> int:
    """How many of `wanted` instances fit under the limits."""
    count = wanted
    for resource, each in per_instance.items():
        limit = allowed.get(resource, UNLIMITED)
        if limit < 0 or each <= 0:
            continue
        count = min(count, max(0, (limit - used.get(resource, 0)) // each))
    return count


def check_instances(conf: cfg.ConfigOpts, api_db: Database, project_id: str, user_id: str,
                    per_instance: Mapping[str, int], min_count: int, max_count: int,
                    record: Callable[[Connection, int], T]) -> T:
    """Count, decide how many of max_count instances fit (at least min_count,
    or QuotaExceeded), and call ``record(conn, count)`` to create them, all in
    one transaction under the project's quota lock."""
    with api_db.writer() as conn:
        lock_project(conn, project_id)
        allowed = limits(conf, conn, project_id, user_id)
        used = mappings.project_usage(conn, project_id)
        count = fitting(per_instance, used, allowed, max_count)
        if count < min_count:
            requested = {r: n * min_count for r, n in per_instance.items()}
            problem = over(requested, used, allowed)
            assert problem is not None
            raise exc.QuotaExceeded(problem.message(), resources=problem.resources)
        return record(conn, count)


def check_resize(conf: cfg.ConfigOpts, api_db: Database, project_id: str, user_id: str,
                 instance_uuid: str, vcpus: int, memory_mb: int) -> None:
    """A resize to `vcpus` and `memory_mb`: while it lasts the instance
    counts the larger of its old and new sizes (both are held in placement
    until it is confirmed or reverted), so an upsize must fit under the
    limits; checked and recorded under the project's quota lock.

    :raises QuotaExceeded:
    """
    with api_db.writer() as conn:
        lock_project(conn, project_id)
        current = mappings.instance_size(conn, instance_uuid)
        deltas = {"cores": max(vcpus - current["cores"], 0),
                  "ram": max(memory_mb - current["ram"], 0)}
        if not any(deltas.values()):
            return
        allowed = limits(conf, conn, project_id, user_id)
        problem = over(deltas, mappings.project_usage(conn, project_id), allowed)
        if problem is not None:
            raise exc.QuotaExceeded(problem.message(), resources=problem.resources)
        mappings.update_instance_mapping(conn, instance_uuid,
                                         vcpus=max(vcpus, current["cores"]),
                                         memory_mb=max(memory_mb, current["ram"]))


def recheck_instances(conf: cfg.ConfigOpts, api_db: Database, project_id: str,
                      user_id: str, requested: Mapping[str, int]) -> Over | None:
    """After the fact: is the project over its limits now (a limit lowered,
    or a race past the first check, while `requested` was being built)?

    The answer reads as Nova's recheck words it: the request's sizes, and the
    limit as what is "already used".
    """
    with api_db.reader() as conn:
        allowed = limits(conf, conn, project_id, user_id)
        used = mappings.project_usage(conn, project_id)
    bad = [r for r in INSTANCE_RESOURCES if allowed[r] >= 0 and used[r] > allowed[r]]
    if not bad:
        return None
    return Over(bad, {r: int(requested.get(r, 0)) for r in bad}, {r: allowed[r] for r in bad},
                allowed)


def set_limits(conn: Connection, project_id: str, user_id: str | None,
               values: Mapping[str, int]) -> None:
    """Upsert a project's (or a user's) limits."""
    table = project_user_quotas if user_id else quotas
    for resource, limit in values.items():
        where = [table.c.project_id == project_id, table.c.resource == resource]
        if user_id:
            where.append(table.c.user_id == user_id)
        updated = conn.execute(sa.update(table).where(*where).values(hard_limit=limit))
        if updated.rowcount == 0:
            row: dict[str, Any] = {"project_id": project_id, "resource": resource,
                                   "hard_limit": limit, "created_at": utcnow()}
            if user_id:
                row["user_id"] = user_id
            conn.execute(sa.insert(table).values(row))


def delete_limits(conn: Connection, project_id: str, user_id: str | None = None) -> None:
    if user_id:
        conn.execute(sa.delete(project_user_quotas).where(
            project_user_quotas.c.project_id == project_id,
            project_user_quotas.c.user_id == user_id))
        return
    conn.execute(sa.delete(quotas).where(quotas.c.project_id == project_id))
    conn.execute(sa.delete(project_user_quotas).where(
        project_user_quotas.c.project_id == project_id))


def set_class_limits(conn: Connection, class_name: str, values: Mapping[str, int]) -> None:
    for resource, limit in values.items():
        updated = conn.execute(sa.update(quota_classes).where(
            quota_classes.c.class_name == class_name, quota_classes.c.resource == resource)
            .values(hard_limit=limit))
        if updated.rowcount == 0:
            conn.execute(sa.insert(quota_classes).values(
                class_name=class_name, resource=resource, hard_limit=limit,
                created_at=utcnow()))


def resources_for(version_hides: Iterable[str]) -> list[str]:
    hidden = set(version_hides)
    return [r for r in RESOURCES if r not in hidden]
