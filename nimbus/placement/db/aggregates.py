"""Aggregates of resource providers (placement only knows their uuids)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from nimbus.common.db import DuplicateEntry
from nimbus.placement.db.models import placement_aggregates as AGGS
from nimbus.placement.db.models import resource_provider_aggregates as RP_AGGS

LOG = logging.getLogger(__name__)


def of_provider(conn: Connection, rp_id: int) -> list[str]:
    return sorted(r.uuid for r in conn.execute(
        sa.select(AGGS.c.uuid).join(RP_AGGS, RP_AGGS.c.aggregate_id == AGGS.c.id)
        .where(RP_AGGS.c.resource_provider_id == rp_id)))


def of_providers(conn: Connection, rp_ids: Iterable[int]) -> dict[int, set[str]]:
    wanted = sorted(set(rp_ids))
    result: dict[int, set[str]] = {i: set() for i in wanted}
    if not wanted:
        return result
    for row in conn.execute(sa.select(RP_AGGS.c.resource_provider_id, AGGS.c.uuid)
                            .join(AGGS, AGGS.c.id == RP_AGGS.c.aggregate_id)
                            .where(RP_AGGS.c.resource_provider_id.in_(wanted))):
        result[row.resource_provider_id].add(row.uuid)
    return result


def _ensure(conn: Connection, uuids: list[str]) -> dict[str, int]:
    """Ids of the aggregates, creating the missing ones."""
    if not uuids:
        return {}
    found = {r.uuid: r.id for r in conn.execute(
        sa.select(AGGS.c.uuid, AGGS.c.id).where(AGGS.c.uuid.in_(uuids)))}
    for uuid in uuids:
        if uuid not in found:
            try:
                with conn.begin_nested():
                    conn.execute(sa.insert(AGGS).values(uuid=uuid))
            except DuplicateEntry:
                LOG.debug("Aggregate %s was created by a concurrent request", uuid)
            found[uuid] = conn.execute(sa.select(AGGS.c.id).where(AGGS.c.uuid == uuid)).scalar_one()
    return found


def set_for_provider(conn: Connection, rp_id: int, uuids: Iterable[str]) -> None:
    """Replace the aggregates of a provider (the caller bumps generations)."""
    agg_ids = _ensure(conn, sorted(set(uuids)))
    conn.execute(sa.delete(RP_AGGS).where(RP_AGGS.c.resource_provider_id == rp_id))
    if agg_ids:
        conn.execute(sa.insert(RP_AGGS), [{"resource_provider_id": rp_id, "aggregate_id": a}
                                          for a in agg_ids.values()])
