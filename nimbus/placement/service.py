"""The placement service: its state, its ASGI app."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

from oslo_config import cfg
from sqlalchemy.engine import Connection
from starlette.datastructures import Headers

from nimbus.common.api import errors
from nimbus.common.api.app import ASGIApp, Authenticator, ServiceApp, build_stack
from nimbus.common.api.cors import CorsSettings
from nimbus.common.db import Database
from nimbus.common.policy import Policy
from nimbus.placement import versions
from nimbus.placement.candidates import Settings
from nimbus.placement.db import standard

LOG = logging.getLogger(__name__)

SERVICE_TYPE = "placement"
SERVICE_NAME = "placement"
PREFIX = "/placement"
# WebOb's detail of a 404 that says nothing more, as upstream sends it.
NOT_FOUND = "The resource could not be found.\n\n   "


class Placement:
    """What the placement handlers share: configuration and database."""

    def __init__(self, conf: cfg.ConfigOpts, db: Database, policy: Policy):
        self.conf = conf
        self.db = db
        self.policy = policy
        group = conf.placement
        self.candidates = Settings(
            randomize=group.randomize_allocation_candidates,
            max_candidates=group.max_allocation_candidates,
            strategy=group.allocation_candidates_generation_strategy,
        )
        self.incomplete_project_id: str = group.incomplete_consumer_project_id
        self.incomplete_user_id: str = group.incomplete_consumer_user_id
        self.conflict_retries: int = group.allocation_conflict_retry_count

    @contextlib.contextmanager
    def reader(self) -> Iterator[Connection]:
        """A connection for a request that only reads. On PostgreSQL at READ
        COMMITTED, where each statement of a transaction sees a snapshot of
        its own anyway, it reads outside one (autocommit), which saves the
        BEGIN and COMMIT round trips; elsewhere it is a read transaction."""
        engine = self.db.engine
        # Known once the engine has connected (until then, the transaction).
        isolation = getattr(engine.dialect, "default_isolation_level", None)
        if self.db.backend != "postgresql" or isolation != "READ COMMITTED":
            with self.db.reader() as conn:
                yield conn
            return
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            yield conn

    def sync_standard_names(self) -> None:
        """Make sure every standard resource class and trait is in the database."""
        standard.ensure(self.db)

    def app(self, authenticator: Authenticator) -> ASGIApp:
        from nimbus.placement.api.routes import ROUTES

        service = ServiceApp(
            name=SERVICE_TYPE,
            routes=ROUTES,
            error_format=errors.placement_format,
            policy=self.policy,
            authenticator=authenticator,
            max_body_size=self.conf.api.max_request_body_size,
            versions=versions.API_VERSIONS,
            public_url=self.conf.api.public_url,
            forbidden_message="Policy does not allow {rule} to be performed.",
            state=self,
            head_for_get=False,
            check_body=_content_type_given,
            errors_follow_accept=True,
            # Upstream's router's details, as WebOb words them.
            not_found_message=NOT_FOUND,
            method_not_allowed_message="The method {method} is not allowed for this resource. "
            "\n\n The method specified is not allowed for this resource.",
        )
        return build_stack(service, cors=self._cors())

    def _cors(self) -> CorsSettings | None:
        group = self.conf.cors
        if not group.allowed_origin:
            return None
        return CorsSettings(
            allowed_origins=group.allowed_origin, allow_credentials=group.allow_credentials,
            expose_headers=group.expose_headers, max_age=group.max_age,
            allow_methods=group.allow_methods, allow_headers=group.allow_headers)


def _content_type_given(headers: Headers, body: bytes) -> None:
    """As upstream: a body must say what it is; handlers say what they take."""
    if body and not headers.get("content-type"):
        raise errors.BadRequest("content-type header required when content-length > 0")


def catalog_entry(public_url: str) -> dict[str, Any]:
    return {"type": SERVICE_TYPE, "name": SERVICE_NAME, "url": f"{public_url}{PREFIX}"}
