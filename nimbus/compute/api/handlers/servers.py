"""/servers: create, list (brief and detail), show, update and delete servers."""

from __future__ import annotations

import datetime
import ipaddress
import re
from typing import Any

from starlette.responses import Response

from nimbus.common.api import errors
from nimbus.common.api.app import Request, empty_response, json_response
from nimbus.compute import exceptions as exc
from nimbus.compute import states
from nimbus.compute.api import common
from nimbus.compute.api.common import compute, handler, since
from nimbus.compute.api.schemas import servers as schema
from nimbus.compute.api.schemas.common import to_bool
from nimbus.compute.api.views import servers as views
from nimbus.compute.db import build_requests, flavors, server_groups
from nimbus.compute.db.cell import instances as cell_instances
from nimbus.compute.ops import boot, listing, lookup, soft_delete

POLICY = "os_compute_api:servers:"


def target(req: Request, project_id: str | None = None) -> dict[str, Any]:
    return {"project_id": project_id or req.context.project_id,
            "user_id": req.context.user_id}


def ipv6(address: str | None) -> str | None:
    """An IPv6 address in its short form, as Nova stores accessIPv6."""
    return str(ipaddress.IPv6Address(address)) if address else address


def find(req: Request, server_id: str | None = None,
         read_deleted: str = "no") -> lookup.Found:
    return lookup.find(compute(req), req.context, server_id or req.path_params["server_id"],
                       common.is_admin(req), read_deleted)


# --- create -----------------------------------------------------------------------

def _hints(body: dict[str, Any]) -> dict[str, list[str]]:
    raw = body.get("os:scheduler_hints") or body.get("OS-SCH-HNT:scheduler_hints") or {}
    hints: dict[str, list[str]] = {}
    for key, value in raw.items():
        values = value if isinstance(value, list) else [value]
        hints[key] = [v if isinstance(v, str) else str(v) for v in values]
    return hints


def _boot_request(req: Request, body: dict[str, Any]) -> boot.BootRequest:
    server = body["server"]
    count = {k: int(server.get(k, 1)) for k in ("min_count", "max_count")}
    if "max_count" not in server:
        count["max_count"] = count["min_count"]
    names = [g["name"] for g in server.get("security_groups", []) if "name" in g]
    request = boot.BootRequest(
        name=server["name"], flavor_ref=str(server["flavorRef"]),
        image_ref=server.get("imageRef") or None, key_name=server.get("key_name"),
        metadata=dict(server.get("metadata", {})), user_data=server.get("user_data"),
        availability_zone=server.get("availability_zone"), networks=server.get("networks"),
        security_groups=names or ["default"],
        config_drive=to_bool(server.get("config_drive", False)),
        access_ip_v4=server.get("accessIPv4"), access_ip_v6=ipv6(server.get("accessIPv6")),
        auto_disk_config=server.get("OS-DCF:diskConfig", "MANUAL") == "AUTO",
        injected_files=boot.decode_personality(server.get("personality", [])),
        block_device_mappings=list(server.get("block_device_mapping_v2", []))
        + list(server.get("block_device_mapping", [])),
        min_count=count["min_count"], max_count=count["max_count"],
        description=server.get("description"), tags=list(server.get("tags", [])),
        hostname=server.get("hostname"), requested_host=server.get("host"),
        requested_node=server.get("hypervisor_hostname"), scheduler_hints=_hints(body),
        admin_password=server.get("adminPass"))
    if request.requested_host or request.requested_node:
        req.context.can("compute:servers:create:requested_destination", target(req))
    return request


@handler()
def create_server(req: Request) -> Response:
    """POST /servers -> 202 with the first server (or the reservation id)."""
    req.context.can(POLICY + "create", target(req))
    body = common.body(req, schema.create_schema(lambda v: since(req, v)))
    request = _boot_request(req, body)
    try:
        booted = boot.boot(compute(req), req.context, request, common.is_admin(req))
    except exc.QuotaExceeded as err:
        raise errors.Forbidden(str(err)) from None
    except exc.Forbidden as err:
        raise errors.Forbidden(str(err)) from None
    server_body = body["server"]
    if to_bool(server_body.get("return_reservation_id", False)):
        return json_response({"reservation_id": booted.reservation_id}, 202)
    first = booted.instance_uuids[0]
    answer: dict[str, Any] = {
        "id": first, "links": common.links(req, "servers", first),
        "OS-DCF:diskConfig": "AUTO" if request.auto_disk_config else "MANUAL",
        "security_groups": [{"name": n} for n in request.security_groups],
    }
    if booted.admin_password is not None:
        answer["adminPass"] = booted.admin_password
    return json_response({"server": answer}, 202,
                         headers={"Location": answer["links"][0]["href"]})


