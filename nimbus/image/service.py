"""The image service: its state, its ASGI app."""

from __future__ import annotations

from typing import Any

from oslo_config import cfg

from nimbus.common.api import errors
from nimbus.common.api.app import ASGIApp, Authenticator, ServiceApp, build_stack
from nimbus.common.api.microversion import Version
from nimbus.common.db import Database
from nimbus.common.policy import Policy
from nimbus.image.store import Stores
from nimbus.image.store import options as store_options

SERVICE_TYPE = "image"
SERVICE_NAME = "glance"
PREFIX = "/image"


def glance_format(err: errors.ApiError, request_id: str, version: Version | None = None) -> object:
    """Glance's errors are WebOb's; asked for JSON, WebOb answers this."""
    return {"message": err.message, "code": f"{err.status} {err.title}", "title": err.title}


class Image:
    """What the image handlers share: configuration, database, stores."""

    def __init__(self, conf: cfg.ConfigOpts, db: Database, policy: Policy):
        self.conf = conf
        self.db = db
        self.policy = policy
        self.stores = Stores.from_conf(conf)
        # Read every import filter now: a malformed one stops the service at
        # start rather than failing each import with a 500.
        for opt in store_options.IMPORT_FILTERING_OPTS:
            getattr(conf.import_filtering_opts, opt.dest)

    def app(self, authenticator: Authenticator) -> ASGIApp:
        from nimbus.image.api.routes import ROUTES

        service = ServiceApp(
            name=SERVICE_TYPE,
            routes=ROUTES,
            error_format=glance_format,
            policy=self.policy,
            authenticator=authenticator,
            max_body_size=self.conf.api.max_request_body_size,
            public_url=self.conf.api.public_url,
            forbidden_message="You are not authorized to complete {rule} action.",
            state=self,
            check_body=_any_body,
            errors_follow_accept=True,
            # Glance's router: /v2/images/ is not /v2/images (tempest checks it).
            strict_slashes=True,
        )
        return build_stack(service)


def _any_body(headers: Any, body: bytes) -> None:
    """Handlers say which media types they take (JSON, JSON patch)."""


def catalog_entry(public_url: str) -> dict[str, Any]:
    return {"type": SERVICE_TYPE, "name": SERVICE_NAME, "url": f"{public_url}{PREFIX}"}
