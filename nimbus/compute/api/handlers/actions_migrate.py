"""Server actions that move a running server: os-migrateLive."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbus.common.api import errors
from nimbus.common.api.app import Request, empty_response
from nimbus.compute import exceptions as exc
from nimbus.compute.api import common
from nimbus.compute.api.common import compute, since
from nimbus.compute.api.handlers.servers import find
from nimbus.compute.api.schemas import moves as schema
from nimbus.compute.api.schemas.common import to_bool
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


ACTIONS = {"os-migrateLive": migrate_live}
