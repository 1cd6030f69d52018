"""Policy blobs (/v3/policies): stored for other services, not enforced here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from nimbus.identity import exceptions as exc
from nimbus.identity.db.common import new_id, split_extra, update_values
from nimbus.identity.db.models import policies

FIELDS = ("id", "type", "blob")


def _policy(row: Row[Any]) -> dict[str, Any]:
    ref = dict(row.extra or {})
    ref.update(id=row.id, type=row.type, blob=row.blob)
    return ref


def get(conn: Connection, policy_id: str) -> dict[str, Any]:
    row = conn.execute(sa.select(policies).where(policies.c.id == policy_id)).first()
    if row is None:
        raise exc.NotFound("policy", policy_id)
    return _policy(row)


def list_policies(conn: Connection, type: str | None = None) -> list[dict[str, Any]]:
    query = sa.select(policies).order_by(policies.c.id)
    if type is not None:
        query = query.where(policies.c.type == type)
    return [_policy(row) for row in conn.execute(query)]


def create(conn: Connection, ref: Mapping[str, Any]) -> dict[str, Any]:
    base, extra = split_extra(ref, FIELDS)
    policy_id = base.get("id") or new_id()
    conn.execute(sa.insert(policies).values(id=policy_id, type=base["type"],
                                            blob=base["blob"], extra=extra))
    return get(conn, policy_id)


def update(conn: Connection, policy_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    current = get(conn, policy_id)
    base = update_values(current, changes, FIELDS)
    if base:
        conn.execute(sa.update(policies).where(policies.c.id == policy_id).values(**base))
    return get(conn, policy_id)


def delete(conn: Connection, policy_id: str) -> None:
    get(conn, policy_id)
    conn.execute(sa.delete(policies).where(policies.c.id == policy_id))
