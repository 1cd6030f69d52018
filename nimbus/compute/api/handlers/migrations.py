"""GET /os-migrations, and the live migrations of one server under
/servers/{server_id}/migrations: list, show, force_complete, abort."""

from __future__ import annotations

import datetime
from typing import Any

from starlette.responses import Response

from nimbus.common.api import errors
from nimbus.common.api.app import Request, empty_response, json_response
from nimbus.common.api.pagination import Page, links
from nimbus.compute import exceptions as exc
from nimbus.compute.api import common
from nimbus.compute.api.common import compute, handler, since
from nimbus.compute.api.handlers.servers import find
from nimbus.compute.api.schemas import moves as schema
from nimbus.compute.api.schemas.common import to_bool
from nimbus.compute.api.views import migrations as views
from nimbus.compute.db.cell.moves import LIVE_IN_PROGRESS, Filters
from nimbus.compute.ops import migrate, migration_list

POLICY = "os_compute_api:os-migrations:"
SERVER_POLICY = "os_compute_api:servers:migrations:"

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


# --- /servers/{server_id}/migrations -----------------------------------------------------

@handler("2.23")
def list_server_migrations(req: Request) -> Response:
    """GET /servers/{server_id}/migrations -> 200 (2.23): live migrations under way."""
    found = find(req)
    target = {"project_id": found.server.project_id}
    req.context.can(SERVER_POLICY + "index", target)
    common.check_query(req, [], strict=since(req, "2.102"))
    show_hosts = req.context.allowed(SERVER_POLICY + "index:host", target)
    if found.cell is None:
        return json_response({"migrations": []})
    found_migrations = migration_list.of_server(compute(req), found.cell, found.server.uuid)
    return json_response({"migrations": [views.of_server(req, m, show_hosts)
                                         for m in found_migrations]})


@handler("2.23")
def show_server_migration(req: Request) -> Response:
    """GET /servers/{server_id}/migrations/{migration_id} -> 200 (2.23)."""
    found = find(req)
    req.context.can(SERVER_POLICY + "show", {"project_id": found.server.project_id})
    common.check_query(req, [], strict=since(req, "2.102"))
    server_id, migration_id = found.server.uuid, req.path_params["migration_id"]
    if found.cell is None:
        raise errors.NotFound(f"In-progress live migration {migration_id} is not found for "
                              f"server {server_id}.")
    try:
        migration = migrate.live_migration_of(compute(req), found, migration_id)
    except exc.MigrationNotFoundForInstance:
        raise errors.NotFound(f"In-progress live migration {migration_id} is not found for "
                              f"server {server_id}.") from None
    if migration.migration_type != "live-migration":
        raise errors.NotFound(f"Migration {migration_id} for server {server_id} is not "
                              "live-migration.")
    if migration.status not in LIVE_IN_PROGRESS:
        raise errors.NotFound(f"Live migration {migration_id} for server {server_id} is not "
                              "in progress.")
    return json_response({"migration": views.of_server(req, migration, True)})


@handler("2.22")
def server_migration_action(req: Request) -> Response:
    """POST /servers/{server_id}/migrations/{migration_id}/action
    {"force_complete": null} -> 202 (2.22)."""
    common.body(req, schema.FORCE_COMPLETE)
    found = find(req)
    req.context.can(SERVER_POLICY + "force_complete", {"project_id": found.server.project_id})
    try:
        migrate.force_complete(compute(req), req.context, found,
                               req.path_params["migration_id"], common.is_admin(req))
    except exc.MigrationNotFound as err:
        raise errors.BadRequest(str(err)) from None
    return empty_response(202)


@handler("2.24")
def delete_server_migration(req: Request) -> Response:
    """DELETE /servers/{server_id}/migrations/{migration_id} -> 202 (2.24):
    abort a live migration (from 2.65, also one queued or preparing)."""
    found = find(req)
    req.context.can(SERVER_POLICY + "delete", {"project_id": found.server.project_id})
    migrate.abort(compute(req), req.context, found, req.path_params["migration_id"],
                  since(req, "2.65"), common.is_admin(req))
    return empty_response(202)
