"""Queries on images and what hangs off them: properties, tags, members, locations.

An image is handed around as a plain dict: the columns of ``images`` plus
``properties`` ({name: value}), ``tags`` ([value], in the order they were
added) and ``locations`` ([{"store", "url", "status"}]). Who may see which
image is decided here, in the WHERE clause (``visible_clause``), never by
filtering rows in Python.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement

from nimbus.common.db.pagination import paginate
from nimbus.common.db.types import utcnow
from nimbus.image.db.models import (
    image_locations,
    image_members,
    image_properties,
    image_staging,
    image_tags,
    images,
)

MEMBER_STATUSES = ("pending", "accepted", "rejected")


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is asking, as far as visibility goes."""

    project_id: str | None
    is_admin: bool = False


# --- reading ---------------------------------------------------------------


def _attach(conn: Connection, rows: Sequence[Any]) -> list[dict[str, Any]]:
    """The rows as image dicts, with properties, tags and locations (three
    queries for the whole page, whatever its size)."""
    found = [dict(row) for row in rows]
    if not found:
        return []
    by_id = {image["id"]: image for image in found}
    for image in found:
        image["properties"] = {}
        image["tags"] = []
        image["locations"] = []
    ids = list(by_id)
    props = conn.execute(
        sa.select(image_properties.c.image_id, image_properties.c.name,
                  image_properties.c.value)
        .where(image_properties.c.image_id.in_(ids)))
    for image_id, name, value in props:
        by_id[image_id]["properties"][name] = value
    tags = conn.execute(
        sa.select(image_tags.c.image_id, image_tags.c.value)
        .where(image_tags.c.image_id.in_(ids))
        .order_by(image_tags.c.created_at, image_tags.c.value))
    for image_id, value in tags:
        by_id[image_id]["tags"].append(value)
    locations = conn.execute(
        sa.select(image_locations.c.image_id, image_locations.c.store,
                  image_locations.c.url, image_locations.c.status)
        .where(image_locations.c.image_id.in_(ids))
        .order_by(image_locations.c.created_at, image_locations.c.store))
    for image_id, store, url, status in locations:
        by_id[image_id]["locations"].append({"store": store, "url": url, "status": status})
    return found


def get(conn: Connection, image_id: str) -> dict[str, Any] | None:
    """The image (not deleted) with its properties, tags and locations."""
    row = conn.execute(
        sa.select(images).where(images.c.id == image_id, images.c.deleted.is_(False))
    ).mappings().first()
    if row is None:
        return None
    return _attach(conn, [row])[0]


def exists(conn: Connection, image_id: str) -> bool:
    """Whether the id was ever used, deleted images included."""
    return conn.execute(
        sa.select(images.c.id).where(images.c.id == image_id)).first() is not None


def member_status(conn: Connection, image_id: str, project_id: str | None) -> str | None:
    """The status of `project_id` as a member of the image, or None."""
    if project_id is None:
        return None
    return conn.execute(
        sa.select(image_members.c.status).where(
            image_members.c.image_id == image_id, image_members.c.member == project_id)
    ).scalar_one_or_none()


def is_visible(image: Mapping[str, Any], viewer: Viewer, member: str | None) -> bool:
    """Whether `viewer` may see `image` (given its membership status), as
    Glance's database layer decides it for one image."""
    if viewer.is_admin:
        return True
    if image["visibility"] in ("public", "community"):
        return True
    if viewer.project_id is not None and image["owner"] == viewer.project_id:
        return True
    return image["visibility"] == "shared" and member is not None


# --- writing ---------------------------------------------------------------


