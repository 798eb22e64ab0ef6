"""the manager of each learner in the directory copy (a manager reads only their team's agendas)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows replicated before this column existed get "" (no manager) until the learner's next upsert; the
    # programs service republishes a learner on every change, and an import republishes everyone it lists.
    op.add_column(
        "learner_profiles", sa.Column("manager_id", sa.String(128), nullable=False, server_default="")
    )


def downgrade() -> None:
    op.drop_column("learner_profiles", "manager_id")
