"""Role assignments (grants) and the roles they add up to.

A grant gives a role to a user or a group on a project, a domain or the
system. ``inherited`` grants on a domain or project apply to every project
below it instead of the target itself (OS-INHERIT). Effective roles add the
user's groups, the inherited grants above a project, and the roles implied
by those roles.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from nimbus.common import auth
from nimbus.common.db import after_commit
from nimbus.identity import exceptions as exc
from nimbus.identity.db import resources, revocations, roles, users
from nimbus.identity.db.models import assignments, group_members, projects

SYSTEM = "system"
ACTOR_TYPES = ("user", "group")
TARGET_TYPES = ("project", "domain", "system")


def assignment_type(actor_type: str, target_type: str) -> str:
    return actor_type.capitalize() + target_type.capitalize()


@dataclass(frozen=True, slots=True)
class Grant:
    actor_type: str  # user | group
    actor_id: str
    target_type: str  # project | domain | system
    target_id: str
    role_id: str
    inherited: bool = False

    @property
    def type(self) -> str:
        return assignment_type(self.actor_type, self.target_type)

    def key(self) -> dict[str, Any]:
        return {"type": self.type, "actor_id": self.actor_id, "target_id": self.target_id,
                "role_id": self.role_id, "inherited": self.inherited}


def _grant_from_row(row: Any) -> Grant:
    actor = "user" if row.type.startswith("User") else "group"
    target = row.type[len(actor):].lower()
    return Grant(actor, row.actor_id, target, row.target_id, row.role_id, bool(row.inherited))


def _check_parties(conn: Connection, grant: Grant) -> None:
    """The actor, target and role exist, and a domain role stays in its domain."""
    if grant.actor_type == "user":
        users.get_user(conn, grant.actor_id)
    else:
        users.get_group(conn, grant.actor_id)
    role = roles.get_role(conn, grant.role_id)
    if grant.target_type == "project":
        target_domain = resources.get_project(conn, grant.target_id)["domain_id"]
    elif grant.target_type == "domain":
        target_domain = resources.get_domain(conn, grant.target_id)["id"]
    else:
        target_domain = None
    if role["domain_id"] and role["domain_id"] != target_domain:
        raise exc.Forbidden(
            f"Cannot assign the domain-specific role {role['id']} of domain "
            f"{role['domain_id']} outside that domain."
        )


def create_grant(conn: Connection, grant: Grant) -> None:
    _check_parties(conn, grant)
    exists = conn.execute(sa.select(assignments.c.role_id).filter_by(**grant.key())).first()
    if exists is None:
        conn.execute(sa.insert(assignments).values(**grant.key()))
    after_commit(conn, auth.revocation_happened)


def check_grant(conn: Connection, grant: Grant) -> None:
    _check_parties(conn, grant)
    if conn.execute(sa.select(assignments.c.role_id).filter_by(**grant.key())).first() is None:
        raise exc.AssignmentNotFound(grant.role_id, grant.actor_id, grant.target_id)


def delete_grant(conn: Connection, grant: Grant) -> None:
    """Remove a grant and revoke the tokens it may have contributed to."""
    check_grant(conn, grant)
    conn.execute(sa.delete(assignments).filter_by(**grant.key()))
    if grant.actor_type == "user":
        user_ids = [grant.actor_id]
    else:
        user_ids = member_ids(conn, grant.actor_id)
    for user_id in user_ids:
        if grant.target_type == "project" and not grant.inherited:
            revocations.revoke(conn, user_id=user_id, project_id=grant.target_id)
        else:
            revocations.revoke(conn, user_id=user_id)


def member_ids(conn: Connection, group_id: str) -> list[str]:
    return [r.user_id for r in conn.execute(
        sa.select(group_members.c.user_id).where(group_members.c.group_id == group_id))]


def list_grant_roles(
    conn: Connection, actor_type: str, actor_id: str, target_type: str, target_id: str,
    inherited: bool = False,
) -> list[dict[str, Any]]:
    """Roles granted directly (not through groups) to the actor on the target."""
    if actor_type == "user":
        users.get_user(conn, actor_id)
    else:
        users.get_group(conn, actor_id)
    if target_type == "project":
        resources.get_project(conn, target_id)
    elif target_type == "domain":
        resources.get_domain(conn, target_id)
    role_ids = [r.role_id for r in conn.execute(
        sa.select(assignments.c.role_id).where(
            assignments.c.type == assignment_type(actor_type, target_type),
            assignments.c.actor_id == actor_id,
            assignments.c.target_id == target_id,
            assignments.c.inherited == inherited,
        ))]
    found = roles.roles_by_id(conn, role_ids)
    return sorted(found.values(), key=lambda r: (r["name"], r["id"]))


def list_grants(
    conn: Connection,
    *,
    actor_ids: Iterable[str] | None = None,
    target_ids: Iterable[str] | None = None,
    role_id: str | None = None,
    types: Iterable[str] | None = None,
    inherited: bool | None = None,
) -> list[Grant]:
    query = sa.select(assignments)
    if actor_ids is not None:
        query = query.where(assignments.c.actor_id.in_(list(actor_ids)))
    if target_ids is not None:
        query = query.where(assignments.c.target_id.in_(list(target_ids)))
    if role_id is not None:
        query = query.where(assignments.c.role_id == role_id)
    if types is not None:
        query = query.where(assignments.c.type.in_(list(types)))
    if inherited is not None:
        query = query.where(assignments.c.inherited == inherited)
    query = query.order_by(assignments.c.type, assignments.c.actor_id,
                           assignments.c.target_id, assignments.c.role_id)
    return [_grant_from_row(row) for row in conn.execute(query)]


# -- effective roles -----------------------------------------------------------

def effective_roles(
    conn: Connection,
    user_id: str,
    *,
    project: dict[str, Any] | None = None,
    domain_id: str | None = None,
    system: bool = False,
) -> dict[str, dict[str, Any]]:
    """The global roles (by id) a user holds on one scope, implied roles
    included; domain-specific roles only lend the roles they imply."""
    actors = [user_id] + users.group_ids_of_user(conn, user_id)
    conditions = []
    if project is not None:
        inherited_from = resources.ancestor_ids(conn, project)
        conditions.append(sa.and_(
            assignments.c.type.in_(("UserProject", "GroupProject")),
            sa.or_(
                sa.and_(assignments.c.target_id == project["id"],
                        assignments.c.inherited.is_(False)),
                sa.and_(assignments.c.target_id.in_(inherited_from),
                        assignments.c.inherited.is_(True)),
            )))
        conditions.append(sa.and_(
            assignments.c.type.in_(("UserDomain", "GroupDomain")),
            assignments.c.target_id == project["domain_id"],
            assignments.c.inherited.is_(True)))
    elif domain_id is not None:
        conditions.append(sa.and_(
            assignments.c.type.in_(("UserDomain", "GroupDomain")),
            assignments.c.target_id == domain_id,
            assignments.c.inherited.is_(False)))
    elif system:
        conditions.append(sa.and_(
            assignments.c.type.in_(("UserSystem", "GroupSystem")),
            assignments.c.target_id == SYSTEM))
    else:
        return {}
    direct = {r.role_id for r in conn.execute(
        sa.select(assignments.c.role_id).distinct()
        .where(assignments.c.actor_id.in_(actors), sa.or_(*conditions)))}
    if not direct:
        return {}
    found = roles.roles_by_id(conn, roles.expand_implied(direct, roles.implication_pairs(conn)))
    return {role_id: ref for role_id, ref in found.items() if ref["domain_id"] is None}


def effective_role_ids(conn: Connection, user_id: str, **scope: Any) -> set[str]:
    return set(effective_roles(conn, user_id, **scope))


def project_ids_for_user(conn: Connection, user_id: str) -> set[str]:
    """Projects on which the user holds some role, by any path."""
    actors = [user_id] + users.group_ids_of_user(conn, user_id)
    rows = conn.execute(sa.select(assignments.c.type, assignments.c.target_id,
                                  assignments.c.inherited)
                        .where(assignments.c.actor_id.in_(actors),
                               assignments.c.type.in_(("UserProject", "GroupProject",
                                                       "UserDomain", "GroupDomain")))).all()
    found: set[str] = set()
    inherited_projects: list[str] = []
    inherited_domains: list[str] = []
    for row in rows:
        on_project = row.type.endswith("Project")
        if on_project and not row.inherited:
            found.add(row.target_id)
        elif on_project:
            inherited_projects.append(row.target_id)
        elif row.inherited:
            inherited_domains.append(row.target_id)
    for project_id in inherited_projects:
        found.update(resources.subtree_ids(conn, project_id))
    if inherited_domains:
        found.update(r.id for r in conn.execute(
            sa.select(projects.c.id).where(projects.c.domain_id.in_(inherited_domains))))
    return found


def domain_ids_for_user(conn: Connection, user_id: str) -> set[str]:
    actors = [user_id] + users.group_ids_of_user(conn, user_id)
    return {r.target_id for r in conn.execute(
        sa.select(assignments.c.target_id).where(
            assignments.c.actor_id.in_(actors),
            assignments.c.type.in_(("UserDomain", "GroupDomain")),
            assignments.c.inherited.is_(False)))}
