"""Scale-out: the API, a conductor per cell, a scheduler and compute agents as
separate processes over RabbitMQ, on PostgreSQL or MariaDB, with two cells
that each have a database and a broker virtual host of their own."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import openstack
import pytest
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from tests.support.backends import fresh_database, need, required
from tests.support.cloud import free_port

BIN = os.path.dirname(sys.executable)
ADMIN_PASSWORD = "scaleout-admin"
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("scaleout")]


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)


@contextlib.contextmanager
def vhost() -> Iterator[str]:
    """A broker virtual host of its own (what a cell's transport URL names)."""
    name = f"nimbus_test_{uuid.uuid4().hex[:8]}"
    try:
        rabbitmqctl("add_vhost", name)
        rabbitmqctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
    except (OSError, subprocess.CalledProcessError) as err:
        message = f"cannot create a RabbitMQ virtual host with rabbitmqctl: {err}"
        if required():
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield f"rabbit://guest:guest@127.0.0.1:5672/{name}"
    finally:
        with contextlib.suppress(OSError, subprocess.CalledProcessError):
            rabbitmqctl("delete_vhost", name)


@dataclass
class Deployment:
    tmp: Path
    port: int
    confs: dict[str, Path]
    procs: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def nimbus(self, *args: str, conf: str = "cell1") -> str:
        result = subprocess.run([os.path.join(BIN, "nimbus"), *args, "--config-file",
                                 str(self.confs[conf])], capture_output=True, text=True,
                                timeout=180)
        assert result.returncode == 0, f"nimbus {' '.join(args)}: {result.stderr[-3000:]}"
        return result.stdout

    def start(self, name: str, *args: str, conf: str = "cell1") -> None:
        log = open(self.tmp / f"{name}.log", "wb")  # noqa: SIM115 (closed by the process end)
        proc = subprocess.Popen([os.path.join(BIN, "nimbus"), *args, "--config-file",
                                 str(self.confs[conf])], stdout=log, stderr=subprocess.STDOUT)
        self.procs.append((name, proc))

    def logs(self) -> str:
        out = []
        for name, _ in self.procs:
            text = (self.tmp / f"{name}.log").read_text(errors="replace")
            out.append(f"--- {name} ---\n{text[-4000:]}")
        return "\n".join(out)

    def stop(self) -> None:
        for _, proc in self.procs:
            proc.terminate()
        for _, proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def _conf(tmp: Path, port: int, transport: str, urls: dict[str, str], cell_url: str) -> str:
    sections = [
        f"[DEFAULT]\ndata_dir = {tmp / 'data'}\ntransport_url = {transport}\n",
        f"[api]\nbind_port = {port}\nenabled_services = identity,placement,image,compute\n",
        "[identity]\npassword_hash_cost = 10\n",
        f"[service_user]\nauth_url = http://127.0.0.1:{port}/identity/v3\n"
        "password = scaleout-service\ninterface = public\n",
        "[compute]\nreport_interval = 2\nupdate_resources_interval = 10\n",
        "[scheduler]\ndiscover_hosts_in_cells_interval = 2\n",
    ]
    for name, url in urls.items():
        sections.append(f"[{name}_database]\nconnection = {url}\n")
    sections.append(f"[cell_database]\nconnection = {cell_url}\n")
    return "\n".join(sections)


@pytest.fixture(scope="module", params=["postgresql", "mysql"])
def deployment(request: pytest.FixtureRequest,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    backend = str(request.param)
    need("rabbitmq")
    need(backend)
    tmp = tmp_path_factory.mktemp(f"scaleout-{backend}")
    port = free_port()
    with contextlib.ExitStack() as stack:
        urls = {name: stack.enter_context(fresh_database(backend, str(tmp), name))
                for name in ("identity", "placement", "image", "api", "cell0", "cell1",
                             "cell2")}
        transports = {"cell1": stack.enter_context(vhost()),
                      "cell2": stack.enter_context(vhost())}
        confs = {}
        for cell in ("cell1", "cell2"):
            path = tmp / f"{cell}.conf"
            shared = {k: v for k, v in urls.items() if k not in ("cell1", "cell2")}
            path.write_text(_conf(tmp, port, transports[cell], shared, urls[cell]))
            confs[cell] = path
        dep = Deployment(tmp, port, confs)
        dep.nimbus("manage", "db", "sync")
        dep.nimbus("manage", "bootstrap", "--bootstrap-password", ADMIN_PASSWORD)
        dep.nimbus("manage", "cell_v2", "map_cell0", "--database_connection", urls["cell0"])
        dep.nimbus("manage", "cell_v2", "create_cell", "--name", "cell1",
                   "--database_connection", urls["cell1"], "--transport-url", transports["cell1"])
        dep.nimbus("manage", "cell_v2", "create_cell", "--name", "cell2",
                   "--database_connection", urls["cell2"], "--transport-url", transports["cell2"])
        dep.nimbus("manage", "db", "sync")  # the new cells' schemas
        try:
            dep.start("api", "api")
            _wait_for_api(dep)
            dep.start("conductor", "conductor")  # API level, and cell1's
            dep.start("conductor-cell2", "conductor", "--role", "cell", conf="cell2")
            dep.start("scheduler", "scheduler")
            dep.start("compute-a", "compute", "--host", "c1a")
            dep.start("compute-b", "compute", "--host", "c1b")
            dep.start("compute-c", "compute", "--host", "c2", conf="cell2")
            _wait_for_hosts(dep, {"c1a", "c1b", "c2"})
            yield dep
        except BaseException:
            sys.stderr.write(dep.logs())
            raise
        finally:
            dep.stop()


def _wait_for_api(dep: Deployment) -> None:
    deadline = time.monotonic() + 60
    while True:
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{dep.url}/identity/v3").status_code == 200:
                return
        assert time.monotonic() < deadline, dep.logs()
        time.sleep(0.2)


def _wait_for_hosts(dep: Deployment, hosts: set[str]) -> None:
    deadline = time.monotonic() + 90
    while True:
        listed = dep.nimbus("manage", "cell_v2", "list_hosts")
        if all(h in listed.split() for h in hosts):
            return
        assert time.monotonic() < deadline, listed + dep.logs()
        time.sleep(1)


def connect(dep: Deployment) -> openstack.connection.Connection:
    auth = v3.Password(auth_url=f"{dep.url}/identity", username="admin",
                       password=ADMIN_PASSWORD, user_domain_id="default",
                       project_name="admin", project_domain_id="default")
    return openstack.connection.Connection(session=ks_session.Session(auth=auth),
                                           region_name="RegionOne", identity_api_version="3")


def compute(conn: openstack.connection.Connection, method: str, path: str,
            body: Any = None, version: str = "2.74") -> Any:
    resp = conn.session.request(f"{conn.compute.get_endpoint()}{path}", method, json=body,
                                headers={"OpenStack-API-Version": f"compute {version}"},
                                raise_exc=False)
    return resp


def wait_status(conn: openstack.connection.Connection, server_id: str, status: str,
                dep: Deployment) -> dict[str, Any]:
    deadline = time.monotonic() + 90
    while True:
        resp = compute(conn, "GET", f"/servers/{server_id}")
        if status == "DELETED" and resp.status_code == 404:
            return {}
        body = resp.json()["server"]
        if body["status"] == status:
            return dict(body)
        assert body["status"] != "ERROR", body.get("fault")
        assert time.monotonic() < deadline, f"{body['status']}\n{dep.logs()}"
        time.sleep(0.3)


def test_boot_list_delete_across_cells(deployment: Deployment) -> None:
    conn = connect(deployment)
    image = conn.image.create_image(name="scaleout", disk_format="raw",
                                    container_format="bare", data=b"\0" * 1024)
    flavor = compute(conn, "POST", "/flavors", {"flavor": {
        "name": f"so-{uuid.uuid4().hex[:6]}", "ram": 256, "vcpus": 1, "disk": 1}}).json()["flavor"]
    servers = {}
    for host in ("c1a", "c1b", "c2"):
        resp = compute(conn, "POST", "/servers", {"server": {
            "name": f"on-{host}", "imageRef": image.id, "flavorRef": flavor["id"],
            "networks": "none", "host": host}})
        assert resp.status_code == 202, resp.text
        servers[host] = resp.json()["server"]["id"]
    for host, server_id in servers.items():
        body = wait_status(conn, server_id, "ACTIVE", deployment)
        assert body["OS-EXT-SRV-ATTR:host"] == host
    listed = compute(conn, "GET", "/servers/detail?sort_key=display_name&sort_dir=asc").json()
    assert [s["name"] for s in listed["servers"]] == ["on-c1a", "on-c1b", "on-c2"]
    page = compute(conn, "GET", "/servers?sort_key=display_name&sort_dir=desc&limit=2").json()
    assert [s["name"] for s in page["servers"]] == ["on-c2", "on-c1b"]
    for server_id in servers.values():
        assert compute(conn, "DELETE", f"/servers/{server_id}").status_code == 204
    for server_id in servers.values():
        wait_status(conn, server_id, "DELETED", deployment)
        allocations = conn.session.get(
            f"{deployment.url}/placement/allocations/{server_id}").json()["allocations"]
        assert allocations == {}
