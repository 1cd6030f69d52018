"""Tables of the compute API database, named and shaped as Nova's.

Flavors (with extra specs and access lists), key pairs, aggregates, server
groups and quotas; the cell, host and instance mappings, request specs and
build requests of the boot path: a server is recorded in them before it
reaches a cell.

One departure from Nova: instance mappings carry the vcpus and memory of
their instance, so that a quota check counts instances, cores and RAM in
one transaction of this database, serialized per project by a row of
``quota_locks``, and parallel requests can never pass a limit together.
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

# Serialized objects (a request spec, an instance being built) outgrow
# MySQL's TEXT (64 KiB).
LongText = sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql")


def _timestamps() -> list[sa.Column[object]]:
    return [sa.Column("created_at", UTCDateTime, nullable=False),
            sa.Column("updated_at", UTCDateTime)]


flavors = sa.Table(
    "flavors", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("flavorid", sa.String(255), nullable=False, unique=True),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("memory_mb", sa.Integer, nullable=False),
    sa.Column("vcpus", sa.Integer, nullable=False),
    sa.Column("root_gb", sa.Integer),
    sa.Column("ephemeral_gb", sa.Integer),
    sa.Column("swap", sa.Integer, nullable=False, default=0),
    sa.Column("rxtx_factor", sa.Float, default=1.0),
    sa.Column("vcpu_weight", sa.Integer),
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
    sa.Column("is_public", sa.Boolean, nullable=False, default=True),
    sa.Column("description", sa.Text),
    *_timestamps(),
)

flavor_extra_specs = sa.Table(
    "flavor_extra_specs", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("flavor_id", sa.Integer, sa.ForeignKey("flavors.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("key", sa.String(255), nullable=False),
    sa.Column("value", sa.String(255)),
    *_timestamps(),
    sa.UniqueConstraint("flavor_id", "key"),
)

flavor_projects = sa.Table(
    "flavor_projects", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("flavor_id", sa.Integer, sa.ForeignKey("flavors.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("project_id", sa.String(255), nullable=False),
    *_timestamps(),
    sa.UniqueConstraint("flavor_id", "project_id"),
    sa.Index("ix_flavor_projects_project_id", "project_id"),
)

key_pairs = sa.Table(
    "key_pairs", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.String(255), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("fingerprint", sa.String(255)),
    sa.Column("public_key", sa.Text),
    # Nova's is an enum; a short string with the same values is portable.
    sa.Column("type", sa.String(8), nullable=False, server_default="ssh"),
    *_timestamps(),
    sa.UniqueConstraint("user_id", "name"),
)

cell_mappings = sa.Table(
    "cell_mappings", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("uuid", sa.String(36), nullable=False, unique=True),
    sa.Column("name", sa.String(255)),
    sa.Column("transport_url", sa.Text),
    sa.Column("database_connection", sa.Text),
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
    *_timestamps(),
)

host_mappings = sa.Table(
    "host_mappings", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("cell_id", sa.Integer, sa.ForeignKey("cell_mappings.id"), nullable=False),
    sa.Column("host", sa.String(255), nullable=False, unique=True),
    *_timestamps(),
)

instance_mappings = sa.Table(
    "instance_mappings", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("instance_uuid", sa.String(36), nullable=False, unique=True),
    # NULL until the instance is scheduled to a cell (or buried in cell0).
    sa.Column("cell_id", sa.Integer, sa.ForeignKey("cell_mappings.id")),
    sa.Column("project_id", sa.String(255), nullable=False),
    sa.Column("user_id", sa.String(255)),
    sa.Column("queued_for_delete", sa.Boolean, nullable=False, default=False),
    sa.Column("vcpus", sa.Integer, nullable=False, server_default="0"),
    sa.Column("memory_mb", sa.Integer, nullable=False, server_default="0"),
    *_timestamps(),
    sa.Index("ix_instance_mappings_project_id", "project_id"),
    sa.Index("ix_instance_mappings_user_id_project_id", "user_id", "project_id"),
)

request_specs = sa.Table(
    "request_specs", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("instance_uuid", sa.String(36), nullable=False, unique=True),
    sa.Column("spec", LongText, nullable=False),
    *_timestamps(),
)

build_requests = sa.Table(
    "build_requests", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("instance_uuid", sa.String(36), nullable=False, unique=True),
    sa.Column("project_id", sa.String(255), nullable=False),
    sa.Column("instance", LongText),
    sa.Column("block_device_mappings", LongText),
    sa.Column("tags", sa.Text),
    *_timestamps(),
    sa.Index("ix_build_requests_project_id", "project_id"),
)

aggregates = sa.Table(
    "aggregates", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("uuid", sa.String(36), nullable=False, unique=True),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    *_timestamps(),
)

aggregate_hosts = sa.Table(
    "aggregate_hosts", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("aggregate_id", sa.Integer,
              sa.ForeignKey("aggregates.id", ondelete="CASCADE"), nullable=False),
    sa.Column("host", sa.String(255), nullable=False),
    *_timestamps(),
    sa.UniqueConstraint("aggregate_id", "host"),
    sa.Index("ix_aggregate_hosts_host", "host"),
)

aggregate_metadata = sa.Table(
    "aggregate_metadata", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("aggregate_id", sa.Integer,
              sa.ForeignKey("aggregates.id", ondelete="CASCADE"), nullable=False),
    sa.Column("key", sa.String(255), nullable=False),
    sa.Column("value", sa.String(255), nullable=False),
    *_timestamps(),
    sa.UniqueConstraint("aggregate_id", "key"),
    sa.Index("ix_aggregate_metadata_key", "key"),
)

instance_groups = sa.Table(
    "instance_groups", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("uuid", sa.String(36), nullable=False, unique=True),
    sa.Column("name", sa.String(255)),
    sa.Column("user_id", sa.String(255)),
    sa.Column("project_id", sa.String(255)),
    *_timestamps(),
    sa.Index("ix_instance_groups_project_id", "project_id"),
)

instance_group_policy = sa.Table(
    "instance_group_policy", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("group_id", sa.Integer,
              sa.ForeignKey("instance_groups.id", ondelete="CASCADE"), nullable=False),
    sa.Column("policy", sa.String(255), nullable=False),
    sa.Column("rules", sa.Text),  # JSON, e.g. {"max_server_per_host": 2}
    *_timestamps(),
    sa.Index("ix_instance_group_policy_group_id", "group_id"),
)

instance_group_member = sa.Table(
    "instance_group_member", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("group_id", sa.Integer,
              sa.ForeignKey("instance_groups.id", ondelete="CASCADE"), nullable=False),
    sa.Column("instance_uuid", sa.String(36), nullable=False),
    *_timestamps(),
    sa.UniqueConstraint("group_id", "instance_uuid"),
    sa.Index("ix_instance_group_member_instance_uuid", "instance_uuid"),
)

quotas = sa.Table(
    "quotas", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("project_id", sa.String(255), nullable=False),
    sa.Column("resource", sa.String(255), nullable=False),
    sa.Column("hard_limit", sa.Integer),
    *_timestamps(),
    sa.UniqueConstraint("project_id", "resource"),
)

project_user_quotas = sa.Table(
    "project_user_quotas", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("project_id", sa.String(255), nullable=False),
    sa.Column("user_id", sa.String(255), nullable=False),
    sa.Column("resource", sa.String(255), nullable=False),
    sa.Column("hard_limit", sa.Integer),
    *_timestamps(),
    sa.UniqueConstraint("user_id", "project_id", "resource"),
)

quota_classes = sa.Table(
    "quota_classes", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("class_name", sa.String(255), nullable=False),
    sa.Column("resource", sa.String(255), nullable=False),
    sa.Column("hard_limit", sa.Integer),
    *_timestamps(),
    sa.UniqueConstraint("class_name", "resource"),
)

# One row per project that has ever checked a quota: a checker locks it
# (SELECT ... FOR UPDATE) so that counting and recording happen one request
# at a time per project.
quota_locks = sa.Table(
    "quota_locks", metadata,
    sa.Column("project_id", sa.String(255), primary_key=True),
)
