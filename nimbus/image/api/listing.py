"""The query of GET /v2/images (filters, sorting, paging) and its links."""

from __future__ import annotations

import datetime
import re
from typing import Any
from urllib.parse import urlencode

from nimbus.common.api import errors
from nimbus.common.api.app import Request
from nimbus.image.api import common
from nimbus.image.db import images as db

DEFAULT_LIMIT = 25  # Glance's limit_param_default
MAX_LIMIT = 1000    # and api_limit_max
_VISIBILITIES = ("community", "public", "private", "shared", "all")
_MEMBER_STATUSES = ("pending", "accepted", "rejected", "all")
_NOT_FILTERS = {"limit", "marker", "sort", "sort_key", "sort_dir", "member_status", "tag",
                "visibility", "os_hidden"}
_LISTY = ("name", "id", "status", "container_format", "disk_format")  # eq: and in:
_TIMES = ("created_at", "updated_at")
_RANGES = {"size_min": ("size", "gte"), "size_max": ("size", "lte"),
           "virtual_size_min": ("virtual_size", "gte"),
           "virtual_size_max": ("virtual_size", "lte")}
_INTEGERS = ("size", "virtual_size", "min_ram", "min_disk")


def _boolean(name: str, value: str) -> bool:
    if value not in ("true", "false"):
        raise errors.BadRequest(f"Invalid value '{value}' for '{name}' filter. "
                                "Valid values are 'true' or 'false'.")
    return value == "true"


def _limit(value: str | None) -> int:
    if value is None:
        return DEFAULT_LIMIT
    try:
        limit = int(value)
    except ValueError:
        raise errors.BadRequest("limit param must be an integer") from None
    if limit < 0:
        raise errors.BadRequest("limit param must be positive")
    return min(limit, MAX_LIMIT)


def _sort(req: Request) -> list[tuple[str, str]]:
    keys: list[str] = []
    dirs: list[str] = []
    q = req.query
    if "sort" in q:
        if "sort_key" in q or "sort_dir" in q:
            raise errors.BadRequest("Old and new sorting syntax cannot be combined")
        for item in q["sort"].strip().split(","):
            key, _, direction = item.partition(":")
            keys.append(key.strip())
            dirs.append(direction.strip() or "desc")
    else:
        keys = [k.strip() for k in q.getlist("sort_key")]
        dirs = [d.strip() for d in q.getlist("sort_dir")]
        if len(dirs) > 1 and len(dirs) != len(keys):
            raise errors.BadRequest("Number of sort dirs does not match the number of "
                                    "sort keys")
    for key in keys:
        if key not in db.SORT_COLUMNS:
            raise errors.BadRequest(f"Invalid sort key: {key}. It must be one of the "
                                    f"following: {', '.join(db.SORT_COLUMNS)}.")
    for direction in dirs:
        if direction not in ("asc", "desc"):
            raise errors.BadRequest(f"Invalid sort direction: {direction}")
    keys = keys or ["created_at"]
    default = dirs[0] if len(dirs) == 1 else "desc"
    if len(dirs) <= 1:
        dirs = [default] * len(keys)
    sort = list(zip(keys, dirs, strict=True))
    for tiebreak in ("created_at", "id"):
        if tiebreak not in keys:
            sort.append((tiebreak, default))
    return sort


def _split_op(expression: str) -> tuple[str, str]:
    """'op:value' -> (op, value); no operator (or a time with colons) is eq."""
    left, sep, right = expression.partition(":")
    if not sep or _parse_time(expression) is not None:
        return "eq", expression
    return left, right


def _parse_time(value: str) -> datetime.datetime | None:
    try:
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if not re.match(r"^\d{4}-\d{2}-\d{2}", value):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return parsed


def split_in(value: str) -> list[str]:
    """The values of an ``in:`` filter: comma-separated, double quotes
    around values that hold commas."""
    values: list[str] = []
    i = 0
    while i <= len(value):
        if i < len(value) and value[i] == '"':
            end = i + 1
            while end < len(value) and (value[end] != '"' or value[end - 1] == "\\"):
                end += 1
            if end >= len(value):
                raise errors.BadRequest(f"Invalid filter value {value}. The quote is not "
                                        "closed.")
            if end + 1 < len(value) and value[end + 1] != ",":
                raise errors.BadRequest(f"Invalid filter value {value}. There is no comma "
                                        "after closing quotation mark.")
            values.append(value[i + 1:end].replace('\\"', '"'))
            i = end + 2
            continue
        end = value.find(",", i)
        end = len(value) if end < 0 else end
        piece = value[i:end]
        if '"' in piece:
            raise errors.BadRequest(f"Invalid filter value {value}. There is no comma "
                                    "before opening quotation mark.")
        values.append(piece)
        i = end + 1
    return values


def _filter(name: str, value: str) -> tuple[str, str, Any]:
    if name in _RANGES:
        column, op = _RANGES[name]
        try:
            return column, op, int(value)
        except ValueError:
            raise errors.BadRequest("Unable to filter on a range with a non-numeric "
                                    "value.") from None
    op, operand = _split_op(value)
    if name in _TIMES:
        when = _parse_time(operand)
        if when is None:
            raise errors.BadRequest(f'Bad "{name}" query filter format. Use ISO 8601 '
                                    "DateTime notation.")
        if op not in db.OPERATORS or op == "in":
            raise errors.BadRequest("Unable to filter on a unknown operator.")
        return name, op, when
    if name in _LISTY:
        if op == "in":
            return name, "in", split_in(operand)
        if op != "eq":
            raise errors.BadRequest(f"Unable to filter by unknown operator '{op}'.")
        return name, "eq", operand
    if name == "protected":
        return name, "eq", _boolean(name, value)
    if name in _INTEGERS:
        try:
            return name, "eq", int(value)
        except ValueError:
            raise errors.BadRequest(f"Invalid value '{value}' for '{name}' filter.") from None
    return name, "eq", value


def parse(req: Request) -> db.ListQuery:
    """The ListQuery of this request, or 400 as Glance words it."""
    q = req.query
    if "changes-since" in q:
        raise errors.BadRequest('The "changes-since" filter is no longer available on v2.')
    member_status = q.get("member_status", "accepted")
    if member_status not in _MEMBER_STATUSES:
        raise errors.BadRequest(f"Invalid status: {member_status}")
    visibility = q.get("visibility") or None
    if visibility is not None and visibility not in _VISIBILITIES:
        raise errors.BadRequest(f"Invalid visibility value: {visibility}")
    query = db.ListQuery(
        viewer=common.viewer(req), visibility=visibility, member_status=member_status,
        os_hidden=_boolean("os_hidden", q.get("os_hidden", "false").lower()),
        tags=[t.strip() for t in q.getlist("tag")], sort=_sort(req),
        limit=_limit(q.get("limit")))
    for name, value in q.multi_items():
        if name in _NOT_FILTERS:
            continue
        if name in db.FILTER_COLUMNS or name in _RANGES:
            query.filters.append(_filter(name, value))
        else:
            query.properties[name] = value
    return query


def links(req: Request, full_page: list[dict[str, Any]]) -> dict[str, str]:
    """first, schema and (when the page was full) next, as Glance links them."""
    params = [(k, v) for k, v in req.query.multi_items() if k != "marker"]
    out = {"first": "/v2/images" + (f"?{urlencode(params)}" if params else ""),
           "schema": "/v2/schemas/images"}
    if full_page:
        out["next"] = "/v2/images?" + urlencode([*params, ("marker", full_page[-1]["id"])])
    return out
