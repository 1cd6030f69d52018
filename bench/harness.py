"""What the side-by-side benchmarks share: processes in their own groups,
throwaway databases and virtualenvs, timing, and the ratio table.

Imported by the scripts beside it (run as `.venv/bin/python bench/<name>.py`,
so this directory is on sys.path).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NIMBUS_BIN = ROOT / ".venv" / "bin"

try:
    import httpx as httpx  # re-exported: importing it here first re-execs in .venv
except ImportError:  # run with a Python that lacks httpx: use the project's .venv
    if (NIMBUS_BIN / "python").exists() and Path(sys.prefix) != ROOT / ".venv":
        os.execv(str(NIMBUS_BIN / "python"), [str(NIMBUS_BIN / "python"), *sys.argv])
    raise SystemExit("httpx is missing: create .venv first (make up) and run with "
                     ".venv/bin/python") from None

AVOID_PORTS = {5000, 5100}  # other people's services on this machine
WORKERS = 2


class BenchError(Exception):
    """The benchmark cannot go on; the message says why."""


# -- processes, ports, databases, virtualenvs -----------------------------------

def free_port() -> int:
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port not in AVOID_PORTS:
            return port


def run(cmd: list[str], log: Path, **kwargs: Any) -> None:
    """Run a set-up command; on failure show the end of its output."""
    with open(log, "ab") as out:
        out.write(f"$ {' '.join(cmd)}\n".encode())
        out.flush()
        result = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, **kwargs)
    if result.returncode != 0:
        raise BenchError(f"{' '.join(cmd[:3])} failed ({result.returncode}):\n{tail(log)}")


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


def stop_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group a service runs in, SIGKILL what lingers."""
    for sig, grace in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            proc.poll()
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                return  # the group is empty
            time.sleep(0.1)
    proc.wait()


class Databases:
    """Fresh databases named `<prefix>_<label>_<random>`, dropped on close."""

    def __init__(self, kind: str, server: str, workdir: Path, prefix: str):
        self.kind, self.server, self.workdir, self.prefix = kind, server, workdir, prefix
        self.created: list[str] = []

    def _admin(self) -> Any:
        import psycopg

        user, _, hostport = self.server.rpartition("@")
        host, _, port = hostport.partition(":")
        return psycopg.connect(host=host, port=int(port or 5432), user=user or "postgres",
                               dbname="postgres", autocommit=True)

    def create(self, label: str, driver: str = "psycopg") -> str:
        """A SQLAlchemy URL of an empty database (PostgreSQL through `driver`)."""
        if self.kind == "sqlite":
            return f"sqlite:///{self.workdir / label}.sqlite"
        name = f"{self.prefix}_{label}_{uuid.uuid4().hex[:8]}"
        with self._admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return f"postgresql+{driver}://{self.server}/{name}"

    def analyze(self) -> str:
        """Gather planner statistics in every database, as autovacuum would
        after a bulk load; says what it did. Without them PostgreSQL plans
        joins as if each table held one row."""
        if self.kind == "sqlite":
            return "SQLite: no statistics gathered"
        with self._admin() as conn:
            autovacuum = conn.execute("SHOW autovacuum").fetchone()[0]
        import psycopg

        user, _, hostport = self.server.rpartition("@")
        host, _, port = hostport.partition(":")
        for name in self.created:
            with psycopg.connect(host=host, port=int(port or 5432), user=user or "postgres",
                                 dbname=name, autocommit=True) as conn:
                conn.execute("ANALYZE")
        return f"ANALYZE run in each database after loading (server autovacuum = {autovacuum})"

    def version(self) -> str:
        if self.kind == "sqlite":
            import sqlite3

            return f"SQLite {sqlite3.sqlite_version}"
        with self._admin() as conn:
            row = conn.execute("SHOW server_version").fetchone()
        return f"PostgreSQL {row[0].split()[0]}"

    def close(self) -> None:
        if not self.created:
            return
        with self._admin() as conn:
            while self.created:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.created.pop()}" WITH (FORCE)')


