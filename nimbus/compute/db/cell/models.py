"""Tables of a cell database (cell0 and every cell), named and shaped as Nova's.

A cell holds its instances and what hangs off them (metadata, faults,
actions and their events, tags, block device mappings, network info), the
services and compute nodes of its hosts, and migrations. Rows of instances
and migrations are soft-deleted as Nova's are: ``deleted`` is 0 while the
row lives and its ``id`` once deleted, so that deleted servers can still be
listed by admins, shown in usage and audited.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from nimbus.common.db.types import UTCDateTime

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# User data (64 KiB encoded), network info and serialized flavors outgrow
# MySQL's TEXT.
LongText = sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql")


def _timestamps() -> list[sa.Column[object]]:
    return [sa.Column("created_at", UTCDateTime, nullable=False),
            sa.Column("updated_at", UTCDateTime)]


def _soft_delete() -> list[sa.Column[object]]:
    return [sa.Column("deleted_at", UTCDateTime),
            sa.Column("deleted", sa.Integer, nullable=False, default=0)]


instances = sa.Table(
    "instances", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("uuid", sa.String(36), nullable=False, unique=True),
    sa.Column("user_id", sa.String(255), nullable=False),
    sa.Column("project_id", sa.String(255), nullable=False),
    sa.Column("image_ref", sa.String(255)),
    sa.Column("kernel_id", sa.String(255)),
    sa.Column("ramdisk_id", sa.String(255)),
    sa.Column("hostname", sa.String(255)),
    sa.Column("host", sa.String(255)),
    sa.Column("node", sa.String(255)),
    sa.Column("launched_on", sa.String(255)),
    sa.Column("launch_index", sa.Integer),
    sa.Column("key_name", sa.String(255)),
    sa.Column("key_data", sa.Text),
    sa.Column("power_state", sa.Integer, nullable=False, default=0),
    sa.Column("vm_state", sa.String(255), nullable=False),
    sa.Column("task_state", sa.String(255)),
    sa.Column("memory_mb", sa.Integer, nullable=False),
    sa.Column("vcpus", sa.Integer, nullable=False),
    sa.Column("root_gb", sa.Integer, nullable=False, default=0),
    sa.Column("ephemeral_gb", sa.Integer, nullable=False, default=0),
    sa.Column("instance_type_id", sa.Integer),  # the flavor's id in the API database
    sa.Column("user_data", LongText),
    sa.Column("reservation_id", sa.String(255)),
    sa.Column("launched_at", UTCDateTime),
    sa.Column("terminated_at", UTCDateTime),
    sa.Column("availability_zone", sa.String(255)),
    sa.Column("display_name", sa.String(255)),
    sa.Column("display_description", sa.Text),
    sa.Column("locked", sa.Boolean, nullable=False, default=False),
    sa.Column("locked_by", sa.String(16)),  # "owner" or "admin", as Nova
    sa.Column("os_type", sa.String(255)),
    sa.Column("architecture", sa.String(255)),
    sa.Column("vm_mode", sa.String(255)),
    sa.Column("root_device_name", sa.String(255)),
    sa.Column("config_drive", sa.String(255)),
    sa.Column("access_ip_v4", sa.String(39)),
    sa.Column("access_ip_v6", sa.String(39)),
    sa.Column("auto_disk_config", sa.Boolean, nullable=False, default=False),
    sa.Column("progress", sa.Integer),
    sa.Column("shutdown_terminate", sa.Boolean, nullable=False, default=False),
    sa.Column("disable_terminate", sa.Boolean, nullable=False, default=False),
    sa.Column("cleaned", sa.Boolean, nullable=False, default=False),
    sa.Column("hidden", sa.Boolean, nullable=False, default=False),
    *_timestamps(),
    *_soft_delete(),
    sa.Index("ix_instances_project_id_deleted", "project_id", "deleted"),
    sa.Index("ix_instances_host_deleted", "host", "deleted"),
    sa.Index("ix_instances_created_at_id", "created_at", "id"),
    sa.Index("ix_instances_updated_at", "updated_at"),
    sa.Index("ix_instances_reservation_id", "reservation_id"),
)

# What Nova keeps in instance_extra: the flavor (current, old and new during
# a resize), key pairs, device metadata, the migration context, and the
# request's scheduler hints / security groups that server bodies show back.
instance_extra = sa.Table(
    "instance_extra", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("instance_uuid", sa.String(36),
              sa.ForeignKey("instances.uuid", ondelete="CASCADE"), nullable=False, unique=True),
    sa.Column("flavor", LongText),
    sa.Column("keypairs", sa.Text),
    sa.Column("device_metadata", sa.Text),
    sa.Column("migration_context", sa.Text),
    sa.Column("trusted_certs", sa.Text),
    sa.Column("extra", LongText),  # JSON: security_groups, scheduler_hints, pinned AZ...
    *_timestamps(),
)

instance_metadata = sa.Table(
    "instance_metadata", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("instance_uuid", sa.String(36),
              sa.ForeignKey("instances.uuid", ondelete="CASCADE"), nullable=False),
    sa.Column("key", sa.String(255), nullable=False),
    sa.Column("value", sa.String(255)),
    *_timestamps(),
    sa.UniqueConstraint("instance_uuid", "key"),
)

instance_system_metadata = sa.Table(
    "instance_system_metadata", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("instance_uuid", sa.String(36),
              sa.ForeignKey("instances.uuid", ondelete="CASCADE"), nullable=False),
    sa.Column("key", sa.String(255), nullable=False),
    sa.Column("value", sa.Text),
    *_timestamps(),
    sa.UniqueConstraint("instance_uuid", "key"),
)

instance_info_caches = sa.Table(
    "instance_info_caches", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("instance_uuid", sa.String(36),
              sa.ForeignKey("instances.uuid", ondelete="CASCADE"), nullable=False, unique=True),
    sa.Column("network_info", LongText),
    *_timestamps(),
)

instance_faults = sa.Table(
    "instance_faults", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("instance_uuid", sa.String(36),
              sa.ForeignKey("instances.uuid", ondelete="CASCADE"), nullable=False),
    sa.Column("code", sa.Integer, nullable=False),
    sa.Column("message", sa.String(255)),
    sa.Column("details", LongText),
    sa.Column("host", sa.String(255)),
    *_timestamps(),
    sa.Index("ix_instance_faults_instance_uuid_created_at", "instance_uuid", "created_at"),
)

instance_actions = sa.Table(
    "instance_actions", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("action", sa.String(255), nullable=False),
    sa.Column("instance_uuid", sa.String(36), nullable=False),
    sa.Column("request_id", sa.String(255), nullable=False),
    sa.Column("user_id", sa.String(255)),
    sa.Column("project_id", sa.String(255)),
    sa.Column("start_time", UTCDateTime, nullable=False),
    sa.Column("finish_time", UTCDateTime),
    sa.Column("message", sa.String(255)),
    *_timestamps(),
    sa.Index("ix_instance_actions_instance_uuid_request_id", "instance_uuid", "request_id"),
    sa.Index("ix_instance_actions_instance_uuid_updated_at", "instance_uuid", "updated_at"),
)

instance_actions_events = sa.Table(
    "instance_actions_events", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("action_id", sa.Integer,
              sa.ForeignKey("instance_actions.id", ondelete="CASCADE"), nullable=False),
    sa.Column("event", sa.String(255), nullable=False),
    sa.Column("result", sa.String(255)),
    sa.Column("traceback", sa.Text),
    sa.Column("start_time", UTCDateTime, nullable=False),
    sa.Column("finish_time", UTCDateTime),
    sa.Column("host", sa.String(255)),
    sa.Column("details", sa.Text),
    *_timestamps(),
    sa.Index("ix_instance_actions_events_action_id", "action_id"),
)

tags = sa.Table(
    "tags", metadata,
    sa.Column("resource_id", sa.String(36),
              sa.ForeignKey("instances.uuid", ondelete="CASCADE"), primary_key=True),
    sa.Column("tag", sa.String(80), primary_key=True),
    sa.Index("ix_tags_tag", "tag"),
)

block_device_mapping = sa.Table(
    "block_device_mapping", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("uuid", sa.String(36), nullable=False, unique=True),
    sa.Column("instance_uuid", sa.String(36),
              sa.ForeignKey("instances.uuid", ondelete="CASCADE"), nullable=False),
    sa.Column("source_type", sa.String(255)),
    sa.Column("destination_type", sa.String(255)),
    sa.Column("guest_format", sa.String(255)),
    sa.Column("device_type", sa.String(255)),
    sa.Column("disk_bus", sa.String(255)),
    sa.Column("boot_index", sa.Integer),
    sa.Column("device_name", sa.String(255)),
    sa.Column("delete_on_termination", sa.Boolean, nullable=False, default=False),
    sa.Column("snapshot_id", sa.String(36)),
    sa.Column("volume_id", sa.String(36)),
    sa.Column("volume_size", sa.Integer),
    sa.Column("volume_type", sa.String(255)),
    sa.Column("image_id", sa.String(36)),
    sa.Column("no_device", sa.Boolean, nullable=False, default=False),
    sa.Column("connection_info", LongText),
    sa.Column("tag", sa.String(255)),
    sa.Column("attachment_id", sa.String(36)),
    *_timestamps(),
    sa.Index("ix_block_device_mapping_instance_uuid", "instance_uuid"),
)

migrations = sa.Table(
    "migrations", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("uuid", sa.String(36), nullable=False, unique=True),
    sa.Column("instance_uuid", sa.String(36), nullable=False),
    sa.Column("source_compute", sa.String(255)),
    sa.Column("dest_compute", sa.String(255)),
    sa.Column("source_node", sa.String(255)),
    sa.Column("dest_node", sa.String(255)),
    sa.Column("dest_host", sa.String(255)),
    sa.Column("old_instance_type_id", sa.Integer),
    sa.Column("new_instance_type_id", sa.Integer),
    sa.Column("status", sa.String(255), nullable=False),
    sa.Column("migration_type", sa.String(32), nullable=False),
    sa.Column("hidden", sa.Boolean, nullable=False, default=False),
    sa.Column("memory_total", sa.BigInteger),
    sa.Column("memory_processed", sa.BigInteger),
    sa.Column("memory_remaining", sa.BigInteger),
    sa.Column("disk_total", sa.BigInteger),
    sa.Column("disk_processed", sa.BigInteger),
    sa.Column("disk_remaining", sa.BigInteger),
    sa.Column("user_id", sa.String(255)),
    sa.Column("project_id", sa.String(255)),
    *_timestamps(),
    *_soft_delete(),
    sa.Index("ix_migrations_instance_uuid_status", "instance_uuid", "status"),
    sa.Index("ix_migrations_updated_at", "updated_at"),
)

services = sa.Table(
    "services", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("uuid", sa.String(36), nullable=False, unique=True),
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("binary", sa.String(255), nullable=False),
    sa.Column("topic", sa.String(255)),
    sa.Column("report_count", sa.Integer, nullable=False, default=0),
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
    sa.Column("disabled_reason", sa.String(255)),
    sa.Column("last_seen_up", UTCDateTime),
    sa.Column("forced_down", sa.Boolean, nullable=False, default=False),
    sa.Column("version", sa.Integer, nullable=False, default=0),
    *_timestamps(),
    *_soft_delete(),
    sa.UniqueConstraint("host", "binary", "deleted"),
)

compute_nodes = sa.Table(
    "compute_nodes", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("uuid", sa.String(36), nullable=False, unique=True),
    sa.Column("service_id", sa.Integer),
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("hypervisor_hostname", sa.String(255), nullable=False),
    sa.Column("hypervisor_type", sa.String(255), nullable=False),
    sa.Column("hypervisor_version", sa.Integer, nullable=False, default=0),
    sa.Column("vcpus", sa.Integer, nullable=False),
    sa.Column("memory_mb", sa.Integer, nullable=False),
    sa.Column("local_gb", sa.Integer, nullable=False),
    sa.Column("vcpus_used", sa.Integer, nullable=False, default=0),
    sa.Column("memory_mb_used", sa.Integer, nullable=False, default=0),
    sa.Column("local_gb_used", sa.Integer, nullable=False, default=0),
    sa.Column("free_ram_mb", sa.Integer),
    sa.Column("free_disk_gb", sa.Integer),
    sa.Column("disk_available_least", sa.Integer),
    sa.Column("current_workload", sa.Integer),
    sa.Column("running_vms", sa.Integer),
    sa.Column("cpu_info", sa.Text),
    sa.Column("host_ip", sa.String(39)),
    sa.Column("cpu_allocation_ratio", sa.Float),
    sa.Column("ram_allocation_ratio", sa.Float),
    sa.Column("disk_allocation_ratio", sa.Float),
    sa.Column("mapped", sa.Boolean, nullable=False, default=False),
    # JSON: the (architecture, hypervisor type, vm mode) triples the node
    # runs, and Nova's workload statistics (failed_builds among them).
    sa.Column("supported_instances", sa.Text),
    sa.Column("stats", sa.Text),
    *_timestamps(),
    *_soft_delete(),
    sa.UniqueConstraint("host", "hypervisor_hostname", "deleted"),
)
