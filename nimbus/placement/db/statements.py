"""Statements built once and reused, for the queries every request runs.

SQLAlchemy takes longer to build a statement and compute its cache key
(about a millisecond for a union of a few selects) than PostgreSQL takes
to run a small one. So the hot statements are built once per shape (how
many classes a group asks for, which kind of slice...), with bind
parameters for every value, and run with the values of each request.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

Built = TypeVar("Built")

LIMIT = 512  # shapes kept; a request can only add a few, past this all are dropped

_BUILT: dict[Hashable, object] = {}


def cached(key: Hashable, build: Callable[[], Built]) -> Built:
    """The statement built by `build` for `key`, built on first use."""
    found = _BUILT.get(key)
    if found is None:
        if len(_BUILT) >= LIMIT:
            _BUILT.clear()
        found = _BUILT[key] = build()
    return found  # type: ignore[return-value]
