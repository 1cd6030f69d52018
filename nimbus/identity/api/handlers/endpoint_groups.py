"""/v3/OS-EP-FILTER: endpoint groups, and endpoints and groups associated with projects."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.responses import Response

from nimbus.common.api.app import Request, empty_response, json_response
from nimbus.identity.api import schemas
from nimbus.identity.api.common import entity, identity, list_response, with_links
from nimbus.identity.db import endpoint_groups as groups

Handler = Callable[[Request], Response]
PREFIX = "/v3/OS-EP-FILTER"
_GROUPS = "OS-EP-FILTER/endpoint_groups"


def _group(req: Request, ref: dict[str, Any]) -> dict[str, Any]:
    return with_links(req, _GROUPS, ref)


def _ids(req: Request, *names: str) -> list[str]:
    return [req.path_params[name] for name in names]


# -- endpoint groups ------------------------------------------------------------

def list_endpoint_groups(req: Request) -> Response:
    """GET /v3/OS-EP-FILTER/endpoint_groups -> 200."""
    req.context.can("identity:list_endpoint_groups")
    with identity(req).db.reader() as conn:
        found = groups.list_groups(conn, name=req.query.get("name"))
    return list_response(req, "endpoint_groups", found, lambda g: _group(req, g))


def create_endpoint_group(req: Request) -> Response:
    """POST /v3/OS-EP-FILTER/endpoint_groups -> 201."""
    ref = entity(req, "endpoint_group", schemas.CREATE_ENDPOINT_GROUP)
    req.context.can("identity:create_endpoint_group")
    with identity(req).db.writer() as conn:
        created = groups.create_group(conn, ref)
    return json_response({"endpoint_group": _group(req, created)}, 201)


def show_endpoint_group(req: Request) -> Response:
    """GET (and HEAD) /v3/OS-EP-FILTER/endpoint_groups/{endpoint_group_id} -> 200."""
    req.context.can("identity:get_endpoint_group")
    with identity(req).db.reader() as conn:
        found = groups.get_group(conn, req.path_params["endpoint_group_id"])
    return json_response({"endpoint_group": _group(req, found)})


def update_endpoint_group(req: Request) -> Response:
    """PATCH /v3/OS-EP-FILTER/endpoint_groups/{endpoint_group_id} -> 200."""
    changes = entity(req, "endpoint_group", schemas.UPDATE_ENDPOINT_GROUP)
    req.context.can("identity:update_endpoint_group")
    with identity(req).db.writer() as conn:
        updated = groups.update_group(conn, req.path_params["endpoint_group_id"], changes)
    return json_response({"endpoint_group": _group(req, updated)})


def delete_endpoint_group(req: Request) -> Response:
    """DELETE /v3/OS-EP-FILTER/endpoint_groups/{endpoint_group_id} -> 204."""
    req.context.can("identity:delete_endpoint_group")
    with identity(req).db.writer() as conn:
        groups.delete_group(conn, req.path_params["endpoint_group_id"])
    return empty_response()


def list_group_endpoints(req: Request) -> Response:
    """GET /v3/OS-EP-FILTER/endpoint_groups/{endpoint_group_id}/endpoints -> 200."""
    req.context.can("identity:list_endpoints_associated_with_endpoint_group")
    with identity(req).db.reader() as conn:
        found = groups.endpoints_in_group(conn, req.path_params["endpoint_group_id"])
    return list_response(req, "endpoints", found, lambda e: with_links(req, "endpoints", e))


def list_group_projects(req: Request) -> Response:
    """GET /v3/OS-EP-FILTER/endpoint_groups/{endpoint_group_id}/projects -> 200."""
    req.context.can("identity:list_projects_associated_with_endpoint_group")
    with identity(req).db.reader() as conn:
        found = groups.projects_of_group(conn, req.path_params["endpoint_group_id"])
    return list_response(req, "projects", found, lambda p: with_links(req, "projects", p))


# -- endpoint groups of projects ------------------------------------------------

def show_group_in_project(req: Request) -> Response:
    """GET (and HEAD) /v3/OS-EP-FILTER/endpoint_groups/{endpoint_group_id}/projects/{project_id}
    -> 200."""
    req.context.can("identity:get_endpoint_group_in_project")
    group_id, project_id = _ids(req, "endpoint_group_id", "project_id")
    with identity(req).db.reader() as conn:
        ref = groups.get_group_in_project(conn, group_id, project_id)
    ref["links"] = {"self": req.url(f"{PREFIX}/endpoint_groups/{group_id}/projects/{project_id}")}
    return json_response({"project_endpoint_group": ref})


def add_group_to_project(req: Request) -> Response:
    """PUT /v3/OS-EP-FILTER/endpoint_groups/{endpoint_group_id}/projects/{project_id} -> 204."""
    req.context.can("identity:add_endpoint_group_to_project")
    with identity(req).db.writer() as conn:
        groups.add_group_to_project(conn, *_ids(req, "endpoint_group_id", "project_id"))
    return empty_response()


def remove_group_from_project(req: Request) -> Response:
    """DELETE /v3/OS-EP-FILTER/endpoint_groups/{endpoint_group_id}/projects/{project_id} -> 204."""
    req.context.can("identity:remove_endpoint_group_from_project")
    with identity(req).db.writer() as conn:
        groups.remove_group_from_project(conn, *_ids(req, "endpoint_group_id", "project_id"))
    return empty_response()


def list_project_groups(req: Request) -> Response:
    """GET /v3/OS-EP-FILTER/projects/{project_id}/endpoint_groups -> 200."""
    req.context.can("identity:list_endpoint_groups_for_project")
    with identity(req).db.reader() as conn:
        found = groups.groups_of_project(conn, req.path_params["project_id"])
    return list_response(req, "endpoint_groups", found, lambda g: _group(req, g))


# -- endpoints of projects ------------------------------------------------------

def list_project_endpoints(req: Request) -> Response:
    """GET /v3/OS-EP-FILTER/projects/{project_id}/endpoints -> 200: the endpoints
    associated directly and those of the project's endpoint groups."""
    req.context.can("identity:list_endpoints_for_project")
    with identity(req).db.reader() as conn:
        found = groups.endpoints_of_project(conn, req.path_params["project_id"])
    return list_response(req, "endpoints", found, lambda e: with_links(req, "endpoints", e))


