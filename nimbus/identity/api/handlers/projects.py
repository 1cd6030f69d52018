"""/v3/projects and project tags."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbus.common.api.app import Request, empty_response, json_response
from nimbus.common.api.validation import validate
from nimbus.identity import exceptions as exc
from nimbus.identity.api import schemas
from nimbus.identity.api.common import (
    entity,
    identity,
    list_response,
    query_bool,
    target,
    token_domain_id,
    with_links,
)
from nimbus.identity.db import resources


def _render(req: Request, ref: dict[str, Any]) -> dict[str, Any]:
    return with_links(req, "projects", ref)


def _tags_filter(req: Request, name: str) -> list[str] | None:
    value = req.query.get(name)
    return [t for t in value.split(",") if t] if value else None


def list_projects(req: Request) -> Response:
    """GET /v3/projects -> 200."""
    ctx = req.context
    domain_id = req.query.get("domain_id")
    ctx.can("identity:list_projects", target(domain_id=domain_id or ctx.domain_id))
    is_domain = query_bool(req, "is_domain")
    with identity(req).db.reader() as conn:
        if is_domain:
            found = [resources.domain_as_project(d) for d in resources.list_domains(
                conn, name=req.query.get("name"), enabled=query_bool(req, "enabled"))]
        else:
            found = resources.list_projects(
                conn, domain_id=domain_id, name=req.query.get("name"),
                enabled=query_bool(req, "enabled"), parent_id=req.query.get("parent_id"),
                tags=_tags_filter(req, "tags"), tags_any=_tags_filter(req, "tags-any"),
                not_tags=_tags_filter(req, "not-tags"),
                not_tags_any=_tags_filter(req, "not-tags-any"))
    if not ctx.allowed("identity:list_projects", target()):
        # A domain reader sees the projects of its own domain only.
        found = [p for p in found if p.get("domain_id") == ctx.domain_id]
    return list_response(req, "projects", found, lambda p: _render(req, p))


def create_project(req: Request) -> Response:
    """POST /v3/projects -> 201 (is_domain=true creates a domain)."""
    ref = entity(req, "project", schemas.CREATE_PROJECT)
    ident = identity(req)
    if ref.get("is_domain"):
        req.context.can("identity:create_domain", target(domain=ref))
        with ident.db.writer() as conn:
            domain = resources.create_domain(conn, ref)
        return json_response({"project": _render(req, resources.domain_as_project(domain))}, 201)
    with ident.db.reader() as conn:
        if not ref.get("domain_id"):
            parent_id = ref.get("parent_id")
            if parent_id:
                try:
                    ref["domain_id"] = resources.get_project(conn, parent_id)["domain_id"]
                except exc.NotFound:
                    ref["domain_id"] = resources.get_domain(conn, parent_id)["id"]
            else:
                ref["domain_id"] = token_domain_id(req)
    req.context.can("identity:create_project", target(project=ref))
    with ident.db.writer() as conn:
        project = resources.create_project(conn, ref, ident.max_project_depth)
    return json_response({"project": _render(req, project)}, 201)


def _load(req: Request, rule: str) -> dict[str, Any]:
    """The project of the URL; a domain, too, is a project (is_domain=true)."""
    project_id = req.path_params["project_id"]
    with identity(req).db.reader() as conn:
        try:
            project = resources.get_project(conn, project_id)
        except exc.NotFound as not_found:
            try:
                project = resources.domain_as_project(resources.get_domain(conn, project_id))
            except exc.NotFound:
                raise not_found from None
    req.context.can(rule, target(project=project))
    return project


def show_project(req: Request) -> Response:
    """GET /v3/projects/{project_id} -> 200."""
    project = _load(req, "identity:get_project")
    return json_response({"project": _render(req, project)})


def update_project(req: Request) -> Response:
    """PATCH /v3/projects/{project_id} -> 200."""
    changes = entity(req, "project", schemas.UPDATE_PROJECT)
    project = _load(req, "identity:update_project")
    with identity(req).db.writer() as conn:
        if project["is_domain"]:
            for key in ("domain_id", "parent_id", "is_domain", "tags"):
                changes.pop(key, None)
            project = resources.domain_as_project(
                resources.update_domain(conn, project["id"], changes))
        else:
            project = resources.update_project(conn, project["id"], changes)
    return json_response({"project": _render(req, project)})


def delete_project(req: Request) -> Response:
    """DELETE /v3/projects/{project_id} -> 204."""
    project = _load(req, "identity:delete_project")
    with identity(req).db.writer() as conn:
        if project["is_domain"]:
            resources.delete_domain(conn, project["id"])
        else:
            resources.delete_project(conn, project["id"])
    return empty_response()


# -- tags ----------------------------------------------------------------------

def list_tags(req: Request) -> Response:
    """GET /v3/projects/{project_id}/tags -> 200."""
    project = _load(req, "identity:list_project_tags")
    return json_response({"tags": project["tags"]})


def replace_tags(req: Request) -> Response:
    """PUT /v3/projects/{project_id}/tags -> 200."""
    tags = validate(schemas.REPLACE_TAGS, req.json())["tags"]
    project = _load(req, "identity:update_project_tags")
    with identity(req).db.writer() as conn:
        saved = resources.set_tags(conn, project["id"], tags)
    return json_response({"tags": saved})


def delete_tags(req: Request) -> Response:
    """DELETE /v3/projects/{project_id}/tags -> 204."""
    project = _load(req, "identity:delete_project_tags")
    with identity(req).db.writer() as conn:
        resources.set_tags(conn, project["id"], [])
    return empty_response()


def check_tag(req: Request) -> Response:
    """GET/HEAD /v3/projects/{project_id}/tags/{tag} -> 204, or 404."""
    project = _load(req, "identity:get_project_tag")
    tag = req.path_params["tag"]
    if tag not in project["tags"]:
        raise exc.NotFound("tag", tag)
    return empty_response()


def add_tag(req: Request) -> Response:
    """PUT /v3/projects/{project_id}/tags/{tag} -> 201."""
    project = _load(req, "identity:create_project_tag")
    tag = req.path_params["tag"]
    validate(schemas.TAG, tag)
    with identity(req).db.writer() as conn:
        resources.add_tag(conn, project["id"], tag)
    return empty_response(201, headers={
        "Location": req.url(f"/v3/projects/{project['id']}/tags/{tag}")})


def delete_tag(req: Request) -> Response:
    """DELETE /v3/projects/{project_id}/tags/{tag} -> 204."""
    project = _load(req, "identity:delete_project_tag")
    with identity(req).db.writer() as conn:
        resources.delete_tag(conn, project["id"], req.path_params["tag"])
    return empty_response()
