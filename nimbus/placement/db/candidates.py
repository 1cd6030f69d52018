"""The queries behind allocation candidates.

Each answers one question about providers ("which can take 2 VCPU", "which
are in these aggregates") with plain ids, optionally only among the trees
whose root id lies in a range (`Roots`), so that a search with a limit can
walk the trees a slice at a time. The search itself is in
nimbus.placement.candidates.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement

from nimbus.placement.db.models import (
    inventories,
    placement_aggregates,
    resource_classes,
    resource_provider_aggregates,
    resource_provider_traits,
    resource_providers,
    traits,
)
from nimbus.placement.db.providers import capacity_clause

RP = resource_providers
RPA = resource_provider_aggregates
RPT = resource_provider_traits
INV = inventories

Roots = tuple[int, int | None] | None  # root provider ids low..high (inclusive, open
# above when None), or all
CHUNK = 5000  # ids per IN (...) list: below every backend's bound on parameters


@dataclass(frozen=True, slots=True)
class Room:
    """What an inventory can still take: checked when groups are combined."""

    capacity: int
    used: int
    max_unit: int


def capacity(total: int, reserved: int, ratio: float) -> int:
    return int((total - reserved) * ratio)


def _in_roots(query: sa.Select[Any], roots: Roots) -> sa.Select[Any]:
    if roots is None:
        return query
    low, high = roots
    if high is None:
        return query.where(RP.c.root_provider_id >= low)
    return query.where(RP.c.root_provider_id.between(low, high))


def _chunks(ids: Collection[int]) -> Iterator[list[int]]:
    ordered = sorted(ids)
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start:start + CHUNK]


def _among(conn: Connection, column: sa.ColumnElement[int],
           ids: Collection[int]) -> Iterator[ColumnElement[bool]]:
    """Clauses that together select the rows whose `column` is in `ids`: on
    PostgreSQL one array parameter (= ANY), elsewhere IN lists of CHUNK."""
    if conn.dialect.name == "postgresql":
        yield column == sa.any_(sa.bindparam(None, sorted(ids), type_=ARRAY(sa.Integer)))
        return
    for chunk in _chunks(ids):
        yield column.in_(chunk)


def root_after(conn: Connection, after: int, count: int) -> int | None:
    """The `count`-th root provider id above `after`, if there are that many."""
    return conn.execute(
        sa.select(RP.c.id).where(RP.c.parent_provider_id.is_(None), RP.c.id > after)
        .order_by(RP.c.id).offset(count - 1).limit(1)).scalar()


def root_of(conn: Connection, uuid: str) -> int | None:
    return conn.execute(sa.select(RP.c.root_provider_id).where(RP.c.uuid == uuid)).scalar()


def sharing_providers(conn: Connection) -> set[int]:
    """Providers that share their inventory with their aggregates."""
    return set(conn.execute(
        sa.select(RPT.c.resource_provider_id).join(traits, traits.c.id == RPT.c.trait_id)
        .where(traits.c.name == "MISC_SHARES_VIA_AGGREGATE")).scalars().all())


def roots_with_traits(conn: Connection, required: set[int], forbidden: set[int]) -> set[int]:
    """Root providers having every trait of `required` and none of `forbidden`."""
    query = sa.select(RP.c.id).where(RP.c.parent_provider_id.is_(None))
    for trait_id in sorted(required):
        query = query.where(RP.c.id.in_(sa.select(RPT.c.resource_provider_id)
                                        .where(RPT.c.trait_id == trait_id)))
    if forbidden:
        query = query.where(RP.c.id.not_in(sa.select(RPT.c.resource_provider_id)
                                           .where(RPT.c.trait_id.in_(sorted(forbidden)))))
    return set(conn.execute(query).scalars().all())


def in_aggregates(conn: Connection, member_of: Sequence[Sequence[str]],
                  roots: Roots = None) -> set[int]:
    """Providers in at least one aggregate of each list of `member_of`."""
    query = _in_roots(sa.select(RP.c.id), roots)
    for members in member_of:
        query = query.where(RP.c.id.in_(
            sa.select(RPA.c.resource_provider_id)
            .join(placement_aggregates, placement_aggregates.c.id == RPA.c.aggregate_id)
            .where(placement_aggregates.c.uuid.in_(sorted(members)))))
    return set(conn.execute(query).scalars().all())


def with_all_traits(conn: Connection, required: Sequence[Collection[int]],
                    roots: Roots = None) -> set[int]:
    """Providers with at least one trait of each set in `required`."""
    query = _in_roots(sa.select(RP.c.id), roots)
    for any_of in required:
        query = query.where(RP.c.id.in_(sa.select(RPT.c.resource_provider_id)
                                        .where(RPT.c.trait_id.in_(sorted(any_of)))))
    return set(conn.execute(query).scalars().all())


def any_with_trait(conn: Connection, trait_ids: Collection[int], roots: Roots = None) -> bool:
    """Whether some provider has one of `trait_ids`."""
    query = sa.select(RPT.c.resource_provider_id).where(RPT.c.trait_id.in_(sorted(trait_ids)))
    if roots is not None:
        query = _in_roots(query.join(RP, RP.c.id == RPT.c.resource_provider_id), roots)
    return conn.execute(query.limit(1)).first() is not None


def with_any_trait(conn: Connection, trait_ids: Collection[int], roots: Roots = None) -> set[int]:
    query = sa.select(RPT.c.resource_provider_id).distinct().where(
        RPT.c.trait_id.in_(sorted(trait_ids)))
    if roots is not None:
        query = _in_roots(query.join(RP, RP.c.id == RPT.c.resource_provider_id), roots)
    return set(conn.execute(query).scalars().all())


# (class, provider, root, total, reserved, allocation ratio, used, max_unit)
SlotRow = tuple[int, int, int, int, int, float, int, int]


def with_capacity(conn: Connection, amounts: Mapping[int, int], *, tree: int | None = None,
                  roots: Roots = None, only: Collection[int] | None = None,
                  provider_traits: Sequence[Collection[int]] = (),
                  tree_traits: Sequence[Collection[int]] = ()) -> list[SlotRow]:
    """The inventories that can take the amount asked of their class, in one
    query, ordered by tree and provider; only in the trees of `only` (when
    given), of providers with a trait of each set of `provider_traits`, in
    trees with a trait of each set of `tree_traits` somewhere."""
    query = (sa.select(INV.c.resource_class_id, INV.c.resource_provider_id,
                       RP.c.root_provider_id, INV.c.total, INV.c.reserved,
                       INV.c.allocation_ratio, INV.c.used, INV.c.max_unit)
             .select_from(INV.join(RP, RP.c.id == INV.c.resource_provider_id))
             # The plain IN lets the planner use (provider, class) index
             # lookups whatever its row estimates; the OR alone does not.
             .where(INV.c.resource_class_id.in_(sorted(amounts)))
             .where(sa.or_(*(sa.and_(INV.c.resource_class_id == rc_id,
                                     capacity_clause(INV, amount))
                             for rc_id, amount in amounts.items()))))
    if tree is not None:
        query = query.where(RP.c.root_provider_id == tree)
    for any_of in provider_traits:
        query = query.where(INV.c.resource_provider_id.in_(
            sa.select(RPT.c.resource_provider_id).where(RPT.c.trait_id.in_(sorted(any_of)))))
    member = RP.alias("member")
    for any_of in tree_traits:
        query = query.where(RP.c.root_provider_id.in_(
            sa.select(member.c.root_provider_id)
            .join(RPT, RPT.c.resource_provider_id == member.c.id)
            .where(RPT.c.trait_id.in_(sorted(any_of)))))
    in_sql = only is not None and (conn.dialect.name == "postgresql" or len(only) <= CHUNK)
    if in_sql:
        assert only is not None
        query = query.where(next(_among(conn, RP.c.root_provider_id, only)))
    query = _in_roots(query, roots).order_by(RP.c.root_provider_id, INV.c.resource_provider_id)
    rows: list[SlotRow] = conn.execute(query).all()  # type: ignore[assignment]
    if only is not None and not in_sql:
        rows = [row for row in rows if row[2] in only]
    return rows


def room(row: SlotRow) -> Room:
    return Room(capacity(row[3], row[4], row[5]), row[6], row[7])


def providers_and_roots(conn: Connection, include: Collection[int],
                        exclude: Collection[int]) -> list[tuple[int, int]]:
    """(provider, root) of the providers in `include` (all if empty) not in `exclude`."""
    query = sa.select(RP.c.id, RP.c.root_provider_id)
    if include:
        query = query.where(RP.c.id.in_(sorted(include)))
    if exclude:
        query = query.where(RP.c.id.not_in(sorted(exclude)))
    return [(row[0], row[1]) for row in conn.execute(query.order_by(RP.c.id)).all()]


def anchors(conn: Connection, sharing: Collection[int]) -> set[tuple[int, int]]:
    """(sharing provider, root) for every root of a tree having a provider in
    an aggregate with the sharing provider (its own tree included)."""
    if not sharing:
        return set()
    mine, theirs, member = RPA.alias("mine"), RPA.alias("theirs"), RP.alias("member")
    query = (sa.select(mine.c.resource_provider_id, member.c.root_provider_id).distinct()
             .select_from(mine.join(theirs, theirs.c.aggregate_id == mine.c.aggregate_id)
                          .join(member, member.c.id == theirs.c.resource_provider_id))
             .where(mine.c.resource_provider_id.in_(sorted(sharing))))
    return {(row[0], row[1]) for row in conn.execute(query).all()}


def traits_of(conn: Connection, rp_ids: Collection[int],
              trait_ids: Collection[int]) -> dict[int, set[int]]:
    """The traits among `trait_ids` each provider of `rp_ids` has."""
    found: dict[int, set[int]] = {}
    if not trait_ids:
        return found
    for among in _among(conn, RPT.c.resource_provider_id, rp_ids):
        for rp_id, trait_id in conn.execute(
                sa.select(RPT.c.resource_provider_id, RPT.c.trait_id).where(
                    among,
                    RPT.c.trait_id.in_(sorted(trait_ids)))).all():
            found.setdefault(rp_id, set()).add(trait_id)
    return found


def traits_in(conn: Connection, trait_ids: Collection[int],
              roots: Roots) -> dict[int, set[int]]:
    """The traits among `trait_ids` of every provider (in the trees of
    `roots`) that has any."""
    query = _in_roots(sa.select(RPT.c.resource_provider_id, RPT.c.trait_id)
                      .join(RP, RP.c.id == RPT.c.resource_provider_id)
                      .where(RPT.c.trait_id.in_(sorted(trait_ids))), roots)
    found: dict[int, set[int]] = {}
    for rp_id, trait_id in conn.execute(query).all():
        found.setdefault(rp_id, set()).add(trait_id)
    return found


def parents(conn: Connection, root_ids: Collection[int]) -> dict[int, int | None]:
    """Parent of every provider in the trees of `root_ids`."""
    found: dict[int, int | None] = {}
    for among in _among(conn, RP.c.root_provider_id, root_ids):
        found.update((row[0], row[1]) for row in conn.execute(
            sa.select(RP.c.id, RP.c.parent_provider_id).where(among)).all())
    return found


class Holding(NamedTuple):
    resource_class: str
    capacity: int
    used: int


@dataclass(slots=True)
class TreeProvider:
    id: int
    uuid: str
    parent_id: int | None
    root_id: int
    holdings: list[Holding] = field(default_factory=list)
    traits: list[str] = field(default_factory=list)


def _root_filters(conn: Connection, root_ids: Collection[int]) -> Iterator[ColumnElement[bool]]:
    """WHERE clauses that together select the trees of `root_ids`: a range
    when the ids are dense (as a slice of roots is), else by id. Rows of
    other trees in a range are dropped by the caller."""
    if not root_ids:
        return
    low, high = min(root_ids), max(root_ids)
    if high - low < 2 * len(root_ids) + 64:
        yield RP.c.root_provider_id.between(low, high)
        return
    yield from _among(conn, RP.c.root_provider_id, root_ids)


def trees(conn: Connection, root_ids: Iterable[int]) -> dict[int, TreeProvider]:
    """Every provider of the trees of `root_ids` with its inventories and traits."""
    wanted = set(root_ids)
    found: dict[int, TreeProvider] = {}
    for in_trees in _root_filters(conn, wanted):
        for row in conn.execute(sa.select(RP.c.id, RP.c.uuid, RP.c.parent_provider_id,
                                          RP.c.root_provider_id).where(in_trees)).all():
            if row[3] in wanted:
                found[row[0]] = TreeProvider(row[0], row[1], row[2], row[3])
        for inv in conn.execute(
                sa.select(INV.c.resource_provider_id, resource_classes.c.name, INV.c.total,
                          INV.c.reserved, INV.c.allocation_ratio, INV.c.used)
                .select_from(INV.join(RP, RP.c.id == INV.c.resource_provider_id)
                             .join(resource_classes,
                                   resource_classes.c.id == INV.c.resource_class_id))
                .where(in_trees)).all():
            if inv[0] in found:
                found[inv[0]].holdings.append(
                    Holding(inv[1], capacity(inv[2], inv[3], inv[4]), inv[5]))
        for trait in conn.execute(
                sa.select(RPT.c.resource_provider_id, traits.c.name)
                .select_from(RPT.join(RP, RP.c.id == RPT.c.resource_provider_id)
                             .join(traits, traits.c.id == RPT.c.trait_id))
                .where(in_trees).order_by(RPT.c.trait_id)).all():
            if trait[0] in found:
                found[trait[0]].traits.append(trait[1])
    return dict(sorted(found.items()))
