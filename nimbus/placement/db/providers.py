"""Resource providers: the tree, the filters of GET /resource_providers, generations."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement

from nimbus.common.db import DuplicateEntry, ReferenceMissing
from nimbus.common.db.types import utcnow
from nimbus.placement import exceptions as exc
from nimbus.placement.db import statements
from nimbus.placement.db.models import (
    allocations,
    inventories,
    placement_aggregates,
    resource_provider_aggregates,
    resource_provider_traits,
    resource_providers,
)

RP = resource_providers
ROOT = RP.alias("root_rp")
PARENT = RP.alias("parent_rp")


class ProviderActionError(Exception):
    """A provider change that makes no sense (a loop, a missing parent)."""

    def __init__(self, action: str, reason: str):
        self.action, self.reason = action, reason
        super().__init__(f"Object action {action} failed because: {reason}")


class DuplicateName(Exception):
    def __init__(self, name: str):
        self.name = name
        super().__init__(name)


class DuplicateUUID(Exception):
    def __init__(self, uuid: str):
        self.uuid = uuid
        super().__init__(uuid)


@dataclass(frozen=True, slots=True)
class Provider:
    id: int
    uuid: str
    name: str
    generation: int
    root_id: int
    parent_id: int | None
    root_uuid: str
    parent_uuid: str | None
    created_at: datetime.datetime | None
    updated_at: datetime.datetime | None


_COLUMNS = (RP.c.id, RP.c.uuid, RP.c.name, RP.c.generation, RP.c.root_provider_id,
            RP.c.parent_provider_id, ROOT.c.uuid.label("root_uuid"),
            PARENT.c.uuid.label("parent_uuid"), RP.c.created_at, RP.c.updated_at)


def _select() -> sa.Select[tuple[object, ...]]:
    return sa.select(*_COLUMNS).select_from(
        RP.join(ROOT, ROOT.c.id == RP.c.root_provider_id)
        .outerjoin(PARENT, PARENT.c.id == RP.c.parent_provider_id))


def _provider(row: sa.Row[tuple[object, ...]]) -> Provider:
    return Provider(row.id, row.uuid, row.name, row.generation, row.root_provider_id,
                    row.parent_provider_id, row.root_uuid, row.parent_uuid,
                    row.created_at, row.updated_at)


def get(conn: Connection, uuid: str) -> Provider:
    """:raises NotFound:"""
    row = conn.execute(_select().where(RP.c.uuid == uuid)).first()
    if row is None:
        raise exc.ProviderUuidNotFound(uuid=uuid)
    return _provider(row)


def by_ids(conn: Connection, ids: Iterable[int]) -> dict[int, Provider]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return {row.id: _provider(row) for row in conn.execute(_select().where(RP.c.id.in_(wanted)))}


@dataclass
class Filters:
    """What GET /resource_providers filters on; every field is optional."""

    name: str | None = None
    uuid: str | None = None
    in_tree: str | None = None
    # Each inner list: providers in any of these aggregates; the lists AND.
    member_of: list[list[str]] = field(default_factory=list)
    forbidden_aggs: list[str] = field(default_factory=list)
    # Each inner set: providers with any of these traits; the sets AND.
    required_traits: list[set[int]] = field(default_factory=list)
    forbidden_traits: set[int] = field(default_factory=set)
    resources: dict[int, int] = field(default_factory=dict)  # rc id -> amount


def capacity_clause(inv: sa.Table | sa.Alias,
                    amount: int | ColumnElement[int]) -> ColumnElement[bool]:
    """An inventory row can take `amount` (a number, or a bind parameter)
    more (upstream's capacity check)."""
    value = sa.literal(amount) if isinstance(amount, int) else amount
    return sa.and_(
        inv.c.used + value <= (inv.c.total - inv.c.reserved) * inv.c.allocation_ratio,
        inv.c.min_unit <= value,
        inv.c.max_unit >= value,
        value % inv.c.step_size == 0,
    )


def with_aggregates(member_of: Sequence[Sequence[str]]) -> sa.Select[tuple[int]]:
    """Providers in at least one aggregate of each list."""
    query = sa.select(RP.c.id)
    for members in member_of:
        agg_ids = sa.select(placement_aggregates.c.id).where(
            placement_aggregates.c.uuid.in_(list(members)))
        query = query.where(RP.c.id.in_(
            sa.select(resource_provider_aggregates.c.resource_provider_id)
            .where(resource_provider_aggregates.c.aggregate_id.in_(agg_ids))))
    return query


def _with_trait(trait_ids: Iterable[int]) -> sa.Select[tuple[int]]:
    return sa.select(resource_provider_traits.c.resource_provider_id).where(
        resource_provider_traits.c.trait_id.in_(sorted(trait_ids)))


def list_providers(conn: Connection, f: Filters) -> list[Provider]:
    query = _select()
    if f.name is not None:
        query = query.where(RP.c.name == f.name)
    if f.uuid is not None:
        query = query.where(RP.c.uuid == f.uuid)
    if f.in_tree is not None:
        root = conn.execute(sa.select(RP.c.root_provider_id)
                            .where(RP.c.uuid == f.in_tree)).scalar()
        if root is None:
            return []
        query = query.where(RP.c.root_provider_id == root)
    for any_of in f.required_traits:
        query = query.where(RP.c.id.in_(_with_trait(any_of)))
    if f.forbidden_traits:
        query = query.where(RP.c.id.not_in(_with_trait(f.forbidden_traits)))
    if f.member_of:
        query = query.where(RP.c.id.in_(with_aggregates(f.member_of)))
    if f.forbidden_aggs:
        query = query.where(RP.c.id.not_in(with_aggregates([f.forbidden_aggs])))
    for rc_id, amount in f.resources.items():
        query = query.where(RP.c.id.in_(
            sa.select(inventories.c.resource_provider_id).where(
                inventories.c.resource_class_id == rc_id,
                capacity_clause(inventories, amount))))
    return [_provider(row) for row in conn.execute(query.order_by(RP.c.id))]


def create(conn: Connection, uuid: str, name: str, parent_uuid: str | None) -> Provider:
    """:raises DuplicateName, DuplicateUUID, ProviderActionError:"""
    if not name:
        raise ProviderActionError("create", "name is required")
    parent = None
    if parent_uuid is not None:
        if parent_uuid == uuid:
            raise ProviderActionError(
                "create", "parent provider UUID cannot be same as UUID. Please set "
                "parent provider UUID to None if there is no parent.")
        try:
            parent = get(conn, parent_uuid)
        except exc.NotFound:
            raise ProviderActionError("create", "parent provider UUID does not exist.") from None
    _check_unique(conn, uuid, name)
    now = utcnow()
    try:
        result = conn.execute(sa.insert(RP).values(
            uuid=uuid, name=name, generation=0, created_at=now,  # updated: never yet
            parent_provider_id=parent.id if parent else None,
            root_provider_id=parent.root_id if parent else None))
    except DuplicateEntry:
        _check_unique(conn, uuid, name)
        raise
    except ReferenceMissing:
        raise ProviderActionError("create", "parent provider UUID does not exist.") from None
    new_id = int(result.inserted_primary_key[0])  # type: ignore[index]
    if parent is None:
        # As upstream, whose second write (of the root) stamps updated_at.
        conn.execute(sa.update(RP).where(RP.c.id == new_id)
                     .values(root_provider_id=new_id, updated_at=utcnow()))
    return get(conn, uuid)


def _check_unique(conn: Connection, uuid: str, name: str) -> None:
    rows = conn.execute(sa.select(RP.c.uuid, RP.c.name).where(
        sa.or_(RP.c.uuid == uuid, RP.c.name == name))).all()
    for row in rows:
        if row.uuid == uuid:
            raise DuplicateUUID(uuid)
    for row in rows:
        if row.name == name:
            raise DuplicateName(name)


def subtree_ids(conn: Connection, provider: Provider) -> list[int]:
    """The provider and every provider below it."""
    rows = conn.execute(sa.select(RP.c.id, RP.c.parent_provider_id)
                        .where(RP.c.root_provider_id == provider.root_id)).all()
    children: dict[int, list[int]] = {}
    for row in rows:
        if row.parent_provider_id is not None:
            children.setdefault(row.parent_provider_id, []).append(row.id)
    found, frontier = [provider.id], [provider.id]
    while frontier:
        frontier = [c for p in frontier for c in children.get(p, [])]
        found.extend(frontier)
    return found


def update(conn: Connection, provider: Provider, name: str,
           parent_uuid: str | None, *, parent_given: bool, allow_reparenting: bool) -> Provider:
    """Rename and (re)parent a provider, moving its subtree to the new root.

    :raises DuplicateName, ProviderActionError:
    """
    values: dict[str, object] = {"name": name, "updated_at": utcnow()}
    new_root: int | None = None
    if parent_given and parent_uuid is not None:
        try:
            parent = get(conn, parent_uuid)
        except exc.NotFound:
            raise ProviderActionError("create", "parent provider UUID does not exist.") from None
        if (provider.parent_id is not None and provider.parent_id != parent.id
                and not allow_reparenting):
            raise ProviderActionError(
                "update", "re-parenting a provider is not currently allowed.")
        if parent.id in subtree_ids(conn, provider):
            raise ProviderActionError(
                "update", "creating loop in the provider tree is not allowed.")
        values["parent_provider_id"] = parent.id
        new_root = parent.root_id
    elif parent_given and provider.parent_id is not None:
        if not allow_reparenting:
            raise ProviderActionError(
                "update", "un-parenting a provider is not currently allowed.")
        values["parent_provider_id"] = None
        new_root = provider.id
    if new_root is not None and new_root != provider.root_id:
        conn.execute(sa.update(RP).where(RP.c.id.in_(subtree_ids(conn, provider)))
                     .values(root_provider_id=new_root, updated_at=utcnow()))
    if name == provider.name and values.get("parent_provider_id",
                                            provider.parent_id) == provider.parent_id:
        return provider  # as upstream's ORM: nothing changed, nothing written
    try:
        conn.execute(sa.update(RP).where(RP.c.id == provider.id).values(**values))
    except DuplicateEntry:
        raise DuplicateName(name) from None
    return get(conn, provider.uuid)


def delete(conn: Connection, provider: Provider) -> None:
    """:raises CannotDeleteParentResourceProvider, ResourceProviderInUse:"""
    child = conn.execute(sa.select(RP.c.id).where(RP.c.parent_provider_id == provider.id)
                         .limit(1)).first()
    if child is not None:
        raise exc.CannotDeleteParentResourceProvider()
    used = conn.execute(sa.select(allocations.c.id)
                        .where(allocations.c.resource_provider_id == provider.id)
                        .limit(1)).first()
    if used is not None:
        raise exc.ResourceProviderInUse()
    for table in (inventories, resource_provider_aggregates, resource_provider_traits):
        conn.execute(sa.delete(table).where(table.c.resource_provider_id == provider.id))
    conn.execute(sa.update(RP).where(RP.c.id == provider.id).values(root_provider_id=None))
    conn.execute(sa.delete(RP).where(RP.c.id == provider.id))


def bump_generation(conn: Connection, provider: Provider | int, expected: int | None = None) -> int:
    """Increment a provider's generation, if it is still `expected` (when
    given); the new generation.

    :raises ResourceProviderConcurrentUpdateDetected: the generation moved.
    """
    rp_id = provider if isinstance(provider, int) else provider.id
    if expected is None and not isinstance(provider, int):
        expected = provider.generation
    values: dict[str, object] = {"rp_id": rp_id, "now": utcnow()}
    if expected is not None:
        values["expected"] = expected
    result = conn.execute(statements.cached(("bump provider", expected is not None),
                                            lambda: _bump_statement(expected is not None)),
                          values)
    if result.rowcount != 1:
        raise exc.ResourceProviderConcurrentUpdateDetected()
    if expected is not None:
        return expected + 1
    return int(conn.execute(sa.select(RP.c.generation).where(RP.c.id == rp_id)).scalar_one())


def _bump_statement(guarded: bool) -> sa.Update:
    query = sa.update(RP).where(RP.c.id == sa.bindparam("rp_id", type_=sa.Integer))
    if guarded:
        query = query.where(RP.c.generation == sa.bindparam("expected", type_=sa.Integer))
    return query.values(generation=RP.c.generation + 1,
                        updated_at=sa.bindparam("now", type_=RP.c.updated_at.type))


def has_trees(conn: Connection) -> bool:
    return conn.execute(sa.select(RP.c.id).where(RP.c.parent_provider_id.is_not(None))
                        .limit(1)).first() is not None