# --- list ---------------------------------------------------------------------------

_USER_FILTERS = {"name", "status", "image", "flavor", "ip", "changes-since", "limit",
                 "marker", "sort_key", "sort_dir", "all_tenants", "reservation_id"}
_USER_FILTERS_V2_5 = {"ip6"}
_USER_FILTERS_V2_26 = {"tags", "tags-any", "not-tags", "not-tags-any"}
_USER_FILTERS_V2_66 = {"changes-before"}
_USER_FILTERS_V2_73 = {"locked"}
_USER_FILTERS_V2_83 = {"availability_zone", "config_drive", "key_name", "created_at",
                       "launched_at", "terminated_at", "power_state", "task_state",
                       "vm_state", "progress", "user_id"}
_ADMIN_FILTERS = {"user_id", "project_id", "tenant_id", "launch_index", "image_ref",
                  "kernel_id", "ramdisk_id", "hostname", "key_name", "power_state",
                  "vm_state", "task_state", "host", "node", "launched_at", "terminated_at",
                  "availability_zone", "display_name", "description", "display_description",
                  "locked_by", "uuid", "root_device_name", "config_drive", "access_ip_v4",
                  "access_ip_v6", "auto_disk_config", "progress", "soft_deleted", "deleted",
                  "created_at", "ip6", "block_device_mapping", "services", "metadata",
                  "system_metadata", "info_cache", "security_groups", "pci_devices"}
_REGEX_COLUMNS = {"name": "display_name", "display_name": "display_name",
                  "description": "display_description",
                  "display_description": "display_description", "hostname": "hostname",
                  "key_name": "key_name", "node": "node", "reservation_id": "reservation_id",
                  "availability_zone": "availability_zone", "kernel_id": "kernel_id",
                  "ramdisk_id": "ramdisk_id", "locked_by": "locked_by",
                  "root_device_name": "root_device_name", "config_drive": "config_drive",
                  "access_ip_v4": "access_ip_v4", "access_ip_v6": "access_ip_v6"}
_EXACT_COLUMNS = {"uuid": "uuid", "host": "host", "vm_state": "vm_state",
                  "task_state": "task_state", "image": "image_ref", "image_ref": "image_ref",
                  "user_id": "user_id", "launch_index": "launch_index",
                  "power_state": "power_state", "progress": "progress"}


def _allowed_filters(req: Request, admin: bool) -> set[str]:
    allowed = set(_USER_FILTERS)
    for version, extra in (("2.5", _USER_FILTERS_V2_5), ("2.26", _USER_FILTERS_V2_26),
                           ("2.66", _USER_FILTERS_V2_66), ("2.73", _USER_FILTERS_V2_73),
                           ("2.83", _USER_FILTERS_V2_83)):
        if since(req, version):
            allowed |= extra
    if admin:
        allowed |= _ADMIN_FILTERS
    return allowed


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


def _limit(req: Request) -> int:
    raw = req.query.get("limit")
    maximum = compute(req).max_limit
    if raw is None:
        return maximum
    try:
        value = int(raw)
    except ValueError:
        raise errors.BadRequest(f"Invalid input for query parameters limit. Value: {raw}. "
                                f"'{raw}' does not match '^[0-9]*$'") from None
    if value < 0:
        raise errors.BadRequest(f"Invalid input for query parameters limit. Value: {raw}. "
                                f"'{raw}' does not match '^[0-9]*$'")
    return min(value, maximum)


def _sort(req: Request) -> list[tuple[str, str]]:
    keys = req.query.getlist("sort_key")
    dirs = req.query.getlist("sort_dir")
    strict = since(req, "2.75")
    allowed_keys = set(listing.SORT_COLUMNS) - ({"locked"} if not since(req, "2.73") else set())
    pairs: list[tuple[str, str]] = []
    for i, key in enumerate(keys):
        direction = dirs[i] if i < len(dirs) else (dirs[-1] if dirs else "desc")
        if direction not in ("asc", "desc"):
            raise errors.BadRequest(f"Invalid sort direction {direction}")
        if key in allowed_keys:
            pairs.append((key, direction))
        elif strict or key not in listing.IGNORED_SORT_KEYS:
            raise errors.BadRequest(f"Invalid input for query parameters sort_key. Value: "
                                    f"{key}. '{key}' is not one of the valid sort keys")
    return pairs or [("created_at", "desc")]


def _status(req: Request, query: listing.Query, admin: bool) -> bool:
    """False when the status names nothing that can match (an empty answer)."""
    wanted = [s.upper() for s in req.query.getlist("status")]
    if not wanted:
        return True
    pairs: list[tuple[str, list[str | None] | None]] = []
    for status in wanted:
        if status == "DELETED" and admin:
            query.deleted = True
            continue
        found = states.states_for_status(status)
        if found is None:
            if since(req, "2.38"):
                raise errors.BadRequest(f"Invalid status value: {status.lower()}")
            continue
        pairs.extend(found)
    if not pairs:
        return query.deleted is True
    query.status = pairs
    return True


