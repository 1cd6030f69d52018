"""/v3/users: users, their password, groups and projects."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbus.common.api.app import Request, empty_response, json_response, public
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
from nimbus.identity.db import assignments, resources, users
from nimbus.identity.passwords import verify_password


def render_user(req: Request, ref: dict[str, Any]) -> dict[str, Any]:
    return with_links(req, "users", ref)


def list_users(req: Request) -> Response:
    """GET /v3/users -> 200."""
    ctx = req.context
    domain_id = req.query.get("domain_id")
    ctx.can("identity:list_users", target(domain_id=domain_id or ctx.domain_id))
    with identity(req).db.reader() as conn:
        found = users.list_users(conn, domain_id=domain_id, name=req.query.get("name"),
                                 enabled=query_bool(req, "enabled"))
    if not ctx.allowed("identity:list_users", target()):
        found = [u for u in found if u["domain_id"] == ctx.domain_id]
    return list_response(req, "users", found, lambda u: render_user(req, u))


def create_user(req: Request) -> Response:
    """POST /v3/users -> 201."""
    ref = entity(req, "user", schemas.CREATE_USER)
    ref.setdefault("domain_id", token_domain_id(req))
    req.context.can("identity:create_user", target(user=ref))
    ident = identity(req)
    password = ref.get("password")
    hashed = ident.hash_secret(password) if password else None
    with ident.db.writer() as conn:
        user = users.create_user(conn, ref, hashed)
    return json_response({"user": render_user(req, user)}, 201)


def _load(req: Request, rule: str) -> dict[str, Any]:
    with identity(req).db.reader() as conn:
        user = users.get_user(conn, req.path_params["user_id"])
    req.context.can(rule, target(user=user))
    return user


def show_user(req: Request) -> Response:
    """GET /v3/users/{user_id} -> 200."""
    return json_response({"user": render_user(req, _load(req, "identity:get_user"))})


def update_user(req: Request) -> Response:
    """PATCH /v3/users/{user_id} -> 200; a new password revokes the user's tokens."""
    changes = entity(req, "user", schemas.UPDATE_USER)
    user = _load(req, "identity:update_user")
    ident = identity(req)
    password = changes.get("password")
    hashed = ident.hash_secret(password) if password else None
    with ident.db.writer() as conn:
        user = users.update_user(conn, user["id"], changes, hashed)
    return json_response({"user": render_user(req, user)})


def delete_user(req: Request) -> Response:
    """DELETE /v3/users/{user_id} -> 204."""
    user = _load(req, "identity:delete_user")
    with identity(req).db.writer() as conn:
        users.delete_user(conn, user["id"])
    return empty_response()


@public
def change_password(req: Request) -> Response:
    """POST /v3/users/{user_id}/password -> 204; 401 if the original is wrong.

    The original password is the credential: as in Keystone, no token and no
    policy rule are involved, so a user whose password expired can still
    change it.
    """
    body = entity(req, "user", schemas.CHANGE_PASSWORD)
    ident = identity(req)
    user_id = req.path_params["user_id"]
    with ident.db.reader() as conn:
        try:
            users.get_user(conn, user_id)
        except exc.NotFound:
            raise exc.AuthFailed() from None
        current = users.password_hash(conn, user_id)
    if not verify_password(body["original_password"], current):
        raise exc.AuthFailed()
    hashed = ident.hash_secret(body["password"])
    with ident.db.writer() as conn:
        users.update_user(conn, user_id, {}, hashed)
    return empty_response()


def list_user_groups(req: Request) -> Response:
    """GET /v3/users/{user_id}/groups -> 200."""
    user = _load(req, "identity:list_groups_for_user")
    with identity(req).db.reader() as conn:
        found = users.list_groups(conn, user_id=user["id"], name=req.query.get("name"))
    return list_response(req, "groups", found, lambda g: with_links(req, "groups", g))


def list_user_projects(req: Request) -> Response:
    """GET /v3/users/{user_id}/projects -> 200: projects the user has a role on."""
    user = _load(req, "identity:list_user_projects")
    with identity(req).db.reader() as conn:
        ids = assignments.project_ids_for_user(conn, user["id"])
        found = resources.list_projects(conn, ids=ids, enabled=query_bool(req, "enabled"),
                                        name=req.query.get("name"),
                                        domain_id=req.query.get("domain_id"))
    return list_response(req, "projects", found, lambda p: with_links(req, "projects", p))
