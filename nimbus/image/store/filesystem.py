"""The file store: one file per image in a directory.

A writer fills a hidden temporary file in the store's directory and commit()
fsyncs it once and links it into place, so a reader never sees half an image
and a crash leaves only a temporary file behind (swept by sweep_temp_files).
"""

from __future__ import annotations

import errno
import io
import logging
import os
import secrets
import urllib.parse
from collections.abc import Iterator

from nimbus.image.store.base import (
    DEFAULT_CHUNK_SIZE,
    DataNotFound,
    DuplicateData,
    Store,
    StoreError,
    StoreFull,
    StoreUnavailable,
    Writer,
    check_image_id,
)

LOG = logging.getLogger(__name__)

TEMP_PREFIX = ".tmp-"
_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


def store_error(exc: OSError, doing: str) -> StoreError:
    """The StoreError for an OSError; the message names no local path."""
    if exc.errno in _FULL_ERRNOS:
        return StoreFull("Image storage media is full.")
    return StoreUnavailable(f"The image store could not {doing}: {os.strerror(exc.errno or 0)}.")


class FileWriter(Writer):
    def __init__(self, directory: str, image_id: str) -> None:
        self._final = os.path.join(directory, image_id)
        self._temp: str | None = os.path.join(
            directory, f"{TEMP_PREFIX}{image_id}-{secrets.token_hex(6)}"
        )
        self._committed = False
        try:
            os.makedirs(directory, exist_ok=True)
            # Unbuffered: blocks go straight to write(2), which releases the GIL.
            self._file: io.RawIOBase | None = open(self._temp, "xb", buffering=0)
        except OSError as exc:
            self._temp = None
            raise store_error(exc, "create a file") from exc

    @property
    def temp_path(self) -> str | None:
        return None if self._committed else self._temp

    def write(self, chunk: bytes | memoryview) -> None:
        if self._file is None:
            raise StoreError("Write to a finished image writer.")
        view = memoryview(chunk)
        try:
            while view:
                written = self._file.write(view)
                if written is None:  # non-blocking file only; never here
                    raise OSError(errno.EAGAIN, "write would block")
                view = view[written:]
        except OSError as exc:
            raise store_error(exc, "write") from exc

    def commit(self) -> str:
        if self._file is None or self._temp is None:
            raise StoreError("Commit of a finished image writer.")
        try:
            os.fsync(self._file.fileno())
            self._file.close()
            self._file = None
            try:
                # link() refuses to replace an existing image, unlike rename().
                os.link(self._temp, self._final)
            except FileExistsError:
                raise DuplicateData("Image data already exists in this store.") from None
            except OSError as exc:
                if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EXDEV):
                    raise
                # Filesystems without hard links: check, then rename.
                if os.path.exists(self._final):
                    raise DuplicateData("Image data already exists in this store.") from None
                os.rename(self._temp, self._final)
            else:
                os.unlink(self._temp)
            _fsync_dir(os.path.dirname(self._final))
        except StoreError:
            self.abort()
            raise
        except OSError as exc:
            self.abort()
            raise store_error(exc, "save the image") from exc
        self._committed = True
        self._temp = None
        return location_of(self._final)

    def abort(self) -> None:
        if self._file is not None:
            try:
                self._file.close()
            except OSError as exc:
                LOG.warning("Closing an aborted image file failed: %s", exc)
            self._file = None
        if self._temp is not None:
            try:
                os.unlink(self._temp)
            except FileNotFoundError:
                pass  # already gone: abort is idempotent
            except OSError as exc:
                LOG.warning("Could not remove temporary image file %s: %s", self._temp, exc)
            self._temp = None

    def __del__(self) -> None:
        if self._temp is not None and not self._committed:
            LOG.warning("An image writer was dropped unfinished; removing its temporary file.")
            self.abort()


def _fsync_dir(directory: str) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def location_of(path: str) -> str:
    return "file://" + urllib.parse.quote(path)


