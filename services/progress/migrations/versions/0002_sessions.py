# ruff: noqa: S608 - DDL built from this module's own constant names, never from input
"""learning sessions and time on task; the idle-closing job's cross-tenant tenant list

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from aigym_platform.migration_ops import app_role, enable_tenant_rls, grant_app

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UUID = postgresql.UUID(as_uuid=True)
TIME = sa.DateTime(timezone=True)
IDLE_TENANTS = "idle_session_tenants(p_before timestamptz)"


def upgrade() -> None:
    op.create_table(
        "learning_sessions",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("session_id", UUID, nullable=False),
        sa.Column("learner_id", sa.String(128), nullable=False),
        sa.Column("course_id", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("start_time", TIME, nullable=False),
        sa.Column("last_signal_time", TIME, nullable=False),
        sa.Column("end_time", TIME, nullable=True),
        sa.Column("end_reason", sa.String(24), nullable=True),
        sa.Column("heartbeats", sa.Integer(), nullable=False),
        sa.Column("active_seconds", sa.Integer(), nullable=False),
        sa.Column("algorithm", sa.String(16), nullable=False),
        sa.Column("request_id", sa.String(64), nullable=True),
        sa.Column("note", sa.Text(), nullable=False, server_default=""),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("decided_by", sa.String(200), nullable=True),
        sa.Column("decide_time", TIME, nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("tenant_id", "session_id", name="pk_learning_sessions"),
        sa.UniqueConstraint("tenant_id", "request_id", name="uq_learning_sessions_tenant_id_request_id"),
        sa.CheckConstraint("kind IN ('online', 'offline')", name="ck_learning_sessions_kind"),
        sa.CheckConstraint(
            "state IN ('open', 'closed', 'pending_approval', 'rejected')", name="ck_learning_sessions_state"
        ),
        sa.CheckConstraint("last_signal_time >= start_time", name="ck_learning_sessions_times"),
    )
    op.create_index(
        "ix_learning_sessions_learner_course",
        "learning_sessions",
        ["tenant_id", "learner_id", "course_id", "start_time"],
    )
    op.create_index(
        "ix_learning_sessions_learner_start", "learning_sessions", ["tenant_id", "learner_id", "start_time"]
    )
    # The idle-closing job looks for open sessions by last signal (few rows: only open ones are indexed).
    op.execute(
        "CREATE INDEX ix_learning_sessions_open ON learning_sessions (last_signal_time, tenant_id)"
        " WHERE state = 'open'"
    )
    op.create_table(
        "time_on_task",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("learner_id", sa.String(128), nullable=False),
        sa.Column("course_id", sa.String(128), nullable=False),
        sa.Column("seconds", sa.BigInteger(), nullable=False),
        sa.Column("algorithm", sa.String(16), nullable=False),
        sa.Column("update_time", TIME, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "learner_id", "course_id", name="pk_time_on_task"),
        sa.CheckConstraint("seconds >= 0", name="ck_time_on_task_seconds"),
    )
    for table in ("learning_sessions", "time_on_task"):
        enable_tenant_rls(table)
        op.execute(f'REVOKE ALL ON {table} FROM PUBLIC, "{app_role()}"')
        grant_app(table, "SELECT, INSERT, UPDATE")
    # The one cross-tenant read of the idle-closing job: which tenants have sessions to close (ids only; the
    # sessions themselves are then closed under RLS, tenant by tenant). The owner role gets an unrestricted
    # policy so that its SECURITY DEFINER function sees every tenant.
    op.execute(
        "CREATE POLICY learning_sessions_owner_all ON learning_sessions TO CURRENT_USER"
        " USING (true) WITH CHECK (true)"
    )
    op.execute(
        f"""
        CREATE FUNCTION {IDLE_TENANTS} RETURNS SETOF uuid
        LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public STABLE AS $$
            SELECT DISTINCT tenant_id FROM public.learning_sessions
            WHERE state = 'open' AND last_signal_time < p_before
        $$
        """
    )
    op.execute(f"REVOKE ALL ON FUNCTION {IDLE_TENANTS} FROM PUBLIC")
    op.execute(f'GRANT EXECUTE ON FUNCTION {IDLE_TENANTS} TO "{app_role()}"')


def downgrade() -> None:
    op.execute(f"DROP FUNCTION IF EXISTS {IDLE_TENANTS}")
    op.drop_table("time_on_task")
    op.drop_table("learning_sessions")
