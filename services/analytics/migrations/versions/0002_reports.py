"""scheduled reports: definitions, runs with stored output, per-recipient delivery log; audit log

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from aigym_platform.migration_ops import (
    app_role,
    create_audit_log,
    drop_audit_log,
    enable_tenant_rls,
    grant_app,
)

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UUID = postgresql.UUID(as_uuid=True)
TIME = sa.DateTime(timezone=True)
DUE_REPORTS = "report_due_tenants(p_now timestamptz)"
DUE_DELIVERIES = "report_retry_tenants(p_now timestamptz)"


def upgrade() -> None:
    op.create_table(
        "report_definitions",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("report_id", UUID, nullable=False),
        sa.Column("owner_id", sa.String(200), nullable=False),
        sa.Column("owner_roles", postgresql.ARRAY(sa.String(32)), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("report_type", sa.String(16), nullable=False),
        sa.Column("program_id", sa.String(128), nullable=False, server_default=""),
        sa.Column("period_days", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("schedule", postgresql.JSONB(), nullable=False),
        sa.Column("recipients", postgresql.JSONB(), nullable=False),
        sa.Column("data_scope", sa.String(16), nullable=False),
        sa.Column("empty_policy", sa.String(8), nullable=False),
        sa.Column("next_run_time", TIME, nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("deleted", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("create_time", TIME, nullable=False),
        sa.Column("update_time", TIME, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "report_id", name="pk_report_definitions"),
    )
    op.create_index(
        "ix_report_definitions_due",
        "report_definitions",
        ["next_run_time"],
        postgresql_where=sa.text("NOT deleted AND next_run_time IS NOT NULL"),
    )
    op.create_table(
        "report_runs",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("run_id", UUID, nullable=False),
        sa.Column("report_id", UUID, nullable=False),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("scheduled_time", TIME, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("row_count", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("filename", sa.String(300), nullable=False, server_default=""),
        sa.Column("content_type", sa.String(100), nullable=False, server_default=""),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False, server_default=""),
        sa.Column("create_time", TIME, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "run_id", name="pk_report_runs"),
        # A schedule slot runs once, however many beats or workers see it due.
        sa.UniqueConstraint(
            "tenant_id", "report_id", "trigger", "scheduled_time", name="uq_report_runs_slot"
        ),
    )
    op.create_index("ix_report_runs_report", "report_runs", ["tenant_id", "report_id", "create_time"])
    op.create_table(
        "report_deliveries",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("delivery_id", UUID, nullable=False),
        sa.Column("run_id", UUID, nullable=False),
        sa.Column("recipient_index", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("recipient", sa.String(2000), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("attempt_time", TIME, nullable=False),
        sa.Column("next_attempt_time", TIME, nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "delivery_id", name="pk_report_deliveries"),
        sa.UniqueConstraint(
            "tenant_id", "run_id", "recipient_index", "attempt", name="uq_report_deliveries_attempt"
        ),
    )
    op.create_index(
        "ix_report_deliveries_retry",
        "report_deliveries",
        ["next_attempt_time"],
        postgresql_where=sa.text("next_attempt_time IS NOT NULL"),
    )
    privileges = {
        "report_definitions": "SELECT, INSERT, UPDATE",
        "report_runs": "SELECT, INSERT, UPDATE",
        "report_deliveries": "SELECT, INSERT, UPDATE",
    }
    for table, granted in privileges.items():
        enable_tenant_rls(table)
        op.execute(f'REVOKE ALL ON {table} FROM PUBLIC, "{app_role()}"')
        grant_app(table, granted)
    # The two cross-tenant reads of the beat jobs: which tenants have reports or delivery retries due (ids
    # only; the work itself then runs under RLS, tenant by tenant).
    for table, function, condition in (
        ("report_definitions", DUE_REPORTS, "NOT deleted AND next_run_time <= p_now"),
        ("report_deliveries", DUE_DELIVERIES, "next_attempt_time <= p_now"),
    ):
        op.execute(
            f"CREATE POLICY {table}_owner_all ON {table} TO CURRENT_USER USING (true) WITH CHECK (true)"
        )
        op.execute(
            f"""
            CREATE FUNCTION {function} RETURNS SETOF uuid
            LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public STABLE AS $$
                SELECT DISTINCT tenant_id FROM public.{table} WHERE {condition}
            $$
            """  # noqa: S608 - constant table names and conditions
        )
        op.execute(f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC")
        op.execute(f'GRANT EXECUTE ON FUNCTION {function} TO "{app_role()}"')
    create_audit_log()


def downgrade() -> None:
    drop_audit_log()
    op.execute(f"DROP FUNCTION IF EXISTS {DUE_DELIVERIES}")
    op.execute(f"DROP FUNCTION IF EXISTS {DUE_REPORTS}")
    for table in ("report_deliveries", "report_runs", "report_definitions"):
        op.drop_table(table)
