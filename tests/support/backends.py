"""The database backends tests run on, and a fresh database on each."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

BACKENDS = ("sqlite", "postgresql", "mysql")
SERVERS = {
    "postgresql": ("127.0.0.1", 5432, "postgresql+psycopg://postgres@127.0.0.1:5432/{name}"),
    "mysql": ("127.0.0.1", 3306, "mysql+pymysql://root@127.0.0.1:3306/{name}"),
    "rabbitmq": ("127.0.0.1", 5672, "rabbit://guest:guest@127.0.0.1:5672/"),
}


def required() -> bool:
    return os.environ.get("NIMBUS_REQUIRE_SERVICES") == "1"


def reachable(service: str) -> bool:
    host, port, _ = SERVERS[service]
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def need(service: str) -> None:
    """Skip (or, when services are required, fail) without `service`."""
    if reachable(service):
        return
    message = f"{service} is not reachable at {SERVERS[service][0]}:{SERVERS[service][1]}"
    if required():
        pytest.fail(message + " and NIMBUS_REQUIRE_SERVICES=1")
    pytest.skip(message)


@contextmanager
def fresh_database(backend: str, tmp_dir: str, label: str = "db") -> Iterator[str]:
    """The URL of an empty database, dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{os.path.join(tmp_dir, label)}-{uuid.uuid4().hex[:8]}.sqlite"
        return
    need(backend)
    name = f"nimbus_test_{label}_{uuid.uuid4().hex[:10]}"
    admin_url = SERVERS[backend][2].format(name="postgres" if backend == "postgresql" else "mysql")
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if backend == "mysql":
            conn.exec_driver_sql(f"CREATE DATABASE {name} CHARACTER SET utf8mb4")
        else:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        yield SERVERS[backend][2].format(name=name)
    finally:
        with engine.connect() as conn:
            if backend == "postgresql":
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            else:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
        engine.dispose()
