"""Server actions that resize or cold-migrate a server: resize, confirmResize,
revertResize and migrate."""

from __future__ import annotations

from starlette.responses import Response

from nimbus.common.api import errors
from nimbus.common.api.app import Request, empty_response
from nimbus.compute import exceptions as exc
from nimbus.compute.api import common
from nimbus.compute.api.common import compute, since
from nimbus.compute.api.handlers.servers import find
from nimbus.compute.api.schemas import moves as schema
from nimbus.compute.ops import resize as ops

NOT_RESIZED = "Instance has not been resized."


def _target(req: Request, user_id: str, project_id: str) -> dict[str, str]:
    return {"project_id": project_id, "user_id": user_id}


def resize(req: Request) -> Response:
    """resize -> 202."""
    body = common.body(req, schema.RESIZE)["resize"]
    found = find(req)
    server = found.server
    req.context.can("os_compute_api:servers:resize",
                    _target(req, server.user_id, server.project_id))
    disk_config = body.get("OS-DCF:diskConfig")
    try:
        ops.resize(compute(req), req.context, found, str(body["flavorRef"]),
                   None if disk_config is None else disk_config == "AUTO",
                   common.is_admin(req))
    except exc.FlavorNotFound as err:
        raise errors.BadRequest(str(err)) from None
    return empty_response(202)


def confirm_resize(req: Request) -> Response:
    """confirmResize -> 204 (Nova's answer, though the confirm goes on after it)."""
    common.body(req, schema.CONFIRM_RESIZE)
    found = find(req)
    req.context.can("os_compute_api:servers:confirm_resize",
                    _target(req, found.server.user_id, found.server.project_id))
    try:
        ops.confirm(compute(req), req.context, found, common.is_admin(req))
    except exc.MigrationNotFoundByStatus:
        raise errors.BadRequest(NOT_RESIZED) from None
    return empty_response(204)


def revert_resize(req: Request) -> Response:
    """revertResize -> 202."""
    common.body(req, schema.REVERT_RESIZE)
    found = find(req)
    req.context.can("os_compute_api:servers:revert_resize",
                    _target(req, found.server.user_id, found.server.project_id))
    try:
        ops.revert(compute(req), req.context, found, common.is_admin(req))
    except exc.MigrationNotFoundByStatus:
        raise errors.BadRequest(NOT_RESIZED) from None
    return empty_response(202)


def migrate(req: Request) -> Response:
    """migrate -> 202 (a host from 2.56)."""
    body = common.body(req, schema.MIGRATE_V2_56 if since(req, "2.56") else schema.MIGRATE_V2_1)
    found = find(req)
    host = None
    if since(req, "2.56") and body["migrate"] is not None:
        host = body["migrate"].get("host")
    rule = "os_compute_api:os-migrate-server:migrate" + (":host" if host else "")
    req.context.can(rule, {"project_id": found.server.project_id})
    try:
        ops.migrate(compute(req), req.context, found, host, common.is_admin(req))
    except exc.ComputeHostNotFound as err:
        raise errors.BadRequest(str(err)) from None
    return empty_response(202)


ACTIONS = {"resize": resize, "confirmResize": confirm_resize,
           "revertResize": revert_resize, "migrate": migrate}
