"""`nimbus api`: the APIs of some services, optionally in several processes."""

from __future__ import annotations

import argparse
import logging
import os

from nimbus.cmd.main import config_files
from nimbus.cmd.serve import serve
from nimbus.common import config, log
from nimbus.deploy import Deployment

LOG = logging.getLogger(__name__)


def run(args: argparse.Namespace) -> int:
    overrides: dict[str, dict[str, object]] = {"api": {}}
    if args.host:
        overrides["api"]["bind_host"] = args.host
    if args.port:
        overrides["api"]["bind_port"] = args.port
    if args.workers:
        overrides["api"]["workers"] = args.workers
    files = config_files(args)
    conf = config.make_conf(config_files=files, overrides=overrides)
    log.setup(conf)
    services = args.services or list(conf.api.enabled_services)
    unknown = sorted(set(services) - set(config.SERVICES))
    if unknown:
        raise SystemExit(f"unknown service(s): {', '.join(unknown)}")
    if "compute" in services and str(conf.transport_url).startswith(("fake:", "local:")):
        LOG.warning("Compute is served over the in-process transport %s: servers will not "
                    "be built, since no conductor listens in this process. Set [DEFAULT] "
                    "transport_url to a broker and run `nimbus conductor`, `nimbus "
                    "scheduler` and `nimbus compute`, or use `nimbus up`.", conf.transport_url)
    if conf.api.workers > 1:
        # Each worker builds its own app from the environment.
        os.environ["NIMBUS_CONFIG_FILES"] = ":".join(os.path.abspath(f) for f in files)
        os.environ["NIMBUS_SERVICES"] = ",".join(services)
        serve("nimbus.deploy:app_from_environment", conf.api.bind_host, conf.api.bind_port,
              factory=True, workers=conf.api.workers)
        return 0
    deployment = Deployment(conf, services)
    try:
        serve(deployment.app(), conf.api.bind_host, conf.api.bind_port)
    finally:
        deployment.close()
    return 0