def make_venv(path: Path, requirements: Sequence[str], log: Path) -> None:
    """Create a virtualenv with `requirements` unless an earlier run left one."""
    marker = path / ".bench-installed"
    wanted = "\n".join(requirements) + "\n"
    if marker.exists() and marker.read_text() == wanted:
        print(f"Reusing the virtualenv at {path}", flush=True)
        return
    print(f"Installing {' '.join(requirements)} from PyPI into {path} ...", flush=True)
    run([sys.executable, "-m", "venv", "--clear", str(path)], log)
    run([str(path / "bin" / "pip"), "install", "-q", "--upgrade", "pip"], log)
    run([str(path / "bin" / "pip"), "install", "-q", *requirements], log)
    marker.write_text(wanted)  # only a complete install is reused


def venv_versions(venv: Path, *packages: str) -> str:
    code = ("import sys; from importlib.metadata import version as v; "
            "print(', '.join(f'{p} {v(p)}' for p in sys.argv[1:]))")
    return subprocess.run([str(venv / "bin" / "python"), "-c", code, *packages],
                          capture_output=True, text=True, check=True).stdout.strip()


def nimbus_version() -> str:
    out = subprocess.run([str(NIMBUS_BIN / "nimbus"), "--version"], capture_output=True,
                         text=True, check=True).stdout.split()[-1]
    git = ["git", "-C", str(ROOT)]
    commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    if not commit:
        return out
    changed = subprocess.run([*git, "status", "--porcelain", "--", "nimbus"],
                             capture_output=True, text=True).stdout.strip()
    return f"{out} (commit {commit}{', with uncommitted changes in nimbus/' if changed else ''})"


def nimbus_env(home: Path) -> dict[str, str]:
    """Nimbus's environment: PYTHONPATH passes through, so that a git worktree
    sharing another checkout's .venv (a symlink) runs its own code."""
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "LANG": "C.UTF-8"}
    if os.environ.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return env


