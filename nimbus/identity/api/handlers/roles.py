"""/v3/roles, implied roles and /v3/role_inferences."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbus.common.api.app import Request, empty_response, json_response
from nimbus.identity.api import schemas
from nimbus.identity.api.common import entity, identity, list_response, target, with_links
from nimbus.identity.db import roles


def render_role(req: Request, ref: dict[str, Any]) -> dict[str, Any]:
    return with_links(req, "roles", ref)


def _rule(action: str, role: dict[str, Any]) -> str:
    """Domain-specific roles have rules of their own."""
    return f"identity:{action}_domain_role" if role.get("domain_id") else f"identity:{action}_role"


def list_roles(req: Request) -> Response:
    """GET /v3/roles -> 200: global roles, or ?domain_id= a domain's roles."""
    domain_id = req.query.get("domain_id")
    rule = "identity:list_domain_roles" if domain_id else "identity:list_roles"
    req.context.can(rule, target(domain_id=domain_id))
    with identity(req).db.reader() as conn:
        found = roles.list_roles(conn, name=req.query.get("name"), domain_id=domain_id)
    return list_response(req, "roles", found, lambda r: render_role(req, r))


def create_role(req: Request) -> Response:
    """POST /v3/roles -> 201."""
    ref = entity(req, "role", schemas.CREATE_ROLE)
    req.context.can(_rule("create", ref), target(role=ref))
    with identity(req).db.writer() as conn:
        role = roles.create_role(conn, ref)
    return json_response({"role": render_role(req, role)}, 201)


def _load(req: Request, action: str, key: str = "role_id") -> dict[str, Any]:
    with identity(req).db.reader() as conn:
        role = roles.get_role(conn, req.path_params[key])
    req.context.can(_rule(action, role), target(role=role))
    return role


def show_role(req: Request) -> Response:
    """GET /v3/roles/{role_id} -> 200."""
    return json_response({"role": render_role(req, _load(req, "get"))})


def update_role(req: Request) -> Response:
    """PATCH /v3/roles/{role_id} -> 200."""
    changes = entity(req, "role", schemas.UPDATE_ROLE)
    role = _load(req, "update")
    with identity(req).db.writer() as conn:
        role = roles.update_role(conn, role["id"], changes)
    return json_response({"role": render_role(req, role)})


def delete_role(req: Request) -> Response:
    """DELETE /v3/roles/{role_id} -> 204."""
    role = _load(req, "delete")
    with identity(req).db.writer() as conn:
        roles.delete_role(conn, role["id"])
    return empty_response()


# -- implied roles -------------------------------------------------------------

def _brief(req: Request, role: dict[str, Any]) -> dict[str, Any]:
    return {"id": role["id"], "name": role["name"],
            "links": {"self": req.url(f"/v3/roles/{role['id']}")}}


def _inference(req: Request, prior: dict[str, Any], implied: dict[str, Any]) -> dict[str, Any]:
    return {
        "role_inference": {"prior_role": _brief(req, prior), "implies": _brief(req, implied)},
        "links": {"self": req.url(f"/v3/roles/{prior['id']}/implies/{implied['id']}")},
    }


def list_implied(req: Request) -> Response:
    """GET /v3/roles/{prior_role_id}/implies -> 200."""
    req.context.can("identity:list_implied_roles")
    with identity(req).db.reader() as conn:
        prior = roles.get_role(conn, req.path_params["prior_role_id"])
        implied = roles.roles_by_id(conn, roles.implied_by(conn, prior["id"]))
    return json_response({
        "role_inference": {
            "prior_role": _brief(req, prior),
            "implies": [_brief(req, r) for r in sorted(implied.values(), key=lambda r: r["name"])],
        },
        "links": {"self": req.url(f"/v3/roles/{prior['id']}/implies")},
    })


def _pair(req: Request) -> tuple[dict[str, Any], dict[str, Any]]:
    with identity(req).db.reader() as conn:
        return (roles.get_role(conn, req.path_params["prior_role_id"]),
                roles.get_role(conn, req.path_params["implied_role_id"]))


def create_implied(req: Request) -> Response:
    """PUT /v3/roles/{prior_role_id}/implies/{implied_role_id} -> 201."""
    req.context.can("identity:create_implied_role")
    prior, implied = _pair(req)
    with identity(req).db.writer() as conn:
        roles.create_implied_role(conn, prior["id"], implied["id"])
    return json_response(_inference(req, prior, implied), 201)


def show_implied(req: Request) -> Response:
    """GET /v3/roles/{prior_role_id}/implies/{implied_role_id} -> 200 (HEAD: 204)."""
    rule = "identity:check_implied_role" if req.method == "HEAD" else "identity:get_implied_role"
    req.context.can(rule)
    prior, implied = _pair(req)
    with identity(req).db.reader() as conn:
        roles.check_implied_role(conn, prior["id"], implied["id"])
    if req.method == "HEAD":
        return empty_response()
    return json_response(_inference(req, prior, implied))


def delete_implied(req: Request) -> Response:
    """DELETE /v3/roles/{prior_role_id}/implies/{implied_role_id} -> 204."""
    req.context.can("identity:delete_implied_role")
    prior, implied = _pair(req)
    with identity(req).db.writer() as conn:
        roles.delete_implied_role(conn, prior["id"], implied["id"])
    return empty_response()


def list_inferences(req: Request) -> Response:
    """GET /v3/role_inferences -> 200: every prior role with what it implies."""
    req.context.can("identity:list_role_inference_rules")
    with identity(req).db.reader() as conn:
        pairs = roles.implication_pairs(conn)
        refs = roles.roles_by_id(conn, {r for pair in pairs for r in pair})
    by_prior: dict[str, list[dict[str, Any]]] = {}
    for prior_id, implied_id in pairs:
        by_prior.setdefault(prior_id, []).append(_brief(req, refs[implied_id]))
    return json_response({
        "role_inferences": [
            {"prior_role": _brief(req, refs[prior_id]),
             "implies": sorted(implied, key=lambda r: r["name"])}
            for prior_id, implied in sorted(by_prior.items(), key=lambda kv: refs[kv[0]]["name"])
        ],
        "links": {"self": req.url("/v3/role_inferences")},
    })
