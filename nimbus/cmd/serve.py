"""Running an ASGI app with uvicorn."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import uvicorn
from uvicorn.supervisors import Multiprocess

from nimbus.common.api.app import ASGIApp

LOG = logging.getLogger(__name__)


def _loop() -> str:
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return "asyncio"
    return "uvloop"


def uvicorn_config(app: ASGIApp | str, host: str, port: int, **kwargs: object) -> uvicorn.Config:
    return uvicorn.Config(
        app, host=host, port=port, loop=_loop(), http="httptools", lifespan="on",
        log_config=None, access_log=False, server_header=False, timeout_graceful_shutdown=10,
        **kwargs,  # type: ignore[arg-type]
    )


def serve(app: ASGIApp | str, host: str, port: int,
          on_started: Callable[[], None] | None = None, **kwargs: object) -> None:
    """Serve until SIGINT or SIGTERM, then finish the requests under way.

    `on_started` runs in a thread once the server listens (the all-in-one
    starts its compute services then: they call the APIs it serves).
    uvicorn re-raises the signal once it has shut down; Ctrl-C is the normal
    way to stop the all-in-one, so it ends here quietly instead.
    """
    config = uvicorn_config(app, host, port, **kwargs)
    server = uvicorn.Server(config)
    if on_started is not None:
        threading.Thread(target=_when_started, args=(server, on_started), daemon=True,
                         name="on-started").start()
    try:
        if config.workers > 1:
            # Server.run() serves in this process only; the supervisor forks
            # the workers onto one shared socket (the app must then be an
            # import string, so that each worker builds its own).
            Multiprocess(config, sockets=[config.bind_socket()]).run()
        else:
            server.run()
    except KeyboardInterrupt:
        LOG.info("Stopped.")


def _when_started(server: uvicorn.Server, callback: Callable[[], None]) -> None:
    while not server.started:
        if server.should_exit:
            return
        time.sleep(0.05)
    try:
        callback()
    except Exception:
        LOG.exception("Starting the services behind the API failed; stopping")
        server.should_exit = True
