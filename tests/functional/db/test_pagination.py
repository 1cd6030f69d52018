"""Keyset paging gives every row once, in order, on every backend."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from nimbus.common.db import create_engine
from nimbus.common.db.pagination import paginate
from tests.support.backends import fresh_database

META = sa.MetaData()
THINGS = sa.Table(
    "things", META,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(32), nullable=True),
    sa.Column("size", sa.Integer, nullable=False),
)
ROWS = [{"id": i, "name": None if i % 7 == 0 else f"n{i % 5}", "size": i % 3}
        for i in range(1, 41)]


@pytest.fixture(scope="module")
def engine(backend, tmp_path_factory):
    with fresh_database(backend, str(tmp_path_factory.mktemp("page")), "page") as url:
        eng = create_engine(url)
        META.create_all(eng)
        with eng.begin() as conn:
            conn.execute(THINGS.insert(), ROWS)
        yield eng
        eng.dispose()


def _key(row, sort):
    out = []
    for column, direction in sort:
        value = row[column.name]
        # NULL lowest: first ascending, last descending.
        null_rank = 0 if value is None else 1
        if direction == "desc":
            out.append((-null_rank, _neg(value)))
        else:
            out.append((null_rank, value if value is not None else 0))
    return out


def _neg(value):
    if value is None:
        return 0
    if isinstance(value, int):
        return -value
    return tuple(-ord(c) for c in value)


@pytest.mark.parametrize("sort", [
    [("name", "asc"), ("id", "asc")],
    [("name", "desc"), ("id", "desc")],
    [("size", "desc"), ("name", "asc"), ("id", "asc")],
])
@pytest.mark.parametrize("limit", [1, 3, 7, 100])
def test_pages_cover_every_row_once_in_order(engine, sort, limit):
    columns = [(THINGS.c[name], direction) for name, direction in sort]
    expected = [r["id"] for r in sorted(ROWS, key=lambda r: _key(r, columns))]
    seen: list[int] = []
    marker = None
    with engine.connect() as conn:
        while True:
            rows = conn.execute(paginate(sa.select(THINGS), columns, limit, marker)).mappings().all()
            seen.extend(r["id"] for r in rows)
            if len(rows) < limit:
                break
            marker = [rows[-1][c.name] for c, _ in columns]
    assert seen == expected


def test_bad_arguments():
    with pytest.raises(ValueError):
        paginate(sa.select(THINGS), [(THINGS.c.id, "sideways")], 1)
    with pytest.raises(ValueError):
        paginate(sa.select(THINGS), [(THINGS.c.id, "asc")], 1, marker=[1, 2])
