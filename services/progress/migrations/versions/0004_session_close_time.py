"""learning_sessions.close_time: when a session became closed (exportable), for the xAPI export's paging

A session closes when it ends, when the idle job closes it (its end is its last signal, minutes earlier) or
when an offline declaration is approved (its end is the declared one, hours or days earlier). The export
pages sessions by this time, so a client syncing with `since` meets every session once it is closed.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

from aigym_platform.migration_ops import fill_across_tenants

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("learning_sessions", sa.Column("close_time", sa.DateTime(timezone=True), nullable=True))
    # Closed before this migration: the best known time is the approval's, else the end.
    fill_across_tenants(
        "UPDATE learning_sessions SET close_time = coalesce(decide_time, end_time) WHERE state = 'closed'",
        "learning_sessions",
    )
    op.create_index(
        "ix_learning_sessions_learner_close",
        "learning_sessions",
        ["tenant_id", "learner_id", "close_time"],
        postgresql_where=sa.text("close_time IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_learning_sessions_learner_close", table_name="learning_sessions")
    op.drop_column("learning_sessions", "close_time")
