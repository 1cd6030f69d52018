"""Image stores: the file store's write/commit/read/delete cycle, the read-only
http store, and building the store set from the configuration."""

from __future__ import annotations

import errno
import gc
import logging
import os
import pathlib
from collections.abc import Iterator
from typing import Any

import pytest
from oslo_config import cfg

from nimbus.common import config
from nimbus.image.store import (
    BadStoreConfiguration,
    DataNotFound,
    DuplicateData,
    FilesystemStore,
    HttpStore,
    StoreError,
    StoreFull,
    StoreNotFound,
    StoreReadOnly,
    Stores,
    StoreUnavailable,
    options,
)
from tests.unit.image.local_http import LocalServer, local_server

IMAGE_ID = "8f7e1c2a-3b4d-4e5f-9a0b-1c2d3e4f5a6b"


def make_conf(
    data_dir: pathlib.Path,
    backends: dict[str, str] | None = None,
    default: str | None = None,
    groups: dict[str, dict[str, Any]] | None = None,
) -> cfg.ConfigOpts:
    conf = cfg.ConfigOpts()
    conf.register_opts(config.DEFAULT_OPTS)
    for group, opts in options.list_opts():
        conf.register_opts(opts, group=group)
    conf([], default_config_files=[], default_config_dirs=[])
    conf.set_override("data_dir", str(data_dir))
    if backends is not None:
        conf.set_override("enabled_backends", backends, group="image")
    if default is not None:
        conf.set_override("default_backend", default, group="image")
    options.register_store_opts(conf)
    for group, values in (groups or {}).items():
        for key, value in values.items():
            conf.set_override(key, value, group=group)
    return conf


def write(store: FilesystemStore, data: bytes, image_id: str = IMAGE_ID) -> str:
    writer = store.begin(image_id)
    writer.write(data[:3])
    writer.write(memoryview(data)[3:])
    return writer.commit()


@pytest.fixture
def store(tmp_path: pathlib.Path) -> FilesystemStore:
    return FilesystemStore("local", str(tmp_path / "local"))


def test_default_configuration(tmp_path: pathlib.Path) -> None:
    stores = Stores.from_conf(make_conf(tmp_path))
    assert [s.name for s in stores.all()] == ["local"]
    local = stores.default
    assert isinstance(local, FilesystemStore)
    assert local.directory == str(tmp_path / "images" / "local")
    assert stores.staging.name == "os_glance_staging_store"
    assert stores.staging.directory == str(tmp_path / "images" / "staging")
    assert stores.get("os_glance_staging_store") is stores.staging
    assert local.info() == {"id": "local", "default": "true"}
    with pytest.raises(StoreNotFound) as caught:
        stores.get("nope")
    assert caught.value.status == 400


def test_write_commit_read(store: FilesystemStore) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    writer = store.begin(IMAGE_ID)
    writer.write(data)
    temp = writer.temp_path
    assert temp is not None and pathlib.Path(temp).read_bytes() == data
    assert not (pathlib.Path(store.directory) / IMAGE_ID).exists()  # not visible yet
    location = writer.commit()
    assert location == "file://" + os.path.join(store.directory, IMAGE_ID)
    assert writer.temp_path is None and not pathlib.Path(temp).exists()
    assert store.owns(location)
    assert store.size(location) == len(data)
    assert store.local_path(location) == os.path.join(store.directory, IMAGE_ID)
    chunks = list(store.open(location))
    assert b"".join(chunks) == data
    assert max(len(c) for c in chunks) == 1 << 20
    assert os.listdir(store.directory) == [IMAGE_ID]


@pytest.mark.parametrize(
    ("offset", "length", "chunk_size"),
    [(0, 10, 4), (5, None, 7), (100, 0, 8), (0, 5000, 1000), (4000, 500, 64), (10**6, None, 9)],
)
def test_read_ranges(store: FilesystemStore, offset: int, length: int | None,
                     chunk_size: int) -> None:
    data = os.urandom(4096)
    location = write(store, data)
    chunks = list(store.open(location, offset, length, chunk_size=chunk_size))
    end = None if length is None else offset + length
    assert b"".join(chunks) == data[offset:end]
    assert all(len(c) <= chunk_size for c in chunks)


