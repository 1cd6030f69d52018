"""Allocations: reading them, and replacing those of some consumers atomically.

A write replaces the whole allocation set of each consumer it names, in one
transaction: the old allocations go, the new ones are checked against the
inventories' constraints and capacity, and each inventory's ``used`` moves
by the difference with a conditional UPDATE. That UPDATE is the claim: two
requests racing for the last units cannot both succeed, on any backend.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from nimbus.common.db.types import utcnow
from nimbus.placement import exceptions as exc
from nimbus.placement.db import consumers as consumer_db
from nimbus.placement.db import providers, resource_classes, statements
from nimbus.placement.db.consumers import Consumer
from nimbus.placement.db.models import allocations, inventories
from nimbus.placement.db.models import consumers as consumers_table
from nimbus.placement.db.models import resource_providers as RP

ALLOC = allocations
INV = inventories

UNSET = object()  # a consumer generation the request did not give (before 1.28)


@dataclass(frozen=True, slots=True)
class Allocation:
    rp_id: int
    rp_uuid: str
    rp_generation: int
    resource_class: str
    used: int
    consumer_uuid: str
    created_at: datetime.datetime | None


@dataclass
class ConsumerRequest:
    """What one request says of one consumer: all its allocations, by provider
    uuid then resource class (empty: remove them all)."""

    uuid: str
    project: str
    user: str
    allocations: Mapping[str, Mapping[str, int]]
    generation: object = UNSET  # int | None, or UNSET
    consumer_type: str | None = None


class ConsumerGenerationConflict(Exception):
    def __init__(self, expected: int | None, got: object):
        self.expected, self.got = expected, got
        super().__init__(expected, got)


class ProviderMissing(Exception):
    def __init__(self, uuid: str):
        self.uuid = uuid
        super().__init__(uuid)


def _select() -> sa.Select[tuple[object, ...]]:
    return (sa.select(ALLOC.c.resource_provider_id, RP.c.uuid, RP.c.generation,
                      ALLOC.c.resource_class_id, ALLOC.c.used, consumers_table.c.uuid.label("cu"),
                      ALLOC.c.created_at)
            .select_from(ALLOC.join(RP, RP.c.id == ALLOC.c.resource_provider_id)
                         .join(consumers_table, consumers_table.c.id == ALLOC.c.consumer_id)))


def _rows(conn: Connection, query: sa.Select[tuple[object, ...]]) -> list[Allocation]:
    rows = conn.execute(query.order_by(ALLOC.c.id)).all()
    names = resource_classes.names(conn, {r.resource_class_id for r in rows})
    return [Allocation(r.resource_provider_id, r.uuid, r.generation, names[r.resource_class_id],
                       r.used, r.cu, r.created_at) for r in rows]


def of_consumer(conn: Connection, uuid: str) -> list[Allocation]:
    return _rows(conn, _select().where(consumers_table.c.uuid == uuid))


def of_provider(conn: Connection, rp_id: int) -> list[Allocation]:
    return _rows(conn, _select().where(ALLOC.c.resource_provider_id == rp_id))


# -- writing ---------------------------------------------------------------------

@dataclass
class _Plan:
    consumers: dict[str, Consumer] = field(default_factory=dict)
    created: set[str] = field(default_factory=set)
    attributes: dict[str, tuple[int, int, int | None]] = field(default_factory=dict)


class _Held(NamedTuple):
    """An allocation a consumer holds before the write."""

    consumer_id: int
    resource_provider_id: int
    resource_class_id: int
    used: int
    provider_generation: int


@dataclass
class _Snapshot:
    """What the write reads before it changes anything, in one round trip."""

    consumers: dict[str, Consumer] = field(default_factory=dict)  # those that exist
    providers: dict[str, Any] = field(default_factory=dict)  # uuid -> (id, uuid, generation)
    class_ids: dict[str, int] = field(default_factory=dict)  # of the names found
    held: list[_Held] = field(default_factory=list)  # by the consumers that exist


# The snapshot query's columns after its tag, by type; each part fills some.
_SLOTS = (sa.Integer, sa.String, sa.Integer, sa.Integer, sa.Integer, sa.Integer,
          sa.String, sa.String, sa.String)


def _part(tag: int, query: sa.Select[Any]) -> sa.Select[Any]:
    """`query` tagged, its columns padded with NULLs to the snapshot's."""
    width = len(query.selected_columns)
    return query.with_only_columns(
        sa.literal(tag), *query.selected_columns,
        *(sa.cast(sa.null(), kind) for kind in _SLOTS[width:]), maintain_column_froms=True)


