"""/os-keypairs: a user's key pairs, created, imported, listed, shown, deleted."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbus.common.api import errors
from nimbus.common.api.app import Request, empty_response, json_response
from nimbus.common.api.pagination import links as collection_links
from nimbus.common.api.pagination import page_params
from nimbus.compute import keys
from nimbus.compute.api import common
from nimbus.compute.api.common import compute, handler, since
from nimbus.compute.api.schemas import keypairs as schema
from nimbus.compute.db import keypairs as db
from nimbus.compute.db.keypairs import KeyPair
from nimbus.compute.exceptions import KeypairLimitExceeded, MarkerNotFound


def _user(req: Request) -> str:
    """Whose key pairs: from 2.10 an admin may name another user."""
    if since(req, "2.10"):
        named = req.query.getlist("user_id")
        if named:
            return named[0]
    return str(req.context.user_id)


def _query(req: Request, paged: bool = False) -> None:
    known = (schema.LIST_QUERY_V2_35 if paged and since(req, "2.35") else
             schema.QUERY_V2_10 if since(req, "2.10") else ())
    common.check_query(req, known, since(req, "2.75"))


def _fields(req: Request, keypair: KeyPair, *names: str) -> dict[str, Any]:
    body = {name: getattr(keypair, name) for name in names}
    if since(req, "2.2"):
        body["type"] = keypair.type
    return body


def _show(req: Request, keypair: KeyPair) -> dict[str, Any]:
    body = _fields(req, keypair, "name", "public_key", "fingerprint", "user_id", "id")
    # Nova's key pairs are never soft-deleted nor updated, and say so.
    body.update(created_at=keypair.created_at.replace(tzinfo=None).isoformat(),
                updated_at=None, deleted=False, deleted_at=None)
    return body


@handler()
def list_keypairs(req: Request) -> Response:
    """GET /os-keypairs -> 200; paged from 2.35."""
    _query(req, paged=True)
    user_id = _user(req)
    req.context.can("os_compute_api:os-keypairs:index", {"user_id": user_id})
    paged = since(req, "2.35")
    page = page_params(req.query, compute(req).max_limit) if paged else None
    try:
        with compute(req).api_db.reader() as conn:
            found = db.list_keypairs(conn, user_id, limit=page.limit if page else None,
                                     marker=page.marker if page else None)
    except MarkerNotFound as err:
        raise errors.BadRequest(str(err)) from None
    body: dict[str, Any] = {"keypairs": [
        {"keypair": _fields(req, k, "name", "public_key", "fingerprint")} for k in found]}
    if page is not None:
        next_links = collection_links(f"{common.api_root(req)}/os-keypairs", req.query,
                                      [{"id": k.name} for k in found], page)
        if next_links:
            body["keypairs_links"] = next_links
    return json_response(body)


@handler()
def show_keypair(req: Request) -> Response:
    """GET /os-keypairs/{keypair_name} -> 200."""
    _query(req)
    user_id = _user(req)
    req.context.can("os_compute_api:os-keypairs:show", {"user_id": user_id})
    with compute(req).api_db.reader() as conn:
        keypair = db.get(conn, user_id, req.path_params["keypair_name"])
    return json_response({"keypair": _show(req, keypair)})


@handler()
def delete_keypair(req: Request) -> Response:
    """DELETE /os-keypairs/{keypair_name} -> 202 before 2.2, 204 from it."""
    _query(req)
    user_id = _user(req)
    req.context.can("os_compute_api:os-keypairs:delete", {"user_id": user_id})
    with compute(req).api_db.writer() as conn:
        db.delete(conn, user_id, req.path_params["keypair_name"])
    return empty_response(204 if since(req, "2.2") else 202)


def _create_schema(req: Request) -> dict[str, Any]:
    if since(req, "2.92"):
        return schema.CREATE_V2_92
    if since(req, "2.10"):
        return schema.CREATE_V2_10
    return schema.CREATE_V2_2 if since(req, "2.2") else schema.CREATE_V2_1


@handler()
def create_keypair(req: Request) -> Response:
    """POST /os-keypairs -> 200 before 2.2, 201 from it.

    Without a public key one is generated and its private key returned
    (until 2.92, which requires the public key).
    """
    params = common.body(req, _create_schema(req))["keypair"]
    name = params["name"].strip()
    key_type = params.get("type", keys.SSH)
    user_id = params.get("user_id") or str(req.context.user_id)
    req.context.can("os_compute_api:os-keypairs:create", {"user_id": user_id})
    private_key = None
    if "public_key" in params:
        public_key = params["public_key"]
        fingerprint = keys.fingerprint(public_key, key_type)
    else:
        private_key, public_key, fingerprint = keys.generate(key_type, user_id)
    quota = compute(req).key_pairs_quota
    with compute(req).api_db.writer() as conn:
        if quota >= 0 and db.count(conn, user_id) >= quota:
            raise KeypairLimitExceeded()
        keypair = db.create(conn, user_id=user_id, name=name, fingerprint=fingerprint,
                            public_key=public_key, key_type=key_type)
    body = _fields(req, keypair, "name", "public_key", "fingerprint", "user_id")
    if private_key is not None:
        body["private_key"] = private_key
    return json_response({"keypair": body}, status=201 if since(req, "2.2") else 200)
