"""courses and revisions, course and block progress, completions, resets; audit log and event tables

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
    create_outbox,
    drop_dead_letters,
    drop_inbox,
    drop_outbox,
)
from aigym_platform.migration_ops import (
    app_role,
    create_audit_log,
    drop_audit_log,
    enable_tenant_rls,
    grant_app,
)

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

UUID = postgresql.UUID(as_uuid=True)
TIME = sa.DateTime(timezone=True)
STATES = "state IN ('not_started', 'in_progress', 'completed')"
APP_PRIVILEGES = {
    "courses": "SELECT, INSERT, UPDATE",
    "course_revisions": "SELECT, INSERT",
    "course_progress": "SELECT, INSERT, UPDATE",
    "block_progress": "SELECT, INSERT, UPDATE",
    "completions": "SELECT, INSERT",
    "progress_resets": "SELECT, INSERT",
}


def _progress_columns() -> list[sa.Column]:
    """The computed progress columns course_progress and its archive (progress_resets) share."""
    return [
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("course_revision", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("percent", sa.Float(), nullable=False),
        sa.Column("completed_blocks", sa.Integer(), nullable=False),
        sa.Column("total_blocks", sa.Integer(), nullable=False),
        sa.Column("completed_required_blocks", sa.Integer(), nullable=False),
        sa.Column("required_blocks", sa.Integer(), nullable=False),
        sa.Column("start_time", TIME, nullable=True),
        sa.Column("last_activity_time", TIME, nullable=True),
        sa.Column("complete_time", TIME, nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "courses",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("course_id", sa.String(128), nullable=False),
        sa.Column("current_revision", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("create_time", TIME, nullable=False, server_default=sa.func.now()),
        sa.Column("update_time", TIME, nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("tenant_id", "course_id", name="pk_courses"),
    )
    op.create_table(
        "course_revisions",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("course_id", sa.String(128), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("blocks", postgresql.JSONB(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("create_time", TIME, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "course_id", "revision", name="pk_course_revisions"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "course_id"],
            ["courses.tenant_id", "courses.course_id"],
            name="fk_course_revisions_course",
            ondelete="RESTRICT",
        ),
        sa.CheckConstraint("revision >= 1", name="ck_course_revisions_revision"),
    )
    op.create_table(
        "course_progress",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("learner_id", sa.String(128), nullable=False),
        sa.Column("course_id", sa.String(128), nullable=False),
        *_progress_columns(),
        sa.Column("update_time", TIME, nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("tenant_id", "learner_id", "course_id", name="pk_course_progress"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "course_id"],
            ["courses.tenant_id", "courses.course_id"],
            name="fk_course_progress_course",
            ondelete="RESTRICT",
        ),
        sa.CheckConstraint(STATES, name="ck_course_progress_state"),
        sa.CheckConstraint("percent BETWEEN 0 AND 100", name="ck_course_progress_percent"),
        sa.CheckConstraint("attempt >= 1", name="ck_course_progress_attempt"),
    )
    # Rosters (per course, by learner / percent / last activity) and a learner's course list.
    op.create_index("ix_course_progress_roster", "course_progress", ["tenant_id", "course_id", "learner_id"])
    op.create_index(
        "ix_course_progress_roster_percent",
        "course_progress",
        ["tenant_id", "course_id", "percent", "learner_id"],
    )
    op.create_index(
        "ix_course_progress_learner",
        "course_progress",
        ["tenant_id", "learner_id", sa.text("last_activity_time DESC NULLS LAST"), "course_id"],
    )
    op.create_table(
        "block_progress",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("learner_id", sa.String(128), nullable=False),
        sa.Column("course_id", sa.String(128), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("block_id", sa.String(128), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("update_time", TIME, nullable=False),
        sa.Column("archive_time", TIME, nullable=True),
        sa.Column("reset_id", UUID, nullable=True),
        sa.PrimaryKeyConstraint(
            "tenant_id", "learner_id", "course_id", "attempt", "block_id", name="pk_block_progress"
        ),
        sa.CheckConstraint("value BETWEEN 0 AND 1", name="ck_block_progress_value"),
        sa.CheckConstraint("score IS NULL OR score BETWEEN 0 AND 1", name="ck_block_progress_score"),
    )
    op.create_index("ix_block_progress_course", "block_progress", ["tenant_id", "course_id"])
    op.create_table(
        "completions",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("completion_id", UUID, nullable=False),
        sa.Column("request_id", sa.String(64), nullable=True),
        sa.Column("learner_id", sa.String(128), nullable=False),
        sa.Column("course_id", sa.String(128), nullable=False),
        sa.Column("block_id", sa.String(128), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("course_revision", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("applied", sa.Boolean(), nullable=False),
        sa.Column("block_completed", sa.Boolean(), nullable=False),
        sa.Column("course_completed", sa.Boolean(), nullable=False),
        sa.Column("create_time", TIME, nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "completion_id", name="pk_completions"),
        sa.UniqueConstraint("tenant_id", "request_id", name="uq_completions_tenant_id_request_id"),
        sa.CheckConstraint("value BETWEEN 0 AND 1", name="ck_completions_value"),
        sa.CheckConstraint("score IS NULL OR score BETWEEN 0 AND 1", name="ck_completions_score"),
    )
    op.create_index(
        "ix_completions_learner_course",
        "completions",
        ["tenant_id", "learner_id", "course_id", "create_time"],
    )
    op.create_table(
        "progress_resets",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("reset_id", UUID, nullable=False),
        sa.Column("learner_id", sa.String(128), nullable=False),
        sa.Column("course_id", sa.String(128), nullable=False),
        *_progress_columns(),
        sa.Column("reason", sa.Text(), nullable=False, server_default=""),
        sa.Column("reset_by", sa.String(200), nullable=False),
        sa.Column("reset_time", TIME, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "reset_id", name="pk_progress_resets"),
        sa.UniqueConstraint(
            "tenant_id", "learner_id", "course_id", "attempt", name="uq_progress_resets_tenant_id_attempt"
        ),
        sa.CheckConstraint(STATES, name="ck_progress_resets_state"),
    )
    for table in APP_PRIVILEGES:
        enable_tenant_rls(table)
    # Revisions, completions and archived attempts are immutable and nothing is ever deleted (a reset
    # archives). The provisioning's default privileges grant full DML, so revoke before granting less.
    for table, privileges in APP_PRIVILEGES.items():
        op.execute(f'REVOKE ALL ON {table} FROM PUBLIC, "{app_role()}"')
        grant_app(table, privileges)
    create_audit_log()
    create_outbox()
    create_inbox()
    create_dead_letters()


def downgrade() -> None:
    drop_dead_letters()
    drop_inbox()
    drop_outbox()
    drop_audit_log()
    for table in reversed(APP_PRIVILEGES):
        op.drop_table(table)
