"""What every identity table shares: ids, and the split between columns and
the ``extra`` attributes Keystone keeps for whatever a client sends."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any


def new_id() -> str:
    return uuid.uuid4().hex


def split_extra(ref: Mapping[str, Any], known: Iterable[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(known attributes, the others) of a request entity."""
    known = set(known)
    base = {k: v for k, v in ref.items() if k in known}
    extra = {k: v for k, v in ref.items() if k not in known}
    return base, extra


def merge_options(current: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """Options are updated key by key; a None value removes the option."""
    merged = dict(current)
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def update_values(
    current: Mapping[str, Any], changes: Mapping[str, Any], known: Iterable[str],
    shown: Iterable[str] = (),
) -> dict[str, Any]:
    """Column values for an UPDATE of an entity shown as `current`.

    The known attributes of `changes` (never the id), options merged key by
    key, and, when `changes` has attributes of its own, ``extra`` rebuilt
    from the current extra attributes with those laid over them. `shown`
    names what `current` shows that is neither a column nor extra.
    """
    known = tuple(known)
    values, extra = split_extra(changes, known)
    values.pop("id", None)
    if extra:
        skip = set(known) | set(shown)
        merged = {k: v for k, v in current.items() if k not in skip}
        merged.update(extra)
        values["extra"] = merged
    if "options" in values:
        values["options"] = merge_options(current.get("options") or {}, values["options"])
    return values
