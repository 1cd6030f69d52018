"""Domains, projects and project tags.

Every function takes a connection in the caller's transaction and returns
plain dicts in the shape the API shows (without links). Attributes the API
does not know are kept in ``extra`` and shown beside the known ones, as
Keystone does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from nimbus.common.db import DuplicateEntry
from nimbus.identity import exceptions as exc
from nimbus.identity.db import revocations
from nimbus.identity.db.common import new_id, split_extra, update_values
from nimbus.identity.db.models import (
    assignments,
    domains,
    groups,
    project_tags,
    projects,
    roles,
    users,
)

DOMAIN_FIELDS = ("id", "name", "description", "enabled", "options")
PROJECT_FIELDS = ("id", "name", "domain_id", "parent_id", "description", "enabled", "options")


# -- domains -------------------------------------------------------------------

def _domain(row: Row[Any]) -> dict[str, Any]:
    ref = dict(row.extra or {})
    ref.update(
        id=row.id, name=row.name, description=row.description,
        enabled=row.enabled, options=row.options or {},
    )
    return ref


def get_domain(conn: Connection, domain_id: str) -> dict[str, Any]:
    row = conn.execute(sa.select(domains).where(domains.c.id == domain_id)).first()
    if row is None:
        raise exc.NotFound("domain", domain_id)
    return _domain(row)


def get_domain_by_name(conn: Connection, name: str) -> dict[str, Any]:
    row = conn.execute(sa.select(domains).where(domains.c.name == name)).first()
    if row is None:
        raise exc.NotFound("domain", name)
    return _domain(row)


def list_domains(
    conn: Connection, *, name: str | None = None, enabled: bool | None = None,
    ids: Iterable[str] | None = None,
) -> list[dict[str, Any]]:
    query = sa.select(domains).order_by(domains.c.name)
    if name is not None:
        query = query.where(domains.c.name == name)
    if enabled is not None:
        query = query.where(domains.c.enabled == enabled)
    if ids is not None:
        query = query.where(domains.c.id.in_(list(ids)))
    return [_domain(row) for row in conn.execute(query)]


def create_domain(conn: Connection, ref: Mapping[str, Any]) -> dict[str, Any]:
    base, extra = split_extra(ref, DOMAIN_FIELDS + ("tags",))
    extra.pop("is_domain", None)
    values = {
        "id": base.get("id") or new_id(),
        "name": base["name"],
        "description": base.get("description", ""),
        "enabled": base.get("enabled", True),
        "options": base.get("options") or {},
        "extra": extra,
    }
    try:
        conn.execute(sa.insert(domains).values(**values))
    except DuplicateEntry:
        raise exc.Conflict(
            "domain", f"a domain with the name {values['name']} already exists"
        ) from None
    return get_domain(conn, values["id"])


def update_domain(conn: Connection, domain_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    current = get_domain(conn, domain_id)
    base = update_values(current, changes, DOMAIN_FIELDS)
    if not base:
        return current
    try:
        conn.execute(sa.update(domains).where(domains.c.id == domain_id).values(**base))
    except DuplicateEntry:
        raise exc.Conflict(
            "domain", f"a domain with the name {base.get('name')} already exists"
        ) from None
    if current["enabled"] and base.get("enabled") is False:
        revocations.revoke(conn, domain_id=domain_id)
    return get_domain(conn, domain_id)


def delete_domain(conn: Connection, domain_id: str) -> None:
    """Delete a disabled domain and everything in it.

    :raises Forbidden: the domain is still enabled.
    """
    domain = get_domain(conn, domain_id)
    if domain["enabled"]:
        raise exc.Forbidden("Cannot delete a domain that is enabled, please disable it first.")
    project_ids = [r.id for r in conn.execute(
        sa.select(projects.c.id).where(projects.c.domain_id == domain_id))]
    user_ids = [r.id for r in conn.execute(
        sa.select(users.c.id).where(users.c.domain_id == domain_id))]
    group_ids = [r.id for r in conn.execute(
        sa.select(groups.c.id).where(groups.c.domain_id == domain_id))]
    targets = project_ids + [domain_id]
    actors = user_ids + group_ids
    conn.execute(sa.delete(assignments).where(
        sa.or_(assignments.c.target_id.in_(targets), assignments.c.actor_id.in_(actors))))
    conn.execute(sa.delete(roles).where(roles.c.domain_id == domain_id))
    # Children before parents: clear the tree links, then delete.
    if project_ids:
        conn.execute(sa.update(projects).where(projects.c.domain_id == domain_id)
                     .values(parent_id=None))
        conn.execute(sa.delete(projects).where(projects.c.domain_id == domain_id))
    conn.execute(sa.delete(users).where(users.c.domain_id == domain_id))
    conn.execute(sa.delete(groups).where(groups.c.domain_id == domain_id))
    conn.execute(sa.delete(domains).where(domains.c.id == domain_id))
    revocations.revoke(conn, domain_id=domain_id)


# -- projects ------------------------------------------------------------------

def _tags(conn: Connection, project_ids: list[str]) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {pid: [] for pid in project_ids}
    if not project_ids:
        return result
    rows = conn.execute(
        sa.select(project_tags.c.project_id, project_tags.c.name)
        .where(project_tags.c.project_id.in_(project_ids))
        .order_by(project_tags.c.name)
    )
    for row in rows:
        result[row.project_id].append(row.name)
    return result


def _project(row: Row[Any], tags: list[str]) -> dict[str, Any]:
    ref = dict(row.extra or {})
    ref.update(
        id=row.id, name=row.name, domain_id=row.domain_id,
        # Keystone shows the domain as the parent of a top-level project.
        parent_id=row.parent_id or row.domain_id,
        description=row.description, enabled=row.enabled, is_domain=False,
        tags=tags, options=row.options or {},
    )
    return ref


def domain_as_project(domain: Mapping[str, Any]) -> dict[str, Any]:
    """A domain shown where projects are listed (is_domain=true)."""
    ref = dict(domain)
    ref.update(domain_id=None, parent_id=None, is_domain=True, tags=[])
    return ref


def _projects(conn: Connection, rows: list[Row[Any]]) -> list[dict[str, Any]]:
    tags = _tags(conn, [row.id for row in rows])
    return [_project(row, tags[row.id]) for row in rows]


def get_project(conn: Connection, project_id: str, with_tags: bool = True) -> dict[str, Any]:
    row = conn.execute(sa.select(projects).where(projects.c.id == project_id)).first()
    if row is None:
        raise exc.NotFound("project", project_id)
    if not with_tags:  # a query saved where tags do not matter (validation)
        return _project(row, [])
    return _projects(conn, [row])[0]


def get_project_by_name(conn: Connection, name: str, domain_id: str) -> dict[str, Any]:
    row = conn.execute(
        sa.select(projects).where(projects.c.name == name, projects.c.domain_id == domain_id)
    ).first()
    if row is None:
        raise exc.NotFound("project", name)
    return _projects(conn, [row])[0]


def list_projects(
    conn: Connection,
    *,
    ids: Iterable[str] | None = None,
    domain_id: str | None = None,
    name: str | None = None,
    enabled: bool | None = None,
    parent_id: str | None = None,
    tags: list[str] | None = None,
    tags_any: list[str] | None = None,
    not_tags: list[str] | None = None,
    not_tags_any: list[str] | None = None,
) -> list[dict[str, Any]]:
    query = sa.select(projects).order_by(projects.c.name, projects.c.id)
    if ids is not None:
        query = query.where(projects.c.id.in_(list(ids)))
    if domain_id is not None:
        query = query.where(projects.c.domain_id == domain_id)
    if name is not None:
        query = query.where(projects.c.name == name)
    if enabled is not None:
        query = query.where(projects.c.enabled == enabled)
    if parent_id is not None:
        # A domain id as parent means the top-level projects of that domain.
        query = query.where(sa.or_(
            projects.c.parent_id == parent_id,
            sa.and_(projects.c.parent_id.is_(None), projects.c.domain_id == parent_id),
        ))
    tagged = sa.select(project_tags.c.project_id)
    for tag in tags or ():
        query = query.where(projects.c.id.in_(tagged.where(project_tags.c.name == tag)))
    if tags_any:
        query = query.where(projects.c.id.in_(tagged.where(project_tags.c.name.in_(tags_any))))
    if not_tags:
        having_all = (
            sa.select(project_tags.c.project_id)
            .where(project_tags.c.name.in_(not_tags))
            .group_by(project_tags.c.project_id)
            .having(sa.func.count() == len(set(not_tags)))
        )
        query = query.where(projects.c.id.not_in(having_all))
    if not_tags_any:
        query = query.where(projects.c.id.not_in(
            tagged.where(project_tags.c.name.in_(not_tags_any))))
    return _projects(conn, list(conn.execute(query)))


def ancestor_ids(conn: Connection, project: Mapping[str, Any], max_depth: int = 64) -> list[str]:
    """Ids of the parents of a project (as shown), nearest first; no query
    for a top-level project."""
    chain: list[str] = []
    current = project["parent_id"]
    while current and current != project["domain_id"] and len(chain) < max_depth:
        chain.append(current)
        current = conn.execute(
            sa.select(projects.c.parent_id).where(projects.c.id == current)).scalar()
    return chain


def children_ids(conn: Connection, project_id: str) -> list[str]:
    return [r.id for r in conn.execute(
        sa.select(projects.c.id).where(projects.c.parent_id == project_id))]


def subtree_ids(conn: Connection, project_id: str) -> list[str]:
    """Every project below `project_id` (not itself)."""
    found: list[str] = []
    frontier = [project_id]
    while frontier:
        rows = conn.execute(
            sa.select(projects.c.id).where(projects.c.parent_id.in_(frontier))).all()
        frontier = [r.id for r in rows]
        found.extend(frontier)
    return found


def create_project(conn: Connection, ref: Mapping[str, Any], max_depth: int) -> dict[str, Any]:
    base, extra = split_extra(ref, PROJECT_FIELDS + ("tags", "is_domain"))
    domain_id = base["domain_id"]
    parent_id = base.get("parent_id")
    domain = get_domain(conn, domain_id) if domain_id else None
    if parent_id and parent_id != domain_id:
        try:
            parent = get_project(conn, parent_id)
        except exc.NotFound:
            # The parent may be named by a domain id of another domain.
            raise exc.ValidationError(f"Could not find the parent project {parent_id}.") from None
        if parent["domain_id"] != domain_id:
            raise exc.ValidationError(
                "Cannot create a project in a domain other than its parent's."
            )
        if len(ancestor_ids(conn, parent)) + 2 > max_depth:
            raise exc.Forbidden(
                f"Max hierarchy depth reached for {parent_id} branch."
            )
    else:
        parent_id = None
    if domain is None:
        raise exc.ValidationError("A project needs a domain.")
    values = {
        "id": base.get("id") or new_id(),
        "name": base["name"],
        "domain_id": domain_id,
        "parent_id": parent_id,
        "description": base.get("description", ""),
        "enabled": base.get("enabled", True),
        "options": base.get("options") or {},
        "extra": extra,
    }
    try:
        conn.execute(sa.insert(projects).values(**values))
    except DuplicateEntry:
        raise exc.Conflict(
            "project",
            "it is not permitted to have two projects with the same name in "
            f"the same domain : {values['name']}",
        ) from None
    set_tags(conn, values["id"], base.get("tags") or [])
    return get_project(conn, values["id"])


def update_project(conn: Connection, project_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    current = get_project(conn, project_id)
    base = update_values(current, changes, PROJECT_FIELDS + ("tags", "is_domain"))
    if "domain_id" in base and base["domain_id"] != current["domain_id"]:
        raise exc.ValidationError("Update of `domain_id` is not allowed.")
    if "parent_id" in base and base["parent_id"] != current["parent_id"]:
        raise exc.Forbidden("Update of `parent_id` is not allowed.")
    if "is_domain" in base and base["is_domain"] != current["is_domain"]:
        raise exc.ValidationError("Update of `is_domain` is not allowed.")
    for key in ("domain_id", "parent_id", "is_domain"):
        base.pop(key, None)
    tags = base.pop("tags", None)
    if base.get("enabled") is False and current["enabled"]:
        _check_no_enabled_children(conn, project_id)
    if base:
        try:
            conn.execute(sa.update(projects).where(projects.c.id == project_id).values(**base))
        except DuplicateEntry:
            raise exc.Conflict(
                "project",
                "it is not permitted to have two projects with the same name "
                f"in the same domain : {base.get('name')}",
            ) from None
    if tags is not None:
        set_tags(conn, project_id, tags)
    if current["enabled"] and base.get("enabled") is False:
        revocations.revoke(conn, project_id=project_id)
    return get_project(conn, project_id)


def _check_no_enabled_children(conn: Connection, project_id: str) -> None:
    enabled_child = conn.execute(
        sa.select(projects.c.id).where(projects.c.parent_id == project_id,
                                       projects.c.enabled.is_(True)).limit(1)
    ).first()
    if enabled_child is not None:
        raise exc.Forbidden(
            f"Cannot disable project {project_id} since its subtree contains "
            "enabled projects."
        )


def delete_project(conn: Connection, project_id: str) -> None:
    """Delete a project with no children.

    :raises Forbidden: the project has children.
    """
    get_project(conn, project_id)
    if children_ids(conn, project_id):
        raise exc.Forbidden(
            f"Cannot delete the project {project_id} since it is not a leaf "
            "in the hierarchy."
        )
    conn.execute(sa.delete(assignments).where(assignments.c.target_id == project_id))
    conn.execute(sa.delete(project_tags).where(project_tags.c.project_id == project_id))
    conn.execute(sa.delete(projects).where(projects.c.id == project_id))
    revocations.revoke(conn, project_id=project_id)


# -- project tags --------------------------------------------------------------

MAX_TAGS = 80


def set_tags(conn: Connection, project_id: str, tags: list[str]) -> list[str]:
    unique = list(dict.fromkeys(tags))
    if len(unique) > MAX_TAGS:
        raise exc.ValidationError(f"A project may have at most {MAX_TAGS} tags.")
    conn.execute(sa.delete(project_tags).where(project_tags.c.project_id == project_id))
    if unique:
        conn.execute(sa.insert(project_tags),
                     [{"project_id": project_id, "name": tag} for tag in unique])
    return sorted(unique)


def add_tag(conn: Connection, project_id: str, tag: str) -> None:
    tags = get_project(conn, project_id)["tags"]
    if tag in tags:
        return
    if len(tags) >= MAX_TAGS:
        raise exc.ValidationError(f"A project may have at most {MAX_TAGS} tags.")
    conn.execute(sa.insert(project_tags).values(project_id=project_id, name=tag))


def delete_tag(conn: Connection, project_id: str, tag: str) -> None:
    get_project(conn, project_id)
    deleted = conn.execute(sa.delete(project_tags).where(
        project_tags.c.project_id == project_id, project_tags.c.name == tag)).rowcount
    if not deleted:
        raise exc.NotFound("tag", tag)

