#!/usr/bin/env python3
"""Nimbus image against upstream Glance from PyPI: upload and download throughput.

Run from the repository root once `.venv` exists (`make up` or `make test`):

    .venv/bin/python bench/image.py [--sizes 1G,4G] [--runs 3] [--cache cold|warm]
                                    [--workdir DIR] [--venv PATH] [--only nimbus|glance]

Glance and uWSGI are installed from PyPI into a virtualenv under the
temporary directory (or at --venv, kept and reused by later runs); building
uWSGI needs a C compiler and the Python headers. Glance no longer has a
standalone server, so it runs as its documentation recommends: uWSGI in
HTTP mode (`module = glance.wsgi.api:application`, chunked input on), two
processes, chunks of up to 8 MiB accepted (uWSGI's default limit is 1 MiB,
the client's chunk). Both services run on SQLite with a filesystem store in
the same temporary directory, without authentication: Glance with the
default paste flavor (no keystone, no image cache), whose context
middleware makes every caller an admin without roles, so
`[oslo_policy] enforce_new_defaults` is off (the new defaults want roles);
Nimbus (`nimbus api --service image --workers 2`) with `auth_strategy =
noauth2`, taking the caller from the token (`user:project`) and the
X-Project-Id and X-Roles headers (admin), which both are sent.

For each size, the machine's limits on the same filesystem come first:
`dd` writes with `conv=fdatasync` (and without, into the page cache), `dd`
reads, a `cp`; md5 and sha512 in hashlib, each alone and both at once in
two threads (which is how a service can overlap them); and, as the client's
own ceiling, the same HTTP client sending to a minimal server that discards
and receiving a file in the page cache from it (read and sent in 1 MiB
pieces, or with sendfile(2)). Then each run creates an image on each
service in turn (POST /v2/images), uploads it (PUT .../file, chunked, from
1 MiB chunks), checks size, status, md5 and sha512 in its record, downloads
it (GET .../file, read in 1 MiB pieces, size checked; the md5 of the bytes
is checked once per service and size, untimed) and deletes it. Uploads and
downloads are timed separately, from the request to the last byte of the
answer; the tables give the median of the runs in MB/s (10^6 bytes).
Before every timed transfer dirty pages are flushed (`sync`) and, as root,
the page cache is dropped; with `--cache warm` it is kept for downloads and
one untimed download precedes each timed one. The image data is a 64 MiB
block from os.urandom, generated once and repeated.

The first table gives Nimbus / Glance (> 1: Nimbus is faster); the second
each service's rate as a fraction of the machine limit: for uploads
min(disk write with fdatasync, md5 and sha512 in two threads), for
downloads min(disk read, page cache to client): reading and sending may
overlap as hashing and writing may, and the disk is read under the same
cache state as the services'. Everything started is removed at the end,
also on failure or Ctrl-C. This is never part of the test suite.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import hashlib
import http.server
import itertools
import multiprocessing
import os
import platform
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from harness import (
    NIMBUS_BIN,
    WORKERS,
    BenchError,
    Service,
    free_port,
    httpx,
    main_guard,
    make_venv,
    nimbus_env,
    nimbus_version,
    require_nimbus,
    run,
    scratch_dir,
    tail,
    terminate_on_signals,
    venv_versions,
)

MIB = 1 << 20
POOL_MIB = 64  # random data, repeated to make an image
# Nimbus's noauth2 names the caller by the token ("user:project") and
# believes X-Project-Id and X-Roles; Glance without keystone reads none.
HEADERS = {"X-Auth-Token": "bench-user:bench-project", "X-Project-Id": "bench-project",
           "X-Tenant-Id": "bench-project", "X-User-Id": "bench-user",
           "X-Roles": "admin,member,reader"}
IMAGE = {"name": "bench-image", "disk_format": "raw", "container_format": "bare"}
DROP_CACHES = Path("/proc/sys/vm/drop_caches")


# -- the two services -----------------------------------------------------------

class Nimbus(Service):
    name = "Nimbus"
    ready_statuses = (200, 300)  # GET / is the version document

    def __init__(self, workdir: Path):
        super().__init__(workdir, f"sqlite:///{workdir / 'nimbus' / 'nimbus-image.sqlite'}")

    def setup(self) -> None:
        self.conf = self.dir / "nimbus.conf"
        self.conf.write_text(
            f"[DEFAULT]\ndata_dir = {self.dir / 'data'}\nlog_file = {self.log}\n"
            "[image]\nauth_strategy = noauth2\nenabled_backends = local:file\n"
            "default_backend = local\n"
            f"[local]\nfilesystem_store_datadir = {self.dir / 'images'}\n"
            f"[image_database]\nconnection = {self.db_url}\n")
        run([str(NIMBUS_BIN / "nimbus"), "manage", "db", "sync", "--config-file",
             str(self.conf)], self.log, env=nimbus_env(self.dir))

    def command(self) -> tuple[list[str], dict[str, str]]:
        return ([str(NIMBUS_BIN / "nimbus"), "api", "--config-file", str(self.conf),
                 "--service", "image", "--host", "127.0.0.1", "--port", str(self.port),
                 "--workers", str(WORKERS)], nimbus_env(self.dir))

    def version(self) -> str:
        return nimbus_version()


class Glance(Service):
    name = "Glance"
    ready_statuses = (200, 300)

    def __init__(self, workdir: Path, venv: Path):
        super().__init__(workdir, f"sqlite:///{workdir / 'glance' / 'glance.sqlite'}")
        self.venv = venv

    def setup(self) -> None:
        stores = {name: self.dir / name for name in ("images", "staging", "tasks")}
        for path in stores.values():
            path.mkdir()
        # `workers` is what glance-api read; under uWSGI `processes` decides.
        (self.dir / "glance-api.conf").write_text(
            f"[DEFAULT]\nworkers = {WORKERS}\nenabled_backends = local:file\n"
            f"[database]\nconnection = {self.db_url}\n"
            f"[paste_deploy]\nconfig_file = {self.venv / 'etc/glance/glance-api-paste.ini'}\n"
            "[glance_store]\ndefault_backend = local\n"
            f"[local]\nfilesystem_store_datadir = {stores['images']}\n"
            f"[os_glance_staging_store]\nfilesystem_store_datadir = {stores['staging']}\n"
            f"[os_glance_tasks_store]\nfilesystem_store_datadir = {stores['tasks']}\n"
            "[oslo_policy]\nenforce_new_defaults = false\nenforce_scope = false\n")
        # Glance's "Running Glance in HTTPD" uWSGI sample with two processes,
        # a socket timeout for large bodies, and chunks larger than uWSGI's
        # 1 MiB default limit ("unable to receive chunked part" otherwise).
        # Its `Connection: close` stays: uWSGI's http-socket closes after
        # each answer, and a client reusing the connection gets a reset.
        (self.dir / "uwsgi.ini").write_text(
            "[uwsgi]\n"
            f"http-socket = 127.0.0.1:{self.port}\nmodule = glance.wsgi.api:application\n"
            f"processes = {WORKERS}\nmaster = true\nlazy-apps = true\nenable-threads = true\n"
            "http-auto-chunked = true\nhttp-chunked-input = true\nhttp-raw-body = true\n"
            "buffer-size = 65535\nthunder-lock = true\ndie-on-term = true\n"
            "exit-on-reload = true\nadd-header = Connection: close\n"
            "socket-timeout = 600\nchunked-input-limit = 8388608\n")
        run([str(self.venv / "bin" / "glance-manage"), "db_sync"], self.log, env=self.env())

    def env(self) -> dict[str, str]:
        return {"PATH": os.environ.get("PATH", ""), "HOME": str(self.dir), "LANG": "C.UTF-8",
                "OS_GLANCE_CONFIG_DIR": str(self.dir),
                "PYTHONWARNINGS": "ignore::DeprecationWarning"}

    def command(self) -> tuple[list[str], dict[str, str]]:
        return [str(self.venv / "bin" / "uwsgi"), "--ini", "uwsgi.ini"], self.env()

    def version(self) -> str:
        return venv_versions(self.venv, "glance", "glance_store", "uWSGI")


# -- data, caches, timing -------------------------------------------------------

class Payload:
    """`size` bytes in `chunk`-byte pieces cut from one block of random data."""

    def __init__(self, size: int, chunk: int, pool: bytes):
        self.size, self.chunk = size, chunk
        self.pieces = [pool[i:i + chunk] for i in range(0, len(pool), chunk)]

    def chunks(self) -> Iterator[bytes]:
        left = self.size
        for piece in itertools.cycle(self.pieces):
            if left <= 0:
                return
            yield piece if len(piece) <= left else piece[:left]
            left -= len(piece)


def can_drop_caches() -> bool:
    try:
        DROP_CACHES.write_text("3\n")
    except OSError:
        return False
    return True


def settle(drop: bool) -> None:
    """Flush dirty pages, and drop the page cache if asked (needs root)."""
    os.sync()
    if drop:
        DROP_CACHES.write_text("3\n")


def rate(size: int, seconds: float) -> float:
    """MB/s, 10^6 bytes."""
    return size / seconds / 1e6


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def timed_put(client: httpx.Client, path: str, payload: Payload) -> float:
    start = time.perf_counter()
    resp = client.put(path, content=payload.chunks(),
                      headers={"Content-Type": "application/octet-stream"})
    elapsed = time.perf_counter() - start
    if resp.status_code != 204:
        raise BenchError(f"PUT {path}: {resp.status_code}, expected 204: {resp.text[:500]}")
    return elapsed


def timed_get(client: httpx.Client, path: str, payload: Payload,
              md5: bool = False) -> tuple[float, str]:
    digest = hashlib.md5() if md5 else None
    received = 0
    start = time.perf_counter()
    with client.stream("GET", path) as resp:
        if resp.status_code != 200:
            raise BenchError(f"GET {path}: {resp.status_code}: {resp.read()[:500]!r}")
        for piece in resp.iter_raw(payload.chunk):
            received += len(piece)
            if digest is not None:
                digest.update(piece)
    elapsed = time.perf_counter() - start
    if received != payload.size:
        raise BenchError(f"GET {path}: {received} bytes, expected {payload.size}")
    return elapsed, digest.hexdigest() if digest is not None else ""


# -- the machine's limits -------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Limits:
    write: float  # dd conv=fdatasync
    write_cached: float  # dd into the page cache
    read: float  # dd, cache as for the downloads
    cp: float  # cp + fsync, cold if the cache can be dropped
    md5: float
    sha512: float
    hashing: float  # md5 and sha512 in two threads
    sink: float  # HTTP client -> discarding socket
    send_read: float  # page cache -> read(2) + send(2) -> HTTP client
    send_file: float  # page cache -> sendfile(2) -> HTTP client
    md5_hex: str
    sha512_hex: str

    @property
    def upload(self) -> float:
        return min(self.write, self.hashing)

    @property
    def send(self) -> float:
        return max(self.send_read, self.send_file)

    @property
    def download(self) -> float:
        return min(self.read, self.send)


def hash_once(name: str, payload: Payload) -> tuple[str, float]:
    digest = hashlib.new(name)
    start = time.perf_counter()
    for piece in payload.chunks():
        digest.update(piece)  # hashlib lets go of the GIL on large updates
    return digest.hexdigest(), time.perf_counter() - start


def hash_limits(payload: Payload) -> tuple[float, float, float, str, str]:
    md5_hex, md5_s = hash_once("md5", payload)
    sha_hex, sha_s = hash_once("sha512", payload)
    threads = [threading.Thread(target=hash_once, args=(name, payload))
               for name in ("md5", "sha512")]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    both_s = time.perf_counter() - start
    size = payload.size
    return rate(size, md5_s), rate(size, sha_s), rate(size, both_s), md5_hex, sha_hex


class _Loopback(http.server.BaseHTTPRequestHandler):
    """PUT: read a chunked body and discard it; GET: send the source file, read in
    1 MiB pieces (/read) or with sendfile(2) (/sendfile)."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_PUT(self) -> None:
        buf = memoryview(bytearray(MIB))
        while size := int(self.rfile.readline().split(b";")[0], 16):
            while size:
                got = self.rfile.readinto(buf[:min(size, MIB)])
                if not got:
                    return
                size -= got
            self.rfile.readline()
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        with open(self.server.source, "rb", buffering=0) as src:  # type: ignore[attr-defined]
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(os.fstat(src.fileno()).st_size))
            self.end_headers()
            self.wfile.flush()
            if self.path == "/sendfile":
                self.connection.sendfile(src)
                return
            buf = memoryview(bytearray(MIB))
            while got := src.readinto(buf):
                self.connection.sendall(buf[:got])