def _snapshot_statement(providers_named: bool, classes_named: bool) -> sa.Executable:
    in_list = functools.partial(sa.bindparam, expanding=True)
    parts = [_part(0, consumer_db.select_many().where(
                 consumers_table.c.uuid.in_(in_list("consumer_uuids")))),
             _part(3, sa.select(ALLOC.c.consumer_id, sa.cast(sa.null(), sa.String),
                                ALLOC.c.resource_provider_id, ALLOC.c.resource_class_id,
                                ALLOC.c.used, RP.c.generation)
                   .select_from(ALLOC.join(consumers_table,
                                           consumers_table.c.id == ALLOC.c.consumer_id)
                                .join(RP, RP.c.id == ALLOC.c.resource_provider_id))
                   .where(consumers_table.c.uuid.in_(in_list("consumer_uuids"))))]
    if providers_named:
        parts.append(_part(1, sa.select(RP.c.id, RP.c.uuid, RP.c.generation)
                           .where(RP.c.uuid.in_(in_list("provider_uuids")))))
    if classes_named:
        parts.append(_part(2, sa.select(resource_classes.RC.c.id, resource_classes.RC.c.name)
                           .where(resource_classes.RC.c.name.in_(in_list("class_names")))))
    return sa.union_all(*parts)


def _snapshot(conn: Connection, requests: Sequence[ConsumerRequest]) -> _Snapshot:
    """The consumers, providers and classes `requests` name, and what those
    consumers hold (with its providers' generations)."""
    values: dict[str, list[str]] = {
        "consumer_uuids": sorted({r.uuid for r in requests}),
        "provider_uuids": sorted({rp for r in requests for rp in r.allocations}),
        "class_names": sorted({rc for r in requests for res in r.allocations.values()
                               for rc in res})}
    shape = (bool(values["provider_uuids"]), bool(values["class_names"]))
    statement = statements.cached(("allocation snapshot", *shape),
                                  lambda: _snapshot_statement(*shape))
    found = _Snapshot()
    for row in conn.execute(statement, {key: v for key, v in values.items()
                                        if v or key == "consumer_uuids"}).all():
        tag, columns = row[0], row[1:]
        if tag == 0:
            found.consumers[columns[1]] = consumer_db.from_row(columns)
        elif tag == 1:
            found.providers[columns[1]] = _ProviderRow(columns[0], columns[1], columns[2])
        elif tag == 2:
            found.class_ids[columns[1]] = columns[0]
        else:
            found.held.append(_Held(columns[0], columns[2], columns[3], columns[4], columns[5]))
    return found


class _ProviderRow(NamedTuple):
    id: int
    uuid: str
    generation: int


def _ensure_consumers(conn: Connection, requests: Sequence[ConsumerRequest],
                      existing: dict[str, Consumer], check_generation: bool) -> _Plan:
    """The consumers of `requests`, created if new: at generation 1, which
    is where the write leaves them (it bumps only those that existed)."""
    plan = _Plan()
    for req in requests:
        project = consumer_db.project_id(conn, req.project)
        user = consumer_db.user_id(conn, req.user)
        type_id = consumer_db.consumer_type_id(conn, req.consumer_type) if req.consumer_type else None
        consumer = existing.get(req.uuid)
        if consumer is not None:
            if check_generation and consumer.generation != req.generation:
                raise ConsumerGenerationConflict(consumer.generation, req.generation)
        else:
            if check_generation and req.generation is not None:
                raise ConsumerGenerationConflict(None, req.generation)
            consumer = consumer_db.create(
                conn, req.uuid, (project, req.project), (user, req.user),
                (type_id, req.consumer_type) if type_id is not None and req.consumer_type
                else None, generation=1)
            plan.created.add(req.uuid)
        plan.consumers[req.uuid] = consumer
        plan.attributes[req.uuid] = (project, user, type_id)
    return plan


def _class_ids(found: dict[str, int], names: set[str]) -> dict[str, int]:
    """As resource_classes.ids: ResourceClassNotFound names the first unknown."""
    for name in sorted(names):
        if name not in found:
            raise exc.ResourceClassNotFound(name=name)
    return found


