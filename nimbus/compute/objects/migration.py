"""A move of an instance between hosts: resize, cold or live migration, evacuation."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from nimbus.common.objects import NimbusObject, fields, register

COLUMNS = ("id", "uuid", "instance_uuid", "source_compute", "dest_compute", "source_node",
           "dest_node", "dest_host", "old_instance_type_id", "new_instance_type_id",
           "status", "migration_type", "hidden", "memory_total", "memory_processed",
           "memory_remaining", "disk_total", "disk_processed", "disk_remaining", "user_id",
           "project_id", "created_at", "updated_at", "deleted_at", "deleted")


@register
class Migration(NimbusObject):
    # 1.0: first version
    VERSION = "1.0"

    if TYPE_CHECKING:  # the fields, for type checkers
        id: int | None
        uuid: str
        instance_uuid: str
        source_compute: str | None
        dest_compute: str | None
        source_node: str | None
        dest_node: str | None
        dest_host: str | None
        old_instance_type_id: int | None
        new_instance_type_id: int | None
        status: str
        migration_type: str
        hidden: bool
        memory_total: int | None
        memory_processed: int | None
        memory_remaining: int | None
        disk_total: int | None
        disk_processed: int | None
        disk_remaining: int | None
        user_id: str | None
        project_id: str | None
        created_at: datetime.datetime | None
        updated_at: datetime.datetime | None
        deleted_at: datetime.datetime | None
        deleted: int

    fields = {
        "id": fields.IntegerField(nullable=True),
        "uuid": fields.UUIDField(),
        "instance_uuid": fields.UUIDField(),
        "source_compute": fields.StringField(nullable=True),
        "dest_compute": fields.StringField(nullable=True),
        "source_node": fields.StringField(nullable=True),
        "dest_node": fields.StringField(nullable=True),
        "dest_host": fields.StringField(nullable=True),
        "old_instance_type_id": fields.IntegerField(nullable=True),
        "new_instance_type_id": fields.IntegerField(nullable=True),
        "status": fields.StringField(),
        # migration, resize, live-migration, evacuation
        "migration_type": fields.StringField(),
        "hidden": fields.BooleanField(),
        "memory_total": fields.IntegerField(nullable=True),
        "memory_processed": fields.IntegerField(nullable=True),
        "memory_remaining": fields.IntegerField(nullable=True),
        "disk_total": fields.IntegerField(nullable=True),
        "disk_processed": fields.IntegerField(nullable=True),
        "disk_remaining": fields.IntegerField(nullable=True),
        "user_id": fields.StringField(nullable=True),
        "project_id": fields.StringField(nullable=True),
        "created_at": fields.DateTimeField(nullable=True),
        "updated_at": fields.DateTimeField(nullable=True),
        "deleted_at": fields.DateTimeField(nullable=True),
        "deleted": fields.IntegerField(),
    }


def migration_id(migration: Migration) -> int:
    """The id of a stored migration (an object not yet stored has none)."""
    if migration.id is None:
        raise ValueError(f"migration {migration.uuid} has no id: it was never stored")
    return int(migration.id)
