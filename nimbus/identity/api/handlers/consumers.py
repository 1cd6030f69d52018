"""/v3/OS-OAUTH1/consumers: OAuth 1.0a consumers (request and access tokens are not served)."""

from __future__ import annotations

import secrets
from typing import Any

from starlette.responses import Response

from nimbus.common.api.app import Request, empty_response, json_response
from nimbus.common.api.validation import validate
from nimbus.identity import exceptions as exc
from nimbus.identity.api import schemas
from nimbus.identity.api.common import entity, identity, list_response, with_links
from nimbus.identity.db import consumers

_COLLECTION = "OS-OAUTH1/consumers"


def _render(req: Request, ref: dict[str, Any]) -> dict[str, Any]:
    return with_links(req, _COLLECTION, ref)


def _normalized(ref: dict[str, Any]) -> dict[str, Any]:
    """Attribute names as Keystone keeps them: ':' and '-' become '_'."""
    return {k.replace(":", "_").replace("-", "_"): v for k, v in ref.items()}


def list_consumers(req: Request) -> Response:
    """GET /v3/OS-OAUTH1/consumers -> 200."""
    req.context.can("identity:list_consumers")
    with identity(req).db.reader() as conn:
        found = consumers.list_consumers(conn)
    return list_response(req, "consumers", found, lambda c: _render(req, c))


def create_consumer(req: Request) -> Response:
    """POST /v3/OS-OAUTH1/consumers -> 201, with the secret (shown this once)."""
    body = validate(schemas.CREATE_CONSUMER, req.json() if req.body else {})
    ref = _normalized(body.get("consumer") or {})
    req.context.can("identity:create_consumer")
    ident = identity(req)
    secret = secrets.token_hex(16)
    # NOTE: only the hash is kept, as for application credentials. Verifying
    # OAuth1 HMAC signatures would need the secret itself: serving request
    # tokens means keeping it encrypted with the credential keys instead.
    hashed = ident.hash_secret(secret)
    with ident.db.writer() as conn:
        created = consumers.create(conn, ref, hashed)
    out = _render(req, created)
    out["secret"] = secret
    return json_response({"consumer": out}, 201)


def show_consumer(req: Request) -> Response:
    """GET /v3/OS-OAUTH1/consumers/{consumer_id} -> 200."""
    req.context.can("identity:get_consumer")
    with identity(req).db.reader() as conn:
        found = consumers.get(conn, req.path_params["consumer_id"])
    return json_response({"consumer": _render(req, found)})


def update_consumer(req: Request) -> Response:
    """PATCH /v3/OS-OAUTH1/consumers/{consumer_id} -> 200."""
    changes = _normalized(entity(req, "consumer", schemas.UPDATE_CONSUMER))
    consumer_id = req.path_params["consumer_id"]
    req.context.can("identity:update_consumer")
    if changes.get("id") is not None and changes["id"] != consumer_id:
        raise exc.ValidationError("Cannot change the id of a consumer.")
    with identity(req).db.writer() as conn:
        updated = consumers.update(conn, consumer_id, changes)
    return json_response({"consumer": _render(req, updated)})


def delete_consumer(req: Request) -> Response:
    """DELETE /v3/OS-OAUTH1/consumers/{consumer_id} -> 204."""
    req.context.can("identity:delete_consumer")
    with identity(req).db.writer() as conn:
        consumers.delete(conn, req.path_params["consumer_id"])
    return empty_response()
