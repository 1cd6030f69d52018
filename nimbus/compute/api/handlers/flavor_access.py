"""Flavor access lists: who may use a private flavor, and the actions that change it."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbus.common.api import errors, validation
from nimbus.common.api.app import Request, json_response
from nimbus.compute.api import common
from nimbus.compute.api.common import compute, handler, since
from nimbus.compute.api.handlers.flavors import viewer
from nimbus.compute.api.schemas import flavor_access as schema
from nimbus.compute.db import flavors as db
from nimbus.compute.db.flavors import Flavor


def _access(flavor: Flavor, projects: list[str]) -> dict[str, Any]:
    return {"flavor_access": [{"flavor_id": flavor.flavorid, "tenant_id": p}
                              for p in projects]}


@handler()
def list_flavor_access(req: Request) -> Response:
    """GET /flavors/{flavor_id}/os-flavor-access -> 200; 404 for public flavors."""
    req.context.can("os_compute_api:os-flavor-access")
    common.check_query(req, (), since(req, "2.102"))
    with compute(req).api_db.reader() as conn:
        flavor = db.get(conn, req.path_params["flavor_id"], viewer(req))
        if flavor.is_public:
            raise errors.NotFound("Access list not available for public flavors.")
        return json_response(_access(flavor, db.projects(conn, flavor)))


def _add_tenant_access(req: Request, sent: dict[str, Any]) -> Response:
    req.context.can("os_compute_api:os-flavor-access:add_tenant_access", {})
    tenant = validation.validate(schema.ADD_TENANT_ACCESS, sent)["addTenantAccess"][
        "tenant"]
    with compute(req).api_db.writer() as conn:
        flavor = db.get(conn, req.path_params["flavor_id"], viewer(req))
        if since(req, "2.7") and flavor.is_public:
            raise errors.Conflict("Can not add access to a public flavor.")
        db.add_project(conn, flavor, tenant)
        return json_response(_access(flavor, db.projects(conn, flavor)))


def _remove_tenant_access(req: Request, sent: dict[str, Any]) -> Response:
    req.context.can("os_compute_api:os-flavor-access:remove_tenant_access", {})
    tenant = validation.validate(schema.REMOVE_TENANT_ACCESS, sent)[
        "removeTenantAccess"]["tenant"]
    with compute(req).api_db.writer() as conn:
        flavor = db.get(conn, req.path_params["flavor_id"], viewer(req))
        db.remove_project(conn, flavor, tenant)
        return json_response(_access(flavor, db.projects(conn, flavor)))


_ACTIONS = {"addTenantAccess": _add_tenant_access,
            "removeTenantAccess": _remove_tenant_access}


@handler()
def flavor_action(req: Request) -> Response:
    """POST /flavors/{flavor_id}/action -> 200, the access list after the action."""
    sent = req.json()
    if not isinstance(sent, dict) or len(sent) != 1 or next(iter(sent)) not in _ACTIONS:
        raise errors.BadRequest("There is no such action: "
                                + (", ".join(sent) if isinstance(sent, dict) else ""))
    return _ACTIONS[next(iter(sent))](req, sent)
