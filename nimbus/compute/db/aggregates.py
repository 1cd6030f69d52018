"""Host aggregates in the API database: groups of hosts with metadata
(availability zones among them)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from nimbus.compute.db.models import aggregate_hosts, aggregate_metadata, aggregates


def host_aggregates(conn: Connection, hosts: Iterable[str] | None = None
                    ) -> dict[str, list[dict[str, Any]]]:
    """host -> its aggregates ({"uuid", "name", "metadata"}); every host when
    `hosts` is None."""
    query = sa.select(aggregate_hosts.c.host, aggregates.c.id, aggregates.c.uuid,
                      aggregates.c.name).join(
        aggregates, aggregates.c.id == aggregate_hosts.c.aggregate_id)
    if hosts is not None:
        query = query.where(aggregate_hosts.c.host.in_(list(hosts)))
    rows = conn.execute(query).all()
    meta: dict[int, dict[str, str]] = defaultdict(dict)
    ids = {r.id for r in rows}
    if ids:
        for agg_id, key, value in conn.execute(
                sa.select(aggregate_metadata.c.aggregate_id, aggregate_metadata.c.key,
                          aggregate_metadata.c.value)
                .where(aggregate_metadata.c.aggregate_id.in_(ids))):
            meta[agg_id][key] = value
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        found[row.host].append({"uuid": row.uuid, "name": row.name,
                                "metadata": dict(meta[row.id])})
    return dict(found)


def availability_zone_aggregates(conn: Connection, zone: str) -> list[str]:
    """Uuids of the aggregates whose availability_zone is `zone`."""
    rows = conn.execute(sa.select(aggregates.c.uuid).join(
        aggregate_metadata, aggregate_metadata.c.aggregate_id == aggregates.c.id)
        .where(aggregate_metadata.c.key == "availability_zone",
               aggregate_metadata.c.value == zone))
    return [r[0] for r in rows]


def host_availability_zone(conn: Connection, host: str, default: str) -> str:
    """The zone of `host`: its aggregates' availability_zone (several: sorted,
    comma-joined, as Nova shows them) or the default zone."""
    zones = sorted({agg["metadata"]["availability_zone"]
                    for agg in host_aggregates(conn, [host]).get(host, [])
                    if "availability_zone" in agg["metadata"]})
    return ",".join(zones) if zones else default


def tenant_aggregates(conn: Connection, project_id: str, prefix: str) -> list[str]:
    """Uuids of the aggregates with a metadata key starting with `prefix`
    (Nova's filter_tenant_id, filter_tenant_id2...) whose value is `project_id`."""
    rows = conn.execute(sa.select(aggregates.c.uuid).distinct().join(
        aggregate_metadata, aggregate_metadata.c.aggregate_id == aggregates.c.id)
        .where(aggregate_metadata.c.key.startswith(prefix, autoescape=True),
               aggregate_metadata.c.value == project_id))
    return sorted(r[0] for r in rows)
