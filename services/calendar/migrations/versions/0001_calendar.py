"""calendar events (rules), overrides, sign-ups, enrolment dates, directory copy, settings, feeds,
reminder deliveries; audit log and event tables

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

# ruff: noqa: S608 - DDL built from this file's own constants, never from input
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
JSONB = postgresql.JSONB()
APP_PRIVILEGES = {
    "calendar_events": "SELECT, INSERT, UPDATE",
    "event_learners": "SELECT, INSERT, DELETE",
    "occurrence_overrides": "SELECT, INSERT, UPDATE, DELETE",
    "signups": "SELECT, INSERT, UPDATE, DELETE",
    "enrollment_dates": "SELECT, INSERT, UPDATE",
    "program_titles": "SELECT, INSERT, UPDATE",
    "learner_profiles": "SELECT, INSERT, UPDATE",
    "calendar_settings": "SELECT, INSERT, UPDATE",
    "feeds": "SELECT, INSERT, UPDATE",
    "reminder_deliveries": "SELECT, INSERT, UPDATE",
}
# Public feed URLs carry a token, not a tenant: this one definer function (owned by the owner role, which
# alone has an unrestricted policy on feeds) maps a token hash to its tenant; everything after runs under RLS.
FEED_TENANT_FUNCTION = "calendar_feed_tenant(p_token_hash text)"
# The reminder beat fans out one task per tenant that has events with reminders.
REMINDER_TENANTS_FUNCTION = "calendar_reminder_tenants()"
_DEFINER = "LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public STABLE"


def _text(name: str, length: int | None = None) -> sa.Column:
    kind = sa.String(length) if length else sa.Text()
    return sa.Column(name, kind, nullable=False, server_default="")


def upgrade() -> None:
    op.create_table(
        "calendar_events",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("event_id", UUID, nullable=False),
        sa.Column("request_id", sa.String(64), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        _text("description"),
        _text("location", 500),
        _text("online_url", 2000),
        sa.Column("start_local", sa.DateTime(timezone=False), nullable=False),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("duration_seconds", sa.Integer(), nullable=False),
        _text("rrule", 1000),
        sa.Column("exdates", JSONB, nullable=False, server_default="[]"),
        sa.Column("rdates", JSONB, nullable=False, server_default="[]"),
        sa.Column("audience_kind", sa.String(16), nullable=False),
        _text("audience_program_id", 128),
        sa.Column("capacity", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("waitlist_enabled", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("reminder_minutes", JSONB, nullable=False, server_default="[]"),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("parent_event_id", UUID, nullable=True),
        sa.Column("range_start", TIME, nullable=False),
        sa.Column("range_end", TIME, nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("create_time", TIME, nullable=False),
        sa.Column("update_time", TIME, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "event_id", name="pk_calendar_events"),
        sa.UniqueConstraint("tenant_id", "request_id", name="uq_calendar_events_tenant_id_request_id"),
        sa.CheckConstraint("kind IN ('session', 'deadline', 'custom')", name="ck_calendar_events_kind"),
        sa.CheckConstraint("state IN ('active', 'cancelled')", name="ck_calendar_events_state"),
        sa.CheckConstraint(
            "audience_kind IN ('tenant', 'program', 'learners')", name="ck_calendar_events_audience"
        ),
        sa.CheckConstraint("duration_seconds >= 0", name="ck_calendar_events_duration"),
        sa.CheckConstraint("capacity >= 0", name="ck_calendar_events_capacity"),
    )
    op.create_index(
        "ix_calendar_events_audience",
        "calendar_events",
        ["tenant_id", "audience_kind", "audience_program_id"],
    )
    op.create_index("ix_calendar_events_range", "calendar_events", ["tenant_id", "range_start", "range_end"])
    op.create_index(
        "ix_calendar_events_created",
        "calendar_events",
        ["tenant_id", sa.text("create_time DESC"), "event_id"],
    )
    op.create_table(
        "event_learners",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("event_id", UUID, nullable=False),
        sa.Column("learner_id", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "event_id", "learner_id", name="pk_event_learners"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "event_id"],
            ["calendar_events.tenant_id", "calendar_events.event_id"],
            name="fk_event_learners_event",
        ),
    )
    op.create_index("ix_event_learners_learner", "event_learners", ["tenant_id", "learner_id"])
    op.create_table(
        "occurrence_overrides",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("event_id", UUID, nullable=False),
        sa.Column("occurrence_id", sa.String(16), nullable=False),
        sa.Column("cancelled", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("start_time", TIME, nullable=True),
        sa.Column("duration_seconds", sa.Integer(), nullable=True),
        _text("title", 300),
        _text("description"),
        _text("location", 500),
        _text("online_url", 2000),
        sa.Column("update_time", TIME, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "event_id", "occurrence_id", name="pk_occurrence_overrides"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "event_id"],
            ["calendar_events.tenant_id", "calendar_events.event_id"],
            name="fk_occurrence_overrides_event",
        ),
    )
    op.create_table(
        "signups",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("event_id", UUID, nullable=False),
        sa.Column("learner_id", sa.String(128), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("create_time", TIME, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "event_id", "learner_id", name="pk_signups"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "event_id"],
            ["calendar_events.tenant_id", "calendar_events.event_id"],
            name="fk_signups_event",
        ),
        sa.CheckConstraint("state IN ('confirmed', 'waitlisted')", name="ck_signups_state"),
    )
    op.create_index("ix_signups_order", "signups", ["tenant_id", "event_id", "state", "create_time"])
    op.create_index("ix_signups_learner", "signups", ["tenant_id", "learner_id"])
    op.create_table(
        "enrollment_dates",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("enrollment_id", sa.String(64), nullable=False),
        sa.Column("program_id", sa.String(128), nullable=False),
        sa.Column("learner_id", sa.String(128), nullable=False),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("start_time", TIME, nullable=True),
        sa.Column("due_time", TIME, nullable=True),
        sa.Column("end_time", TIME, nullable=True),
        sa.Column("sequence", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("update_time", TIME, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "enrollment_id", name="pk_enrollment_dates"),
    )
    op.create_index(
        "ix_enrollment_dates_learner", "enrollment_dates", ["tenant_id", "learner_id", "program_id"]
    )
    op.create_table(
        "program_titles",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("program_id", sa.String(128), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("update_time", TIME, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "program_id", name="pk_program_titles"),
    )
    op.create_table(
        "learner_profiles",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("learner_id", sa.String(128), nullable=False),
        _text("display_name", 300),
        _text("email", 320),
        _text("time_zone", 64),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("update_time", TIME, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "learner_id", name="pk_learner_profiles"),
    )
    op.create_table(
        "calendar_settings",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("learner_id", sa.String(128), nullable=False),
        _text("time_zone", 64),
        sa.Column("channels", JSONB, nullable=False, server_default="[]"),
        _text("webhook_url", 2000),
        _text("webhook_secret", 200),
        _text("quiet_hours_start", 5),
        _text("quiet_hours_end", 5),
        sa.Column("update_time", TIME, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "learner_id", name="pk_calendar_settings"),
    )
    op.create_table(
        "feeds",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("feed_id", UUID, nullable=False),
        sa.Column("learner_id", sa.String(128), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("create_time", TIME, nullable=False),
        sa.Column("rotate_time", TIME, nullable=True),
        sa.Column("revoke_time", TIME, nullable=True),
        sa.Column("last_access_time", TIME, nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "feed_id", name="pk_feeds"),
    )
    op.create_index("ix_feeds_learner", "feeds", ["tenant_id", "learner_id"])
    # Global on purpose: the public lookup goes from token to tenant (a SHA-256 of 32 random bytes).
    op.create_index("ix_feeds_token_hash", "feeds", ["token_hash"], unique=True)
    op.create_table(
        "reminder_deliveries",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("delivery_id", UUID, nullable=False),
        sa.Column("event_id", UUID, nullable=False),
        sa.Column("occurrence_id", sa.String(16), nullable=False),
        sa.Column("learner_id", sa.String(128), nullable=False),
        sa.Column("minutes_before", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        _text("code", 64),
        _text("detail"),
        _text("message_id", 200),
        sa.Column("due_time", TIME, nullable=False),
        sa.Column("sent_time", TIME, nullable=True),
        sa.Column("update_time", TIME, nullable=False),
        sa.Column("result", JSONB, nullable=False, server_default="{}"),
        sa.PrimaryKeyConstraint("tenant_id", "delivery_id", name="pk_reminder_deliveries"),
        # Exactly once per learner, occurrence, offset and channel, whatever a worker restart repeats.
        sa.UniqueConstraint(
            "tenant_id",
            "event_id",
            "occurrence_id",
            "learner_id",
            "minutes_before",
            "channel",
            name="uq_reminder_deliveries_tenant_id_once",
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'delivered', 'transient_failure', 'permanent_failure', 'skipped')",
            name="ck_reminder_deliveries_status",
        ),
    )
    op.create_index(
        "ix_reminder_deliveries_pending", "reminder_deliveries", ["tenant_id", "status", "update_time"]
    )
    # Owner policies first: the definer functions below run as the owner across tenants.
    for table in ("feeds", "calendar_events"):
        op.execute(
            f"CREATE POLICY {table}_owner_all ON {table} TO CURRENT_USER USING (true) WITH CHECK (true)"
        )
    for table in APP_PRIVILEGES:
        enable_tenant_rls(table)
    for table, privileges in APP_PRIVILEGES.items():
        op.execute(f'REVOKE ALL ON {table} FROM PUBLIC, "{app_role()}"')
        grant_app(table, privileges)
    op.execute(
        f"""CREATE FUNCTION {FEED_TENANT_FUNCTION} RETURNS uuid {_DEFINER} AS $$
            SELECT f.tenant_id FROM public.feeds f
            WHERE f.token_hash = p_token_hash AND f.revoke_time IS NULL
        $$"""
    )
    op.execute(
        f"""CREATE FUNCTION {REMINDER_TENANTS_FUNCTION} RETURNS SETOF uuid {_DEFINER} AS $$
            SELECT DISTINCT e.tenant_id FROM public.calendar_events e
            WHERE e.state = 'active' AND e.reminder_minutes <> '[]'::jsonb
              AND (e.range_end IS NULL OR e.range_end > now() - interval '1 day')
        $$"""
    )
    for function in (FEED_TENANT_FUNCTION, REMINDER_TENANTS_FUNCTION):
        op.execute(f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC")
        op.execute(f'GRANT EXECUTE ON FUNCTION {function} TO "{app_role()}"')
    create_audit_log()
    create_outbox()
    create_inbox()
    create_dead_letters()


def downgrade() -> None:
    drop_dead_letters()
    drop_inbox()
    drop_outbox()
    drop_audit_log()
    for function in (REMINDER_TENANTS_FUNCTION, FEED_TENANT_FUNCTION):
        op.execute(f"DROP FUNCTION {function}")
    for table in reversed(APP_PRIVILEGES):
        op.drop_table(table)
