"""A small HTTP server on 127.0.0.1 for store and web-download tests: serves
byte strings by path with single Range support, redirects and chosen statuses."""

from __future__ import annotations

import http.server
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_RANGE = re.compile(r"^bytes=(\d+)-(\d*)$")


class LocalServer:
    def __init__(self, server: http.server.ThreadingHTTPServer) -> None:
        self.server = server
        self.files: dict[str, bytes] = {}
        self.redirects: dict[str, tuple[int, str]] = {}
        self.statuses: dict[str, int] = {}
        self.honour_range = True
        self.requests: list[tuple[str, str, dict[str, str]]] = []

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


class _Handler(http.server.BaseHTTPRequestHandler):
    server: Any
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        return

    def _answer(self, with_body: bool) -> None:
        state: LocalServer = self.server.state
        state.requests.append((self.command, self.path, dict(self.headers)))
        if self.path in state.redirects:
            status, location = state.redirects[self.path]
            self.send_response(status)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path in state.statuses or self.path not in state.files:
            self.send_response(state.statuses.get(self.path, 404))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = state.files[self.path]
        status, body = 200, data
        match = _RANGE.match(self.headers.get("Range", ""))
        if match and state.honour_range:
            start = int(match.group(1))
            end = int(match.group(2)) if match.group(2) else len(data) - 1
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            end = min(end, len(data) - 1)
            status, body = 206, data[start : end + 1]
        self.send_response(status)
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def do_GET(self) -> None:
        self._answer(True)

    def do_HEAD(self) -> None:
        self._answer(False)


@contextmanager
def local_server() -> Iterator[LocalServer]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    state = LocalServer(server)
    server.state = state  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
