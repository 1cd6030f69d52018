"""Reshaping: moving inventories and the allocations against them at once,
as when a compute node's VCPU moves to new NUMA-node children."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy.engine import Connection

from nimbus.placement.db import allocations, inventories, providers
from nimbus.placement.db.allocations import ConsumerRequest
from nimbus.placement.db.inventories import Inventory


def reshape(conn: Connection, new_inventories: Mapping[str, list[Inventory]],
            requests: Sequence[ConsumerRequest]) -> None:
    """Give each provider of `new_inventories` its new whole inventory and
    each consumer of `requests` its new allocations, in one transaction.

    The providers first get the union of their old and new inventories, so
    that the allocations can move onto the new ones before the old go.

    :raises: what allocations.replace and inventories.replace_all raise,
        InvalidInventoryCapacity.
    """
    for uuid, invs in new_inventories.items():
        rp = providers.get(conn, uuid)
        inventories.check_capacity(invs, rp, reserved_can_be_total=True)
        if invs:
            merged = inventories.of_provider(conn, rp)
            merged.update((inv.resource_class, inv) for inv in invs)
            inventories.replace_all(conn, rp, list(merged.values()))
    allocations.replace(conn, requests, check_generation=True)
    for uuid, invs in new_inventories.items():
        inventories.replace_all(conn, providers.get(conn, uuid), invs)
