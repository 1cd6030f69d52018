"""Upstream Placement's gabbi API tests: fetched from its wheel on PyPI, cached.

No upstream file is kept in this repository. The wheel of
``openstack-placement`` is downloaded with pip into a cache outside the work
tree (``$NIMBUS_GABBITS_CACHE``, else ``$XDG_CACHE_HOME/nimbus/placement-gabbits``,
else ``~/.cache/nimbus/placement-gabbits``) and its
``placement/tests/functional/gabbits/*.yaml`` are extracted beside it, one
directory per file, since gabbi builds one suite per directory.

Also here: the placements the gabbits can run against (Nimbus in a thread,
or upstream Placement from a virtualenv under gunicorn, chosen by
``NIMBUS_GABBITS_TARGET``), the list of gabbi tests expected to fail against
Nimbus, and the tool that rewrites that list from a run::

    python -m tests.support.placement_gabbits --write-expected-failures
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from unittest import mock

import httpx
import orjson

from tests.support import cache

PACKAGE = "openstack-placement"
VERSION = "16.0.0"
MEMBER_PREFIX = "placement/tests/functional/gabbits/"

REPO = Path(__file__).resolve().parents[2]
TEST_MODULE = REPO / "tests" / "functional" / "placement" / "test_gabbits.py"
EXPECTED_FAILURES = TEST_MODULE.parent / "gabbits-expected-failures.txt"

# Set by the tool: the harness then marks nothing as expected to fail and
# appends one JSON line per gabbi test to this file.
RECORD_ENV = "NIMBUS_GABBITS_RECORD"
CACHE_ENV = "NIMBUS_GABBITS_CACHE"
TARGET_ENV = "NIMBUS_GABBITS_TARGET"

Key = tuple[str, str]  # (YAML file stem, test name)


class Unavailable(Exception):
    """The wheel could not be had (no network, no such version)."""


def cache_root() -> Path:
    return cache.cache_root(CACHE_ENV, "placement-gabbits")



def _download(wheel_dir: Path) -> Path:
    wheels = sorted(wheel_dir.glob("openstack_placement-*.whl"))
    if wheels:
        return wheels[0]
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "--retries", "1", "--timeout", "20",
               "--dest", str(wheel_dir), f"{PACKAGE}=={VERSION}"]
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=180)
    except subprocess.TimeoutExpired:
        raise Unavailable(f"pip download {PACKAGE}=={VERSION} timed out") from None
    wheels = sorted(wheel_dir.glob("openstack_placement-*.whl"))
    if proc.returncode != 0 or not wheels:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise Unavailable(f"cannot download {PACKAGE}=={VERSION} from PyPI "
                          f"(pip exited {proc.returncode}: {last}; cache: {wheel_dir})")
    return wheels[0]


def _extract(wheel: Path, target: Path) -> None:
    scratch = Path(tempfile.mkdtemp(prefix=".extract-", dir=target.parent))
    try:
        with zipfile.ZipFile(wheel) as archive:
            for member in archive.namelist():
                name = member[len(MEMBER_PREFIX):]
                if not member.startswith(MEMBER_PREFIX) or "/" in name or not name.endswith(".yaml"):
                    continue
                stem = name[: -len(".yaml")]
                (scratch / stem).mkdir()
                (scratch / stem / name).write_bytes(archive.read(member))
        if not any(scratch.iterdir()):
            raise Unavailable(f"{wheel.name} holds no {MEMBER_PREFIX}*.yaml")
        os.replace(scratch, target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def gabbits_dir() -> Path:
    """The directory of upstream's gabbits: one sub-directory per YAML file.

    :raises Unavailable: when the wheel is not cached and cannot be downloaded.
    """
    root = cache_root() / VERSION
    target = root / "gabbits"
    if target.is_dir():
        return target
    with cache.locked(root):
        if not target.is_dir():
            wheel_dir = root / "wheel"
            wheel_dir.mkdir(exist_ok=True)
            _extract(_download(wheel_dir), target)
    return target


def yaml_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*/*.yaml"))


def unique_names(names: Sequence[str]) -> list[str]:
    """Test names made unique within a file: a repeated name gets ' (2)', ' (3)'."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out


# Targets: what serves placement for the gabbits.

Groups = dict[str, dict[str, Any]]


class FixtureError(Exception):
    """A server did not start, or a topology could not be built."""

class PortReservation:
    """A free port, held by a bound socket until the server takes it."""

    def __init__(self) -> None:
        self._sock: socket.socket | None = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self.port = int(self._sock.getsockname()[1])

    def release(self) -> int:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        return self.port


@dataclass
class Settings:
    """The configuration a fixture asks for, as oslo.config groups."""

    groups: Groups = field(default_factory=dict)
    # Rule name -> check string, written to a policy file when set.
    policy_rules: dict[str, str] | None = None


class Server(Protocol):
    url: str

    def stop(self) -> None: ...


class Target(Protocol):
    name: str

    def start(self, port: int, settings: Settings, workdir: str) -> Server: ...

    def policy_rule_names(self) -> list[str]: ...


