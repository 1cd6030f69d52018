"""Cells v2 administration: map cell0, create cells, list them, map new hosts,
and bring every cell database's schema up to date."""

from __future__ import annotations

from nimbus.common.db import Database
from nimbus.common.db.migration import sync
from nimbus.compute import exceptions as exc
from nimbus.compute.cells import Cells
from nimbus.compute.db import mappings
from nimbus.compute.db.cell import SCHEMA as CELL_SCHEMA
from nimbus.compute.db.mappings import CELL0_UUID, CellMapping

# A transport URL that names no broker: cell0 never runs services.
CELL0_TRANSPORT = "none:///"


def map_cell0(api_db: Database, database_url: str) -> CellMapping:
    """The cell0 mapping, created if missing (idempotent)."""
    with api_db.writer() as conn:
        try:
            return mappings.get_cell(conn, CELL0_UUID)
        except exc.CellMappingNotFound:
            return mappings.create_cell(conn, "cell0", CELL0_TRANSPORT, database_url,
                                        cell_uuid=CELL0_UUID)


def ensure_cell(api_db: Database, name: str, database_url: str,
                transport_url: str) -> CellMapping:
    """The cell `name`, created if missing; its URLs updated if they changed."""
    with api_db.writer() as conn:
        try:
            cell = mappings.get_cell(conn, name)
        except exc.CellMappingNotFound:
            return mappings.create_cell(conn, name, transport_url, database_url)
        if (cell.database_connection, cell.transport_url) != (database_url, transport_url):
            cell = mappings.update_cell(conn, cell.uuid, {
                "database_connection": database_url, "transport_url": transport_url})
        return cell


def sync_cells(cells: Cells, branches: tuple[str, ...] = ("expand", "contract")) -> list[str]:
    """Migrate every mapped cell database; the names of the cells migrated."""
    cells.refresh()
    done = []
    for cell in cells.all():
        sync(cells.db(cell), CELL_SCHEMA, branches)
        done.append(cell.name or cell.uuid)
    return done
