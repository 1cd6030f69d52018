"""Logging set-up: one format for every process, with the request id."""

from __future__ import annotations

import logging
import sys

from oslo_config import cfg

FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s [%(request_id)s] %(message)s"


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        from nimbus.common.api.app import REQUEST_ID

        if not hasattr(record, "request_id"):
            record.request_id = REQUEST_ID.get()
        return True


def setup(conf: cfg.ConfigOpts) -> None:
    handler: logging.Handler
    if conf.log_file:
        handler = logging.FileHandler(conf.log_file)
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(_RequestIdFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if conf.debug else logging.INFO)
    # Libraries that are chatty at INFO or that could log request contents.
    for name in ("alembic.runtime.migration", "uvicorn.access", "keystonemiddleware",
                 "oslo_policy", "urllib3", "httpx", "stevedore"):
        logging.getLogger(name).setLevel(logging.WARNING)
