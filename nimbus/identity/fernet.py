"""The Fernet key repository: keys on disk, set-up and rotation.

Keys are files named by integers in one directory, as Keystone keeps them:
``0`` is the staged key (the next primary), the highest number is the primary
key that encrypts new tokens, and the rest are secondary keys kept only to
decrypt tokens issued before the last rotations. Staging the next key before
it becomes primary lets every host of a deployment learn it before any token
is encrypted with it.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

LOG = logging.getLogger(__name__)


class KeyRepositoryError(Exception):
    pass


class KeyRepository:
    def __init__(self, path: str, max_active_keys: int = 3):
        self.path = path
        self.max_active_keys = max(max_active_keys, 1)
        self._lock = threading.Lock()
        self._loaded_stamp: tuple[float, tuple[str, ...]] | None = None
        self._fernet: MultiFernet | None = None

    def _indexes(self) -> list[int]:
        try:
            names = os.listdir(self.path)
        except FileNotFoundError:
            return []
        return sorted(int(name) for name in names if name.isdigit())

    def _write_key(self, index: int, key: bytes) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.path, prefix=".key-")
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, key)
        finally:
            os.close(fd)
        os.replace(tmp, os.path.join(self.path, str(index)))

    def exists(self) -> bool:
        return bool(self._indexes())

    def setup(self) -> bool:
        """Create the staged key and a primary key, unless keys exist."""
        os.makedirs(self.path, mode=0o700, exist_ok=True)
        if self._indexes():
            return False
        self._write_key(0, Fernet.generate_key())
        self.rotate()
        return True

    def rotate(self) -> int:
        """Promote the staged key to primary, stage a new key and drop the
        oldest secondaries beyond max_active_keys. Returns the new primary."""
        indexes = self._indexes()
        if 0 not in indexes:
            raise KeyRepositoryError(f"no staged key (0) in {self.path}: run fernet setup")
        primary = max(indexes) + 1
        os.replace(os.path.join(self.path, "0"), os.path.join(self.path, str(primary)))
        self._write_key(0, Fernet.generate_key())
        keep = self.max_active_keys - 2  # besides the staged and primary keys
        secondaries = [i for i in self._indexes() if i not in (0, primary)]
        drop = secondaries[: max(len(secondaries) - max(keep, 0), 0)]
        for index in drop:
            os.remove(os.path.join(self.path, str(index)))
        LOG.info("Rotated Fernet keys: primary is now %d, removed %s", primary, drop or "none")
        return primary

    def _stamp(self) -> tuple[float, tuple[str, ...]]:
        try:
            return os.stat(self.path).st_mtime, tuple(sorted(os.listdir(self.path)))
        except FileNotFoundError:
            return 0.0, ()

    def fernet(self) -> MultiFernet:
        """A MultiFernet over the current keys, primary first.

        Re-read when the directory changes, so a rotation by `nimbus manage
        fernet rotate` (or a key distribution tool) needs no restart.
        """
        stamp = self._stamp()
        with self._lock:
            if self._fernet is None or stamp != self._loaded_stamp:
                indexes = self._indexes()
                if not indexes:
                    raise KeyRepositoryError(f"no Fernet keys in {self.path}")
                # Primary (highest) first: MultiFernet encrypts with the
                # first key. The staged key 0 comes last; it only decrypts
                # (another host may have promoted it already).
                ordered = sorted(indexes, reverse=True)
                keys = []
                for index in ordered:
                    with open(os.path.join(self.path, str(index)), "rb") as fh:
                        keys.append(Fernet(fh.read().strip()))
                self._fernet = MultiFernet(keys)
                self._loaded_stamp = stamp
            return self._fernet

    def encrypt(self, payload: bytes) -> str:
        return self.fernet().encrypt(payload).decode().rstrip("=")

    def decrypt(self, token: str) -> tuple[bytes, int]:
        """The payload and the Fernet timestamp (seconds) of `token`.

        :raises InvalidToken: not made with any of our keys, or tampered.
        """
        raw = (token + "=" * (-len(token) % 4)).encode()
        fernet = self.fernet()
        payload = fernet.decrypt(raw)
        return payload, fernet.extract_timestamp(raw)


__all__ = ["KeyRepository", "KeyRepositoryError", "InvalidToken"]