def _write_policy(workdir: str, settings: Settings) -> Groups:
    groups = {group: dict(values) for group, values in settings.groups.items()}
    if settings.policy_rules is not None:
        path = os.path.join(workdir, "policy.json")
        with open(path, "wb") as fh:
            fh.write(orjson.dumps(settings.policy_rules))
        groups.setdefault("oslo_policy", {})["policy_file"] = path
    return groups


class _NimbusServer:
    def __init__(self, running: Any):
        self.running = running
        self.url: str = running.url

    def stop(self) -> None:
        self.running.stop()


class NimbusTarget:
    """Nimbus placement in a thread of this process, on SQLite."""

    name = "nimbus"

    def start(self, port: int, settings: Settings, workdir: str) -> Server:
        from tests.support import cloud

        groups = _write_policy(workdir, settings)
        url = f"sqlite:///{os.path.join(workdir, 'placement.sqlite')}"
        # RunningServer picks its own free port; give it the reserved one.
        with mock.patch.object(cloud, "free_port", return_value=port):
            running = cloud.RunningPlacement(workdir, url, **groups)
        return _NimbusServer(running)

    def policy_rule_names(self) -> list[str]:
        from nimbus.placement import policies

        return [rule.name for rule in policies.list_rules()]


class _UpstreamServer:
    def __init__(self, proc: subprocess.Popen[bytes], url: str):
        self.proc = proc
        self.url = url

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


class UpstreamTarget:
    """Upstream Placement from a virtualenv that has it and gunicorn, on SQLite.

    For validating the fixtures only, on demand, never in CI: make one with
    ``python3 -m venv V && V/bin/pip install openstack-placement==16.0.0 gunicorn``.
    """

    name = "upstream"

    def __init__(self, venv: str):
        self.venv = os.path.abspath(venv)
        self.bin = os.path.join(self.venv, "bin")
        for tool in ("placement-manage", "gunicorn"):
            if not os.path.exists(os.path.join(self.bin, tool)):
                raise FixtureError(f"{TARGET_ENV}: no {tool} in {self.bin}")
        self._rule_names: list[str] | None = None
        self._gunicorn_flags: list[str] | None = None

    def _conf(self, workdir: str, settings: Settings) -> str:
        groups = _write_policy(workdir, settings)
        groups.setdefault("api", {})["auth_strategy"] = "noauth2"
        groups.setdefault("placement_database", {})["connection"] = (
            f"sqlite:///{os.path.join(workdir, 'placement.sqlite')}")
        lines = []
        for group, values in groups.items():
            lines.append(f"[{group}]")
            for key, value in values.items():
                if isinstance(value, list | tuple):
                    value = ",".join(str(v) for v in value)
                lines.append(f"{key} = {value}")
        path = os.path.join(workdir, "placement.conf")
        with open(path, "w") as fh:
            fh.write("\n".join(lines) + "\n")
        return path

    def _gunicorn(self) -> list[str]:
        if self._gunicorn_flags is None:
            usage = subprocess.run([os.path.join(self.bin, "gunicorn"), "--help"],
                                   capture_output=True, text=True, check=False).stdout
            # Newer gunicorn opens a control socket at a fixed path in $HOME,
            # which servers running side by side would fight over.
            self._gunicorn_flags = ["--no-control-socket"] if "--no-control-socket" in usage else []
        return self._gunicorn_flags

    def start(self, port: int, settings: Settings, workdir: str) -> Server:
        conf = self._conf(workdir, settings)
        sync = subprocess.run([os.path.join(self.bin, "placement-manage"), "--config-file", conf,
                               "db", "sync"], capture_output=True, text=True, check=False)
        if sync.returncode:
            raise FixtureError(f"placement-manage db sync failed: {sync.stderr[-2000:]}")
        log = open(os.path.join(workdir, "server.log"), "wb")  # noqa: SIM115
        proc = subprocess.Popen(
            [os.path.join(self.bin, "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "1",
             *self._gunicorn(), "placement.wsgi.api:application"],
            env=dict(os.environ, OS_PLACEMENT_CONFIG_DIR=workdir), stdout=log, stderr=log,
            cwd=workdir)
        log.close()
        server = _UpstreamServer(proc, f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(server.url + "/", timeout=2)
                return server
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                server.stop()
                with open(os.path.join(workdir, "server.log"), errors="replace") as fh:
                    tail = fh.read()[-2000:]
                raise FixtureError(f"upstream placement did not start:\n{tail}")
            time.sleep(0.1)

    def policy_rule_names(self) -> list[str]:
        if self._rule_names is None:
            out = subprocess.run(
                [os.path.join(self.bin, "python"), "-c",
                 "from placement import policies\n"
                 "for rule in policies.list_rules(): print(rule.name)"],
                capture_output=True, text=True, check=True).stdout
            self._rule_names = out.split()
        return self._rule_names


_target: Target | None = None


def target() -> Target:
    """The placement under test: ``NIMBUS_GABBITS_TARGET`` is unset, ``nimbus``,
    or ``upstream:/path/to/venv``."""
    global _target
    if _target is None:
        spec = os.environ.get(TARGET_ENV, "nimbus")
        if spec == "nimbus":
            _target = NimbusTarget()
        elif spec.startswith("upstream:"):
            _target = UpstreamTarget(spec.partition(":")[2])
        else:
            raise ValueError(f"{TARGET_ENV}={spec}: want 'nimbus' or 'upstream:/path/to/venv'")
    return _target


# The list of expected failures: `<yaml-file-stem> <test name>  # reason`.

def read_list(path: Path) -> dict[Key, str]:
    entries: dict[Key, str] = {}
    if not path.exists():
        return entries
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        test, _sep, reason = line.partition("  #")
        stem, _sep, name = test.strip().partition(" ")
        if not name:
            raise ValueError(f"{path}:{number}: want '<yaml-file-stem> <test name>  # reason'")
        entries[(stem, name.strip())] = reason.strip()
    return entries


HEADER = """\
# Upstream Placement {version} gabbi tests that fail against Nimbus today.
# One line per test: <yaml-file-stem> <test name>  # reason
# The harness (test_gabbits.py) marks these as strict xfail: a test listed here
# that passes fails the run, so keep the list exact. Rewrite it from a run with
#   .venv/bin/python -m tests.support.placement_gabbits --write-expected-failures
# (reasons already written here are kept; new ones come from the failure).
"""


def write_list(path: Path, entries: Sequence[tuple[Key, str]]) -> None:
    lines = [HEADER.format(version=VERSION)]
    for (stem, name), reason in entries:
        lines.append(f"{stem} {name}  # {reason}\n" if reason else f"{stem} {name}\n")
    path.write_text("".join(lines))


# Whole uuids, and those unittest cut short ('ac3e1ea3-f77f-4a13-a1[31 chars]').
_UUID = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}"
                   r"|\b[0-9a-f]{8}(-[0-9a-f]{1,12}){1,4}", re.I)


