"""Traits: the standard ones from os-traits and CUSTOM_* ones, and provider traits."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

import os_traits
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from nimbus.common.db import DuplicateEntry
from nimbus.common.db.types import utcnow
from nimbus.placement import exceptions as exc
from nimbus.placement.db.models import resource_provider_traits as RP_TRAITS
from nimbus.placement.db.models import traits as TRAITS

STANDARD = frozenset(os_traits.get_traits())


def list_names(conn: Connection, name_in: list[str] | None = None,
               starts_with: str | None = None, associated: bool | None = None) -> list[str]:
    query = sa.select(TRAITS.c.name).order_by(TRAITS.c.name)
    if name_in is not None:
        query = query.where(TRAITS.c.name.in_(name_in))
    if starts_with is not None:
        # LIKE with escaping, so that _ and % in the prefix match themselves.
        escaped = starts_with.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(TRAITS.c.name.like(escaped + "%", escape="\\"))
    linked = sa.select(RP_TRAITS.c.trait_id)
    if associated is True:
        query = query.where(TRAITS.c.id.in_(linked))
    elif associated is False:
        query = query.where(TRAITS.c.id.not_in(linked))
    return [r.name for r in conn.execute(query)]


def get(conn: Connection, name: str) -> tuple[int, datetime.datetime | None, datetime.datetime | None]:
    """(id, created_at, updated_at) of a trait.

    :raises TraitNotFound:
    """
    row = conn.execute(sa.select(TRAITS.c.id, TRAITS.c.created_at, TRAITS.c.updated_at)
                       .where(TRAITS.c.name == name)).first()
    if row is None:
        raise exc.TraitNotFound(name=name)
    return row.id, row.created_at, row.updated_at


def ids(conn: Connection, names: Iterable[str]) -> dict[str, int]:
    """Ids by name; TraitNotFound lists every unknown name."""
    wanted = sorted(set(names))
    if not wanted:
        return {}
    found = {r.name: r.id for r in conn.execute(
        sa.select(TRAITS.c.name, TRAITS.c.id).where(TRAITS.c.name.in_(wanted)))}
    missing = [n for n in wanted if n not in found]
    if missing:
        raise exc.TraitNotFound(name=", ".join(missing))
    return found


def ensure(conn: Connection, name: str) -> bool:
    """Create a custom trait if it is missing; True if it was created."""
    exists = conn.execute(sa.select(TRAITS.c.id).where(TRAITS.c.name == name)).first()
    if exists is not None:
        return False
    try:
        conn.execute(sa.insert(TRAITS).values(name=name, created_at=utcnow()))
    except DuplicateEntry:
        raise exc.TraitExists(name=name) from None
    return True


def delete(conn: Connection, name: str) -> None:
    trait_id, _, _ = get(conn, name)
    if name in STANDARD:
        raise exc.TraitCannotDeleteStandard(name=name)
    used = conn.execute(sa.select(RP_TRAITS.c.resource_provider_id)
                        .where(RP_TRAITS.c.trait_id == trait_id).limit(1)).first()
    if used is not None:
        raise exc.TraitInUse(name=name)
    conn.execute(sa.delete(TRAITS).where(TRAITS.c.id == trait_id))


def of_providers(conn: Connection, rp_ids: Iterable[int]) -> dict[int, list[str]]:
    """Trait names of each provider, sorted."""
    wanted = sorted(set(rp_ids))
    result: dict[int, list[str]] = {i: [] for i in wanted}
    if not wanted:
        return result
    rows = conn.execute(
        sa.select(RP_TRAITS.c.resource_provider_id, TRAITS.c.name)
        .join(TRAITS, TRAITS.c.id == RP_TRAITS.c.trait_id)
        .where(RP_TRAITS.c.resource_provider_id.in_(wanted)).order_by(TRAITS.c.name))
    for row in rows:
        result[row.resource_provider_id].append(row.name)
    return result


def set_for_provider(conn: Connection, rp_id: int, names: Iterable[str]) -> bool:
    """Replace the traits of a provider; True if that changed them (the
    caller then bumps its generation: as upstream, only then)."""
    trait_ids = set(ids(conn, names).values())
    existing = set(conn.execute(sa.select(RP_TRAITS.c.trait_id)
                                .where(RP_TRAITS.c.resource_provider_id == rp_id)).scalars())
    if trait_ids == existing:
        return False
    if existing - trait_ids:
        conn.execute(sa.delete(RP_TRAITS).where(
            RP_TRAITS.c.resource_provider_id == rp_id,
            RP_TRAITS.c.trait_id.in_(sorted(existing - trait_ids))))
    if trait_ids - existing:
        conn.execute(sa.insert(RP_TRAITS), [
            {"resource_provider_id": rp_id, "trait_id": t} for t in sorted(trait_ids - existing)])
    return True
