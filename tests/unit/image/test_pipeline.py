"""The upload write pipeline: hashes and bytes as hashlib and the disk see
them, limits, failure clean-up, bounded memory and the async face."""

from __future__ import annotations

import hashlib
import os
import pathlib
import random
import threading
import time

import anyio
import pytest

from nimbus.image.store import FilesystemStore, StoreError, StoreFull, StoreUnavailable, Writer
from nimbus.image.store.filesystem import FileWriter
from nimbus.image.store.pipeline import (
    BLOCK_SIZE,
    MAX_BLOCK_SIZE,
    QUEUE_DEPTH,
    SizeLimitExceeded,
    SizeMismatch,
    WritePipeline,
)

MiB = 1 << 20
IMAGE_ID = "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e"


@pytest.fixture
def store(tmp_path: pathlib.Path) -> FilesystemStore:
    return FilesystemStore("local", str(tmp_path / "local"))


def chunks_of(data: bytes, rng: random.Random) -> list[bytes | bytearray | memoryview]:
    """data cut at random places, as bytes, bytearray and memoryview pieces."""
    out: list[bytes | bytearray | memoryview] = []
    at = 0
    kinds = (bytes, bytearray, memoryview)
    while at < len(data):
        n = rng.choice((1, 7, 4096, 65536, BLOCK_SIZE - 1, BLOCK_SIZE + 3, 3 * MiB + 1))
        piece = data[at : at + n]
        out.append(rng.choice(kinds)(piece))
        at += n
    return out


@pytest.mark.parametrize("size", [0, 1, 1000, BLOCK_SIZE - 1, BLOCK_SIZE, BLOCK_SIZE + 1,
                                  MAX_BLOCK_SIZE * 2 + 12345])
def test_hashes_and_data_match_hashlib(store: FilesystemStore, size: int) -> None:
    rng = random.Random(size)
    data = rng.randbytes(size)
    writer = store.begin(IMAGE_ID)
    pipeline = WritePipeline(writer)
    for chunk in chunks_of(data, rng):
        pipeline.feed(chunk)
    result = pipeline.finish()
    assert result.size == size
    assert result.md5 == hashlib.md5(data).hexdigest()
    assert result.hash_algo == "sha512"
    assert result.hash_value == hashlib.sha512(data).hexdigest()
    # finish() leaves the commit to the caller, who may inspect the file first.
    assert writer.temp_path is not None
    assert pathlib.Path(writer.temp_path).read_bytes() == data
    assert os.listdir(store.directory) == [os.path.basename(writer.temp_path)]
    location = writer.commit()
    assert b"".join(store.open(location)) == data
    assert pipeline.finish() is result


def test_reused_caller_buffer_is_copied(store: FilesystemStore) -> None:
    buffer = bytearray(100_000)
    expected = b""
    writer = store.begin(IMAGE_ID)
    pipeline = WritePipeline(writer)
    for i in range(30):
        buffer[:] = bytes([i]) * len(buffer)
        pipeline.feed(memoryview(buffer))
        expected += bytes(buffer)
    result = pipeline.finish()
    assert result.md5 == hashlib.md5(expected).hexdigest()
    assert pathlib.Path(str(writer.temp_path)).read_bytes() == expected
    pipeline.abort()


@pytest.mark.parametrize("algo", ["sha256", "sha384", "md5"])
def test_other_hash_algorithms(store: FilesystemStore, algo: str) -> None:
    data = os.urandom(2 * MiB + 3)
    pipeline = WritePipeline(store.begin(IMAGE_ID), hash_algo=algo)
    pipeline.feed(data)
    result = pipeline.finish()
    assert result.hash_algo == algo
    assert result.hash_value == hashlib.new(algo, data).hexdigest()
    assert result.md5 == hashlib.md5(data).hexdigest()
    pipeline.abort()


