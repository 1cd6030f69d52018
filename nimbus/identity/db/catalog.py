"""Regions, services and endpoints: the service catalog, kept as data."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from nimbus.common.db import DuplicateEntry
from nimbus.identity import exceptions as exc
from nimbus.identity.db.common import new_id, split_extra, update_values
from nimbus.identity.db.models import endpoints, regions, services

REGION_FIELDS = ("id", "description", "parent_region_id")
SERVICE_FIELDS = ("id", "type", "enabled")
ENDPOINT_FIELDS = ("id", "interface", "service_id", "region_id", "url", "enabled")
INTERFACES = ("public", "internal", "admin")


# -- regions -------------------------------------------------------------------

def _region(row: Row[Any]) -> dict[str, Any]:
    ref = dict(row.extra or {})
    ref.update(id=row.id, description=row.description,
               parent_region_id=row.parent_region_id)
    return ref


def get_region(conn: Connection, region_id: str) -> dict[str, Any]:
    row = conn.execute(sa.select(regions).where(regions.c.id == region_id)).first()
    if row is None:
        raise exc.NotFound("region", region_id)
    return _region(row)


def list_regions(conn: Connection, parent_region_id: str | None = None) -> list[dict[str, Any]]:
    query = sa.select(regions).order_by(regions.c.id)
    if parent_region_id is not None:
        query = query.where(regions.c.parent_region_id == parent_region_id)
    return [_region(row) for row in conn.execute(query)]


def _check_parent(conn: Connection, region_id: str, parent_id: str | None) -> None:
    if parent_id is None:
        return
    try:
        get_region(conn, parent_id)
    except exc.NotFound:
        raise exc.ValidationError(
            f"The specified parent region {parent_id} could not be found."
        ) from None
    seen = {region_id}
    current: str | None = parent_id
    while current is not None:
        if current in seen:
            raise exc.ValidationError(
                f"Circular reference or a repeated entry found in region tree - {current}."
            )
        seen.add(current)
        current = conn.execute(sa.select(regions.c.parent_region_id)
                               .where(regions.c.id == current)).scalar()


def create_region(conn: Connection, ref: Mapping[str, Any]) -> dict[str, Any]:
    base, extra = split_extra(ref, REGION_FIELDS)
    region_id = base.get("id") or new_id()
    _check_parent(conn, region_id, base.get("parent_region_id"))
    try:
        conn.execute(sa.insert(regions).values(
            id=region_id, description=base.get("description") or "",
            parent_region_id=base.get("parent_region_id"), extra=extra))
    except DuplicateEntry:
        raise exc.Conflict("region", f"Duplicate ID, {region_id}") from None
    return get_region(conn, region_id)


def update_region(conn: Connection, region_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    current = get_region(conn, region_id)
    base = update_values(current, changes, REGION_FIELDS)
    if "parent_region_id" in base:
        _check_parent(conn, region_id, base["parent_region_id"])
    if base:
        conn.execute(sa.update(regions).where(regions.c.id == region_id).values(**base))
    return get_region(conn, region_id)


def delete_region(conn: Connection, region_id: str) -> None:
    get_region(conn, region_id)
    child = conn.execute(sa.select(regions.c.id)
                         .where(regions.c.parent_region_id == region_id).limit(1)).first()
    if child is not None:
        raise exc.Forbidden(f"Cannot delete region {region_id}: it has child regions.")
    conn.execute(sa.update(endpoints).where(endpoints.c.region_id == region_id)
                 .values(region_id=None))
    conn.execute(sa.delete(regions).where(regions.c.id == region_id))


# -- services ------------------------------------------------------------------

def _service(row: Row[Any]) -> dict[str, Any]:
    ref = dict(row.extra or {})
    ref.update(id=row.id, type=row.type, enabled=row.enabled)
    return ref


def get_service(conn: Connection, service_id: str) -> dict[str, Any]:
    row = conn.execute(sa.select(services).where(services.c.id == service_id)).first()
    if row is None:
        raise exc.NotFound("service", service_id)
    return _service(row)


def list_services(conn: Connection, *, type: str | None = None, name: str | None = None) -> list[dict[str, Any]]:
    query = sa.select(services).order_by(services.c.type, services.c.id)
    if type is not None:
        query = query.where(services.c.type == type)
    found = [_service(row) for row in conn.execute(query)]
    if name is not None:
        found = [s for s in found if s.get("name") == name]
    return found


def create_service(conn: Connection, ref: Mapping[str, Any]) -> dict[str, Any]:
    base, extra = split_extra(ref, SERVICE_FIELDS)
    service_id = base.get("id") or new_id()
    conn.execute(sa.insert(services).values(
        id=service_id, type=base["type"], enabled=base.get("enabled", True), extra=extra))
    return get_service(conn, service_id)


def update_service(conn: Connection, service_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    current = get_service(conn, service_id)
    base = update_values(current, changes, SERVICE_FIELDS)
    if base:
        conn.execute(sa.update(services).where(services.c.id == service_id).values(**base))
    return get_service(conn, service_id)


def delete_service(conn: Connection, service_id: str) -> None:
    """Delete a service with its endpoints, as Keystone does."""
    get_service(conn, service_id)
    conn.execute(sa.delete(endpoints).where(endpoints.c.service_id == service_id))
    conn.execute(sa.delete(services).where(services.c.id == service_id))


# -- endpoints -----------------------------------------------------------------

def _endpoint(row: Row[Any]) -> dict[str, Any]:
    ref = dict(row.extra or {})
    ref.update(id=row.id, interface=row.interface, service_id=row.service_id,
               region_id=row.region_id, region=row.region_id, url=row.url,
               enabled=row.enabled)
    return ref


def get_endpoint(conn: Connection, endpoint_id: str) -> dict[str, Any]:
    row = conn.execute(sa.select(endpoints).where(endpoints.c.id == endpoint_id)).first()
    if row is None:
        raise exc.NotFound("endpoint", endpoint_id)
    return _endpoint(row)


def list_endpoints(
    conn: Connection, *, service_id: str | None = None, interface: str | None = None,
    region_id: str | None = None, region: str | None = None,
) -> list[dict[str, Any]]:
    """Endpoints, filtered; `region` is the old name of `region_id`."""
    region_id = region_id or region
    query = sa.select(endpoints).order_by(endpoints.c.service_id, endpoints.c.interface,
                                          endpoints.c.id)
    if service_id is not None:
        query = query.where(endpoints.c.service_id == service_id)
    if interface is not None:
        query = query.where(endpoints.c.interface == interface)
    if region_id is not None:
        query = query.where(endpoints.c.region_id == region_id)
    return [_endpoint(row) for row in conn.execute(query)]


def _check_endpoint_refs(conn: Connection, base: Mapping[str, Any]) -> None:
    if "service_id" in base:
        try:
            get_service(conn, base["service_id"])
        except exc.NotFound:
            raise exc.ValidationError(
                f"Could not find service {base['service_id']} for the endpoint."
            ) from None
    if base.get("region_id"):
        try:
            get_region(conn, base["region_id"])
        except exc.NotFound:
            raise exc.ValidationError(
                f"Could not find region {base['region_id']} for the endpoint."
            ) from None


def _legacy_region(conn: Connection, ref: dict[str, Any]) -> None:
    """The old `region` attribute names the region as `region_id` does, and
    (as in Keystone) creates it when it does not exist."""
    region = ref.pop("region", None)
    if ref.get("region_id") is None and region:
        ref["region_id"] = region
        try:
            get_region(conn, region)
        except exc.NotFound:
            create_region(conn, {"id": region})


def create_endpoint(conn: Connection, ref: Mapping[str, Any]) -> dict[str, Any]:
    ref = dict(ref)
    _legacy_region(conn, ref)
    base, extra = split_extra(ref, ENDPOINT_FIELDS)
    _check_endpoint_refs(conn, base)
    endpoint_id = base.get("id") or new_id()
    conn.execute(sa.insert(endpoints).values(
        id=endpoint_id, interface=base["interface"], service_id=base["service_id"],
        region_id=base.get("region_id"), url=base["url"],
        enabled=base.get("enabled", True), extra=extra))
    return get_endpoint(conn, endpoint_id)


def update_endpoint(conn: Connection, endpoint_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    current = get_endpoint(conn, endpoint_id)
    changes = dict(changes)
    _legacy_region(conn, changes)
    base = update_values(current, changes, ENDPOINT_FIELDS, shown=("region",))
    _check_endpoint_refs(conn, base)
    if base:
        conn.execute(sa.update(endpoints).where(endpoints.c.id == endpoint_id).values(**base))
    return get_endpoint(conn, endpoint_id)


def delete_endpoint(conn: Connection, endpoint_id: str) -> None:
    get_endpoint(conn, endpoint_id)
    conn.execute(sa.delete(endpoints).where(endpoints.c.id == endpoint_id))


# -- the catalog in tokens -----------------------------------------------------

_SUBST = re.compile(r"[$%]\((\w+)\)s")


def _format_url(url: str, values: Mapping[str, str]) -> str | None:
    """Fill ``$(project_id)s`` / ``%(tenant_id)s`` style fields; None when a
    field has no value here (the endpoint is left out)."""
    missing = False

    def repl(match: re.Match[str]) -> str:
        nonlocal missing
        value = values.get(match.group(1))
        if value is None:
            missing = True
            return ""
        return value

    formatted = _SUBST.sub(repl, url)
    return None if missing else formatted


def build_catalog(conn: Connection, user_id: str, project_id: str | None) -> list[dict[str, Any]]:
    """The catalog of a scoped token: enabled services with their enabled
    endpoints, in Keystone's shape."""
    values = {"user_id": user_id}
    if project_id:
        values.update(project_id=project_id, tenant_id=project_id)
    rows = conn.execute(
        sa.select(services.c.id, services.c.type, services.c.extra,
                  endpoints.c.id.label("endpoint_id"), endpoints.c.interface,
                  endpoints.c.region_id, endpoints.c.url, endpoints.c.enabled)
        .select_from(services.outerjoin(endpoints, endpoints.c.service_id == services.c.id))
        .where(services.c.enabled.is_(True))
        .order_by(services.c.type, services.c.id, endpoints.c.interface, endpoints.c.id)
    )
    catalog: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = catalog.get(row.id)
        if entry is None:
            entry = catalog[row.id] = {
                "endpoints": [], "id": row.id, "type": row.type,
                "name": (row.extra or {}).get("name", ""),
            }
        if row.endpoint_id is None or not row.enabled:
            continue
        url = _format_url(row.url, values)
        if url is None:
            continue
        entry["endpoints"].append({
            "id": row.endpoint_id, "interface": row.interface,
            "region_id": row.region_id, "region": row.region_id, "url": url,
        })
    return list(catalog.values())
