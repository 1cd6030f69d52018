"""Tables of the image database.

Images are soft-deleted, as Glance does: a deleted image keeps its row (with
``deleted`` true and status ``deleted``) so that its id can never be reused,
while its properties, tags, members and locations go with it.
"""

from __future__ import annotations

import sqlalchemy as sa

from nimbus.common.db.types import JSONText, UTCDateTime

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _timestamps() -> list[sa.Column[object]]:
    return [sa.Column("created_at", UTCDateTime, nullable=False),
            sa.Column("updated_at", UTCDateTime)]


images = sa.Table(
    "images", metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("name", sa.String(255)),
    sa.Column("status", sa.String(30), nullable=False),
    sa.Column("visibility", sa.String(16), nullable=False),
    sa.Column("protected", sa.Boolean, nullable=False, default=False),
    sa.Column("os_hidden", sa.Boolean, nullable=False, default=False),
    sa.Column("owner", sa.String(255), index=True),
    sa.Column("size", sa.BigInteger),
    sa.Column("virtual_size", sa.BigInteger),
    sa.Column("disk_format", sa.String(20)),
    sa.Column("container_format", sa.String(20)),
    sa.Column("checksum", sa.String(32)),
    sa.Column("os_hash_algo", sa.String(64)),
    sa.Column("os_hash_value", sa.String(128)),
    sa.Column("min_disk", sa.Integer, nullable=False, default=0),
    sa.Column("min_ram", sa.Integer, nullable=False, default=0),
    *_timestamps(),
    sa.Column("deleted_at", UTCDateTime),
    sa.Column("deleted", sa.Boolean, nullable=False, default=False),
    sa.Index("ix_images_visibility_deleted", "visibility", "deleted"),
    sa.Index("ix_images_created_at_id", "created_at", "id"),
)

# Custom properties, and the os_glance_* ones the service itself keeps.
image_properties = sa.Table(
    "image_properties", metadata,
    sa.Column("image_id", sa.String(36), sa.ForeignKey("images.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("name", sa.String(255), primary_key=True),
    sa.Column("value", sa.Text),
    sa.Index("ix_image_properties_name", "name"),
)

image_tags = sa.Table(
    "image_tags", metadata,
    sa.Column("image_id", sa.String(36), sa.ForeignKey("images.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("value", sa.String(255), primary_key=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Index("ix_image_tags_value", "value"),
)

image_members = sa.Table(
    "image_members", metadata,
    sa.Column("image_id", sa.String(36), sa.ForeignKey("images.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("member", sa.String(255), primary_key=True),
    sa.Column("status", sa.String(20), nullable=False),
    *_timestamps(),
    sa.Index("ix_image_members_member_status", "member", "status"),
)

# Where an image's data is: one row per store holding a copy.
image_locations = sa.Table(
    "image_locations", metadata,
    sa.Column("image_id", sa.String(36), sa.ForeignKey("images.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("store", sa.String(255), primary_key=True),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("status", sa.String(30), nullable=False, default="active"),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

# Staged data of glance-direct imports (one per image), counted by quotas.
image_staging = sa.Table(
    "image_staging", metadata,
    sa.Column("image_id", sa.String(36), sa.ForeignKey("images.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("owner", sa.String(255), index=True),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

tasks = sa.Table(
    "tasks", metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("type", sa.String(30), nullable=False),
    sa.Column("status", sa.String(30), nullable=False),
    sa.Column("owner", sa.String(255), index=True),
    sa.Column("input", sa.Text),
    sa.Column("result", sa.Text),
    sa.Column("message", sa.Text, nullable=False, default=""),
    sa.Column("image_id", sa.String(36), index=True),
    sa.Column("request_id", sa.String(64)),
    sa.Column("user_id", sa.String(64)),
    sa.Column("expires_at", UTCDateTime),
    *_timestamps(),
    sa.Column("deleted_at", UTCDateTime),
    sa.Column("deleted", sa.Boolean, nullable=False, default=False),
)

# --- metadata definitions (Glance's /v2/metadefs) ------------------------------
# A namespace groups property definitions, objects (named groups of
# properties) and tags, and says to which resource types (OS::Glance::Image,
# OS::Nova::Flavor ...) they apply. Its contents go with it.

metadef_namespaces = sa.Table(
    "metadef_namespaces", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("namespace", sa.String(80), nullable=False, unique=True),
    sa.Column("display_name", sa.String(80)),
    sa.Column("description", sa.Text),
    sa.Column("visibility", sa.String(32), nullable=False),
    sa.Column("protected", sa.Boolean, nullable=False, default=False),
    sa.Column("owner", sa.String(255), nullable=False, index=True),
    *_timestamps(),
)


def _in_namespace() -> sa.Column[int]:
    return sa.Column("namespace_id", sa.Integer,
                     sa.ForeignKey("metadef_namespaces.id", ondelete="CASCADE"),
                     nullable=False)


metadef_objects = sa.Table(
    "metadef_objects", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _in_namespace(),
    sa.Column("name", sa.String(80), nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("required", JSONText),     # [property name]
    sa.Column("properties", JSONText),   # {name: property definition}
    *_timestamps(),
    sa.UniqueConstraint("namespace_id", "name"),
)

metadef_properties = sa.Table(
    "metadef_properties", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _in_namespace(),
    sa.Column("name", sa.String(80), nullable=False),
    sa.Column("definition", JSONText, nullable=False),  # title, type, enum ...
    *_timestamps(),
    sa.UniqueConstraint("namespace_id", "name"),
)

metadef_tags = sa.Table(
    "metadef_tags", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _in_namespace(),
    sa.Column("name", sa.String(80), nullable=False),
    *_timestamps(),
    sa.UniqueConstraint("namespace_id", "name"),
)

# Seeded with the standard types; associating a namespace with an unknown
# name adds it (unprotected), as Glance does.
metadef_resource_types = sa.Table(
    "metadef_resource_types", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(80), nullable=False, unique=True),
    sa.Column("protected", sa.Boolean, nullable=False, default=False),
    *_timestamps(),
)

metadef_namespace_resource_types = sa.Table(
    "metadef_namespace_resource_types", metadata,
    # Named by hand: the conventional names pass MySQL's 64 characters.
    sa.Column("namespace_id", sa.Integer,
              sa.ForeignKey("metadef_namespaces.id", ondelete="CASCADE",
                            name="fk_metadef_ns_resource_types_namespace_id"),
              primary_key=True),
    sa.Column("resource_type_id", sa.Integer,
              sa.ForeignKey("metadef_resource_types.id", ondelete="CASCADE",
                            name="fk_metadef_ns_resource_types_resource_type_id"),
              primary_key=True),
    sa.Column("prefix", sa.String(80)),
    sa.Column("properties_target", sa.String(80)),
    *_timestamps(),
    sa.Index("ix_metadef_namespace_resource_types_resource_type_id", "resource_type_id"),
)
