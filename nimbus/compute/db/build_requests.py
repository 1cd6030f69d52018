"""Build requests and request specs: a server between the API and its cell.

A build request holds the instance the API made until the conductor
creates it in a cell (then it is deleted); the request spec stays for the
instance's life, for moves and reschedules.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from nimbus.common.db.types import utcnow
from nimbus.compute import exceptions as exc
from nimbus.compute.db.models import build_requests, request_specs


def create(conn: Connection, instance: dict[str, Any], spec: dict[str, Any],
           block_device_mappings: list[dict[str, Any]], tags: list[str]) -> None:
    now = utcnow()
    uuid = instance["uuid"]
    conn.execute(sa.insert(build_requests).values(
        instance_uuid=uuid, project_id=instance["project_id"],
        instance=orjson.dumps(instance).decode(),
        block_device_mappings=orjson.dumps(block_device_mappings).decode(),
        tags=orjson.dumps(tags).decode(), created_at=now))
    conn.execute(sa.insert(request_specs).values(
        instance_uuid=uuid, spec=orjson.dumps(spec).decode(), created_at=now))


def get(conn: Connection, instance_uuid: str) -> dict[str, Any]:
    """The build request: {"instance", "block_device_mappings", "tags", "created_at"}.

    :raises BuildRequestNotFound:
    """
    found = get_many(conn, [instance_uuid])
    if not found:
        raise exc.BuildRequestNotFound(uuid=instance_uuid)
    return found[0]


def get_many(conn: Connection, instance_uuids: Iterable[str] | None = None,
             project_id: str | None = None) -> list[dict[str, Any]]:
    query = sa.select(build_requests)
    if instance_uuids is not None:
        query = query.where(build_requests.c.instance_uuid.in_(list(instance_uuids)))
    if project_id is not None:
        query = query.where(build_requests.c.project_id == project_id)
    return [{"instance": orjson.loads(r.instance),
             "block_device_mappings": orjson.loads(r.block_device_mappings or "[]"),
             "tags": orjson.loads(r.tags or "[]"), "created_at": r.created_at}
            for r in conn.execute(query.order_by(build_requests.c.id))]


def update_instance(conn: Connection, instance_uuid: str, instance: dict[str, Any]) -> None:
    """Change the instance a build request will create (a rename while it builds)."""
    conn.execute(sa.update(build_requests).where(build_requests.c.instance_uuid == instance_uuid)
                 .values(instance=orjson.dumps(instance).decode(), updated_at=utcnow()))


def delete(conn: Connection, instance_uuid: str) -> bool:
    """False when it was gone already (the conductor, or a delete, won)."""
    result = conn.execute(sa.delete(build_requests)
                          .where(build_requests.c.instance_uuid == instance_uuid))
    return result.rowcount > 0


def get_spec(conn: Connection, instance_uuid: str) -> dict[str, Any]:
    row = conn.execute(sa.select(request_specs.c.spec)
                       .where(request_specs.c.instance_uuid == instance_uuid)).first()
    if row is None:
        raise exc.RequestSpecNotFound(instance_uuid=instance_uuid)
    spec: dict[str, Any] = orjson.loads(row[0])
    return spec


def save_spec(conn: Connection, instance_uuid: str, spec: dict[str, Any]) -> None:
    conn.execute(sa.update(request_specs).where(request_specs.c.instance_uuid == instance_uuid)
                 .values(spec=orjson.dumps(spec).decode(), updated_at=utcnow()))


def delete_spec(conn: Connection, instance_uuid: str) -> None:
    conn.execute(sa.delete(request_specs).where(request_specs.c.instance_uuid == instance_uuid))
