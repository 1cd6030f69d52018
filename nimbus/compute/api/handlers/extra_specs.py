"""/flavors/{flavor_id}/os-extra_specs: a flavor's extra specs, validated from 2.86."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbus.common.api import errors
from nimbus.common.api.app import Request, empty_response, json_response
from nimbus.compute import extra_specs as validators
from nimbus.compute.api import common
from nimbus.compute.api.common import compute, handler, since
from nimbus.compute.api.handlers.flavors import load, viewer
from nimbus.compute.api.schemas import extra_specs as schema
from nimbus.compute.db import flavors as db


def _reader_target(req: Request) -> dict[str, Any]:
    return {"project_id": req.context.project_id}


def _checked(req: Request, specs: dict[str, Any]) -> dict[str, str]:
    """Values as strings (numbers are taken), each valid from 2.86."""
    checked: dict[str, str] = {}
    for name, value in specs.items():
        text = value if isinstance(value, str) else str(value)
        if len(text) > 255:
            raise errors.BadRequest(
                "Invalid input received: extra_specs value has more than 255 characters.")
        if since(req, "2.86"):
            validators.validate(name, text)
        checked[name] = text
    return checked


def _not_found(flavor_id: str, key: str) -> errors.NotFound:
    return errors.NotFound(f"Flavor {flavor_id} has no extra specs with key {key}.")


@handler()
def list_extra_specs(req: Request) -> Response:
    """GET /flavors/{flavor_id}/os-extra_specs -> 200."""
    req.context.can("os_compute_api:os-flavor-extra-specs:index", _reader_target(req))
    common.check_query(req, (), since(req, "2.102"))
    flavor = load(req, req.path_params["flavor_id"])
    return json_response({"extra_specs": flavor.extra_specs})


@handler()
def show_extra_spec(req: Request) -> Response:
    """GET /flavors/{flavor_id}/os-extra_specs/{key} -> 200, {key: value}."""
    req.context.can("os_compute_api:os-flavor-extra-specs:show", _reader_target(req))
    common.check_query(req, (), since(req, "2.102"))
    flavor_id, key = req.path_params["flavor_id"], req.path_params["key"]
    flavor = load(req, flavor_id)
    if key not in flavor.extra_specs:
        raise _not_found(flavor_id, key)
    return json_response({key: flavor.extra_specs[key]})


@handler()
def create_extra_specs(req: Request) -> Response:
    """POST /flavors/{flavor_id}/os-extra_specs -> 200, the specs sent."""
    req.context.can("os_compute_api:os-flavor-extra-specs:create", {})
    sent = common.body(req, schema.CREATE)
    specs = _checked(req, sent["extra_specs"])
    with compute(req).api_db.writer() as conn:
        flavor = db.get(conn, req.path_params["flavor_id"], viewer(req))
        db.set_extra_specs(conn, flavor, specs)
    return json_response(sent)


@handler()
def update_extra_spec(req: Request) -> Response:
    """PUT /flavors/{flavor_id}/os-extra_specs/{key} -> 200, {key: value}."""
    req.context.can("os_compute_api:os-flavor-extra-specs:update", {})
    sent = common.body(req, schema.UPDATE)
    specs = _checked(req, sent)
    if req.path_params["key"] not in specs:
        raise errors.BadRequest("Request body and URI mismatch")
    with compute(req).api_db.writer() as conn:
        flavor = db.get(conn, req.path_params["flavor_id"], viewer(req))
        db.set_extra_specs(conn, flavor, specs)
    return json_response(sent)


@handler()
def delete_extra_spec(req: Request) -> Response:
    """DELETE /flavors/{flavor_id}/os-extra_specs/{key} -> 200, empty."""
    req.context.can("os_compute_api:os-flavor-extra-specs:delete", {})
    with compute(req).api_db.writer() as conn:
        flavor = db.get(conn, req.path_params["flavor_id"], viewer(req))
        db.delete_extra_spec(conn, flavor, req.path_params["key"])
    return empty_response(200)
