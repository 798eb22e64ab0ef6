"""program structure, published versions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from aigym_platform.migration_ops import enable_tenant_rls, grant_app

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("programs", sa.Column("structure", postgresql.JSONB(), nullable=False, server_default="[]"))
    op.add_column("programs", sa.Column("current_version", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("programs", sa.Column("published_digest", sa.String(64), nullable=True))
    op.create_table(
        "program_versions",
        sa.Column("tenant_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("program_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("structure", postgresql.JSONB(), nullable=False),
        sa.Column("publish_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "program_id", "version", name="pk_program_versions"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "program_id"],
            ["programs.tenant_id", "programs.program_id"],
            name="fk_program_versions_program",
            ondelete="RESTRICT",
        ),
    )
    enable_tenant_rls("program_versions")
    grant_app("program_versions", "SELECT, INSERT")


def downgrade() -> None:
    op.drop_table("program_versions")
    op.drop_column("programs", "published_digest")
    op.drop_column("programs", "current_version")
    op.drop_column("programs", "structure")
