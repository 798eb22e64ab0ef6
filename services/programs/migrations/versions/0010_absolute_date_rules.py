"""programs.default_due_time / default_end_time: absolute due and end rules beside the relative ones

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("programs", sa.Column("default_due_time", sa.DateTime(timezone=True), nullable=True))
    op.add_column("programs", sa.Column("default_end_time", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("programs", "default_end_time")
    op.drop_column("programs", "default_due_time")
