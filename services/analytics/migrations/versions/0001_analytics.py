"""learner directory copy, programs, enrolments, learner courses, raw facts, activity slots, hourly stats;
inbox and dead letters

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from aigym_platform.events.migration_ops import (
    create_dead_letters,
    create_inbox,
    drop_dead_letters,
    drop_inbox,
)
from aigym_platform.migration_ops import (
    app_role,
    enable_tenant_rls,
    grant_app,
)

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

UUID = postgresql.UUID(as_uuid=True)
TIME = sa.DateTime(timezone=True)
ID = sa.String(128)
APP_PRIVILEGES = {
    "learners": "SELECT, INSERT, UPDATE",
    "programs": "SELECT, INSERT, UPDATE",
    "enrollments": "SELECT, INSERT, UPDATE",
    "learner_courses": "SELECT, INSERT, UPDATE",
    "facts": "SELECT, INSERT, DELETE",
    "activity_slots": "SELECT, INSERT, DELETE",
    "hourly_stats": "SELECT, INSERT, UPDATE, DELETE",
}
METRICS = (
    "block_activities",
    "block_completions",
    "course_completions",
    "resets",
    "enrollments",
    "program_completions",
    "milestones",
    "withdrawals",
    "time_on_task_seconds",
    "scored",
)


def upgrade() -> None:
    op.create_table(
        "learners",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("learner_id", ID, nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False, server_default=""),
        sa.Column("email", sa.String(320), nullable=False, server_default=""),
        sa.Column("time_zone", sa.String(64), nullable=False, server_default=""),
        sa.Column("manager_id", ID, nullable=False, server_default=""),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("source_time", TIME, nullable=False),
        sa.Column("active_time", TIME, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "learner_id", name="pk_learners"),
    )
    op.create_index("ix_learners_manager", "learners", ["tenant_id", "manager_id"])
    op.create_table(
        "programs",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("program_id", ID, nullable=False),
        sa.Column("title", sa.String(200), nullable=False, server_default=""),
        sa.Column("version", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("course_ids", postgresql.ARRAY(sa.String(128)), nullable=False, server_default="{}"),
        sa.Column("archived", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.PrimaryKeyConstraint("tenant_id", "program_id", name="pk_programs"),
    )
    op.create_table(
        "enrollments",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("enrollment_id", ID, nullable=False),
        sa.Column("program_id", ID, nullable=False),
        sa.Column("learner_id", ID, nullable=False),
        sa.Column("program_version", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("enroll_time", TIME, nullable=True),
        sa.Column("start_time", TIME, nullable=True),
        sa.Column("due_time", TIME, nullable=True),
        sa.Column("end_time", TIME, nullable=True),
        sa.Column("dates_time", TIME, nullable=True),
        sa.Column("complete_time", TIME, nullable=True),
        sa.Column("withdraw_time", TIME, nullable=True),
        sa.Column("milestones", postgresql.ARRAY(sa.String(63)), nullable=False, server_default="{}"),
        sa.PrimaryKeyConstraint("tenant_id", "enrollment_id", name="pk_enrollments"),
        sa.CheckConstraint(
            "state IN ('pending_approval', 'active', 'completed', 'withdrawn')", name="ck_enrollments_state"
        ),
    )
    op.create_index("ix_enrollments_program", "enrollments", ["tenant_id", "program_id", "state"])
    op.create_index("ix_enrollments_learner", "enrollments", ["tenant_id", "learner_id"])
    op.create_table(
        "learner_courses",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("learner_id", ID, nullable=False),
        sa.Column("course_id", ID, nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("completed", sa.Boolean(), nullable=False),
        sa.Column("complete_time", TIME, nullable=True),
        sa.Column("last_activity_time", TIME, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "learner_id", "course_id", name="pk_learner_courses"),
    )
    op.create_index("ix_learner_courses_course", "learner_courses", ["tenant_id", "course_id"])
    op.create_table(
        "facts",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("event_id", UUID, nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("occur_time", TIME, nullable=False),
        sa.Column("learner_id", ID, nullable=False),
        sa.Column("course_id", ID, nullable=False, server_default=""),
        sa.Column("program_id", ID, nullable=False, server_default=""),
        sa.Column("block_id", ID, nullable=False, server_default=""),
        sa.Column("completed", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("score", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "event_id", name="pk_facts"),
        sa.CheckConstraint(
            "kind IN ('block', 'course_completed', 'reset', 'enrolled', 'program_completed', 'milestone', "
            "'withdrawn')",
            name="ck_facts_kind",
        ),
    )
    op.create_index("ix_facts_time", "facts", ["tenant_id", "occur_time"])
    op.create_index("ix_facts_learner", "facts", ["tenant_id", "learner_id", "occur_time"])
    op.create_index("ix_facts_course", "facts", ["tenant_id", "course_id", "occur_time"])
    op.create_table(
        "activity_slots",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("learner_id", ID, nullable=False),
        sa.Column("course_id", ID, nullable=False),  # '' = the learner's slot across all courses
        sa.Column("slot", TIME, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "learner_id", "course_id", "slot", name="pk_activity_slots"),
    )
    op.create_index("ix_activity_slots_course", "activity_slots", ["tenant_id", "course_id", "slot"])
    op.create_table(
        "hourly_stats",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("dimension", sa.String(8), nullable=False),
        sa.Column("key", ID, nullable=False),
        sa.Column("hour", TIME, nullable=False),
        *[sa.Column(name, sa.BigInteger(), nullable=False, server_default="0") for name in METRICS],
        sa.Column("score_sum", sa.Float(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("tenant_id", "dimension", "key", "hour", name="pk_hourly_stats"),
        sa.CheckConstraint(
            "dimension IN ('tenant', 'program', 'course', 'learner')", name="ck_hourly_stats_dimension"
        ),
    )
    for table in APP_PRIVILEGES:
        enable_tenant_rls(table)
    for table, privileges in APP_PRIVILEGES.items():
        op.execute(f'REVOKE ALL ON {table} FROM PUBLIC, "{app_role()}"')
        grant_app(table, privileges)
    create_inbox()
    create_dead_letters()


def downgrade() -> None:
    drop_dead_letters()
    drop_inbox()
    for table in reversed(APP_PRIVILEGES):
        op.drop_table(table)
