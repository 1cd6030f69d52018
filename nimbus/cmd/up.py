"""`nimbus up`: the all-in-one cloud, one process, one port."""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import sys
from typing import Any

import yaml

from nimbus.cmd.main import config_files
from nimbus.cmd.serve import serve
from nimbus.common import config, log
from nimbus.deploy import Deployment

LOG = logging.getLogger(__name__)


def _overrides(args: argparse.Namespace) -> dict[str, dict[str, object]]:
    overrides: dict[str, dict[str, object]] = {"DEFAULT": {}, "api": {}}
    if args.data_dir:
        overrides["DEFAULT"]["data_dir"] = args.data_dir
    if args.host:
        overrides["api"]["bind_host"] = args.host
    if args.port:
        overrides["api"]["bind_port"] = args.port
    return overrides


def agent_hosts(conf: Any, fake_hosts: int | None) -> list[str]:
    """The hosts the all-in-one runs agents for: N fake hosts with the fake
    driver, else this one."""
    if conf.compute.compute_driver != "fake":
        return [str(conf.host)]
    count = 2 if fake_hosts is None else fake_hosts
    if not 0 <= count <= conf.compute.max_fake_hosts:
        raise SystemExit(f"--fake-hosts must be between 0 and {conf.compute.max_fake_hosts}")
    return [f"{conf.host}-fake-{i}" for i in range(1, count + 1)]


def _read_clouds(path: str) -> dict[str, Any]:
    try:
        with open(path) as fh:
            data = yaml.safe_load(fh) or {}
    except FileNotFoundError:
        return {}
    return data if isinstance(data, dict) else {}


def _saved_password(path: str, cloud: str) -> str | None:
    entry = _read_clouds(path).get("clouds", {}).get(cloud, {})
    password = entry.get("auth", {}).get("password") if isinstance(entry, dict) else None
    return password if isinstance(password, str) else None


def write_cloud(path: str, cloud: str, entry: dict[str, Any]) -> None:
    """Put `entry` in clouds.yaml as `cloud`, keeping the other clouds."""
    data = _read_clouds(path)
    clouds = data.setdefault("clouds", {})
    clouds[cloud] = entry
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        yaml.safe_dump(data, fh, default_flow_style=False, sort_keys=False)
    os.replace(tmp, path)


def cloud_entry(public_url: str, password: str, region: str) -> dict[str, Any]:
    return {
        "auth": {
            "auth_url": f"{public_url}/identity",
            "username": "admin",
            "password": password,
            "project_name": "admin",
            "user_domain_name": "Default",
            "project_domain_name": "Default",
        },
        "region_name": region,
        "identity_api_version": 3,
        "interface": "public",
    }


def run(args: argparse.Namespace) -> int:
    conf = config.make_conf(config_files=config_files(args), overrides=_overrides(args))
    log.setup(conf)
    data_dir = config.data_dir(conf)
    os.makedirs(data_dir, exist_ok=True)
    local_clouds = os.path.join(data_dir, "clouds.yaml")
    user_clouds = args.clouds_yaml or os.path.expanduser("~/.config/openstack/clouds.yaml")

    hosts = agent_hosts(conf, args.fake_hosts)
    deployment = Deployment(conf)
    deployment.sync_databases()
    password = os.environ.get("NIMBUS_ADMIN_PASSWORD") or _saved_password(
        local_clouds, args.cloud_name)
    generated = False
    try:
        result = deployment.bootstrap(password)
    except ValueError:
        password = secrets.token_urlsafe(18)
        generated = True
        result = deployment.bootstrap(password)
    if password is None:
        sys.stderr.write(
            "The admin user exists but its password is unknown: set NIMBUS_ADMIN_PASSWORD "
            "to reset it.\n")
        return 1
    if deployment.identity is not None:
        deployment.identity.purge_revocations()
    if deployment.compute is not None:
        deployment.setup_cells()
    public_url = config.public_url(conf)
    entry = cloud_entry(public_url, password, conf.region_name)
    write_cloud(local_clouds, args.cloud_name, entry)
    write_cloud(user_clouds, args.cloud_name, entry)

    shown = password if (generated or result.created_admin) else "(unchanged; see clouds.yaml)"
    print(
        f"Nimbus is listening on {public_url}\n"
        f"  services:  {', '.join(f'{public_url}/{s}' for s in deployment.services)}\n"
        f"  data:      {data_dir}\n"
        f"  admin:     user admin, project admin, domain Default, password {shown}\n"
        f"  clouds:    '{args.cloud_name}' in {user_clouds} (and {local_clouds})\n"
        "Try:\n"
        f"  openstack --os-cloud {args.cloud_name} token issue\n"
        f"  openstack --os-cloud {args.cloud_name} catalog list\n"
        f"  openstack --os-cloud {args.cloud_name} project create demo\n"
        "Stop with Ctrl-C; data and tokens survive a restart.",
        flush=True,
    )
    on_started = None
    if deployment.compute is not None:
        def on_started() -> None:
            deployment.start_compute_services(hosts)
            print(f"Compute: {len(hosts)} host(s) ({', '.join(hosts) or 'none'}), driver "
                  f"{conf.compute.compute_driver}.", flush=True)
    try:
        serve(deployment.app(), conf.api.bind_host, conf.api.bind_port, on_started=on_started)
    finally:
        deployment.close()
    return 0
