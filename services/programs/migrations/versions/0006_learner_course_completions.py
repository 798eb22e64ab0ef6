"""learners' completed courses (from the progress service's events): the source for recompute and migration

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from aigym_platform.migration_ops import enable_tenant_rls, grant_app

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "learner_course_completions",
        sa.Column("tenant_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("learner_id", sa.String(128), nullable=False),
        sa.Column("course_id", sa.String(128), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "learner_id", "course_id", name="pk_learner_course_completions"),
    )
    enable_tenant_rls("learner_course_completions")
    grant_app("learner_course_completions")
    # Paging a program's enrolments by id (migration, recompute).
    op.create_index(
        "ix_enrollments_program_id_order", "enrollments", ["tenant_id", "program_id", "enrollment_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_enrollments_program_id_order", table_name="enrollments")
    op.drop_table("learner_course_completions")
