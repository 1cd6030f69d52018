"""Server groups (Nova's instance groups): a policy and its members."""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Iterable
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from nimbus.common.db.types import utcnow
from nimbus.compute import exceptions as exc
from nimbus.compute.db.models import instance_group_member, instance_group_policy, instance_groups


def create(conn: Connection, name: str, project_id: str, user_id: str, policy: str,
           rules: dict[str, Any] | None = None) -> dict[str, Any]:
    now = utcnow()
    uuid = str(uuidlib.uuid4())
    result = conn.execute(sa.insert(instance_groups).values(
        uuid=uuid, name=name, project_id=project_id, user_id=user_id, created_at=now))
    group_id = result.inserted_primary_key[0]  # type: ignore[index]
    conn.execute(sa.insert(instance_group_policy).values(
        group_id=group_id, policy=policy, rules=orjson.dumps(rules or {}).decode(),
        created_at=now))
    return get(conn, uuid)


def _load(conn: Connection, rows: list[Any]) -> list[dict[str, Any]]:
    ids = [r.id for r in rows]
    policies: dict[int, tuple[str, dict[str, Any]]] = {}
    members: dict[int, list[str]] = {i: [] for i in ids}
    if ids:
        for group_id, policy, rules in conn.execute(
                sa.select(instance_group_policy.c.group_id, instance_group_policy.c.policy,
                          instance_group_policy.c.rules)
                .where(instance_group_policy.c.group_id.in_(ids))):
            policies[group_id] = (policy, orjson.loads(rules) if rules else {})
        for group_id, member in conn.execute(
                sa.select(instance_group_member.c.group_id, instance_group_member.c.instance_uuid)
                .where(instance_group_member.c.group_id.in_(ids))
                .order_by(instance_group_member.c.id)):
            members[group_id].append(member)
    return [{"id": r.id, "uuid": r.uuid, "name": r.name, "project_id": r.project_id,
             "user_id": r.user_id, "policy": policies.get(r.id, ("", {}))[0],
             "rules": policies.get(r.id, ("", {}))[1], "members": members[r.id],
             "created_at": r.created_at} for r in rows]


def get(conn: Connection, group_uuid: str) -> dict[str, Any]:
    """:raises ServerGroupNotFound:"""
    rows = conn.execute(sa.select(instance_groups)
                        .where(instance_groups.c.uuid == group_uuid)).all()
    if not rows:
        raise exc.ServerGroupNotFound(group_uuid=group_uuid)
    return _load(conn, list(rows))[0]


def list_groups(conn: Connection, project_id: str | None = None,
                limit: int | None = None, offset: int | None = None) -> list[dict[str, Any]]:
    query = sa.select(instance_groups).order_by(instance_groups.c.id)
    if project_id is not None:
        query = query.where(instance_groups.c.project_id == project_id)
    if offset:
        query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return _load(conn, list(conn.execute(query).all()))


def delete(conn: Connection, group_uuid: str) -> None:
    group = get(conn, group_uuid)
    conn.execute(sa.delete(instance_groups).where(instance_groups.c.id == group["id"]))


def add_members(conn: Connection, group_uuid: str, instance_uuids: Iterable[str]) -> None:
    group = get(conn, group_uuid)
    now = utcnow()
    rows = [{"group_id": group["id"], "instance_uuid": u, "created_at": now}
            for u in instance_uuids if u not in group["members"]]
    if rows:
        conn.execute(sa.insert(instance_group_member), rows)


def remove_member(conn: Connection, instance_uuid: str) -> None:
    conn.execute(sa.delete(instance_group_member)
                 .where(instance_group_member.c.instance_uuid == instance_uuid))


def groups_of(conn: Connection, instance_uuids: Iterable[str]) -> dict[str, list[str]]:
    """instance uuid -> uuids of the groups it is a member of (2.71)."""
    wanted = list(instance_uuids)
    found: dict[str, list[str]] = {u: [] for u in wanted}
    if not wanted:
        return found
    rows = conn.execute(sa.select(instance_group_member.c.instance_uuid, instance_groups.c.uuid)
                        .join(instance_groups,
                              instance_groups.c.id == instance_group_member.c.group_id)
                        .where(instance_group_member.c.instance_uuid.in_(wanted)))
    for member, group in rows:
        found[member].append(group)
    return found
