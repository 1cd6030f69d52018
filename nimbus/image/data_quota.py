"""How many bytes an upload, stage or import may still bring in.

The checks themselves are in nimbus.image.quotas (413 before any data is
read); this gives the room left under them, so that an upload crossing a
limit is cut off as soon as it does rather than after it is all written.
"""

from __future__ import annotations

from oslo_config import cfg
from sqlalchemy.engine import Connection

from nimbus.image import quotas
from nimbus.image.db import images as db

MIB = quotas.MiB


def room_to_store(conn: Connection, conf: cfg.ConfigOpts, owner: str | None) -> int | None:
    """Bytes the project may still store (None: no limit); 413 when none."""
    quotas.check_size_total(conf, conn, owner)
    limit: int = conf.image.image_size_total
    if owner is None or limit < 0:
        return None
    return max(0, limit * MIB - db.storage_usage(conn, owner))


def room_to_stage(conn: Connection, conf: cfg.ConfigOpts, owner: str | None) -> int | None:
    """Bytes the project may still stage (None: no limit); 413 when none."""
    quotas.check_stage_total(conf, conn, owner)
    limit: int = conf.image.image_stage_total
    if owner is None or limit < 0:
        return None
    return max(0, limit * MIB - db.staging_usage(conn, owner))


def smallest(*limits: int | None) -> int | None:
    present = [limit for limit in limits if limit is not None]
    return min(present) if present else None
