"""limit/marker parsing and the next link, as Nova and Glance page."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from starlette.datastructures import QueryParams

from nimbus.common.api import errors
from nimbus.common.api.pagination import Page, links, next_link, page_params


def test_defaults_and_caps():
    assert page_params(QueryParams(""), max_limit=1000) == Page(1000, None)
    assert page_params(QueryParams(""), max_limit=1000, default_limit=25) == Page(25, None)
    assert page_params(QueryParams("limit=5000&marker=abc"), max_limit=1000) == Page(1000, "abc")
    assert page_params(QueryParams("limit=0"), max_limit=10) == Page(0, None)


@pytest.mark.parametrize("query", ["limit=-1", "limit=ten", "limit=1.5"])
def test_bad_limits_are_400(query):
    with pytest.raises(errors.BadRequest):
        page_params(QueryParams(query), max_limit=10)


def test_next_link_keeps_filters_and_moves_the_marker():
    query = QueryParams("status=ACTIVE&limit=2&marker=old&tag=a&tag=b")
    items = [{"id": "x"}, {"id": "y"}]
    href = next_link("http://h/compute/v2.1/servers", query, items, Page(2, "old"))
    assert href is not None
    parts = urlsplit(href)
    assert parts.path == "/compute/v2.1/servers"
    assert parse_qs(parts.query) == {"status": ["ACTIVE"], "tag": ["a", "b"],
                                     "limit": ["2"], "marker": ["y"]}


def test_no_next_link_on_a_short_or_empty_page():
    assert next_link("u", QueryParams(""), [{"id": "a"}], Page(2, None)) is None
    assert next_link("u", QueryParams(""), [], Page(2, None)) is None
    assert links("u", QueryParams(""), [{"id": "a"}], Page(2, None)) == []
    assert links("u", QueryParams(""), [{"id": "a"}], Page(1, None)) == [
        {"rel": "next", "href": "u?limit=1&marker=a"}]
