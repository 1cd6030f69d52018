"""/resource_classes: standard and custom resource classes (from 1.2)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbus.common.api import errors
from nimbus.common.api.app import Request
from nimbus.placement import exceptions as exc
from nimbus.placement.api.schemas import resource_classes as schema
from nimbus.placement.api.util import (
    bad_request,
    empty,
    extract_json,
    handler,
    json_reply,
    newest,
    placement,
    require_content,
    url,
    validate_data,
    versioned,
)
from nimbus.placement.db import resource_classes as rcs
from nimbus.placement.db.resource_classes import ResourceClass


def _render(req: Request, rc: ResourceClass) -> dict[str, Any]:
    return {"name": rc.name,
            "links": [{"rel": "self", "href": url(req, f"/resource_classes/{rc.name}")}]}


@handler("1.2", accept=True)
def list_resource_classes(req: Request) -> Response:
    """GET /resource_classes -> 200."""
    req.context.can("placement:resource_classes:list")
    with placement(req).db.reader() as conn:
        found = rcs.list_all(conn)
    return json_reply(req, {"resource_classes": [_render(req, rc) for rc in found]},
                      last_modified=newest(*(rc.updated_at or rc.created_at for rc in found)))


@handler("1.2", accept=True)
def show_resource_class(req: Request) -> Response:
    """GET /resource_classes/{name} -> 200."""
    req.context.can("placement:resource_classes:show")
    with placement(req).db.reader() as conn:
        rc = rcs.get(conn, req.path_params["name"])
    return json_reply(req, _render(req, rc), last_modified=rc.updated_at or rc.created_at)


@handler("1.2")
def create_resource_class(req: Request) -> Response:
    """POST /resource_classes -> 201, empty, with Location."""
    req.context.can("placement:resource_classes:create")
    require_content(req)
    name = extract_json(req, schema.RESOURCE_CLASS_V1_2)["name"]
    try:
        with placement(req).db.writer() as conn:
            rc = rcs.create(conn, name)
    except exc.ResourceClassExists:
        raise errors.Conflict(f"Conflicting resource class already exists: {name}") from None
    return empty(201, {"Location": req.url(f"/resource_classes/{rc.name}")})


@handler("1.2", "1.6")
def rename_resource_class(req: Request) -> Response:
    """PUT /resource_classes/{name} (1.2-1.6) -> 200: rename."""
    req.context.can("placement:resource_classes:update")
    require_content(req)
    new_name = extract_json(req, schema.RESOURCE_CLASS_V1_2)["name"]
    name = req.path_params["name"]
    try:
        with placement(req).db.writer() as conn:
            rc = rcs.rename(conn, name, new_name)
    except exc.ResourceClassExists:
        raise errors.Conflict(f"Resource class already exists: {new_name}") from None
    except exc.ResourceClassCannotUpdateStandard:
        raise bad_request(f"Cannot update standard resource class {name}") from None
    return json_reply(req, _render(req, rc))


@handler("1.7")
def ensure_resource_class(req: Request) -> Response:
    """PUT /resource_classes/{name} (1.7-) -> 201 created, 204 existing."""
    req.context.can("placement:resource_classes:update")
    name = req.path_params["name"]
    validate_data({"name": name}, schema.RESOURCE_CLASS_V1_2)
    status = 204
    with placement(req).db.writer() as conn:
        try:
            rcs.get(conn, name)
        except exc.ResourceClassNotFound:
            rcs.create(conn, name)
            status = 201
    return empty(status, {"Location": req.url(f"/resource_classes/{name}")})


@handler("1.2")
def delete_resource_class(req: Request) -> Response:
    """DELETE /resource_classes/{name} -> 204."""
    req.context.can("placement:resource_classes:delete")
    name = req.path_params["name"]
    try:
        with placement(req).db.writer() as conn:
            rcs.delete(conn, name)
    except exc.ResourceClassCannotDeleteStandard as error:
        raise bad_request(f"Error in delete resource class: {error}") from None
    except exc.ResourceClassInUse as error:
        raise errors.Conflict(f"Error in delete resource class: {error}") from None
    return empty()


update_resource_class = versioned(("1.2", "1.6", rename_resource_class),
                                  ("1.7", None, ensure_resource_class))
