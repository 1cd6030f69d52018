"""Schema migrations on every backend: idempotent, in expand and contract steps,
and matching the models."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from nimbus.common.db import create_engine
from nimbus.common.db.engine import Database
from nimbus.common.db.migration import current, newest, sync
from nimbus.deploy import SCHEMAS
from tests.support.backends import fresh_database


@pytest.fixture
def database(backend, tmp_path):
    with fresh_database(backend, str(tmp_path), "mig") as url:
        db = Database("test", create_engine(url))
        yield db
        db.dispose()


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_expand_then_contract_then_again(database, name):
    schema = SCHEMAS[name]
    assert current(database, schema) == {"expand": None, "contract": None}
    sync(database, schema, ("expand",))
    state = current(database, schema)
    assert state["expand"] == newest(schema)["expand"] and state["contract"] is None
    sync(database, schema)
    assert current(database, schema) == newest(schema)
    sync(database, schema)  # idempotent
    assert current(database, schema) == newest(schema)


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_migrations_match_the_models(database, name):
    schema = SCHEMAS[name]
    sync(database, schema)
    with database.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={
            "compare_type": False, "version_table": schema.version_table})
        diff = [d for d in compare_metadata(ctx, schema.metadata)
                if not (d[0] == "remove_table" and d[1].name == schema.version_table)]
    assert diff == []


def test_sqlite_pragmas(tmp_path):
    db = Database("t", create_engine(f"sqlite:///{tmp_path}/p.sqlite"))
    with db.reader() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    db.dispose()


def test_after_commit_hooks_run_only_on_commit(database):
    ran = []
    from nimbus.common.db import after_commit

    with database.writer() as conn:
        after_commit(conn, lambda: ran.append("ok"))
    assert ran == ["ok"]
    with pytest.raises(RuntimeError):
        with database.writer() as conn:
            after_commit(conn, lambda: ran.append("rolled back"))
            raise RuntimeError("boom")
    assert ran == ["ok"]
    with database.writer() as conn:
        conn.execute(sa.text("SELECT 1"))
    assert ran == ["ok"]
