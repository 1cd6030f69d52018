"""``limit``/``marker`` paging as the Compute and Image APIs do it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from nimbus.common.api import errors


@dataclass(frozen=True, slots=True)
class Page:
    limit: int
    marker: str | None


def page_params(query: QueryParams, max_limit: int, default_limit: int | None = None) -> Page:
    """Read ``limit`` and ``marker``: a negative or non-integer limit is 400,
    one above `max_limit` is lowered to it."""
    raw = query.get("limit")
    if raw is None:
        limit = default_limit if default_limit is not None else max_limit
    else:
        try:
            limit = int(raw)
        except ValueError:
            raise errors.BadRequest(f"Invalid limit {raw!r}: it must be an integer.") from None
        if limit < 0:
            raise errors.BadRequest(f"Invalid limit {raw!r}: it must be 0 or more.")
    marker = query.get("marker")
    return Page(limit=min(limit, max_limit), marker=marker or None)


def next_link(
    url: str, query: QueryParams | Mapping[str, Any], items: Sequence[Mapping[str, Any]],
    page: Page, id_key: str = "id",
) -> str | None:
    """The URL of the next page, or None when this page is the last.

    A page is the last when it holds fewer items than the limit, the upstream
    rule; the caller asks for ``limit`` items, not ``limit + 1``.
    """
    if not items or page.limit == 0 or len(items) < page.limit:
        return None
    params = [(k, v) for k, v in _pairs(query) if k not in ("marker", "limit")]
    params.append(("limit", str(page.limit)))
    params.append(("marker", str(items[-1][id_key])))
    return f"{url}?{urlencode(params)}"


def _pairs(query: QueryParams | Mapping[str, Any]) -> list[tuple[str, str]]:
    if isinstance(query, QueryParams):
        return list(query.multi_items())
    return [(k, str(v)) for k, v in query.items()]


def links(url: str, query: QueryParams, items: Sequence[Mapping[str, Any]], page: Page,
          id_key: str = "id") -> list[dict[str, str]]:
    """Nova's ``<collection>_links``: ``[{"rel": "next", "href": ...}]`` or ``[]``."""
    href = next_link(url, query, items, page, id_key)
    return [{"rel": "next", "href": href}] if href else []