_STATUS = re.compile(r"^AssertionError: '(\d+)' not found in \[(.*?)\]")


def short_reason(message: str, limit: int = 140) -> str:
    """One line out of a failure message, stable from run to run."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    line = lines[0] if lines else "fails"
    status = _STATUS.match(line)
    if status:
        expected = " or ".join(s.strip("' ") for s in status.group(2).split(","))
        line = f"status {status.group(1)}, expected {expected}"
    line = line.removeprefix("AssertionError: ")
    line = _UUID.sub("<uuid>", line).replace("#", "")
    line = re.sub(r"127\.0\.0\.1:\d+", "<host>", line)
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _rewrite(records_path: Path, output: Path, keep_reasons: bool) -> tuple[int, int]:
    records = [json.loads(line) for line in records_path.read_text().splitlines() if line]
    if not records:
        return 0, 0
    records.sort(key=lambda r: (r["stem"], r["index"]))
    old = read_list(output) if keep_reasons else {}
    failing = []
    for record in records:
        if record["outcome"] == "failed":
            key = (record["stem"], record["name"])
            failing.append((key, old.get(key) or short_reason(record["message"])))
    write_list(output, failing)
    return len(records), len(failing)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.support.placement_gabbits",
        description=f"Upstream Placement {VERSION} gabbits: fetch them, or rewrite "
        "the list of those Nimbus fails.")
    parser.add_argument("--fetch", action="store_true",
                        help="download and extract the gabbits, print where")
    parser.add_argument("--write-expected-failures", action="store_true",
                        help="run every gabbi test and rewrite the expected-failures list")
    parser.add_argument("--fresh-reasons", action="store_true",
                        help="write every reason from this run's failures, even for tests "
                        "already listed")
    parser.add_argument("--output", type=Path, default=EXPECTED_FAILURES,
                        help="the list to write (default: %(default)s)")
    parser.add_argument("pytest_args", nargs="*",
                        help="more pytest arguments, after '--' (default: -n 2)")
    args = parser.parse_args(argv)
    if args.fetch:
        try:
            directory = gabbits_dir()
        except Unavailable as exc:
            print(exc, file=sys.stderr)
            return 1
        print(f"{directory}: {len(yaml_files(directory))} files")
        return 0
    if not args.write_expected_failures:
        parser.print_help()
        return 2
    with tempfile.TemporaryDirectory() as scratch:
        records = Path(scratch) / "records.jsonl"
        records.touch()
        env = dict(os.environ, **{RECORD_ENV: str(records)})
        extra = args.pytest_args or ["-n", "2", "--dist", "loadgroup"]
        command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
                   "--no-header", "-rN", *extra, str(TEST_MODULE)]
        print("running:", " ".join(command), file=sys.stderr)
        subprocess.run(command, cwd=REPO, env=env, check=False,
                       stdout=subprocess.DEVNULL)
        total, failing = _rewrite(records, args.output, not args.fresh_reasons)
    if not total:
        print("no gabbi test ran; the list is left as it was", file=sys.stderr)
        return 1
    print(f"{total} gabbi tests ran, {total - failing} passed, {failing} failed: "
          f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
