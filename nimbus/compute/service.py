"""The compute service: its state, its ASGI app."""

from __future__ import annotations

from typing import Any

from oslo_config import cfg

from nimbus.common.api import errors
from nimbus.common.api.app import ASGIApp, Authenticator, ServiceApp, build_stack
from nimbus.common.db import Database
from nimbus.common.policy import Policy
from nimbus.compute import versions

SERVICE_TYPE = "compute"
SERVICE_NAME = "nova"
PREFIX = "/compute"
API_PATH = "/v2.1"


class Compute:
    """What the compute handlers share: configuration and the API database."""

    def __init__(self, conf: cfg.ConfigOpts, api_db: Database, policy: Policy):
        self.conf = conf
        self.api_db = api_db
        self.policy = policy
        group = conf.compute
        self.max_limit: int = group.max_limit
        self.key_pairs_quota: int = group.key_pairs

    def app(self, authenticator: Authenticator) -> ASGIApp:
        from nimbus.compute.api.routes import ROUTES

        service = ServiceApp(
            name=SERVICE_TYPE,
            routes=ROUTES,
            error_format=errors.nova_format,
            policy=self.policy,
            authenticator=authenticator,
            max_body_size=self.conf.api.max_request_body_size,
            versions=versions.API_VERSIONS,
            public_url=self.conf.api.public_url,
            forbidden_message="Policy doesn't allow {rule} to be performed.",
            state=self,
        )
        return build_stack(service)


def catalog_entry(public_url: str) -> dict[str, Any]:
    return {"type": SERVICE_TYPE, "name": SERVICE_NAME,
            "url": f"{public_url}{PREFIX}{API_PATH}"}