def test_size_limit(store: FilesystemStore) -> None:
    pipeline = WritePipeline(store.begin(IMAGE_ID), size_limit=3 * MiB)
    pipeline.feed(os.urandom(2 * MiB))
    pipeline.feed(os.urandom(MiB))  # exactly at the limit is fine
    with pytest.raises(SizeLimitExceeded) as caught:
        pipeline.feed(b"x")
    assert caught.value.status == 413
    assert os.listdir(store.directory) == []
    with pytest.raises(StoreError):
        pipeline.feed(b"more")
    with pytest.raises(StoreError):
        pipeline.finish()
    pipeline.abort()  # still harmless


def test_size_limit_is_checked_before_writing(store: FilesystemStore) -> None:
    pipeline = WritePipeline(store.begin(IMAGE_ID), size_limit=10)
    with pytest.raises(SizeLimitExceeded):
        pipeline.feed(os.urandom(50 * MiB))
    assert os.listdir(store.directory) == []


def test_expected_size_short(store: FilesystemStore) -> None:
    pipeline = WritePipeline(store.begin(IMAGE_ID), expected_size=1000)
    pipeline.feed(b"x" * 999)
    with pytest.raises(SizeMismatch):
        pipeline.finish()
    assert os.listdir(store.directory) == []


def test_expected_size_long(store: FilesystemStore) -> None:
    pipeline = WritePipeline(store.begin(IMAGE_ID), expected_size=1000)
    pipeline.feed(b"x" * 600)
    with pytest.raises(SizeMismatch):
        pipeline.feed(b"x" * 401)
    assert os.listdir(store.directory) == []


def test_expected_size_exact(store: FilesystemStore) -> None:
    pipeline = WritePipeline(store.begin(IMAGE_ID), expected_size=1000)
    pipeline.feed(b"x" * 1000)
    assert pipeline.finish().size == 1000
    pipeline.abort()


class FailingWriter(Writer):
    """A real file writer that fails once `fail_after` bytes went through."""

    def __init__(self, inner: FileWriter, fail_after: int, error: Exception) -> None:
        self.inner = inner
        self.fail_after = fail_after
        self.error = error
        self.written = 0

    @property
    def temp_path(self) -> str | None:
        return self.inner.temp_path

    def write(self, chunk: bytes | memoryview) -> None:
        if self.written + len(chunk) > self.fail_after:
            raise self.error
        self.inner.write(chunk)
        self.written += len(chunk)

    def commit(self) -> str:
        return self.inner.commit()

    def abort(self) -> None:
        self.inner.abort()


@pytest.mark.parametrize(
    ("error", "expected"),
    [(StoreFull("Image storage media is full."), StoreFull),
     (RuntimeError("bug"), StoreUnavailable)],
)
def test_writer_failure_aborts(store: FilesystemStore, error: Exception,
                               expected: type[StoreError]) -> None:
    writer = FailingWriter(store.begin(IMAGE_ID), 3 * MiB, error)
    pipeline = WritePipeline(writer)
    with pytest.raises(expected):
        for _ in range(40):
            pipeline.feed(os.urandom(MiB))
        pipeline.finish()
    assert writer.temp_path is None
    assert os.listdir(store.directory) == []
    with pytest.raises(StoreError):
        pipeline.feed(b"x")


def test_writer_failure_on_the_last_block(store: FilesystemStore) -> None:
    writer = FailingWriter(store.begin(IMAGE_ID), 100, StoreFull("full"))
    pipeline = WritePipeline(writer)
    pipeline.feed(b"x" * 200)  # stays in the coalescing buffer
    with pytest.raises(StoreFull):
        pipeline.finish()
    assert os.listdir(store.directory) == []


def test_abort_drops_the_data(store: FilesystemStore) -> None:
    pipeline = WritePipeline(store.begin(IMAGE_ID))
    pipeline.feed(os.urandom(5 * MiB))
    pipeline.abort()
    pipeline.abort()
    assert os.listdir(store.directory) == []
    finished = WritePipeline(store.begin(IMAGE_ID))
    finished.feed(b"data")
    finished.finish()
    finished.abort()  # after finish: the caller decided against committing
    assert os.listdir(store.directory) == []


