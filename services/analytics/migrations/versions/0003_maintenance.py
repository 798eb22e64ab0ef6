"""per-tenant analytics settings (raw-fact retention); the tenant list of the maintenance jobs

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from aigym_platform.migration_ops import app_role, enable_tenant_rls, grant_app

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TENANTS = "analytics_tenants()"


def upgrade() -> None:
    op.create_table(
        "analytics_settings",
        sa.Column("tenant_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("fact_retention_days", sa.Integer(), nullable=False),
        sa.Column("update_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_analytics_settings"),
        sa.CheckConstraint("fact_retention_days BETWEEN 30 AND 3650", name="ck_analytics_settings_retention"),
    )
    enable_tenant_rls("analytics_settings")
    op.execute(f'REVOKE ALL ON analytics_settings FROM PUBLIC, "{app_role()}"')
    grant_app("analytics_settings", "SELECT, INSERT, UPDATE")
    # The maintenance jobs' one cross-tenant read: which tenants have analytics at all (ids only).
    op.execute(
        "CREATE POLICY hourly_stats_owner_all ON hourly_stats TO CURRENT_USER USING (true) WITH CHECK (true)"
    )
    op.execute(
        f"""
        CREATE FUNCTION {TENANTS} RETURNS SETOF uuid
        LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public STABLE AS $$
            SELECT DISTINCT tenant_id FROM public.hourly_stats WHERE dimension = 'tenant'
        $$
        """  # noqa: S608 - a constant function signature
    )
    op.execute(f"REVOKE ALL ON FUNCTION {TENANTS} FROM PUBLIC")
    op.execute(f'GRANT EXECUTE ON FUNCTION {TENANTS} TO "{app_role()}"')


def downgrade() -> None:
    op.execute(f"DROP FUNCTION IF EXISTS {TENANTS}")
    op.execute("DROP POLICY IF EXISTS hourly_stats_owner_all ON hourly_stats")
    op.drop_table("analytics_settings")
