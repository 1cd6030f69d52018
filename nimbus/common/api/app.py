"""The ASGI side of every service: route tables, dispatch and the middleware stack.

A service declares its routes as data, ``{path: {method: handler}}``, in the
manner of Placement's ``ROUTE_DECLARATIONS``. A handler is a plain function
``handler(req: Request) -> Response``; it runs in a worker thread, so it may
block on the database. The dispatcher does, in this order: match the path
(404) and method (405 with ``Allow``), negotiate the microversion (400/406),
authenticate the token unless the handler is ``@public`` (401), read the body
up to the size cap (413), call the handler, translate ``ApiError`` and
``PolicyDenied`` into the service's error body, and add the microversion
headers.

Around it, outermost first (see ``build_stack``): request ids, the access
log, the fault barrier that turns any other exception into a logged 500.
"""

from __future__ import annotations

import contextvars
import gc
import inspect
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any, Protocol

import anyio.to_thread
import orjson
from starlette.datastructures import Headers, QueryParams
from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.routing import compile_path

from nimbus.common.api import errors
from nimbus.common.api.cors import CorsMiddleware, CorsSettings
from nimbus.common.api.microversion import APIVersions, Version
from nimbus.common.context import AuthInfo, RequestContext
from nimbus.common.policy import Policy, PolicyDenied

LOG = logging.getLogger("nimbus.api")

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_GLOBAL_ID_RE = re.compile(r"^req-[a-f0-9]{8}(-[a-f0-9]{4}){3}-[a-f0-9]{12}$")


class Authenticator(Protocol):
    """Turns an X-Auth-Token (and, for noauth, the request headers) into
    AuthInfo, or raises errors.Unauthorized."""

    def authenticate(self, token: str, headers: Mapping[str, str]) -> AuthInfo: ...


class Request:
    """What a handler sees of an HTTP request."""

    __slots__ = (
        "method", "path", "path_params", "query", "headers", "body",
        "context", "version", "base_url", "scope", "state", "receive",
    )

    def __init__(
        self,
        *,
        method: str,
        path: str,
        path_params: dict[str, Any],
        query: QueryParams,
        headers: Headers,
        body: bytes,
        context: RequestContext,
        version: Version | None,
        base_url: str,
        scope: Scope,
        state: Any,
        receive: Receive | None = None,
    ):
        self.method = method
        self.path = path
        self.path_params = path_params
        self.query = query
        self.headers = headers
        self.body = body
        self.context = context
        self.version = version
        self.base_url = base_url
        self.scope = scope
        self.state = state  # the service's own objects: database, settings
        self.receive = receive  # set for @streaming handlers, whose body is not read

    async def stream(self) -> AsyncIterator[bytes]:
        """The body of a @streaming request, chunk by chunk as it arrives."""
        if self.receive is None:
            raise RuntimeError("stream() is for @streaming handlers")
        while True:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                raise ClientDisconnect()
            chunk = message.get("body", b"")
            if chunk:
                yield chunk
            if not message.get("more_body", False):
                return

    def json(self) -> Any:
        """The body parsed as JSON, or 400."""
        if not self.body:
            raise errors.BadRequest("The request body is empty; a JSON document is required.")
        try:
            return orjson.loads(self.body)
        except orjson.JSONDecodeError as exc:
            raise errors.BadRequest(f"Malformed JSON in request body: {exc}") from None

    def url(self, path: str = "") -> str:
        """The public URL of `path` under this service's root."""
        return self.base_url + path


# A handler returns a Response; a @streaming one may be a coroutine function.
Handler = Callable[[Request], Any]


