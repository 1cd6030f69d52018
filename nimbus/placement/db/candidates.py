"""The queries behind allocation candidates.

Each answers one question about providers ("which can take 2 VCPU", "which
are in these aggregates") with plain ids, optionally only among some
providers (a `Scope`: the providers of the trees a search with a limit
looks at, a slice at a time, fetched with `next_trees`). Asking by provider
id keeps the plans simple whatever the planner estimates: primary key
lookups, no join with the provider table. The search itself is in
nimbus.placement.candidates.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement

from nimbus.placement.db import statements
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

Scope = Collection[int] | None  # the provider ids a query looks at, or all
CHUNK = 5000  # ids per IN (...) list: below every backend's bound on parameters
SHARING_TRAIT = "MISC_SHARES_VIA_AGGREGATE"
_NO_ID = 2**31 - 1  # above every id

# A provider of a tree: (id, parent id, root id, uuid).
ShapeRow = tuple[int, int | None, int, str]
# A provider and one of its inventories (or None when it has none), as a
# slice of trees is read: (id, parent id, root id, uuid, class id, total,
# reserved, allocation ratio, used, max_unit), then a flag per request group,
# 1 when the inventory can take what the group asks of its class. Inventory
# rows read otherwise have the same layout (unknown columns None).
TreeRow = tuple[Any, ...]
PROVIDER, PARENT, ROOT, UUID, CLASS, TOTAL, RESERVED, RATIO, USED, MAX_UNIT = range(10)
FLAGS = 10
# A provider's trait: (provider, trait id, trait name).
TraitRow = tuple[int, int, str]


@dataclass(frozen=True, slots=True)
class Room:
    """What an inventory can still take: checked when groups are combined."""

    capacity: int
    used: int
    max_unit: int


def capacity(total: int, reserved: int, ratio: float) -> int:
    return int((total - reserved) * ratio)


def room(row: TreeRow) -> Room:
    return Room(capacity(row[TOTAL], row[RESERVED], row[RATIO]), row[USED], row[MAX_UNIT])


def _chunks(ids: Collection[int]) -> Iterator[list[int]]:
    ordered = sorted(ids)
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start:start + CHUNK]


def _among(conn: Connection, column: sa.ColumnElement[int],
           ids: Collection[int]) -> Iterator[ColumnElement[bool]]:
    """Clauses that together select the rows whose `column` is in `ids`: on
    PostgreSQL one array parameter (= ANY), elsewhere IN lists of CHUNK."""
    if conn.dialect.name == "postgresql":
        ordered = sorted(ids)
        # The range says nothing the array does not, but the planner
        # estimates it well: with it, index lookups win over a scan.
        yield sa.and_(column.between(ordered[0], ordered[-1]),
                      column == sa.any_(sa.bindparam(None, ordered, type_=ARRAY(sa.Integer))))
        return
    for chunk in _chunks(ids):
        yield column.in_(chunk)


def _rows(conn: Connection, query: sa.Select[Any], column: sa.ColumnElement[int],
          scope: Scope) -> list[Any]:
    """The rows of `query`, only those whose `column` is in `scope` when given."""
    if scope is None:
        return list(conn.execute(query).all())
    if not scope:
        return []
    found: list[Any] = []
    for among in _among(conn, column, scope):
        found.extend(conn.execute(query.where(among)).all())
    return found


# -- what a request names, and what the cloud is like ------------------------------

@dataclass
class Lookup:
    """Answers to the questions every request asks first, in one round trip."""

    has_trees: bool = False
    sharing: set[int] = field(default_factory=set)  # providers sharing via aggregates
    class_ids: dict[str, int] = field(default_factory=dict)  # every class, by name
    trait_ids: dict[str, int] = field(default_factory=dict)
    roots_by_uuid: dict[str, int] = field(default_factory=dict)  # of the uuids asked


def _lookup_statement(traits_asked: bool, uuids: int) -> sa.Executable:
    name = sa.cast(sa.null(), sa.String)
    parts: list[sa.Select[Any]] = [
        sa.select(sa.literal(0), sa.select(RP.c.id).where(RP.c.parent_provider_id.is_not(None))
                  .limit(1).scalar_subquery(), name),
        sa.select(sa.literal(1), RPT.c.resource_provider_id, name)
        .join(traits, traits.c.id == RPT.c.trait_id).where(traits.c.name == SHARING_TRAIT),
        sa.select(sa.literal(2), resource_classes.c.id, resource_classes.c.name)]
    if traits_asked:
        parts.append(sa.select(sa.literal(3), traits.c.id, traits.c.name)
                     .where(traits.c.name.in_(sa.bindparam("trait_names", expanding=True))))
    for n in range(uuids):  # each compared as the database compares strings
        uuid = sa.bindparam(f"uuid_{n}", type_=sa.String)
        parts.append(sa.select(sa.literal(4), RP.c.root_provider_id, uuid)
                     .where(RP.c.uuid == uuid))
    return sa.union_all(*parts)


def lookup(conn: Connection, trait_names: Collection[str], uuids: Collection[str]) -> Lookup:
    """Whether any provider has a parent, which share, every resource class,
    the ids of traits and the roots of providers (by uuid)."""
    statement = statements.cached(("lookup", bool(trait_names), len(uuids)),
                                  lambda: _lookup_statement(bool(trait_names), len(uuids)))
    values: dict[str, Any] = {f"uuid_{n}": uuid for n, uuid in enumerate(sorted(uuids))}
    if trait_names:
        values["trait_names"] = sorted(trait_names)
    found = Lookup()
    for kind, value, text in conn.execute(statement, values).all():
        if kind == 0:
            found.has_trees = value is not None
        elif kind == 1:
            found.sharing.add(value)
        elif kind == 2:
            found.class_ids[text] = value
        elif kind == 3:
            found.trait_ids[text] = value
        elif value is not None:
            found.roots_by_uuid[text] = value
    return found


# -- the trees looked at ------------------------------------------------------------

_SHAPE = (RP.c.id, RP.c.parent_provider_id, RP.c.root_provider_id, RP.c.uuid)
_INVENTORY = (INV.c.resource_class_id, INV.c.total, INV.c.reserved, INV.c.allocation_ratio,
              INV.c.used, INV.c.max_unit)


@dataclass(frozen=True)
class Walk:
    """The `count` trees whose root ids come next above `after`."""

    after: int
    count: int


@dataclass(frozen=True)
class Having:
    """As Walk, of the trees having a provider with one of `trait_ids`, or
    else with an inventory that can take (class id, amount) `room`."""

    after: int
    count: int
    trait_ids: frozenset[int] = frozenset()
    room: tuple[int, int] | None = None


Trees = Walk | Having | Sequence[int]  # or the trees of these roots (at most CHUNK)


def _param(name: str) -> sa.BindParameter[int]:
    return sa.bindparam(name, type_=sa.Integer)


def _in_trees(dialect: str, query: sa.Select[Any], kind: str) -> sa.Select[Any]:
    """`query` limited to the trees of a slice of `kind` (see _tree_values)."""
    if kind == "walk":
        bound = (sa.select(RP.c.id).where(RP.c.parent_provider_id.is_(None), RP.c.id > _param("after"))
                 .order_by(RP.c.id).offset(_param("offset")).limit(1).scalar_subquery())
        return query.where(RP.c.root_provider_id > _param("after"),
                           RP.c.root_provider_id <= sa.func.coalesce(bound, _NO_ID))
    if kind in ("traits", "room"):
        holders = sa.select(RP.c.root_provider_id.label("root")).distinct()
        if kind == "traits":
            holders = (holders.join(RPT, RPT.c.resource_provider_id == RP.c.id)
                       .where(RPT.c.trait_id.in_(sa.bindparam("trait_ids", expanding=True))))
        else:
            holders = (holders.join(INV, INV.c.resource_provider_id == RP.c.id)
                       .where(INV.c.resource_class_id == _param("room_class"),
                              capacity_clause(INV, _param("room_amount"))))
        roots = (holders.where(RP.c.root_provider_id > _param("after"))
                 .order_by(RP.c.root_provider_id).limit(_param("count")).subquery())
        return query.join(roots, roots.c.root == RP.c.root_provider_id)
    if dialect == "postgresql":  # as _among does
        return query.where(RP.c.root_provider_id.between(_param("low"), _param("high")),
                           RP.c.root_provider_id == sa.any_(
                               sa.bindparam("roots", type_=ARRAY(sa.Integer))))
    return query.where(RP.c.root_provider_id.in_(sa.bindparam("roots", expanding=True)))


def _tree_values(trees: Trees) -> tuple[str, dict[str, Any]]:
    """The kind of a slice's trees, and the values of its parameters."""
    if isinstance(trees, Walk):
        return "walk", {"after": trees.after, "offset": trees.count - 1}
    if isinstance(trees, Having):
        values: dict[str, Any] = {"after": trees.after, "count": trees.count}
        if trees.trait_ids:
            return "traits", {**values, "trait_ids": sorted(trees.trait_ids)}
        assert trees.room is not None
        return "room", {**values, "room_class": trees.room[0], "room_amount": trees.room[1]}
    assert len(trees) <= CHUNK, "a list of trees is one IN (...)"
    ordered = sorted(trees)
    return "listed", {"roots": ordered, "low": ordered[0], "high": ordered[-1]}


