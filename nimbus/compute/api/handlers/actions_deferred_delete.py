"""Server actions of deferred (soft) deletes: restore and forceDelete."""

from __future__ import annotations

from starlette.responses import Response

from nimbus.common.api.app import Request, empty_response
from nimbus.compute.api import common
from nimbus.compute.api.common import compute
from nimbus.compute.api.handlers.actions_guest import owner
from nimbus.compute.api.handlers.servers import find
from nimbus.compute.api.schemas import server_actions as schema
from nimbus.compute.ops import delete, soft_delete

POLICY = "os_compute_api:os-deferred-delete:"


def restore(req: Request) -> Response:
    """restore -> 202 (403 over quota, 409 unless SOFT_DELETED)."""
    common.body(req, schema.RESTORE)
    found = find(req)
    req.context.can(POLICY + "restore", {"project_id": found.server.project_id})
    soft_delete.restore(compute(req), req.context, found, common.is_admin(req))
    return empty_response(202)


def force_delete(req: Request) -> Response:
    """forceDelete -> 202: deleted at once, soft-deleted or not."""
    common.body(req, schema.FORCE_DELETE)
    found = find(req)
    req.context.can(POLICY + "force", owner(found))
    delete.delete(compute(req), req.context, found, common.is_admin(req))
    return empty_response(202)


ACTIONS = {"restore": restore, "forceDelete": force_delete}
