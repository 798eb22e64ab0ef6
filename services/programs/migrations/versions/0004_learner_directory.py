"""learner directory

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from aigym_platform.migration_ops import enable_tenant_rls, grant_app

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "learners",
        sa.Column("tenant_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("learner_id", sa.String(128), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(254), nullable=False, server_default=""),
        sa.Column("time_zone", sa.String(64), nullable=False, server_default="UTC"),
        sa.Column("locale", sa.String(35), nullable=False, server_default=""),
        sa.Column("manager_id", sa.String(128), nullable=False, server_default=""),
        sa.Column("teams", postgresql.ARRAY(sa.String(100)), nullable=False, server_default="{}"),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("update_time", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "learner_id", name="pk_learners"),
    )
    op.create_index("ix_learners_manager", "learners", ["tenant_id", "manager_id"])
    op.create_index("ix_learners_teams", "learners", ["teams"], postgresql_using="gin")
    enable_tenant_rls("learners")
    grant_app("learners")


def downgrade() -> None:
    op.drop_table("learners")
