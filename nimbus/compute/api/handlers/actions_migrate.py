"""Server actions that move a running or orphaned server: os-migrateLive and evacuate."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbus.common.api import errors
from nimbus.common.api.app import Request, empty_response, json_response
from nimbus.compute import exceptions as exc
from nimbus.compute import states
from nimbus.compute.api import common
from nimbus.compute.api.common import compute, since
from nimbus.compute.api.handlers.servers import find
from nimbus.compute.api.schemas import moves as schema
from nimbus.compute.api.schemas.common import to_bool
from nimbus.compute.ops import boot
from nimbus.compute.ops import migrate as ops

NO_FORCE_WITHOUT_HOST = "Can't force to a non-provided destination"


def _force(req: Request, body: dict[str, Any], host: str | None, since_version: str,
           until_version: str) -> bool | None:
    """The force flag of the microversions that have it (None before, False after)."""
    if not since(req, since_version):
        return None
    if since(req, until_version):
        return False
    force = to_bool(body.get("force", False))
    if force and not host:
        raise errors.BadRequest(NO_FORCE_WITHOUT_HOST)
    return force


def migrate_live(req: Request) -> Response:
    """os-migrateLive -> 202 (checks in the background from 2.34; before, their
    failures are 400)."""
    body = common.body(req, schema.migrate_live(lambda v: since(req, v)))["os-migrateLive"]
    found = find(req)
    host = body["host"]
    rule = "os_compute_api:os-migrate-server:migrate_live" + (":host" if host else "")
    req.context.can(rule, {"project_id": found.server.project_id})
    force = _force(req, body, host, "2.30", "2.68")
    raw = body["block_migration"]
    block_migration = None if raw == "auto" and since(req, "2.25") else to_bool(raw)
    wait = not since(req, "2.34")
    try:
        ops.live_migrate(compute(req), req.context, found, host, block_migration, force, wait,
                         common.is_admin(req))
    except exc.ComputeHostNotFound as err:
        raise errors.BadRequest(str(err)) from None
    except exc.InstanceInvalidState:
        raise
    except exc.LIVE_MIGRATION_CHECK_FAILURES as err:
        raise errors.BadRequest(str(err)) from None
    return empty_response(202)


def _password(req: Request, body: dict[str, Any], on_shared_storage: bool | None) -> str | None:
    if since(req, "2.14"):
        return body.get("adminPass") or boot.generate_password()
    if "adminPass" in body:
        if on_shared_storage:
            raise errors.BadRequest("admin password can't be changed on existing disk")
        return str(body["adminPass"])
    return None if on_shared_storage else boot.generate_password()


def evacuate(req: Request) -> Response:
    """evacuate -> 200 (with adminPass before 2.14); from 2.95 the server ends stopped."""
    body = common.body(req, schema.evacuate(lambda v: since(req, v)))["evacuate"]
    found = find(req)
    server = found.server
    req.context.can("os_compute_api:os-evacuate",
                    {"user_id": server.user_id, "project_id": server.project_id})
    host = body.get("host")
    on_shared_storage = None if since(req, "2.14") else to_bool(body["onSharedStorage"])
    force = _force(req, body, host, "2.29", "2.68")
    password = _password(req, body, on_shared_storage)
    # Before 2.29 a named host is taken as it is; from 2.29 the scheduler checks
    # it unless forced (and from 2.68 it always does).
    forced = bool(host) and (force is None or force)
    target_state = states.STOPPED if since(req, "2.95") else None
    try:
        ops.evacuate(compute(req), req.context, found, host, password, forced, target_state)
    except exc.ComputeServiceInUse as err:
        raise errors.BadRequest(str(err)) from None
    if not since(req, "2.14") and compute(req).conf.compute.enable_instance_password:
        return json_response({"adminPass": password})
    return empty_response(200)


ACTIONS = {"os-migrateLive": migrate_live, "evacuate": evacuate}