def _fits(group: int, classes: int) -> ColumnElement[int]:
    """1 when an inventory can take what group `group` asks of its class (of
    `classes` classes, parameters rc_<group>_<n> and amount_<group>_<n>), else 0."""
    if not classes:
        return sa.literal(0)
    return sa.case((sa.or_(*(sa.and_(INV.c.resource_class_id == _param(f"rc_{group}_{n}"),
                                     capacity_clause(INV, _param(f"amount_{group}_{n}")))
                             for n in range(classes))), 1), else_=0)


def _tree_rows_statement(dialect: str, kind: str, classes: tuple[int, ...],
                         with_traits: bool) -> sa.Executable:
    inventory = _in_trees(dialect, sa.select(
        *_SHAPE, *_INVENTORY, *(_fits(group, n) for group, n in enumerate(classes)),
        sa.cast(sa.null(), sa.Integer).label("trait_id"),
        sa.cast(sa.null(), sa.String).label("trait_name"))
        .select_from(RP.outerjoin(INV, INV.c.resource_provider_id == RP.c.id)), kind)
    if not with_traits:
        return inventory.order_by(RP.c.id)
    nothing = [sa.cast(sa.null(), column.type) for column in _INVENTORY]
    held = _in_trees(dialect, sa.select(
        *_SHAPE, *nothing, *(sa.cast(sa.null(), sa.Integer) for _ in classes),
        RPT.c.trait_id, traits.c.name)
        .select_from(RP.join(RPT, RPT.c.resource_provider_id == RP.c.id)
                     .join(traits, traits.c.id == RPT.c.trait_id)), kind)
    return sa.union_all(inventory, held).order_by("id", "trait_id")


