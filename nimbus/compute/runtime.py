"""The compute services a process runs: conductor, scheduler, agents, and their periodic tasks.

The all-in-one runs all of them in one process over the in-process
transport (several fake agents, one per fake host); scale-out runs each as
``nimbus conductor``, ``nimbus scheduler`` or ``nimbus compute --host``
over RabbitMQ. The code is the same; which databases and transports a
service gets comes from the configuration.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from oslo_config import cfg

from nimbus.common import rpc
from nimbus.common.clients import ServiceAuth
from nimbus.common.context import RequestContext
from nimbus.common.db import Database
from nimbus.compute.agent.manager import ComputeManager
from nimbus.compute.agent.rpcapi import ComputeAPI
from nimbus.compute.cells import Cells
from nimbus.compute.conductor.manager import ConductorManager
from nimbus.compute.conductor.rpcapi import ConductorAPI
from nimbus.compute.db.cell import services as cell_services
from nimbus.compute.db.mappings import CellMapping
from nimbus.compute.image import ImageClient
from nimbus.compute.placement import PlacementClient
from nimbus.compute.scheduler.manager import SchedulerManager, discover_hosts
from nimbus.compute.scheduler.rpcapi import SchedulerAPI
from nimbus.compute.virt.driver import load_driver

LOG = logging.getLogger(__name__)

rpc.allow_remote_exceptions("nimbus.compute.exceptions")


def internal_context() -> RequestContext:
    """The context of a service acting on its own (periodic tasks)."""
    return RequestContext(request_id=f"req-{uuid.uuid4()}", is_admin=True)


@dataclass
class _Periodic:
    name: str
    interval: float
    fn: Callable[[], object]
    due: float = 0.0


@dataclass
class Periodics:
    """Periodic tasks on one thread; a task that fails is logged and runs
    again at its next turn."""

    tasks: list[_Periodic] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    # Held while a task runs, so that a task removed is never run again.
    running: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: str, interval: float, fn: Callable[[], object],
            first_in: float | None = None) -> None:
        self.tasks.append(_Periodic(name, interval, fn,
                                    time.monotonic() + (interval if first_in is None
                                                        else first_in)))

    def remove(self, which: Callable[[str], bool]) -> None:
        """Drop the tasks whose name `which` accepts (after the one running)."""
        with self.running:
            self.tasks = [t for t in self.tasks if not which(t.name)]

    def start(self) -> None:
        self.thread = threading.Thread(target=self._run, name="periodic", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stopping.is_set():
            now = time.monotonic()
            for task in list(self.tasks):
                if task.due <= now and not self.stopping.is_set():
                    with self.running:
                        if task not in self.tasks:
                            continue
                        try:
                            task.fn()
                        except Exception:
                            LOG.exception("Periodic task %s failed", task.name)
                    task.due = time.monotonic() + task.interval
            wait = min((t.due for t in self.tasks), default=now + 1) - time.monotonic()
            self.stopping.wait(max(0.05, min(wait, 1.0)))

    def stop(self) -> None:
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout=10)


class ComputeRuntime:
    """Builds and runs the compute services of one process."""

    def __init__(self, conf: cfg.ConfigOpts, database: Callable[[str], Database],
                 open_url: Callable[[str, str], Database]) -> None:
        """`database(name)` opens a configured database (api, cell);
        `open_url(label, url)` one a cell mapping names."""
        self.conf = conf
        self._database = database
        self._open_url = open_url
        self.servers: list[rpc.Server] = []
        self.periodics = Periodics()
        self.agents: dict[str, ComputeManager] = {}
        self.conductor: ConductorManager | None = None
        self.agent_servers: dict[str, rpc.Server] = {}
        self.scheduler: SchedulerManager | None = None
        self._auth: ServiceAuth | None = None
        self._placement: PlacementClient | None = None
        self._cells: Cells | None = None
        self._compute_apis: dict[str, ComputeAPI] = {}
        self._image_clients: list[ImageClient] = []

    # --- shared pieces -------------------------------------------------------------

    @property
    def auth(self) -> ServiceAuth:
        if self._auth is None:
            self._auth = ServiceAuth(self.conf)
        return self._auth

    @property
    def placement(self) -> PlacementClient:
        if self._placement is None:
            self._placement = PlacementClient(self.auth)
        return self._placement

    def image_client(self) -> ImageClient:
        client = ImageClient(self.auth)
        self._image_clients.append(client)
        return client

    @property
    def cells(self) -> Cells:
        if self._cells is None:
            self._cells = Cells(self._database("api"), self._open_url,
                                str(self.conf.transport_url))
        return self._cells

    def compute_api(self, cell: CellMapping) -> ComputeAPI:
        """The agents' RPC client of a cell (over the cell's transport)."""
        url = self.cells.transport_url(cell)
        api = self._compute_apis.get(url)
        if api is None:
            api = ComputeAPI(self.conf, transport_url=url)
            self._compute_apis[url] = api
        return api

    # --- services ---------------------------------------------------------------------

    def start_conductor(self, api_level: bool = True, cell_level: bool = True) -> None:
        manager = ConductorManager(
            conf=self.conf, host=self.conf.host,
            api_db=self._database("api") if api_level else None,
            cells=self.cells if api_level else None,
            cell_db=self._database("cell") if cell_level else None,
            scheduler=SchedulerAPI(self.conf) if api_level else None,
            placement=self.placement if api_level else None,
            compute_api=self.compute_api,
            default_availability_zone=self.conf.compute.default_availability_zone,
            service_down_time=self.conf.compute.service_down_time,
            images=self.image_client() if api_level else None)
        self.conductor = manager
        self.servers.append(rpc.start_server(self.conf, ConductorAPI.TOPIC, self.conf.host,
                                             [manager]))
        if cell_level:
            self._register_service("nova-conductor", ConductorAPI.TOPIC)
        window = self.conf.compute.resize_confirm_window
        if api_level and window > 0:
            self.periodics.add("confirm resizes", min(window, 60),
                               lambda: manager.confirm_expired_resizes(window))

    def start_scheduler(self) -> SchedulerManager:
        manager = SchedulerManager(self.conf, self._database("api"), self.cells,
                                   self.placement)
        self.scheduler = manager
        self.servers.append(rpc.start_server(self.conf, SchedulerAPI.TOPIC, self.conf.host,
                                             [manager]))
        interval = self.conf.scheduler.discover_hosts_in_cells_interval
        if interval > 0:
            self.periodics.add("discover_hosts", interval, self.discover_hosts, first_in=0)
        return manager

    def discover_hosts(self) -> list[str]:
        added = discover_hosts(self._database("api"), self.cells)
        if added:
            LOG.info("Mapped new compute hosts: %s", ", ".join(added))
        return added

    def start_agent(self, host: str) -> ComputeManager:
        """A compute agent for `host`: registered, resources reported, serving."""
        driver = load_driver(self.conf.compute.compute_driver, self.conf, host)
        conductor = ConductorAPI(self.conf)
        manager = ComputeManager(self.conf, host, driver, conductor, self.placement,
                                 images=self.image_client())
        ctxt = internal_context()
        conductor.wait_until_ready(ctxt)
        manager.init_host(ctxt)
        server = rpc.start_server(self.conf, ComputeAPI.TOPIC, host, [manager])
        self.servers.append(server)
        self.agent_servers[host] = server
        self.agents[host] = manager
        group = self.conf.compute
        self.periodics.add(f"heartbeat {host}", group.report_interval,
                           lambda: manager.heartbeat(internal_context()))
        self.periodics.add(f"resources {host}", group.update_resources_interval,
                           lambda: manager.update_available_resource(internal_context()))
        if group.reclaim_instance_interval > 0:
            # Nova runs it every minute; never less often than servers expire.
            self.periodics.add(f"reclaim {host}", min(group.reclaim_instance_interval, 60),
                               lambda: manager.reclaim_queued_deletes(internal_context()))
        if group.sync_power_state_interval > 0:
            self.periodics.add(f"power states {host}", group.sync_power_state_interval,
                               lambda: manager.sync_power_states(internal_context()))
        if group.running_deleted_instance_poll_interval > 0:
            self.periodics.add(
                f"running deleted {host}", group.running_deleted_instance_poll_interval,
                lambda: manager.cleanup_running_deleted_instances(internal_context()))
        self.periodics.add(f"shelved {host}", group.shelved_poll_interval,
                           lambda: manager.offload_shelved(internal_context()))
        return manager

    def stop_agent(self, host: str, wait: bool = True) -> ComputeManager:
        """Stop `host`'s agent: its periodic tasks, then its RPC server (with
        `wait`, after the operations under way; without, they are left to
        their threads). Messages for it wait in its queue for the next agent
        of the host."""
        manager = self.agents.pop(host)
        self.periodics.remove(lambda name: name.endswith(f" {host}"))
        server = self.agent_servers.pop(host)
        self.servers.remove(server)
        server.stop(wait=wait)
        return manager

    def _register_service(self, binary: str, topic: str) -> None:
        """Conductors record themselves in their cell, so that
        `compute service list` shows them, and heartbeat like agents."""
        db = self._database("cell")
        with db.writer() as conn:
            service = cell_services.register(conn, self.conf.host, binary, topic, 1)

        def beat() -> None:
            with db.writer() as conn:
                cell_services.heartbeat(conn, service.id)

        self.periodics.add(f"heartbeat {binary}", self.conf.compute.report_interval, beat)

    def start_periodics(self) -> None:
        self.periodics.start()

    def stop(self) -> None:
        self.periodics.stop()
        for server in reversed(self.servers):
            try:
                server.stop()
            except Exception:
                LOG.exception("Stopping an RPC server failed")
        self.servers.clear()
        if self._placement is not None:
            self._placement.close()
        for client in self._image_clients:
            client.close()
        if self._cells is not None:
            self._cells.close()