def create(conn: Connection, values: Mapping[str, Any], properties: Mapping[str, str],
           tags: Iterable[str]) -> None:
    """Insert an image; DuplicateEntry if its id was ever used."""
    now = utcnow()
    row = dict(values)
    row.setdefault("created_at", now)
    row.setdefault("updated_at", now)
    conn.execute(sa.insert(images).values(**row))
    if properties:
        conn.execute(sa.insert(image_properties), [
            {"image_id": row["id"], "name": k, "value": v} for k, v in properties.items()])
    tag_list = list(dict.fromkeys(tags))
    if tag_list:
        conn.execute(sa.insert(image_tags), [
            {"image_id": row["id"], "value": t, "created_at": now} for t in tag_list])


def update(conn: Connection, image_id: str, **columns: Any) -> None:
    """Set columns of an image, and its updated_at."""
    columns.setdefault("updated_at", utcnow())
    conn.execute(sa.update(images).where(images.c.id == image_id).values(**columns))


def update_if(conn: Connection, image_id: str, expected: Mapping[str, Any],
              **columns: Any) -> bool:
    """Set columns only while the image still has the `expected` values (a
    compare-and-swap, e.g. on status); whether it did."""
    columns.setdefault("updated_at", utcnow())
    clause = [images.c.id == image_id, images.c.deleted.is_(False)]
    clause += [images.c[key] == value for key, value in expected.items()]
    return conn.execute(sa.update(images).where(*clause).values(**columns)).rowcount == 1


def set_properties(conn: Connection, image_id: str, props: Mapping[str, str | None]) -> None:
    """Create or replace properties of an image."""
    if not props:
        return
    names = list(props)
    conn.execute(sa.delete(image_properties).where(
        image_properties.c.image_id == image_id, image_properties.c.name.in_(names)))
    conn.execute(sa.insert(image_properties), [
        {"image_id": image_id, "name": k, "value": v} for k, v in props.items()])


def delete_properties(conn: Connection, image_id: str, names: Iterable[str]) -> None:
    names = list(names)
    if names:
        conn.execute(sa.delete(image_properties).where(
            image_properties.c.image_id == image_id, image_properties.c.name.in_(names)))


def set_tags(conn: Connection, image_id: str, tags: Iterable[str]) -> None:
    """Replace the tags of an image, keeping the ones it already had."""
    wanted = list(dict.fromkeys(tags))
    current = set(conn.execute(
        sa.select(image_tags.c.value).where(image_tags.c.image_id == image_id)).scalars())
    gone = current - set(wanted)
    if gone:
        conn.execute(sa.delete(image_tags).where(
            image_tags.c.image_id == image_id, image_tags.c.value.in_(gone)))
    new = [t for t in wanted if t not in current]
    if new:
        now = utcnow()
        conn.execute(sa.insert(image_tags), [
            {"image_id": image_id, "value": t, "created_at": now} for t in new])


def add_tag(conn: Connection, image_id: str, tag: str) -> bool:
    """Add a tag; False if the image already had it."""
    if conn.execute(sa.select(image_tags.c.value).where(
            image_tags.c.image_id == image_id, image_tags.c.value == tag)).first():
        return False
    conn.execute(sa.insert(image_tags).values(image_id=image_id, value=tag,
                                              created_at=utcnow()))
    return True


def delete_tag(conn: Connection, image_id: str, tag: str) -> bool:
    return conn.execute(sa.delete(image_tags).where(
        image_tags.c.image_id == image_id, image_tags.c.value == tag)).rowcount > 0


def count_tags(conn: Connection, image_id: str) -> int:
    return int(conn.execute(sa.select(sa.func.count()).where(
        image_tags.c.image_id == image_id)).scalar_one())


def soft_delete(conn: Connection, image_id: str) -> bool:
    """Mark the image deleted and drop what hangs off it; False if it was
    already gone (a concurrent delete)."""
    now = utcnow()
    done = conn.execute(
        sa.update(images).where(images.c.id == image_id, images.c.deleted.is_(False))
        .values(deleted=True, deleted_at=now, updated_at=now, status="deleted")).rowcount
    if not done:
        return False
    for table in (image_properties, image_tags, image_members, image_locations):
        conn.execute(sa.delete(table).where(table.c.image_id == image_id))
    return True


