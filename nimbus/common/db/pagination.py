"""Keyset paging of a SELECT: the rows after a marker row, in a stable order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import ColumnElement, Select


def paginate(
    query: Select[Any],
    sort: Sequence[tuple[ColumnElement[Any], str]],
    limit: int | None,
    marker: Sequence[Any] | None = None,
) -> Select[Any]:
    """Order `query` by `sort` ((column, "asc"|"desc") pairs) and keep the
    `limit` rows that come after `marker` (the sort values of the marker row).

    The last sort column must be unique (an id), so that the order is total.
    NULL sort values are compared as the lowest values, on every backend.
    """
    orders = []
    for column, direction in sort:
        if direction not in ("asc", "desc"):
            raise ValueError(f"sort direction must be asc or desc, not {direction!r}")
        if getattr(column, "nullable", True):
            # NULLS FIRST/LAST is not MySQL syntax; sort on IS NULL instead.
            is_null = sa.case((column.is_(None), 1), else_=0)
            orders.append(is_null.desc() if direction == "asc" else is_null.asc())
        orders.append(column.asc() if direction == "asc" else column.desc())
    query = query.order_by(*orders)
    if marker is not None:
        if len(marker) != len(sort):
            raise ValueError("the marker needs one value per sort column")
        query = query.where(_after(sort, marker))
    if limit is not None:
        query = query.limit(limit)
    return query


def _after(sort: Sequence[tuple[ColumnElement[Any], str]], marker: Sequence[Any]) -> ColumnElement[bool]:
    """(k1 > m1) OR (k1 = m1 AND k2 > m2) OR ..., with NULL lowest."""
    clauses = []
    for i, (column, direction) in enumerate(sort):
        equal_prefix = [_equal(col, value) for (col, _), value in zip(sort[:i], marker[:i], strict=True)]
        clauses.append(sa.and_(*equal_prefix, _beyond(column, direction, marker[i])))
    return sa.or_(*clauses)


def _equal(column: ColumnElement[Any], value: Any) -> ColumnElement[bool]:
    return column.is_(None) if value is None else column == value


def _beyond(column: ColumnElement[Any], direction: str, value: Any) -> ColumnElement[bool]:
    if direction == "asc":
        # NULL sorts first: everything non-NULL comes after a NULL marker.
        return column.is_not(None) if value is None else column > value
    # Descending, NULL last: nothing comes after NULL but more NULLs (handled
    # by the next key); after a value come smaller values and NULLs.
    if value is None:
        return sa.false()
    return sa.or_(column < value, column.is_(None))