def test_read_missing_data(store: FilesystemStore) -> None:
    location = "file://" + os.path.join(store.directory, IMAGE_ID)
    with pytest.raises(DataNotFound):
        store.open(location)
    with pytest.raises(DataNotFound):
        store.size(location)


@pytest.mark.parametrize("path", ["/etc/passwd", "{dir}/../x", "{dir}/.tmp-x", "{dir}/sub/x"])
def test_locations_outside_the_store_are_refused(store: FilesystemStore, path: str) -> None:
    location = "file://" + path.format(dir=store.directory)
    assert not store.owns(location)
    with pytest.raises(DataNotFound):
        store.open(location)
    with pytest.raises(DataNotFound):
        store.delete(location)


def test_delete_is_idempotent(store: FilesystemStore, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="nimbus.image.store.filesystem")
    location = write(store, b"some data")
    store.delete(location)
    assert os.listdir(store.directory) == []
    store.delete(location)
    assert "already gone" in caplog.text
    with pytest.raises(DataNotFound):
        store.open(location)


def test_abort_leaves_no_file(store: FilesystemStore) -> None:
    writer = store.begin(IMAGE_ID)
    writer.write(b"x" * 1000)
    writer.abort()
    writer.abort()
    assert os.listdir(store.directory) == []
    with pytest.raises(StoreError):
        writer.write(b"more")
    with pytest.raises(StoreError):
        writer.commit()


def test_dropped_writer_leaves_no_file(store: FilesystemStore) -> None:
    writer = store.begin(IMAGE_ID)
    writer.write(b"forgotten")
    del writer
    gc.collect()
    assert os.listdir(store.directory) == []


def test_commit_refuses_to_replace(store: FilesystemStore) -> None:
    location = write(store, b"first")
    with pytest.raises(DuplicateData) as caught:
        write(store, b"second")
    assert caught.value.status == 409
    assert b"".join(store.open(location)) == b"first"
    assert os.listdir(store.directory) == [IMAGE_ID]


@pytest.mark.parametrize("image_id", ["../evil", ".hidden", "a/b", ""])
def test_unsafe_image_ids(store: FilesystemStore, image_id: str) -> None:
    with pytest.raises(StoreError):
        store.begin(image_id)


def test_two_directories_two_stores(tmp_path: pathlib.Path) -> None:
    conf = make_conf(
        tmp_path,
        backends={"fast": "file", "cheap": "file"},
        default="cheap",
        groups={"fast": {"filesystem_store_datadir": str(tmp_path / "ssd"),
                         "store_description": "Fast disks"}},
    )
    stores = Stores.from_conf(conf)
    fast, cheap = stores.get("fast"), stores.get("cheap")
    assert isinstance(fast, FilesystemStore) and isinstance(cheap, FilesystemStore)
    assert fast.directory == str(tmp_path / "ssd")
    assert cheap.directory == str(tmp_path / "images" / "cheap")
    assert stores.default is cheap
    assert [s.info() for s in stores.all()] == [
        {"id": "fast", "description": "Fast disks"},
        {"id": "cheap", "default": "true"},
    ]
    on_fast = write(fast, b"fast data")
    on_cheap = write(cheap, b"cheap data")
    assert stores.locate(on_fast) is fast
    assert stores.locate(on_cheap) is cheap
    staged = write(stores.staging, b"staged")
    assert stores.locate(staged) is stores.staging
    assert not fast.owns(on_cheap)
    with pytest.raises(DataNotFound):
        fast.open(on_cheap)
    with pytest.raises(StoreNotFound):
        stores.locate("swift://container/object")


@pytest.mark.parametrize(
    ("backends", "default"),
    [
        ({"local": "file"}, "elsewhere"),
        ({"os_glance_mine": "file", "local": "file"}, "local"),
        ({"web": "http"}, "web"),
    ],
)
def test_bad_configurations(tmp_path: pathlib.Path, backends: dict[str, str],
                            default: str) -> None:
    conf = cfg.ConfigOpts()
    conf.register_opts(config.DEFAULT_OPTS)
    conf.register_opts(options.STORE_OPTS, group="image")
    conf([], default_config_files=[], default_config_dirs=[])
    conf.set_override("enabled_backends", backends, group="image")
    conf.set_override("default_backend", default, group="image")
    with pytest.raises(BadStoreConfiguration):
        Stores.from_conf(conf)


