"""/flavors: list, show, create, update (2.55) and delete flavors."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.responses import Response

from nimbus.common.api import errors
from nimbus.common.api.app import Request, empty_response, json_response
from nimbus.common.api.pagination import links as collection_links
from nimbus.common.api.pagination import page_params
from nimbus.compute.api import common
from nimbus.compute.api.common import compute, handler, since
from nimbus.compute.api.schemas import flavors as schema
from nimbus.compute.api.schemas.common import MAX_INT, to_bool
from nimbus.compute.db import flavors as db
from nimbus.compute.db.flavors import Flavor
from nimbus.compute.exceptions import MarkerNotFound

_FLOAT_MAX = 3.40282e38  # the largest value of an SQL FLOAT column


def viewer(req: Request) -> db.Viewer:
    return db.Viewer(project_id=req.context.project_id, is_admin=common.is_admin(req))


def _with_specs(req: Request) -> bool:
    return since(req, "2.61") and req.context.allowed(
        "os_compute_api:os-flavor-extra-specs:index",
        {"project_id": req.context.project_id})


def brief(req: Request, flavor: Flavor) -> dict[str, Any]:
    body: dict[str, Any] = {"id": flavor.flavorid, "name": flavor.name,
                            "links": common.links(req, "flavors", flavor.flavorid)}
    if since(req, "2.55"):
        body["description"] = flavor.description
    return body


def render(req: Request, flavor: Flavor, with_specs: bool) -> dict[str, Any]:
    """A flavor as Nova shows it at the request's microversion."""
    body: dict[str, Any] = {
        "id": flavor.flavorid,
        "name": flavor.name,
        "ram": flavor.memory_mb,
        "disk": flavor.root_gb,
        # Before 2.75 a swap of 0 is shown as "".
        "swap": flavor.swap if since(req, "2.75") else (flavor.swap or ""),
        "OS-FLV-EXT-DATA:ephemeral": flavor.ephemeral_gb,
        "vcpus": flavor.vcpus,
        "os-flavor-access:is_public": flavor.is_public,
        "links": common.links(req, "flavors", flavor.flavorid),
    }
    if not since(req, "2.102"):
        body["OS-FLV-DISABLED:disabled"] = flavor.disabled
        body["rxtx_factor"] = flavor.rxtx_factor or ""
    if since(req, "2.55"):
        body["description"] = flavor.description
    if with_specs:
        body["extra_specs"] = flavor.extra_specs
    return body


def _int_filter(req: Request, name: str) -> int | None:
    raw = req.query.get(name)
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        raise errors.BadRequest(f"Invalid {name} filter [{raw}]") from None


def _is_public_filter(req: Request) -> bool | None:
    """Admins choose: true (default), false, or none/all for both."""
    raw = req.query.get("is_public")
    if raw is None:
        return True
    if raw.strip().lower() in ("none", "all"):
        return None
    lowered = raw.strip().lower()
    if lowered in ("1", "t", "true", "on", "y", "yes"):
        return True
    if lowered in ("0", "f", "false", "off", "n", "no"):
        return False
    raise errors.BadRequest(f"Invalid is_public filter [{raw}]")


def _list(req: Request) -> list[Flavor]:
    strict = since(req, "2.75")
    newest = since(req, "2.102")
    common.check_query(req, schema.LIST_QUERY_V2_102 if newest else schema.LIST_QUERY, strict,
                       {"sort_key": schema.SORT_KEYS_V2_102 if newest else db.SORT_KEYS,
                        "sort_dir": schema.SORT_DIRS})
    who = viewer(req)
    # Only admins may ask for private or disabled flavors.
    filters = db.Filters(
        is_public=_is_public_filter(req) if who.is_admin else True,
        disabled=None if who.is_admin else False,
        min_memory_mb=_int_filter(req, "minRam"), min_root_gb=_int_filter(req, "minDisk"),
        name=req.query.get("name") if newest else None)
    page = page_params(req.query, compute(req).max_limit)
    try:
        with compute(req).api_db.reader() as conn:
            return db.list_flavors(conn, who, filters,
                                   sort_key=req.query.get("sort_key") or "flavorid",
                                   sort_dir=req.query.get("sort_dir") or "asc",
                                   limit=page.limit, marker=page.marker)
    except MarkerNotFound:
        raise errors.BadRequest(f"marker [{page.marker}] not found") from None


