"""The upload write pipeline: hash twice and write once, in parallel.

Chunks of any size come in; they are gathered into blocks of at least
BLOCK_SIZE (big chunks are sliced, without copying, into blocks of at most
MAX_BLOCK_SIZE) and every block goes to three stage threads: md5 (Glance's
`checksum`), the multihash (`os_hash_value`) and the store writer. hashlib and
write(2) release the GIL on big buffers, so the stages overlap and an upload
runs at the speed of the slowest of them. Each stage has a bounded queue, so
memory stays under about (QUEUE_DEPTH + 2) * MAX_BLOCK_SIZE whatever the image
size, and a slow stage slows the sender down.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass

import anyio.to_thread

from nimbus.image.store.base import StoreError, StoreUnavailable, Writer

BLOCK_SIZE = 1 << 20
MAX_BLOCK_SIZE = 4 << 20
QUEUE_DEPTH = 8

Block = bytes | memoryview


@dataclass(frozen=True, slots=True)
class UploadResult:
    size: int
    md5: str
    hash_algo: str
    hash_value: str


class SizeLimitExceeded(StoreError):
    status = 413


class SizeMismatch(StoreError):
    """The data is not as long as the request said it would be."""

    status = 400


_STOP = None


class _Stage:
    """A thread applying `apply` to every block of its queue, in order."""

    def __init__(self, name: str, apply: Callable[[Block], object], failed: threading.Event):
        self.queue: queue.Queue[Block | None] = queue.Queue(QUEUE_DEPTH)
        self.error: BaseException | None = None
        self._apply = apply
        self._failed = failed
        self.thread = threading.Thread(target=self._run, name=f"upload-{name}", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        get = self.queue.get
        apply = self._apply
        failed = self._failed
        while (block := get()) is not _STOP:
            if failed.is_set():
                continue  # keep draining so that senders never block forever
            try:
                apply(block)
            except BaseException as exc:  # handed to the sender, who re-raises it
                self.error = exc
                failed.set()


class WritePipeline:
    """Feed chunks, then finish() for the size and hashes (the writer is left
    uncommitted: the caller inspects writer.temp_path, then commits or
    aborts). Any failure aborts the writer and raises a StoreError subclass.

    One producer at a time: feed/afeed, then finish/afinish or abort/aabort.
    """

    def __init__(
        self,
        writer: Writer,
        *,
        size_limit: int | None = None,
        expected_size: int | None = None,
        hash_algo: str = "sha512",
    ) -> None:
        self.writer = writer
        self.size_limit = size_limit
        self.expected_size = expected_size
        self.hash_algo = hash_algo
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._multihash = self._md5 if hash_algo == "md5" else hashlib.new(hash_algo)
        self._pending: list[Block] = []
        self._pending_size = 0
        self.size = 0
        self._stages: list[_Stage] = []
        self._failed = threading.Event()
        self._errors: list[BaseException] = []
        self._state = "open"  # then "finished" or "aborted"
        self._result: UploadResult | None = None

    # -- producing blocks (cheap, in the caller's thread or event loop) --

    def _accept(self, chunk: bytes | bytearray | memoryview) -> list[Block]:
        """Count chunk and return the blocks now ready to dispatch."""
        self._check_open()
        n = len(chunk) if isinstance(chunk, bytes) else memoryview(chunk).nbytes
        if not n:
            return []
        self.size += n
        if self.size_limit is not None and self.size > self.size_limit:
            self.abort()
            raise SizeLimitExceeded(f"Image exceeds the size limit of {self.size_limit} bytes.")
        if self.expected_size is not None and self.size > self.expected_size:
            self.abort()
            raise SizeMismatch(f"More data than the declared size of {self.expected_size} bytes.")
        if not isinstance(chunk, bytes):
            # The caller may reuse its buffer: keep a copy, once.
            chunk = bytes(chunk)
        if self._pending_size + n < BLOCK_SIZE:
            self._pending.append(chunk)
            self._pending_size += n
            return []
        blocks: list[Block] = []
        view = memoryview(chunk)
        if self._pending:
            need = BLOCK_SIZE - self._pending_size
            self._pending.append(view[:need])
            blocks.append(b"".join(self._pending))
            self._pending.clear()
            self._pending_size = 0
            view = view[need:]
        while len(view) >= BLOCK_SIZE:
            blocks.append(view[:MAX_BLOCK_SIZE])
            view = view[MAX_BLOCK_SIZE:]
        if view:
            self._pending.append(view)
            self._pending_size = len(view)
        return blocks

    def _flush(self) -> list[Block]:
        if not self._pending:
            return []
        block = b"".join(self._pending)
        self._pending.clear()
        self._pending_size = 0
        return [block]

    def _start(self) -> None:
        if self._stages:
            return
        steps: list[tuple[str, Callable[[Block], object]]] = [
            ("md5", self._md5.update),
            ("write", self.writer.write),
        ]
        if self._multihash is not self._md5:
            steps.append((self.hash_algo, self._multihash.update))
        self._stages = [_Stage(name, step, self._failed) for name, step in steps]

    def _put_blocking(self, blocks: list[Block], stages: list[_Stage]) -> None:
        for block in blocks:
            for stage in stages:
                stage.queue.put(block)
            stages = self._stages

    def _put_nowait(self, blocks: list[Block]) -> tuple[list[Block], list[_Stage]]:
        """Queue what fits; return the blocks left and, for the first of them,
        the stages that still need it."""
        for i, block in enumerate(blocks):
            for j, stage in enumerate(self._stages):
                try:
                    stage.queue.put_nowait(block)
                except queue.Full:
                    return blocks[i:], self._stages[j:]
        return [], []

    # -- the public face --

    def feed(self, chunk: bytes | bytearray | memoryview) -> None:
        blocks = self._accept(chunk)
        if blocks:
            self._start()
            self._put_blocking(blocks, self._stages)
            self._raise_if_failed()

    async def afeed(self, chunk: bytes | bytearray | memoryview) -> None:
        """feed() for the event loop: queues without blocking when there is
        room, and waits in a worker thread only when a stage is behind."""
        blocks = self._accept(chunk)
        if blocks:
            self._start()
            rest, stages = self._put_nowait(blocks)
            if rest:
                await anyio.to_thread.run_sync(self._put_blocking, rest, stages)
            self._raise_if_failed()

    def finish(self) -> UploadResult:
        """Wait for every stage; the size and hashes of all that was fed."""
        if self._result is not None:
            return self._result
        self._check_open()
        blocks = self._flush()
        if blocks:
            self._start()
            self._put_blocking(blocks, self._stages)
        self._stop()
        self._raise_if_failed()
        if self.expected_size is not None and self.size != self.expected_size:
            self.abort()
            raise SizeMismatch(
                f"Got {self.size} bytes of data; the declared size is {self.expected_size}."
            )
        self._state = "finished"
        self._result = UploadResult(
            size=self.size,
            md5=self._md5.hexdigest(),
            hash_algo=self.hash_algo,
            hash_value=self._multihash.hexdigest(),
        )
        return self._result

    async def afinish(self) -> UploadResult:
        return await anyio.to_thread.run_sync(self.finish)

    def abort(self) -> None:
        """Stop the stages and abort the writer (also after finish(), to drop
        the data). Safe to call more than once."""
        if self._state == "aborted":
            return
        self._state = "aborted"
        self._failed.set()
        self._stop()
        self._pending.clear()
        self._result = None
        self.writer.abort()

    async def aabort(self) -> None:
        await anyio.to_thread.run_sync(self.abort)

    def _stop(self) -> None:
        stages, self._stages = self._stages, []
        for stage in stages:
            stage.queue.put(_STOP)
        for stage in stages:
            stage.thread.join()
            if stage.error is not None:
                self._errors.append(stage.error)

    def _check_open(self) -> None:
        if self._state != "open":
            raise StoreError(f"The upload is already {self._state}.")
        self._raise_if_failed()

    def _raise_if_failed(self) -> None:
        if not self._failed.is_set():
            return
        self.abort()  # joins the stages, so every error is in self._errors
        error = self._errors[0] if self._errors else None
        if isinstance(error, StoreError):
            raise error
        raise StoreUnavailable("Writing the image data failed.") from error
