"""/v3/domains."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbus.common.api.app import Request, empty_response, json_response
from nimbus.identity.api import schemas
from nimbus.identity.api.common import (
    entity,
    identity,
    list_response,
    query_bool,
    target,
    with_links,
)
from nimbus.identity.db import resources


def _render(req: Request, ref: dict[str, Any]) -> dict[str, Any]:
    return with_links(req, "domains", ref)


def list_domains(req: Request) -> Response:
    """GET /v3/domains -> 200."""
    req.context.can("identity:list_domains", target(domain={"id": req.query.get("id")}))
    with identity(req).db.reader() as conn:
        found = resources.list_domains(conn, name=req.query.get("name"),
                                       enabled=query_bool(req, "enabled"))
    return list_response(req, "domains", found, lambda d: _render(req, d))


def create_domain(req: Request) -> Response:
    """POST /v3/domains -> 201."""
    ref = entity(req, "domain", schemas.CREATE_DOMAIN)
    req.context.can("identity:create_domain", target(domain=ref))
    if "explicit_domain_id" in ref:
        ref["id"] = ref.pop("explicit_domain_id")
    with identity(req).db.writer() as conn:
        domain = resources.create_domain(conn, ref)
    return json_response({"domain": _render(req, domain)}, 201)


def show_domain(req: Request) -> Response:
    """GET /v3/domains/{domain_id} -> 200."""
    with identity(req).db.reader() as conn:
        domain = resources.get_domain(conn, req.path_params["domain_id"])
    req.context.can("identity:get_domain", target(domain=domain))
    return json_response({"domain": _render(req, domain)})


def update_domain(req: Request) -> Response:
    """PATCH /v3/domains/{domain_id} -> 200."""
    changes = entity(req, "domain", schemas.UPDATE_DOMAIN)
    domain_id = req.path_params["domain_id"]
    req.context.can("identity:update_domain", target(domain={"id": domain_id}))
    with identity(req).db.writer() as conn:
        domain = resources.update_domain(conn, domain_id, changes)
    return json_response({"domain": _render(req, domain)})


def delete_domain(req: Request) -> Response:
    """DELETE /v3/domains/{domain_id} -> 204; 403 while it is enabled."""
    domain_id = req.path_params["domain_id"]
    req.context.can("identity:delete_domain", target(domain={"id": domain_id}))
    with identity(req).db.writer() as conn:
        resources.delete_domain(conn, domain_id)
    return empty_response()