def tree_rows(conn: Connection, trees: Trees, flags: Sequence[Mapping[int, int]] = (),
              with_traits: bool = False) -> tuple[list[TreeRow], list[TraitRow]]:
    """Every provider of `trees` with each of its inventories, in provider
    order, with a flag per mapping of `flags` (see TreeRow); and, when
    `with_traits`, the traits of those providers, in the same round trip."""
    kind, values = _tree_values(trees)
    classes = tuple(len(amounts) for amounts in flags)
    dialect = conn.dialect.name
    statement = statements.cached(
        ("tree_rows", dialect, kind, classes, with_traits),
        lambda: _tree_rows_statement(dialect, kind, classes, with_traits))
    for group, amounts in enumerate(flags):
        for n, (rc_id, amount) in enumerate(amounts.items()):
            values[f"rc_{group}_{n}"] = rc_id
            values[f"amount_{group}_{n}"] = amount
    found = conn.execute(statement, values).all()
    if not with_traits:
        return list(found), []
    rows: list[TreeRow] = []
    trait_list: list[TraitRow] = []
    mark = FLAGS + len(flags)  # where the trait columns start
    for row in found:
        if row[mark] is None:
            rows.append(row)
        else:
            trait_list.append((row[0], row[mark], row[mark + 1]))
    return rows, trait_list


def trees_of(conn: Connection, root_ids: Collection[int]) -> list[ShapeRow]:
    """Every provider of the trees of `root_ids`."""
    return _rows(conn, sa.select(*_SHAPE), RP.c.root_provider_id, root_ids)


def trait_rows(conn: Connection, roots: tuple[int, int] | Collection[int]) -> list[TraitRow]:
    """(provider, trait id, trait name) of every trait of the providers in
    the trees of `roots` (a range of root ids, both ends included, or root
    ids), each provider's in trait id order."""
    query = (sa.select(RPT.c.resource_provider_id, RPT.c.trait_id, traits.c.name)
             .select_from(RPT.join(RP, RP.c.id == RPT.c.resource_provider_id)
                          .join(traits, traits.c.id == RPT.c.trait_id))
             .order_by(RPT.c.trait_id))
    if isinstance(roots, tuple):
        return list(conn.execute(query.where(RP.c.root_provider_id.between(*roots))).all())
    return _rows(conn, query, RP.c.root_provider_id, roots)


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