def _serve_loopback(port: int, source: str) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's handlers
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C: the parent stops it
    server = http.server.HTTPServer(("127.0.0.1", port), _Loopback)
    server.source = source  # type: ignore[attr-defined]
    server.serve_forever()


@contextlib.contextmanager
def loopback(source: Path) -> Iterator[str]:
    """A minimal HTTP server in its own process, for the client's ceiling."""
    port = free_port()
    proc = multiprocessing.get_context("fork").Process(
        target=_serve_loopback, args=(port, str(source)), daemon=True)
    proc.start()
    try:
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port)):
                break
            if time.monotonic() > deadline:
                raise BenchError("the loopback server did not start")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.join()


def measure_limits(dirpath: Path, payload: Payload, runs: int, drop: bool,
                   cold: bool) -> Limits:
    mib = payload.size // MIB
    target, copy = dirpath / "dd.bin", dirpath / "cp.bin"
    dd = ["dd", "if=/dev/zero", f"of={target}", "bs=1M", f"count={mib}", "status=none"]
    kinds = ("write", "write_cached", "read", "cp", "sink", "/read", "/sendfile")
    samples: dict[str, list[float]] = {k: [] for k in kinds}
    with contextlib.ExitStack() as stack:
        stack.callback(lambda: [p.unlink(missing_ok=True) for p in (target, copy)])
        for _ in range(runs):
            settle(drop)
            samples["write_cached"].append(rate(payload.size, timed(dd)))
            settle(drop)
            samples["write"].append(rate(payload.size, timed([*dd, "conv=fdatasync"])))
            settle(cold)
            samples["read"].append(rate(payload.size, timed(
                ["dd", f"if={target}", "of=/dev/null", "bs=1M", "status=none"])))
            settle(drop)
            samples["cp"].append(rate(payload.size, timed(
                ["sh", "-c", 'cp "$1" "$2" && sync "$2"', "cp", str(target), str(copy)])))
            copy.unlink()
        url = stack.enter_context(loopback(target))
        with httpx.Client(base_url=url, timeout=None) as client:
            for _ in range(runs):
                settle(drop)
                samples["sink"].append(rate(payload.size, timed_put(client, "/sink", payload)))
                for how in ("/read", "/sendfile"):  # from the page cache: warmed first
                    timed_get(client, how, payload)
                    samples[how].append(rate(payload.size, timed_get(client, how, payload)[0]))
    md5, sha512, both, md5_hex, sha_hex = hash_limits(payload)
    med = {k: statistics.median(v) for k, v in samples.items()}
    return Limits(med["write"], med["write_cached"], med["read"], med["cp"], md5, sha512, both,
                  med["sink"], med["/read"], med["/sendfile"], md5_hex, sha_hex)


