"""Queries of the data path: status transitions, locations, staged data."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from nimbus.common.db.types import utcnow
from nimbus.image.db.models import image_locations, image_properties, image_staging, images


def transition(conn: Connection, image_id: str, from_statuses: Iterable[str], to_status: str,
               **columns: Any) -> bool:
    """Move a live image from one of `from_statuses` to `to_status`, setting
    `columns` too; False when it was in none of them (another request moved
    it first, or it was deleted). The compare-and-set is what keeps two
    uploads to one image from both proceeding."""
    result = conn.execute(
        sa.update(images)
        .where(images.c.id == image_id, images.c.deleted.is_(False),
               images.c.status.in_(list(from_statuses)))
        .values(status=to_status, updated_at=utcnow(), **columns))
    return result.rowcount == 1


def status(conn: Connection, image_id: str) -> str | None:
    """The status of a live image, or None."""
    return conn.execute(
        sa.select(images.c.status)
        .where(images.c.id == image_id, images.c.deleted.is_(False))).scalar()


def locations(conn: Connection, image_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        sa.select(image_locations.c.store, image_locations.c.url, image_locations.c.status)
        .where(image_locations.c.image_id == image_id)
        .order_by(image_locations.c.created_at, image_locations.c.store))
    return [dict(row._mapping) for row in rows]


def add_location(conn: Connection, image_id: str, store: str, url: str) -> None:
    conn.execute(sa.insert(image_locations).values(
        image_id=image_id, store=store, url=url, status="active", created_at=utcnow()))


def remove_location(conn: Connection, image_id: str, store: str) -> None:
    conn.execute(sa.delete(image_locations).where(
        image_locations.c.image_id == image_id, image_locations.c.store == store))


def staging(conn: Connection, image_id: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(image_staging).where(image_staging.c.image_id == image_id))
    found = row.first()
    return dict(found._mapping) if found else None


def set_staging(conn: Connection, image_id: str, owner: str | None, url: str, size: int) -> None:
    conn.execute(sa.delete(image_staging).where(image_staging.c.image_id == image_id))
    conn.execute(sa.insert(image_staging).values(
        image_id=image_id, owner=owner, url=url, size=size, created_at=utcnow()))


def clear_staging(conn: Connection, image_id: str) -> None:
    conn.execute(sa.delete(image_staging).where(image_staging.c.image_id == image_id))


def set_property(conn: Connection, image_id: str, name: str, value: str | None) -> None:
    """Set (or with None remove) one property the service keeps (os_glance_*)."""
    conn.execute(sa.delete(image_properties).where(
        image_properties.c.image_id == image_id, image_properties.c.name == name))
    if value is not None:
        conn.execute(sa.insert(image_properties).values(image_id=image_id, name=name,
                                                        value=value))


def get_property(conn: Connection, image_id: str, name: str) -> str | None:
    return conn.execute(
        sa.select(image_properties.c.value).where(
            image_properties.c.image_id == image_id, image_properties.c.name == name)).scalar()
