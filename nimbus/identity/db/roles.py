"""Roles (global and domain-specific) and implied roles."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from nimbus.common import auth
from nimbus.common.db import DuplicateEntry, after_commit
from nimbus.identity import exceptions as exc
from nimbus.identity.db.common import new_id, split_extra, update_values
from nimbus.identity.db.models import (
    NULL_DOMAIN_ID,
    application_credential_roles,
    assignments,
    implied_roles,
    roles,
)
from nimbus.identity.db.resources import get_domain

ROLE_FIELDS = ("id", "name", "domain_id", "description", "options")


def _role(row: Row[Any]) -> dict[str, Any]:
    ref = dict(row.extra or {})
    ref.update(
        id=row.id, name=row.name,
        domain_id=None if row.domain_id == NULL_DOMAIN_ID else row.domain_id,
        description=row.description, options=row.options or {},
    )
    return ref


def get_role(conn: Connection, role_id: str) -> dict[str, Any]:
    row = conn.execute(sa.select(roles).where(roles.c.id == role_id)).first()
    if row is None:
        raise exc.NotFound("role", role_id)
    return _role(row)


def get_role_by_name(conn: Connection, name: str, domain_id: str | None = None) -> dict[str, Any]:
    row = conn.execute(sa.select(roles).where(
        roles.c.name == name, roles.c.domain_id == (domain_id or NULL_DOMAIN_ID))).first()
    if row is None:
        raise exc.NotFound("role", name)
    return _role(row)


def list_roles(
    conn: Connection, *, name: str | None = None, domain_id: str | None = None,
    ids: Iterable[str] | None = None,
) -> list[dict[str, Any]]:
    """Global roles, or the roles of `domain_id` when given."""
    query = sa.select(roles).where(roles.c.domain_id == (domain_id or NULL_DOMAIN_ID))
    if ids is not None:
        query = sa.select(roles).where(roles.c.id.in_(list(ids)))
    if name is not None:
        query = query.where(roles.c.name == name)
    return [_role(row) for row in conn.execute(query.order_by(roles.c.name, roles.c.id))]


def roles_by_id(conn: Connection, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    ids = list(ids)
    if not ids:
        return {}
    return {row.id: _role(row) for row in conn.execute(
        sa.select(roles).where(roles.c.id.in_(ids)))}


def _duplicate(name: str) -> exc.Conflict:
    return exc.Conflict("role", f"Duplicate entry found with name {name}")


def create_role(conn: Connection, ref: Mapping[str, Any]) -> dict[str, Any]:
    base, extra = split_extra(ref, ROLE_FIELDS)
    if base.get("domain_id"):
        get_domain(conn, base["domain_id"])
    values = {
        "id": base.get("id") or new_id(),
        "name": base["name"],
        "domain_id": base.get("domain_id") or NULL_DOMAIN_ID,
        "description": base.get("description"),
        "options": base.get("options") or {},
        "extra": extra,
    }
    try:
        conn.execute(sa.insert(roles).values(**values))
    except DuplicateEntry:
        raise _duplicate(values["name"]) from None
    return get_role(conn, values["id"])


def _check_mutable(role: Mapping[str, Any]) -> None:
    if role.get("options", {}).get("immutable"):
        raise exc.Forbidden(
            f"Role {role['id']} is immutable: remove the immutable option first."
        )


def update_role(conn: Connection, role_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    current = get_role(conn, role_id)
    unlocking = (set(changes) == {"options"}
                 and changes["options"].get("immutable", True) in (False, None))
    if not unlocking:
        _check_mutable(current)
    base = update_values(current, changes, ROLE_FIELDS)
    if "domain_id" in base and (base["domain_id"] or None) != current["domain_id"]:
        raise exc.ValidationError("Update of `domain_id` is not allowed.")
    base.pop("domain_id", None)
    if base:
        try:
            conn.execute(sa.update(roles).where(roles.c.id == role_id).values(**base))
        except DuplicateEntry:
            raise _duplicate(base.get("name", current["name"])) from None
    return get_role(conn, role_id)


def delete_role(conn: Connection, role_id: str) -> None:
    """Delete a role, its grants and its implications (by cascade)."""
    _check_mutable(get_role(conn, role_id))
    conn.execute(sa.delete(implied_roles).where(sa.or_(
        implied_roles.c.prior_role_id == role_id, implied_roles.c.implied_role_id == role_id)))
    conn.execute(sa.delete(assignments).where(assignments.c.role_id == role_id))
    conn.execute(sa.delete(application_credential_roles)
                 .where(application_credential_roles.c.role_id == role_id))
    conn.execute(sa.delete(roles).where(roles.c.id == role_id))
    after_commit(conn, auth.revocation_happened)


# -- implied roles -------------------------------------------------------------

def implication_pairs(conn: Connection) -> list[tuple[str, str]]:
    return [(r.prior_role_id, r.implied_role_id) for r in conn.execute(
        sa.select(implied_roles.c.prior_role_id, implied_roles.c.implied_role_id))]


def expand_implied(role_ids: Iterable[str], pairs: Iterable[tuple[str, str]]) -> set[str]:
    """`role_ids` plus every role they imply, directly or not."""
    implies: dict[str, set[str]] = {}
    for prior, implied in pairs:
        implies.setdefault(prior, set()).add(implied)
    result = set(role_ids)
    frontier = list(result)
    while frontier:
        for implied in implies.get(frontier.pop(), ()):
            if implied not in result:
                result.add(implied)
                frontier.append(implied)
    return result


def create_implied_role(conn: Connection, prior_id: str, implied_id: str) -> None:
    prior = get_role(conn, prior_id)
    implied = get_role(conn, implied_id)
    if implied["domain_id"] is not None and prior["domain_id"] is None:
        raise exc.Forbidden(
            f"A global role cannot imply the domain-specific role {implied_id}.")
    if prior_id == implied_id or prior_id in expand_implied([implied_id], implication_pairs(conn)):
        raise exc.Forbidden(
            f"Creating the implication {prior['name']} -> {implied['name']} would "
            "make a loop of implied roles."
        )
    exists = conn.execute(sa.select(implied_roles.c.prior_role_id).where(
        implied_roles.c.prior_role_id == prior_id,
        implied_roles.c.implied_role_id == implied_id)).first()
    if exists is None:
        conn.execute(sa.insert(implied_roles).values(
            prior_role_id=prior_id, implied_role_id=implied_id))
    after_commit(conn, auth.revocation_happened)


def check_implied_role(conn: Connection, prior_id: str, implied_id: str) -> None:
    get_role(conn, prior_id)
    get_role(conn, implied_id)
    exists = conn.execute(sa.select(implied_roles.c.prior_role_id).where(
        implied_roles.c.prior_role_id == prior_id,
        implied_roles.c.implied_role_id == implied_id)).first()
    if exists is None:
        raise exc.NotFound("implied role", f"{prior_id} implies {implied_id}")


def delete_implied_role(conn: Connection, prior_id: str, implied_id: str) -> None:
    check_implied_role(conn, prior_id, implied_id)
    conn.execute(sa.delete(implied_roles).where(
        implied_roles.c.prior_role_id == prior_id,
        implied_roles.c.implied_role_id == implied_id))
    after_commit(conn, auth.revocation_happened)


def implied_by(conn: Connection, prior_id: str) -> list[str]:
    """Roles `prior_id` implies directly."""
    get_role(conn, prior_id)
    return [r.implied_role_id for r in conn.execute(
        sa.select(implied_roles.c.implied_role_id)
        .where(implied_roles.c.prior_role_id == prior_id))]
