"""Consumers, and the projects, users and consumer types they belong to."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from nimbus.common.db import DuplicateEntry
from nimbus.common.db.types import utcnow
from nimbus.placement import exceptions as exc
from nimbus.placement.db import statements
from nimbus.placement.db.models import allocations, consumer_types, consumers, projects, users


@dataclass(frozen=True, slots=True)
class Consumer:
    id: int
    uuid: str
    project_id: int
    user_id: int
    project: str  # external ids
    user: str
    consumer_type_id: int | None
    consumer_type: str | None
    generation: int


# Project, user and consumer type ids by name, per database connection
# (Connection.info lives as long as the pooled connection). Rows of these
# tables are never changed or deleted, so a committed id stays true; an id
# this connection inserted itself is never cached, since the transaction
# that made it may still roll back.
_IDS = "nimbus.placement.ids"
_INSERTED = "nimbus.placement.inserted"


def _id_of(conn: Connection, table: sa.Table, column: sa.Column[str], value: str,
           extra: dict[str, object]) -> int:
    """The id of the row of `table` whose `column` is `value`, inserted on
    first sight."""
    key = (table.name, value)
    cache: dict[tuple[str, str], int] = conn.info.setdefault(_IDS, {})
    if key in cache:
        return cache[key]
    found = conn.execute(sa.select(table.c.id).where(column == value)).scalar()
    inserted: set[tuple[str, str]] = conn.info.setdefault(_INSERTED, set())
    if found is not None:
        if key not in inserted:
            cache[key] = int(found)
        return int(found)
    inserted.add(key)
    try:
        with conn.begin_nested():
            result = conn.execute(sa.insert(table).values({column.name: value, **extra}))
        return int(result.inserted_primary_key[0])  # type: ignore[index]
    except DuplicateEntry:  # another request inserted it first
        return int(conn.execute(sa.select(table.c.id).where(column == value)).scalar_one())


def project_id(conn: Connection, external_id: str) -> int:
    return _id_of(conn, projects, projects.c.external_id, external_id, {})


def user_id(conn: Connection, external_id: str) -> int:
    return _id_of(conn, users, users.c.external_id, external_id, {})


def consumer_type_id(conn: Connection, name: str) -> int:
    return _id_of(conn, consumer_types, consumer_types.c.name, name, {"created_at": utcnow()})


_P = projects.alias("p")
_U = users.alias("u")
_T = consumer_types.alias("t")


def select_many() -> sa.Select[Any]:
    """Consumers: (id, uuid, generation, project id, user id, consumer type
    id, project, user, consumer type), for `from_row`; the caller says which."""
    return (sa.select(consumers.c.id, consumers.c.uuid, consumers.c.generation,
                      consumers.c.project_id, consumers.c.user_id, consumers.c.consumer_type_id,
                      _P.c.external_id, _U.c.external_id, _T.c.name)
            .select_from(consumers.join(_P, _P.c.id == consumers.c.project_id)
                         .join(_U, _U.c.id == consumers.c.user_id)
                         .outerjoin(_T, _T.c.id == consumers.c.consumer_type_id)))


def from_row(row: Sequence[Any]) -> Consumer:
    """A consumer from a row of `select_many`'s columns (after any leading ones)."""
    return Consumer(row[0], row[1], row[3], row[4], row[6], row[7], row[5], row[8], row[2])


def get_many(conn: Connection, uuids: Iterable[str]) -> dict[str, Consumer]:
    wanted = sorted(set(uuids))
    if not wanted:
        return {}
    return {row[1]: from_row(row)
            for row in conn.execute(select_many().where(consumers.c.uuid.in_(wanted)))}


def create(conn: Connection, uuid: str, project: tuple[int, str], user: tuple[int, str],
           consumer_type: tuple[int, str] | None, generation: int = 0) -> Consumer:
    """A new consumer of (id, external id) `project` and `user`.

    :raises ConcurrentUpdateDetected: another request created it just now
        (the transaction cannot go on: the caller gives up on it).
    """
    now = utcnow()
    type_id, type_name = consumer_type if consumer_type else (None, None)
    try:
        result = conn.execute(statements.cached(("consumer create",),
                                                lambda: sa.insert(consumers)), {
            "uuid": uuid, "project_id": project[0], "user_id": user[0],
            "consumer_type_id": type_id, "generation": generation, "created_at": now,
            "updated_at": now})
    except DuplicateEntry:
        raise exc.ConcurrentUpdateDetected() from None
    return Consumer(int(result.inserted_primary_key[0]), uuid,  # type: ignore[index]
                    project[0], user[0], project[1], user[1], type_id, type_name, generation)


def update_attributes(conn: Connection, consumer: Consumer, project: int, user: int,
                      type_id: int | None) -> None:
    """Record a changed project, user or type (the generation moves elsewhere)."""
    values: dict[str, object] = {}
    if (project, user) != (consumer.project_id, consumer.user_id):
        values.update(project_id=project, user_id=user)
    if type_id is not None and type_id != consumer.consumer_type_id:
        values["consumer_type_id"] = type_id
    if values:
        conn.execute(sa.update(consumers).where(consumers.c.id == consumer.id)
                     .values(updated_at=utcnow(), **values))


def bump_generation(conn: Connection, consumer: Consumer) -> None:
    result = conn.execute(
        sa.update(consumers)
        .where(consumers.c.id == consumer.id, consumers.c.generation == consumer.generation)
        .values(generation=consumers.c.generation + 1, updated_at=utcnow()))
    if result.rowcount != 1:
        raise exc.ConcurrentUpdateDetected()


def delete_if_unused(conn: Connection, consumer_ids: Iterable[int]) -> None:
    """Consumers left without allocations go (upstream does the same)."""
    wanted = sorted(set(consumer_ids))
    if not wanted:
        return
    used = sa.select(allocations.c.consumer_id).where(allocations.c.consumer_id.in_(wanted))
    conn.execute(sa.delete(consumers).where(consumers.c.id.in_(wanted),
                                            consumers.c.id.not_in(used)))
