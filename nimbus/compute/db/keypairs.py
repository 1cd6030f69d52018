"""Queries of key pairs: each belongs to a user and is named uniquely for that user."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from nimbus.common.db import DuplicateEntry
from nimbus.common.db.pagination import paginate
from nimbus.common.db.types import utcnow
from nimbus.compute import exceptions as exc
from nimbus.compute.db.models import key_pairs


@dataclass(frozen=True, slots=True)
class KeyPair:
    id: int
    user_id: str
    name: str
    fingerprint: str
    public_key: str
    type: str
    created_at: datetime.datetime
    updated_at: datetime.datetime | None


def _build(row: sa.Row[tuple[object, ...]]) -> KeyPair:
    m = row._mapping
    return KeyPair(id=m["id"], user_id=m["user_id"], name=m["name"],
                   fingerprint=m["fingerprint"] or "", public_key=m["public_key"] or "",
                   type=m["type"], created_at=m["created_at"], updated_at=m["updated_at"])


def create(conn: Connection, *, user_id: str, name: str, fingerprint: str, public_key: str,
           key_type: str) -> KeyPair:
    """:raises KeyPairExists:"""
    values = {"user_id": user_id, "name": name, "fingerprint": fingerprint,
              "public_key": public_key, "type": key_type, "created_at": utcnow()}
    if conn.execute(sa.select(key_pairs.c.id).where(
            key_pairs.c.user_id == user_id, key_pairs.c.name == name)).first() is not None:
        raise exc.KeyPairExists(key_name=name)
    try:
        inserted = conn.execute(sa.insert(key_pairs).values(**values))
        pk = inserted.inserted_primary_key[0]  # type: ignore[index]
    except DuplicateEntry:
        raise exc.KeyPairExists(key_name=name) from None
    return _build(conn.execute(sa.select(key_pairs).where(key_pairs.c.id == pk)).one())


def get(conn: Connection, user_id: str, name: str) -> KeyPair:
    """:raises KeypairNotFound:"""
    row = conn.execute(sa.select(key_pairs).where(key_pairs.c.user_id == user_id,
                                                  key_pairs.c.name == name)).first()
    if row is None:
        raise exc.KeypairNotFound(user_id=user_id, name=name)
    return _build(row)


def list_keypairs(conn: Connection, user_id: str, *, limit: int | None = None,
                  marker: str | None = None) -> list[KeyPair]:
    """A user's key pairs by name, after the one named `marker`.

    :raises MarkerNotFound:
    """
    query = sa.select(key_pairs).where(key_pairs.c.user_id == user_id)
    marker_values = None
    if marker is not None:
        row = conn.execute(sa.select(key_pairs.c.name, key_pairs.c.id).where(
            key_pairs.c.user_id == user_id, key_pairs.c.name == marker)).first()
        if row is None:
            raise exc.MarkerNotFound(marker=marker)
        marker_values = (row[0], row[1])
    sort = [(key_pairs.c.name, "asc"), (key_pairs.c.id, "asc")]
    return [_build(r) for r in conn.execute(paginate(query, sort, limit, marker_values))]


def count(conn: Connection, user_id: str) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(key_pairs).where(
        key_pairs.c.user_id == user_id)).scalar_one())


def delete(conn: Connection, user_id: str, name: str) -> None:
    """:raises KeypairNotFound:"""
    result = conn.execute(sa.delete(key_pairs).where(key_pairs.c.user_id == user_id,
                                                     key_pairs.c.name == name))
    if result.rowcount == 0:
        raise exc.KeypairNotFound(user_id=user_id, name=name)