def check_endpoint_in_project(req: Request) -> Response:
    """GET (and HEAD) /v3/OS-EP-FILTER/projects/{project_id}/endpoints/{endpoint_id} -> 204."""
    req.context.can("identity:check_endpoint_in_project")
    with identity(req).db.reader() as conn:
        groups.check_endpoint_in_project(conn, *_ids(req, "endpoint_id", "project_id"))
    return empty_response()


def add_endpoint_to_project(req: Request) -> Response:
    """PUT /v3/OS-EP-FILTER/projects/{project_id}/endpoints/{endpoint_id} -> 204."""
    req.context.can("identity:add_endpoint_to_project")
    with identity(req).db.writer() as conn:
        groups.add_endpoint_to_project(conn, *_ids(req, "endpoint_id", "project_id"))
    return empty_response()


def remove_endpoint_from_project(req: Request) -> Response:
    """DELETE /v3/OS-EP-FILTER/projects/{project_id}/endpoints/{endpoint_id} -> 204."""
    req.context.can("identity:remove_endpoint_from_project")
    with identity(req).db.writer() as conn:
        groups.remove_endpoint_from_project(conn, *_ids(req, "endpoint_id", "project_id"))
    return empty_response()


def list_endpoint_projects(req: Request) -> Response:
    """GET /v3/OS-EP-FILTER/endpoints/{endpoint_id}/projects -> 200."""
    req.context.can("identity:list_projects_for_endpoint")
    with identity(req).db.reader() as conn:
        found = groups.projects_of_endpoint(conn, req.path_params["endpoint_id"])
    return list_response(req, "projects", found, lambda p: with_links(req, "projects", p))


def routes() -> dict[str, dict[str, Handler]]:
    group = f"{PREFIX}/endpoint_groups/{{endpoint_group_id}}"
    project = f"{PREFIX}/projects/{{project_id}}"
    return {
        f"{PREFIX}/endpoint_groups": {
            "GET": list_endpoint_groups, "POST": create_endpoint_group},
        group: {"GET": show_endpoint_group, "PATCH": update_endpoint_group,
                "DELETE": delete_endpoint_group},
        f"{group}/endpoints": {"GET": list_group_endpoints},
        f"{group}/projects": {"GET": list_group_projects},
        f"{group}/projects/{{project_id}}": {
            "GET": show_group_in_project, "PUT": add_group_to_project,
            "DELETE": remove_group_from_project},
        f"{project}/endpoint_groups": {"GET": list_project_groups},
        f"{project}/endpoints": {"GET": list_project_endpoints},
        f"{project}/endpoints/{{endpoint_id}}": {
            "GET": check_endpoint_in_project, "PUT": add_endpoint_to_project,
            "DELETE": remove_endpoint_from_project},
        f"{PREFIX}/endpoints/{{endpoint_id}}/projects": {"GET": list_endpoint_projects},
    }
