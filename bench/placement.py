#!/usr/bin/env python3
"""Nimbus placement against upstream Placement from PyPI, side by side.

Run from the repository root once `.venv` exists (`make up` or `make test`):

    .venv/bin/python bench/placement.py [--nodes 1000,10000] [--db postgresql|sqlite]
                                        [--venv PATH]

openstack-placement and gunicorn are installed from PyPI into a virtualenv
under a temporary directory (or at --venv, kept and reused by later runs).
For each size N, each service gets a fresh database of the same kind
(PostgreSQL by default: through psycopg 3 for Nimbus, psycopg2 for
Placement, which its database layer expects), runs alone with noauth2 and two
worker processes (Nimbus: `nimbus api --service placement --workers 2`;
Placement: gunicorn with two sync workers), and is loaded with the same
cloud over its API:

- N compute-node providers with VCPU (64, allocation ratio 4), MEMORY_MB
  (256 GiB) and DISK_GB (4000) inventories, each in one of ten aggregates;
- every tenth with the traits CUSTOM_BENCH_FAST and HW_CPU_X86_AVX2;
- every fifth with a nested child provider holding 4 CUSTOM_BENCH_GPU;
- every second with an existing instance allocation (4 VCPU, 8 GiB, 80 GB).

Both databases are then ANALYZEd, as autovacuum would do after such a load
(and must be done by hand where it is off, as on the PostgreSQL of the
machine the figures in docs/benchmarks.md come from). Then, on each service in turn: GET /allocation_candidates (plain and with a
required trait, each with limit=1000 and limit=10, and a granular request
for a GPU on a nested child), one client, median and p95; provider creation
(POST /resource_providers) and claims (PUT /allocations/{new consumer} of
1 VCPU, 512 MB, 1 GB on a random node) from 1 and 8 concurrent clients. The
candidate counts each service returns are printed and must agree. The
table gives ratios oriented so that > 1 means Nimbus is faster. Everything
started is removed at the end, also on failure or Ctrl-C. This is never
part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import os
import platform
import random
import uuid
from pathlib import Path
from typing import Any

from harness import (
    NIMBUS_BIN,
    WORKERS,
    BenchError,
    Databases,
    Request,
    Result,
    Service,
    call,
    httpx,
    main_guard,
    make_venv,
    measure,
    nimbus_env,
    nimbus_version,
    require_nimbus,
    run,
    scratch_dir,
    table,
    terminate_on_signals,
    venv_versions,
)

HEADERS = {"X-Auth-Token": "admin", "OpenStack-API-Version": "placement 1.39"}
NAMESPACE = uuid.UUID("2f1c4a8e-0d7b-4c55-9a43-6f0b1f3e9c21")  # ids the same on both
AGGREGATES = [str(uuid.uuid5(NAMESPACE, f"agg-{i}")) for i in range(10)]
SEED_CLIENTS = 8


# -- the two services -----------------------------------------------------------

class Nimbus(Service):
    name = "Nimbus"

    def setup(self) -> None:
        self.conf = self.dir / "nimbus.conf"
        self.conf.write_text(
            f"[DEFAULT]\ndata_dir = {self.dir / 'data'}\nlog_file = {self.log}\n"
            f"[api]\nbind_host = 127.0.0.1\nbind_port = {self.port}\n"
            "enabled_services = placement\n"
            f"[placement_database]\nconnection = {self.db_url}\n"
            "[placement]\nauth_strategy = noauth2\n")
        run([str(NIMBUS_BIN / "nimbus"), "manage", "--config-file", str(self.conf), "db",
             "sync"], self.log, env=nimbus_env(self.dir))

    def command(self) -> tuple[list[str], dict[str, str]]:
        return ([str(NIMBUS_BIN / "nimbus"), "api", "--config-file", str(self.conf),
                 "--service", "placement", "--workers", str(WORKERS)], nimbus_env(self.dir))

    def version(self) -> str:
        return nimbus_version()


class Placement(Service):
    name = "Placement"

    def __init__(self, workdir: Path, db_url: str, venv: Path):
        super().__init__(workdir, db_url)
        self.venv = venv

    def setup(self) -> None:
        (self.dir / "placement.conf").write_text(
            f"[DEFAULT]\nlog_file = {self.log}\n"
            "[api]\nauth_strategy = noauth2\n"
            f"[placement_database]\nconnection = {self.db_url}\n")
        (self.dir / "gunicorn.conf.py").write_text(
            'wsgi_app = "placement.wsgi.api:application"\n'
            f'bind = "127.0.0.1:{self.port}"\nworkers = {WORKERS}\n'
            "control_socket_disable = True\n")
        run([str(self.venv / "bin" / "placement-manage"), "db", "sync"], self.log,
            env=self.env())

    def env(self) -> dict[str, str]:
        return {"PATH": os.environ.get("PATH", ""), "HOME": str(self.dir), "LANG": "C.UTF-8",
                "OS_PLACEMENT_CONFIG_DIR": str(self.dir),
                "PYTHONWARNINGS": "ignore::DeprecationWarning"}

    def command(self) -> tuple[list[str], dict[str, str]]:
        # gunicorn reads ./gunicorn.conf.py; placement parses sys.argv with
        # oslo.config, so the command line stays empty.
        return [str(self.venv / "bin" / "gunicorn")], self.env()

    def version(self) -> str:
        return venv_versions(self.venv, "openstack-placement", "gunicorn")


# -- the cloud ------------------------------------------------------------------

def node(i: int) -> str:
    return str(uuid.uuid5(NAMESPACE, f"cn-{i}"))


def child(i: int) -> str:
    return str(uuid.uuid5(NAMESPACE, f"cn-{i}-gpu"))


async def load(url: str, nodes: int) -> None:
    """The cloud described above, over the API, SEED_CLIENTS requests at a time."""
    async with httpx.AsyncClient(base_url=url, timeout=300, headers=HEADERS) as client:
        await call(client, "PUT", "/resource_classes/CUSTOM_BENCH_GPU", 201)
        await call(client, "PUT", "/traits/CUSTOM_BENCH_FAST", 201)
        gate = asyncio.Semaphore(SEED_CLIENTS)

        async def one(i: int) -> None:
            async with gate:
                rp = node(i)
                await call(client, "POST", "/resource_providers", 200,
                           json={"name": f"cn-{i:05d}", "uuid": rp})
                await call(client, "PUT", f"/resource_providers/{rp}/inventories", 200, json={
                    "resource_provider_generation": 0, "inventories": {
                        "VCPU": {"total": 64, "allocation_ratio": 4.0},
                        "MEMORY_MB": {"total": 262144},
                        "DISK_GB": {"total": 4000}}})
                await call(client, "PUT", f"/resource_providers/{rp}/aggregates", 200, json={
                    "resource_provider_generation": 1, "aggregates": [AGGREGATES[i % 10]]})
                if i % 10 == 0:
                    await call(client, "PUT", f"/resource_providers/{rp}/traits", 200, json={
                        "resource_provider_generation": 2,
                        "traits": ["CUSTOM_BENCH_FAST", "HW_CPU_X86_AVX2"]})
                if i % 5 == 0:
                    kid = child(i)
                    await call(client, "POST", "/resource_providers", 200, json={
                        "name": f"cn-{i:05d}-gpu", "uuid": kid, "parent_provider_uuid": rp})
                    await call(client, "PUT", f"/resource_providers/{kid}/inventories", 200,
                               json={"resource_provider_generation": 0,
                                     "inventories": {"CUSTOM_BENCH_GPU": {"total": 4}}})

        await asyncio.gather(*(one(i) for i in range(nodes)))

        async def allocate(batch: range) -> None:
            body = {str(uuid.uuid5(NAMESPACE, f"vm-{i}")): {
                "allocations": {node(i): {"resources": {
                    "VCPU": 4, "MEMORY_MB": 8192, "DISK_GB": 80}}},
                "project_id": "bench-project", "user_id": "bench-user",
                "consumer_generation": None, "consumer_type": "INSTANCE"} for i in batch}
            async with gate:
                await call(client, "POST", "/allocations", 204, json=body)

        await asyncio.gather(*(allocate(range(start, min(start + 200, nodes), 2))
                               for start in range(0, nodes, 200)))


CANDIDATES = "/allocation_candidates?resources=VCPU:1,MEMORY_MB:1024,DISK_GB:10"
GRANULAR = ("/allocation_candidates?resources=VCPU:1,MEMORY_MB:1024"
            "&resources_GPU=CUSTOM_BENCH_GPU:1&group_policy=isolate&limit=1000")


@dataclasses.dataclass(frozen=True)
class Workload:
    key: str
    label: str
    request: Request
    expect: int
    candidates: bool = False  # a GET /allocation_candidates: one client, counted


def workloads(nodes: int) -> list[Workload]:
    def get(path: str) -> Request:
        return lambda _: ("GET", path, None)

    def create(i: int) -> tuple[str, str, Any]:
        return "POST", "/resource_providers", {"name": f"new-{uuid.uuid4().hex}"}

    picker = random.Random(7)

    def claim(i: int) -> tuple[str, str, Any]:
        return "PUT", f"/allocations/{uuid.uuid4()}", {
            "allocations": {node(picker.randrange(nodes)): {"resources": {
                "VCPU": 1, "MEMORY_MB": 512, "DISK_GB": 1}}},
            "project_id": "bench-project", "user_id": "bench-user",
            "consumer_generation": None, "consumer_type": "INSTANCE"}

    trait = "&required=CUSTOM_BENCH_FAST"
    return [
        Workload("candidates_1000", "candidates, limit=1000", get(CANDIDATES + "&limit=1000"),
                 200, True),
        Workload("candidates_10", "candidates, limit=10", get(CANDIDATES + "&limit=10"),
                 200, True),
        Workload("trait_1000", "candidates + required trait, limit=1000",
                 get(CANDIDATES + trait + "&limit=1000"), 200, True),
        Workload("trait_10", "candidates + required trait, limit=10",
                 get(CANDIDATES + trait + "&limit=10"), 200, True),
        Workload("granular", "candidates, granular GPU on a nested child, limit=1000",
                 get(GRANULAR), 200, True),
        Workload("create_provider", "POST /resource_providers", create, 200),
        Workload("claim", "PUT /allocations/{consumer} (claim)", claim, 204),
    ]


async def count_candidates(url: str, path: str) -> tuple[int, int]:
    async with httpx.AsyncClient(base_url=url, timeout=300, headers=HEADERS) as client:
        body = (await call(client, "GET", path, 200)).json()
    return len(body["allocation_requests"]), len(body["provider_summaries"])


# -- the run --------------------------------------------------------------------

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", default="1000,10000",
                        help="Compute-node provider counts, one run each (1000,10000).")
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql",
                        help="Database kind, the same for both services (postgresql).")
    parser.add_argument("--pg-server", default="postgres@127.0.0.1:5432", metavar="USER@HOST:PORT",
                        help="PostgreSQL server (trust auth) to create the databases on "
                             "(postgres@127.0.0.1:5432).")
    parser.add_argument("--queries", type=int, default=40, metavar="N",
                        help="Measured GET /allocation_candidates per workload (40).")
    parser.add_argument("--requests", type=int, default=400, metavar="N",
                        help="Measured creations and claims per client count (400).")
    parser.add_argument("--warmup", type=int, default=5, metavar="N",
                        help="Warm-up requests before each measurement (5; at least the "
                             "number of clients).")
    parser.add_argument("--clients", default="1,8",
                        help="Client counts for creations and claims (1,8).")
    parser.add_argument("--workload", action="append", metavar="NAME",
                        help="Only this workload (repeatable): candidates_1000, "
                             "candidates_10, trait_1000, trait_10, granular, "
                             "create_provider, claim.")
    parser.add_argument("--venv", type=Path, metavar="PATH",
                        help="Placement virtualenv, created if missing and kept (default: "
                             "a throwaway one in the temporary directory).")
    parser.add_argument("--placement", default="openstack-placement", metavar="SPEC",
                        help="pip requirement for Placement (openstack-placement: the newest).")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    require_nimbus()
    terminate_on_signals()
    with contextlib.ExitStack() as stack:
        workdir = scratch_dir(stack, "placement")
        venv = args.venv.resolve() if args.venv else workdir / "placement-venv"
        # Upstream's database layer is tested with psycopg2 (with psycopg 3 its
        # inserts fail on cursor.lastrowid).
        make_venv(venv, [args.placement, "gunicorn", "psycopg2-binary"],
                  workdir / "install.log")
        for nodes in (int(n) for n in args.nodes.split(",")):
            with contextlib.ExitStack() as run_stack:
                rundir = workdir / f"n{nodes}"
                rundir.mkdir()
                dbs = Databases(args.db, args.pg_server, rundir, "bench_placement")
                run_stack.callback(dbs.close)
                services: list[Service] = [Nimbus(rundir, dbs.create("nimbus")),
                                           Placement(rundir, dbs.create("placement", "psycopg2"),
                                                     venv)]
                for svc in services:
                    svc.setup()
                    run_stack.callback(svc.stop)
                    svc.start()
                for svc in services:
                    svc.wait_ready()
                report(args, nodes, services, dbs)
    return 0


def report(args: argparse.Namespace, nodes: int, services: list[Service],
           dbs: Databases) -> None:
    versions = {svc.name: svc.version() for svc in services}
    print(f"\n## N = {nodes}\n\nNimbus {versions['Nimbus']} vs {versions['Placement']}; "
          f"{dbs.version()}; {WORKERS} workers each; Python {platform.python_version()}; "
          f"{os.cpu_count()} CPUs", flush=True)
    for svc in services:
        print(f"Loading {nodes} compute nodes into {svc.name} ...", flush=True)
        asyncio.run(load(svc.url, nodes))
    print(dbs.analyze(), flush=True)
    serving = {svc.name: svc.serving_processes() for svc in services}
    print(f"Serving processes: Nimbus {serving['Nimbus']}, Placement {serving['Placement']}",
          flush=True)
    clients = [int(c) for c in args.clients.split(",")]
    rows: list[tuple[str, int, Result, Result]] = []
    for work in workloads(nodes):
        if args.workload and work.key not in args.workload:
            continue
        if work.candidates:
            path = work.request(0)[1]
            counts = {svc.name: asyncio.run(count_candidates(svc.url, path)) for svc in services}
            print(f"  {work.key}: allocation requests / provider summaries: "
                  + ", ".join(f"{name} {a} / {s}" for name, (a, s) in counts.items()), flush=True)
            if counts["Nimbus"][0] != counts["Placement"][0]:
                raise BenchError(f"{work.key}: the services disagree on the candidates: {counts}")
        for c in ([1] if work.candidates else clients):
            count = args.queries if work.candidates else args.requests
            results = []
            for svc in services:
                result = asyncio.run(measure(svc.url, work.key, work.request, work.expect,
                                             HEADERS, c, count, max(args.warmup, c)))
                print(f"  {work.key:16} clients={c} {svc.name:9} {result.rate:8.1f} req/s  "
                      f"p50 {result.p50:8.1f} ms  p95 {result.p95:8.1f} ms", flush=True)
                results.append(result)
            rows.append((f"{work.label}, {count} req", c, results[0], results[1]))
    print("\nratio: Placement time / Nimbus time, or Nimbus rate / Placement rate "
          "(> 1: Nimbus is faster)\n")
    print(table(rows, "Placement"), flush=True)


if __name__ == "__main__":
    main_guard(main)
