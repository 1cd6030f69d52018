"""OS-OAUTH1 consumers: an id, a description and the hash of a secret."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from nimbus.identity import exceptions as exc
from nimbus.identity.db.common import new_id, split_extra, update_values
from nimbus.identity.db.models import oauth_consumers

FIELDS = ("id", "description", "secret")


def _consumer(row: Row[Any]) -> dict[str, Any]:
    ref = dict(row.extra or {})
    ref.update(id=row.id, description=row.description)
    return ref


def get(conn: Connection, consumer_id: str) -> dict[str, Any]:
    row = conn.execute(sa.select(oauth_consumers)
                       .where(oauth_consumers.c.id == consumer_id)).first()
    if row is None:
        raise exc.NotFound("consumer", consumer_id)
    return _consumer(row)


def list_consumers(conn: Connection) -> list[dict[str, Any]]:
    return [_consumer(row) for row in
            conn.execute(sa.select(oauth_consumers).order_by(oauth_consumers.c.id))]


def create(conn: Connection, ref: Mapping[str, Any], secret_hash: str) -> dict[str, Any]:
    """A new consumer with a fresh id; an id or secret in `ref` is ignored."""
    base, extra = split_extra(ref, FIELDS)
    consumer_id = new_id()
    conn.execute(sa.insert(oauth_consumers).values(
        id=consumer_id, description=base.get("description"), secret_hash=secret_hash,
        extra=extra))
    return get(conn, consumer_id)


def update(conn: Connection, consumer_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    """Change the description and other attributes; the id and secret stay."""
    current = get(conn, consumer_id)
    values = update_values(current, changes, FIELDS)
    values.pop("secret", None)
    if values:
        conn.execute(sa.update(oauth_consumers).where(oauth_consumers.c.id == consumer_id)
                     .values(**values))
    return get(conn, consumer_id)


def delete(conn: Connection, consumer_id: str) -> None:
    deleted = conn.execute(sa.delete(oauth_consumers)
                           .where(oauth_consumers.c.id == consumer_id)).rowcount
    if not deleted:
        raise exc.NotFound("consumer", consumer_id)


def secret_hash(conn: Connection, consumer_id: str) -> str | None:
    """The stored hash of the consumer's secret, for checking a secret later."""
    return conn.execute(sa.select(oauth_consumers.c.secret_hash)
                        .where(oauth_consumers.c.id == consumer_id)).scalar()
