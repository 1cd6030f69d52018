"""OS-EP-FILTER, OS-OAUTH1 consumers and domain-specific configuration

Revision ID: e0002
Revises: e0001
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

import nimbus.common.db.types

revision = 'e0002'
down_revision = 'e0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('endpoint_groups',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('filters', nimbus.common.db.types.JSONText(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_endpoint_groups'))
    )
    op.create_table('project_endpoints',
    sa.Column('endpoint_id', sa.String(length=64), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['endpoint_id'], ['endpoints.id'], name=op.f('fk_project_endpoints_endpoint_id_endpoints'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_project_endpoints_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('endpoint_id', 'project_id', name=op.f('pk_project_endpoints'))
    )
    with op.batch_alter_table('project_endpoints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_endpoints_project_id'), ['project_id'], unique=False)

    op.create_table('project_endpoint_groups',
    sa.Column('endpoint_group_id', sa.String(length=64), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['endpoint_group_id'], ['endpoint_groups.id'], name=op.f('fk_project_endpoint_groups_endpoint_group_id_endpoint_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_project_endpoint_groups_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('endpoint_group_id', 'project_id', name=op.f('pk_project_endpoint_groups'))
    )
    with op.batch_alter_table('project_endpoint_groups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_endpoint_groups_project_id'), ['project_id'], unique=False)

    op.create_table('oauth_consumers',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('secret_hash', sa.String(length=255), nullable=False),
    sa.Column('extra', nimbus.common.db.types.JSONText(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oauth_consumers'))
    )
    op.create_table('domain_config_options',
    sa.Column('domain_id', sa.String(length=64), nullable=False),
    sa.Column('group_name', sa.String(length=64), nullable=False),
    sa.Column('option_name', sa.String(length=64), nullable=False),
    sa.Column('value', nimbus.common.db.types.JSONText(), nullable=True),
    sa.Column('encrypted_value', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['domain_id'], ['domains.id'], name=op.f('fk_domain_config_options_domain_id_domains'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('domain_id', 'group_name', 'option_name', name=op.f('pk_domain_config_options'))
    )
