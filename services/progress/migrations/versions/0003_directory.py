"""the learner directory copy (manager of each learner) that scopes a manager's reads to their team

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from aigym_platform.migration_ops import app_role, enable_tenant_rls, grant_app

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UUID = postgresql.UUID(as_uuid=True)
TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "directory_learners",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("learner_id", sa.String(128), nullable=False),
        sa.Column("manager_id", sa.String(128), nullable=False, server_default=""),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("update_time", TIME, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "learner_id", name="pk_directory_learners"),
    )
    # A manager's team is walked down from the manager: one index step per level.
    op.create_index(
        "ix_directory_learners_manager", "directory_learners", ["tenant_id", "manager_id", "learner_id"]
    )
    enable_tenant_rls("directory_learners")
    op.execute(f'REVOKE ALL ON directory_learners FROM PUBLIC, "{app_role()}"')
    grant_app("directory_learners", "SELECT, INSERT, UPDATE")


def downgrade() -> None:
    op.drop_table("directory_learners")
