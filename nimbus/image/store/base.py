"""What every image store offers, and the errors stores raise.

A store keeps image data under opaque location strings. Writes go through a
Writer (one object at a time, visible only after commit); reads stream in big
blocks.
"""

from __future__ import annotations

import abc
import re
from collections.abc import Iterator
from typing import Any

# Image ids become file names: no separators, no leading dot (temp files).
_SAFE_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$")

DEFAULT_CHUNK_SIZE = 1 << 20


class StoreError(Exception):
    """A store failure. The message is safe to show users; `status` is the
    HTTP status Glance answers for it."""

    status: int = 503

    def __init__(self, message: str = "The image store failed.") -> None:
        super().__init__(message)
        self.message = message


class StoreFull(StoreError):
    """No space left (ENOSPC) or quota exhausted (EDQUOT)."""

    status = 413


class StoreUnavailable(StoreError):
    """Unwritable directory, I/O error, remote server down."""

    status = 503


class StoreReadOnly(StoreError):
    """A write to a store that only serves reads (Glance: StoreAddDisabled, 410)."""

    status = 410


class DataNotFound(StoreError):
    """No data at a location. Glance answers a download of such an image with
    204 No Content."""

    status = 204


class StoreNotFound(StoreError):
    """No configured store by that name, or none that serves a location
    (Glance answers an unknown store in a request with 400)."""

    status = 400


class DuplicateData(StoreError):
    """Data already committed under this image id in this store."""

    status = 409


class BadStoreConfiguration(StoreError):
    """The store options cannot work; found at start-up."""

    status = 500


def check_image_id(image_id: str) -> str:
    if not _SAFE_ID.match(image_id):
        raise StoreError(f"Invalid image id for a store: {image_id!r}.")
    return image_id


class Writer(abc.ABC):
    """One object being written; invisible to readers until commit()."""

    @abc.abstractmethod
    def write(self, chunk: bytes | memoryview) -> None:
        """Append chunk. Raises a StoreError subclass on failure."""

    @property
    @abc.abstractmethod
    def temp_path(self) -> str | None:
        """Local file being written, for inspection before commit; None when
        the data is not local."""

    @abc.abstractmethod
    def commit(self) -> str:
        """Make the data durable and visible; returns its location."""

    @abc.abstractmethod
    def abort(self) -> None:
        """Drop what was written. Safe to call twice and after a failure."""


class Store(abc.ABC):
    """A configured image store (a group of the configuration)."""

    type: str = ""

    def __init__(self, name: str, *, description: str = "", is_default: bool = False) -> None:
        self.name = name
        self.description = description
        self.is_default = is_default

    @property
    def read_only(self) -> bool:
        return False

    @abc.abstractmethod
    def begin(self, image_id: str) -> Writer:
        """A writer for the data of image_id."""

    @abc.abstractmethod
    def open(
        self,
        location: str,
        offset: int = 0,
        length: int | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> Iterator[bytes]:
        """Stream length bytes (None: to the end) from offset. Raises
        DataNotFound at once when there is nothing at location."""

    @abc.abstractmethod
    def size(self, location: str) -> int:
        """Bytes stored at location."""

    @abc.abstractmethod
    def delete(self, location: str) -> None:
        """Remove the data; missing data is not an error."""

    @abc.abstractmethod
    def owns(self, location: str) -> bool:
        """Whether location belongs to this store."""

    def local_path(self, location: str) -> str | None:
        """A local file holding the data, for inspection; None if not local."""
        return None

    def info(self) -> dict[str, Any]:
        """This store's entry in GET /v2/info/stores (Glance writes the flags
        as the string "true")."""
        entry: dict[str, Any] = {"id": self.name}
        if self.description:
            entry["description"] = self.description
        if self.is_default:
            entry["default"] = "true"
        if self.read_only:
            entry["read-only"] = "true"
        return entry

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"
