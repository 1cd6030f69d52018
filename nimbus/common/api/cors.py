"""Cross-origin resource sharing, configured as oslo.middleware's [cors].

A request from an allowed origin gets Access-Control-Allow-Origin (and the
credentials and exposed-headers answers) on its response. A preflight
(OPTIONS with Access-Control-Request-Method) is answered here: 200 with the
allowance when the origin, method and headers are allowed, 200 without any
allowance when they are not, so the browser refuses the real request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import Message, Receive, Scope, Send

# Headers a browser may always send (the CORS "simple" request headers).
_SIMPLE_HEADERS = {"cache-control", "content-language", "content-type", "expires",
                   "last-modified", "pragma"}


@dataclass(frozen=True)
class CorsSettings:
    allowed_origins: Sequence[str]
    allow_credentials: bool = True
    expose_headers: Sequence[str] = ()
    max_age: int | None = 3600
    allow_methods: Sequence[str] = ("OPTIONS", "GET", "HEAD", "POST", "PUT", "DELETE",
                                    "TRACE", "PATCH")
    allow_headers: Sequence[str] = field(default_factory=tuple)


class CorsMiddleware:
    def __init__(self, app: Callable[..., Awaitable[None]], settings: CorsSettings):
        self.app = app
        self.settings = settings
        self.origins = set(settings.allowed_origins)
        self.methods = {m.upper() for m in settings.allow_methods}
        self.headers = {h.lower() for h in settings.allow_headers} | _SIMPLE_HEADERS

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is None:
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            await self._preflight(origin, headers, send)
            return
        allowed = origin in self.origins or "*" in self.origins

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                out.add_vary_header("Origin")
                if allowed:
                    out["Access-Control-Allow-Origin"] = origin
                    if self.settings.allow_credentials:
                        out["Access-Control-Allow-Credentials"] = "true"
                    if self.settings.expose_headers:
                        out["Access-Control-Expose-Headers"] = ", ".join(
                            self.settings.expose_headers)
            await send(message)

        await self.app(scope, receive, send_with_cors)

    async def _preflight(self, origin: str, headers: Headers, send: Send) -> None:
        answer: list[tuple[bytes, bytes]] = [(b"vary", b"Origin"), (b"content-length", b"0")]
        method = headers["access-control-request-method"].upper()
        requested = [h.strip() for h in headers.get("access-control-request-headers", "")
                     .split(",") if h.strip()]
        if ((origin in self.origins or "*" in self.origins) and method in self.methods
                and all(h.lower() in self.headers for h in requested)):
            answer.append((b"access-control-allow-origin", origin.encode()))
            answer.append((b"access-control-allow-methods", method.encode()))
            if requested:
                answer.append((b"access-control-allow-headers", ",".join(requested).encode()))
            if self.settings.allow_credentials:
                answer.append((b"access-control-allow-credentials", b"true"))
            if self.settings.max_age is not None:
                answer.append((b"access-control-max-age", str(self.settings.max_age).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": answer})
        await send({"type": "http.response.body", "body": b""})