# -- the services ---------------------------------------------------------------

def one_run(client: httpx.Client, payload: Payload, limits: Limits, drop: bool, cold: bool,
            verify: bool) -> tuple[float, float]:
    """Create, upload, check, download, delete; the upload and download rates."""
    resp = client.post("/v2/images", json=IMAGE)
    if resp.status_code != 201:
        raise BenchError(f"POST /v2/images: {resp.status_code}: {resp.text[:500]}")
    path = f"/v2/images/{resp.json()['id']}"
    settle(drop)
    up = timed_put(client, f"{path}/file", payload)
    image = client.get(path).json()
    got = (image.get("status"), image.get("size"), image.get("checksum"))
    if got != ("active", payload.size, limits.md5_hex):
        raise BenchError(f"{path} after upload: status, size, checksum {got}, expected "
                         f"{('active', payload.size, limits.md5_hex)}")
    if image.get("os_hash_algo") == "sha512" and image.get("os_hash_value") != limits.sha512_hex:
        raise BenchError(f"{path}: os_hash_value {image.get('os_hash_value')}, expected "
                         f"{limits.sha512_hex}")
    if verify or not cold:  # untimed; a warm-up with --cache warm
        md5 = timed_get(client, f"{path}/file", payload, md5=True)[1]
        if md5 != limits.md5_hex:
            raise BenchError(f"GET {path}/file: md5 {md5}, expected {limits.md5_hex}")
    settle(cold)
    down = timed_get(client, f"{path}/file", payload)[0]
    resp = client.delete(path)
    if resp.status_code != 204:
        raise BenchError(f"DELETE {path}: {resp.status_code}: {resp.text[:500]}")
    return rate(payload.size, up), rate(payload.size, down)


