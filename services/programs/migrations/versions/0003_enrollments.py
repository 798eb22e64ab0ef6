"""enrolment settings and enrolments

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from aigym_platform.migration_ops import enable_tenant_rls, grant_app

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("programs", sa.Column("enrollment_open_time", sa.DateTime(timezone=True), nullable=True))
    op.add_column("programs", sa.Column("enrollment_close_time", sa.DateTime(timezone=True), nullable=True))
    op.add_column("programs", sa.Column("default_due_seconds", sa.BigInteger(), nullable=True))
    op.add_column("programs", sa.Column("default_access_seconds", sa.BigInteger(), nullable=True))
    op.create_table(
        "enrollments",
        sa.Column("tenant_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("enrollment_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("program_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("learner_id", sa.String(128), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("program_version", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("start_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("progress", sa.Float(), nullable=False, server_default="0"),
        sa.Column(
            "completed_course_ids", postgresql.ARRAY(sa.String(128)), nullable=False, server_default="{}"
        ),
        sa.Column("reached_milestones", postgresql.ARRAY(sa.String(63)), nullable=False, server_default="{}"),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("complete_time", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "enrollment_id", name="pk_enrollments"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "program_id"],
            ["programs.tenant_id", "programs.program_id"],
            name="fk_enrollments_program",
            ondelete="RESTRICT",
        ),
        sa.CheckConstraint(
            "state IN ('pending_approval', 'active', 'completed', 'withdrawn')", name="ck_enrollments_state"
        ),
        sa.CheckConstraint("progress >= 0 AND progress <= 1", name="ck_enrollments_progress"),
    )
    # At most one open (pending or active) enrolment per learner and program: retried uploads dedupe here.
    op.create_index(
        "uq_enrollments_open_per_learner",
        "enrollments",
        ["tenant_id", "program_id", "learner_id"],
        unique=True,
        postgresql_where=sa.text("state IN ('pending_approval', 'active')"),
    )
    op.create_index(
        "ix_enrollments_program_listing",
        "enrollments",
        ["tenant_id", "program_id", sa.text("create_time DESC")],
    )
    op.create_index(
        "ix_enrollments_learner_listing",
        "enrollments",
        ["tenant_id", "learner_id", sa.text("create_time DESC")],
    )
    enable_tenant_rls("enrollments")
    grant_app("enrollments")


def downgrade() -> None:
    op.drop_table("enrollments")
    for column in (
        "default_access_seconds",
        "default_due_seconds",
        "enrollment_close_time",
        "enrollment_open_time",
    ):
        op.drop_column("programs", column)
