"""programs.draft_digest: the stored content's digest, for BASIC reads without the structure

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows written before this migration keep NULL: a BASIC read loads their structure instead, and the
    # next write of the program fills the column.
    op.add_column("programs", sa.Column("draft_digest", sa.String(64), nullable=True))


def downgrade() -> None:
    op.drop_column("programs", "draft_digest")
