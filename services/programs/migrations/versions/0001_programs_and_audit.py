"""programs table and the audit log

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from aigym_platform.migration_ops import create_audit_log, drop_audit_log, enable_tenant_rls, grant_app

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "programs",
        sa.Column("tenant_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("program_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False, server_default=""),
        sa.Column("tags", postgresql.ARRAY(sa.String(40)), nullable=False, server_default="{}"),
        sa.Column("visibility", sa.String(16), nullable=False),
        sa.Column("self_enrollment_allowed", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("create_request_id", sa.String(64), nullable=True),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("update_time", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("tenant_id", "program_id", name="pk_programs"),
        sa.UniqueConstraint("tenant_id", "create_request_id", name="uq_programs_tenant_id_create_request_id"),
        sa.CheckConstraint("state IN ('draft', 'published', 'archived')", name="ck_programs_state"),
        sa.CheckConstraint("visibility IN ('public', 'restricted')", name="ck_programs_visibility"),
    )
    op.create_index(
        "ix_programs_listing",
        "programs",
        ["tenant_id", sa.text("create_time DESC"), sa.text("program_id DESC")],
    )
    op.create_index("ix_programs_tags", "programs", ["tags"], postgresql_using="gin")
    enable_tenant_rls("programs")
    grant_app("programs")
    create_audit_log()


def downgrade() -> None:
    drop_audit_log()
    op.drop_table("programs")
