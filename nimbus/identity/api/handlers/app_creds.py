"""/v3/users/{user_id}/application_credentials and access_rules."""

from __future__ import annotations

import datetime
import secrets
from typing import Any

from starlette.responses import Response

from nimbus.common.api.app import Request, empty_response, json_response
from nimbus.identity import exceptions as exc
from nimbus.identity.api import schemas
from nimbus.identity.api.common import entity, identity, list_response, target
from nimbus.identity.db import app_creds, assignments, resources, roles


def _render(req: Request, ref: dict[str, Any]) -> dict[str, Any]:
    out = dict(ref)
    # Tempest compares with datetime.isoformat() of the naive UTC time it sent.
    if out["expires_at"] is not None:
        out["expires_at"] = out["expires_at"].astimezone(datetime.UTC).replace(
            tzinfo=None).isoformat()
    out["links"] = {"self": req.url(
        f"/v3/users/{ref['user_id']}/application_credentials/{ref['id']}")}
    return out


def _expiry(value: str | None) -> datetime.datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise exc.ValidationError(f"Invalid expires_at {value!r}: use ISO 8601.") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    if parsed <= datetime.datetime.now(datetime.UTC):
        raise exc.ValidationError("The expiration time of an application credential "
                                  "must be in the future.")
    return parsed


def create_app_cred(req: Request) -> Response:
    """POST /v3/users/{user_id}/application_credentials -> 201, the secret shown once."""
    ref = entity(req, "application_credential", schemas.CREATE_APP_CRED)
    user_id = req.path_params["user_id"]
    ctx = req.context
    ctx.can("identity:create_application_credential", target(user_id=user_id))
    auth = ctx.auth
    if auth is None or not auth.project_id:
        raise exc.Forbidden("An application credential is made from a project-scoped token.")
    if auth.application_credential_id and not _unrestricted(req, auth.application_credential_id):
        raise exc.Forbidden("A restricted application credential cannot create another one.")
    ident = identity(req)
    with ident.db.reader() as conn:
        held = assignments.effective_role_ids(
            conn, user_id, project=resources.get_project(conn, auth.project_id))
        wanted = _wanted_roles(conn, ref.get("roles"), auth.role_ids)
    missing = [r for r in wanted if r not in held]
    if missing:
        raise exc.Forbidden(f"You do not hold the roles {', '.join(missing)} on the project.")
    secret = ref.get("secret") or secrets.token_urlsafe(64)
    with ident.db.writer() as conn:
        cred = app_creds.create(
            conn, user_id=user_id, project_id=auth.project_id, name=ref["name"],
            hashed_secret=ident.hash_secret(secret), role_ids=wanted,
            description=ref.get("description"), expires_at=_expiry(ref.get("expires_at")),
            unrestricted=bool(ref.get("unrestricted")), rules=ref.get("access_rules") or [])
    body = _render(req, cred)
    body["secret"] = secret
    return json_response({"application_credential": body}, 201)


def _unrestricted(req: Request, app_cred_id: str) -> bool:
    with identity(req).db.reader() as conn:
        return bool(app_creds.get(conn, app_cred_id)["unrestricted"])


def _wanted_roles(conn: Any, requested: list[dict[str, str]] | None,
                  token_roles: tuple[str, ...]) -> list[str]:
    """Role ids asked for by id or name; by default the token's roles."""
    if not requested:
        return list(token_roles)
    ids = []
    for ref in requested:
        role = (roles.get_role(conn, ref["id"]) if "id" in ref
                else roles.get_role_by_name(conn, ref["name"]))
        ids.append(role["id"])
    return list(dict.fromkeys(ids))


def list_app_creds(req: Request) -> Response:
    """GET /v3/users/{user_id}/application_credentials -> 200."""
    user_id = req.path_params["user_id"]
    req.context.can("identity:list_application_credentials", target(user_id=user_id))
    with identity(req).db.reader() as conn:
        found = app_creds.list_for_user(conn, user_id, name=req.query.get("name"))
    return list_response(req, "application_credentials", found, lambda c: _render(req, c))


def show_app_cred(req: Request) -> Response:
    """GET /v3/users/{user_id}/application_credentials/{id} -> 200."""
    user_id = req.path_params["user_id"]
    req.context.can("identity:get_application_credential", target(user_id=user_id))
    with identity(req).db.reader() as conn:
        cred = app_creds.get(conn, req.path_params["application_credential_id"], user_id)
    return json_response({"application_credential": _render(req, cred)})


def delete_app_cred(req: Request) -> Response:
    """DELETE /v3/users/{user_id}/application_credentials/{id} -> 204."""
    user_id = req.path_params["user_id"]
    req.context.can("identity:delete_application_credential", target(user_id=user_id))
    with identity(req).db.writer() as conn:
        app_creds.delete(conn, req.path_params["application_credential_id"], user_id)
    return empty_response()


# -- access rules --------------------------------------------------------------

def _rule_render(req: Request, user_id: str, rule: dict[str, Any]) -> dict[str, Any]:
    out = dict(rule)
    out["links"] = {"self": req.url(f"/v3/users/{user_id}/access_rules/{rule['id']}")}
    return out


def list_access_rules(req: Request) -> Response:
    """GET /v3/users/{user_id}/access_rules -> 200."""
    user_id = req.path_params["user_id"]
    req.context.can("identity:list_access_rules", target(user={"id": user_id}))
    with identity(req).db.reader() as conn:
        found = app_creds.list_access_rules(conn, user_id)
    return list_response(req, "access_rules", found, lambda r: _rule_render(req, user_id, r))


def show_access_rule(req: Request) -> Response:
    """GET /v3/users/{user_id}/access_rules/{access_rule_id} -> 200."""
    user_id = req.path_params["user_id"]
    req.context.can("identity:get_access_rule", target(user={"id": user_id}))
    with identity(req).db.reader() as conn:
        rule = app_creds.get_access_rule(conn, user_id, req.path_params["access_rule_id"])
    return json_response({"access_rule": _rule_render(req, user_id, rule)})


def delete_access_rule(req: Request) -> Response:
    """DELETE /v3/users/{user_id}/access_rules/{access_rule_id} -> 204."""
    user_id = req.path_params["user_id"]
    req.context.can("identity:delete_access_rule", target(user={"id": user_id}))
    with identity(req).db.writer() as conn:
        app_creds.delete_access_rule(conn, user_id, req.path_params["access_rule_id"])
    return empty_response()
