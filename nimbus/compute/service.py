"""The compute API service: its state, its ASGI app."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from oslo_config import cfg

from nimbus.common.api import errors
from nimbus.common.api.app import ASGIApp, Authenticator, ServiceApp, build_stack
from nimbus.common.db import Database
from nimbus.common.policy import Policy
from nimbus.compute import versions
from nimbus.compute.conductor.rpcapi import ConductorAPI

if TYPE_CHECKING:
    from nimbus.compute.agent.rpcapi import ComputeAPI
    from nimbus.compute.cells import Cells
    from nimbus.compute.db.mappings import CellMapping
    from nimbus.compute.image import ImageClient
    from nimbus.compute.placement import PlacementClient
    from nimbus.compute.runtime import ComputeRuntime

SERVICE_TYPE = "compute"
SERVICE_NAME = "nova"
PREFIX = "/compute"
API_PATH = "/v2.1"


class Compute:
    """What the compute handlers share: configuration, the API database, the
    cells, and clients of the conductor, the agents, placement and images."""

    def __init__(self, conf: cfg.ConfigOpts, api_db: Database, policy: Policy,
                 runtime: ComputeRuntime) -> None:
        self.conf = conf
        self.api_db = api_db
        self.policy = policy
        self.runtime = runtime
        self.max_limit: int = conf.compute.max_limit
        self.key_pairs_quota: int = conf.quota.key_pairs
        self._conductor: ConductorAPI | None = None
        self._image: ImageClient | None = None

    @property
    def cells(self) -> Cells:
        return self.runtime.cells

    @property
    def conductor(self) -> ConductorAPI:
        """The API-level conductor, on the API's transport."""
        if self._conductor is None:
            self._conductor = ConductorAPI(self.conf)
        return self._conductor

    def compute_api(self, cell: CellMapping) -> ComputeAPI:
        return self.runtime.compute_api(cell)

    @property
    def placement(self) -> PlacementClient:
        return self.runtime.placement

    @property
    def images(self) -> ImageClient:
        if self._image is None:
            self._image = self.runtime.image_client()
        return self._image

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