def replace(conn: Connection, requests: Sequence[ConsumerRequest],
            check_generation: bool) -> None:
    """Replace the allocations of every consumer in `requests`.

    :raises ConsumerGenerationConflict, ProviderMissing, ResourceClassNotFound,
        InvalidInventory (and its capacity/constraint subclasses),
        ConcurrentUpdateDetected:
    """
    snapshot = _snapshot(conn, requests)
    plan = _ensure_consumers(conn, requests, snapshot.consumers, check_generation)
    rp_rows = snapshot.providers
    for rp_uuid in dict.fromkeys(rp for r in requests for rp in r.allocations):
        if rp_uuid not in rp_rows:  # the first missing in the request, as upstream
            raise ProviderMissing(rp_uuid)
    rc_ids = _class_ids(snapshot.class_ids, {rc for r in requests
                                             for res in r.allocations.values() for rc in res})
    old = snapshot.held  # consumers created just now hold nothing yet
    delta: dict[tuple[int, int], int] = {}
    for row in old:
        key = (row.resource_provider_id, row.resource_class_id)
        delta[key] = delta.get(key, 0) - int(row.used)
    held = {key: -change for key, change in delta.items()}  # what the consumers had
    # As upstream, emptying a consumer counts as writing zeros to the
    # providers it held: their generations move too.
    emptied = {plan.consumers[r.uuid].id for r in requests if not r.allocations}
    touched_rps = {row.resource_provider_id: row.provider_generation  # id -> generation read
                   for row in old if row.consumer_id in emptied}
    new_rows = _new_rows(requests, plan, rp_rows, rc_ids, delta, touched_rps)
    # As upstream, a consumer emptied in the same request lists its old
    # allocations (at zero) among those checked, so their providers and
    # classes count when deciding which providers lack any inventory.
    released_keys = {(row.resource_provider_id, row.resource_class_id)
                     for row in old if row.consumer_id in emptied}
    _check_and_apply(conn, requests, rp_rows, rc_ids, delta, held, released_keys)
    if old:
        conn.execute(sa.delete(ALLOC).where(
            ALLOC.c.consumer_id.in_([c.id for c in plan.consumers.values()])))
    if new_rows:
        conn.execute(sa.insert(ALLOC), new_rows)
    for rp_id, generation in sorted(touched_rps.items()):
        providers.bump_generation(conn, rp_id, generation)
    for uuid, consumer in plan.consumers.items():
        if uuid in plan.created:
            continue
        project, user, type_id = plan.attributes[uuid]
        consumer_db.update_attributes(conn, consumer, project, user, type_id)
        consumer_db.bump_generation(conn, consumer)
    if emptied:
        consumer_db.delete_if_unused(conn, sorted(emptied))


def _new_rows(requests: Sequence[ConsumerRequest], plan: _Plan, rp_rows: Mapping[str, Any],
              rc_ids: Mapping[str, int], delta: dict[tuple[int, int], int],
              touched_rps: dict[int, int]) -> list[dict[str, object]]:
    """The allocation rows to insert; adds them to `delta` and their
    providers (with the generation read) to `touched_rps`."""
    new_rows: list[dict[str, object]] = []
    now = utcnow()
    for req in requests:
        consumer = plan.consumers[req.uuid]
        for rp_uuid, resources in req.allocations.items():
            rp = rp_rows[rp_uuid]
            touched_rps[rp.id] = rp.generation
            for rc, amount in resources.items():
                key = (rp.id, rc_ids[rc])
                delta[key] = delta.get(key, 0) + amount
                new_rows.append({"resource_provider_id": rp.id, "consumer_id": consumer.id,
                                 "resource_class_id": rc_ids[rc], "used": amount,
                                 "created_at": now, "updated_at": now})
    return new_rows


def _check(requests: Sequence[ConsumerRequest], rp_rows: Mapping[str, Any],
           rc_ids: Mapping[str, int], invs: Mapping[tuple[int, int], Any],
           held: Mapping[tuple[int, int], int], with_inventory: set[int],
           released_classes: Sequence[str] = ()) -> None:
    """Refuse what upstream refuses, reporting the first failure as it
    does: providers with none of the classes asked for, then each allocation
    in the order of the request (its constraints, then the capacity left
    once the consumers' old allocations are gone, unless the overage is no
    worse than before). `with_inventory`: the providers that have any of the
    request's classes; `released_classes`: the classes emptied consumers
    held, named too when a provider lacks inventory."""
    asked = [rp for req in requests for rp in req.allocations]
    missing = [rp for rp in dict.fromkeys(asked) if rp_rows[rp].id not in with_inventory]
    if missing:
        classes = dict.fromkeys([*(rc for req in requests for res in req.allocations.values()
                                   for rc in res), *released_classes])
        raise exc.InvalidInventory(resource_class=", ".join(classes),
                                   resource_provider=", ".join(missing))
    needed: dict[tuple[int, int], int] = {}
    for req in requests:
        for rp_uuid, resources in req.allocations.items():
            rp_id = rp_rows[rp_uuid].id
            for rc, amount in resources.items():
                key = (rp_id, rc_ids[rc])
                inv = invs.get(key)
                if inv is None:
                    raise exc.InvalidInventory(resource_class=rc, resource_provider=rp_uuid)
                if amount < inv.min_unit or amount > inv.max_unit or amount % inv.step_size:
                    raise exc.InvalidAllocationConstraintsViolated(
                        resource_class=rc, resource_provider=rp_uuid)
                needed[key] = needed.get(key, 0) + amount
                before = held.get(key, 0)
                capacity = (inv.total - inv.reserved) * inv.allocation_ratio
                if inv.used - before + needed[key] > capacity and needed[key] > before:
                    raise exc.InvalidAllocationCapacityExceeded(
                        resource_class=rc, resource_provider=rp_uuid)


