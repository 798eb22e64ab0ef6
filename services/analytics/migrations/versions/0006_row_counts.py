"""Counts kept by triggers: enrolments per program and state, directory learners per active flag (the
tenant overview and program performance read a few counter rows instead of counting every enrolment)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27

Existing rows are counted in this migration (one aggregate per table, with the tables' forced row-level
security lifted for the owner inside the migration's transaction).
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from aigym_platform.migration_ops import (
    drop_row_counts,
    enable_tenant_rls,
    fill_across_tenants,
    grant_app,
    maintain_row_counts,
)

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

UUID = postgresql.UUID(as_uuid=True)
ID = sa.String(128)


def upgrade() -> None:
    op.create_table(
        "enrollment_counts",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("program_id", ID, nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("enrollments", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "program_id", "state", name="pk_enrollment_counts"),
    )
    op.create_table(
        "learner_counts",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("learners", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "active", name="pk_learner_counts"),
    )
    for table in ("enrollment_counts", "learner_counts"):
        enable_tenant_rls(table)
        grant_app(table)
    maintain_row_counts(
        "enrollments", "enrollment_counts", ("tenant_id", "program_id", "state"), "enrollments"
    )
    maintain_row_counts("learners", "learner_counts", ("tenant_id", "active"), "learners")
    fill_across_tenants(
        """INSERT INTO enrollment_counts (tenant_id, program_id, state, enrollments)
           SELECT tenant_id, program_id, state, count(*) FROM enrollments GROUP BY 1, 2, 3""",
        "enrollments",
        "enrollment_counts",
    )
    fill_across_tenants(
        """INSERT INTO learner_counts (tenant_id, active, learners)
           SELECT tenant_id, active, count(*) FROM learners GROUP BY 1, 2""",
        "learners",
        "learner_counts",
    )


def downgrade() -> None:
    drop_row_counts("learner_counts", "learners")
    drop_row_counts("enrollment_counts", "enrollments")
    op.drop_table("learner_counts")
    op.drop_table("enrollment_counts")
