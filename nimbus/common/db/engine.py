"""Engines and transactions for one database: SQLite, PostgreSQL or MySQL."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterator

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

LOG = logging.getLogger(__name__)


class DBError(Exception):
    """A database failure the API reports as a conflict or retries."""


class DuplicateEntry(DBError):
    """An insert or update broke a unique constraint."""


class ReferenceMissing(DBError):
    """An insert or update named a row that does not exist."""


def _sqlite_setup(engine: Engine, busy_timeout: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        # Let SQLAlchemy's "begin" event issue BEGIN itself so writers can ask
        # for BEGIN IMMEDIATE: a deferred transaction that later upgrades its
        # read lock to a write lock fails at once with "database is locked"
        # instead of waiting for busy_timeout.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {int(busy_timeout)}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def create_engine(
    url: str,
    *,
    pool_size: int = 5,
    max_overflow: int = 50,
    pool_timeout: int = 30,
    pool_recycle: int = 3600,
    busy_timeout: int = 30000,
) -> Engine:
    """An engine tuned for the backend `url` names."""
    parsed = sa.engine.make_url(url)
    backend = parsed.get_backend_name()
    kwargs: dict[str, object] = {"future": True}
    if backend == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(database)), exist_ok=True)
        kwargs["pool_size"] = pool_size
        kwargs["max_overflow"] = max_overflow
        kwargs["pool_timeout"] = pool_timeout
        kwargs["connect_args"] = {"check_same_thread": False}
    else:
        if backend == "postgresql" and parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        elif backend == "mysql" and parsed.drivername == "mysql":
            parsed = parsed.set(drivername="mysql+pymysql")
        if backend == "mysql":
            parsed = parsed.update_query_dict({"charset": "utf8mb4"})
            # READ COMMITTED: a consistent snapshot per statement, like
            # PostgreSQL's default, and fewer gap locks on inserts.
            kwargs["isolation_level"] = "READ COMMITTED"
        kwargs["pool_size"] = pool_size
        kwargs["max_overflow"] = max_overflow
        kwargs["pool_timeout"] = pool_timeout
        kwargs["pool_recycle"] = pool_recycle
        kwargs["pool_pre_ping"] = True
    engine = sa.create_engine(parsed, **kwargs)
    if backend == "sqlite":
        _sqlite_setup(engine, busy_timeout)

    @event.listens_for(engine, "handle_error")
    def _translate(context):  # type: ignore[no-untyped-def]
        # Raised at the failing statement, so the data layer can catch
        # DuplicateEntry where it knows what was duplicated.
        if isinstance(context.sqlalchemy_exception, sa.exc.IntegrityError):
            raise translate_integrity_error(context.sqlalchemy_exception) from (
                context.original_exception
            )

    return engine


class Database:
    """One database: its engine and the two kinds of transaction.

    ``reader()`` yields a connection in a read transaction; ``writer()`` one
    in a write transaction that commits on success and rolls back on error.
    Integrity errors come out of the failing statement as DuplicateEntry or
    ReferenceMissing, so that callers need not know the backend.
    """

    def __init__(self, name: str, engine: Engine):
        self.name = name
        self.engine = engine
        self.backend = engine.dialect.name
        self._write_engine: Engine
        if self.backend == "sqlite":
            self._write_engine = engine.execution_options(sqlite_begin="IMMEDIATE")
        else:
            self._write_engine = engine

    @contextlib.contextmanager
    def reader(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            with conn.begin():
                yield conn

    @contextlib.contextmanager
    def writer(self) -> Iterator[Connection]:
        """A write transaction. Callables added with ``after_commit(conn, fn)``
        run once it has committed (cache invalidation, notifications)."""
        hooks: list[Callable[[], None]] = []
        with self._write_engine.begin() as conn:
            try:
                yield conn
            finally:
                # Popped on failure too: conn.info outlives the checkout.
                hooks = conn.info.pop(_AFTER_COMMIT, [])
        for hook in hooks:
            hook()

    def dispose(self) -> None:
        self.engine.dispose()


_AFTER_COMMIT = "nimbus.after_commit"


def after_commit(conn: Connection, hook: Callable[[], None]) -> None:
    """Run `hook` after the writer transaction of `conn` commits."""
    hooks = conn.info.setdefault(_AFTER_COMMIT, [])
    if hook not in hooks:
        hooks.append(hook)


def translate_integrity_error(exc: sa.exc.IntegrityError) -> DBError:
    text = str(exc.orig).lower()
    if "foreign key" in text:
        return ReferenceMissing(str(exc.orig))
    if "unique" in text or "duplicate" in text:
        return DuplicateEntry(str(exc.orig))
    return DBError(str(exc.orig))
