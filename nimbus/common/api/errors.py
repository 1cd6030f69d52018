"""HTTP errors and the body each service wraps them in.

Handlers raise an ``ApiError`` subclass; the service's ``ErrorFormat`` turns
it into the body upstream sends: Keystone's ``{"error": {...}}``, Nova's
``{"itemNotFound": {...}}``, Placement's ``{"errors": [...]}``.
"""

from __future__ import annotations

import html as htmllib
import http
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import orjson

if TYPE_CHECKING:
    from nimbus.common.api.microversion import Version


class ApiError(Exception):
    """An error with an HTTP status, a message for the user and, where the
    service has them, a stable machine-readable code."""

    status: int = 500

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
        title: str | None = None,
        extra: Mapping[str, object] | None = None,
    ):
        # An empty message stays empty (upstream Placement sends some).
        self.message = message if message is not None else self.default_message()
        self.code = code
        self.extra = dict(extra or {})  # service-specific body fields
        self.headers = dict(headers or {})
        self.title = title or http.HTTPStatus(self.status).phrase
        super().__init__(self.message)

    def default_message(self) -> str:
        return http.HTTPStatus(self.status).description or http.HTTPStatus(self.status).phrase


class BadRequest(ApiError):
    status = 400


class Unauthorized(ApiError):
    status = 401

    def default_message(self) -> str:
        return "The request you have made requires authentication."


class Forbidden(ApiError):
    status = 403


class NotFound(ApiError):
    status = 404

    def default_message(self) -> str:
        return "The resource could not be found."


class MethodNotAllowed(ApiError):
    status = 405


class NotAcceptable(ApiError):
    status = 406


class Conflict(ApiError):
    status = 409


class Gone(ApiError):
    status = 410


class PayloadTooLarge(ApiError):
    status = 413

    def default_message(self) -> str:
        return "Request is too large."


class RangeNotSatisfiable(ApiError):
    status = 416


class UnsupportedMediaType(ApiError):
    status = 415


class InternalError(ApiError):
    status = 500

    def default_message(self) -> str:
        return (
            "An unexpected error prevented the server from fulfilling your "
            "request."
        )


class NotImplementedYet(ApiError):
    status = 501


class ServiceUnavailable(ApiError):
    status = 503


# An ErrorFormat renders an error, given the request id and the microversion
# the request negotiated (None if it did not get that far), to a body.
ErrorFormat = Callable[[ApiError, str, "Version | None"], object]


def keystone_format(err: ApiError, request_id: str, version: Version | None = None) -> object:
    return {"error": {"code": err.status, "message": err.message, "title": err.title}}


# Nova names the wrapper of each status (nova/api/openstack/wsgi.py's Fault).
_NOVA_FAULT_NAMES = {
    400: "badRequest",
    401: "unauthorized",
    403: "forbidden",
    404: "itemNotFound",
    405: "badMethod",
    406: "HTTPNotAcceptable",
    409: "conflictingRequest",
    413: "overLimit",
    415: "badMediaType",
    429: "overLimit",
    501: "notImplemented",
    503: "serviceUnavailable",
}


def nova_format(err: ApiError, request_id: str, version: Version | None = None) -> object:
    name = _NOVA_FAULT_NAMES.get(err.status, "computeFault")
    return {name: {"code": err.status, "message": err.message}}


def placement_format(err: ApiError, request_id: str, version: Version | None = None) -> object:
    """Placement's: error codes from microversion 1.23; a 406 from version
    negotiation names the supported range."""
    error: dict[str, object] = {"status": err.status, "title": err.title, "detail": err.message}
    if version is not None and (version.major, version.minor) >= (1, 23):
        error["code"] = err.code or "placement.undefined_code"
    error["request_id"] = request_id
    if err.status == 406 and version is None and err.extra:
        error.update(err.extra)
    return {"errors": [error]}


def render(fmt: ErrorFormat, err: ApiError, request_id: str,
           version: Version | None = None) -> bytes:
    return orjson.dumps(fmt(err, request_id, version))


_ERROR_MEDIA = ("text/html", "application/json")  # WebOb's offers, in its order


def _quality(accept: str, offer: str) -> float:
    """The q the Accept header gives `offer` (its most specific range)."""
    best: tuple[int, float] = (-1, 0.0)
    kind = offer.split("/")[0]
    for item in accept.split(","):
        parts = [p.strip() for p in item.split(";")]
        media = parts[0].lower()
        q = 1.0
        for param in parts[1:]:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        specificity = (2 if media == offer else 1 if media == f"{kind}/*"
                       else 0 if media == "*/*" else -1)
        if specificity > best[0]:
            best = (specificity, q)
    return best[1] if best[0] >= 0 else 0.0


def negotiate_media(accept: str | None) -> str:
    """The media type of an error body for this Accept header, as WebOb picks
    it behind upstream services that log requests (no header, or ``*/*``,
    means JSON): HTML or JSON, whichever is preferred, else plain text."""
    if not accept or accept.strip() == "*/*":
        return "application/json"
    ranked = [(_quality(accept, offer), -i, offer) for i, offer in enumerate(_ERROR_MEDIA)]
    q, _, offer = max(ranked)
    return offer if q > 0 else "text/plain"


def render_text(err: ApiError, html: bool) -> bytes:
    """An error as a short HTML page or plain text."""
    status = f"{err.status} {err.title}"
    if not html:
        return f"{status}\n\n{err.message}\n".encode()
    message = htmllib.escape(err.message)
    return (f"<html>\n <head>\n  <title>{status}</title>\n </head>\n <body>\n"
            f"  <h1>{status}</h1>\n  {message}<br /><br />\n </body>\n</html>\n").encode()
