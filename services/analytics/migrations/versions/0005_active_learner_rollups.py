"""Rollups of active learners kept at ingestion: per fixed UTC offset and local day, and per learner
(first and last active hour); an index of the program facts

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27

Existing tenants get their rows from `python -m aigym_analytics.backfill` (a migration cannot: the owner
role is subject to the tenant policy too, FORCE ROW LEVEL SECURITY).
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from aigym_platform.migration_ops import enable_tenant_rls, grant_app

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Distinct learners with block activity per local day of a fixed whole-hour UTC offset (-12..+14):
    # the overview's daily active learners read one row per day instead of every learner-hour.
    op.create_table(
        "active_learner_days",
        sa.Column("tenant_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("utc_offset", sa.SmallInteger(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("learners", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "utc_offset", "day", name="pk_active_learner_days"),
        sa.CheckConstraint("utc_offset BETWEEN -12 AND 14", name="ck_active_learner_days_offset"),
    )
    enable_tenant_rls("active_learner_days")
    grant_app("active_learner_days")
    # First and last hour with block activity of each learner: the distinct active learners of a range
    # that reaches past the latest activity (or starts before the earliest) are a count of an index range.
    op.create_table(
        "learner_activity",
        sa.Column("tenant_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("learner_id", sa.String(128), nullable=False),
        sa.Column("first_hour", TIME, nullable=False),
        sa.Column("last_hour", TIME, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "learner_id", name="pk_learner_activity"),
    )
    op.create_index("ix_learner_activity_last", "learner_activity", ["tenant_id", "last_hour"])
    op.create_index("ix_learner_activity_first", "learner_activity", ["tenant_id", "first_hour"])
    enable_tenant_rls("learner_activity")
    grant_app("learner_activity")
    # Program facts (enrolments, milestones, completions: ~1 % of the facts) by program and time: a
    # program's series read them through a sequential scan of every fact of the tenant.
    op.execute(
        "CREATE INDEX ix_facts_program ON facts (tenant_id, program_id, occur_time) WHERE program_id <> ''"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_facts_program")
    op.drop_table("learner_activity")
    op.drop_table("active_learner_days")
