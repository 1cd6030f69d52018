"""The history of a server: its instance actions and their events, from its cell."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nimbus.compute import exceptions as exc
from nimbus.compute.db.cell import actions
from nimbus.compute.ops.lookup import Found

if TYPE_CHECKING:
    from nimbus.compute.service import Compute


@dataclass(frozen=True)
class Filters:
    """2.58's paging and 2.58 / 2.66's time filters (on updated_at)."""

    limit: int | None = None
    marker: str | None = None
    changes_since: datetime.datetime | None = None
    changes_before: datetime.datetime | None = None


def list_actions(compute: Compute, found: Found, filters: Filters) -> list[dict[str, Any]]:
    """Newest first. :raises MarkerNotFound:"""
    if found.cell is None:
        if filters.marker is not None:
            raise exc.MarkerNotFound(marker=filters.marker)
        return []  # still a build request: nothing recorded in a cell yet
    with compute.cells.db(found.cell).reader() as conn:
        return actions.list_for(conn, found.server.uuid, limit=filters.limit,
                                marker=filters.marker, changes_since=filters.changes_since,
                                changes_before=filters.changes_before)


def get_action(compute: Compute, found: Found, request_id: str) -> dict[str, Any]:
    """An action with its events. :raises InstanceActionNotFound:"""
    if found.cell is None:
        raise exc.InstanceActionNotFound(request_id=request_id,
                                         instance_uuid=found.server.uuid)
    with compute.cells.db(found.cell).reader() as conn:
        return actions.get(conn, found.server.uuid, request_id)
