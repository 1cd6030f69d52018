"""Differential testing of Nimbus placement against upstream Placement.

Upstream ``openstack-placement`` is installed from PyPI into a virtualenv
cached outside the work tree and served by gunicorn on SQLite with noauth2;
Nimbus placement runs in a thread of this process. A seeded generator makes
random request sequences; each request goes to both and the answers are
compared: status, JSON body and a few headers, after normalisations that
remove what legitimately differs (request ids, the /placement mount point in
links, uuids a server made up, lists upstream leaves unordered, and the
named ``webob-frame``, ``schema-dump``, ``sql-error-text`` and
``made-uuid-in-error``, see ``webob_detail``); a difference left is
unexplained unless one of the named exceptions in ``KNOWN`` explains it.
Generations are compared as they are: they must never differ.

    python -m tests.support.placement_differential --seed N --steps M [--sequences K]
        [--nimbus-database sqlite|postgresql|mysql]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import random
import re
import shutil
import signal
import string
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid as uuidlib
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.support import cache

PACKAGE = "openstack-placement"
VERSION = "16.0.0"
CACHE_ENV = "NIMBUS_PLACEMENT_UPSTREAM_CACHE"


class Unavailable(Exception):
    """Upstream Placement could not be installed or started."""


# Upstream in a virtualenv.

def cache_root() -> Path:
    return cache.cache_root(CACHE_ENV, "placement-upstream")



def _run(command: list[str], what: str, timeout: float) -> None:
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise Unavailable(f"{what} timed out after {timeout:.0f} s") from None
    if proc.returncode:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise Unavailable(f"{what} failed (exit {proc.returncode}): {last}")


def upstream_venv() -> Path:
    """A virtualenv with upstream Placement and gunicorn, made once and cached.

    :raises Unavailable: when it cannot be made (no network, no such version).
    """
    root = cache_root() / VERSION
    venv = root / "venv"
    done = root / ".installed"
    if done.exists():
        return venv
    with cache.locked(root):
        if done.exists():
            return venv
        shutil.rmtree(venv, ignore_errors=True)
        _run([sys.executable, "-m", "venv", str(venv)], "creating a virtualenv", 120)
        _run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q",
              "--disable-pip-version-check", "--retries", "1", "--timeout", "30",
              f"{PACKAGE}=={VERSION}", "gunicorn"],
             f"pip install {PACKAGE}=={VERSION} gunicorn", 900)
        done.touch()
    return venv


class UpstreamPlacement:
    """Upstream Placement under gunicorn (one sync worker) on its own SQLite file."""

    def __init__(self, venv: Path, port: int, workdir: str):
        self.url = f"http://127.0.0.1:{port}"
        bin_dir = venv / "bin"
        conf = os.path.join(workdir, "placement.conf")
        with open(conf, "w") as fh:
            fh.write("[api]\nauth_strategy = noauth2\n"
                     "[placement_database]\n"
                     f"connection = sqlite:///{os.path.join(workdir, 'placement.sqlite')}\n")
        sync = subprocess.run([str(bin_dir / "placement-manage"), "--config-file", conf,
                               "db", "sync"], capture_output=True, text=True, check=False)
        if sync.returncode:
            raise Unavailable(f"placement-manage db sync failed: {sync.stderr[-2000:]}")
        usage = subprocess.run([str(bin_dir / "gunicorn"), "--help"], capture_output=True,
                               text=True, check=False).stdout
        # Newer gunicorn opens a control socket at a fixed path in $HOME, which
        # servers side by side would fight over.
        flags = ["--no-control-socket"] if "--no-control-socket" in usage else []
        self.log_path = os.path.join(workdir, "server.log")
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [str(bin_dir / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "1",
                 *flags, "placement.wsgi.api:application"],
                env=dict(os.environ, OS_PLACEMENT_CONFIG_DIR=workdir), stdout=log,
                stderr=log, cwd=workdir)
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(self.url + "/", timeout=2)
                return
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                with open(self.log_path, errors="replace") as fh:
                    raise Unavailable(f"upstream placement did not start:\n{fh.read()[-2000:]}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)



# Requests and answers.

NO_BODY = object()


@dataclass
class Call:
    """One request, as sent to both placements."""

    kind: str  # what the generator meant, for the report
    method: str
    path: str  # with its query string
    version: str | None = None  # the microversion asked for; None: no header
    body: Any = NO_BODY  # JSON-able, or bytes sent as they are
    headers: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        line = f"{self.method} {self.path}"
        if self.version:
            line += f"  [{self.version}]"
        if self.headers:
            line += f"  {self.headers}"
        if isinstance(self.body, bytes):
            line += f"\n    body: {self.body!r}"
        elif self.body is not NO_BODY:
            line += f"\n    body: {json.dumps(self.body, sort_keys=True)}"
        return line


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    text: str
    body: Any  # parsed JSON, or None

    @classmethod
    def of(cls, response: httpx.Response) -> Answer:
        body = None
        if response.content:
            try:
                body = json.loads(response.content)
            except ValueError:
                body = None
        return cls(response.status_code, {k.lower(): v for k, v in response.headers.items()},
                   response.text, body)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def _send(client: httpx.Client, base: str, call: Call, translate: Callable[[str], str]) -> Answer:
    headers = {"x-auth-token": "admin", "accept": "application/json"}
    if call.version:
        headers["openstack-api-version"] = f"placement {call.version}"
    content: bytes | None = None
    if isinstance(call.body, bytes):
        content = call.body
    elif call.body is not NO_BODY:
        content = translate(json.dumps(call.body)).encode()
        headers["content-type"] = "application/json"
    headers.update(call.headers)
    response = client.request(call.method, base + translate(call.path), content=content,
                              headers=headers)
    return Answer.of(response)


# The generator of request sequences.

STANDARD_CLASSES = ["VCPU", "MEMORY_MB", "DISK_GB", "SRIOV_NET_VF", "IPV4_ADDRESS"]
STANDARD_TRAITS = ["HW_CPU_X86_AVX", "HW_CPU_X86_SSE", "STORAGE_DISK_SSD", "HW_NIC_SRIOV",
                   "COMPUTE_VOLUME_MULTI_ATTACH"]
SHARES = "MISC_SHARES_VIA_AGGREGATE"
CONSUMER_TYPES = ["INSTANCE", "MIGRATION", "CUSTOM_THING"]
# Typical sizes per class: (total range, request range).
SIZES = {"VCPU": ((1, 12), (1, 4)), "MEMORY_MB": ((512, 8192), (128, 2048)),
         "DISK_GB": ((10, 500), (5, 100)), "SRIOV_NET_VF": ((1, 8), (1, 3)),
         "IPV4_ADDRESS": ((1, 4), (1, 2))}
DEFAULT_SIZE = ((1, 10), (1, 4))


def mv(minor: int) -> str:
    return f"1.{minor}"


@dataclass
class Provider:
    uuid: str
    name: str
    parent: str | None
    root: str
    generation: int | None = 0  # None: not known, GET it before use
    inventories: dict[str, dict[str, Any]] = field(default_factory=dict)
    traits: set[str] = field(default_factory=set)
    aggregates: set[str] = field(default_factory=set)


@dataclass
class Consumer:
    uuid: str
    project: str
    user: str
    generation: int | None = None
    allocations: dict[str, dict[str, int]] = field(default_factory=dict)


Steps = Generator[Call, Answer, None]


class Scenario:
    """A seeded random walk over the placement API.

    Each action is a generator that yields Calls and is sent back upstream's
    Answer to each (the reference), from which the model of what exists is
    kept: the model only steers the walk towards interesting requests, it is
    never what answers are checked against.
    """

    def __init__(self, seed: str):
        self.rng = random.Random(seed)
        self.providers: dict[str, Provider] = {}
        self.gone: list[str] = []  # deleted providers, to ask for again
        self.consumers: dict[str, Consumer] = {}
        self.classes: set[str] = set()  # custom resource classes made
        self.traits: set[str] = set()  # custom traits made
        self.aggregates = [self.uuid() for _ in range(5)]
        self.projects = ["p-" + self.word() for _ in range(2)]
        self.users = ["u-" + self.word() for _ in range(2)]

    # -- random values ---------------------------------------------------

    def uuid(self) -> str:
        return str(uuidlib.UUID(int=self.rng.getrandbits(128), version=4))

    def word(self, n: int = 6) -> str:
        return "".join(self.rng.choice(string.ascii_lowercase) for _ in range(n))

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def version(self, low: int, high: int = 39) -> str:
        return mv(self.rng.randint(low, high))

    def pick_provider(self) -> Provider | None:
        return self.rng.choice(list(self.providers.values())) if self.providers else None

    def provider_uuid(self) -> str:
        """Mostly a live provider; sometimes a deleted or unknown one."""
        if self.gone and self.chance(0.05):
            return self.rng.choice(self.gone)
        rp = self.pick_provider()
        if rp is None or self.chance(0.04):
            return self.uuid()
        return rp.uuid

    def all_classes(self) -> list[str]:
        return STANDARD_CLASSES + sorted(self.classes)

    def a_class(self) -> str:
        roll = self.rng.random()
        if roll < 0.03:
            return "CUSTOM_NO_SUCH_" + self.word(3).upper()
        if roll < 0.04:
            return self.rng.choice(["vcpu", "CUSTOM_", "BAD-NAME"])
        return self.rng.choice(self.all_classes())

    def all_traits(self) -> list[str]:
        return STANDARD_TRAITS + [SHARES] + sorted(self.traits)

    def a_trait(self) -> str:
        roll = self.rng.random()
        if roll < 0.03:
            return "CUSTOM_NO_SUCH_" + self.word(3).upper()
        if roll < 0.035:
            return self.rng.choice(["lower_case", "CUSTOM_bad"])
        return self.rng.choice(self.all_traits())

    def depth(self, rp: Provider) -> int:
        depth = 1
        while rp.parent and rp.parent in self.providers:
            rp = self.providers[rp.parent]
            depth += 1
        return depth

    def subtree(self, uuid: str) -> set[str]:
        found = {uuid}
        grew = True
        while grew:
            more = {p.uuid for p in self.providers.values() if p.parent in found} - found
            grew = bool(more)
            found |= more
        return found

    # -- the walk --------------------------------------------------------

    def run(self) -> Steps:
        """Calls without end: the caller stops when it has made enough."""
        actions: list[tuple[Callable[[], Steps], int]] = [
            (self.create_provider, 10), (self.update_provider, 4),
            (self.delete_provider, 3), (self.read_providers, 4),
            (self.put_inventories, 8), (self.put_inventory, 3), (self.post_inventory, 3),
            (self.delete_inventory, 2), (self.read_inventories, 2),
            (self.resource_classes, 4), (self.trait_names, 4), (self.provider_traits, 5),
            (self.provider_aggregates, 5), (self.put_allocations, 9),
            (self.post_allocations, 4), (self.delete_allocations, 3),
            (self.read_allocations, 3), (self.usages, 3), (self.candidates, 16),
            (self.malformed, 4),
        ]
        functions = [a for a, _ in actions]
        weights = [w for _, w in actions]
        while True:
            if len(self.providers) < 3 and self.chance(0.7):
                yield from self.create_provider()
            else:
                yield from self.rng.choices(functions, weights)[0]()

    # -- helpers that make calls -------------------------------------------

    def refresh(self, rp: Provider) -> Steps:
        answer = yield Call("refresh provider", "GET", f"/resource_providers/{rp.uuid}",
                            self.version(14))
        if answer.ok and isinstance(answer.body, dict):
            rp.generation = answer.body.get("generation")
        elif answer.status == 404:
            self.forget(rp.uuid)

    def known_generation(self, rp: Provider) -> Steps:
        if rp.generation is None or self.chance(0.05):
            yield from self.refresh(rp)

    def generation(self, rp: Provider) -> Any:
        """The provider's generation, or now and then a stale or bad one."""
        roll = self.rng.random()
        if rp.generation is None or roll < 0.02:
            return self.rng.choice([None, "1", -1])
        if roll < 0.12:
            return rp.generation + self.rng.choice([-1, 1, 5])
        return rp.generation

    def forget(self, uuid: str) -> None:
        rp = self.providers.pop(uuid, None)
        if rp is not None:
            self.gone.append(uuid)

    def reroot(self) -> None:
        for rp in self.providers.values():
            top = rp
            seen = {top.uuid}
            while top.parent and top.parent in self.providers and top.parent not in seen:
                top = self.providers[top.parent]
                seen.add(top.uuid)
            rp.root = top.uuid

    def inventory_record(self, rc: str) -> dict[str, Any]:
        (low, high), _ = SIZES.get(rc, DEFAULT_SIZE)
        total = self.rng.randint(low, high)
        record: dict[str, Any] = {"total": total}
        if self.chance(0.4):
            record["reserved"] = self.rng.randint(0, max(total // 4, 1))
        if self.chance(0.3):
            record["min_unit"] = self.rng.randint(1, 2)
        if self.chance(0.5):
            record["max_unit"] = self.rng.randint(1, total)
        if self.chance(0.2):
            record["step_size"] = self.rng.randint(1, 2)
        if self.chance(0.4):
            record["allocation_ratio"] = self.rng.choice([1.0, 1.5, 2.0, 16.0, 0.5])
        roll = self.rng.random()
        if roll < 0.04:
            record["reserved"] = total  # valid from 1.26
        elif roll < 0.07:
            record["reserved"] = total + 1
        elif roll < 0.10:
            record["min_unit"], record["max_unit"] = 3, 2
        elif roll < 0.12:
            record["total"] = self.rng.choice([0, -1, "8", 2**31])
        elif roll < 0.13:
            record["allocation_ratio"] = self.rng.choice([0, -1.0, "x"])
        elif roll < 0.14:
            record["bogus"] = 1
        return record

    def consumer(self) -> Consumer:
        if self.consumers and self.chance(0.6):
            return self.rng.choice(list(self.consumers.values()))
        return Consumer(self.uuid(), self.rng.choice(self.projects),
                        self.rng.choice(self.users))

    def known_consumer(self, consumer: Consumer) -> Steps:
        if consumer.uuid in self.consumers and (consumer.generation is None
                                                or self.chance(0.05)):
            answer = yield Call("refresh consumer", "GET", f"/allocations/{consumer.uuid}",
                                self.version(28))
            if answer.ok and isinstance(answer.body, dict):
                consumer.generation = answer.body.get("consumer_generation")

    def consumer_generation(self, consumer: Consumer) -> Any:
        known = consumer.generation if consumer.uuid in self.consumers else None
        roll = self.rng.random()
        if roll < 0.06:
            return None if known is not None else 0
        if roll < 0.12 and known is not None:
            return known + self.rng.choice([-1, 1])
        return known

    def resources(self, rp: Provider | None) -> dict[str, Any]:
        """Amounts to ask of a provider: mostly of what it has, in range."""
        classes = sorted(rp.inventories) if rp and rp.inventories else []
        if not classes or self.chance(0.05):
            classes = [self.a_class()]
        chosen = self.rng.sample(classes, self.rng.randint(1, min(2, len(classes))))
        out: dict[str, Any] = {}
        for rc in chosen:
            _, (low, high) = SIZES.get(rc, DEFAULT_SIZE)
            amount: Any = self.rng.randint(low, high)
            roll = self.rng.random()
            if roll < 0.04:
                amount = self.rng.choice([0, -1, "2"])
            elif roll < 0.08:
                amount = amount * 50
            out[rc] = amount
        return out

    def allocating_providers(self) -> list[Provider]:
        have = [rp for rp in self.providers.values() if rp.inventories]
        if not have or self.chance(0.03):
            return [Provider(self.provider_uuid(), "", None, "")]
        return self.rng.sample(have, self.rng.randint(1, min(2, len(have))))

    def touched(self, consumer: Consumer) -> None:
        """The consumer's allocations changed: generations moved."""
        consumer.generation = None
        for rp in self.providers.values():
            rp.generation = None  # allocations bump every provider they touch

    # -- providers -----------------------------------------------------------

    def create_provider(self) -> Steps:
        version = self.version(14) if self.chance(0.8) else self.version(0, 13)
        minor = int(version.split(".")[1])
        name = "rp-" + self.word()
        roll = self.rng.random()
        if roll < 0.04 and self.providers:
            name = self.rng.choice(list(self.providers.values())).name
        elif roll < 0.06:
            name = self.rng.choice(["", "x" * 201])
        body: dict[str, Any] = {"name": name}
        if self.chance(0.85):
            body["uuid"] = self.uuid() if not (self.providers and self.chance(0.03)) \
                else self.provider_uuid()
        parent: str | None = None
        if (minor >= 14 or self.chance(0.05)) and self.providers and self.chance(0.55):
            shallow = [rp for rp in self.providers.values() if self.depth(rp) < 3]
            if shallow and not self.chance(0.04):
                parent = self.rng.choice(shallow).uuid
            else:
                parent = self.uuid()
            body["parent_provider_uuid"] = parent
        answer = yield Call("create provider", "POST", "/resource_providers", version, body)
        if not answer.ok:
            return
        if isinstance(answer.body, dict) and "uuid" in answer.body:
            uuid = answer.body["uuid"]
        else:
            uuid = answer.headers.get("location", "").rstrip("/").rsplit("/", 1)[-1]
        root = self.providers[parent].root if parent in self.providers else uuid
        self.providers[uuid] = Provider(uuid, name, parent, root)

    def update_provider(self) -> Steps:
        rp = self.pick_provider()
        if rp is None:
            return
        version = self.version(0)
        minor = int(version.split(".")[1])
        body: dict[str, Any] = {"name": rp.name if self.chance(0.2) else "rp-" + self.word()}
        if self.chance(0.05):
            body["name"] = self.rng.choice(list(self.providers.values())).name
        if (minor >= 14 or self.chance(0.05)) and self.chance(0.5):
            roll = self.rng.random()
            if roll < 0.3:
                body["parent_provider_uuid"] = rp.parent
            elif roll < 0.5:
                body["parent_provider_uuid"] = None
            elif roll < 0.55:
                body["parent_provider_uuid"] = self.uuid()
            else:
                inside = self.subtree(rp.uuid)
                outside = [p for p in self.providers.values() if p.uuid not in inside]
                if self.chance(0.1) or not outside:
                    body["parent_provider_uuid"] = self.rng.choice(sorted(inside))
                else:
                    body["parent_provider_uuid"] = self.rng.choice(outside).uuid
        if self.chance(0.03):
            body["generation"] = 1
        answer = yield Call("update provider", "PUT", f"/resource_providers/{rp.uuid}",
                            version, body)
        if answer.ok and isinstance(answer.body, dict):
            rp.name = answer.body.get("name", rp.name)
            rp.generation = answer.body.get("generation", rp.generation)
            if "parent_provider_uuid" in answer.body:
                rp.parent = answer.body["parent_provider_uuid"]
                self.reroot()
        elif answer.status == 404:
            self.forget(rp.uuid)

    def delete_provider(self) -> Steps:
        if not self.providers:
            return
        leaves = [rp for rp in self.providers.values()
                  if not any(p.parent == rp.uuid for p in self.providers.values())]
        pool = leaves if leaves and self.chance(0.7) else list(self.providers.values())
        uuid = self.rng.choice(pool).uuid if not self.chance(0.05) else self.provider_uuid()
        answer = yield Call("delete provider", "DELETE", f"/resource_providers/{uuid}",
                            self.version(0))
        if answer.status in (204, 404):
            self.forget(uuid)

    def read_providers(self) -> Steps:
        version = self.version(0)
        minor = int(version.split(".")[1])
        if self.chance(0.35):
            uuid = self.provider_uuid()
            answer = yield Call("show provider", "GET", f"/resource_providers/{uuid}", version)
            if answer.ok and uuid in self.providers and isinstance(answer.body, dict):
                self.providers[uuid].generation = answer.body.get("generation")
            return
        params: list[tuple[str, str]] = []
        roll = self.rng.random()
        if roll < 0.1 and self.providers:
            params.append(("name", self.rng.choice(list(self.providers.values())).name))
        elif roll < 0.2:
            params.append(("uuid", self.provider_uuid()))
        if self.chance(0.25):
            params.append(("member_of", self.member_of(minor)))
        if self.chance(0.3):
            params.append(("resources", ",".join(
                f"{rc}:{amount}" for rc, amount in self.resources(self.pick_provider()).items())))
        if self.chance(0.2):
            params.append(("in_tree", self.provider_uuid()))
        if self.chance(0.2):
            params.append(("required", self.required(minor)))
        if self.chance(0.03):
            params.append(self.rng.choice([("bogus", "1"), ("uuid", "not-a-uuid"),
                                           ("resources", "VCPU"), ("member_of", "in:")]))
        yield Call("list providers", "GET", "/resource_providers" + query(params), version)

    # -- inventories -----------------------------------------------------------

    def put_inventories(self) -> Steps:
        rp = self.pick_provider()
        if rp is None:
            return
        yield from self.known_generation(rp)
        classes = self.rng.sample(self.all_classes(), self.rng.randint(0, 3))
        if rp.inventories and self.chance(0.5):  # keep some, for allocations' sake
            classes = sorted(set(classes) | set(self.rng.sample(
                sorted(rp.inventories), self.rng.randint(1, len(rp.inventories)))))
        if self.chance(0.03):
            classes.append(self.a_class())
        body = {"resource_provider_generation": self.generation(rp),
                "inventories": {rc: self.inventory_record(rc) for rc in classes}}
        answer = yield Call("put inventories", "PUT", f"/resource_providers/{rp.uuid}/inventories",
                            self.version(0), body)
        self.learn_inventories(rp, answer)

    def learn_inventories(self, rp: Provider, answer: Answer) -> None:
        if answer.ok and isinstance(answer.body, dict):
            rp.inventories = dict(answer.body.get("inventories", {}))
            rp.generation = answer.body.get("resource_provider_generation")
        elif answer.status == 404:
            self.forget(rp.uuid)
        else:
            rp.generation = None

    def put_inventory(self) -> Steps:
        rp = self.pick_provider()
        if rp is None:
            return
        yield from self.known_generation(rp)
        rc = self.rng.choice(sorted(rp.inventories)) if rp.inventories and self.chance(0.7) \
            else self.a_class()
        body = {"resource_provider_generation": self.generation(rp), **self.inventory_record(rc)}
        answer = yield Call("put inventory", "PUT",
                            f"/resource_providers/{rp.uuid}/inventories/{rc}", self.version(0),
                            body)
        if answer.ok and isinstance(answer.body, dict):
            rp.inventories[rc] = answer.body
            rp.generation = answer.body.get("resource_provider_generation")
        else:
            rp.generation = None

    def post_inventory(self) -> Steps:
        rp = self.pick_provider()
        if rp is None:
            return
        yield from self.known_generation(rp)
        rc = self.a_class() if not (rp.inventories and self.chance(0.1)) \
            else self.rng.choice(sorted(rp.inventories))
        body = {"resource_class": rc, "resource_provider_generation": self.generation(rp),
                **self.inventory_record(rc)}
        answer = yield Call("post inventory", "POST", f"/resource_providers/{rp.uuid}/inventories",
                            self.version(0), body)
        if answer.ok and isinstance(answer.body, dict):
            rp.inventories[rc] = answer.body
            rp.generation = answer.body.get("resource_provider_generation")
        else:
            rp.generation = None

    def delete_inventory(self) -> Steps:
        rp = self.pick_provider()
        if rp is None:
            return
        if self.chance(0.25):
            answer = yield Call("delete inventories", "DELETE",
                                f"/resource_providers/{rp.uuid}/inventories", self.version(0))
            if answer.ok:
                rp.inventories = {}
        else:
            rc = self.rng.choice(sorted(rp.inventories)) if rp.inventories and self.chance(0.8) \
                else self.a_class()
            answer = yield Call("delete inventory", "DELETE",
                                f"/resource_providers/{rp.uuid}/inventories/{rc}",
                                self.version(0))
            if answer.ok:
                rp.inventories.pop(rc, None)
        rp.generation = None

    def read_inventories(self) -> Steps:
        uuid = self.provider_uuid()
        rp = self.providers.get(uuid)
        if rp is not None and self.chance(0.5):
            rc = self.rng.choice(sorted(rp.inventories)) if rp.inventories and self.chance(0.8) \
                else self.a_class()
            yield Call("show inventory", "GET", f"/resource_providers/{uuid}/inventories/{rc}",
                       self.version(0))
            return
        answer = yield Call("list inventories", "GET", f"/resource_providers/{uuid}/inventories",
                            self.version(0))
        if rp is not None:
            self.learn_inventories(rp, answer)

    # -- resource classes and traits -----------------------------------------

    def custom_name(self, made: set[str]) -> str:
        if made and self.chance(0.4):
            return self.rng.choice(sorted(made))
        return "CUSTOM_" + self.word(4).upper()

    def resource_classes(self) -> Steps:
        version = self.version(2) if self.chance(0.95) else self.version(0, 1)
        minor = int(version.split(".")[1])
        roll = self.rng.random()
        if roll < 0.3:
            name = self.custom_name(self.classes)
            if self.chance(0.05):
                name = self.rng.choice(["VCPU", "custom_lower", "CUSTOM_" + "X" * 250])
            answer = yield Call("create class", "POST", "/resource_classes", version,
                                {"name": name})
            if answer.status == 201:
                self.classes.add(name)
        elif roll < 0.5:
            name = self.custom_name(self.classes)
            if minor >= 7 or self.chance(0.2):
                answer = yield Call("put class", "PUT", f"/resource_classes/{name}", version)
                if answer.status in (201, 204):
                    self.classes.add(name)
            else:
                new = "CUSTOM_" + self.word(4).upper()
                answer = yield Call("rename class", "PUT", f"/resource_classes/{name}", version,
                                    {"name": new})
                if answer.ok:
                    self.classes.discard(name)
                    self.classes.add(new)
                    for rp in self.providers.values():
                        if name in rp.inventories:
                            rp.inventories[new] = rp.inventories.pop(name)
        elif roll < 0.7:
            name = self.custom_name(self.classes) if not self.chance(0.1) else "VCPU"
            answer = yield Call("delete class", "DELETE", f"/resource_classes/{name}", version)
            if answer.status == 204:
                self.classes.discard(name)
        elif roll < 0.85:
            yield Call("show class", "GET", f"/resource_classes/{self.a_class()}", version)
        else:
            yield Call("list classes", "GET", "/resource_classes", version)

    def trait_names(self) -> Steps:
        version = self.version(6) if self.chance(0.95) else self.version(0, 5)
        roll = self.rng.random()
        if roll < 0.3:
            name = self.custom_name(self.traits)
            if self.chance(0.05):
                name = self.rng.choice(["HW_CPU_X86_AVX", "CUSTOM_lower", "NOT_CUSTOM"])
            answer = yield Call("put trait", "PUT", f"/traits/{name}", version)
            if answer.status in (201, 204):
                self.traits.add(name)
        elif roll < 0.5:
            name = self.custom_name(self.traits) if not self.chance(0.1) else "HW_CPU_X86_SSE"
            answer = yield Call("delete trait", "DELETE", f"/traits/{name}", version)
            if answer.status == 204:
                self.traits.discard(name)
        elif roll < 0.65:
            yield Call("show trait", "GET", f"/traits/{self.a_trait()}", version)
        else:
            params: list[tuple[str, str]] = []
            roll = self.rng.random()
            if roll < 0.3:
                params.append(("name", "in:" + ",".join(
                    self.rng.sample(self.all_traits(), 2))))
            elif roll < 0.5:
                params.append(("name", "startswith:" + self.rng.choice(
                    ["CUSTOM", "HW_CPU", "STORAGE", "NOPE"])))
            elif roll < 0.55:
                params.append(("name", self.rng.choice(["bogus", "in:", "startswith:"])))
            if self.chance(0.3):
                params.append(("associated", self.rng.choice(["true", "false", "maybe"])))
            yield Call("list traits", "GET", "/traits" + query(params), version)

    def provider_traits(self) -> Steps:
        rp = self.pick_provider()
        if rp is None:
            return
        version = self.version(6) if self.chance(0.95) else self.version(0, 5)
        roll = self.rng.random()
        path = f"/resource_providers/{rp.uuid}/traits"
        if roll < 0.6:
            yield from self.known_generation(rp)
            chosen = set(self.rng.sample(self.all_traits(), self.rng.randint(0, 3)))
            if self.chance(0.25):
                chosen.add(SHARES)
            if self.chance(0.03):
                chosen.add(self.a_trait())
            body: Any = {"resource_provider_generation": self.generation(rp),
                         "traits": sorted(chosen)}
            if self.chance(0.02):
                body = {"traits": sorted(chosen)}
            answer = yield Call("put provider traits", "PUT", path, version, body)
            if answer.ok and isinstance(answer.body, dict):
                rp.traits = set(answer.body.get("traits", []))
                rp.generation = answer.body.get("resource_provider_generation")
            else:
                rp.generation = None
        elif roll < 0.75:
            answer = yield Call("delete provider traits", "DELETE", path, version)
            if answer.ok:
                rp.traits = set()
            rp.generation = None
        else:
            answer = yield Call("list provider traits", "GET", path, version)
            if answer.ok and isinstance(answer.body, dict):
                rp.generation = answer.body.get("resource_provider_generation")

    def provider_aggregates(self) -> Steps:
        rp = self.pick_provider()
        if rp is None:
            return
        version = self.version(1) if self.chance(0.95) else "1.0"
        minor = int(version.split(".")[1])
        path = f"/resource_providers/{rp.uuid}/aggregates"
        if self.chance(0.3):
            answer = yield Call("list provider aggregates", "GET", path, version)
            if answer.ok and isinstance(answer.body, dict) and minor >= 19:
                rp.generation = answer.body.get("resource_provider_generation")
            return
        yield from self.known_generation(rp)
        aggs = self.rng.sample(self.aggregates, self.rng.randint(0, 3))
        if self.chance(0.03):
            aggs.append(self.rng.choice(["not-a-uuid", aggs[0] if aggs else "x"]))
        body: Any = aggs
        if minor >= 19 or self.chance(0.05):
            body = {"aggregates": aggs, "resource_provider_generation": self.generation(rp)}
        answer = yield Call("put provider aggregates", "PUT", path, version, body)
        if answer.ok and isinstance(answer.body, dict):
            rp.aggregates = set(answer.body.get("aggregates", []))
            rp.generation = answer.body.get("resource_provider_generation")
        else:
            rp.generation = None

    # -- allocations -----------------------------------------------------------

    def allocation_body(self, minor: int, consumer: Consumer,
                        allocations: dict[str, dict[str, Any]]) -> dict[str, Any]:
        body: dict[str, Any]
        if minor < 12:
            body = {"allocations": [{"resource_provider": {"uuid": rp}, "resources": res}
                                    for rp, res in allocations.items()]}
        else:
            body = {"allocations": {rp: {"resources": res} for rp, res in allocations.items()}}
        if minor >= 8 or self.chance(0.1):
            if not self.chance(0.03):
                body["project_id"] = consumer.project
            if not self.chance(0.03):
                body["user_id"] = consumer.user
        if minor >= 28 and not self.chance(0.02):
            body["consumer_generation"] = self.consumer_generation(consumer)
        if minor >= 38 and not self.chance(0.05) or minor < 38 and self.chance(0.02):
            body["consumer_type"] = self.rng.choice(CONSUMER_TYPES + ["bad type"]
                                                    if self.chance(0.03) else CONSUMER_TYPES)
        return body

    def new_allocations(self) -> dict[str, dict[str, Any]]:
        return {rp.uuid: self.resources(rp) for rp in self.allocating_providers()}

    def wrote(self, consumer: Consumer, allocations: dict[str, dict[str, Any]]) -> None:
        if allocations:
            self.consumers[consumer.uuid] = consumer
            consumer.allocations = allocations
        else:
            self.consumers.pop(consumer.uuid, None)
        self.touched(consumer)

    def put_allocations(self) -> Steps:
        consumer = self.consumer()
        version = self.version(0)
        minor = int(version.split(".")[1])
        if minor >= 28:
            yield from self.known_consumer(consumer)
        allocations = self.new_allocations()
        if minor >= 28 and self.chance(0.05):
            allocations = {}
        body = self.allocation_body(minor, consumer, allocations)
        answer = yield Call("put allocations", "PUT", f"/allocations/{consumer.uuid}", version,
                            body)
        if answer.ok:
            self.wrote(consumer, allocations)
        elif answer.status == 409:
            consumer.generation = None

    def post_allocations(self) -> Steps:
        version = self.version(13) if self.chance(0.95) else self.version(0, 12)
        minor = int(version.split(".")[1])
        body: dict[str, Any] = {}
        plan: list[tuple[Consumer, dict[str, dict[str, Any]]]] = []
        movable = [c for c in self.consumers.values() if c.allocations]
        if movable and self.chance(0.4):  # move allocations to a new consumer
            old = self.rng.choice(movable)
            new = Consumer(self.uuid(), old.project, old.user)
            moved = dict(old.allocations)
            if self.chance(0.3):
                moved = self.new_allocations()
            plan = [(old, {}), (new, moved)]
        else:
            for _ in range(self.rng.randint(1, 2)):
                plan.append((self.consumer(), self.new_allocations()))
        for consumer, _ in plan:
            if minor >= 28:
                yield from self.known_consumer(consumer)
        for consumer, allocations in plan:
            entry = self.allocation_body(max(minor, 12), consumer, allocations)
            body[consumer.uuid] = entry
        answer = yield Call("post allocations", "POST", "/allocations", version, body)
        if answer.ok:
            for consumer, allocations in plan:
                self.wrote(consumer, allocations)
        elif answer.status == 409:
            for consumer, _ in plan:
                consumer.generation = None

    def delete_allocations(self) -> Steps:
        consumer = self.consumer()
        answer = yield Call("delete allocations", "DELETE", f"/allocations/{consumer.uuid}",
                            self.version(0))
        if answer.ok:
            self.wrote(consumer, {})

    def read_allocations(self) -> Steps:
        if self.chance(0.5):
            consumer = self.consumer()
            answer = yield Call("consumer allocations", "GET", f"/allocations/{consumer.uuid}",
                                self.version(0))
            if answer.ok and isinstance(answer.body, dict) and consumer.uuid in self.consumers:
                consumer.generation = answer.body.get("consumer_generation")
        else:
            yield Call("provider allocations", "GET",
                       f"/resource_providers/{self.provider_uuid()}/allocations",
                       self.version(0))

    def usages(self) -> Steps:
        version = self.version(0)
        if self.chance(0.5):
            yield Call("provider usages", "GET",
                       f"/resource_providers/{self.provider_uuid()}/usages", version)
            return
        params: list[tuple[str, str]] = []
        if not self.chance(0.05):
            params.append(("project_id", self.rng.choice(self.projects)))
        if self.chance(0.4):
            params.append(("user_id", self.rng.choice(self.users)))
        if self.chance(0.3):
            params.append(("consumer_type", self.rng.choice(CONSUMER_TYPES + ["all", "unknown"])))
        yield Call("total usages", "GET", "/usages" + query(params), version)

    # -- allocation candidates ---------------------------------------------------

    def member_of(self, minor: int) -> str:
        aggs = self.rng.sample(self.aggregates, self.rng.randint(1, 2))
        value = aggs[0] if len(aggs) == 1 and self.chance(0.5) else "in:" + ",".join(aggs)
        if minor >= 32 and self.chance(0.25) or self.chance(0.02):
            value = "!" + value
        if self.chance(0.02):
            value = self.rng.choice(["in:", "not-a-uuid", "!in:", "in:" + aggs[0] + ",x"])
        return value

    def required(self, minor: int) -> str:
        traits = self.rng.sample(self.all_traits(), self.rng.randint(1, 2))
        if self.chance(0.05):
            traits.append(self.a_trait())
        if minor >= 22 and self.chance(0.3) or self.chance(0.02):
            traits = ["!" + t if self.chance(0.5) else t for t in traits]
        value = ",".join(traits)
        if minor >= 39 and self.chance(0.3) or self.chance(0.02):
            value = "in:" + ",".join(t.lstrip("!") for t in traits)
        if self.chance(0.02):
            value = self.rng.choice(["", "!", "in:", "!!HW_CPU_X86_AVX", "in:!HW_CPU_X86_AVX"])
        return value

    def group_resources(self) -> str:
        offered = sorted({rc for rp in self.providers.values() for rc in rp.inventories})
        pool = offered if offered and not self.chance(0.05) else self.all_classes()
        chosen = self.rng.sample(pool, self.rng.randint(1, min(3, len(pool))))
        parts = []
        for rc in chosen:
            _, (low, high) = SIZES.get(rc, DEFAULT_SIZE)
            parts.append(f"{rc}:{self.rng.randint(low, high)}")
        if self.chance(0.04):
            parts.append(self.rng.choice(["VCPU", "VCPU:0", "VCPU:-1", "VCPU:x", "vcpu:1",
                                          "CUSTOM_NOPE:1", ":1"]))
        return ",".join(parts)

    def candidates(self) -> Steps:
        minor = self.rng.randint(10, 39)
        params: list[tuple[str, str]] = []
        suffixes: list[str] = []
        if minor >= 25:
            for n in range(self.rng.choice([0, 0, 1, 1, 2, 2, 3])):
                if minor >= 33 and self.chance(0.4):
                    suffixes.append(self.rng.choice(["_NET", "compute-", "X", "acc_1"]) + str(n))
                else:
                    suffixes.append(str(n + 1))
        unsuffixed = not suffixes or self.chance(0.65)
        resourceless: list[str] = []
        for suffix in ([""] if unsuffixed else []) + suffixes:
            if suffix and minor >= 36 and self.chance(0.15):
                resourceless.append(suffix)
            else:
                params.append((f"resources{suffix}", self.group_resources()))
            if (minor >= 17 and self.chance(0.35) or self.chance(0.02)
                    or suffix in resourceless):
                params.append((f"required{suffix}", self.required(minor)))
                if minor >= 39 and self.chance(0.15):
                    params.append((f"required{suffix}", self.required(minor)))
            if minor >= 21 and self.chance(0.25) or self.chance(0.02):
                params.append((f"member_of{suffix}", self.member_of(minor)))
                if minor >= 24 and self.chance(0.2):
                    params.append((f"member_of{suffix}", self.member_of(minor)))
            if minor >= 31 and self.chance(0.12) or self.chance(0.01):
                params.append((f"in_tree{suffix}", self.provider_uuid()
                               if not self.chance(0.05) else "not-a-uuid"))
        granular = len(suffixes)
        if minor >= 25 and (granular > 1 and not self.chance(0.08)
                            or granular <= 1 and self.chance(0.4)) or self.chance(0.01):
            params.append(("group_policy", self.rng.choice(["none", "isolate", "isolate", "none",
                                                            "bogus" if self.chance(0.1)
                                                            else "none"])))
        if (minor >= 36 and granular >= 2 and self.chance(0.35)) or resourceless:
            chosen = set(self.rng.sample(suffixes, min(granular, self.rng.randint(2, 3))))
            params.append(("same_subtree", ",".join(sorted(chosen | set(resourceless)))))
        if minor >= 35 and self.chance(0.15) or self.chance(0.01):
            params.append(("root_required", ",".join(
                ("!" if self.chance(0.4) else "") + t
                for t in self.rng.sample(self.all_traits(), self.rng.randint(1, 2)))))
        if minor >= 16 and self.chance(0.3) or self.chance(0.01):
            params.append(("limit", str(self.rng.randint(1, 4)) if not self.chance(0.05)
                           else self.rng.choice(["0", "-1", "x"])))
        if self.chance(0.02):
            params.append(self.rng.choice([("bogus", "1"), ("resources", "VCPU:1"),
                                           ("resources0", "VCPU:1")]))
        self.rng.shuffle(params)
        yield Call("allocation candidates", "GET", "/allocation_candidates" + query(params),
                   mv(minor))

    # -- malformed requests ---------------------------------------------------

    def malformed(self) -> Steps:
        uuid = self.provider_uuid()
        version = self.version(0)
        calls = [
            Call("malformed json", "POST", "/resource_providers", version, b'{"name": '),
            Call("malformed json", "PUT", f"/resource_providers/{uuid}/inventories", version,
                 b"[1, 2", {"content-type": "application/json"}),
            Call("no content type", "POST", "/resource_providers", version,
                 b'{"name": "x"}', {"content-type": ""}),
            Call("wrong content type", "PUT", f"/resource_providers/{uuid}/traits", version,
                 b'{"traits": []}', {"content-type": "text/plain"}),
            Call("body not an object", "PUT", f"/allocations/{self.uuid()}", version, [1, 2]),
            Call("body not an object", "POST", "/allocations", self.version(13), []),
            Call("bad microversion", "GET", "/resource_providers",
                 self.rng.choice(["1.40", "2.0", "abc", "1.", "latest", "1.01"])),
            Call("bad path uuid", "GET", "/resource_providers/not-a-uuid", version),
            Call("bad path uuid", "PUT", "/allocations/not-a-uuid", self.version(12),
                 {"allocations": {}, "project_id": "p", "user_id": "u"}),
            Call("unknown path", "GET", f"/resource_providers/{uuid}/bogus", version),
            Call("wrong method", "PATCH", "/resource_providers", version),
            Call("wrong method", "POST", f"/resource_providers/{uuid}/usages", version),
            Call("bad query", "GET", "/resource_providers?member_of=in:" + self.uuid() + ",x",
                 self.version(3)),
            Call("bad query", "GET", "/usages", self.version(9)),
            Call("bad query", "GET", "/allocation_candidates", self.version(10)),
            Call("bad query", "GET", "/allocation_candidates?resources=VCPU:1&limit=1&limit=2",
                 self.version(16)),
            Call("bad query", "GET", "/allocation_candidates?resources=VCPU:1&resources=DISK_GB:1",
                 self.version(10)),
            Call("bad accept", "GET", "/resource_providers", version, NO_BODY,
                 {"accept": "text/plain"}),
        ]
        yield self.rng.choice(calls)


def query(params: list[tuple[str, str]]) -> str:
    return "?" + urllib.parse.urlencode(params, safe=":,!") if params else ""


# Comparing answers.

def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _candidates(body: dict[str, Any]) -> dict[str, Any]:
    """Allocation requests as a multiset, mappings and traits as sets: upstream
    builds them in sets, so their order is Python's hash order."""
    requests = []
    for request in body.get("allocation_requests", []):
        request = dict(request)
        if isinstance(request.get("allocations"), list):
            request["allocations"] = sorted(request["allocations"], key=canonical)
        if isinstance(request.get("mappings"), dict):
            request["mappings"] = {k: sorted(v) for k, v in request["mappings"].items()}
        requests.append(request)
    summaries = {}
    for uuid, summary in body.get("provider_summaries", {}).items():
        if isinstance(summary, dict) and isinstance(summary.get("traits"), list):
            summary = dict(summary, traits=sorted(summary["traits"]))
        summaries[uuid] = summary
    return dict(body, allocation_requests=sorted(requests, key=canonical),
                provider_summaries=summaries)


def _hrefs(value: Any, prefix: str) -> Any:
    if isinstance(value, dict):
        return {k: (v.removeprefix(prefix) if k == "href" and isinstance(v, str)
                    else _hrefs(v, prefix)) for k, v in value.items()}
    if isinstance(value, list):
        return [_hrefs(v, prefix) for v in value]
    return value


# WebOb's explanation of each status, as upstream's error details start with.
_EXPLANATIONS = {
    400: "The server could not comply with the request since it is either malformed "
         "or otherwise incorrect.",
    403: "Access was denied to this resource.",
    404: "The resource could not be found.",
    409: "There was a conflict when trying to complete your request.",
    413: "The body of your request was too large for this server.",
}
_TAG = re.compile(r"<.*?>", re.S)


def webob_detail(detail: str, status: int, call: Call) -> str:
    """An error's detail without WebOb's frame, whitespace folded.

    NAMED NORMALISATION ``webob-frame``: upstream renders each error through
    WebOb's template, so its detail reads "<the status's explanation>\n\n
    <detail>  " (405, 406 and 415 have their own first line, naming the
    method, the Accept or the Content-Type), with newlines in the detail
    turned to spaces and anything like an HTML tag removed. Nimbus sends
    the detail alone. The frame is cut from upstream's (only the exact one
    its status and the request make) and the detail folded the same way on
    both sides, so the text inside must still be the same.
    """
    accept = call.headers.get("accept", "application/json")
    heads = {
        405: f"The method {call.method} is not allowed for this resource. \n\n ",
        406: "The resource could not be generated that was acceptable to your browser "
             f"(content of type {accept}. \n\n ",
        415: f"The request media type {call.headers.get('content-type', '')} is not "
             "supported by this server. \n\n ",
    }
    head = heads.get(status) or _EXPLANATIONS.get(status, "") + "\n\n "
    if detail.startswith(head):
        detail = detail[len(head):]
    detail = _TAG.sub("", detail.replace("\r", "").replace("\n", " "))
    detail = " ".join(detail.split())
    # NAMED NORMALISATION ``schema-dump``: a JSON Schema failure quotes the
    # whole schema as a Python dict; Nimbus's schemas are its own (same
    # rules, keys in another order), so the dump is cut. The message, the
    # failing rule and path, and the instance are still compared.
    detail = _SCHEMA_DUMP.sub(r"\1 <schema> \2", detail)
    # NAMED NORMALISATION ``sql-error-text``: upstream lets the database
    # driver's text through in some 409s ("(sqlite3.IntegrityError) ...
    # [SQL: INSERT ...] [parameters: ...] (Background on this error at:
    # ...)"); only the driver's own message, which Nimbus repeats, is kept.
    detail = _SQL_NOISE.sub("", detail)
    return _DRIVER.sub("", detail)


def _made_uuids(call: Call, body: Any) -> Any:
    """NAMED NORMALISATION ``made-uuid-in-error``: a provider created without
    a uuid that fails still names the uuid each server made up for it."""
    if not (call.method == "POST" and call.path == "/resource_providers"
            and isinstance(call.body, dict) and "uuid" not in call.body):
        return body
    asked = canonical(call.body)
    for error in body["errors"]:
        if isinstance(error.get("detail"), str):
            error["detail"] = _UUID.sub(
                lambda m: m.group(0) if m.group(0) in asked else "<made-uuid>", error["detail"])
    return body


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


_SCHEMA_DUMP = re.compile(r"(Failed validating '\w+' in [^:]*:) .*? (On instance)")
_SQL_NOISE = re.compile(r" \[SQL: .*$")
_DRIVER = re.compile(r"\(sqlite3\.\w+\) ")

# Lists whose order upstream leaves to a set or to the database (their rows
# in the order it inserted them, the standard ones from a set): compared as
# sets. (method, path pattern, key)
_UNORDERED = [
    ("GET", re.compile(r"^/traits(\?.*)?$"), "traits"),
    ("GET", re.compile(r"^/resource_providers/[^/]+/traits$"), "traits"),
    ("PUT", re.compile(r"^/resource_providers/[^/]+/traits$"), "traits"),
    ("GET", re.compile(r"^/resource_providers/[^/]+/aggregates$"), "aggregates"),
    ("PUT", re.compile(r"^/resource_providers/[^/]+/aggregates$"), "aggregates"),
]


def normalise(call: Call, answer: Answer, base: str) -> dict[str, Any]:
    """What is compared of an answer."""
    body: Any = answer.body
    # Links are relative to where the service is mounted: Nimbus serves
    # placement under /placement, upstream here at the root.
    prefix = urllib.parse.urlsplit(base).path
    if prefix:
        body = _hrefs(body, prefix)
    if isinstance(body, dict) and isinstance(body.get("errors"), list):
        # Request ids are per server.
        body = {"errors": [{k: v for k, v in error.items() if k != "request_id"}
                           for error in body["errors"]]}
        for error in body["errors"]:
            if isinstance(error.get("detail"), str):
                error["detail"] = webob_detail(error["detail"], answer.status, call)
        body = _made_uuids(call, body)
    elif (isinstance(body, dict) and answer.status == 200
          and call.path.startswith("/allocation_candidates")):
        body = _candidates(body)
    elif body is None:
        body = answer.text.strip() if answer.status != 204 else ""
        head, sep, rest = body.partition("\n\n")
        if answer.status >= 400 and sep and not body.startswith("<"):  # WebOb's plain text
            body = f"{head}\n\n{webob_detail(rest, answer.status, call)}"
    elif isinstance(body, dict) and answer.status == 200:
        for method, pattern, key in _UNORDERED:
            if (call.method == method and pattern.match(call.path)
                    and isinstance(body.get(key), list)):
                body = dict(body, **{key: sorted(body[key])})
    out: dict[str, Any] = {"status": answer.status, "body": body}
    if "location" in answer.headers:
        out["location"] = answer.headers["location"].removeprefix(base)
    if "allow" in answer.headers:
        out["allow"] = sorted(m.strip() for m in answer.headers["allow"].split(","))
    for name in ("openstack-api-version", "content-type", "cache-control"):
        if name in answer.headers:
            out[name] = answer.headers[name]
    if "content-type" in out:  # charset names are case-insensitive (RFC 9110)
        out["content-type"] = out["content-type"].lower()
    out["last-modified"] = "last-modified" in answer.headers
    return out


def differences(upstream: Any, nimbus: Any, where: str = "") -> list[tuple[str, Any, Any]]:
    """(path, upstream value, nimbus value) for each place the two differ."""
    if isinstance(upstream, dict) and isinstance(nimbus, dict):
        found = []
        for key in sorted(set(upstream) | set(nimbus), key=str):
            if key not in nimbus:
                found.append((f"{where}.{key}", upstream[key], "<missing>"))
            elif key not in upstream:
                found.append((f"{where}.{key}", "<missing>", nimbus[key]))
            else:
                found.extend(differences(upstream[key], nimbus[key], f"{where}.{key}"))
        return found
    if isinstance(upstream, list) and isinstance(nimbus, list) and upstream != nimbus:
        ours = sorted(map(canonical, upstream))
        theirs = sorted(map(canonical, nimbus))
        if ours == theirs:
            return [(where + " (order)", upstream, nimbus)]
        if len(upstream) == len(nimbus) and all(
                isinstance(v, dict | list) for v in upstream + nimbus):
            found = []
            for n, (a, b) in enumerate(zip(upstream, nimbus, strict=True)):
                found.extend(differences(a, b, f"{where}[{n}]"))
            return found
        only_up = [json.loads(v) for v in ours if v not in theirs]
        only_nimbus = [json.loads(v) for v in theirs if v not in ours]
        return [(where + " (items only one side has)", only_up, only_nimbus)]
    return [] if upstream == nimbus else [(where or ".", upstream, nimbus)]


@dataclass
class Difference:
    """Where the two placements answered one request differently."""

    seed: int
    step: int
    call: Call
    upstream: dict[str, Any]
    nimbus: dict[str, Any]
    explained: str | None = None  # the name of a KNOWN exception, if it is one
    note: str = ""

    def describe(self, width: int = 600) -> str:
        head = f"[seed {self.seed} step {self.step}] {self.call.kind}"
        if self.explained:
            head += f"  (explained: {self.explained})"
        lines = [head, "    " + self.call.describe()]
        if self.note:
            lines.append(f"    note: {self.note}")
        for path, a, b in differences(self.upstream, self.nimbus):
            a_text, b_text = canonical(a), canonical(b)
            lines.append(f"    {path}:\n      upstream: {a_text[:width]}\n"
                         f"      nimbus:   {b_text[:width]}")
        return "\n".join(lines)


class Differ:
    """Sends each call to both placements and compares what they answer."""

    def __init__(self, nimbus_url: str, upstream_url: str):
        self.nimbus_url = nimbus_url
        self.upstream_url = upstream_url
        self.nimbus = httpx.Client(timeout=120)
        self.upstream = httpx.Client(timeout=120)
        # Uuids the servers made up themselves (providers created without
        # one): upstream's stands for both in the calls and the answers.
        self.to_nimbus: dict[str, str] = {}
        self.to_upstream: dict[str, str] = {}

    def close(self) -> None:
        self.nimbus.close()
        self.upstream.close()

    def _translate(self, text: str, mapping: dict[str, str]) -> str:
        for old, new in mapping.items():
            text = text.replace(old, new)
        return text

    def exchange(self, call: Call) -> tuple[Answer, Answer]:
        upstream = _send(self.upstream, self.upstream_url, call, lambda text: text)
        nimbus = _send(self.nimbus, self.nimbus_url, call,
                       lambda text: self._translate(text, self.to_nimbus))
        self._learn_uuids(call, upstream, nimbus)
        if self.to_upstream:
            text = self._translate(nimbus.text, self.to_upstream)
            headers = {k: self._translate(v, self.to_upstream) for k, v in nimbus.headers.items()}
            body = json.loads(text) if nimbus.body is not None else None
            nimbus = Answer(nimbus.status, headers, text, body)
        return upstream, nimbus

    def _learn_uuids(self, call: Call, upstream: Answer, nimbus: Answer) -> None:
        if (call.method != "POST" or call.path != "/resource_providers" or not upstream.ok
                or not nimbus.ok or not isinstance(call.body, dict) or "uuid" in call.body):
            return
        made = [_made_uuid(answer) for answer in (upstream, nimbus)]
        if made[0] and made[1] and made[0] != made[1]:
            self.to_nimbus[made[0]] = made[1]
            self.to_upstream[made[1]] = made[0]

    def check(self, call: Call) -> tuple[Answer, dict[str, Any], dict[str, Any], str | None]:
        """Upstream's answer, both normalised, and the name of the known
        exception that explains a difference (None: none needed or found)."""
        upstream, nimbus = self.exchange(call)
        a = normalise(call, upstream, self.upstream_url)
        b = normalise(call, nimbus, self.nimbus_url)
        if a == b:
            return upstream, a, b, None
        return upstream, a, b, explain(self, call, a, b)


def _made_uuid(answer: Answer) -> str | None:
    if isinstance(answer.body, dict) and isinstance(answer.body.get("uuid"), str):
        return str(answer.body["uuid"])
    location = answer.headers.get("location")
    return location.rstrip("/").rsplit("/", 1)[-1] if location else None


# Known differences: each a named, explained exception, as narrow as possible.
# (The normalisations above, ``webob-frame``, ``schema-dump``,
# ``sql-error-text``, ``made-uuid-in-error`` and the unordered lists, apply to
# every answer; these apply only where their test says so.)

KNOWN: dict[str, str] = {
    "limit-order": (
        "GET /allocation_candidates with a limit: upstream collects the "
        "candidates in a Python set of objects whose hash mixes string hashes, "
        "then keeps the first `limit` in that (per-process random) order. "
        "Accepted when the same request without the limit agrees on both "
        "sides, each side kept `limit` of those candidates, and each side's "
        "provider summaries are the full answer's, for the trees it kept."),
    "upstream-crash-nested-sharing": (
        "GET /allocation_candidates: upstream answers 500 (a KeyError on an "
        "internal provider id in _alloc_candidates_multiple_providers) when a "
        "provider with MISC_SHARES_VIA_AGGREGATE is not a root: it builds "
        "provider summaries only for trees whose root is among the candidates. "
        "Accepted when upstream says 500 with that KeyError, such a nested "
        "sharing provider exists, and Nimbus answers 200."),
    "schema-error-choice": (
        "A body that breaks two JSON Schema rules at the same level: which one "
        "is reported depends on the order of the keywords in the schema dict "
        "(jsonschema's best_match keeps the first of equals). Nimbus's schemas "
        "are its own, in another key order. Accepted when both sides refuse "
        "the same instance with a schema failure; the rule named may differ."),
    "message-set-order": (
        "'Inventory for 'A, B' on resource provider 'X, Y' invalid.': upstream "
        "joins the classes and the providers without inventory from sets; "
        "compared as sets."),
}


def explain(differ: Differ, call: Call, upstream: dict[str, Any],
            nimbus: dict[str, Any]) -> str | None:
    """The name of the KNOWN exception that explains the difference, if any."""
    if _message_sets_agree(upstream, nimbus):
        return "message-set-order"
    if _schema_choice(upstream, nimbus):
        return "schema-error-choice"
    if _nested_sharing_crash(differ, call, upstream, nimbus):
        return "upstream-crash-nested-sharing"
    if _limited_candidates_agree(differ, call, upstream, nimbus):
        return "limit-order"
    return None


_INVALID_INVENTORY = re.compile(r"^(.*Inventory for ')(.*)(' on resource provider ')(.*)"
                                r"(' invalid\.)$")


def _message_sets_agree(upstream: dict[str, Any], nimbus: dict[str, Any]) -> bool:
    def folded(answer: dict[str, Any]) -> Any:
        body = answer.get("body")
        if not (isinstance(body, dict) and isinstance(body.get("errors"), list)):
            return None
        out = json.loads(canonical(answer))
        for error in out["body"]["errors"]:
            match = _INVALID_INVENTORY.match(error.get("detail", ""))
            if match:
                parts = list(match.groups())
                parts[1] = ", ".join(sorted(parts[1].split(", ")))
                parts[3] = ", ".join(sorted(parts[3].split(", ")))
                error["detail"] = "".join(parts)
        return out

    mine = folded(upstream)
    return mine is not None and mine == folded(nimbus)


_SCHEMA_FAILURE = re.compile(r"^JSON does not validate: .* <schema> (On instance.*)$")


def _schema_choice(upstream: dict[str, Any], nimbus: dict[str, Any]) -> bool:
    def instance(answer: dict[str, Any]) -> str | None:
        body = answer.get("body")
        if not (isinstance(body, dict) and isinstance(body.get("errors"), list)
                and len(body["errors"]) == 1):
            return None
        match = _SCHEMA_FAILURE.match(str(body["errors"][0].get("detail", "")))
        return match.group(1) if match else None

    def rest(answer: dict[str, Any]) -> str:
        return canonical({k: v for k, v in answer.items() if k != "body"})

    mine = instance(upstream)
    return (mine is not None and mine == instance(nimbus) and rest(upstream) == rest(nimbus)
            and upstream["status"] == 400)


_KEY_ERROR = re.compile(r"^The server has either erred or is incapable of performing the "
                        r"requested operation\. \d+$")


def _nested_sharing_crash(differ: Differ, call: Call, upstream: dict[str, Any],
                          nimbus: dict[str, Any]) -> bool:
    if not (call.path.startswith("/allocation_candidates?") and upstream["status"] == 500
            and nimbus["status"] == 200):
        return False
    errors = upstream["body"].get("errors") if isinstance(upstream["body"], dict) else None
    if not errors or not _KEY_ERROR.match(str(errors[0].get("detail", ""))):
        return False
    sharing, _ = differ.exchange(Call("sharing providers", "GET",
                                      f"/resource_providers?required={SHARES}", "1.18"))
    return any(rp.get("parent_provider_uuid")
               for rp in (sharing.body or {}).get("resource_providers", []))


def _providers_of(request: dict[str, Any]) -> set[str]:
    allocations = request.get("allocations")
    if isinstance(allocations, dict):
        return set(allocations)
    return {a["resource_provider"]["uuid"] for a in allocations or []}


def _limited_candidates_agree(differ: Differ, call: Call, upstream: dict[str, Any],
                              nimbus: dict[str, Any]) -> bool:
    parts = urllib.parse.urlsplit(call.path)
    params = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    limits = [v for k, v in params if k == "limit"]
    if (parts.path != "/allocation_candidates" or not limits or not limits[0].isdigit()
            or upstream["status"] != 200 or nimbus["status"] != 200):
        return False
    unlimited = Call(call.kind + " (without limit)", call.method,
                     "/allocation_candidates" + query([(k, v) for k, v in params
                                                       if k != "limit"]),
                     call.version, call.body, call.headers)
    full_up, full_nimbus = differ.exchange(unlimited)
    full = normalise(unlimited, full_up, differ.upstream_url)
    if full != normalise(unlimited, full_nimbus, differ.nimbus_url):
        return False
    everything = full["body"].get("allocation_requests", [])
    summaries = full["body"].get("provider_summaries", {})
    roots = {uuid: s.get("root_provider_uuid") for uuid, s in summaries.items()}
    for side in (upstream, nimbus):
        kept = side["body"].get("allocation_requests", [])
        if len(kept) != min(int(limits[0]), len(everything)):
            return False
        pool = list(map(canonical, everything))
        for request in kept:
            if canonical(request) not in pool:
                return False
            pool.remove(canonical(request))
        mine = side["body"].get("provider_summaries", {})
        used = set().union(*(_providers_of(r) for r in kept)) if kept else set()
        if not used <= set(mine) or any(summaries.get(k) != v for k, v in mine.items()):
            return False
        if all(roots.values()):  # 1.29: the trees of the kept candidates, whole
            trees = {roots[rp] for rp in used}
            if set(mine) != {rp for rp, root in roots.items() if root in trees}:
                return False
    return True


# Running sequences.

@contextlib.contextmanager
def placements(workdir: str, backend: str = "sqlite") -> Iterator[tuple[str, str, str]]:
    """(Nimbus URL, upstream URL, upstream's log): both fresh, on empty
    databases (upstream's SQLite, Nimbus's of the `backend` kind)."""
    from tests.support.backends import fresh_database
    from tests.support.cloud import RunningPlacement, free_port

    venv = upstream_venv()
    up_dir = os.path.join(workdir, "upstream")
    nimbus_dir = os.path.join(workdir, "nimbus")
    os.makedirs(up_dir)
    os.makedirs(nimbus_dir)
    upstream = UpstreamPlacement(venv, free_port(), up_dir)
    try:
        with fresh_database(backend, nimbus_dir, "placement") as url:
            nimbus = RunningPlacement(nimbus_dir, url)
            try:
                yield nimbus.placement_url, upstream.url, upstream.log_path
            finally:
                nimbus.stop()
    finally:
        upstream.stop()


@dataclass
class Outcome:
    seed: int
    requests: int = 0
    differences: list[Difference] = field(default_factory=list)
    kinds: dict[str, int] = field(default_factory=dict)

    @property
    def unexplained(self) -> list[Difference]:
        return [d for d in self.differences if not d.explained]


def _last_traceback(log_path: str | None) -> str:
    if not log_path or not os.path.exists(log_path):
        return ""
    with open(log_path, errors="replace") as fh:
        lines = fh.read().splitlines()
    tail = [line for line in lines[-60:] if line.strip()]
    return " | ".join(tail[-4:])


def run_sequence(seed: int, steps: int, nimbus_url: str, upstream_url: str,
                 upstream_log: str | None = None) -> Outcome:
    """`steps` requests of the walk seeded `seed`, against fresh servers."""
    outcome = Outcome(seed)
    differ = Differ(nimbus_url, upstream_url)
    walk = Scenario(str(seed)).run()
    try:
        call = next(walk)
        for step in range(steps):
            upstream, a, b, explained = differ.check(call)
            outcome.requests += 1
            outcome.kinds[call.kind] = outcome.kinds.get(call.kind, 0) + 1
            if a != b:
                note = (f"upstream failed: {_last_traceback(upstream_log)}"
                        if upstream.status >= 500 else "")
                outcome.differences.append(Difference(seed, step, call, a, b, explained,
                                                      note))
            call = walk.send(upstream)
    finally:
        walk.close()
        differ.close()
    return outcome


def run_seed(seed: int, steps: int, keep: str | None = None, backend: str = "sqlite") -> Outcome:
    """One sequence on fresh servers, Nimbus on a `backend` database; `keep`:
    a directory to leave their SQLite databases and upstream's log in,
    instead of a temporary one."""
    with contextlib.ExitStack() as stack:
        if keep:
            workdir = os.path.join(keep, f"seed-{seed}")
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            workdir = stack.enter_context(tempfile.TemporaryDirectory(prefix="placement-diff-"))
        nimbus_url, upstream_url, upstream_log = stack.enter_context(
            placements(workdir, backend))
        return run_sequence(seed, steps, nimbus_url, upstream_url, upstream_log)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.support.placement_differential",
        description="Drive Nimbus placement and upstream Placement "
        f"{VERSION} with the same random requests and print every difference.")
    parser.add_argument("--seed", type=int, default=0, help="the first seed (default 0)")
    parser.add_argument("--steps", type=int, default=300, help="requests per sequence")
    parser.add_argument("--sequences", type=int, default=1,
                        help="how many sequences, seeded --seed, --seed+1, ...")
    parser.add_argument("--show-explained", action="store_true",
                        help="print the differences known exceptions explain, too")
    parser.add_argument("--nimbus-database", choices=("sqlite", "postgresql", "mysql"),
                        default="sqlite", help="the database kind Nimbus runs on (upstream "
                        "always runs on SQLite; default sqlite)")
    parser.add_argument("--keep", metavar="DIR",
                        help="leave each sequence's databases and upstream's log in DIR")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.CRITICAL)
    started = time.monotonic()
    total = 0
    explained: dict[str, int] = {}
    unexplained = 0
    for seed in range(args.seed, args.seed + args.sequences):
        begun = time.monotonic()
        try:
            outcome = run_seed(seed, args.steps, args.keep, args.nimbus_database)
        except Unavailable as exc:
            print(f"upstream placement unavailable: {exc}", file=sys.stderr)
            return 2
        total += outcome.requests
        for difference in outcome.differences:
            if difference.explained:
                explained[difference.explained] = explained.get(difference.explained, 0) + 1
                if not args.show_explained:
                    continue
            else:
                unexplained += 1
            print(difference.describe(), flush=True)
        print(f"seed {seed}: {outcome.requests} requests, {len(outcome.unexplained)} unexplained "
              f"and {len(outcome.differences) - len(outcome.unexplained)} explained "
              f"differences, {time.monotonic() - begun:.1f} s", flush=True)
    print(f"{args.sequences} sequences, {total} requests, {unexplained} unexplained differences"
          + "".join(f", {n} explained by {name}" for name, n in sorted(explained.items()))
          + f", {time.monotonic() - started:.1f} s")
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
