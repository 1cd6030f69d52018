#!/usr/bin/env python3
"""Booting servers on the fake driver: how fast the control plane builds them.

Run from the repository root once `.venv` exists (`make up` or `make test`):

    .venv/bin/python bench/boot.py [--servers 1000] [--hosts 10] [--batch 10]
                                   [--clients 4] [--mode aio|scaleout|both]

Two deployments, each measured the same way:

- aio: `nimbus up --fake-hosts N` (one process, SQLite, the in-process
  local:// transport);
- scaleout: `nimbus api`, `nimbus conductor`, `nimbus scheduler` and one
  `nimbus compute --host` per fake host as separate processes over RabbitMQ
  (a virtual host of its own) and PostgreSQL (fresh databases).

The workload: a flavor of 1 VCPU, 64 MB and 1 GB and a 1 KiB raw image;
quotas off; `--clients` concurrent clients each POST /servers with
min_count = max_count = `--batch` (multiple create, as a client making many
servers would) until `--servers` are asked for, then poll until none is in
BUILD. Reported: servers per second from the first POST until all are
ACTIVE, p50/p95 of the POST /servers latency, the median (of 10) of
GET /servers/detail?limit=1000 with every server built, and the resident
memory of the all-in-one idle (after start) and at its peak. Targets
(issue 5): >= 100 servers/s, detail list < 150 ms median, idle < 300 MB.
This is never part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from harness import (
    NIMBUS_BIN,
    BenchError,
    Databases,
    free_port,
    httpx,
    main_guard,
    nimbus_env,
    percentile,
    require_nimbus,
    run,
    scratch_dir,
    stop_group,
    tail,
    terminate_on_signals,
)

ADMIN_PASSWORD = "bench-admin"
COMPUTE_VERSION = "compute 2.74"


@dataclasses.dataclass
class Figures:
    mode: str
    servers: int
    elapsed: float
    post_p50: float
    post_p95: float
    detail_p50: float
    listed: int
    errors: int
    idle_rss_mb: float | None = None
    peak_rss_mb: float | None = None

    @property
    def rate(self) -> float:
        return self.servers / self.elapsed


# -- deployments ----------------------------------------------------------------

class Deployment:
    """Processes in their own groups, their logs, and the API's URL."""

    def __init__(self, workdir: Path, port: int) -> None:
        self.workdir = workdir
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.procs: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 (the process owns it)
        proc = subprocess.Popen([str(NIMBUS_BIN / "nimbus"), *args], cwd=self.workdir,
                                env={**nimbus_env(self.workdir), **_pythonpath()},
                                stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        self.procs.append((name, proc))
        return proc

    def wait_for_hosts(self, hosts: int, timeout: float = 180) -> None:
        """Until `hosts` hypervisors are up in the API."""
        deadline = time.monotonic() + timeout
        token = admin_token(self.url)
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                resp = httpx.get(f"{self.url}/compute/v2.1/os-services?binary=nova-compute",
                                 headers={"X-Auth-Token": token}, timeout=10)
                if resp.status_code == 200:
                    up = [s for s in resp.json()["services"] if s["state"] == "up"]
                    if len(up) >= hosts and self._mapped(token, hosts):
                        return
            for name, proc in self.procs:
                if proc.poll() is not None:
                    raise BenchError(f"{name} exited:\n{tail(self.workdir / f'{name}.log')}")
            time.sleep(1)
        raise BenchError(f"the {hosts} hosts did not come up:\n" +
                         "\n".join(tail(self.workdir / f"{n}.log", 10) for n, _ in self.procs))

    def _mapped(self, token: str, hosts: int) -> bool:
        resp = httpx.get(f"{self.url}/compute/v2.1/os-hypervisors",
                         headers={"X-Auth-Token": token}, timeout=10)
        return resp.status_code == 200 and len(resp.json()["hypervisors"]) >= hosts

    def rss_mb(self, name: str) -> float:
        """Resident memory of a process, MiB (VmRSS)."""
        proc = dict(self.procs)[name]
        for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise BenchError(f"no VmRSS for {name}")

    def peak_mb(self, name: str) -> float:
        proc = dict(self.procs)[name]
        for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        raise BenchError(f"no VmHWM for {name}")

    def stop(self) -> None:
        for _, proc in reversed(self.procs):
            stop_group(proc)


def _pythonpath() -> dict[str, str]:
    return {"PYTHONPATH": os.environ["PYTHONPATH"]} if os.environ.get("PYTHONPATH") else {}


def _unlimited_quotas() -> str:
    return "[quota]\ninstances = -1\ncores = -1\nram = -1\n"


def start_aio(stack: contextlib.ExitStack[Any], workdir: Path, hosts: int) -> Deployment:
    port = free_port()
    conf = workdir / "aio.conf"
    conf.write_text(_unlimited_quotas() + "[identity]\npassword_hash_cost = 10\n")
    dep = Deployment(workdir, port)
    stack.callback(dep.stop)
    os.environ["NIMBUS_ADMIN_PASSWORD"] = ADMIN_PASSWORD
    dep.start("aio", ["up", "--config-file", str(conf), "--port", str(port), "--data-dir",
                      str(workdir / "data"), "--clouds-yaml", str(workdir / "clouds.yaml"),
                      "--fake-hosts", str(hosts)])
    dep.wait_for_hosts(hosts)
    return dep


def start_scaleout(stack: contextlib.ExitStack[Any], workdir: Path, hosts: int,
                   pg_server: str) -> Deployment:
    vhost = f"nimbus_bench_{uuid.uuid4().hex[:8]}"
    try:
        subprocess.run(["rabbitmqctl", "-q", "add_vhost", vhost], check=True,
                       capture_output=True)
        subprocess.run(["rabbitmqctl", "-q", "set_permissions", "-p", vhost, "guest", ".*",
                        ".*", ".*"], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError) as err:
        raise BenchError(f"cannot make a RabbitMQ virtual host: {err}") from None
    stack.callback(subprocess.run, ["rabbitmqctl", "-q", "delete_vhost", vhost],
                   capture_output=True)
    dbs = Databases("postgresql", pg_server, workdir, "nimbus_bench_boot")
    stack.callback(dbs.close)
    port = free_port()
    sections = [
        f"[DEFAULT]\ndata_dir = {workdir / 'data'}\n"
        f"transport_url = rabbit://guest:guest@127.0.0.1:5672/{vhost}\n",
        f"[api]\nbind_port = {port}\n", "[identity]\npassword_hash_cost = 10\n",
        f"[service_user]\nauth_url = http://127.0.0.1:{port}/identity/v3\n"
        "password = bench-service\ninterface = public\n",
        "[scheduler]\ndiscover_hosts_in_cells_interval = 2\n", _unlimited_quotas(),
    ]
    urls = {name: dbs.create(name) for name in ("identity", "placement", "image", "api",
                                                "cell", "cell0")}
    sections += [f"[{name}_database]\nconnection = {url}\n" for name, url in urls.items()]
    conf = workdir / "nimbus.conf"
    conf.write_text("\n".join(sections))
    log = workdir / "setup.log"
    nimbus = [str(NIMBUS_BIN / "nimbus")]
    env = {**nimbus_env(workdir), **_pythonpath()}
    for args in (["manage", "db", "sync"],
                 ["manage", "bootstrap", "--bootstrap-password", ADMIN_PASSWORD],
                 ["manage", "cell_v2", "map_cell0"],
                 ["manage", "cell_v2", "create_cell", "--name", "cell1"],
                 ["manage", "db", "sync"]):
        run(nimbus + args + ["--config-file", str(conf)], log, env=env)
    dep = Deployment(workdir, port)
    stack.callback(dep.stop)
    cfg = ["--config-file", str(conf)]
    dep.start("api", ["api", *cfg])
    dep.start("conductor", ["conductor", *cfg])
    dep.start("scheduler", ["scheduler", *cfg])
    for i in range(1, hosts + 1):
        dep.start(f"compute-{i}", ["compute", "--host", f"bench-{i}", *cfg])
    dep.wait_for_hosts(hosts)
    return dep


# -- the workload -------------------------------------------------------------------

def admin_token(url: str) -> str:
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "admin", "domain": {"id": "default"}, "password": ADMIN_PASSWORD}}},
        "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}}
    deadline = time.monotonic() + 60
    while True:
        with contextlib.suppress(httpx.TransportError):
            resp = httpx.post(f"{url}/identity/v3/auth/tokens", json=body, timeout=30)
            if resp.status_code == 201:
                return str(resp.headers["x-subject-token"])
        if time.monotonic() > deadline:
            raise BenchError(f"no token from {url}")
        time.sleep(0.5)