def _regex(req: Request, name: str) -> str:
    value = req.query[name]
    try:
        re.compile(value)
    except re.error:
        raise errors.BadRequest(f"Invalid regular expression for {name}: {value}") from None
    return value


def _flavor_filter(req: Request, query: listing.Query) -> bool:
    ref = req.query.get("flavor")
    if ref is None:
        return True
    with compute(req).api_db.reader() as conn:
        try:
            flavor = flavors.get(conn, ref, flavors.Viewer(None, True))
        except exc.FlavorNotFound:
            return False
    query.flavor_id = flavor.id
    return True


def _list_query(req: Request) -> listing.Query | None:
    """The request's filters as a Query; None when nothing can match."""
    ctx = req.context
    admin = common.is_admin(req)
    all_tenants = "all_tenants" in req.query and ctx.allowed(
        POLICY + "index:get_all_tenants", target(req)) and _truthy(req.query["all_tenants"])
    allowed = _allowed_filters(req, admin)
    if since(req, "2.75"):
        unknown = sorted(set(req.query.keys()) - allowed - _ADMIN_FILTERS - _USER_FILTERS_V2_83)
        if unknown:
            raise errors.BadRequest(
                f"Invalid input for query parameters {unknown[0]}. Additional properties "
                f"are not allowed ('{unknown[0]}' was unexpected)")
    query = listing.Query(project_id=None if all_tenants else ctx.project_id,
                          limit=_limit(req), marker=req.query.get("marker"), sort=_sort(req))
    if admin and all_tenants:
        project = req.query.get("project_id") or req.query.get("tenant_id")
        query.project_id = project or None
    elif admin and (req.query.get("project_id") or req.query.get("tenant_id")):
        query.project_id = req.query.get("project_id") or req.query.get("tenant_id")
    for name in req.query.keys():
        if name not in allowed:
            continue  # not for this caller or version: ignored, as Nova does
        if name in _REGEX_COLUMNS:
            query.regex[_REGEX_COLUMNS[name]] = _regex(req, name)
        elif name in _EXACT_COLUMNS:
            query.exact[_EXACT_COLUMNS[name]] = req.query.getlist(name)
    if admin and "deleted" in req.query:
        query.deleted = True if _truthy(req.query["deleted"]) else False
    query.changes_since = _time(req, "changes-since")
    if since(req, "2.66"):
        query.changes_before = _time(req, "changes-before")
        if query.changes_since and query.changes_before and \
                query.changes_before < query.changes_since:
            raise errors.BadRequest("The value of changes-since must be less than or equal "
                                    "to changes-before.")
    if since(req, "2.26"):
        for name, attr in (("tags", "tags_all"), ("tags-any", "tags_any"),
                           ("not-tags", "not_tags_all"), ("not-tags-any", "not_tags_any")):
            if name in req.query:
                setattr(query, attr, [t for t in req.query[name].split(",") if t])
    if since(req, "2.73") and "locked" in req.query:
        query.locked = _strict_bool(req.query["locked"], "locked")
    query.ip = req.query.get("ip")
    query.ip6 = req.query.get("ip6") if (since(req, "2.5") or admin) else None
    if not _status(req, query, admin) or not _flavor_filter(req, query):
        return None
    return query


def _truthy(value: str) -> bool:
    return value.strip().lower() not in ("0", "false", "f", "no", "n", "off")


def _strict_bool(value: str, name: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "t", "yes", "y", "on"):
        return True
    if lowered in ("0", "false", "f", "no", "n", "off"):
        return False
    raise errors.BadRequest(f"Invalid input for query parameters {name}. Value: {value}.")


def _list(req: Request, detail: bool) -> Response:
    req.context.can(POLICY + ("detail" if detail else "index"), target(req))
    query = _list_query(req)
    if query is None or query.limit == 0:
        return json_response({"servers": []})
    try:
        page = listing.list_servers(compute(req), query)
    except exc.MarkerNotFound:
        raise errors.BadRequest(f"marker [{query.marker}] not found") from None
    if detail:
        renderer = views.Renderer(req, host_status=_host_status(req, page.servers))
        items = [renderer.detail(s) for s in page.servers]
    else:
        items = [views.brief(req, s) for s in page.servers]
    items += _down_cell_items(req, page, detail)
    body: dict[str, Any] = {"servers": items}
    if len(page.servers) >= query.limit and page.servers:
        from nimbus.common.api.pagination import links as collection_links
        from nimbus.common.api.pagination import page_params

        path = "servers/detail" if detail else "servers"
        params = page_params(req.query, compute(req).max_limit)
        body["servers_links"] = collection_links(
            f"{common.api_root(req)}/{path}", req.query, [{"id": page.servers[-1].uuid}],
            params) or [{"rel": "next", "href": f"{common.api_root(req)}/{path}?limit="
                         f"{query.limit}&marker={page.servers[-1].uuid}"}]
    return json_response(body)


