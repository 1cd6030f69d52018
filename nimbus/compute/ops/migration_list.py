"""Listing migrations across cells: each cell answers its newest matches
after the marker, the answers merge in Nova's order (created_at, then id,
newest first) and the first `limit` make the page."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from nimbus.compute import exceptions as exc
from nimbus.compute.cells import CellFailed, CellTimeout
from nimbus.compute.db.cell import moves
from nimbus.compute.db.cell.moves import Filters, MigrationRecord

if TYPE_CHECKING:
    from nimbus.common.db import Database
    from nimbus.compute.db.mappings import CellMapping
    from nimbus.compute.service import Compute

LOG = logging.getLogger(__name__)


def list_migrations(compute: Compute, filters: Filters, limit: int | None = None,
                    marker: str | None = None) -> list[MigrationRecord]:
    """:raises MarkerNotFound:"""
    cells = compute.cells.all(include_cell0=False)
    after = None
    if marker is not None:
        for cell in cells:
            with compute.cells.db(cell).reader() as conn:
                after = moves.marker_key(conn, marker)
            if after is not None:
                break
        if after is None:
            raise exc.MarkerNotFound(marker=marker)

    def look(cell: CellMapping, db: Database) -> list[MigrationRecord]:
        with db.reader() as conn:
            found = moves.list_migrations(conn, filters, limit, after)
        for record in found:
            record.cell_uuid = cell.uuid
        return found

    merged: list[MigrationRecord] = []
    for cell_uuid, result in compute.cells.scatter(cells, look, timeout=30).items():
        if isinstance(result, (CellTimeout, CellFailed)):
            LOG.warning("Cell %s left out of the migration list: %r", cell_uuid, result)
            continue
        merged.extend(result)
    merged.sort(key=lambda m: (m.created_at, m.id), reverse=True)
    return merged if limit is None else merged[:limit]


def of_server(compute: Compute, cell: CellMapping, instance_uuid: str
              ) -> list[MigrationRecord]:
    """The live migrations of a server under way."""
    with compute.cells.db(cell).reader() as conn:
        return moves.in_progress(conn, instance_uuid, "live-migration")
