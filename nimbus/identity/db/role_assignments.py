"""Role assignments as listed by /v3/role_assignments: stored, or effective.

Effective assignments turn group grants into one entry per member, inherited
grants into one entry per project below their target, and add an entry for
every role a granted role implies; domain-specific roles only lend their
implied roles.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.engine import Connection

from nimbus.identity.db import assignments, resources, roles, users
from nimbus.identity.db.assignments import SYSTEM, Grant


@dataclass(frozen=True)
class Entry:
    grant: Grant  # as stored: the source of the entry
    user_id: str | None  # the user it applies to (effective) or None
    group_id: str | None
    target_type: str
    target_id: str
    role_id: str
    inherited: bool
    prior_role_id: str | None = None


def _entries(grants: list[Grant]) -> list[Entry]:
    return [
        Entry(g, g.actor_id if g.actor_type == "user" else None,
              g.actor_id if g.actor_type == "group" else None,
              g.target_type, g.target_id, g.role_id, g.inherited)
        for g in grants
    ]


def _effective(conn: Connection, entries: list[Entry]) -> list[Entry]:
    out: list[Entry] = []
    for entry in entries:
        members = ([entry.user_id] if entry.user_id else
                   assignments.member_ids(conn, entry.group_id or ""))
        if entry.inherited:
            if entry.target_type == "domain":
                targets = [p["id"] for p in resources.list_projects(conn, domain_id=entry.target_id)]
            else:
                targets = resources.subtree_ids(conn, entry.target_id)
            placed = [("project", t) for t in targets]
        else:
            placed = [(entry.target_type, entry.target_id)]
        for user_id in members:
            for target_type, target_id in placed:
                out.append(replace(entry, user_id=user_id, target_type=target_type,
                                   target_id=target_id, inherited=False))
    pairs = roles.implication_pairs(conn)
    all_roles = roles.roles_by_id(conn, {e.role_id for e in out}
                                  | {r for pair in pairs for r in pair})
    expanded: list[Entry] = []
    for entry in out:
        for role_id in sorted(roles.expand_implied([entry.role_id], pairs)):
            if all_roles.get(role_id, {}).get("domain_id"):
                continue  # domain-specific roles do not take effect by themselves
            prior = None if role_id == entry.role_id else entry.role_id
            expanded.append(replace(entry, role_id=role_id, prior_role_id=prior))
    return expanded


@dataclass(frozen=True)
class Filters:
    """The query of GET /v3/role_assignments, checked by the caller."""

    user_id: str | None = None
    group_id: str | None = None
    role_id: str | None = None
    project_id: str | None = None
    domain_id: str | None = None
    system: bool = False
    inherited_only: bool = False
    include_subtree: bool = False
    effective: bool = False


def list_entries(conn: Connection, f: Filters) -> list[Entry]:
    actor_ids = None
    if f.user_id:
        actor_ids = [f.user_id] + (users.group_ids_of_user(conn, f.user_id) if f.effective else [])
    elif f.group_id:
        actor_ids = [f.group_id]
    entries = _entries(assignments.list_grants(conn, actor_ids=actor_ids))
    if f.effective:
        # As in Keystone, the effective view is of projects and domains;
        # system grants appear in it only when asked for by scope.system.
        entries = _effective(conn, [e for e in entries
                                    if (e.target_type == "system") == f.system])
    project_ids = None
    if f.project_id:
        project_ids = {f.project_id}
        if f.include_subtree:
            project_ids.update(resources.subtree_ids(conn, f.project_id))

    def keep(e: Entry) -> bool:
        if f.user_id and e.user_id != f.user_id:
            return False
        if f.group_id and e.group_id != f.group_id:
            return False
        if f.role_id and e.role_id != f.role_id:
            return False
        if project_ids is not None and not (e.target_type == "project"
                                            and e.target_id in project_ids):
            return False
        if f.domain_id and not (e.target_type == "domain" and e.target_id == f.domain_id):
            return False
        if f.system and not (e.target_type == "system" and e.target_id == SYSTEM):
            return False
        return not (f.inherited_only and not e.inherited)

    return [e for e in entries if keep(e)]


class Names:
    """Names for ?include_names, loaded with one query per kind of entity."""

    def __init__(self, conn: Connection, entries: list[Entry]):
        ids: dict[str, set[str]] = {k: set() for k in ("user", "group", "project", "domain", "role")}
        for e in entries:
            ids["role"].add(e.role_id)
            if e.user_id:
                ids["user"].add(e.user_id)
            if e.group_id:
                ids["group"].add(e.group_id)
            if e.target_type in ("project", "domain"):
                ids[e.target_type].add(e.target_id)
        self.refs: dict[str, dict[str, dict[str, Any]]] = {
            "user": {u["id"]: u for u in users.list_users(conn, ids=ids["user"])},
            "group": {g["id"]: g for g in users.list_groups(conn, ids=ids["group"])},
            "project": {p["id"]: p for p in resources.list_projects(conn, ids=ids["project"])},
            "role": roles.roles_by_id(conn, ids["role"]),
        }
        domain_ids = ids["domain"] | {
            ref["domain_id"] for kind in ("user", "group", "project", "role")
            for ref in self.refs[kind].values() if ref.get("domain_id")}
        self.refs["domain"] = {d["id"]: d for d in resources.list_domains(conn, ids=domain_ids)}

    def named(self, kind: str, ident: str) -> dict[str, Any]:
        ref = self.refs[kind].get(ident, {})
        out: dict[str, Any] = {"id": ident, "name": ref.get("name")}
        domain_id = ref.get("domain_id")
        if kind != "domain" and domain_id:
            domain = self.refs["domain"].get(domain_id, {})
            out["domain"] = {"id": domain_id, "name": domain.get("name")}
        return out
