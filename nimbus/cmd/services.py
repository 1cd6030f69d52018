"""`nimbus conductor`, `nimbus scheduler` and `nimbus compute`: one compute
service per process, over the configured broker, until SIGTERM or SIGINT.

A conductor serves the API level (builds; it needs the API database and
the cell mappings) and/or its cell (the agents' database writes, in
[cell_database]); a cell with its own transport runs a conductor with
``--role cell`` on that transport. A compute agent holds no database
credentials: it talks to its cell's conductor over [DEFAULT] transport_url
and to placement over HTTP as [service_user].
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from types import FrameType

from oslo_config import cfg

from nimbus.cmd.main import config_files
from nimbus.common import config, log
from nimbus.common.db import Database
from nimbus.compute.runtime import ComputeRuntime
from nimbus.deploy import open_database

LOG = logging.getLogger(__name__)


class _Databases:
    """The databases a service process opens, each once."""

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        self.conf = conf
        self.opened: dict[str, Database] = {}

    def named(self, name: str) -> Database:
        if name not in self.opened:
            self.opened[name] = open_database(self.conf, name)
        return self.opened[name]

    def by_url(self, label: str, url: str) -> Database:
        for name in ("cell", "cell0"):
            if config.database_url(self.conf, name) == url:
                return self.named(name)
        key = f"url:{url}"
        if key not in self.opened:
            self.opened[key] = open_database(self.conf, "cell", url)
        return self.opened[key]

    def close(self) -> None:
        for db in self.opened.values():
            db.dispose()


def _wait_for_signal() -> None:
    stop = threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        LOG.info("Signal %d: stopping", signum)
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    stop.wait()


def run(args: argparse.Namespace) -> int:
    overrides: dict[str, dict[str, object]] = {}
    if getattr(args, "host", None):
        overrides["DEFAULT"] = {"host": args.host}
    conf = config.make_conf(config_files=config_files(args), overrides=overrides)
    log.setup(conf)
    databases = _Databases(conf)
    runtime = ComputeRuntime(conf, databases.named, databases.by_url)
    try:
        if args.command == "conductor":
            runtime.start_conductor(api_level=args.role in ("api", "both"),
                                    cell_level=args.role in ("cell", "both"))
        elif args.command == "scheduler":
            runtime.start_scheduler()
        else:
            runtime.start_agent(str(conf.host))
        runtime.start_periodics()
        LOG.info("nimbus %s running as %s on %s", args.command, conf.host, conf.transport_url)
        _wait_for_signal()
    finally:
        runtime.stop()
        databases.close()
    return 0


def add_parsers(commands: argparse._SubParsersAction,  # type: ignore[type-arg]
                config_args: object) -> None:
    """The three commands' parsers (config_args adds --config-file)."""
    conductor = commands.add_parser("conductor", help="Run a compute conductor.")
    config_args(conductor)  # type: ignore[operator]
    conductor.add_argument(
        "--role", choices=("both", "api", "cell"), default="both",
        help="api: builds and moves (needs the API database); cell: the database "
             "writes of one cell's agents ([cell_database]); both (default).")
    scheduler = commands.add_parser("scheduler", help="Run a compute scheduler.")
    config_args(scheduler)  # type: ignore[operator]
    compute = commands.add_parser("compute", help="Run the compute agent of one host.")
    config_args(compute)  # type: ignore[operator]
    compute.add_argument("--host", help="The host's name ([DEFAULT] host).")
