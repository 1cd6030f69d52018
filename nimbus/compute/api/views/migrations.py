"""Migrations as Nova shows them: in GET /os-migrations and under
/servers/{server_id}/migrations, at the request's microversion.

Host fields are null for callers whose policy does not show hosts;
timestamps have Nova's microsecond form without a zone.
"""

from __future__ import annotations

from typing import Any

from nimbus.common.api.app import Request
from nimbus.compute.api import common
from nimbus.compute.api.common import since
from nimbus.compute.api.views.servers import usage_time
from nimbus.compute.db.cell.moves import LIVE_IN_PROGRESS, MigrationRecord

_HOSTS = ("source_compute", "source_node", "dest_compute", "dest_node", "dest_host")


def listed(req: Request, migration: MigrationRecord, show_hosts: bool) -> dict[str, Any]:
    """One migration of GET /os-migrations."""
    body: dict[str, Any] = {
        "id": migration.id, "status": migration.status,
        "instance_uuid": migration.instance_uuid,
        "old_instance_type_id": migration.old_instance_type_id,
        "new_instance_type_id": migration.new_instance_type_id,
        "created_at": usage_time(migration.created_at),
        "updated_at": usage_time(migration.updated_at),
        **{h: getattr(migration, h) if show_hosts else None for h in _HOSTS},
    }
    if since(req, "2.23"):
        body["migration_type"] = migration.migration_type
        if migration.migration_type == "live-migration" and \
                migration.status in LIVE_IN_PROGRESS:
            body["links"] = common.links(
                req, f"servers/{migration.instance_uuid}/migrations", str(migration.id))
    if since(req, "2.59"):
        body["uuid"] = migration.uuid
    if since(req, "2.80"):
        body["user_id"] = migration.user_id
        body["project_id"] = migration.project_id
    return body


def of_server(req: Request, migration: MigrationRecord, show_hosts: bool) -> dict[str, Any]:
    """One live migration under /servers/{server_id}/migrations (2.23)."""
    body: dict[str, Any] = {
        "id": migration.id, "server_uuid": migration.instance_uuid,
        "status": migration.status,
        "created_at": usage_time(migration.created_at),
        "updated_at": usage_time(migration.updated_at),
        "memory_total_bytes": migration.memory_total,
        "memory_processed_bytes": migration.memory_processed,
        "memory_remaining_bytes": migration.memory_remaining,
        "disk_total_bytes": migration.disk_total,
        "disk_processed_bytes": migration.disk_processed,
        "disk_remaining_bytes": migration.disk_remaining,
        **{h: getattr(migration, h) if show_hosts else None for h in _HOSTS},
    }
    if since(req, "2.59"):
        body["uuid"] = migration.uuid
    if since(req, "2.80"):
        body["user_id"] = migration.user_id
        body["project_id"] = migration.project_id
    return body