@dataclasses.dataclass(frozen=True)
class SizeResult:
    size: int
    limits: Limits
    upload: dict[str, float]  # service name -> median MB/s
    download: dict[str, float]


def bench_size(args: argparse.Namespace, workdir: Path, services: list[Service], pool: bytes,
               size: int, drop: bool) -> SizeResult:
    cold = args.cache == "cold"
    payload = Payload(size, args.chunk_kib * 1024, pool)
    print(f"\n## {human(size)}\n\nMachine limits ({args.runs} runs each, median) ...", flush=True)
    limits = measure_limits(workdir, payload, args.runs, drop, cold)
    print(f"  dd write, conv=fdatasync {limits.write:8.0f} MB/s   "
          f"(into the page cache, no sync: {limits.write_cached:.0f})\n"
          f"  dd read ({args.cache})          {limits.read:8.0f} MB/s   "
          f"(cp + fsync{', cold' if drop else ''}: {limits.cp:.0f})\n"
          f"  md5 {limits.md5:.0f}, sha512 {limits.sha512:.0f}, "
          f"min {min(limits.md5, limits.sha512):.0f}, "
          f"both in two threads {limits.hashing:.0f} MB/s\n"
          f"  HTTP client -> discarding server {limits.sink:.0f} MB/s; page cache -> "
          f"HTTP client: read + send {limits.send_read:.0f}, sendfile {limits.send_file:.0f} "
          "MB/s", flush=True)
    rates: dict[str, tuple[list[float], list[float]]] = {s.name: ([], []) for s in services}
    clients = {s.name: httpx.Client(base_url=s.url, headers=HEADERS, timeout=None)
               for s in services}
    try:
        for i in range(args.runs):
            for svc in services:
                try:
                    up, down = one_run(clients[svc.name], payload, limits, drop, cold, i == 0)
                except BenchError as err:
                    raise BenchError(f"{err}\n{svc.name}'s log ends:\n{tail(svc.log)}") from None
                rates[svc.name][0].append(up)
                rates[svc.name][1].append(down)
                print(f"  run {i + 1} {svc.name:7} upload {up:8.0f} MB/s   "
                      f"download {down:8.0f} MB/s", flush=True)
    finally:
        for client in clients.values():
            client.close()
    return SizeResult(size, limits,
                      {n: statistics.median(r[0]) for n, r in rates.items()},
                      {n: statistics.median(r[1]) for n, r in rates.items()})