class Service:
    """One service under test: set up, started in its own process group, stopped."""

    name = ""
    ready_path = "/"
    ready_statuses: tuple[int, ...] = (200,)  # e.g. 300 for a version document

    def __init__(self, workdir: Path, db_url: str):
        self.dir = workdir / self.name.lower()
        self.dir.mkdir()
        self.db_url = db_url
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = self.dir / "service.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def setup(self) -> None:
        raise NotImplementedError

    def command(self) -> tuple[list[str], dict[str, str]]:
        raise NotImplementedError

    def version(self) -> str:
        raise NotImplementedError

    def start(self) -> None:
        cmd, env = self.command()
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(cmd, cwd=self.dir, env=env, stdout=out,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         start_new_session=True)

    def wait_ready(self, timeout: float = 90.0) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            with contextlib.suppress(httpx.TransportError):
                resp = httpx.get(f"{self.url}{self.ready_path}", timeout=5)
                if resp.status_code in self.ready_statuses:
                    return
            time.sleep(0.2)
        raise BenchError(f"{self.name} did not start:\n{tail(self.log)}")

    def serving_processes(self) -> int:
        """Processes in the service's group, less the supervisor if there is one
        and multiprocessing's resource tracker (Linux /proc)."""
        assert self.proc is not None
        count = 0
        for entry in os.listdir("/proc"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                fields = Path(f"/proc/{entry}/stat").read_text().rpartition(")")[2].split()
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
                count += int(fields[2]) == self.proc.pid and b"resource_tracker" not in cmdline
        return max(1, count - 1)

    def stop(self) -> None:
        if self.proc is not None:
            stop_group(self.proc)
            self.proc = None


def require_nimbus() -> None:
    if not (NIMBUS_BIN / "nimbus").exists():
        raise SystemExit("no .venv/bin/nimbus: run `make up` or `make test` first")


def scratch_dir(stack: contextlib.ExitStack[Any], name: str, parent: Path | None = None) -> Path:
    """A temporary directory for one run, removed when `stack` closes."""
    workdir = Path(tempfile.mkdtemp(prefix=f"nimbus-bench-{name}-", dir=parent))
    stack.callback(shutil.rmtree, workdir, ignore_errors=True)
    return workdir


def terminate_on_signals() -> None:
    """SIGTERM and SIGHUP unwind like Ctrl-C, so everything started is stopped."""

    def _terminate(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _terminate)


def main_guard(main: Callable[[], int]) -> None:
    try:
        sys.exit(main())
    except BenchError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("\nInterrupted; everything started was stopped and removed.", file=sys.stderr)
        sys.exit(130)


# -- timing ---------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Result:
    rate: float  # successful requests per second
    p50: float  # milliseconds, of the successful requests
    p95: float
    failed: int  # answers other than the expected status


def percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


async def call(client: httpx.AsyncClient, method: str, url: str, expect: int,
               **kwargs: Any) -> httpx.Response:
    resp = await client.request(method, url, **kwargs)
    if resp.status_code != expect:
        raise BenchError(f"{method} {url}: {resp.status_code}, expected {expect}: {resp.text[:500]}")
    return resp


# One request of a workload: (method, path, JSON body or None) for request i.
Request = Callable[[int], tuple[str, str, Any]]


async def measure(url: str, key: str, request: Request, expect: int, headers: dict[str, str],
                  clients: int, count: int, warmup: int,
                  check: Callable[[httpx.Response], Awaitable[None] | None] | None = None
                  ) -> Result:
    """`count` requests from `clients` concurrent clients, after `warmup` more."""
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    numbers = iter(range(10**12))
    async with httpx.AsyncClient(base_url=url, timeout=300, limits=limits,
                                 headers=headers) as client:

        async def burst(n: int) -> tuple[list[float], list[str], float]:
            todo = iter(range(n))
            latencies: list[float] = []
            failures: list[str] = []

            async def one_client() -> None:
                for _ in todo:
                    method, path, body = request(next(numbers))
                    start = time.perf_counter()
                    resp = await client.request(method, path, json=body)
                    if resp.status_code == expect:
                        latencies.append(time.perf_counter() - start)
                        if check is not None:
                            checked = check(resp)
                            if checked is not None:
                                await checked
                    else:
                        failures.append(f"{resp.status_code} {resp.text[:300]}")

            began = time.perf_counter()
            await asyncio.gather(*(one_client() for _ in range(clients)))
            return latencies, failures, time.perf_counter() - began

        await burst(warmup)
        latencies, failures, elapsed = await burst(count)
    if failures:
        print(f"    {len(failures)} of {count} failed, first: {failures[0]!r}", flush=True)
    if len(failures) * 2 > count:
        raise BenchError(f"{key}: most requests failed")
    latencies.sort()
    return Result(len(latencies) / elapsed, percentile(latencies, 0.50) * 1000,
                  percentile(latencies, 0.95) * 1000, len(failures))


def table(rows: list[tuple[str, int, Result, Result]], other: str) -> str:
    """Markdown; every ratio is oriented so that > 1 means Nimbus is faster."""
    failures = any(n.failed or k.failed for _, _, n, k in rows)
    head = (f"| workload | clients | Nimbus req/s | {other} req/s | ratio "
            f"| Nimbus p50 ms | {other} p50 ms | ratio | Nimbus p95 ms | {other} p95 ms | ratio |")
    head += f" failed (Nimbus / {other}) |" if failures else ""
    lines = [head, "|" + " --- |" * (12 if failures else 11)]
    for label, clients, n, k in rows:
        line = (f"| {label} | {clients} | {n.rate:.1f} | {k.rate:.1f} | {n.rate / k.rate:.2f} "
                f"| {n.p50:.1f} | {k.p50:.1f} | {k.p50 / n.p50:.2f} "
                f"| {n.p95:.1f} | {k.p95:.1f} | {k.p95 / n.p95:.2f} |")
        lines.append(line + (f" {n.failed} / {k.failed} |" if failures else ""))
    return "\n".join(lines)