# -- traits and aggregates ----------------------------------------------------------

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
                  scope: Scope = None) -> set[int]:
    """Providers in at least one aggregate of each list of `member_of`."""
    query = sa.select(RP.c.id)
    for members in member_of:
        query = query.where(RP.c.id.in_(
            sa.select(RPA.c.resource_provider_id)
            .join(placement_aggregates, placement_aggregates.c.id == RPA.c.aggregate_id)
            .where(placement_aggregates.c.uuid.in_(sorted(members)))))
    return {row[0] for row in _rows(conn, query, RP.c.id, scope)}


def with_all_traits(conn: Connection, required: Sequence[Collection[int]],
                    scope: Scope = None) -> set[int]:
    """Providers with at least one trait of each set in `required`."""
    query = sa.select(RP.c.id)
    for any_of in required:
        query = query.where(RP.c.id.in_(sa.select(RPT.c.resource_provider_id)
                                        .where(RPT.c.trait_id.in_(sorted(any_of)))))
    return {row[0] for row in _rows(conn, query, RP.c.id, scope)}


def any_with_trait(conn: Connection, trait_ids: Collection[int]) -> bool:
    """Whether some provider has one of `trait_ids`."""
    query = sa.select(RPT.c.resource_provider_id).where(RPT.c.trait_id.in_(sorted(trait_ids)))
    return conn.execute(query.limit(1)).first() is not None


def with_any_trait(conn: Connection, trait_ids: Collection[int], scope: Scope = None) -> set[int]:
    query = sa.select(RPT.c.resource_provider_id).where(RPT.c.trait_id.in_(sorted(trait_ids)))
    return {row[0] for row in _rows(conn, query, RPT.c.resource_provider_id, scope)}


def traits_in(conn: Connection, trait_ids: Collection[int], scope: Scope) -> dict[int, set[int]]:
    """The traits among `trait_ids` of every provider (in `scope`) that has any."""
    found: dict[int, set[int]] = {}
    if not trait_ids:
        return found
    query = sa.select(RPT.c.resource_provider_id, RPT.c.trait_id).where(
        RPT.c.trait_id.in_(sorted(trait_ids)))
    for rp_id, trait_id in _rows(conn, query, RPT.c.resource_provider_id, scope):
        if rp_id in found:
            found[rp_id].add(trait_id)
        else:
            found[rp_id] = {trait_id}
    return found


# -- capacity -----------------------------------------------------------------------

def with_capacity(conn: Connection, amounts: Mapping[int, int], scope: Scope, *,
                  provider_traits: Sequence[Collection[int]] = (),
                  tree_traits: Sequence[Collection[int]] = ()) -> list[TreeRow]:
    """The inventories (of providers in `scope`) that can take the amount
    asked of their class, in one query, in provider order (as TreeRows
    without parents and uuids); only of providers with a trait of each set
    of `provider_traits`, in trees with a trait of each set of `tree_traits`
    somewhere."""
    query = (sa.select(INV.c.resource_provider_id, sa.null(), RP.c.root_provider_id, sa.null(),
                       *_INVENTORY)
             .select_from(INV.join(RP, RP.c.id == INV.c.resource_provider_id))
             # The plain IN lets the planner use (provider, class) index
             # lookups whatever its row estimates; the OR alone does not.
             .where(INV.c.resource_class_id.in_(sorted(amounts)))
             .where(sa.or_(*(sa.and_(INV.c.resource_class_id == rc_id,
                                     capacity_clause(INV, amount))
                             for rc_id, amount in amounts.items()))))
    for any_of in provider_traits:
        query = query.where(INV.c.resource_provider_id.in_(
            sa.select(RPT.c.resource_provider_id).where(RPT.c.trait_id.in_(sorted(any_of)))))
    member = RP.alias("member")
    for any_of in tree_traits:
        query = query.where(RP.c.root_provider_id.in_(
            sa.select(member.c.root_provider_id)
            .join(RPT, RPT.c.resource_provider_id == member.c.id)
            .where(RPT.c.trait_id.in_(sorted(any_of)))))
    # Chunks of a scope come in id order, so the rows do too.
    return _rows(conn, query.order_by(INV.c.resource_provider_id), INV.c.resource_provider_id,
                 scope)
