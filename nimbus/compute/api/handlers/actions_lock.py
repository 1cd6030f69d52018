"""Server actions the API does itself: lock (with a reason from 2.73), unlock,
and os-resetState (admin)."""

from __future__ import annotations

from starlette.responses import Response

from nimbus.common.api.app import Request, empty_response
from nimbus.compute.api import common
from nimbus.compute.api.common import compute, since
from nimbus.compute.api.handlers.actions_guest import owner
from nimbus.compute.api.handlers.servers import find
from nimbus.compute.api.schemas import server_actions as schema
from nimbus.compute.ops import locks

POLICY = "os_compute_api:os-lock-server:"


def lock(req: Request) -> Response:
    """lock -> 202; locked_reason from 2.73."""
    body = common.body(req, schema.LOCK_V2_73 if since(req, "2.73") else schema.LOCK)
    found = find(req)
    req.context.can(POLICY + "lock", owner(found))
    reason = None
    if since(req, "2.73") and body["lock"] is not None:
        reason = body["lock"].get("locked_reason")
    locks.lock(compute(req), req.context, found, reason)
    return empty_response(202)


def unlock(req: Request) -> Response:
    """unlock -> 202; another side's lock needs unlock_override."""
    common.body(req, schema.UNLOCK)
    found = find(req)
    target = {"project_id": found.server.project_id}
    req.context.can(POLICY + "unlock", target)
    if not locks.expected_locked_by(req.context, found):
        req.context.can(POLICY + "unlock:unlock_override", target)
    locks.unlock(compute(req), req.context, found)
    return empty_response(202)


def reset_state(req: Request) -> Response:
    """os-resetState -> 202."""
    state = common.body(req, schema.RESET_STATE)["os-resetState"]["state"]
    found = find(req)
    req.context.can("os_compute_api:os-admin-actions:reset_state",
                    {"project_id": found.server.project_id})
    locks.reset_state(compute(req), req.context, found, state)
    return empty_response(202)


ACTIONS = {"lock": lock, "unlock": unlock, "os-resetState": reset_state}
