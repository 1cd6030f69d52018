"""The cells of a deployment as the API, the conductor and the scheduler see them.

The API database's cell mappings say which cells exist, where each keeps
its database and which message transport its services listen on. This
registry opens each cell's database once per process (by URL), and runs a
function in every cell at once for listings, so that a slow or unreachable
cell costs one timeout, not one per cell, and is reported rather than
breaking the whole answer (the down-cell behaviour of microversion 2.69).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any, TypeVar

from nimbus.common.db import Database
from nimbus.compute import exceptions as exc
from nimbus.compute.db import mappings
from nimbus.compute.db.mappings import CELL0_UUID, CellMapping

LOG = logging.getLogger(__name__)

T = TypeVar("T")


class CellTimeout:
    """What scatter() reports for a cell that did not answer in time."""

    def __repr__(self) -> str:
        return "CellTimeout"


CELL_TIMEOUT = CellTimeout()


class CellFailed:
    """What scatter() reports for a cell whose function raised."""

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def __repr__(self) -> str:
        return f"CellFailed({self.error!r})"


class Cells:
    """Cell mappings (re-read at most every `ttl` seconds) and their databases."""

    def __init__(self, api_db: Database, open_database: Callable[[str, str], Database],
                 default_transport_url: str, ttl: float = 10.0) -> None:
        self.api_db = api_db
        self._open = open_database
        self.default_transport_url = default_transport_url
        self.ttl = ttl
        self._lock = threading.Lock()
        self._cells: dict[str, CellMapping] = {}
        self._loaded = 0.0
        self._databases: dict[str, Database] = {}
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="cells")

    def refresh(self) -> None:
        with self.api_db.reader() as conn:
            found = {c.uuid: c for c in mappings.list_cells(conn)}
        with self._lock:
            self._cells = found
            self._loaded = time.monotonic()

    def _current(self) -> dict[str, CellMapping]:
        if time.monotonic() - self._loaded > self.ttl:
            self.refresh()
        return self._cells

    def all(self, include_cell0: bool = True, include_disabled: bool = True) -> list[CellMapping]:
        return [c for c in self._current().values()
                if (include_cell0 or not c.is_cell0) and (include_disabled or not c.disabled)]

    def get(self, cell_uuid: str) -> CellMapping:
        cell = self._current().get(cell_uuid)
        if cell is None:
            self.refresh()
            cell = self._cells.get(cell_uuid)
        if cell is None:
            raise exc.CellMappingNotFound(uuid=cell_uuid)
        return cell

    def cell0(self) -> CellMapping:
        return self.get(CELL0_UUID)

    def db(self, cell: CellMapping | str) -> Database:
        if isinstance(cell, str):
            cell = self.get(cell)
        url = cell.database_connection
        if not url:
            raise exc.CellMappingNotFound(uuid=cell.uuid)
        with self._lock:
            database = self._databases.get(url)
            if database is None:
                database = self._open(f"cell {cell.name}", url)
                self._databases[url] = database
            return database

    def transport_url(self, cell: CellMapping | str) -> str:
        if isinstance(cell, str):
            cell = self.get(cell)
        return cell.transport_url or self.default_transport_url

    def for_instance(self, instance_uuid: str) -> CellMapping | None:
        """The cell of an instance; None while it waits to be scheduled.

        :raises InstanceMappingNotFound:
        """
        with self.api_db.reader() as conn:
            mapping = mappings.get_instance_mapping(conn, instance_uuid)
        return self.get(mapping.cell_uuid) if mapping.cell_uuid else None

    def for_host(self, host: str) -> CellMapping:
        """:raises HostMappingNotFound:"""
        with self.api_db.reader() as conn:
            return mappings.host_cell(conn, host)

    def scatter(self, cells: Iterable[CellMapping], fn: Callable[[CellMapping, Database], T],
                timeout: float = 60.0) -> dict[str, T | CellTimeout | CellFailed]:
        """fn(cell, db) in every cell at once; per cell its result, CELL_TIMEOUT
        or CellFailed."""
        chosen = list(cells)
        if len(chosen) == 1:  # no thread hop for the common one-cell case
            cell = chosen[0]
            try:
                return {cell.uuid: fn(cell, self.db(cell))}
            except Exception as error:  # reported to the caller, who decides
                LOG.warning("Cell %s failed: %s", cell.name, error)
                return {cell.uuid: CellFailed(error)}
        futures = {self._pool.submit(fn, cell, self.db(cell)): cell for cell in chosen}
        done, _ = wait(futures, timeout=timeout)
        results: dict[str, Any] = {}
        for future, cell in futures.items():
            if future not in done:
                LOG.warning("Cell %s did not answer within %s s", cell.name, timeout)
                results[cell.uuid] = CELL_TIMEOUT
                continue
            failure = future.exception()
            if failure is not None:
                LOG.warning("Cell %s failed: %s", cell.name, failure)
                results[cell.uuid] = CellFailed(failure)
            else:
                results[cell.uuid] = future.result()
        return results

    def close(self) -> None:
        self._pool.shutdown(wait=False)
        with self._lock:
            for database in self._databases.values():
                database.dispose()
            self._databases.clear()
