"""hourly_stats: index the learner rows by hour (the dashboards' distinct active learners of a range)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The primary key leads with the key (learner), so a date range over every learner scanned the whole
    # history; this index reads only the range, index-only for the distinct count.
    op.execute(
        "CREATE INDEX ix_hourly_stats_learner_hours ON hourly_stats (tenant_id, hour) INCLUDE (key)"
        " WHERE dimension = 'learner' AND block_activities > 0"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_hourly_stats_learner_hours")
