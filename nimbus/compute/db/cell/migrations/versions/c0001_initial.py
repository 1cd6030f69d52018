"""Contract branch base: the first release removes nothing.

Revision ID: c0001
Revises:
Create Date: 2026-12-08
"""

revision = "c0001"
down_revision = None
branch_labels = ("contract",)
depends_on = "e0001"


def upgrade() -> None:
    pass
