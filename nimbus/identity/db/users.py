"""Users, groups and group membership."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from nimbus.common.db import DuplicateEntry
from nimbus.common.db.types import utcnow
from nimbus.identity import exceptions as exc
from nimbus.identity.db import revocations
from nimbus.identity.db.common import new_id, split_extra, update_values
from nimbus.identity.db.models import (
    application_credentials,
    assignments,
    credentials,
    group_members,
    groups,
    users,
)
from nimbus.identity.db.resources import get_domain

USER_FIELDS = ("id", "name", "domain_id", "enabled", "default_project_id", "options")
GROUP_FIELDS = ("id", "name", "domain_id", "description")


def _user(row: Row[Any]) -> dict[str, Any]:
    ref = dict(row.extra or {})
    ref.update(
        id=row.id, name=row.name, domain_id=row.domain_id, enabled=row.enabled,
        password_expires_at=row.password_expires_at, options=row.options or {},
    )
    if row.default_project_id:
        ref["default_project_id"] = row.default_project_id
    return ref


def get_user(conn: Connection, user_id: str) -> dict[str, Any]:
    row = conn.execute(sa.select(users).where(users.c.id == user_id)).first()
    if row is None:
        raise exc.NotFound("user", user_id)
    return _user(row)


def get_user_by_name(conn: Connection, name: str, domain_id: str) -> dict[str, Any]:
    row = conn.execute(
        sa.select(users).where(users.c.name == name, users.c.domain_id == domain_id)
    ).first()
    if row is None:
        raise exc.NotFound("user", name)
    return _user(row)


def password_hash(conn: Connection, user_id: str) -> str | None:
    return conn.execute(
        sa.select(users.c.password_hash).where(users.c.id == user_id)
    ).scalar()


def list_users(
    conn: Connection,
    *,
    domain_id: str | None = None,
    name: str | None = None,
    enabled: bool | None = None,
    ids: Iterable[str] | None = None,
    group_id: str | None = None,
) -> list[dict[str, Any]]:
    query = sa.select(users).order_by(users.c.name, users.c.id)
    if domain_id is not None:
        query = query.where(users.c.domain_id == domain_id)
    if name is not None:
        query = query.where(users.c.name == name)
    if enabled is not None:
        query = query.where(users.c.enabled == enabled)
    if ids is not None:
        query = query.where(users.c.id.in_(list(ids)))
    if group_id is not None:
        query = query.where(users.c.id.in_(
            sa.select(group_members.c.user_id).where(group_members.c.group_id == group_id)))
    return [_user(row) for row in conn.execute(query)]


def _duplicate_user(name: str, domain_id: str) -> exc.Conflict:
    return exc.Conflict(
        "user", f"Duplicate entry found with name {name} at domain ID {domain_id}"
    )


def create_user(conn: Connection, ref: Mapping[str, Any], hashed_password: str | None) -> dict[str, Any]:
    base, extra = split_extra(ref, USER_FIELDS + ("password",))
    get_domain(conn, base["domain_id"])
    now = utcnow()
    values = {
        "id": base.get("id") or new_id(),
        "name": base["name"],
        "domain_id": base["domain_id"],
        "enabled": base.get("enabled", True),
        "default_project_id": base.get("default_project_id"),
        "password_hash": hashed_password,
        "password_created_at": now if hashed_password else None,
        "options": base.get("options") or {},
        "extra": extra,
        "created_at": now,
    }
    try:
        conn.execute(sa.insert(users).values(**values))
    except DuplicateEntry:
        raise _duplicate_user(values["name"], values["domain_id"]) from None
    return get_user(conn, values["id"])


def update_user(
    conn: Connection, user_id: str, changes: Mapping[str, Any], hashed_password: str | None = None
) -> dict[str, Any]:
    """Apply `changes`; a new password (given hashed) revokes the user's tokens."""
    current = get_user(conn, user_id)
    base = update_values(current, changes, USER_FIELDS + ("password",),
                         shown=("password_expires_at",))
    base.pop("password", None)
    if "domain_id" in base and base["domain_id"] != current["domain_id"]:
        raise exc.ValidationError("Update of `domain_id` is not allowed.")
    base.pop("domain_id", None)
    if hashed_password is not None:
        base["password_hash"] = hashed_password
        base["password_created_at"] = utcnow()
    if base:
        try:
            conn.execute(sa.update(users).where(users.c.id == user_id).values(**base))
        except DuplicateEntry:
            raise _duplicate_user(base.get("name", current["name"]), current["domain_id"]) from None
    if hashed_password is not None or (current["enabled"] and base.get("enabled") is False):
        revocations.revoke(conn, user_id=user_id)
    return get_user(conn, user_id)


def touch_last_active(conn: Connection, user_id: str) -> None:
    conn.execute(sa.update(users).where(users.c.id == user_id).values(last_active_at=utcnow()))