class StalledWriter(Writer):
    """Holds every write until released, to observe back-pressure."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.data = bytearray()
        self.sizes: list[int] = []
        self.aborted = False

    @property
    def temp_path(self) -> str | None:
        return None

    def write(self, chunk: bytes | memoryview) -> None:
        self.release.wait()
        self.sizes.append(len(chunk))
        self.data += chunk

    def commit(self) -> str:
        return "memory://"

    def abort(self) -> None:
        self.aborted = True


def test_memory_is_bounded_by_back_pressure() -> None:
    writer = StalledWriter()
    pipeline = WritePipeline(writer)
    total = 100 * MiB
    block = os.urandom(64 * 1024)

    def produce() -> None:
        for _ in range(total // len(block)):
            pipeline.feed(block)

    producer = threading.Thread(target=produce)
    producer.start()
    deadline = time.monotonic() + 10
    last = -1
    while pipeline.size != last and time.monotonic() < deadline:
        last = pipeline.size
        time.sleep(0.2)
    # Queued blocks, one in the stalled stage, one being put, plus the buffer.
    assert pipeline.size <= (QUEUE_DEPTH + 3) * BLOCK_SIZE
    assert producer.is_alive()
    writer.release.set()
    producer.join()
    result = pipeline.finish()
    assert result.size == total
    assert bytes(writer.data) == block * (total // len(block))
    assert all(BLOCK_SIZE <= n <= MAX_BLOCK_SIZE for n in writer.sizes)


def test_async_feed_and_finish(store: FilesystemStore) -> None:
    data = os.urandom(9 * MiB + 11)

    async def upload() -> tuple[str, str, int]:
        writer = store.begin(IMAGE_ID)
        pipeline = WritePipeline(writer)
        for at in range(0, len(data), 65536):
            await pipeline.afeed(data[at : at + 65536])
        result = await pipeline.afinish()
        await pipeline.aabort()
        return result.md5, result.hash_value, result.size

    md5, sha512, size = anyio.run(upload)
    assert (md5, sha512, size) == (
        hashlib.md5(data).hexdigest(), hashlib.sha512(data).hexdigest(), len(data))


def test_async_feed_does_not_block_the_loop() -> None:
    """With the writer stalled the queues fill up; afeed must then wait in a
    worker thread, and other tasks keep running meanwhile."""
    writer = StalledWriter()
    pipeline = WritePipeline(writer)
    ticks = 0
    released_by_ticker = False
    fed = anyio.Event()

    async def ticker() -> None:
        nonlocal ticks, released_by_ticker
        while not fed.is_set():
            ticks += 1
            if ticks == 20 and not writer.release.is_set():
                # Only a loop that still runs other tasks gets here.
                released_by_ticker = True
                writer.release.set()
            await anyio.sleep(0.005)

    async def main() -> None:
        async with anyio.create_task_group() as group:
            group.start_soon(ticker)
            for _ in range(QUEUE_DEPTH * 4):
                await pipeline.afeed(os.urandom(MiB))
            fed.set()
        await pipeline.afinish()

    safety = threading.Timer(20, writer.release.set)  # a blocked loop fails, not hangs
    safety.start()
    try:
        anyio.run(main)
    finally:
        safety.cancel()
    assert released_by_ticker
    assert pipeline.size == QUEUE_DEPTH * 4 * MiB
    assert len(writer.data) == pipeline.size


def test_async_failure_aborts(store: FilesystemStore) -> None:
    writer = FailingWriter(store.begin(IMAGE_ID), MiB, StoreFull("full"))

    async def upload() -> None:
        pipeline = WritePipeline(writer)
        for _ in range(20):
            await pipeline.afeed(os.urandom(MiB))
        await pipeline.afinish()

    with pytest.raises(StoreFull):
        anyio.run(upload)
    assert os.listdir(store.directory) == []
