"""GET /os-migrations: the migrations of every cell, per microversion."""

from __future__ import annotations

import datetime
from typing import Any

from starlette.responses import Response

from nimbus.common.api import errors
from nimbus.common.api.app import Request, json_response
from nimbus.common.api.pagination import Page, links
from nimbus.compute import exceptions as exc
from nimbus.compute.api import common
from nimbus.compute.api.common import compute, handler, since
from nimbus.compute.api.schemas.common import to_bool
from nimbus.compute.api.views import migrations as views
from nimbus.compute.db.cell.moves import Filters
from nimbus.compute.ops import migration_list

POLICY = "os_compute_api:os-migrations:"

_FILTERS = ("hidden", "host", "instance_uuid", "source_compute", "status", "migration_type")


# --- GET /os-migrations ----------------------------------------------------------------

def _allowed_query(req: Request) -> list[str]:
    known = [*_FILTERS, "limit", "marker", "changes-since"]
    if since(req, "2.66"):
        known.append("changes-before")
    if since(req, "2.80"):
        known += ["user_id", "project_id"]
    return known


def _time(req: Request, name: str) -> datetime.datetime | None:
    raw = req.query.get(name)
    if raw is None:
        return None
    try:
        value = datetime.datetime.fromisoformat(raw.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise errors.BadRequest(f"Invalid input for query parameters {name}. Value: {raw}. "
                                f"'{raw}' is not a 'date-time'") from None
    return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)


def _page(req: Request) -> Page:
    raw = req.query.get("limit")
    maximum = compute(req).max_limit
    if raw is None:
        return Page(maximum, req.query.get("marker"))
    if not raw.isdigit():
        raise errors.BadRequest(f"Invalid input for query parameters limit. Value: {raw}. "
                                f"'{raw}' does not match '^[0-9]*$'")
    return Page(min(int(raw), maximum), req.query.get("marker"))


def _filters(req: Request) -> Filters:
    query = req.query
    filters = Filters(host=query.get("host"), source_compute=query.get("source_compute"),
                      instance_uuid=query.get("instance_uuid"),
                      migration_type=query.get("migration_type"),
                      status=query.getlist("status"),
                      user_id=query.get("user_id"), project_id=query.get("project_id"))
    if "hidden" in query:
        filters.hidden = to_bool(query["hidden"])
    if since(req, "2.59"):
        filters.changes_since = _time(req, "changes-since")
    if since(req, "2.66"):
        filters.changes_before = _time(req, "changes-before")
        if filters.changes_since and filters.changes_before and \
                filters.changes_before < filters.changes_since:
            raise errors.BadRequest("The value of changes-since must be less than or equal "
                                    "to changes-before.")
    return filters


@handler()
def list_migrations(req: Request) -> Response:
    """GET /os-migrations -> 200 (paged from 2.59)."""
    ctx = req.context
    ctx.can(POLICY + "index", {"project_id": ctx.project_id})
    paged = since(req, "2.59")
    common.check_query(req, _allowed_query(req), strict=paged)
    project = req.query.get("project_id")
    if not project or project != ctx.project_id:
        ctx.can(POLICY + "index:all_projects", {"project_id": ctx.project_id})
    show_hosts = ctx.allowed(POLICY + "index:host", {"project_id": ctx.project_id})
    filters = _filters(req)
    page = _page(req) if paged else None
    try:
        found = migration_list.list_migrations(
            compute(req), filters, page.limit if page else None, page.marker if page else None)
    except exc.MarkerNotFound as err:
        raise errors.BadRequest(str(err)) from None
    items = [views.listed(req, m, show_hosts) for m in found if not m.hidden]
    body: dict[str, Any] = {"migrations": items}
    if page is not None:
        more = links(f"{common.api_root(req)}/os-migrations", req.query, items, page,
                     id_key="uuid")
        if more:
            body["migrations_links"] = more
    return json_response(body)
