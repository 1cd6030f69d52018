"""/v3/groups and group membership."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbus.common.api.app import Request, empty_response, json_response
from nimbus.identity import exceptions as exc
from nimbus.identity.api import schemas
from nimbus.identity.api.common import (
    entity,
    identity,
    list_response,
    query_bool,
    target,
    token_domain_id,
    with_links,
)
from nimbus.identity.api.handlers.users import render_user
from nimbus.identity.db import users


def _render(req: Request, ref: dict[str, Any]) -> dict[str, Any]:
    return with_links(req, "groups", ref)


def list_groups(req: Request) -> Response:
    """GET /v3/groups -> 200."""
    ctx = req.context
    domain_id = req.query.get("domain_id")
    scope_domain = domain_id or ctx.domain_id
    # No domain at all must not reach the rule as None: "None" would match
    # the "domain_id" of a token that has none.
    ctx.can("identity:list_groups",
            target(group={"domain_id": scope_domain}) if scope_domain else target())
    with identity(req).db.reader() as conn:
        found = users.list_groups(conn, domain_id=domain_id, name=req.query.get("name"))
    if not ctx.allowed("identity:list_groups", target()):
        found = [g for g in found if g["domain_id"] == ctx.domain_id]
    return list_response(req, "groups", found, lambda g: _render(req, g))


def create_group(req: Request) -> Response:
    """POST /v3/groups -> 201."""
    ref = entity(req, "group", schemas.CREATE_GROUP)
    ref.setdefault("domain_id", token_domain_id(req))
    req.context.can("identity:create_group", target(group=ref))
    with identity(req).db.writer() as conn:
        group = users.create_group(conn, ref)
    return json_response({"group": _render(req, group)}, 201)


def _load(req: Request, rule: str, with_user: bool = False) -> dict[str, Any]:
    with identity(req).db.reader() as conn:
        group = users.get_group(conn, req.path_params["group_id"])
        user = users.get_user(conn, req.path_params["user_id"]) if with_user else None
    req.context.can(rule, target(group=group, user=user))
    return group


def show_group(req: Request) -> Response:
    """GET /v3/groups/{group_id} -> 200."""
    return json_response({"group": _render(req, _load(req, "identity:get_group"))})


def update_group(req: Request) -> Response:
    """PATCH /v3/groups/{group_id} -> 200."""
    changes = entity(req, "group", schemas.UPDATE_GROUP)
    group = _load(req, "identity:update_group")
    with identity(req).db.writer() as conn:
        group = users.update_group(conn, group["id"], changes)
    return json_response({"group": _render(req, group)})


def delete_group(req: Request) -> Response:
    """DELETE /v3/groups/{group_id} -> 204."""
    group = _load(req, "identity:delete_group")
    with identity(req).db.writer() as conn:
        users.delete_group(conn, group["id"])
    return empty_response()


def list_members(req: Request) -> Response:
    """GET /v3/groups/{group_id}/users -> 200."""
    group = _load(req, "identity:list_users_in_group")
    with identity(req).db.reader() as conn:
        found = users.list_users(conn, group_id=group["id"], name=req.query.get("name"),
                                 enabled=query_bool(req, "enabled"))
    return list_response(req, "users", found, lambda u: render_user(req, u))


def add_member(req: Request) -> Response:
    """PUT /v3/groups/{group_id}/users/{user_id} -> 204."""
    group = _load(req, "identity:add_user_to_group", with_user=True)
    with identity(req).db.writer() as conn:
        users.add_member(conn, group["id"], req.path_params["user_id"])
    return empty_response()


def check_member(req: Request) -> Response:
    """HEAD/GET /v3/groups/{group_id}/users/{user_id} -> 204, or 404."""
    group = _load(req, "identity:check_user_in_group", with_user=True)
    with identity(req).db.reader() as conn:
        if not users.is_member(conn, group["id"], req.path_params["user_id"]):
            raise exc.NotFound("membership", f"user {req.path_params['user_id']} in group "
                               f"{group['id']}")
    return empty_response()


def remove_member(req: Request) -> Response:
    """DELETE /v3/groups/{group_id}/users/{user_id} -> 204."""
    group = _load(req, "identity:remove_user_from_group", with_user=True)
    with identity(req).db.writer() as conn:
        users.remove_member(conn, group["id"], req.path_params["user_id"])
    return empty_response()
