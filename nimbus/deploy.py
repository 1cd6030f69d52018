"""Assembling a deployment: databases, policy, services, and the ASGI app that mounts them.

This is the one module that knows every service. ``Deployment`` holds what a
process needs (configuration, one Database per database, the policy
enforcer, each service's state); ``app()`` mounts each enabled service
under its prefix.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable
from typing import Any

from oslo_config import cfg

from nimbus.common import config
from nimbus.common.api.app import ASGIApp, Authenticator, Mounts
from nimbus.common.auth import KeystoneMiddlewareAuthenticator
from nimbus.common.db import Database, create_engine
from nimbus.common.db.migration import Schema, sync
from nimbus.common.noauth import NoAuth
from nimbus.common.policy import Policy
from nimbus.compute import cell_setup
from nimbus.compute import service as compute_service
from nimbus.compute.db import SCHEMA as COMPUTE_API_SCHEMA
from nimbus.compute.db.cell import SCHEMA as CELL_SCHEMA
from nimbus.compute.runtime import ComputeRuntime
from nimbus.identity import bootstrap as identity_bootstrap
from nimbus.identity import service as identity_service
from nimbus.identity.db import SCHEMA as IDENTITY_SCHEMA
from nimbus.image import service as image_service
from nimbus.image.db import SCHEMA as IMAGE_SCHEMA
from nimbus.placement import service as placement_service
from nimbus.placement.db import SCHEMA as PLACEMENT_SCHEMA

LOG = logging.getLogger(__name__)

# By database name; the compute service's API database is "api", as Nova's.
SCHEMAS: dict[str, Schema] = {"identity": IDENTITY_SCHEMA, "placement": PLACEMENT_SCHEMA,
                              "image": IMAGE_SCHEMA, "api": COMPUTE_API_SCHEMA,
                              "cell": CELL_SCHEMA}
# Every database a deployment may hold, by name, with its schema: cell0 is
# a cell database like the others.
DATABASE_SCHEMAS: dict[str, Schema] = {**SCHEMAS, "cell0": CELL_SCHEMA}
# The databases each service needs.
SERVICE_DATABASES: dict[str, tuple[str, ...]] = {
    "identity": ("identity",), "placement": ("placement",), "image": ("image",),
    "compute": ("api", "cell", "cell0")}
PREFIXES: dict[str, str] = {"identity": identity_service.PREFIX,
                            "placement": placement_service.PREFIX,
                            "image": image_service.PREFIX,
                            "compute": compute_service.PREFIX}
CATALOG: dict[str, Callable[[str], dict[str, Any]]] = {
    "identity": identity_service.catalog_entry,
    "placement": placement_service.catalog_entry,
    "image": image_service.catalog_entry,
    "compute": compute_service.catalog_entry,
}
# Services that may run without authentication: [<service>] auth_strategy = noauth2.
NOAUTH_SERVICES = ("placement", "image")


def open_database(conf: cfg.ConfigOpts, name: str, url: str | None = None) -> Database:
    """The database `name` (its [<name>_database] settings), at `url` if given."""
    group = conf[config.database_group(name)]
    engine = create_engine(
        url or config.database_url(conf, name),
        pool_size=group.max_pool_size,
        max_overflow=group.max_overflow,
        pool_timeout=group.pool_timeout,
        pool_recycle=group.connection_recycle_time,
        busy_timeout=group.busy_timeout,
    )
    return Database(name, engine)


class Deployment:
    """Everything one process of Nimbus holds."""

    def __init__(self, conf: cfg.ConfigOpts, services: list[str] | None = None):
        self.conf = conf
        self.services = list(services or conf.api.enabled_services)
        self.policy = Policy(conf)
        self.databases: dict[str, Database] = {}
        self._keystone: KeystoneMiddlewareAuthenticator | None = None
        self.identity: identity_service.Identity | None = None
        if "identity" in self.services or self._needs_local_identity():
            self.identity = identity_service.Identity(conf, self.database("identity"), self.policy)
        self.placement: placement_service.Placement | None = None
        if "placement" in self.services:
            self.placement = placement_service.Placement(
                conf, self.database("placement"), self.policy)
        self.image: image_service.Image | None = None
        if "image" in self.services:
            self.image = image_service.Image(conf, self.database("image"), self.policy)
        self.compute: compute_service.Compute | None = None
        self.compute_runtime: ComputeRuntime | None = None
        if "compute" in self.services:
            self.compute_runtime = ComputeRuntime(conf, self.database, self.open_url)
            self.compute = compute_service.Compute(conf, self.database("api"), self.policy,
                                                   self.compute_runtime)

    def _noauth(self, service: str) -> bool:
        return service in NOAUTH_SERVICES and self.conf[service].auth_strategy == "noauth2"

    def _needs_local_identity(self) -> bool:
        """Services validate tokens in-process unless told otherwise."""
        if self.conf.api.auth_strategy != "nimbus":
            return False
        return any(s != "identity" and not self._noauth(s) for s in self.services)

    def database(self, name: str) -> Database:
        if name not in self.databases:
            self.databases[name] = open_database(self.conf, name)
        return self.databases[name]

    def open_url(self, label: str, url: str) -> Database:
        """A cell database named by its mapping: one of ours if the URL is."""
        for name in ("cell", "cell0"):
            if config.database_url(self.conf, name) == url:
                return self.database(name)
        return open_database(self.conf, "cell", url)

    def database_names(self) -> list[str]:
        """The databases this deployment's services use, in DATABASE_SCHEMAS order."""
        wanted = set(self.databases)
        for service in self.services:
            wanted.update(SERVICE_DATABASES.get(service, ()))
        return [name for name in DATABASE_SCHEMAS if name in wanted]

    def sync_databases(self, branches: tuple[str, ...] = ("expand", "contract")) -> None:
        for name in self.database_names():
            sync(self.database(name), DATABASE_SCHEMAS[name], branches)
        if self.placement is not None and "contract" in branches:
            self.placement.sync_standard_names()
        if self.compute_runtime is not None:
            # Every mapped cell, cell0 included (the all-in-one's are mapped
            # by setup_cells, which syncs them too).
            cell_setup.sync_cells(self.compute_runtime.cells, branches)

    def setup_cells(self) -> None:
        """The all-in-one's cells: cell0 and cell1 from [cell0_database] and
        [cell_database], on this process's transport (Nova's simple_cell_setup)."""
        api_db = self.database("api")
        for name in ("cell0", "cell"):
            sync(self.database(name), CELL_SCHEMA)
        cell_setup.map_cell0(api_db, config.database_url(self.conf, "cell0"))
        cell_setup.ensure_cell(api_db, "cell1", config.database_url(self.conf, "cell"),
                               str(self.conf.transport_url))
        assert self.compute_runtime is not None
        self.compute_runtime.cells.refresh()

    def service_password(self) -> str:
        """[service_user] password, or the all-in-one's, generated once and
        kept in data_dir."""
        configured = self.conf.service_user.password
        if configured:
            return str(configured)
        path = os.path.join(config.data_dir(self.conf), "service-user.secret")
        try:
            with open(path) as fh:
                password = fh.read().strip()
        except FileNotFoundError:
            password = ""
        if not password:
            password = secrets.token_urlsafe(24)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(password + "\n")
        return password

    def _configure_service_user(self) -> None:
        """The all-in-one's services call each other as the `nimbus` user."""
        password = self.service_password()
        self.conf.set_override("password", password, group="service_user")
        if not self.conf.service_user.auth_url:
            self.conf.set_override("auth_url", f"{config.public_url(self.conf)}/identity/v3",
                                   group="service_user")
        assert self.identity is not None
        ident = self.identity
        with ident.db.writer() as conn:
            identity_bootstrap.ensure_service_user(
                conn, hash_secret=ident.hash_secret, default_domain_id=ident.default_domain_id,
                username=self.conf.service_user.username, password=password,
                project_name=self.conf.service_user.project_name)

    def start_compute_services(self, hosts: list[str]) -> None:
        """The all-in-one's conductor, scheduler and one agent per host.
        Called once the API answers: agents report to placement over it."""
        runtime = self.compute_runtime
        assert runtime is not None
        runtime.start_conductor()
        runtime.start_scheduler()
        for host in hosts:
            runtime.start_agent(host)
        runtime.discover_hosts()
        if self.conf.scheduler.discover_hosts_in_cells_interval <= 0:
            runtime.periodics.add("discover_hosts", 5, runtime.discover_hosts)
        runtime.start_periodics()

    def authenticator(self, service: str) -> Authenticator:
        """How `service` (not identity) validates tokens."""
        if self._noauth(service):
            return NoAuth()
        if self.conf.api.auth_strategy == "keystone":
            if self._keystone is None:
                self._keystone = KeystoneMiddlewareAuthenticator(self.conf)
            return self._keystone
        assert self.identity is not None
        return self.identity.authenticator()

    def catalog_entries(self, public_url: str) -> list[identity_bootstrap.CatalogEntry]:
        entries = []
        for name in self.conf.api.enabled_services:
            entry = CATALOG[name](public_url)
            entries.append(identity_bootstrap.CatalogEntry(**entry))
        return entries

    def bootstrap(self, admin_password: str | None) -> identity_bootstrap.Result:
        assert self.identity is not None, "bootstrap needs the identity service"
        ident = self.identity
        ident.setup_keys()
        with ident.db.writer() as conn:
            result = identity_bootstrap.bootstrap(
                conn,
                hash_secret=ident.hash_secret,
                default_domain_id=ident.default_domain_id,
                admin_password=admin_password,
                region_id=self.conf.region_name,
                catalog_entries=self.catalog_entries(config.public_url(self.conf)),
            )
        if self.compute is not None:
            self._configure_service_user()
        return result

    def app(self) -> ASGIApp:
        public_url = config.public_url(self.conf)
        mounts: dict[str, ASGIApp] = {}
        if self.identity is not None and "identity" in self.services:
            mounts[PREFIXES["identity"]] = self.identity.app(public_url)
        if self.placement is not None:
            mounts[PREFIXES["placement"]] = self.placement.app(self.authenticator("placement"))
        if self.image is not None:
            mounts[PREFIXES["image"]] = self.image.app(self.authenticator("image"))
        if self.compute is not None:
            mounts[PREFIXES["compute"]] = self.compute.app(self.authenticator("compute"))
        # Identity also answers at /, as a standalone Keystone does; a
        # service running alone answers at / as upstream's standalone do.
        root = mounts.get(PREFIXES["identity"]) or next(iter(mounts.values()))
        return Mounts(mounts, root)

    def close(self) -> None:
        if self.compute_runtime is not None:
            self.compute_runtime.stop()
        for db in self.databases.values():
            db.dispose()


def app_from_environment() -> ASGIApp:
    """An app factory for uvicorn workers: configuration from NIMBUS_CONFIG_FILES
    (colon-separated) and the services from NIMBUS_SERVICES (comma-separated)."""
    files = [f for f in os.environ.get("NIMBUS_CONFIG_FILES", "").split(":") if f]
    conf = config.make_conf(config_files=files)
    from nimbus.common import log

    log.setup(conf)
    services = [s for s in os.environ.get("NIMBUS_SERVICES", "").split(",") if s] or None
    return Deployment(conf, services).app()