def public(handler: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a handler as reachable without a token."""
    handler.nimbus_public = True  # type: ignore[attr-defined]
    return handler


def streaming(handler: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a handler that reads its own body with ``req.stream()``: the
    dispatcher neither reads nor caps it. Such a handler is usually a
    coroutine function, run on the event loop rather than in a thread, so
    that the body flows through it without a thread hop per chunk."""
    handler.nimbus_streaming = True  # type: ignore[attr-defined]
    return handler


def json_response(
    body: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(
        orjson.dumps(body), status_code=status, headers=dict(headers or {}),
        media_type="application/json",
    )


def empty_response(status: int = 204, headers: Mapping[str, str] | None = None) -> Response:
    return Response(b"", status_code=status, headers=dict(headers or {}))


@dataclass(frozen=True)
class _Route:
    regex: re.Pattern[str]
    convertors: dict[str, Any]
    handlers: dict[str, Handler]
    allow: str


def compile_routes(routes: Mapping[str, Mapping[str, Handler]],
                   head_for_get: bool = True) -> list[_Route]:
    compiled = []
    for path, methods in routes.items():
        regex, _fmt, convertors = compile_path(path)
        handlers = dict(methods)
        if head_for_get and "GET" in handlers and "HEAD" not in handlers:
            handlers["HEAD"] = handlers["GET"]
        compiled.append(_Route(regex, convertors, handlers, ", ".join(sorted(handlers))))
    return compiled


def json_body_only(headers: Headers, body: bytes) -> None:
    """415 for a body declared as anything but JSON."""
    content_type = headers.get("content-type", "")
    if body and content_type and "json" not in content_type.lower():
        raise errors.UnsupportedMediaType(
            f"Content type {content_type.split(';')[0]} is not supported; send application/json.")


class ServiceApp:
    """Dispatches the requests of one service to its handlers.

    Services differ in a few ways their upstreams do: whether GET routes
    answer HEAD, how a body is checked before its handler sees it, and
    whether errors follow the Accept header (HTML or text, as WebOb does)
    instead of always being JSON.

    Each service runs its handlers on worker threads of its own (`threads`
    of them): in the all-in-one one service's handlers call another's over
    HTTP (compute asks image and placement), and with one shared pool a
    burst of the first would hold every thread while waiting for the second.
    """

    def __init__(
        self,
        *,
        name: str,
        routes: Mapping[str, Mapping[str, Handler]],
        error_format: errors.ErrorFormat,
        policy: Policy,
        authenticator: Authenticator | None,
        max_body_size: int,
        versions: APIVersions | None = None,
        public_url: str | None = None,
        forbidden_message: str = "Policy does not allow {rule} to be performed.",
        unauthorized_headers: Mapping[str, str] | None = None,
        state: Any = None,
        head_for_get: bool = True,
        check_body: Callable[[Headers, bytes], None] = json_body_only,
        errors_follow_accept: bool = False,
        not_found_message: str | None = None,
        method_not_allowed_message: str = "The method {method} is not allowed for this resource.",
        strict_slashes: bool = False,
        threads: int = 40,
    ):
        self.name = name
        self.routes = compile_routes(routes, head_for_get)
        self.check_body = check_body
        self.errors_follow_accept = errors_follow_accept
        self.not_found_message = not_found_message
        self.method_not_allowed_message = method_not_allowed_message
        self.strict_slashes = strict_slashes  # a trailing slash makes another path
        self.error_format = error_format
        self.policy = policy
        self.authenticator = authenticator
        self.max_body_size = max_body_size
        self.versions = versions
        self.public_url = public_url.rstrip("/") if public_url else None
        self.forbidden_message = forbidden_message
        self.unauthorized_headers = dict(unauthorized_headers or {})
        self.state = state
        self.threads = threads
        self._limiter: anyio.CapacityLimiter | None = None

    @property
    def limiter(self) -> anyio.CapacityLimiter:
        """This service's worker threads (made in the event loop, on first use)."""
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.threads)
        return self._limiter

    def base_url(self, scope: Scope, headers: Headers) -> str:
        root = str(scope.get("root_path", ""))
        if self.public_url:
            return self.public_url + root
        host = headers.get("host")
        if not host:
            server = scope.get("server") or ("localhost", 80)
            host = f"{server[0]}:{server[1]}"
        return f"{scope.get('scheme', 'http')}://{host}{root}"

    def _match(self, path: str) -> tuple[_Route, dict[str, Any]]:
        if not self.strict_slashes and len(path) > 1 and path.endswith("/"):
            path = path.rstrip("/") or "/"
        for route in self.routes:
            match = route.regex.match(path)
            if match:
                params = {
                    key: route.convertors[key].convert(value)
                    for key, value in match.groupdict().items()
                }
                return route, params
        raise errors.NotFound(self.not_found_message)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request_id = scope["nimbus.request_id"]
        version: Version | None = None
        headers = Headers(scope=scope)
        try:
            if self.versions is not None:
                version = self.versions.negotiate(headers)
            route, params = self._match(scope["path"])
            method = scope["method"]
            handler = route.handlers.get(method)
            if handler is None:
                raise errors.MethodNotAllowed(
                    self.method_not_allowed_message.format(method=method),
                    headers={"Allow": route.allow},
                )
            context = RequestContext(
                request_id=request_id,
                global_request_id=scope.get("nimbus.global_request_id"),
                policy=self.policy,
            )
            if not getattr(handler, "nimbus_public", False):
                await self._authenticate(context, headers)
            streams = getattr(handler, "nimbus_streaming", False)
            body = b"" if streams else await self._read_body(headers, receive)
            req = Request(
                method=method, path=scope["path"], path_params=params,
                query=QueryParams(scope.get("query_string", b"")), headers=headers,
                body=body, context=context, version=version,
                base_url=self.base_url(scope, headers), scope=scope, state=self.state,
                receive=receive if streams else None,
            )
            if inspect.iscoroutinefunction(handler):
                response = await handler(req)
            else:
                response = await anyio.to_thread.run_sync(handler, req, limiter=self.limiter)
        except PolicyDenied as exc:
            response = self.error_response(
                errors.Forbidden(self.forbidden_message.format(rule=exc.rule)), request_id,
                version, headers)
        except errors.ApiError as exc:
            response = self.error_response(exc, request_id, version, headers)
        except ClientDisconnect:
            return
        if self.versions is not None:
            for key, value in self.versions.response_headers(version):
                response.headers.append(key, value)
        await response(scope, receive, send)

    async def _authenticate(self, context: RequestContext, headers: Headers) -> None:
        token = headers.get("x-auth-token")
        if not token or self.authenticator is None:
            raise self._unauthorized()
        peek = getattr(self.authenticator, "peek", None)
        cached = peek(token) if peek is not None else None
        try:
            context.auth = cached or await anyio.to_thread.run_sync(
                self.authenticator.authenticate, token, headers, limiter=self.limiter)
        except errors.Unauthorized as exc:
            raise self._unauthorized(exc.message) from None
        context.auth_token = token

    def _unauthorized(self, message: str | None = None) -> errors.Unauthorized:
        return errors.Unauthorized(message)

    async def _read_body(self, headers: Headers, receive: Receive) -> bytes:
        declared = headers.get("content-length")
        if declared is not None:
            try:
                if int(declared) > self.max_body_size:
                    raise errors.PayloadTooLarge()
            except ValueError:
                raise errors.BadRequest("Invalid Content-Length header.") from None
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ClientDisconnect()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_size:
                raise errors.PayloadTooLarge()
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        self.check_body(headers, body)
        return body

    def error_response(self, err: errors.ApiError, request_id: str,
                       version: Version | None = None,
                       request_headers: Headers | None = None) -> Response:
        headers = dict(err.headers)
        if err.status == 401:
            headers.update(self.unauthorized_headers)
        media = "application/json"
        if self.errors_follow_accept and request_headers is not None:
            media = errors.negotiate_media(request_headers.get("accept"))
        if media == "application/json":
            body = errors.render(self.error_format, err, request_id, version)
        else:
            body = errors.render_text(err, html=media == "text/html")
        return Response(body, status_code=err.status, headers=headers, media_type=media)


class RequestIdMiddleware:
    """Gives each request an id (``req-<uuid>``) and returns it in headers.

    A well-formed ``X-OpenStack-Request-ID`` sent by the caller is kept as
    the global request id, for tracing across services.
    """

    def __init__(self, app: ASGIApp, header_names: Iterable[str] = ("x-openstack-request-id",)):
        self.app = app
        self.header_names = tuple(name.encode() for name in header_names)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = "req-" + str(uuid.uuid4())
        scope["nimbus.request_id"] = request_id
        for key, value in scope.get("headers", ()):
            if key == b"x-openstack-request-id":
                candidate = value.decode("latin-1")
                if _GLOBAL_ID_RE.match(candidate):
                    scope["nimbus.global_request_id"] = candidate
        token = REQUEST_ID.set(request_id)
        encoded = request_id.encode()

        async def send_with_id(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.extend((name, encoded) for name in self.header_names)
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            REQUEST_ID.reset(token)


class AccessLogMiddleware:
    """One log line per request: method, path, status, bytes, time, request id.

    The query string is logged, headers and bodies are not: tokens and
    passwords travel in those.
    """

    def __init__(self, app: ASGIApp, service: str):
        self.app = app
        self.log = logging.getLogger(f"nimbus.access.{service}")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 0
        size = 0

        async def send_logged(message: MutableMapping[str, Any]) -> None:
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, send_logged)
        finally:
            path = scope.get("root_path", "") + scope["path"]
            query = scope.get("query_string", b"")
            if query:
                path += "?" + query.decode("latin-1")
            client = scope.get("client") or ("-", 0)
            self.log.info(
                '%s "%s %s" status: %s len: %s time: %.4f',
                client[0], scope["method"], path, status or 500, size,
                time.perf_counter() - start,
            )


class FaultMiddleware:
    """Turns any exception a handler did not expect into a logged 500.

    The body is the service's error format with a generic message: the
    traceback goes to the log, never to the client.
    """

    def __init__(self, app: ASGIApp, error_format: errors.ErrorFormat):
        self.app = app
        self.error_format = error_format

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def send_tracked(message: MutableMapping[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_tracked)
        except Exception:
            LOG.exception("Unexpected error in %s %s", scope.get("method"), scope.get("path"))
            if started or scope["type"] != "http":
                raise
            err = errors.InternalError()
            response = Response(
                errors.render(self.error_format, err, scope.get("nimbus.request_id", "")),
                status_code=500,
                media_type="application/json",
            )
            await response(scope, receive, send)


def build_stack(app: ServiceApp, request_id_headers: Iterable[str] = ("x-openstack-request-id",),
                cors: CorsSettings | None = None) -> ASGIApp:
    """The middleware around a service app, outermost first:

    1. RequestIdMiddleware: every response, even a 500, carries the id, and
       every log line below can name it.
    2. CorsMiddleware, when configured: answers preflights itself.
    3. AccessLogMiddleware: logs the status actually sent, 500s included.
    4. FaultMiddleware: the last barrier before the service's own dispatch.
    """
    stack: ASGIApp = FaultMiddleware(app, app.error_format)
    stack = AccessLogMiddleware(stack, app.name)
    if cors is not None:
        stack = CorsMiddleware(stack, cors)
    return RequestIdMiddleware(stack, request_id_headers)


class Mounts:
    """Sends each request to the service mounted at its first path segment.

    ``root`` (if given) serves ``/`` and any path no service claims; when one
    service runs alone it is also the root app, so it answers at ``/`` as
    upstream's standalone servers do.
    """

    def __init__(self, mounts: Mapping[str, ASGIApp], root: ASGIApp):
        self.mounts = {prefix.strip("/"): app for prefix, app in mounts.items()}
        self.root = root

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        path = scope.get("path", "/")
        segment, _, rest = path.lstrip("/").partition("/")
        app = self.mounts.get(segment)
        if app is None:
            await self.root(scope, receive, send)
            return
        scope = dict(scope)
        scope["root_path"] = scope.get("root_path", "") + "/" + segment
        scope["path"] = "/" + rest
        await app(scope, receive, send)


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            # What is alive once the app is built lives as long as the
            # process: out of the collector's sight, requests that allocate
            # much (candidates, large lists) no longer pay to traverse it.
            gc.collect()
            gc.freeze()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
