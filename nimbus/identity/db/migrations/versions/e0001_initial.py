"""initial schema

Revision ID: e0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

import nimbus.common.db.types

revision = 'e0001'
down_revision = None
branch_labels = ('expand',)
depends_on = None


def upgrade() -> None:
    op.create_table('access_rules',
    sa.Column('internal_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('service', sa.String(length=64), nullable=False),
    sa.Column('path', sa.String(length=128), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint('internal_id', name=op.f('pk_access_rules')),
    sa.UniqueConstraint('id', name=op.f('uq_access_rules_id')),
    sa.UniqueConstraint('user_id', 'service', 'path', 'method', name=op.f('uq_access_rules_user_id_service_path_method'))
    )
    with op.batch_alter_table('access_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_access_rules_user_id'), ['user_id'], unique=False)

    op.create_table('application_credentials',
    sa.Column('internal_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('secret_hash', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=True),
    sa.Column('system', sa.String(length=64), nullable=True),
    sa.Column('expires_at', nimbus.common.db.types.UTCDateTime(), nullable=True),
    sa.Column('unrestricted', sa.Boolean(), nullable=False),
    sa.Column('created_at', nimbus.common.db.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('internal_id', name=op.f('pk_application_credentials')),
    sa.UniqueConstraint('id', name=op.f('uq_application_credentials_id')),
    sa.UniqueConstraint('user_id', 'name', name=op.f('uq_application_credentials_user_id_name'))
    )
    op.create_table('credentials',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=True),
    sa.Column('type', sa.String(length=255), nullable=False),
    sa.Column('encrypted_blob', sa.Text(), nullable=False),
    sa.Column('extra', nimbus.common.db.types.JSONText(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credentials'))
    )
    with op.batch_alter_table('credentials', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credentials_user_id'), ['user_id'], unique=False)

    op.create_table('domains',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('options', nimbus.common.db.types.JSONText(), nullable=False),
    sa.Column('extra', nimbus.common.db.types.JSONText(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_domains')),
    sa.UniqueConstraint('name', name=op.f('uq_domains_name'))
    )
    op.create_table('policies',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('type', sa.String(length=255), nullable=False),
    sa.Column('blob', sa.Text(), nullable=False),
    sa.Column('extra', nimbus.common.db.types.JSONText(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policies'))
    )
    op.create_table('regions',
    sa.Column('id', sa.String(length=255), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('parent_region_id', sa.String(length=255), nullable=True),
    sa.Column('extra', nimbus.common.db.types.JSONText(), nullable=False),
    sa.ForeignKeyConstraint(['parent_region_id'], ['regions.id'], name=op.f('fk_regions_parent_region_id_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_regions'))
    )
    op.create_table('revocation_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('audit_id', sa.String(length=32), nullable=True),
    sa.Column('user_id', sa.String(length=64), nullable=True),
    sa.Column('project_id', sa.String(length=64), nullable=True),
    sa.Column('domain_id', sa.String(length=64), nullable=True),
    sa.Column('application_credential_id', sa.String(length=64), nullable=True),
    sa.Column('issued_before', nimbus.common.db.types.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', nimbus.common.db.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_revocation_events'))
    )
    with op.batch_alter_table('revocation_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_revocation_events_audit_id'), ['audit_id'], unique=False)
        batch_op.create_index('ix_revocation_events_issued_before', ['issued_before'], unique=False)
        batch_op.create_index(batch_op.f('ix_revocation_events_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_revocation_events_user_id'), ['user_id'], unique=False)

    op.create_table('roles',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('domain_id', sa.String(length=64), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=True),
    sa.Column('options', nimbus.common.db.types.JSONText(), nullable=False),
    sa.Column('extra', nimbus.common.db.types.JSONText(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_roles')),
    sa.UniqueConstraint('name', 'domain_id', name=op.f('uq_roles_name_domain_id'))
    )
    op.create_table('services',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('type', sa.String(length=255), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('extra', nimbus.common.db.types.JSONText(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_services'))
    )
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_services_type'), ['type'], unique=False)

    op.create_table('application_credential_access_rules',
    sa.Column('application_credential_id', sa.Integer(), nullable=False),
    sa.Column('access_rule_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['access_rule_id'], ['access_rules.internal_id'], name=op.f('fk_application_credential_access_rules_access_rule_id_access_rules'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['application_credential_id'], ['application_credentials.internal_id'], name=op.f('fk_application_credential_access_rules_application_credential_id_application_credentials'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('application_credential_id', 'access_rule_id', name=op.f('pk_application_credential_access_rules'))
    )
    op.create_table('application_credential_roles',
    sa.Column('application_credential_id', sa.Integer(), nullable=False),
    sa.Column('role_id', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['application_credential_id'], ['application_credentials.internal_id'], name=op.f('fk_application_credential_roles_application_credential_id_application_credentials'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('application_credential_id', 'role_id', name=op.f('pk_application_credential_roles'))
    )
    op.create_table('assignments',
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('actor_id', sa.String(length=64), nullable=False),
    sa.Column('target_id', sa.String(length=64), nullable=False),
    sa.Column('role_id', sa.String(length=64), nullable=False),
    sa.Column('inherited', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['role_id'], ['roles.id'], name=op.f('fk_assignments_role_id_roles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('type', 'actor_id', 'target_id', 'role_id', 'inherited', name=op.f('pk_assignments'))
    )
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_index('ix_assignments_actor_id', ['actor_id'], unique=False)
        batch_op.create_index('ix_assignments_role_id', ['role_id'], unique=False)
        batch_op.create_index('ix_assignments_target_id', ['target_id'], unique=False)

    op.create_table('endpoints',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('interface', sa.String(length=8), nullable=False),
    sa.Column('service_id', sa.String(length=64), nullable=False),
    sa.Column('region_id', sa.String(length=255), nullable=True),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('extra', nimbus.common.db.types.JSONText(), nullable=False),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_endpoints_region_id_regions')),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_endpoints_service_id_services')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_endpoints'))
    )
    with op.batch_alter_table('endpoints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_endpoints_service_id'), ['service_id'], unique=False)

    op.create_table('groups',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('domain_id', sa.String(length=64), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('extra', nimbus.common.db.types.JSONText(), nullable=False),
    sa.ForeignKeyConstraint(['domain_id'], ['domains.id'], name=op.f('fk_groups_domain_id_domains')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_groups')),
    sa.UniqueConstraint('domain_id', 'name', name=op.f('uq_groups_domain_id_name'))
    )
    op.create_table('implied_roles',
    sa.Column('prior_role_id', sa.String(length=64), nullable=False),
    sa.Column('implied_role_id', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['implied_role_id'], ['roles.id'], name=op.f('fk_implied_roles_implied_role_id_roles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['prior_role_id'], ['roles.id'], name=op.f('fk_implied_roles_prior_role_id_roles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('prior_role_id', 'implied_role_id', name=op.f('pk_implied_roles'))
    )
    op.create_table('projects',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('domain_id', sa.String(length=64), nullable=False),
    sa.Column('parent_id', sa.String(length=64), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('options', nimbus.common.db.types.JSONText(), nullable=False),
    sa.Column('extra', nimbus.common.db.types.JSONText(), nullable=False),
    sa.ForeignKeyConstraint(['domain_id'], ['domains.id'], name=op.f('fk_projects_domain_id_domains')),
    sa.ForeignKeyConstraint(['parent_id'], ['projects.id'], name=op.f('fk_projects_parent_id_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_projects')),
    sa.UniqueConstraint('domain_id', 'name', name=op.f('uq_projects_domain_id_name'))
    )
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_projects_parent_id'), ['parent_id'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('domain_id', sa.String(length=64), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('default_project_id', sa.String(length=64), nullable=True),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('password_created_at', nimbus.common.db.types.UTCDateTime(), nullable=True),
    sa.Column('password_expires_at', nimbus.common.db.types.UTCDateTime(), nullable=True),
    sa.Column('extra', nimbus.common.db.types.JSONText(), nullable=False),
    sa.Column('options', nimbus.common.db.types.JSONText(), nullable=False),
    sa.Column('created_at', nimbus.common.db.types.UTCDateTime(), nullable=False),
    sa.Column('last_active_at', nimbus.common.db.types.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['domain_id'], ['domains.id'], name=op.f('fk_users_domain_id_domains')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('domain_id', 'name', name=op.f('uq_users_domain_id_name'))
    )
    op.create_table('group_members',
    sa.Column('group_id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_group_members_group_id_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_group_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_id', 'user_id', name=op.f('pk_group_members'))
    )
    with op.batch_alter_table('group_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_members_user_id'), ['user_id'], unique=False)

    op.create_table('project_tags',
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_project_tags_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project_id', 'name', name=op.f('pk_project_tags'))
    )
