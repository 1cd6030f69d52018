"""Inventories of resource providers (with the usage kept beside them)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from nimbus.common.db.types import utcnow
from nimbus.placement import exceptions as exc
from nimbus.placement.db import providers, resource_classes
from nimbus.placement.db.models import allocations, inventories
from nimbus.placement.db.providers import Provider

INV = inventories
MAX_INT = 2147483647
FIELDS = ("total", "reserved", "min_unit", "max_unit", "step_size", "allocation_ratio")
DEFAULTS: dict[str, Any] = {"reserved": 0, "min_unit": 1, "max_unit": MAX_INT,
                            "step_size": 1, "allocation_ratio": 1.0}


@dataclass(frozen=True, slots=True)
class Inventory:
    resource_class: str
    total: int
    reserved: int
    min_unit: int
    max_unit: int
    step_size: int
    allocation_ratio: float
    used: int = 0
    created_at: datetime.datetime | None = None
    updated_at: datetime.datetime | None = None

    @property
    def capacity(self) -> int:
        return int((self.total - self.reserved) * self.allocation_ratio)

    def fields(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in FIELDS}


def make(resource_class: str, data: Mapping[str, Any]) -> Inventory:
    values = dict(DEFAULTS)
    values.update({k: v for k, v in data.items() if k in FIELDS})
    return Inventory(resource_class=resource_class, **values)


def of_provider(conn: Connection, rp: Provider) -> dict[str, Inventory]:
    rows = conn.execute(sa.select(INV).where(INV.c.resource_provider_id == rp.id)).all()
    names = resource_classes.names(conn, [r.resource_class_id for r in rows])
    return {names[r.resource_class_id]: Inventory(
        names[r.resource_class_id], r.total, r.reserved, r.min_unit, r.max_unit, r.step_size,
        r.allocation_ratio, r.used, r.created_at, r.updated_at) for r in rows}


def check_capacity(invs: list[Inventory], rp: Provider, reserved_can_be_total: bool) -> None:
    """Refuse inventories that leave no capacity (1.26: none below), once
    reserved is taken and the allocation ratio applied, as upstream."""
    for inv in invs:
        capacity = inv.capacity
        if capacity < 0 or (capacity == 0 and not reserved_can_be_total):
            cls = (exc.InvalidInventoryCapacityReservedCanBeTotal if reserved_can_be_total
                   else exc.InvalidInventoryCapacity)
            raise cls(resource_class=inv.resource_class, resource_provider=rp.uuid)


def _in_use(conn: Connection, rp: Provider, rc_ids: list[int]) -> list[int]:
    if not rc_ids:
        return []
    return [r.resource_class_id for r in conn.execute(
        sa.select(allocations.c.resource_class_id).distinct().where(
            allocations.c.resource_provider_id == rp.id,
            allocations.c.resource_class_id.in_(rc_ids)))]


def _delete(conn: Connection, rp: Provider, rc_ids: list[int]) -> int:
    used = _in_use(conn, rp, rc_ids)
    if used:
        names = resource_classes.names(conn, used)
        raise exc.InventoryInUse(resource_classes=", ".join(names[i] for i in used),
                                 resource_provider=rp.uuid)
    if not rc_ids:
        return 0
    return int(conn.execute(sa.delete(INV).where(
        INV.c.resource_provider_id == rp.id, INV.c.resource_class_id.in_(rc_ids))).rowcount)


def _insert(conn: Connection, rp: Provider, rc_id: int, inv: Inventory) -> None:
    now = utcnow()
    conn.execute(sa.insert(INV).values(resource_provider_id=rp.id, resource_class_id=rc_id,
                                       used=0, created_at=now, updated_at=now, **inv.fields()))


def _update(conn: Connection, rp: Provider, rc_id: int, inv: Inventory) -> None:
    result = conn.execute(sa.update(INV).where(
        INV.c.resource_provider_id == rp.id, INV.c.resource_class_id == rc_id)
        .values(updated_at=utcnow(), **inv.fields()))
    if not result.rowcount:
        raise exc.InventoryWithResourceClassNotFound(resource_class=inv.resource_class)


def replace_all(conn: Connection, rp: Provider, invs: list[Inventory]) -> int:
    """Make `invs` the provider's whole inventory; bumps the generation.

    :raises ResourceClassNotFound, InventoryInUse,
        ResourceProviderConcurrentUpdateDetected:
    """
    rc_ids = resource_classes.ids(conn, [i.resource_class for i in invs])
    existing = {r.resource_class_id for r in conn.execute(
        sa.select(INV.c.resource_class_id).where(INV.c.resource_provider_id == rp.id))}
    wanted = {rc_ids[i.resource_class]: i for i in invs}
    _delete(conn, rp, sorted(existing - set(wanted)))
    for rc_id, inv in wanted.items():
        if rc_id in existing:
            _update(conn, rp, rc_id, inv)
        else:
            _insert(conn, rp, rc_id, inv)
    return providers.bump_generation(conn, rp)


def add(conn: Connection, rp: Provider, inv: Inventory) -> int:
    """:raises ResourceClassNotFound, DuplicateEntry, ConcurrentUpdate:"""
    rc_id = resource_classes.ids(conn, [inv.resource_class])[inv.resource_class]
    _insert(conn, rp, rc_id, inv)
    return providers.bump_generation(conn, rp)


def update(conn: Connection, rp: Provider, inv: Inventory) -> int:
    """:raises ResourceClassNotFound, InventoryWithResourceClassNotFound:"""
    rc_id = resource_classes.ids(conn, [inv.resource_class])[inv.resource_class]
    _update(conn, rp, rc_id, inv)
    return providers.bump_generation(conn, rp)


def delete(conn: Connection, rp: Provider, resource_class: str) -> int:
    """:raises ResourceClassNotFound, NotFound, InventoryInUse:"""
    rc_id = resource_classes.ids(conn, [resource_class])[resource_class]
    if not _delete(conn, rp, [rc_id]):
        raise exc.InventoryNotFoundForDelete(resource_class=resource_class)
    return providers.bump_generation(conn, rp)

