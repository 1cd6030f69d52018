"""What the identity handlers share: state, links, lists, filters, policy targets."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from nimbus.common.api.app import Request, json_response
from nimbus.common.api.validation import validate

if TYPE_CHECKING:
    from nimbus.identity.service import Identity

_FALSE = {"0", "false", "f", "n", "no", "off"}


def identity(req: Request) -> Identity:
    return req.state  # type: ignore[no-any-return]


def self_link(req: Request, path: str) -> dict[str, str]:
    return {"self": req.url(f"/v3/{path}")}


def with_links(req: Request, collection: str, ref: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(ref)
    out["links"] = self_link(req, f"{collection}/{ref['id']}")
    return out


def entity(req: Request, key: str, schema: dict[str, Any]) -> dict[str, Any]:
    """The object under `key` in the request body, validated by `schema`."""
    body = validate(schema, req.json())
    return dict(body[key])


def list_response(
    req: Request, key: str, refs: list[dict[str, Any]],
    render: Callable[[dict[str, Any]], dict[str, Any]],
) -> Response:
    """Keystone's list document: the entities, collection links and, when
    [identity] list_limit cut the list, ``"truncated": true``."""
    limit = identity(req).list_limit
    truncated = limit is not None and len(refs) > limit
    if truncated:
        refs = refs[:limit]
    query = req.scope.get("query_string", b"").decode("latin-1")
    self_href = req.base_url + req.path
    body: dict[str, Any] = {
        key: [render(ref) for ref in refs],
        "links": {"self": self_href + (f"?{query}" if query else ""),
                  "previous": None, "next": None},
    }
    if truncated:
        body["truncated"] = True
    return json_response(body)


def query_bool(req: Request, name: str) -> bool | None:
    """Keystone reads a boolean filter as false for 0/false/no/off, else true."""
    value = req.query.get(name)
    if value is None:
        return None
    return value.strip().lower() not in _FALSE


def flag(req: Request, name: str) -> bool:
    """A query flag that counts when present without a value (``?effective``)."""
    if name not in req.query:
        return False
    value = req.query.get(name) or ""
    return value == "" or value.strip().lower() not in _FALSE


def target(**objects: Mapping[str, Any] | str | None) -> dict[str, Any]:
    """A policy target: ``target(user=ref)`` gives ``{"target.user.id": ...}``,
    None attributes included (rules test ``None:%(target.role.domain_id)s``).
    A plain value becomes ``target.<name>`` and ``<name>``; a None one is left
    out, so that rules comparing to it fail instead of matching "None"."""
    flat: dict[str, Any] = {}
    for name, value in objects.items():
        if isinstance(value, Mapping):
            for key, item in value.items():
                if not isinstance(item, (dict, list)):
                    flat[f"target.{name}.{key}"] = item
        elif value is not None:
            flat[f"target.{name}"] = value
            flat[name] = value
    return flat


def token_domain_id(req: Request) -> str:
    """The domain a request without one means: the token's, else the default."""
    ctx = req.context
    if ctx.auth is not None:
        if ctx.auth.domain_id:
            return ctx.auth.domain_id
        if ctx.auth.project_domain_id:
            return ctx.auth.project_domain_id
    return identity(req).default_domain_id

