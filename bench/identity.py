#!/usr/bin/env python3
"""Nimbus identity against upstream Keystone from PyPI, side by side.

Run from the repository root once `.venv` exists (`make up` or `make test`):

    .venv/bin/python bench/identity.py [--db postgresql|sqlite] [--requests N] [--venv PATH]

Keystone and gunicorn are installed from PyPI into a virtualenv under a
temporary directory (or at --venv, kept and reused by later runs). Each
service gets a fresh database of the same kind (PostgreSQL by default, one
database per service, dropped at the end; both through psycopg 3), is
bootstrapped with the same admin password and is asked for two worker
processes: Nimbus with `nimbus api --workers 2` (or, with
`--nimbus-server uvicorn`, its app factory under `uvicorn --workers 2`),
Keystone with gunicorn's default sync workers. The run prints how many
processes each really serves from. Both keep their default settings,
including the password hash: bcrypt with 12 rounds for Keystone, scrypt
with `password_hash_cost = 15` for Nimbus.

Every workload runs against each service in turn with identical requests,
with 1 and 8 concurrent clients (asyncio + httpx in this process): a
warm-up, then a fixed number of requests. The table gives requests per
second and p50/p95 latency for each service and the ratio, oriented so
that > 1 means Nimbus is faster. Everything started (processes,
databases, the temporary directory) is removed at the end, also on
failure or Ctrl-C. This is never part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import os
import platform
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness import (
    NIMBUS_BIN,
    WORKERS,
    Databases,
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

NIMBUS_COMMANDS = {"nimbus-api": f"nimbus api --workers {WORKERS}",
                   "uvicorn": f"uvicorn nimbus.deploy:app_from_environment --workers {WORKERS}"}
PROJECTS = 100  # present for GET /v3/projects
USERS = 10  # each a reader on ASSIGNED_PER_USER projects: the role assignments
ASSIGNED_PER_USER = 9
GROUP_MEMBERS = 5  # a group, reader on GROUP_PROJECTS projects, expands per member
GROUP_PROJECTS = 2


# -- the two services -----------------------------------------------------------

class Nimbus(Service):
    name = "Nimbus"
    ready_path = "/v3"

    def __init__(self, workdir: Path, db_url: str, password: str, server: str):
        super().__init__(workdir, db_url)
        self.password, self.server = password, server

    def setup(self) -> None:
        self.conf = self.dir / "nimbus.conf"
        self.conf.write_text(
            f"[DEFAULT]\ndata_dir = {self.dir / 'data'}\nlog_file = {self.log}\n"
            f"[api]\nbind_host = 127.0.0.1\nbind_port = {self.port}\n"
            f"[identity_database]\nconnection = {self.db_url}\n")
        env = self.env()
        nimbus = str(NIMBUS_BIN / "nimbus")
        run([nimbus, "manage", "db", "sync", "--config-file", str(self.conf)], self.log, env=env)
        run([nimbus, "manage", "bootstrap", "--bootstrap-password", self.password,
             "--config-file", str(self.conf)], self.log, env=env)

    def env(self) -> dict[str, str]:
        return nimbus_env(self.dir)

    def command(self) -> tuple[list[str], dict[str, str]]:
        if self.server == "nimbus-api":
            return ([str(NIMBUS_BIN / "nimbus"), "api", "--config-file", str(self.conf),
                     "--workers", str(WORKERS)], self.env())
        # The app factory `nimbus api` hands to uvicorn for several workers,
        # started by uvicorn's own command line, whose --workers forks.
        env = {**self.env(), "NIMBUS_CONFIG_FILES": str(self.conf), "NIMBUS_SERVICES": "identity"}
        return ([str(NIMBUS_BIN / "uvicorn"), "nimbus.deploy:app_from_environment", "--factory",
                 "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(WORKERS),
                 "--loop", "uvloop", "--http", "httptools", "--lifespan", "on",
                 "--no-access-log", "--no-server-header"], env)

    def version(self) -> str:
        return nimbus_version()


class Keystone(Service):
    name = "Keystone"
    ready_path = "/v3"

    def __init__(self, workdir: Path, db_url: str, password: str, venv: Path):
        super().__init__(workdir, db_url)
        self.password, self.venv = password, venv

    def setup(self) -> None:
        self.conf = self.dir / "keystone.conf"
        self.conf.write_text(
            f"[DEFAULT]\nlog_file = {self.log}\n"
            f"[database]\nconnection = {self.db_url}\n"
            f"[fernet_tokens]\nkey_repository = {self.dir / 'fernet-keys'}\n"
            f"[credential]\nkey_repository = {self.dir / 'credential-keys'}\n")
        # gunicorn reads ./gunicorn.conf.py when given no arguments; Keystone
        # parses sys.argv with oslo.config, so the command line must stay empty.
        (self.dir / "gunicorn.conf.py").write_text(
            'wsgi_app = "keystone.wsgi.api:application"\n'
            f'bind = "127.0.0.1:{self.port}"\nworkers = {WORKERS}\n'
            "control_socket_disable = True\n")
        manage = [str(self.venv / "bin" / "keystone-manage"), "--config-file", str(self.conf)]
        owner = ["--keystone-user", str(os.getuid()), "--keystone-group", str(os.getgid())]
        env = self.env()
        run([*manage, "db_sync"], self.log, env=env)
        run([*manage, "fernet_setup", *owner], self.log, env=env)
        run([*manage, "credential_setup", *owner], self.log, env=env)
        run([*manage, "bootstrap", "--bootstrap-password", self.password,
             "--bootstrap-region-id", "RegionOne",
             "--bootstrap-admin-url", f"{self.url}/v3",
             "--bootstrap-internal-url", f"{self.url}/v3",
             "--bootstrap-public-url", f"{self.url}/v3"], self.log, env=env)

    def env(self) -> dict[str, str]:
        return {"PATH": os.environ.get("PATH", ""), "HOME": str(self.dir), "LANG": "C.UTF-8",
                "OS_KEYSTONE_CONFIG_FILES": str(self.conf),
                "PYTHONWARNINGS": "ignore::DeprecationWarning"}

    def command(self) -> tuple[list[str], dict[str, str]]:
        return [str(self.venv / "bin" / "gunicorn")], self.env()

    def version(self) -> str:
        return venv_versions(self.venv, "keystone", "gunicorn").replace(", ", " with ", 1)


def keystone_venv(path: Path, spec: str, log: Path) -> None:
    make_venv(path, [spec, "gunicorn", "psycopg[binary]"], log)


# -- the workloads --------------------------------------------------------------

@dataclasses.dataclass
class Fixture:
    """What seeding one service left behind, for the workloads to use."""

    admin_token: str = ""
    subject_token: str = ""
    projects_listed: int = 0
    assignments_listed: int = 0


@dataclasses.dataclass(frozen=True)
class Workload:
    key: str
    label: str
    method: str
    path: str
    expect: int
    body: Callable[[str], dict[str, Any] | None]
    headers: Callable[[Fixture], dict[str, str]]
    slow: bool = False  # N / 5 requests: hashes a password, or is slow on Keystone


def password_auth(password: str, project: str = "admin", user: str = "admin") -> dict[str, Any]:
    return {"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": user, "domain": {"id": "default"}, "password": password}}},
        "scope": {"project": {"name": project, "domain": {"id": "default"}}}}}


def admin(fx: Fixture) -> dict[str, str]:
    return {"X-Auth-Token": fx.admin_token}


def workloads(password: str) -> list[Workload]:
    return [
        Workload("issue", "token issue (password, project scope)", "POST", "/v3/auth/tokens",
                 201, lambda _: password_auth(password), lambda fx: {}, slow=True),
        Workload("validate", "token validation", "GET", "/v3/auth/tokens", 200,
                 lambda _: None, lambda fx: {**admin(fx), "X-Subject-Token": fx.subject_token}),
        Workload("list_projects", f"GET /v3/projects ({PROJECTS + 1} projects)", "GET",
                 "/v3/projects", 200, lambda _: None, admin),
        Workload("role_assignments", "GET /v3/role_assignments?effective&include_names",
                 "GET", "/v3/role_assignments?effective&include_names", 200,
                 lambda _: None, admin, slow=True),
        Workload("create_project", "POST /v3/projects", "POST", "/v3/projects", 201,
                 lambda tag: {"project": {"name": f"bench-new-{tag}", "domain_id": "default"}},
                 admin),
    ]


async def seed(url: str, password: str, parallel: int) -> Fixture:
    """Projects, users, a group and ~100 role assignments, the same on each service.

    `parallel` requests at a time: 1 on SQLite, where Keystone fails
    concurrent writes with "database is locked".
    """
    fx = Fixture()
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        resp = await call(client, "POST", "/v3/auth/tokens", 201, json=password_auth(password))
        fx.admin_token = resp.headers["X-Subject-Token"]
        hdr = admin(fx)
        gate = asyncio.Semaphore(parallel)

        async def post(path: str, body: dict[str, Any], key: str) -> str:
            async with gate:
                resp = await call(client, "POST", path, 201, json=body, headers=hdr)
            return str(resp.json()[key]["id"])

        async def put(path: str) -> None:
            async with gate:
                await call(client, "PUT", path, 204, headers=hdr)

        reader = (await call(client, "GET", "/v3/roles?name=reader", 200, headers=hdr)
                  ).json()["roles"][0]["id"]
        projects = await asyncio.gather(*(post("/v3/projects", {"project": {
            "name": f"bench-p-{i:03d}", "domain_id": "default"}}, "project")
            for i in range(PROJECTS)))
        users = await asyncio.gather(*(post("/v3/users", {"user": {
            "name": f"bench-u-{i:02d}", "domain_id": "default", "password": password}}, "user")
            for i in range(USERS)))
        group = await post("/v3/groups", {"group": {"name": "bench-g", "domain_id": "default"}},
                           "group")
        puts = [f"/v3/groups/{group}/users/{u}" for u in users[:GROUP_MEMBERS]]
        puts += [f"/v3/projects/{projects[i * ASSIGNED_PER_USER + j]}/users/{u}/roles/{reader}"
                 for i, u in enumerate(users) for j in range(ASSIGNED_PER_USER)]
        first = USERS * ASSIGNED_PER_USER
        puts += [f"/v3/projects/{projects[first + j]}/groups/{group}/roles/{reader}"
                 for j in range(GROUP_PROJECTS)]
        await asyncio.gather(*(put(p) for p in puts))
        resp = await call(client, "POST", "/v3/auth/tokens", 201,
                          json=password_auth(password, "bench-p-000", "bench-u-00"))
        fx.subject_token = resp.headers["X-Subject-Token"]
        resp = await call(client, "GET", "/v3/projects", 200, headers=hdr)
        fx.projects_listed = len(resp.json()["projects"])
        resp = await call(client, "GET", "/v3/role_assignments?effective&include_names", 200,
                          headers=hdr)
        fx.assignments_listed = len(resp.json()["role_assignments"])
    return fx


# -- the run --------------------------------------------------------------------

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql",
                        help="Database kind, the same for both services (postgresql).")
    parser.add_argument("--pg-server", default="postgres@127.0.0.1:5432", metavar="USER@HOST:PORT",
                        help="PostgreSQL server (trust auth) to create the databases on "
                             "(postgres@127.0.0.1:5432).")
    parser.add_argument("--requests", type=int, default=500, metavar="N",
                        help="Measured requests per workload and client count (500).")
    parser.add_argument("--slow-requests", type=int, metavar="N",
                        help="Measured requests for token issue and role assignments, which "
                             "take 0.1-2 s each on Keystone (default: N / 5, at least 20).")
    parser.add_argument("--warmup", type=int, default=50, metavar="N",
                        help="Warm-up requests before each measurement (50; a fifth for "
                             "the slow workloads; at least the number of clients).")
    parser.add_argument("--clients", default="1,8", help="Concurrent client counts (1,8).")
    parser.add_argument("--workload", action="append", metavar="NAME",
                        help="Only this workload (repeatable): issue, validate, list_projects, "
                             "role_assignments, create_project.")
    parser.add_argument("--venv", type=Path, metavar="PATH",
                        help="Keystone virtualenv, created if missing and kept (default: "
                             "a throwaway one in the temporary directory).")
    parser.add_argument("--keystone", default="keystone", metavar="SPEC",
                        help="pip requirement for Keystone, e.g. keystone==30.0.0 "
                             "(keystone: the newest).")
    parser.add_argument("--nimbus-server", choices=("nimbus-api", "uvicorn"),
                        default="nimbus-api",
                        help="How Nimbus is served: `nimbus api --workers 2` (the default), "
                             "or its app factory under `uvicorn --workers 2` (see "
                             "docs/benchmarks.md).")
    parser.add_argument("--password", default="bench-" + uuid.uuid4().hex[:12],
                        help="Admin password of both services (random).")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    require_nimbus()
    terminate_on_signals()
    with contextlib.ExitStack() as stack:
        workdir = scratch_dir(stack, "identity")
        venv = args.venv.resolve() if args.venv else workdir / "keystone-venv"
        keystone_venv(venv, args.keystone, workdir / "install.log")
        dbs = Databases(args.db, args.pg_server, workdir, "bench_identity")
        stack.callback(dbs.close)
        services: list[Service] = [
            Nimbus(workdir, dbs.create("nimbus"), args.password, args.nimbus_server),
            Keystone(workdir, dbs.create("keystone"), args.password, venv),
        ]
        for svc in services:
            print(f"Setting up {svc.name} ...", flush=True)
            svc.setup()
            stack.callback(svc.stop)
            svc.start()
        for svc in services:
            svc.wait_ready()
        report(args, services, dbs)
    return 0


def report(args: argparse.Namespace, services: list[Service], dbs: Databases) -> None:
    versions = {svc.name: svc.version() for svc in services}
    print(f"Nimbus {versions['Nimbus']} vs Keystone {versions['Keystone']}; "
          f"{dbs.version()}; {WORKERS} workers each; Python {platform.python_version()}; "
          f"{os.cpu_count()} CPUs", flush=True)
    print("Password hashing at the defaults: Nimbus scrypt (password_hash_cost = 15), "
          "Keystone bcrypt (12 rounds).", flush=True)
    fixtures = {}
    for svc in services:
        fixtures[svc.name] = asyncio.run(seed(svc.url, args.password,
                                                  1 if args.db == "sqlite" else 4))
    for svc in services:
        fx = fixtures[svc.name]
        print(f"{svc.name}: GET /v3/projects lists {fx.projects_listed} projects, "
              f"GET /v3/role_assignments?effective&include_names {fx.assignments_listed} "
              "assignments", flush=True)
    serving = {svc.name: svc.serving_processes() for svc in services}
    print(f"Serving processes: Nimbus {serving['Nimbus']} ({NIMBUS_COMMANDS[args.nimbus_server]}), "
          f"Keystone {serving['Keystone']} (gunicorn, {WORKERS} sync workers)", flush=True)
    if serving["Nimbus"] < WORKERS:
        print(f"WARNING: Nimbus asked for {WORKERS} workers but serves from "
              f"{serving['Nimbus']} process(es).", flush=True)
    clients = [int(c) for c in args.clients.split(",")]
    slow_count = args.slow_requests or max(20, args.requests // 5)
    rows = []
    for work in workloads(args.password):
        if args.workload and work.key not in args.workload:
            continue
        count = slow_count if work.slow else args.requests
        warm = args.warmup // 5 if work.slow else args.warmup
        for c in clients:
            results = []
            for svc in services:
                result = asyncio.run(measure(
                    svc.url, work.key, _request(work), work.expect,
                    work.headers(fixtures[svc.name]), c, count, max(warm, c)))
                print(f"  {work.key:16} clients={c} {svc.name:8} {result.rate:8.1f} req/s  "
                      f"p50 {result.p50:7.1f} ms  p95 {result.p95:7.1f} ms", flush=True)
                results.append(result)
            rows.append((f"{work.label}, {count} req", c, results[0], results[1]))
    print("\nratio: Keystone time / Nimbus time, or Nimbus rate / Keystone rate "
          "(> 1: Nimbus is faster)\n")
    print(table(rows, "Keystone"), flush=True)


def _request(work: Workload) -> Callable[[int], tuple[str, str, Any]]:
    return lambda _: (work.method, work.path, work.body(uuid.uuid4().hex))


if __name__ == "__main__":
    main_guard(main)