class _FileChunks(Iterator[bytes]):
    """Blocks of an open file; closes it at the end, on close() or when dropped."""

    def __init__(self, file: io.RawIOBase, remaining: int | None, chunk_size: int) -> None:
        self._file: io.RawIOBase | None = file
        self._remaining = remaining
        self._chunk_size = chunk_size

    def __next__(self) -> bytes:
        if self._file is None:
            raise StopIteration
        want = self._chunk_size
        if self._remaining is not None:
            want = min(want, self._remaining)
        try:
            block = self._file.read(want) if want else b""
        except OSError as exc:
            self.close()
            raise store_error(exc, "read") from exc
        if not block:
            self.close()
            raise StopIteration
        if self._remaining is not None:
            self._remaining -= len(block)
        return block

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __del__(self) -> None:
        self.close()


class FilesystemStore(Store):
    type = "file"

    def __init__(
        self, name: str, directory: str, *, description: str = "", is_default: bool = False
    ) -> None:
        super().__init__(name, description=description, is_default=is_default)
        self.directory = os.path.abspath(directory)

    def begin(self, image_id: str) -> FileWriter:
        return FileWriter(self.directory, check_image_id(image_id))

    def owns(self, location: str) -> bool:
        path = _path_of(location)
        return path is not None and os.path.dirname(path) == self.directory

    def _path(self, location: str) -> str:
        path = _path_of(location)
        if path is None or os.path.dirname(path) != self.directory:
            raise DataNotFound("No image data at this location in this store.")
        return path

    def local_path(self, location: str) -> str | None:
        return self._path(location)

    def open(
        self,
        location: str,
        offset: int = 0,
        length: int | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> Iterator[bytes]:
        if offset < 0 or (length is not None and length < 0) or chunk_size < 1:
            raise ValueError("offset, length and chunk_size must not be negative")
        path = self._path(location)
        try:
            file = open(path, "rb", buffering=0)
        except FileNotFoundError:
            raise DataNotFound("No image data at this location.") from None
        except OSError as exc:
            raise store_error(exc, "open the image") from exc
        if offset:
            file.seek(offset)
        return _FileChunks(file, length, chunk_size)

    def size(self, location: str) -> int:
        try:
            return os.stat(self._path(location)).st_size
        except FileNotFoundError:
            raise DataNotFound("No image data at this location.") from None
        except OSError as exc:
            raise store_error(exc, "read the image size") from exc

    def delete(self, location: str) -> None:
        path = self._path(location)
        try:
            os.unlink(path)
        except FileNotFoundError:
            LOG.info("Image data %s of store %s was already gone.", path, self.name)
        except OSError as exc:
            raise store_error(exc, "delete the image") from exc

    def sweep_temp_files(self) -> int:
        """Remove temporary files left by writers of a dead process; call at
        start-up only (live writers use them). Returns how many went."""
        removed = 0
        try:
            names = os.listdir(self.directory)
        except FileNotFoundError:
            return 0
        for name in names:
            if name.startswith(TEMP_PREFIX):
                try:
                    os.unlink(os.path.join(self.directory, name))
                    removed += 1
                except FileNotFoundError:
                    continue
        return removed


def _path_of(location: str) -> str | None:
    """The normalised absolute path of a file:// location, or None."""
    parsed = urllib.parse.urlsplit(location)
    if parsed.scheme != "file" or parsed.netloc not in ("", "localhost"):
        return None
    path = urllib.parse.unquote(parsed.path)
    if not os.path.isabs(path) or "\0" in path:
        return None
    path = os.path.normpath(path)
    name = os.path.basename(path)
    if name.startswith(TEMP_PREFIX) or not _is_image_name(name):
        return None
    return path


def _is_image_name(name: str) -> bool:
    try:
        check_image_id(name)
    except StoreError:
        return False
    return True
