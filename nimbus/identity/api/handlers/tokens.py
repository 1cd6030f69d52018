"""/v3/auth: issue, validate and revoke tokens; the caller's catalog and scopes."""

from __future__ import annotations

from starlette.responses import Response

from nimbus.common.api.app import Request, empty_response, json_response, public
from nimbus.common.api.validation import validate
from nimbus.identity import auth
from nimbus.identity import exceptions as exc
from nimbus.identity.api import schemas
from nimbus.identity.api.common import flag, identity, list_response, target, with_links
from nimbus.identity.db import assignments, catalog, resources, revocations


@public
def issue_token(req: Request) -> Response:
    """POST /v3/auth/tokens -> 201, the token in X-Subject-Token."""
    body = validate(schemas.AUTH, req.json())["auth"]
    ident = identity(req)
    with ident.db.reader() as conn:
        token, validated = auth.authenticate(conn, ident.codec, ident.settings, body)
        rendered = auth.render(conn, validated, include_catalog=not flag(req, "nocatalog"))
    return json_response({"token": rendered}, 201, headers={"X-Subject-Token": token})


def _subject(req: Request, rule: str) -> auth.ValidatedToken:
    subject = req.headers.get("x-subject-token")
    if not subject:
        raise exc.ValidationError("The X-Subject-Token header is required.")
    # As Keystone: an invalid subject is 404 before policy is consulted
    # (policy needs the token's user to decide).
    validated = identity(req).validate(subject, allow_expired=flag(req, "allow_expired"))
    req.context.can(rule, target(token={"user_id": validated.user["id"]}))
    return validated


def validate_token(req: Request) -> Response:
    """GET /v3/auth/tokens -> 200 (HEAD: check_token)."""
    if req.method == "HEAD":
        _subject(req, "identity:check_token")
        return empty_response(200)
    validated = _subject(req, "identity:validate_token")
    with identity(req).db.reader() as conn:
        rendered = auth.render(conn, validated, include_catalog=not flag(req, "nocatalog"))
    return json_response({"token": rendered}, headers={"X-Subject-Token": req.headers["x-subject-token"]})


def revoke_token(req: Request) -> Response:
    """DELETE /v3/auth/tokens -> 204."""
    validated = _subject(req, "identity:revoke_token")
    with identity(req).db.writer() as conn:
        revocations.revoke(conn, audit_id=validated.payload.audit_ids[0])
    return empty_response(204)


def auth_catalog(req: Request) -> Response:
    """GET /v3/auth/catalog -> 200; 403 for an unscoped token."""
    req.context.can("identity:get_auth_catalog")
    auth_info = req.context.auth
    assert auth_info is not None
    if not (auth_info.project_id or auth_info.domain_id or auth_info.system_scope):
        raise exc.Forbidden("A scoped token is required to see the catalog.")
    with identity(req).db.reader() as conn:
        entries = catalog.build_catalog(conn, auth_info.user_id, auth_info.project_id)
    return json_response({"catalog": entries, "links": {"self": req.url("/v3/auth/catalog"),
                                                        "previous": None, "next": None}})


def auth_projects(req: Request) -> Response:
    """GET /v3/auth/projects -> 200: enabled projects the caller holds a role on."""
    req.context.can("identity:get_auth_projects")
    user_id = req.context.user_id
    assert user_id is not None
    with identity(req).db.reader() as conn:
        ids = assignments.project_ids_for_user(conn, user_id)
        found = resources.list_projects(conn, ids=ids, enabled=True)
        enabled_domains = {d["id"] for d in resources.list_domains(conn, enabled=True)}
    found = [p for p in found if p["domain_id"] in enabled_domains]
    return list_response(req, "projects", found, lambda p: with_links(req, "projects", p))


def auth_domains(req: Request) -> Response:
    """GET /v3/auth/domains -> 200: enabled domains the caller holds a role on."""
    req.context.can("identity:get_auth_domains")
    user_id = req.context.user_id
    assert user_id is not None
    with identity(req).db.reader() as conn:
        ids = assignments.domain_ids_for_user(conn, user_id)
        found = resources.list_domains(conn, ids=ids, enabled=True)
    return list_response(req, "domains", found, lambda d: with_links(req, "domains", d))


def auth_system(req: Request) -> Response:
    """GET /v3/auth/system -> 200: [{"all": true}] when the caller has a system role."""
    req.context.can("identity:get_auth_system")
    user_id = req.context.user_id
    assert user_id is not None
    with identity(req).db.reader() as conn:
        has_role = bool(assignments.effective_role_ids(conn, user_id, system=True))
    return json_response({"system": [{"all": True}] if has_role else [],
                          "links": {"self": req.url("/v3/auth/system"),
                                    "previous": None, "next": None}})
