"""/servers/{server_id}/tags (2.26): a server's tags, all at once or one by one.

As Nova, the server is looked up without regard to its project and the
policy decides (403 for another project's server, not 404); changes need
the server in ACTIVE, PAUSED, SUSPENDED or STOPPED (409 otherwise).
"""

from __future__ import annotations

from starlette.responses import Response

from nimbus.common.api import errors, validation
from nimbus.common.api.app import Request, empty_response, json_response
from nimbus.compute.api import common
from nimbus.compute.api.common import compute, handler, since
from nimbus.compute.api.schemas import server_metadata as schema
from nimbus.compute.ops import lookup, server_items

POLICY = "os_compute_api:os-server-tags:"


def _allowed(req: Request, rule: str) -> lookup.Found:
    found = lookup.find(compute(req), req.context, req.path_params["server_id"], True)
    req.context.can(POLICY + rule, {"project_id": found.server.project_id})
    return found


def _location(req: Request, server_id: str, tag: str) -> str:
    return f"{common.api_root(req)}/servers/{server_id}/tags/{tag}"


@handler("2.26")
def list_tags(req: Request) -> Response:
    """GET /servers/{server_id}/tags -> 200."""
    common.check_query(req, (), since(req, "2.102"))
    found = _allowed(req, "index")
    return json_response({"tags": sorted(found.server.tags)})


@handler("2.26")
def replace_tags(req: Request) -> Response:
    """PUT /servers/{server_id}/tags -> 200 with the tags."""
    wanted = common.body(req, schema.TAGS)["tags"]
    found = _allowed(req, "update_all")
    return json_response({"tags": server_items.replace_tags(compute(req), found, wanted)})


@handler("2.26")
def delete_tags(req: Request) -> Response:
    """DELETE /servers/{server_id}/tags -> 204."""
    found = _allowed(req, "delete_all")
    server_items.delete_tags(compute(req), found)
    return empty_response(204)


@handler("2.26")
def check_tag(req: Request) -> Response:
    """GET /servers/{server_id}/tags/{tag} -> 204, or 404 when it has no such tag."""
    common.check_query(req, (), since(req, "2.102"))
    found = _allowed(req, "show")
    tag = req.path_params["tag"]
    if tag not in found.server.tags:
        raise errors.NotFound(f"Server {found.server.uuid} has no tag '{tag}'")
    return empty_response(204)


@handler("2.26")
def add_tag(req: Request) -> Response:
    """PUT /servers/{server_id}/tags/{tag} -> 201 (204 when it had it), with Location."""
    if req.body.strip() and req.json() is not None:
        validation.validate({"type": "null"}, req.json())
    found = _allowed(req, "update")
    tag = req.path_params["tag"]
    try:
        validation.validate(schema.TAG, tag)
    except errors.BadRequest as err:
        raise errors.BadRequest(
            f"Tag '{tag}' is invalid. It must be a non empty string without characters '/' "
            f"and ','. Validation error message: {err.message}") from None
    added = server_items.add_tag(compute(req), found, tag)
    return empty_response(201 if added else 204,
                          headers={"Location": _location(req, found.server.uuid, tag)})


@handler("2.26")
def delete_tag(req: Request) -> Response:
    """DELETE /servers/{server_id}/tags/{tag} -> 204."""
    found = _allowed(req, "delete")
    server_items.delete_tag(compute(req), found, req.path_params["tag"])
    return empty_response(204)
