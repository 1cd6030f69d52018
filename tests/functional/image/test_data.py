"""Image data through the real clients: uploads and downloads (streamed,
ranged, cut off, refused), multiple stores, and the three import methods,
on an all-in-one with two file stores and web-download allowed to reach a
local HTTP server."""

from __future__ import annotations

import hashlib
import http.server
import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.backends import fresh_database
from tests.support.cli import as_json, cli
from tests.support.cloud import RunningCloud
from tests.support.people import connect

MIB = 1 << 20


class _Files(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:  # keep the test output quiet
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self.path.startswith("/redirect-to/"):
            self.send_response(302)
            self.send_header("Location", self.path[len("/redirect-to/"):])
            self.end_headers()
            return
        super().do_GET()


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    root = tmp_path_factory.mktemp("web")
    handler = lambda *a, **kw: _Files(*a, directory=str(root), **kw)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", root
    server.shutdown()


@pytest.fixture(scope="module")
def cloud(web: tuple[str, Path], tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[RunningCloud]:
    base, _root = web
    port = int(base.rsplit(":", 1)[1])
    data_dir = tmp_path_factory.mktemp("image-cloud")
    # The "broken" store's directory is a file: every write to it fails.
    (data_dir / "images").mkdir()
    (data_dir / "images" / "broken").write_bytes(b"not a directory")
    with fresh_database("sqlite", str(data_dir), "identity") as url:
        running = RunningCloud(
            str(data_dir), url,
            image={"enabled_backends": {"fast": "file", "cheap": "file", "broken": "file"},
                   "default_backend": "fast", "image_size_total": 64},
            import_filtering_opts={"allowed_hosts": ["127.0.0.1"],
                                   "allowed_ports": [80, 443, port]})
        try:
            yield running
        finally:
            running.stop()


@pytest.fixture(scope="module")
def conn(cloud: RunningCloud) -> Any:
    return connect(cloud)


def _store_files(cloud: RunningCloud) -> list[str]:
    found = []
    for name in ("fast", "cheap", "staging"):
        directory = Path(cloud.data_dir) / "images" / name
        if directory.exists():
            found += [f"{name}/{p.name}" for p in directory.iterdir()]
    return sorted(found)


def _files_of(cloud: RunningCloud, image_id: str) -> list[str]:
    return [f for f in _store_files(cloud) if image_id in f]


def _raw(path: Path, size: int, seed: int = 1) -> bytes:
    block = hashlib.sha512(str(seed).encode()).digest() * 16  # 1 KiB
    data = (block * (size // len(block) + 1))[:size]
    path.write_bytes(data)
    return data


def _wait(conn: Any, image_id: str, statuses: set[str], timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        image = conn.image.get_image(image_id)
        if image.status in statuses:
            return image
        assert time.monotonic() < deadline, f"image stayed {image.status}"
        time.sleep(0.2)


def _http(conn: Any, cloud: RunningCloud) -> tuple[str, dict[str, str]]:
    token = conn.session.get_token()
    return f"{cloud.url}/image/v2", {"X-Auth-Token": token}


def test_cli_create_with_file_save_and_info(cloud: RunningCloud, conn: Any,
                                            tmp_path: Path) -> None:
    data = _raw(tmp_path / "disk.raw", 3 * MIB + 17)
    image = as_json(cloud, "image", "create", "--file", str(tmp_path / "disk.raw"),
                    "--disk-format", "raw", "--container-format", "bare", "cli-raw")
    assert image["status"] == "active"
    assert image["size"] == len(data)
    assert image["checksum"] == hashlib.md5(data).hexdigest()
    shown = conn.image.get_image(image["id"])
    assert shown.hash_algo == "sha512"
    assert shown.hash_value == hashlib.sha512(data).hexdigest()
    assert shown.virtual_size == len(data)
    assert _show(cloud, conn, image["id"])["stores"] == "fast"
    cli(cloud, "--os-cloud", "nimbus", "image", "save", "--file", str(tmp_path / "out"),
        image["id"])
    assert (tmp_path / "out").read_bytes() == data

    base, headers = _http(conn, cloud)
    stores = httpx.get(f"{base}/info/stores", headers=headers).json()["stores"]
    assert {s["id"] for s in stores} == {"fast", "cheap", "broken"}
    assert [s["id"] for s in stores if s.get("default")] == ["fast"]
    methods = httpx.get(f"{base}/info/import", headers=headers).json()
    assert set(methods["import-methods"]["value"]) == {"glance-direct", "web-download",
                                                      "copy-image"}


def test_streamed_upload_ranges_and_store_header(cloud: RunningCloud, conn: Any) -> None:
    base, headers = _http(conn, cloud)
    image = conn.image.create_image(name="ranges", disk_format="raw", container_format="bare")
    block = os.urandom(MIB)

    def body() -> Iterator[bytes]:  # no length: a chunked upload of unknown size
        for _ in range(5):
            yield block

    put = httpx.put(f"{base}/images/{image.id}/file", content=body(), timeout=60,
                    headers={**headers, "Content-Type": "application/octet-stream",
                             "X-Image-Meta-Store": "cheap"})
    assert put.status_code == 204, put.text
    shown = conn.image.get_image(image.id)
    assert (shown.status, shown.size) == ("active", 5 * MIB)
    assert _show(cloud, conn, image.id)["stores"] == "cheap"

    full = httpx.get(f"{base}/images/{image.id}/file", headers=headers)
    assert full.headers["content-md5"] == hashlib.md5(block * 5).hexdigest()
    part = httpx.get(f"{base}/images/{image.id}/file",
                     headers={**headers, "Range": f"bytes={MIB - 3}-{MIB + 4}"})
    assert part.status_code == 206
    assert part.content == (block * 2)[MIB - 3:MIB + 5]
    assert part.headers["content-range"] == f"bytes {MIB - 3}-{MIB + 4}/{5 * MIB}"
    tail = httpx.get(f"{base}/images/{image.id}/file", headers={**headers, "Range": "bytes=-7"})
    assert tail.content == block[-7:]
    beyond = httpx.get(f"{base}/images/{image.id}/file",
                       headers={**headers, "Range": f"bytes={5 * MIB}-"})
    assert beyond.status_code == 416

    again = httpx.put(f"{base}/images/{image.id}/file", content=b"x", headers={
        **headers, "Content-Type": "application/octet-stream"})
    assert again.status_code == 409
    wrong_type = conn.image.create_image(name="t", disk_format="raw", container_format="bare")
    refused = httpx.put(f"{base}/images/{wrong_type.id}/file", content=b"x",
                        headers={**headers, "Content-Type": "application/json"})
    assert refused.status_code == 415
    unknown = httpx.put(f"{base}/images/{wrong_type.id}/file", content=b"x", headers={
        **headers, "Content-Type": "application/octet-stream", "X-Image-Meta-Store": "nope"})
    assert unknown.status_code == 400
    assert conn.image.get_image(wrong_type.id).status == "queued"


def test_cut_off_upload_leaves_queued_image_and_no_file(cloud: RunningCloud, conn: Any) -> None:
    image = conn.image.create_image(name="cut", disk_format="raw", container_format="bare")
    token = conn.session.get_token()
    request = (f"PUT /image/v2/images/{image.id}/file HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               f"X-Auth-Token: {token}\r\nContent-Type: application/octet-stream\r\n"
               f"Content-Length: {8 * MIB}\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", cloud.port)) as sock:
        sock.sendall(request + b"\0" * (3 * MIB))
    deadline = time.monotonic() + 15
    while conn.image.get_image(image.id).status != "queued" or _files_of(cloud, image.id):
        assert time.monotonic() < deadline, (conn.image.get_image(image.id).status,
                                             _files_of(cloud, image.id))
        time.sleep(0.1)
    # The image can still take its data afterwards.
    base, headers = _http(conn, cloud)
    put = httpx.put(f"{base}/images/{image.id}/file", content=b"\1" * 1000,
                    headers={**headers, "Content-Type": "application/octet-stream"})
    assert put.status_code == 204


def test_size_quota_cuts_upload_off(cloud: RunningCloud, conn: Any) -> None:
    base, headers = _http(conn, cloud)
    image = conn.image.create_image(name="big", disk_format="raw", container_format="bare")

    def body() -> Iterator[bytes]:
        for _ in range(80):  # 80 MiB against the 64 MiB image_size_total
            yield b"\0" * MIB

    put = httpx.put(f"{base}/images/{image.id}/file", content=body(), timeout=60,
                    headers={**headers, "Content-Type": "application/octet-stream"})
    assert put.status_code == 413
    assert conn.image.get_image(image.id).status == "queued"
    assert _files_of(cloud, image.id) == []


def test_format_mismatch_and_unsafe_qcow2_are_refused(cloud: RunningCloud, conn: Any,
                                                      tmp_path: Path) -> None:
    base, headers = _http(conn, cloud)
    upload = {**headers, "Content-Type": "application/octet-stream"}
    liar = conn.image.create_image(name="liar", disk_format="qcow2", container_format="bare")
    put = httpx.put(f"{base}/images/{liar.id}/file", content=b"\0" * 65536, headers=upload)
    assert put.status_code == 400
    assert "qcow2" in put.text
    assert conn.image.get_image(liar.id).status == "queued"
    assert _files_of(cloud, liar.id) == []

    backing = tmp_path / "base.raw"
    backing.write_bytes(b"\0" * MIB)
    child = tmp_path / "child.qcow2"
    subprocess.run(["qemu-img", "create", "-f", "qcow2", "-b", str(backing), "-F", "raw",
                    str(child)], check=True, capture_output=True)
    sneaky = conn.image.create_image(name="sneaky", disk_format="qcow2",
                                     container_format="bare")
    put = httpx.put(f"{base}/images/{sneaky.id}/file", content=child.read_bytes(),
                    headers=upload)
    assert put.status_code == 400
    assert "backing" in put.text.lower()
    assert conn.image.get_image(sneaky.id).status == "queued"

    good = tmp_path / "good.qcow2"
    subprocess.run(["qemu-img", "create", "-f", "qcow2", str(good), "3M"], check=True,
                   capture_output=True)
    fine = conn.image.create_image(name="fine", disk_format="qcow2", container_format="bare")
    put = httpx.put(f"{base}/images/{fine.id}/file", content=good.read_bytes(), headers=upload)
    assert put.status_code == 204, put.text
    assert conn.image.get_image(fine.id).virtual_size == 3 * MIB


def test_glance_direct_import(cloud: RunningCloud, conn: Any) -> None:
    base, headers = _http(conn, cloud)
    data = os.urandom(2 * MIB + 5)
    image = conn.image.create_image(name="direct", disk_format="raw", container_format="bare")
    staged = httpx.put(f"{base}/images/{image.id}/stage", content=data,
                       headers={**headers, "Content-Type": "application/octet-stream"})
    assert staged.status_code == 204, staged.text
    assert conn.image.get_image(image.id).status == "uploading"
    assert any(f.startswith("staging/") for f in _files_of(cloud, image.id))
    imported = httpx.post(f"{base}/images/{image.id}/import", headers=headers,
                          json={"method": {"name": "glance-direct"},
                                "stores": ["fast", "cheap"]})
    assert imported.status_code == 202, imported.text
    done = _wait(conn, image.id, {"active"})
    _wait_props(cloud, conn, image.id, lambda p: not p.get("os_glance_importing_to_stores"))
    assert sorted(_show(cloud, conn, image.id)["stores"].split(",")) == ["cheap", "fast"]
    assert done.checksum == hashlib.md5(data).hexdigest()
    assert sorted(f.split("/")[0] for f in _files_of(cloud, image.id)) == ["cheap", "fast"]
    tasks = httpx.get(f"{base}/images/{image.id}/tasks", headers=headers).json()["tasks"]
    assert [(t["type"], t["status"]) for t in tasks] == [("api_image_import", "success")]
    downloaded = httpx.get(f"{base}/images/{image.id}/file", headers=headers)
    assert downloaded.content == data

    # Removing one copy keeps the other; the last one cannot be removed.
    gone = httpx.delete(f"{cloud.url}/image/v2/stores/cheap/{image.id}", headers=headers)
    assert gone.status_code == 204
    assert _show(cloud, conn, image.id)["stores"] == "fast"
    last = httpx.delete(f"{cloud.url}/image/v2/stores/fast/{image.id}", headers=headers)
    assert last.status_code == 403
    conn.image.delete_image(image.id)
    assert _files_of(cloud, image.id) == []


def _show(cloud: RunningCloud, conn: Any, image_id: str) -> dict[str, Any]:
    """The image as the API shows it (the sdk hides some attributes)."""
    base, headers = _http(conn, cloud)
    shown: dict[str, Any] = httpx.get(f"{base}/images/{image_id}", headers=headers).json()
    return shown


def _wait_props(cloud: RunningCloud, conn: Any, image_id: str, ok: Any,
                timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        props = _show(cloud, conn, image_id)
        if ok(props):
            return dict(props)
        assert time.monotonic() < deadline, props
        time.sleep(0.2)


def test_web_download_import_and_refusals(cloud: RunningCloud, conn: Any,
                                          web: tuple[str, Path]) -> None:
    url, root = web
    data = os.urandom(MIB + 3)
    (root / "disk.raw").write_bytes(data)
    base, headers = _http(conn, cloud)

    image = conn.image.create_image(name="web", disk_format="raw", container_format="bare")
    started = httpx.post(f"{base}/images/{image.id}/import", headers=headers, json={
        "method": {"name": "web-download", "uri": f"{url}/redirect-to/{url}/disk.raw"}})
    assert started.status_code == 202, started.text
    done = _wait(conn, image.id, {"active"})
    assert done.checksum == hashlib.md5(data).hexdigest()

    for n, refused in enumerate(("http://169.254.169.254/latest", "ftp://127.0.0.1/x",
                    "http://10.0.0.1/disk", f"http://127.0.0.2:{url.rsplit(':', 1)[1]}/d")):
        other = conn.image.create_image(name=f"refused-{n}", disk_format="raw",
                                        container_format="bare")
        answer = httpx.post(f"{base}/images/{other.id}/import", headers=headers, json={
            "method": {"name": "web-download", "uri": refused}})
        assert answer.status_code == 400, refused
        assert conn.image.get_image(other.id).status == "queued"

    # A redirect to a refused address is checked again and fails the import.
    sneaky = conn.image.create_image(name="sneaky", disk_format="raw", container_format="bare")
    started = httpx.post(f"{base}/images/{sneaky.id}/import", headers=headers, json={
        "method": {"name": "web-download",
                   "uri": f"{url}/redirect-to/http://169.254.169.254/latest"}})
    assert started.status_code == 202
    props = _wait_props(cloud, conn, sneaky.id, lambda p: p.get("os_glance_failed_import"))
    assert props["os_glance_failed_import"] == "fast"
    assert _wait(conn, sneaky.id, {"queued"}).status == "queued"
    tasks = httpx.get(f"{base}/images/{sneaky.id}/tasks", headers=headers).json()["tasks"]
    assert tasks[0]["status"] == "failure"
    assert "169.254.169.254" in tasks[0]["message"]
    assert _files_of(cloud, sneaky.id) == []


def test_copy_image_and_import_conflicts(cloud: RunningCloud, conn: Any) -> None:
    base, headers = _http(conn, cloud)
    image = conn.image.create_image(name="copy", disk_format="raw", container_format="bare")
    put = httpx.put(f"{base}/images/{image.id}/file", content=b"\7" * 4096,
                    headers={**headers, "Content-Type": "application/octet-stream"})
    assert put.status_code == 204
    again = httpx.post(f"{base}/images/{image.id}/import", headers=headers,
                       json={"method": {"name": "glance-direct"}})
    assert again.status_code == 409
    present = httpx.post(f"{base}/images/{image.id}/import", headers=headers,
                         json={"method": {"name": "copy-image"}, "stores": ["fast"]})
    assert present.status_code == 400
    copied = httpx.post(f"{base}/images/{image.id}/import", headers=headers,
                        json={"method": {"name": "copy-image"}, "all_stores": True,
                              "all_stores_must_succeed": False})
    assert copied.status_code == 202
    props = _wait_props(cloud, conn, image.id,
                        lambda p: not p.get("os_glance_importing_to_stores"))
    assert props["os_glance_failed_import"] == "broken"
    assert sorted(props["stores"].split(",")) == ["cheap", "fast"]
    bad = httpx.post(f"{base}/images/{image.id}/import", headers=headers,
                     json={"method": {"name": "teleport"}})
    assert bad.status_code == 400


def test_cli_stage_and_import(cloud: RunningCloud, conn: Any, web: tuple[str, Path],
                              tmp_path: Path) -> None:
    url, root = web
    data = _raw(tmp_path / "staged.raw", MIB + 11, seed=7)
    (root / "cli.raw").write_bytes(data)

    def osc(*args: str) -> None:
        cli(cloud, "--os-cloud", "nimbus", "--os-image-api-version", "2", *args)

    # Created through the sdk: `openstack image create` run without a
    # terminal would upload its (empty) standard input as the image data.
    direct = {"id": conn.image.create_image(name="cli-direct", disk_format="raw",
                                            container_format="bare").id}
    osc("image", "stage", "--file", str(tmp_path / "staged.raw"), direct["id"])
    osc("image", "import", "--method", "glance-direct", direct["id"])
    assert _wait(conn, direct["id"], {"active"}).checksum == hashlib.md5(data).hexdigest()

    fetched = {"id": conn.image.create_image(name="cli-web", disk_format="raw",
                                             container_format="bare").id}
    osc("image", "import", "--method", "web-download", "--uri", f"{url}/cli.raw",
        fetched["id"])
    assert _wait(conn, fetched["id"], {"active"}).size == len(data)

    osc("image", "import", fetched["id"], "--method", "copy-image", "--store", "cheap")
    _wait_props(cloud, conn, fetched["id"],
                lambda p: sorted(p.get("stores", "").split(",")) == ["cheap", "fast"])


def test_unwritable_store_answers_503_and_harms_nothing(cloud: RunningCloud, conn: Any) -> None:
    base, headers = _http(conn, cloud)
    upload = {**headers, "Content-Type": "application/octet-stream"}
    kept = conn.image.create_image(name="kept", disk_format="raw", container_format="bare")
    assert httpx.put(f"{base}/images/{kept.id}/file", content=b"\3" * 5000,
                     headers=upload).status_code == 204
    doomed = conn.image.create_image(name="doomed", disk_format="raw", container_format="bare")
    put = httpx.put(f"{base}/images/{doomed.id}/file", content=b"\4" * 5000,
                    headers={**upload, "X-Image-Meta-Store": "broken"})
    assert put.status_code == 503
    assert conn.image.get_image(doomed.id).status == "queued"
    assert httpx.get(f"{base}/images/{kept.id}/file", headers=headers).content == b"\3" * 5000
