"""Putting data into a store: the write pipeline, inspection, then commit.

Uploads (PUT /file), staging (PUT /stage) and every import method end here:
the data flows through the WritePipeline (md5, multihash and the write in
parallel), the written file is inspected before it is committed (so data
that is not what it claims never becomes visible), and any failure leaves no
file behind.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass

import anyio.to_thread
from oslo_config import cfg

from nimbus.common.api import errors
from nimbus.image import format_inspector
from nimbus.image.store.base import Store, StoreError, Writer
from nimbus.image.store.pipeline import WritePipeline

_STATUS_ERRORS: dict[int, type[errors.ApiError]] = {
    400: errors.BadRequest, 403: errors.Forbidden, 404: errors.NotFound, 409: errors.Conflict,
    410: errors.Gone, 413: errors.PayloadTooLarge,
}


def api_error(exc: StoreError) -> errors.ApiError:
    """The HTTP error Glance answers for a store failure."""
    return _STATUS_ERRORS.get(exc.status, errors.ServiceUnavailable)(str(exc))


@dataclass(frozen=True)
class Stored:
    location: str
    size: int
    checksum: str
    hash_algo: str
    hash_value: str
    virtual_size: int | None


def inspect(conf: cfg.ConfigOpts, writer: Writer, disk_format: str | None) -> int | None:
    """Check written data before it is committed: its real format must be
    the declared one (unless [image] require_image_format_match is off) and
    safe; returns the virtual size."""
    path = writer.temp_path
    if path is None:
        return None
    try:
        if conf.image.require_image_format_match and disk_format:
            found = format_inspector.check(path, disk_format)
        else:
            found = format_inspector.inspect(path)
    except format_inspector.ImageFormatError as exc:
        raise errors.BadRequest(f"Image data is refused: {exc}") from None
    return int(found.virtual_size)


class Ingest:
    """One image's data on its way into one store."""

    def __init__(self, conf: cfg.ConfigOpts, store: Store, image_id: str, *,
                 disk_format: str | None, size_limit: int | None,
                 expected_size: int | None = None):
        if store.read_only:
            raise errors.BadRequest(f"Store {store.name} is read-only.")
        self.conf = conf
        self.store = store
        self.disk_format = disk_format
        self.writer = store.begin(image_id)
        self.pipeline = WritePipeline(self.writer, size_limit=size_limit,
                                      expected_size=expected_size,
                                      hash_algo=conf.image.hashing_algorithm)

    def _commit(self) -> Stored:
        result = self.pipeline.finish()
        virtual_size = inspect(self.conf, self.writer, self.disk_format)
        location = self.writer.commit()
        return Stored(location, result.size, result.md5, result.hash_algo, result.hash_value,
                      virtual_size)

    def run(self, chunks: Iterable[bytes]) -> Stored:
        """Write `chunks` (from a worker thread); abort on any failure."""
        try:
            for chunk in chunks:
                self.pipeline.feed(chunk)
            return self._commit()
        except StoreError as exc:
            self.pipeline.abort()
            raise api_error(exc) from None
        except BaseException:
            self.pipeline.abort()
            raise

    async def arun(self, chunks: AsyncIterator[bytes]) -> Stored:
        """Write a request body as it arrives, on the event loop."""
        try:
            async for chunk in chunks:
                await self.pipeline.afeed(chunk)
            return await anyio.to_thread.run_sync(self._commit)
        except StoreError as exc:
            await self.pipeline.aabort()
            raise api_error(exc) from None
        except BaseException:
            await self.pipeline.aabort()
            raise