# --- counting (quotas) -------------------------------------------------------


def count_owned(conn: Connection, owner: str) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(images).where(
        images.c.owner == owner, images.c.deleted.is_(False))).scalar_one())


# --- members -----------------------------------------------------------------


def list_members(conn: Connection, image_id: str,
                 only: str | None = None) -> list[dict[str, Any]]:
    """Members of an image (or only the row of project `only`)."""
    query = sa.select(image_members).where(image_members.c.image_id == image_id)
    if only is not None:
        query = query.where(image_members.c.member == only)
    query = query.order_by(image_members.c.created_at, image_members.c.member)
    return [dict(row) for row in conn.execute(query).mappings()]


def get_member(conn: Connection, image_id: str, member: str) -> dict[str, Any] | None:
    rows = list_members(conn, image_id, only=member)
    return rows[0] if rows else None


def count_members(conn: Connection, image_id: str) -> int:
    return int(conn.execute(sa.select(sa.func.count()).where(
        image_members.c.image_id == image_id)).scalar_one())


def add_member(conn: Connection, image_id: str, member: str) -> dict[str, Any]:
    """Add a pending member; DuplicateEntry if it is one already."""
    now = utcnow()
    row = {"image_id": image_id, "member": member, "status": "pending",
           "created_at": now, "updated_at": now}
    conn.execute(sa.insert(image_members).values(**row))
    return row


def update_member(conn: Connection, image_id: str, member: str, status: str) -> None:
    conn.execute(sa.update(image_members).where(
        image_members.c.image_id == image_id, image_members.c.member == member)
        .values(status=status, updated_at=utcnow()))


def delete_member(conn: Connection, image_id: str, member: str) -> bool:
    return conn.execute(sa.delete(image_members).where(
        image_members.c.image_id == image_id,
        image_members.c.member == member)).rowcount > 0


# --- listing -----------------------------------------------------------------


# Columns GET /v2/images may filter on, and the operators of a filter.
FILTER_COLUMNS = ("id", "name", "status", "visibility", "protected", "os_hidden", "owner",
                  "size", "virtual_size", "disk_format", "container_format", "checksum",
                  "os_hash_algo", "os_hash_value", "min_ram", "min_disk", "created_at",
                  "updated_at")
SORT_COLUMNS = ("name", "status", "container_format", "disk_format", "size", "id",
                "created_at", "updated_at")
_OPERATORS = {
    "eq": lambda c, v: c == v, "neq": lambda c, v: c != v, "gt": lambda c, v: c > v,
    "gte": lambda c, v: c >= v, "lt": lambda c, v: c < v, "lte": lambda c, v: c <= v,
    "in": lambda c, v: c.in_(v),
}
OPERATORS = tuple(_OPERATORS)


@dataclass(slots=True)
class ListQuery:
    """What GET /v2/images asks for, parsed and checked by the handler."""

    viewer: Viewer
    visibility: str | None = None          # None: Glance's default listing
    member_status: str = "accepted"        # or pending, rejected, all
    os_hidden: bool = False                # list hidden images (only) or not
    filters: list[tuple[str, str, Any]] = field(default_factory=list)  # column, op, value
    properties: dict[str, str] = field(default_factory=dict)  # custom, equal to
    tags: list[str] = field(default_factory=list)
    sort: list[tuple[str, str]] = field(default_factory=lambda: [("created_at", "desc")])
    limit: int | None = None
    marker: dict[str, Any] | None = None   # the row of the marker image


