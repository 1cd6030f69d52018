"""The http store: read-only access to image data on a web server.

Images point at it by location (http:// or https:// URLs set by an admin);
nothing is ever uploaded to it or deleted from it. Ranges become Range
requests, answered with 206 by most servers; a server that ignores Range is
read from the start and cut.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Iterator

import httpx

from nimbus.image.store.base import (
    DEFAULT_CHUNK_SIZE,
    DataNotFound,
    Store,
    StoreError,
    StoreReadOnly,
    StoreUnavailable,
    Writer,
)

LOG = logging.getLogger(__name__)

MAX_REDIRECTS = 5  # as glance_store's http store
_GONE = {404, 410}


def _unavailable(exc: Exception) -> StoreUnavailable:
    return StoreUnavailable(f"The remote image server could not be reached ({type(exc).__name__}).")


class _ResponseChunks(Iterator[bytes]):
    """The body of a streamed response in blocks, skipping and cutting so that
    exactly the asked range comes out."""

    def __init__(
        self, response: httpx.Response, skip: int, remaining: int | None, chunk_size: int
    ) -> None:
        self._response: httpx.Response | None = response
        self._blocks = response.iter_raw(chunk_size)
        self._skip = skip
        self._remaining = remaining

    def __next__(self) -> bytes:
        while self._response is not None:
            if self._remaining == 0:
                break
            try:
                block = next(self._blocks)
            except StopIteration:
                break
            except httpx.HTTPError as exc:
                self.close()
                raise _unavailable(exc) from exc
            if self._skip:
                dropped = min(self._skip, len(block))
                self._skip -= dropped
                block = block[dropped:]
            if self._remaining is not None:
                block = block[: self._remaining]
                self._remaining -= len(block)
            if block:
                return block
        self.close()
        raise StopIteration

    def close(self) -> None:
        if self._response is not None:
            self._response.close()
            self._response = None

    def __del__(self) -> None:
        self.close()


class HttpStore(Store):
    type = "http"

    def __init__(
        self,
        name: str,
        *,
        description: str = "",
        is_default: bool = False,
        insecure: bool = False,
        ca_file: str | None = None,
        timeout: float = 60.0,
    ) -> None:
        super().__init__(name, description=description, is_default=is_default)
        verify: ssl.SSLContext | bool = False if insecure else True
        if not insecure and ca_file:
            verify = ssl.create_default_context(cafile=ca_file)
        self._client = httpx.Client(
            verify=verify,
            timeout=timeout,
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            trust_env=False,
            headers={"Accept-Encoding": "identity"},
        )

    @property
    def read_only(self) -> bool:
        return True

    def begin(self, image_id: str) -> Writer:
        raise StoreReadOnly(f"Adding images to store {self.name} is disabled.")

    def owns(self, location: str) -> bool:
        return location.lower().startswith(("http://", "https://"))

    def _check(self, location: str) -> None:
        if not self.owns(location):
            raise DataNotFound("No image data at this location in this store.")

    def open(
        self,
        location: str,
        offset: int = 0,
        length: int | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> Iterator[bytes]:
        if offset < 0 or (length is not None and length < 0) or chunk_size < 1:
            raise ValueError("offset, length and chunk_size must not be negative")
        self._check(location)
        if length == 0:
            return iter(())
        headers = {}
        if offset or length is not None:
            end = "" if length is None else str(offset + length - 1)
            headers["Range"] = f"bytes={offset}-{end}"
        try:
            request = self._client.build_request("GET", location, headers=headers)
            response = self._client.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise _unavailable(exc) from exc
        status = response.status_code
        if status == 206:
            return _ResponseChunks(response, 0, length, chunk_size)
        if status == 200:
            return _ResponseChunks(response, offset, length, chunk_size)
        response.close()
        if status == 416:  # the range starts at or past the end
            return iter(())
        raise self._status_error(status)

    def _status_error(self, status: int) -> StoreError:
        if status in _GONE:
            return DataNotFound("The remote image server has no data at this location.")
        return StoreUnavailable(f"The remote image server answered {status}.")

    def size(self, location: str) -> int:
        self._check(location)
        try:
            response = self._client.head(location)
        except httpx.HTTPError as exc:
            raise _unavailable(exc) from exc
        if response.status_code != 200:
            raise self._status_error(response.status_code)
        value = response.headers.get("Content-Length", "")
        if not value.isdigit():
            raise StoreUnavailable("The remote image server did not tell the data's size.")
        return int(value)

    def delete(self, location: str) -> None:
        # Glance's http store refuses deletes and Glance carries on: the data
        # belongs to whoever runs the web server.
        # (No location in the log: it may carry credentials.)
        LOG.debug("Store %s is read-only; its data stays in place.", self.name)

    def close(self) -> None:
        self._client.close()
