"""Tables of the compute API database, named and shaped as Nova's.

Flavors, their extra specs and access lists, and key pairs serve the API
now. The cell, host and instance mappings, request specs and build requests
are here for the boot path: a server is recorded in them before it reaches
a cell.
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
