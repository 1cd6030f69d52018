"""compute node statistics and supported instance types

Revision ID: e0002
Revises: e0001
Create Date: 2026-12-10 00:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = 'e0002'
down_revision = 'e0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('compute_nodes') as batch:
        batch.add_column(sa.Column('supported_instances', sa.Text(), nullable=True))
        batch.add_column(sa.Column('stats', sa.Text(), nullable=True))
