"""Servers of cells that did not answer, as microversion 2.69 shows them:
what the API database knows (id, project, created), status UNKNOWN."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from nimbus.common.api.app import Request
from nimbus.compute.api import common
from nimbus.compute.api.views.servers import isotime
from nimbus.compute.db.mappings import CellMapping
from nimbus.compute.db.models import cell_mappings, instance_mappings

if TYPE_CHECKING:
    from nimbus.compute.service import Compute


def minimal_servers(compute: Compute, req: Request, cells: list[CellMapping],
                    detail: bool) -> list[dict[str, Any]]:
    ids = [c.id for c in cells]
    query = sa.select(instance_mappings.c.instance_uuid, instance_mappings.c.project_id,
                      instance_mappings.c.created_at).join(
        cell_mappings, cell_mappings.c.id == instance_mappings.c.cell_id).where(
        instance_mappings.c.cell_id.in_(ids),
        instance_mappings.c.queued_for_delete.is_(False))
    if not common.is_admin(req) or "all_tenants" not in req.query:
        query = query.where(instance_mappings.c.project_id == req.context.project_id)
    with compute.api_db.reader() as conn:
        rows = conn.execute(query).all()
    found = []
    for uuid, project_id, created in rows:
        item: dict[str, Any] = {"id": uuid, "status": "UNKNOWN",
                                "links": common.links(req, "servers", uuid)}
        if detail:
            item["tenant_id"] = project_id
            item["created"] = isotime(created)
        found.append(item)
    return found
