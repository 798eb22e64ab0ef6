"""enrollments.create_request_id: the idempotency key of the batch upload that created the enrolment

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("enrollments", sa.Column("create_request_id", sa.String(64), nullable=True))
    # A retried upload looks up what its first attempt created.
    op.create_index(
        "ix_enrollments_create_request",
        "enrollments",
        ["tenant_id", "program_id", "create_request_id"],
        postgresql_where=sa.text("create_request_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_enrollments_create_request", table_name="enrollments")
    op.drop_column("enrollments", "create_request_id")