async def workload(url: str, servers: int, batch: int, clients: int) -> Figures:
    headers = {"X-Auth-Token": admin_token(url), "OpenStack-API-Version": COMPUTE_VERSION}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=300) as http:
        flavor = (await http.post("/compute/v2.1/flavors", json={"flavor": {
            "name": "bench", "ram": 64, "vcpus": 1, "disk": 1}})).json()["flavor"]["id"]
        image = (await http.post("/image/v2/images", json={
            "name": "bench", "disk_format": "raw", "container_format": "bare"})).json()["id"]
        await http.put(f"/image/v2/images/{image}/file", content=b"\0" * 1024,
                       headers={"Content-Type": "application/octet-stream"})
        batches = asyncio.Queue[int]()
        for index in range(servers // batch):
            batches.put_nowait(index)
        latencies: list[float] = []
        errors = 0

        async def client() -> None:
            nonlocal errors
            while not batches.empty():
                index = batches.get_nowait()
                start = time.perf_counter()
                resp = await http.post("/compute/v2.1/servers", json={"server": {
                    "name": f"bench-{index}", "imageRef": image, "flavorRef": flavor,
                    "networks": "none", "min_count": batch, "max_count": batch}})
                latencies.append((time.perf_counter() - start) * 1000)
                errors += resp.status_code != 202

        started = time.perf_counter()
        await asyncio.gather(*[client() for _ in range(clients)])
        while (await http.get("/compute/v2.1/servers?status=BUILD&limit=1")).json()["servers"]:
            await asyncio.sleep(0.2)
        elapsed = time.perf_counter() - started
        errors += len((await http.get("/compute/v2.1/servers?status=ERROR")).json()["servers"])
        details = []
        listed = 0
        for _ in range(10):
            start = time.perf_counter()
            resp = await http.get("/compute/v2.1/servers/detail?limit=1000")
            details.append((time.perf_counter() - start) * 1000)
            listed = len(resp.json()["servers"])
    ordered = sorted(latencies)
    return Figures("", servers, elapsed, percentile(ordered, 0.5), percentile(ordered, 0.95),
                   statistics.median(details), listed, errors)


def report(results: list[Figures], args: argparse.Namespace) -> str:
    lines = [f"servers {args.servers}, fake hosts {args.hosts}, batch {args.batch}, "
             f"clients {args.clients}", "",
             "| deployment | servers/s | POST /servers p50 / p95 (ms) | "
             "GET /servers/detail?limit=1000 p50 (ms) | errors | RSS idle / peak (MB) |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for r in results:
        rss = (f"{r.idle_rss_mb:.0f} / {r.peak_rss_mb:.0f}" if r.idle_rss_mb is not None
               else "n/a (many processes)")
        lines.append(f"| {r.mode} | {r.rate:.1f} | {r.post_p50:.0f} / {r.post_p95:.0f} | "
                     f"{r.detail_p50:.0f} ({r.listed} listed) | {r.errors} | {rss} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--servers", type=int, default=1000)
    parser.add_argument("--hosts", type=int, default=10)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--mode", choices=("aio", "scaleout", "both"), default="both")
    parser.add_argument("--pg", default="postgres@127.0.0.1:5432",
                        help="PostgreSQL server (user@host:port) for the scale-out run")
    args = parser.parse_args()
    require_nimbus()
    terminate_on_signals()
    results = []
    modes = ("aio", "scaleout") if args.mode == "both" else (args.mode,)
    for mode in modes:
        with contextlib.ExitStack() as stack:
            workdir = scratch_dir(stack, f"boot-{mode}")
            print(f"starting {mode}...", file=sys.stderr, flush=True)
            if mode == "aio":
                dep = start_aio(stack, workdir, args.hosts)
                idle = dep.rss_mb("aio")
            else:
                dep = start_scaleout(stack, workdir, args.hosts, args.pg)
            figures = asyncio.run(workload(dep.url, args.servers, args.batch, args.clients))
            figures.mode = mode
            if mode == "aio":
                figures.idle_rss_mb, figures.peak_rss_mb = idle, dep.peak_mb("aio")
            results.append(figures)
            print(report([figures], args), file=sys.stderr, flush=True)
    print(report(results, args))
    return 0


if __name__ == "__main__":
    main_guard(main)