def delete_user(conn: Connection, user_id: str) -> None:
    get_user(conn, user_id)
    conn.execute(sa.delete(assignments).where(assignments.c.actor_id == user_id))
    conn.execute(sa.delete(application_credentials)
                 .where(application_credentials.c.user_id == user_id))
    conn.execute(sa.delete(credentials).where(credentials.c.user_id == user_id))
    conn.execute(sa.delete(users).where(users.c.id == user_id))
    revocations.revoke(conn, user_id=user_id)


# -- groups --------------------------------------------------------------------

def _group(row: Row[Any]) -> dict[str, Any]:
    ref = dict(row.extra or {})
    ref.update(id=row.id, name=row.name, domain_id=row.domain_id,
               description=row.description)
    return ref


def get_group(conn: Connection, group_id: str) -> dict[str, Any]:
    row = conn.execute(sa.select(groups).where(groups.c.id == group_id)).first()
    if row is None:
        raise exc.NotFound("group", group_id)
    return _group(row)


def get_group_by_name(conn: Connection, name: str, domain_id: str) -> dict[str, Any]:
    row = conn.execute(
        sa.select(groups).where(groups.c.name == name, groups.c.domain_id == domain_id)
    ).first()
    if row is None:
        raise exc.NotFound("group", name)
    return _group(row)


def list_groups(
    conn: Connection, *, domain_id: str | None = None, name: str | None = None,
    user_id: str | None = None, ids: Iterable[str] | None = None,
) -> list[dict[str, Any]]:
    query = sa.select(groups).order_by(groups.c.name, groups.c.id)
    if domain_id is not None:
        query = query.where(groups.c.domain_id == domain_id)
    if name is not None:
        query = query.where(groups.c.name == name)
    if ids is not None:
        query = query.where(groups.c.id.in_(list(ids)))
    if user_id is not None:
        query = query.where(groups.c.id.in_(
            sa.select(group_members.c.group_id).where(group_members.c.user_id == user_id)))
    return [_group(row) for row in conn.execute(query)]


def group_ids_of_user(conn: Connection, user_id: str) -> list[str]:
    return [r.group_id for r in conn.execute(
        sa.select(group_members.c.group_id).where(group_members.c.user_id == user_id))]


def _duplicate_group(name: str, domain_id: str) -> exc.Conflict:
    return exc.Conflict(
        "group", f"Duplicate entry found with name {name} at domain ID {domain_id}"
    )


def create_group(conn: Connection, ref: Mapping[str, Any]) -> dict[str, Any]:
    base, extra = split_extra(ref, GROUP_FIELDS)
    get_domain(conn, base["domain_id"])
    values = {
        "id": base.get("id") or new_id(),
        "name": base["name"],
        "domain_id": base["domain_id"],
        "description": base.get("description"),
        "extra": extra,
    }
    try:
        conn.execute(sa.insert(groups).values(**values))
    except DuplicateEntry:
        raise _duplicate_group(values["name"], values["domain_id"]) from None
    return get_group(conn, values["id"])


def update_group(conn: Connection, group_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    current = get_group(conn, group_id)
    base = update_values(current, changes, GROUP_FIELDS)
    if "domain_id" in base and base["domain_id"] != current["domain_id"]:
        raise exc.ValidationError("Update of `domain_id` is not allowed.")
    base.pop("domain_id", None)
    if base:
        try:
            conn.execute(sa.update(groups).where(groups.c.id == group_id).values(**base))
        except DuplicateEntry:
            raise _duplicate_group(base.get("name", current["name"]), current["domain_id"]) from None
    return get_group(conn, group_id)


def delete_group(conn: Connection, group_id: str) -> None:
    get_group(conn, group_id)
    members = [r.user_id for r in conn.execute(
        sa.select(group_members.c.user_id).where(group_members.c.group_id == group_id))]
    conn.execute(sa.delete(assignments).where(assignments.c.actor_id == group_id))
    conn.execute(sa.delete(group_members).where(group_members.c.group_id == group_id))
    conn.execute(sa.delete(groups).where(groups.c.id == group_id))
    for user_id in members:
        revocations.revoke(conn, user_id=user_id)


def add_member(conn: Connection, group_id: str, user_id: str) -> None:
    get_group(conn, group_id)
    get_user(conn, user_id)
    present = conn.execute(sa.select(group_members.c.user_id).where(
        group_members.c.group_id == group_id, group_members.c.user_id == user_id)).first()
    if present is None:
        conn.execute(sa.insert(group_members).values(group_id=group_id, user_id=user_id))


def is_member(conn: Connection, group_id: str, user_id: str) -> bool:
    get_group(conn, group_id)
    get_user(conn, user_id)
    return conn.execute(sa.select(group_members.c.user_id).where(
        group_members.c.group_id == group_id, group_members.c.user_id == user_id)
    ).first() is not None


def remove_member(conn: Connection, group_id: str, user_id: str) -> None:
    if not is_member(conn, group_id, user_id):
        raise exc.NotFound("membership", f"user {user_id} in group {group_id}")
    conn.execute(sa.delete(group_members).where(
        group_members.c.group_id == group_id, group_members.c.user_id == user_id))
    revocations.revoke(conn, user_id=user_id)
