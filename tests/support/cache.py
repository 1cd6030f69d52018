"""Downloads and installs the tests keep between runs, outside the work tree."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path


def cache_root(env: str, name: str) -> Path:
    """`$<env>` if set, else `~/.cache/nimbus/<name>` (XDG_CACHE_HOME honoured)."""
    if os.environ.get(env):
        return Path(os.environ[env])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "nimbus" / name


@contextlib.contextmanager
def locked(directory: Path) -> Iterator[None]:
    """One process at a time in `directory` (xdist workers start together)."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
