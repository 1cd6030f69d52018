"""/v3/credentials and the EC2 credentials of /v3/users/{user_id}/credentials/OS-EC2."""

from __future__ import annotations

import secrets
from typing import Any

import orjson
from starlette.responses import Response

from nimbus.common.api.app import Request, empty_response, json_response
from nimbus.common.api.validation import validate
from nimbus.identity import exceptions as exc
from nimbus.identity.api import schemas
from nimbus.identity.api.common import entity, identity, list_response, target, with_links
from nimbus.identity.db import assignments, credentials, resources, users


def _render(req: Request, ref: dict[str, Any]) -> dict[str, Any]:
    return with_links(req, "credentials", ref)


def list_credentials(req: Request) -> Response:
    """GET /v3/credentials -> 200: all of them for admins, one's own otherwise."""
    ctx = req.context
    ident = identity(req)
    with ident.db.reader() as conn:
        found = credentials.list_credentials(conn, ident, user_id=req.query.get("user_id"),
                                             type=req.query.get("type"))
    visible = [c for c in found
               if ctx.allowed("identity:list_credentials", target(credential=c))]
    return list_response(req, "credentials", visible, lambda c: _render(req, c))


def create_credential(req: Request) -> Response:
    """POST /v3/credentials -> 201."""
    ref = entity(req, "credential", schemas.CREATE_CREDENTIAL)
    req.context.can("identity:create_credential", target(credential=ref))
    ident = identity(req)
    with ident.db.writer() as conn:
        users.get_user(conn, ref["user_id"])
        cred = credentials.create(conn, ident, ref)
    return json_response({"credential": _render(req, cred)}, 201)


def _load(req: Request, rule: str) -> dict[str, Any]:
    ident = identity(req)
    with ident.db.reader() as conn:
        cred = credentials.get(conn, ident, req.path_params["credential_id"])
    req.context.can(rule, target(credential=cred))
    return cred


def show_credential(req: Request) -> Response:
    """GET /v3/credentials/{credential_id} -> 200."""
    return json_response({"credential": _render(req, _load(req, "identity:get_credential"))})


def update_credential(req: Request) -> Response:
    """PATCH /v3/credentials/{credential_id} -> 200."""
    changes = entity(req, "credential", schemas.UPDATE_CREDENTIAL)
    cred = _load(req, "identity:update_credential")
    if "user_id" in changes:
        req.context.can("identity:update_credential", target(credential=changes))
    ident = identity(req)
    with ident.db.writer() as conn:
        cred = credentials.update(conn, ident, cred["id"], changes)
    return json_response({"credential": _render(req, cred)})


def delete_credential(req: Request) -> Response:
    """DELETE /v3/credentials/{credential_id} -> 204."""
    cred = _load(req, "identity:delete_credential")
    with identity(req).db.writer() as conn:
        credentials.delete(conn, cred["id"])
    return empty_response()


# -- OS-EC2 --------------------------------------------------------------------

def _ec2(req: Request, cred: dict[str, Any]) -> dict[str, Any]:
    blob = orjson.loads(cred["blob"])
    return {
        "user_id": cred["user_id"],
        "tenant_id": cred["project_id"],
        "access": blob["access"],
        "secret": blob["secret"],
        "trust_id": blob.get("trust_id"),
        "links": {"self": req.url(
            f"/v3/users/{cred['user_id']}/credentials/OS-EC2/{blob['access']}")},
    }


def create_ec2(req: Request) -> Response:
    """POST /v3/users/{user_id}/credentials/OS-EC2 -> 201."""
    body = validate(schemas.CREATE_EC2, req.json())
    user_id = req.path_params["user_id"]
    req.context.can("identity:ec2_create_credential", target(credential={"user_id": user_id}))
    ident = identity(req)
    with ident.db.reader() as conn:
        project = resources.get_project(conn, body["tenant_id"])
        if not assignments.effective_role_ids(conn, user_id, project=project):
            raise exc.Forbidden(f"User {user_id} has no role on project {project['id']}.")
    blob = {"access": secrets.token_hex(16), "secret": secrets.token_hex(16),
            "trust_id": None, "app_cred_id": None}
    with ident.db.writer() as conn:
        cred = credentials.create(conn, ident, {
            "user_id": user_id, "project_id": project["id"], "type": "ec2",
            "blob": orjson.dumps(blob).decode()})
    return json_response({"credential": _ec2(req, cred)}, 201)


def list_ec2(req: Request) -> Response:
    """GET /v3/users/{user_id}/credentials/OS-EC2 -> 200."""
    user_id = req.path_params["user_id"]
    req.context.can("identity:ec2_list_credentials", target(user_id=user_id))
    ident = identity(req)
    with ident.db.reader() as conn:
        users.get_user(conn, user_id)
        found = credentials.list_credentials(conn, ident, user_id=user_id, type="ec2")
    return list_response(req, "credentials", found, lambda c: _ec2(req, c))


def _load_ec2(req: Request, rule: str) -> dict[str, Any]:
    user_id = req.path_params["user_id"]
    access = req.path_params["credential_id"]
    ident = identity(req)
    with ident.db.reader() as conn:
        try:
            cred = credentials.get(conn, ident, credentials.ec2_credential_id(access))
        except exc.NotFound:
            raise exc.NotFound("credential", access) from None
    req.context.can(rule, target(credential=cred))
    if cred["user_id"] != user_id or cred["type"] != "ec2":
        raise exc.NotFound("credential", access)
    return cred


def show_ec2(req: Request) -> Response:
    """GET /v3/users/{user_id}/credentials/OS-EC2/{access} -> 200."""
    return json_response({"credential": _ec2(req, _load_ec2(req, "identity:ec2_get_credential"))})


def delete_ec2(req: Request) -> Response:
    """DELETE /v3/users/{user_id}/credentials/OS-EC2/{access} -> 204."""
    cred = _load_ec2(req, "identity:ec2_delete_credential")
    with identity(req).db.writer() as conn:
        credentials.delete(conn, cred["id"])
    return empty_response()
