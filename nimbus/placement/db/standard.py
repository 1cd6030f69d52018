"""The standard resource classes and traits, from os-resource-classes and os-traits."""

from __future__ import annotations

import logging

import os_resource_classes as orc
import os_traits
import sqlalchemy as sa

from nimbus.common.db import Database, DuplicateEntry
from nimbus.common.db.types import utcnow
from nimbus.placement.db.models import resource_classes, traits

LOG = logging.getLogger(__name__)


def _missing(conn: sa.Connection, table: sa.Table, names: list[str]) -> list[str]:
    present = {r.name for r in conn.execute(sa.select(table.c.name))}
    return [n for n in names if n not in present]


def ensure(db: Database) -> None:
    """Insert the standard names the database lacks (idempotent; several
    processes may race here, and the loser finds the work done)."""
    for table, names in ((resource_classes, list(orc.STANDARDS)),
                         (traits, sorted(os_traits.get_traits()))):
        for _attempt in range(3):
            with db.reader() as conn:
                missing = _missing(conn, table, names)
            if not missing:
                break
            try:
                with db.writer() as conn:
                    now = utcnow()
                    rows = [{"name": n, "created_at": now} for n in _missing(conn, table, names)]
                    if rows:
                        conn.execute(sa.insert(table), rows)
                LOG.info("Added %d standard %s", len(missing), table.name)
                break
            except DuplicateEntry:
                continue  # another process added some at the same moment