def _down_cell_items(req: Request, page: listing.Page, detail: bool) -> list[dict[str, Any]]:
    """2.69: servers of unreachable cells, as much as the API database knows."""
    if not page.down_cells or not since(req, "2.69"):
        return []
    from nimbus.compute.ops import down_cells

    return down_cells.minimal_servers(compute(req), req, page.down_cells, detail)


def _host_status(req: Request, servers: list[cell_instances.InstanceRecord]) -> dict[str, str]:
    if not since(req, "2.16") or not req.context.allowed(
            "os_compute_api:servers:show:host_status", target(req)):
        return {}
    from nimbus.compute.ops import hosts

    return hosts.host_status(compute(req), servers)


@handler()
def list_servers(req: Request) -> Response:
    """GET /servers -> 200."""
    return _list(req, detail=False)


@handler()
def list_servers_detail(req: Request) -> Response:
    """GET /servers/detail -> 200."""
    return _list(req, detail=True)


# --- one server -----------------------------------------------------------------------

def render_one(req: Request, found: lookup.Found, reduced: bool = False) -> dict[str, Any]:
    groups = None
    if since(req, "2.71"):
        with compute(req).api_db.reader() as conn:
            groups = server_groups.groups_of(conn, [found.server.uuid])
    renderer = views.Renderer(req, host_status=_host_status(req, [found.server]),
                              server_groups=groups)
    return renderer.detail(found.server, reduced=reduced)


@handler()
def show_server(req: Request) -> Response:
    """GET /servers/{server_id} -> 200."""
    found = find(req)
    req.context.can(POLICY + "show", target(req, found.server.project_id))
    return json_response({"server": render_one(req, found)})


@handler()
def update_server(req: Request) -> Response:
    """PUT /servers/{server_id} -> 200 with the server."""
    chosen = (schema.UPDATE_V2_90 if since(req, "2.90") else
              schema.UPDATE_V2_19 if since(req, "2.19") else schema.UPDATE_V2_1)
    body = common.body(req, chosen)["server"]
    found = find(req)
    req.context.can(POLICY + "update", target(req, found.server.project_id))
    values: dict[str, Any] = {}
    if "name" in body:
        values["display_name"] = body["name"]
    if "description" in body:
        values["display_description"] = body["description"]
    if "accessIPv4" in body:
        values["access_ip_v4"] = body["accessIPv4"]
    if "accessIPv6" in body:
        values["access_ip_v6"] = ipv6(body["accessIPv6"])
    if "OS-DCF:diskConfig" in body:
        values["auto_disk_config"] = body["OS-DCF:diskConfig"] == "AUTO"
    if "hostname" in body:
        values["hostname"] = body["hostname"]
    if found.cell is None:
        # Still a build request: change what the conductor will create.
        found = _update_build_request(req, found, values)
    elif values:
        with compute(req).cells.db(found.cell).writer() as conn:
            updated = cell_instances.update(conn, found.server.uuid, values)
        updated.cell_uuid = found.cell.uuid
        found = lookup.Found(updated, found.cell)
    return json_response({"server": render_one(req, found, reduced=not since(req, "2.75"))})


def _update_build_request(req: Request, found: lookup.Found,
                          values: dict[str, Any]) -> lookup.Found:
    with compute(req).api_db.writer() as conn:
        try:
            request = build_requests.get(conn, found.server.uuid)
        except exc.BuildRequestNotFound:
            request = None
        if request is not None:
            request["instance"].update(values)
            build_requests.update_instance(conn, found.server.uuid, request["instance"])
    if request is None:  # it reached its cell meanwhile
        found = find(req)
        if found.cell is not None and values:
            with compute(req).cells.db(found.cell).writer() as conn:
                updated = cell_instances.update(conn, found.server.uuid, values)
            updated.cell_uuid = found.cell.uuid
            return lookup.Found(updated, found.cell)
        return found
    return lookup.Found(lookup.record_from_build_request(request), None)


@handler()
def delete_server(req: Request) -> Response:
    """DELETE /servers/{server_id} -> 204."""
    found = find(req)
    req.context.can(POLICY + "delete", target(req, found.server.project_id))
    try:
        soft_delete.delete(compute(req), req.context, found, common.is_admin(req))
    except exc.InstanceIsLocked as err:
        raise errors.Conflict(str(err)) from None
    return empty_response(204)
