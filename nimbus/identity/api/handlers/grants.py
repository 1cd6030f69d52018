"""Grants: roles of users and groups on projects, domains and the system.

The four verbs are the same on every path; ``handlers()`` makes them for one
(actor, target, inherited) combination and the route table lists them all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.responses import Response

from nimbus.common.api.app import Request, empty_response
from nimbus.identity.api.common import identity, list_response, target
from nimbus.identity.api.handlers.roles import render_role
from nimbus.identity.db import assignments, resources, roles, users
from nimbus.identity.db.assignments import SYSTEM, Grant

Handler = Callable[[Request], Response]


def _parties(req: Request, actor: str, target_type: str, with_role: bool) -> dict[str, Any]:
    params = req.path_params
    with identity(req).db.reader() as conn:
        found: dict[str, Any] = {}
        found[actor] = (users.get_user(conn, params["user_id"]) if actor == "user"
                        else users.get_group(conn, params["group_id"]))
        if target_type == "project":
            found["project"] = resources.get_project(conn, params["project_id"])
        elif target_type == "domain":
            found["domain"] = resources.get_domain(conn, params["domain_id"])
        if with_role:
            found["role"] = roles.get_role(conn, params["role_id"])
    return found


def _target_id(target_type: str, parties: dict[str, Any]) -> str:
    return SYSTEM if target_type == "system" else parties[target_type]["id"]


def _rule(verb: str, actor: str, target_type: str) -> str:
    if target_type == "system":
        return f"identity:{verb}_system_grant_for_{actor}" if verb != "list" else (
            f"identity:list_system_grants_for_{actor}")
    return {"list": "identity:list_grants", "check": "identity:check_grant",
            "create": "identity:create_grant", "revoke": "identity:revoke_grant"}[verb]


def handlers(actor: str, target_type: str, inherited: bool = False) -> dict[str, Handler]:
    """list/check/create/revoke handlers for one kind of grant."""

    def grant_of(parties: dict[str, Any]) -> Grant:
        return Grant(actor, parties[actor]["id"], target_type,
                     _target_id(target_type, parties), parties["role"]["id"], inherited)

    def list_grants(req: Request) -> Response:
        parties = _parties(req, actor, target_type, with_role=False)
        req.context.can(_rule("list", actor, target_type), target(**parties))
        with identity(req).db.reader() as conn:
            found = assignments.list_grant_roles(
                conn, actor, parties[actor]["id"], target_type,
                _target_id(target_type, parties), inherited)
        return list_response(req, "roles", found, lambda r: render_role(req, r))

    def check_grant(req: Request) -> Response:
        parties = _parties(req, actor, target_type, with_role=True)
        req.context.can(_rule("check", actor, target_type), target(**parties))
        with identity(req).db.reader() as conn:
            assignments.check_grant(conn, grant_of(parties))
        return empty_response()

    def create_grant(req: Request) -> Response:
        parties = _parties(req, actor, target_type, with_role=True)
        req.context.can(_rule("create", actor, target_type), target(**parties))
        with identity(req).db.writer() as conn:
            assignments.create_grant(conn, grant_of(parties))
        return empty_response()

    def revoke_grant(req: Request) -> Response:
        parties = _parties(req, actor, target_type, with_role=True)
        req.context.can(_rule("revoke", actor, target_type), target(**parties))
        with identity(req).db.writer() as conn:
            assignments.delete_grant(conn, grant_of(parties))
        return empty_response()

    return {"list": list_grants, "check": check_grant, "create": create_grant,
            "revoke": revoke_grant}


def routes() -> dict[str, dict[str, Handler]]:
    """Every grant path with its handlers."""
    table: dict[str, dict[str, Handler]] = {}

    def add(base: str, verbs: dict[str, Handler], suffix: str = "") -> None:
        table[f"{base}{suffix}"] = {"GET": verbs["list"]}
        table[f"{base}/{{role_id}}{suffix}"] = {
            "PUT": verbs["create"], "HEAD": verbs["check"], "GET": verbs["check"],
            "DELETE": verbs["revoke"]}

    for actor in ("user", "group"):
        for target_type in ("project", "domain"):
            base = f"/v3/{target_type}s/{{{target_type}_id}}/{actor}s/{{{actor}_id}}/roles"
            add(base, handlers(actor, target_type))
            add(f"/v3/OS-INHERIT{base[3:]}", handlers(actor, target_type, inherited=True),
                "/inherited_to_projects")
        add(f"/v3/system/{actor}s/{{{actor}_id}}/roles", handlers(actor, "system"))
    return table