def _listing(req: Request, items: list[dict[str, Any]], found: list[Flavor],
             path: str) -> Response:
    page = page_params(req.query, compute(req).max_limit)
    body: dict[str, Any] = {"flavors": items}
    next_links = collection_links(f"{common.api_root(req)}/{path}", req.query,
                                  [{"id": f.flavorid} for f in found], page)
    if next_links:
        body["flavors_links"] = next_links
    return json_response(body)


@handler()
def list_flavors(req: Request) -> Response:
    """GET /flavors -> 200."""
    found = _list(req)
    return _listing(req, [brief(req, f) for f in found], found, "flavors")


@handler()
def list_flavors_detail(req: Request) -> Response:
    """GET /flavors/detail -> 200."""
    found = _list(req)
    with_specs = _with_specs(req)
    return _listing(req, [render(req, f, with_specs) for f in found], found, "flavors/detail")


def load(req: Request, flavorid: str) -> Flavor:
    with compute(req).api_db.reader() as conn:
        return db.get(conn, flavorid, viewer(req))


@handler()
def show_flavor(req: Request) -> Response:
    """GET /flavors/{flavor_id} -> 200."""
    common.check_query(req, (), since(req, "2.102"))
    flavor = load(req, req.path_params["flavor_id"])
    return json_response({"flavor": render(req, flavor, _with_specs(req))})


def _number(value: int | str, name: str, minimum: int) -> int:
    number = int(value)
    if number < minimum:
        raise errors.BadRequest(f"Invalid input received: {name} must be >= {minimum}")
    if number > MAX_INT:
        raise errors.BadRequest(f"Invalid input received: {name} must be <= {MAX_INT}")
    return number


@handler()
def create_flavor(req: Request) -> Response:
    """POST /flavors -> 200 with the flavor."""
    req.context.can("os_compute_api:os-flavor-manage:create", {})
    chosen = (schema.CREATE_V2_102 if since(req, "2.102") else
              schema.CREATE_V2_55 if since(req, "2.55") else schema.CREATE_V2_1)
    vals = common.body(req, chosen)["flavor"]
    rxtx = float(vals.get("rxtx_factor", 1.0))
    if not 0 < rxtx <= _FLOAT_MAX:
        raise errors.BadRequest("Invalid input received: 'rxtx_factor' argument must be a "
                                f"float between 0 and {_FLOAT_MAX:g}")
    flavorid = vals.get("id")
    values = {
        "flavorid": str(flavorid) if flavorid not in (None, "") else str(uuid.uuid4()),
        "name": vals["name"].strip(),
        "memory_mb": _number(vals["ram"], "ram", 1),
        "vcpus": _number(vals["vcpus"], "vcpus", 1),
        "root_gb": _number(vals["disk"], "disk", 0),
        "ephemeral_gb": _number(vals.get("OS-FLV-EXT-DATA:ephemeral", 0), "ephemeral", 0),
        "swap": _number(vals.get("swap", 0), "swap", 0),
        "rxtx_factor": rxtx,
        "is_public": to_bool(vals.get("os-flavor-access:is_public", True)),
        "description": vals.get("description") if since(req, "2.55") else None,
        "disabled": False,
    }
    with compute(req).api_db.writer() as conn:
        flavor = db.create(conn, values)
    return json_response({"flavor": render(req, flavor, _with_specs(req))})


@handler("2.55")
def update_flavor(req: Request) -> Response:
    """PUT /flavors/{flavor_id} (2.55) -> 200, the description changed."""
    req.context.can("os_compute_api:os-flavor-manage:update", {})
    description = common.body(req, schema.UPDATE_V2_55)["flavor"]["description"]
    with compute(req).api_db.writer() as conn:
        flavor = db.get(conn, req.path_params["flavor_id"], viewer(req))
        flavor = db.update_description(conn, flavor, description)
    return json_response({"flavor": render(req, flavor, _with_specs(req))})


@handler()
def delete_flavor(req: Request) -> Response:
    """DELETE /flavors/{flavor_id} -> 202."""
    req.context.can("os_compute_api:os-flavor-manage:delete", {})
    with compute(req).api_db.writer() as conn:
        db.delete(conn, req.path_params["flavor_id"])
    return empty_response(202)
