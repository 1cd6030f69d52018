"""GET /v3/role_assignments: grants as stored, or as they take effect."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from nimbus.common.api.app import Request, json_response
from nimbus.identity import exceptions as exc
from nimbus.identity.api.common import flag, identity, target
from nimbus.identity.db import resources
from nimbus.identity.db.role_assignments import Entry, Filters, Names, list_entries


def _link(req: Request, entry: Entry) -> dict[str, str]:
    grant = entry.grant
    if grant.target_type == "system":
        path = f"/v3/system/{grant.actor_type}s/{grant.actor_id}/roles/{grant.role_id}"
    else:
        path = (f"/v3/{grant.target_type}s/{grant.target_id}/{grant.actor_type}s/"
                f"{grant.actor_id}/roles/{grant.role_id}")
        if grant.inherited:
            path = f"/v3/OS-INHERIT{path[3:]}/inherited_to_projects"
    links = {"assignment": req.url(path)}
    if entry.user_id and grant.actor_type == "group":
        links["membership"] = req.url(f"/v3/groups/{grant.actor_id}/users/{entry.user_id}")
    if entry.prior_role_id:
        links["prior_role"] = req.url(f"/v3/roles/{entry.prior_role_id}")
    return links


def _render(req: Request, entry: Entry, names: Names | None) -> dict[str, Any]:
    def ref(kind: str, ident: str) -> dict[str, Any]:
        return names.named(kind, ident) if names else {"id": ident}

    scope: dict[str, Any]
    if entry.target_type == "system":
        scope = {"system": {"all": True}}
    else:
        scope = {entry.target_type: ref(entry.target_type, entry.target_id)}
    if entry.inherited:
        scope["OS-INHERIT:inherited_to"] = "projects"
    out: dict[str, Any] = {"role": ref("role", entry.role_id), "scope": scope,
                           "links": _link(req, entry)}
    if entry.user_id:
        out["user"] = ref("user", entry.user_id)
    else:
        out["group"] = ref("group", entry.group_id or "")
    return out


def list_role_assignments(req: Request) -> Response:
    """GET /v3/role_assignments -> 200."""
    q = req.query
    effective = flag(req, "effective")
    include_subtree = flag(req, "include_subtree")
    project_id = q.get("scope.project.id")
    domain_id = q.get("scope.domain.id")
    system = q.get("scope.system")
    user_id, group_id, role_id = q.get("user.id"), q.get("group.id"), q.get("role.id")
    inherited_to = q.get("scope.OS-INHERIT:inherited_to")
    if effective and group_id:
        raise exc.ValidationError("Combining effective and group filter will always "
                                  "result in an empty list.")
    if include_subtree and not project_id:
        raise exc.ValidationError("scope.project.id needs to be specified if "
                                  "include_subtree is also specified.")
    if sum(bool(x) for x in (project_id, domain_id, system)) > 1:
        raise exc.ValidationError("Specify one of scope.project.id, scope.domain.id and "
                                  "scope.system.")
    rule = ("identity:list_role_assignments_for_tree" if include_subtree
            else "identity:list_role_assignments")
    ident = identity(req)
    with ident.db.reader() as conn:
        target_domain = domain_id
        if project_id:
            target_domain = resources.get_project(conn, project_id)["domain_id"]
        req.context.can(rule, target(domain_id=target_domain))
        entries = list_entries(conn, Filters(
            user_id=user_id, group_id=group_id, role_id=role_id, project_id=project_id,
            domain_id=domain_id, system=bool(system), inherited_only=inherited_to == "projects",
            include_subtree=include_subtree, effective=effective))
        names = Names(conn, entries) if flag(req, "include_names") else None
        rendered = [_render(req, e, names) for e in entries]
    query = req.scope.get("query_string", b"").decode("latin-1")
    return json_response({
        "role_assignments": rendered,
        "links": {"self": req.url("/v3/role_assignments") + (f"?{query}" if query else ""),
                  "previous": None, "next": None},
    })
