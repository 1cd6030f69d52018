"""A Nimbus all-in-one running in a thread of the test process, on a real port."""

from __future__ import annotations

import os
import socket
import threading
import time
from typing import Any

import uvicorn
import yaml

from nimbus.cmd.serve import uvicorn_config
from nimbus.cmd.up import cloud_entry
from nimbus.common import config
from nimbus.deploy import Deployment

ADMIN_PASSWORD = "admin-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RunningServer:
    """Runs a Deployment of some services on a free port, in a thread."""

    def __init__(self, data_dir: str, groups: dict[str, dict[str, Any]],
                 services: list[str] | None = None, compute_hosts: int = 2):
        self.port = free_port()
        self.data_dir = data_dir
        base: dict[str, dict[str, Any]] = {
            # A transport of its own: clouds in one test process must not
            # answer each other's RPC (local:// queues live per URL).
            "DEFAULT": {"data_dir": data_dir,
                        "transport_url": f"local://{os.path.basename(data_dir)}-{self.port}"},
            "api": {"bind_port": self.port, "token_cache_time": 0},
            "identity": {"password_hash_cost": 10},
        }
        for group, values in groups.items():
            base.setdefault(group, {}).update(values)
        self.conf = config.make_conf(overrides=base)
        self.url = config.public_url(self.conf)
        self.deployment = Deployment(self.conf, services)
        self.deployment.sync_databases()
        self.prepare()
        if self.deployment.compute is not None:
            self.deployment.setup_cells()
        self.server = uvicorn.Server(uvicorn_config(self.deployment.app(), "127.0.0.1", self.port))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        self.hosts = [f"host-{i}" for i in range(1, compute_hosts + 1)]
        if self.deployment.compute is not None:
            self.deployment.start_compute_services(self.hosts)

    def prepare(self) -> None:
        """What to do between the schema sync and serving."""

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)
        self.deployment.close()


class RunningCloud(RunningServer):
    """The all-in-one, bootstrapped, with the identity database at `database_url`."""

    def __init__(self, data_dir: str, database_url: str, **overrides: dict[str, Any]):
        groups: dict[str, dict[str, Any]] = {"identity_database": {"connection": database_url}}
        for group, values in overrides.items():
            groups.setdefault(group, {}).update(values)
        super().__init__(data_dir, groups)
        self.auth_url = f"{self.url}/identity"
        self.clouds_yaml = os.path.join(data_dir, "clouds.yaml")
        with open(self.clouds_yaml, "w") as fh:
            yaml.safe_dump({"clouds": {"nimbus": cloud_entry(self.url, ADMIN_PASSWORD,
                                                             self.conf.region_name)}}, fh)

    def prepare(self) -> None:
        self.bootstrap = self.deployment.bootstrap(ADMIN_PASSWORD)

    @property
    def identity(self) -> Any:
        return self.deployment.identity


class RunningPlacement(RunningServer):
    """Placement alone, with noauth2 (as upstream's functional tests run it):
    the token `admin` is an admin; `user:project` names anyone else."""

    def __init__(self, data_dir: str, database_url: str, **overrides: dict[str, Any]):
        groups: dict[str, dict[str, Any]] = {
            "placement_database": {"connection": database_url},
            "placement": {"auth_strategy": "noauth2"},
        }
        for group, values in overrides.items():
            groups.setdefault(group, {}).update(values)
        super().__init__(data_dir, groups, services=["placement"])
        self.placement_url = f"{self.url}/placement"

    @property
    def placement(self) -> Any:
        return self.deployment.placement
