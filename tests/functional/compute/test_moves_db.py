"""The moves' queries on every backend: migration records (filters, newest
first with keyset paging across equal timestamps, status changes guarded by
the status expected) and the resize quota check in the API database."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from nimbus.common import config
from nimbus.common.db import create_engine
from nimbus.common.db.engine import Database
from nimbus.common.db.migration import sync
from nimbus.compute import exceptions as exc
from nimbus.compute import quotas
from nimbus.compute.db import SCHEMA as API_SCHEMA
from nimbus.compute.db import mappings
from nimbus.compute.db.cell import SCHEMA as CELL_SCHEMA
from nimbus.compute.db.cell import moves
from nimbus.compute.db.cell.models import migrations
from tests.support.backends import fresh_database

T0 = datetime.datetime(2026, 1, 1, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def cell_db(backend: str, tmp_path: object) -> Iterator[Database]:
    with fresh_database(backend, str(tmp_path), "cell") as url:
        db = Database("cell", create_engine(url))
        sync(db, CELL_SCHEMA)
        yield db
        db.dispose()


@pytest.fixture
def api_db(backend: str, tmp_path: object) -> Iterator[Database]:
    with fresh_database(backend, str(tmp_path), "api") as url:
        db = Database("api", create_engine(url))
        sync(db, API_SCHEMA)
        yield db
        db.dispose()


def _migration(conn: sa.Connection, created: datetime.datetime,
               **values: object) -> moves.MigrationRecord:
    row = {"instance_uuid": str(uuid.uuid4()), "source_compute": "host-1",
           "dest_compute": "host-2", "status": "finished", "migration_type": "resize",
           **values}
    record = moves.create(conn, row)
    conn.execute(sa.update(migrations).where(migrations.c.id == record.id)
                 .values(created_at=created, updated_at=created))
    return moves.get(conn, record.id)


def test_filters_order_and_paging(cell_db: Database) -> None:
    with cell_db.writer() as conn:
        older = _migration(conn, T0, status="confirmed")
        # Three made in the same instant: the id breaks the tie.
        same = [_migration(conn, T0 + datetime.timedelta(minutes=1), user_id=f"u{i}")
                for i in range(3)]
        live = _migration(conn, T0 + datetime.timedelta(minutes=2), status="running",
                          migration_type="live-migration", source_compute="host-3",
                          dest_compute="host-1")
    with cell_db.reader() as conn:
        everything = moves.list_migrations(conn, moves.Filters())
        assert [m.id for m in everything] == [live.id, *[m.id for m in reversed(same)],
                                              older.id]
        pages, after = [], None
        while True:
            page = moves.list_migrations(conn, moves.Filters(), limit=2, after=after)
            if not page:
                break
            pages.append([m.id for m in page])
            after = moves.marker_key(conn, page[-1].uuid)
        assert sum(pages, []) == [m.id for m in everything]
        assert all(len(p) <= 2 for p in pages)
        assert moves.marker_key(conn, str(uuid.uuid4())) is None

        def ids(**filters: object) -> list[int]:
            return [m.id for m in moves.list_migrations(conn, moves.Filters(**filters))]

        assert ids(host="host-3") == [live.id]
        assert set(ids(host="host-1")) == {m.id for m in everything}
        assert ids(source_compute="host-3") == [live.id]
        assert ids(status=["confirmed", "running"]) == [live.id, older.id]
        assert ids(migration_type="live-migration") == [live.id]
        assert ids(user_id="u1") == [same[1].id]
        assert ids(instance_uuid=older.instance_uuid) == [older.id]
        assert ids(changes_since=T0 + datetime.timedelta(seconds=30)) == [
            live.id, *[m.id for m in reversed(same)]]
        assert ids(changes_before=T0 + datetime.timedelta(seconds=30)) == [older.id]
        assert [m.id for m in moves.in_progress(conn, live.instance_uuid)] == [live.id]
        assert moves.in_progress(conn, older.instance_uuid) == []
        waiting = moves.unconfirmed(conn, T0 + datetime.timedelta(days=1))
        assert [m.id for m in waiting] == [m.id for m in same]


def test_status_changes_are_guarded(cell_db: Database) -> None:
    with cell_db.writer() as conn:
        record = _migration(conn, T0)
        first = _migration(conn, T0, instance_uuid=record.instance_uuid, status="error")
        changed = moves.update(conn, record.id, {"status": "confirming", "dest_host": "ip"},
                               expected_status=["finished"])
        assert (changed.status, changed.dest_host) == ("confirming", "ip")
        with pytest.raises(exc.InvalidMigrationState):
            moves.update(conn, record.id, {"status": "confirming"},
                         expected_status=["finished"])
        with pytest.raises(exc.MigrationNotFound):
            moves.update(conn, 999999, {"status": "error"})
        assert moves.by_instance_and_status(conn, record.instance_uuid, "error").id == first.id
        with pytest.raises(exc.MigrationNotFoundByStatus):
            moves.by_instance_and_status(conn, record.instance_uuid, "finished")
        with pytest.raises(exc.MigrationNotFoundForInstance):
            moves.get_for_instance(conn, record.id, str(uuid.uuid4()))
        assert moves.get_by_uuid(conn, record.uuid).id == record.id


def test_resize_quota(api_db: Database) -> None:
    conf = config.make_conf()
    project, user = "p-1", "u-1"
    with api_db.writer() as conn:
        mappings.create_instance_mapping(conn, "i-1", project, user, 2, 512)
        mappings.create_instance_mapping(conn, "i-2", project, user, 2, 512)
        quotas.set_limits(conn, project, None, {"cores": 6, "ram": 2048})
    # Growing by 2 cores fits (4 + 2 <= 6) and is counted from now on...
    quotas.check_resize(conf, api_db, project, user, "i-1", 4, 256)
    with api_db.reader() as conn:
        assert mappings.instance_size(conn, "i-1") == {"cores": 4, "ram": 512}
        assert quotas.usage(conn, project)["cores"] == 6
    # ...so the other cannot grow too.
    with pytest.raises(exc.QuotaExceeded, match="Requested 1, but already used 6 of 6 cores"):
        quotas.check_resize(conf, api_db, project, user, "i-2", 3, 512)
    quotas.check_resize(conf, api_db, project, user, "i-2", 1, 2048 - 512)  # more RAM fits
    with api_db.reader() as conn:
        assert mappings.instance_size(conn, "i-2") == {"cores": 2, "ram": 1536}
    with pytest.raises(exc.InstanceMappingNotFound):
        quotas.check_resize(conf, api_db, project, user, "nope", 1, 1)