# -- the run --------------------------------------------------------------------

def parse_size(text: str) -> int:
    text = text.strip().upper().removesuffix("IB").removesuffix("B")
    scale = {"G": 1024 * MIB, "M": MIB}.get(text[-1:], MIB)
    return int(float(text.rstrip("GM")) * scale)


def human(size: int) -> str:
    return f"{size // (1024 * MIB)} GiB" if size % (1024 * MIB) == 0 else f"{size // MIB} MiB"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1G,4G",
                        help="Image sizes, M or G (MiB, GiB; plain numbers are MiB) (1G,4G).")
    parser.add_argument("--runs", type=int, default=3, metavar="N",
                        help="Runs per size and service, and of each limit; medians (3).")
    parser.add_argument("--chunk-kib", type=int, default=1024, metavar="KIB",
                        help="Client chunk: upload pieces and download reads (1024).")
    parser.add_argument("--cache", choices=("cold", "warm"), default="cold",
                        help="Page cache for downloads: dropped before each (cold, needs root) "
                             "or kept after an untimed download (warm) (cold).")
    parser.add_argument("--workdir", type=Path, default=Path("/var/tmp"), metavar="DIR",
                        help="Where the temporary directory with both stores and the dd "
                             "files goes; not a tmpfs (/var/tmp).")
    parser.add_argument("--only", choices=("nimbus", "glance"),
                        help="Run one service (no ratios), e.g. while the other is broken.")
    parser.add_argument("--venv", type=Path, metavar="PATH",
                        help="Glance virtualenv, created if missing and kept (default: "
                             "a throwaway one in the temporary directory).")
    parser.add_argument("--glance", default="glance", metavar="SPEC",
                        help="pip requirement for Glance, e.g. glance==31.0.0 "
                             "(glance: the newest).")
    return parser.parse_args(argv)


def filesystem(path: Path) -> str:
    out = subprocess.run(["df", "--output=fstype,source,target", str(path)],
                         capture_output=True, text=True, check=True).stdout.splitlines()[-1]
    fstype, source, target = out.split(None, 2)
    return f"{fstype} ({source} on {target})"


