"""Server actions that boot a server from a rescue image and back: rescue and unrescue."""

from __future__ import annotations

from starlette.responses import Response

from nimbus.common.api.app import Request, empty_response, json_response
from nimbus.compute.api import common
from nimbus.compute.api.common import compute
from nimbus.compute.api.handlers.servers import find
from nimbus.compute.api.schemas import image_actions as schema
from nimbus.compute.ops import boot
from nimbus.compute.ops import rescue as rescue_ops


def rescue(req: Request) -> Response:
    """rescue -> 200 with the rescue adminPass (an empty body when instance
    passwords are disabled); Nova answers 200, not 202, for old clients."""
    body = common.body(req, schema.RESCUE)["rescue"] or {}
    password = body["adminPass"] if "adminPass" in body else boot.generate_password()
    found = find(req)
    req.context.can("os_compute_api:os-rescue",
                    {"project_id": found.server.project_id, "user_id": found.server.user_id})
    rescue_ops.rescue(compute(req), req.context, found, common.is_admin(req), password,
                      body.get("rescue_image_ref"))
    if compute(req).conf.compute.enable_instance_password:
        return json_response({"adminPass": password})
    return json_response({})


def unrescue(req: Request) -> Response:
    """unrescue -> 202."""
    common.body(req, schema.UNRESCUE)
    found = find(req)
    req.context.can("os_compute_api:os-unrescue", {"project_id": found.server.project_id})
    rescue_ops.unrescue(compute(req), req.context, found, common.is_admin(req))
    return empty_response(202)


ACTIONS = {"rescue": rescue, "unrescue": unrescue}
