"""Server actions that shelve a server and bring it back: shelve,
shelveOffload and unshelve (with a zone from 2.77, a host from 2.91)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbus.common.api.app import Request, empty_response
from nimbus.compute.api import common
from nimbus.compute.api.common import compute, since
from nimbus.compute.api.handlers.servers import find
from nimbus.compute.api.schemas import image_actions as schema
from nimbus.compute.ops import shelve as shelve_ops

POLICY = "os_compute_api:os-shelve:"


def _target(server: Any) -> dict[str, Any]:
    return {"project_id": server.project_id, "user_id": server.user_id}


def shelve(req: Request) -> Response:
    """shelve -> 202."""
    common.body(req, schema.SHELVE)
    found = find(req)
    req.context.can(POLICY + "shelve", _target(found.server))
    shelve_ops.shelve(compute(req), req.context, found, common.is_admin(req))
    return empty_response(202)


def shelve_offload(req: Request) -> Response:
    """shelveOffload -> 202."""
    common.body(req, schema.SHELVE_OFFLOAD)
    found = find(req)
    req.context.can(POLICY + "shelve_offload", _target(found.server))
    shelve_ops.shelve_offload(compute(req), req.context, found, common.is_admin(req))
    return empty_response(202)


def unshelve(req: Request) -> Response:
    """unshelve -> 202."""
    chosen = (schema.UNSHELVE_V2_91 if since(req, "2.91") else
              schema.UNSHELVE_V2_77 if since(req, "2.77") else schema.UNSHELVE_V2_1)
    body = common.body(req, chosen)["unshelve"]
    found = find(req)
    target = _target(found.server)
    req.context.can(POLICY + "unshelve", {"project_id": found.server.project_id})
    zone: Any = shelve_ops.UNSET
    host = None
    if isinstance(body, dict):
        if since(req, "2.77") and "availability_zone" in body:
            zone = body["availability_zone"]
        if since(req, "2.91"):
            host = body.get("host")

    def authorize_host() -> None:
        req.context.can(POLICY + "unshelve_to_host", target)

    shelve_ops.unshelve(compute(req), req.context, found, common.is_admin(req), zone, host,
                        authorize_host)
    return empty_response(202)


ACTIONS = {"shelve": shelve, "shelveOffload": shelve_offload, "unshelve": unshelve}