def machine() -> str:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.partition(":")[2].strip()
                break
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{os.cpu_count()} CPUs ({model or platform.machine()}), {memory:.0f} GiB RAM, "
            f"Linux {platform.release()}, Python {platform.python_version()}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = [parse_size(s) for s in args.sizes.split(",")]
    if not 0 < args.chunk_kib <= 8192:
        raise SystemExit("--chunk-kib: 1 to 8192 (Glance's uWSGI takes chunks up to 8 MiB)")
    want = ["nimbus", "glance"] if args.only is None else [args.only]
    if "nimbus" in want:
        require_nimbus()
    drop = can_drop_caches()
    if args.cache == "cold" and not drop:
        raise BenchError(f"cannot write {DROP_CACHES} (not root?): use --cache warm")
    terminate_on_signals()
    print(f"$ {shlex.join(['.venv/bin/python', *sys.argv])}", flush=True)
    with contextlib.ExitStack() as stack:
        workdir = scratch_dir(stack, "image", args.workdir.resolve())
        fs = filesystem(workdir)
        need = 3 * max(sizes) + 2 * 1024 * MIB
        if shutil.disk_usage(workdir).free < need:
            raise BenchError(f"{workdir} has less than {human(need)} free")
        services: list[Service] = []
        if "glance" in want:
            venv = args.venv.resolve() if args.venv else workdir / "glance-venv"
            make_venv(venv, [args.glance, "uwsgi"], workdir / "install.log")
            services.append(Glance(workdir, venv))
        if "nimbus" in want:
            services.insert(0, Nimbus(workdir))
        for svc in services:
            print(f"Setting up {svc.name} ...", flush=True)
            svc.setup()
            stack.callback(svc.stop)
            svc.start()
        for svc in services:
            svc.wait_ready()
        for svc in services:
            print(f"{svc.name}: {svc.version()}; serving processes: "
                  f"{svc.serving_processes()}", flush=True)
        print(f"{machine()}\nStores and dd files in {workdir}, filesystem {fs}", flush=True)
        if fs.split()[0] in ("tmpfs", "ramfs"):
            print("WARNING: this is memory, not a disk: the disk limits are memory limits.")
        print(f"Image data: {POOL_MIB} MiB from os.urandom, repeated; client chunk "
              f"{args.chunk_kib} KiB (httpx {httpx.__version__}, one connection).\n"
              "Uploads start with dirty pages flushed"
              f"{' and the page cache dropped' if drop else ''}; downloads are "
              + ("cold: the page cache is dropped before each (and the disk read)." if
                 args.cache == "cold" else
                 "warm: each follows an untimed download of the same image."),
              flush=True)
        pool = os.urandom(POOL_MIB * MIB)
        results = [bench_size(args, workdir, services, pool, size, drop) for size in sizes]
        print_tables(results, [svc.name for svc in services], args.cache)
    return 0


def print_tables(results: list[SizeResult], names: list[str], cache: str) -> None:
    if len(names) == 2:
        print("\nratio: Nimbus MB/s / Glance MB/s (> 1: Nimbus is faster); medians\n")
        print("| image | transfer | Nimbus MB/s | Glance MB/s | ratio |\n"
              "| --- | --- | --- | --- | --- |")
        for r in results:
            for label, got in (("upload", r.upload), ("download", r.download)):
                print(f"| {human(r.size)} | {label} | {got['Nimbus']:.0f} | {got['Glance']:.0f} "
                      f"| {got['Nimbus'] / got['Glance']:.2f} |")
    print("\nlimit: upload min(disk write with fdatasync, md5 and sha512 in two threads); "
          f"download min(disk read with a {cache} page cache, page cache sent to the "
          "client)\n")
    head = "| image | transfer | disk MB/s | hashing MB/s | client MB/s | limit MB/s |"
    head += "".join(f" {n} MB/s | {n} / limit |" for n in names)
    print(head + "\n|" + " --- |" * (6 + 2 * len(names)))
    for r in results:
        lim = r.limits
        rows = (("upload", lim.write, f"{lim.hashing:.0f}", lim.sink, lim.upload, r.upload),
                ("download", lim.read, "-", lim.send, lim.download, r.download))
        for label, disk, hashing, client, limit, got in rows:
            line = (f"| {human(r.size)} | {label} | {disk:.0f} | {hashing} | {client:.0f} "
                    f"| {limit:.0f} |")
            line += "".join(f" {got[n]:.0f} | {got[n] / limit:.2f} |" for n in names)
            print(line)
    print("\nclient: the same HTTP client sending to a server that discards (upload; not part "
          "of the limit) or receiving a file in the page cache from one, the faster of "
          "read + send and sendfile(2) (download)", flush=True)


if __name__ == "__main__":
    main_guard(main)