def _check_and_apply(conn: Connection, requests: Sequence[ConsumerRequest],
                     rp_rows: Mapping[str, Any], rc_ids: Mapping[str, int],
                     delta: Mapping[tuple[int, int], int],
                     held: Mapping[tuple[int, int], int],
                     released_keys: Collection[tuple[int, int]] = ()) -> None:
    asked_rps = {row.id for row in rp_rows.values()}
    asked_rcs = set(rc_ids.values())
    # The inventories concerned, locked in a fixed order (no deadlocks
    # between concurrent writers; SQLite writers are serialised anyway):
    # what is checked below is what the UPDATEs change.
    rows = conn.execute(statements.cached(("inventories to change",), _locking_statement), {
        "providers": sorted(asked_rps | {rp for rp, _ in delta}),
        "classes": sorted(asked_rcs | {rc for _, rc in delta})}).all() if delta or asked_rps else []
    invs = {(r.resource_provider_id, r.resource_class_id): r for r in rows}
    # Providers with inventory of any class the request names, anywhere in it.
    checked_rcs = asked_rcs | {rc for _, rc in released_keys}
    with_inventory = {r.resource_provider_id for r in rows
                      if r.resource_provider_id in asked_rps
                      and r.resource_class_id in checked_rcs}
    released_names = sorted(resource_classes.names(
        conn, {rc for _, rc in released_keys} - asked_rcs).values()) if released_keys else []
    _check(requests, rp_rows, rc_ids, invs, held, with_inventory, released_names)
    changes: dict[int, dict[int, int]] = {}
    for (rp_id, rc_id), change in sorted(delta.items()):
        if change and (rp_id, rc_id) in invs:
            changes.setdefault(rp_id, {})[rc_id] = change
    for rp_id, by_class in changes.items():  # one UPDATE per provider
        values: dict[str, Any] = {"provider": rp_id, "classes": sorted(by_class)}
        for n, (rc_id, change) in enumerate(by_class.items()):
            values[f"class_{n}"], values[f"change_{n}"] = rc_id, change
        shape = len(by_class)
        result = conn.execute(statements.cached(("inventory change", shape),
                                                functools.partial(_change_statement, shape)),
                              values)
        if result.rowcount != len(by_class):  # the rows are locked: cannot happen
            raise exc.ConcurrentUpdateDetected()


def _locking_statement() -> sa.Executable:
    """The inventories of some providers and classes, locked in a fixed order
    (no deadlocks between concurrent writers; SQLite serialises writers)."""
    return (sa.select(INV).where(
        INV.c.resource_provider_id.in_(sa.bindparam("providers", expanding=True)),
        INV.c.resource_class_id.in_(sa.bindparam("classes", expanding=True)))
        .order_by(INV.c.resource_provider_id, INV.c.resource_class_id).with_for_update())


def _change_statement(classes: int) -> sa.Executable:
    """Move `used` of `classes` inventories of one provider by their change."""
    def change(n: int) -> sa.BindParameter[int]:
        return sa.bindparam(f"change_{n}", type_=sa.Integer)

    amount: sa.ColumnElement[int] = (change(0) if classes == 1 else sa.case(
        *((INV.c.resource_class_id == sa.bindparam(f"class_{n}", type_=sa.Integer), change(n))
          for n in range(classes))))
    return sa.update(INV).where(
        INV.c.resource_provider_id == sa.bindparam("provider", type_=sa.Integer),
        INV.c.resource_class_id.in_(sa.bindparam("classes", expanding=True))
    ).values(used=INV.c.used + amount)


def delete_for_consumer(conn: Connection, uuid: str) -> bool:
    """Remove every allocation of a consumer, and the consumer; False if it had none."""
    consumer = consumer_db.get_many(conn, [uuid]).get(uuid)
    if consumer is None:
        return False
    rows = conn.execute(sa.select(ALLOC.c.resource_provider_id, ALLOC.c.resource_class_id,
                                  sa.func.sum(ALLOC.c.used).label("used"))
                        .where(ALLOC.c.consumer_id == consumer.id)
                        .group_by(ALLOC.c.resource_provider_id, ALLOC.c.resource_class_id)).all()
    if not rows:
        return False
    for row in sorted(rows, key=lambda r: (r.resource_provider_id, r.resource_class_id)):
        conn.execute(sa.update(INV).where(INV.c.resource_provider_id == row.resource_provider_id,
                                          INV.c.resource_class_id == row.resource_class_id)
                     .values(used=INV.c.used - row.used))
    conn.execute(sa.delete(ALLOC).where(ALLOC.c.consumer_id == consumer.id))
    consumer_db.delete_if_unused(conn, [consumer.id])
    return True
