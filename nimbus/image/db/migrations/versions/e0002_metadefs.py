"""metadata definitions: namespaces, objects, properties, tags, resource types

Seeds the standard resource types, the ones Glance's shipped definitions
apply to.

Revision ID: e0002
Revises: e0001
Create Date: 2026-11-23
"""

import datetime

import sqlalchemy as sa
from alembic import op

import nimbus.common.db.types

revision = 'e0002'
down_revision = 'e0001'
branch_labels = None
depends_on = None

STANDARD_RESOURCE_TYPES = ("OS::Glance::Image", "OS::Cinder::Volume", "OS::Nova::Flavor",
                           "OS::Nova::Aggregate", "OS::Nova::Server")


def _timestamps() -> list[sa.Column[object]]:
    return [sa.Column('created_at', nimbus.common.db.types.UTCDateTime(), nullable=False),
            sa.Column('updated_at', nimbus.common.db.types.UTCDateTime(), nullable=True)]


def _namespace_fk(name: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(['namespace_id'], ['metadef_namespaces.id'], name=name,
                                   ondelete='CASCADE')


def upgrade() -> None:
    op.create_table('metadef_namespaces',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('namespace', sa.String(length=80), nullable=False),
    sa.Column('display_name', sa.String(length=80), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('visibility', sa.String(length=32), nullable=False),
    sa.Column('protected', sa.Boolean(), nullable=False),
    sa.Column('owner', sa.String(length=255), nullable=False),
    *_timestamps(),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_metadef_namespaces')),
    sa.UniqueConstraint('namespace', name=op.f('uq_metadef_namespaces_namespace'))
    )
    with op.batch_alter_table('metadef_namespaces', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_metadef_namespaces_owner'), ['owner'], unique=False)

    resource_types = op.create_table('metadef_resource_types',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('protected', sa.Boolean(), nullable=False),
    *_timestamps(),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_metadef_resource_types')),
    sa.UniqueConstraint('name', name=op.f('uq_metadef_resource_types_name'))
    )
    op.create_table('metadef_namespace_resource_types',
    sa.Column('namespace_id', sa.Integer(), nullable=False),
    sa.Column('resource_type_id', sa.Integer(), nullable=False),
    sa.Column('prefix', sa.String(length=80), nullable=True),
    sa.Column('properties_target', sa.String(length=80), nullable=True),
    *_timestamps(),
    _namespace_fk('fk_metadef_ns_resource_types_namespace_id'),
    sa.ForeignKeyConstraint(['resource_type_id'], ['metadef_resource_types.id'],
                            name='fk_metadef_ns_resource_types_resource_type_id',
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('namespace_id', 'resource_type_id',
                            name=op.f('pk_metadef_namespace_resource_types'))
    )
    with op.batch_alter_table('metadef_namespace_resource_types', schema=None) as batch_op:
        batch_op.create_index('ix_metadef_namespace_resource_types_resource_type_id',
                              ['resource_type_id'], unique=False)

    op.create_table('metadef_objects',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('namespace_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('required', nimbus.common.db.types.JSONText(), nullable=True),
    sa.Column('properties', nimbus.common.db.types.JSONText(), nullable=True),
    *_timestamps(),
    _namespace_fk(op.f('fk_metadef_objects_namespace_id_metadef_namespaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_metadef_objects')),
    sa.UniqueConstraint('namespace_id', 'name', name=op.f('uq_metadef_objects_namespace_id_name'))
    )
    op.create_table('metadef_properties',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('namespace_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('definition', nimbus.common.db.types.JSONText(), nullable=False),
    *_timestamps(),
    _namespace_fk(op.f('fk_metadef_properties_namespace_id_metadef_namespaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_metadef_properties')),
    sa.UniqueConstraint('namespace_id', 'name',
                        name=op.f('uq_metadef_properties_namespace_id_name'))
    )
    op.create_table('metadef_tags',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('namespace_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    *_timestamps(),
    _namespace_fk(op.f('fk_metadef_tags_namespace_id_metadef_namespaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_metadef_tags')),
    sa.UniqueConstraint('namespace_id', 'name', name=op.f('uq_metadef_tags_namespace_id_name'))
    )

    now = datetime.datetime.now(datetime.UTC)
    op.bulk_insert(resource_types, [
        {'name': name, 'protected': True, 'created_at': now, 'updated_at': now}
        for name in STANDARD_RESOURCE_TYPES])
