"""/servers/{server_id}/os-instance-actions: what was done to a server, and how it went.

From 2.21 deleted servers keep their history; from 2.51 their owners see
the events (without tracebacks); 2.58 pages with limit and marker (a
request id) and filters by changes-since, 2.66 by changes-before; 2.62
adds hostId (and host, for admins) to events; 2.84 their details.
"""

from __future__ import annotations

import datetime
from typing import Any

from starlette.responses import Response

from nimbus.common.api import errors
from nimbus.common.api.app import Request, json_response
from nimbus.common.api.pagination import Page, next_link
from nimbus.compute import exceptions as exc
from nimbus.compute.api import common
from nimbus.compute.api.common import compute, handler, since
from nimbus.compute.api.handlers.servers import find
from nimbus.compute.api.views import instance_actions as views
from nimbus.compute.ops import instance_actions as ops
from nimbus.compute.ops.lookup import Found

POLICY = "os_compute_api:os-instance-actions:"


def _server(req: Request) -> Found:
    return find(req, read_deleted="yes" if since(req, "2.21") else "no")


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


def _filters(req: Request) -> ops.Filters:
    """2.58's query: strict, each parameter once."""
    known = ["limit", "marker", "changes-since"] + (
        ["changes-before"] if since(req, "2.66") else [])
    common.check_query(req, known, strict=True)
    for name in known:
        if len(req.query.getlist(name)) > 1:
            raise errors.BadRequest(f"Invalid input for query parameters {name}. Value: "
                                    f"{req.query.getlist(name)}. "
                                    f"{req.query.getlist(name)} is not of type 'string'")
    limit = None
    raw = req.query.get("limit")
    if raw is not None:
        if not raw.isdigit():
            raise errors.BadRequest(f"Invalid input for query parameters limit. Value: {raw}. "
                                    f"'{raw}' does not match '^[0-9]*$'")
        limit = int(raw)
    limit = min(limit if limit is not None else compute(req).max_limit,
                compute(req).max_limit)
    changes_since = _time(req, "changes-since")
    changes_before = _time(req, "changes-before") if since(req, "2.66") else None
    if changes_since and changes_before and changes_before < changes_since:
        raise errors.BadRequest("The value of changes-since must be less than or equal to "
                                "changes-before.")
    return ops.Filters(limit=limit, marker=req.query.get("marker"),
                       changes_since=changes_since, changes_before=changes_before)


@handler()
def list_instance_actions(req: Request) -> Response:
    """GET /servers/{server_id}/os-instance-actions -> 200, newest first."""
    found = _server(req)
    req.context.can(POLICY + "list", {"project_id": found.server.project_id})
    paged = since(req, "2.58")
    filters = _filters(req) if paged else ops.Filters()
    try:
        rows = ops.list_actions(compute(req), found, filters)
    except exc.MarkerNotFound as err:
        raise errors.BadRequest(str(err)) from None
    items = [views.action(row, with_updated_at=paged) for row in rows]
    body: dict[str, Any] = {"instanceActions": items}
    if paged and filters.limit:
        url = f"{common.api_root(req)}/servers/{found.server.uuid}/os-instance-actions"
        href = next_link(url, req.query, items, Page(filters.limit, filters.marker),
                         id_key="request_id")
        if href:
            body["links"] = [{"rel": "next", "href": href}]
    return json_response(body)


def _event_view(req: Request, found: Found) -> views.EventView | None:
    """None: no events for this caller at this microversion."""
    target = {"project_id": found.server.project_id}
    host_id = since(req, "2.62")
    details = since(req, "2.84") and req.context.allowed(POLICY + "events:details", target)
    if req.context.allowed(POLICY + "events", target):
        return views.EventView(traceback=True, host=host_id, host_id=host_id,
                               details=details)
    if since(req, "2.51"):
        return views.EventView(host_id=host_id, details=details)
    return None


@handler()
def show_instance_action(req: Request) -> Response:
    """GET /servers/{server_id}/os-instance-actions/{request_id} -> 200."""
    common.check_query(req, (), since(req, "2.102"))
    found = _server(req)
    req.context.can(POLICY + "show", {"project_id": found.server.project_id})
    request_id = req.path_params["request_id"]
    try:
        row = ops.get_action(compute(req), found, request_id)
    except exc.InstanceActionNotFound:
        raise errors.NotFound(f"Action {request_id} not found") from None
    body = views.action(row, with_updated_at=since(req, "2.58"))
    view = _event_view(req, found)
    if view is not None:
        project = row.get("project_id") or found.server.project_id
        body["events"] = [views.event(e, project, view) for e in row["events"]]
    return json_response({"instanceAction": body})