def test_shared_directory_is_refused(tmp_path: pathlib.Path) -> None:
    conf = make_conf(tmp_path, backends={"a": "file", "b": "file"}, default="a",
                     groups={"b": {"filesystem_store_datadir": str(tmp_path / "images" / "a")}})
    with pytest.raises(BadStoreConfiguration):
        Stores.from_conf(conf)


def test_unusable_directory_is_unavailable(tmp_path: pathlib.Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_bytes(b"")
    store = FilesystemStore("local", str(blocker / "images"))
    with pytest.raises(StoreUnavailable) as caught:
        store.begin(IMAGE_ID)
    assert caught.value.status == 503
    assert str(tmp_path) not in str(caught.value)  # no local paths shown to users


def test_read_only_directory_is_unavailable(tmp_path: pathlib.Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # Permissions do not stop root (the tests run as root in CI), so the
    # refusal a read-only directory gives is made by hand.
    import builtins

    real_open = builtins.open

    def refusing_open(path: Any, *args: Any, **kwargs: Any) -> Any:
        if str(path).startswith(str(tmp_path / "ro")):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", refusing_open)
    directory = tmp_path / "ro"
    directory.mkdir()
    with pytest.raises(StoreUnavailable) as caught:
        FilesystemStore("local", str(directory)).begin(IMAGE_ID)
    assert caught.value.status == 503
    assert list(directory.iterdir()) == []


class _FailingFile:
    """Stands in for the writer's file: fails as a full disk does."""

    def __init__(self, real: Any, err: int) -> None:
        self.real = real
        self.err = err

    def write(self, data: Any) -> int:
        raise OSError(self.err, os.strerror(self.err))

    def fileno(self) -> int:
        return int(self.real.fileno())

    def close(self) -> None:
        self.real.close()


@pytest.mark.parametrize("err", [errno.ENOSPC, errno.EDQUOT])
def test_full_disk_is_store_full(store: FilesystemStore, err: int) -> None:
    writer = store.begin(IMAGE_ID)
    writer._file = _FailingFile(writer._file, err)  # type: ignore[assignment]
    with pytest.raises(StoreFull) as caught:
        writer.write(b"data")
    assert caught.value.status == 413
    writer.abort()
    assert os.listdir(store.directory) == []


def test_io_error_is_unavailable(store: FilesystemStore) -> None:
    writer = store.begin(IMAGE_ID)
    writer._file = _FailingFile(writer._file, errno.EIO)  # type: ignore[assignment]
    with pytest.raises(StoreUnavailable):
        writer.write(b"data")
    writer.abort()
    assert os.listdir(store.directory) == []


def test_sweep_removes_leftover_temp_files(store: FilesystemStore) -> None:
    kept = write(store, b"kept", image_id="kept")
    leftover = store.begin(IMAGE_ID)
    leftover.write(b"half")
    assert store.sweep_temp_files() == 1
    assert os.listdir(store.directory) == ["kept"]
    assert b"".join(store.open(kept)) == b"kept"


# -- the http store --------------------------------------------------------


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with local_server() as running:
        yield running


@pytest.fixture
def http_store() -> Iterator[HttpStore]:
    store = HttpStore("web", description="Images on the web")
    yield store
    store.close()


def test_http_store_is_read_only(http_store: HttpStore) -> None:
    assert http_store.read_only
    with pytest.raises(StoreReadOnly) as caught:
        http_store.begin(IMAGE_ID)
    assert caught.value.status == 410
    assert http_store.info() == {"id": "web", "description": "Images on the web",
                                 "read-only": "true"}
    assert http_store.local_path("http://example.com/x") is None


def test_http_store_reads(server: LocalServer, http_store: HttpStore) -> None:
    data = os.urandom(3 * 1024 * 1024 + 5)
    server.files["/img"] = data
    location = server.url("/img")
    assert http_store.owns(location)
    assert http_store.size(location) == len(data)
    chunks = list(http_store.open(location))
    assert b"".join(chunks) == data
    assert max(len(c) for c in chunks) <= 1 << 20


@pytest.mark.parametrize("honour_range", [True, False])
@pytest.mark.parametrize(
    ("offset", "length"), [(0, 10), (100, None), (4000, 96), (10, 0), (5000, None)]
)
def test_http_store_ranges(server: LocalServer, http_store: HttpStore, honour_range: bool,
                           offset: int, length: int | None) -> None:
    data = os.urandom(4096)
    server.files["/img"] = data
    server.honour_range = honour_range
    end = None if length is None else offset + length
    got = b"".join(http_store.open(server.url("/img"), offset, length, chunk_size=100))
    assert got == data[offset:end]
    if length != 0:
        sent = server.requests[-1][2]
        assert sent.get("Range") == f"bytes={offset}-{'' if end is None else end - 1}"


def test_http_store_follows_redirects(server: LocalServer, http_store: HttpStore) -> None:
    server.files["/real"] = b"moved data"
    server.redirects["/old"] = (302, "/real")
    assert b"".join(http_store.open(server.url("/old"))) == b"moved data"


def test_http_store_missing_and_failing(server: LocalServer, http_store: HttpStore) -> None:
    with pytest.raises(DataNotFound):
        http_store.open(server.url("/missing"))
    with pytest.raises(DataNotFound):
        http_store.size(server.url("/missing"))
    server.files["/broken"] = b"x"
    server.statuses["/broken"] = 500
    with pytest.raises(StoreUnavailable):
        http_store.open(server.url("/broken"))
    http_store.delete(server.url("/broken"))  # read-only: leaves the data alone


def test_http_store_unreachable(http_store: HttpStore) -> None:
    with local_server() as gone:
        url = gone.url("/img")
    with pytest.raises(StoreUnavailable) as caught:
        http_store.open(url)
    assert caught.value.status == 503


def test_http_store_from_conf(tmp_path: pathlib.Path, server: LocalServer) -> None:
    conf = make_conf(tmp_path, backends={"local": "file", "web": "http"},
                     groups={"web": {"https_insecure": True}})
    stores = Stores.from_conf(conf)
    try:
        server.files["/img"] = b"remote"
        web = stores.locate(server.url("/img"))
        assert web is stores.get("web") and isinstance(web, HttpStore)
        assert b"".join(web.open(server.url("/img"))) == b"remote"
    finally:
        stores.close()


def test_glance_style_configuration_file(tmp_path: pathlib.Path) -> None:
    ini = tmp_path / "nimbus.conf"
    ini.write_text(
        "[DEFAULT]\n"
        f"data_dir = {tmp_path}\n"
        "[image]\n"
        "enabled_backends = fast:file, web:http\n"
        "default_backend = fast\n"
        "[fast]\n"
        f"filesystem_store_datadir = {tmp_path / 'fast'}\n"
        "store_description = Fast\n"
        "[web]\n"
        "https_insecure = true\n"
        "[os_glance_staging_store]\n"
        f"filesystem_store_datadir = {tmp_path / 'stage'}\n"
    )
    conf = cfg.ConfigOpts()
    conf.register_opts(config.DEFAULT_OPTS)
    for group, opts in options.list_opts():
        conf.register_opts(opts, group=group)
    conf([], default_config_files=[str(ini)], default_config_dirs=[])
    stores = Stores.from_conf(conf)
    try:
        assert [(s.name, s.type) for s in stores.all()] == [("fast", "file"), ("web", "http")]
        assert stores.default.name == "fast"
        assert conf.web.https_insecure is True
        assert stores.staging.directory == str(tmp_path / "stage")
    finally:
        stores.close()


def test_unknown_store_type_is_refused(tmp_path: pathlib.Path) -> None:
    ini = tmp_path / "nimbus.conf"
    ini.write_text("[image]\nenabled_backends = cloud:swift\n")
    conf = cfg.ConfigOpts()
    conf.register_opts(options.STORE_OPTS, group="image")
    conf([], default_config_files=[str(ini)], default_config_dirs=[])
    with pytest.raises(ValueError):
        conf.image.enabled_backends  # noqa: B018
