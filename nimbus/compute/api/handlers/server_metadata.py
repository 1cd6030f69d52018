"""/servers/{server_id}/metadata: a server's key/value metadata, as a whole and
item by item. Changes need an unlocked server that has run, in ACTIVE,
PAUSED, SUSPENDED or STOPPED with no task (409 otherwise), and stay within
the project's metadata_items quota (403)."""

from __future__ import annotations

from starlette.responses import Response

from nimbus.common.api import errors
from nimbus.common.api.app import Request, empty_response, json_response
from nimbus.compute import exceptions as exc
from nimbus.compute.api import common
from nimbus.compute.api.common import compute, handler, since
from nimbus.compute.api.handlers.servers import find
from nimbus.compute.api.schemas import server_metadata as schema
from nimbus.compute.ops import server_items
from nimbus.compute.ops.lookup import Found

POLICY = "os_compute_api:server-metadata:"


def _allowed(req: Request, rule: str) -> Found:
    found = find(req)
    req.context.can(POLICY + rule, {"project_id": found.server.project_id})
    return found


@handler()
def list_metadata(req: Request) -> Response:
    """GET /servers/{server_id}/metadata -> 200."""
    common.check_query(req, (), since(req, "2.102"))
    found = _allowed(req, "index")
    return json_response({"metadata": dict(found.server.metadata)})


@handler()
def create_metadata(req: Request) -> Response:
    """POST /servers/{server_id}/metadata -> 200 (Nova's, not 201) with all of it."""
    items = common.body(req, schema.METADATA)["metadata"]
    found = _allowed(req, "create")
    merged = server_items.update_metadata(compute(req), found, items, replace=False,
                                          is_admin=common.is_admin(req))
    return json_response({"metadata": merged})


@handler()
def replace_metadata(req: Request) -> Response:
    """PUT /servers/{server_id}/metadata -> 200 with the new metadata."""
    items = common.body(req, schema.METADATA)["metadata"]
    found = _allowed(req, "update_all")
    result = server_items.update_metadata(compute(req), found, items, replace=True,
                                          is_admin=common.is_admin(req))
    return json_response({"metadata": result})


@handler()
def show_metadata_item(req: Request) -> Response:
    """GET /servers/{server_id}/metadata/{key} -> 200."""
    common.check_query(req, (), since(req, "2.102"))
    found = _allowed(req, "show")
    key = req.path_params["key"]
    if key not in found.server.metadata:
        raise exc.MetadataItemNotFound()
    return json_response({"meta": {key: found.server.metadata[key]}})


@handler()
def update_metadata_item(req: Request) -> Response:
    """PUT /servers/{server_id}/metadata/{key} -> 200 with the item."""
    item = common.body(req, schema.META_ITEM)["meta"]
    found = _allowed(req, "update")
    if req.path_params["key"] not in item:
        raise errors.BadRequest("Request body and URI mismatch")
    server_items.update_metadata(compute(req), found, item, replace=False,
                                 is_admin=common.is_admin(req))
    return json_response({"meta": item})


@handler()
def delete_metadata_item(req: Request) -> Response:
    """DELETE /servers/{server_id}/metadata/{key} -> 204."""
    found = _allowed(req, "delete")
    server_items.delete_metadata(compute(req), found, req.path_params["key"],
                                 common.is_admin(req))
    return empty_response(204)