def visible_clause(q: ListQuery) -> ColumnElement[bool]:
    """Which images the viewer sees in a listing, as Glance's image_get_all
    decides it. Admins start from every image; others from public and
    community ones, their own, and shared ones they are a member of (in
    `member_status`). Then `visibility` keeps one kind (``all``: all of
    them); without it, community images are left out unless owned."""
    viewer = q.viewer
    owned = images.c.owner == viewer.project_id
    if viewer.is_admin:
        base: ColumnElement[bool] = sa.true()
    else:
        member_match = sa.exists().where(
            image_members.c.image_id == images.c.id,
            image_members.c.member == viewer.project_id,
            *([] if q.member_status == "all" else [image_members.c.status == q.member_status]))
        seen: list[ColumnElement[bool]] = [images.c.visibility.in_(("public", "community"))]
        if viewer.project_id is not None:
            seen += [owned, sa.and_(images.c.visibility == "shared", member_match)]
        base = sa.or_(*seen)
    if q.visibility == "all":
        return base
    if q.visibility is not None:
        return sa.and_(base, images.c.visibility == q.visibility)
    if viewer.project_id is None:
        return sa.and_(base, images.c.visibility != "community")
    return sa.and_(base, sa.or_(owned, images.c.visibility != "community"))


def list_images(conn: Connection, q: ListQuery) -> list[dict[str, Any]]:
    """One page of images: one query for the rows, three for what hangs off
    them. Killed images are not listed, as in Glance."""
    query = sa.select(images).where(
        images.c.deleted.is_(False), images.c.status != "killed",
        images.c.os_hidden.is_(q.os_hidden), visible_clause(q))
    for column, op, value in q.filters:
        query = query.where(_OPERATORS[op](images.c[column], value))
    for name, value in q.properties.items():
        query = query.where(sa.exists().where(
            image_properties.c.image_id == images.c.id, image_properties.c.name == name,
            image_properties.c.value == value))
    for tag in q.tags:
        query = query.where(sa.exists().where(
            image_tags.c.image_id == images.c.id, image_tags.c.value == tag))
    sort = [(images.c[key], direction) for key, direction in q.sort]
    marker = None
    if q.marker is not None:
        marker = [q.marker[col.name] for col, _ in sort]
    rows = conn.execute(paginate(query, sort, q.limit, marker)).mappings().all()
    return _attach(conn, rows)


def get_row(conn: Connection, image_id: str) -> dict[str, Any] | None:
    """The columns of a not-deleted image (for a marker)."""
    row = conn.execute(sa.select(images).where(
        images.c.id == image_id, images.c.deleted.is_(False))).mappings().first()
    return dict(row) if row else None


_GONE = ("killed", "deleted", "pending_delete")
_UPLOADING = ("saving", "uploading", "importing")


def storage_usage(conn: Connection, owner: str) -> int:
    """Bytes of image data the project holds, each store's copy counted."""
    query = (
        sa.select(sa.func.coalesce(sa.func.sum(images.c.size), 0))
        .select_from(images.join(image_locations, image_locations.c.image_id == images.c.id))
        .where(images.c.owner == owner, images.c.size > 0, images.c.status.not_in(_GONE),
               image_locations.c.status != "deleted"))
    return int(conn.execute(query).scalar_one())


def staging_usage(conn: Connection, owner: str) -> int:
    """Bytes of the project's staged data (glance-direct imports)."""
    return int(conn.execute(
        sa.select(sa.func.coalesce(sa.func.sum(image_staging.c.size), 0))
        .where(image_staging.c.owner == owner)).scalar_one())


def uploading_count(conn: Connection, owner: str) -> int:
    """Images of the project being uploaded, imported or copied to stores."""
    copying = sa.exists().where(
        image_properties.c.image_id == images.c.id,
        image_properties.c.name == "os_glance_importing_to_stores",
        image_properties.c.value != "")
    query = sa.select(sa.func.count()).select_from(images).where(
        images.c.owner == owner, images.c.deleted.is_(False),
        sa.or_(images.c.status.in_(_UPLOADING),
               sa.and_(images.c.status.not_in(_GONE), copying)))
    return int(conn.execute(query).scalar_one())
