# ruff: noqa: S608 - DDL built from this module's own constant names, never from input
"""badges, awards with credentials, facts, learners, issuer keys, status lists, settings, public ids;
audit log and event tables; the narrow cross-tenant lookups (public ids, tenants with due work)

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

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
APP_PRIVILEGES = {
    "badges": "SELECT, INSERT, UPDATE",
    "awards": "SELECT, INSERT, UPDATE",
    "facts": "SELECT, INSERT",
    "learners": "SELECT, INSERT, UPDATE",
    "issuer_keys": "SELECT, INSERT",
    "status_lists": "SELECT, INSERT, UPDATE",
    "tenant_settings": "SELECT, INSERT, UPDATE",
    "public_ids": "SELECT, INSERT",
}
# Tables the SECURITY DEFINER lookups read across tenants (their owner gets a second, unrestricted policy;
# the app role still sees one tenant).
OWNER_READ = ("badges", "awards", "public_ids")
DEFINER = "LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public STABLE"
FUNCTIONS = {
    # The tenant of a public credential or status list id (the only cross-tenant read of a public call).
    "achievements_public_tenant(p_public_id uuid, p_kind text)": f"""
        RETURNS uuid {DEFINER} AS $$
            SELECT tenant_id FROM public_ids WHERE public_id = p_public_id AND kind = p_kind LIMIT 1
        $$""",
    # Tenants with awards past their expiry or a pending backfill (the scheduled sweep fans out to them).
    "achievements_due_tenants(p_now timestamptz)": f"""
        RETURNS SETOF uuid {DEFINER} AS $$
            SELECT tenant_id FROM awards
             WHERE state IN ('active', 'suspended') AND expire_time <= p_now
            UNION
            SELECT tenant_id FROM badges WHERE backfill_state = 'pending'
        $$""",
}


def upgrade() -> None:
    op.create_table(
        "badges",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("badge_id", UUID, nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False, server_default=""),
        sa.Column("image_url", sa.String(2000), nullable=False, server_default=""),
        sa.Column("criteria_narrative", sa.Text(), nullable=False, server_default=""),
        sa.Column("tags", postgresql.JSONB(), nullable=False, server_default="[]"),
        sa.Column("rule", postgresql.JSONB(), nullable=False),
        sa.Column("fact_types", postgresql.ARRAY(sa.String(32)), nullable=False),
        sa.Column("validity_seconds", sa.BigInteger(), nullable=True),
        sa.Column("program_id", sa.String(128), nullable=False, server_default=""),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("create_time", TIME, nullable=False),
        sa.Column("update_time", TIME, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("activate_time", TIME, nullable=True),
        sa.Column("archive_time", TIME, nullable=True),
        sa.Column("backfill_state", sa.String(16), nullable=False, server_default="none"),
        sa.Column("backfill_awarded", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("backfill_finish_time", TIME, nullable=True),
        sa.Column("backfill_error", sa.Text(), nullable=False, server_default=""),
        sa.Column("revision", sa.Integer(), nullable=False, server_default="1"),
        sa.PrimaryKeyConstraint("tenant_id", "badge_id", name="pk_badges"),
        sa.CheckConstraint("state IN ('draft', 'active', 'archived')", name="ck_badges_state"),
        sa.CheckConstraint(
            "backfill_state IN ('none', 'pending', 'done', 'failed')", name="ck_badges_backfill_state"
        ),
    )
    op.create_index("ix_badges_list", "badges", ["tenant_id", sa.text("create_time DESC"), "badge_id"])
    op.create_index("ix_badges_active", "badges", ["tenant_id", "state"])
    op.create_table(
        "awards",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("award_id", UUID, nullable=False),
        sa.Column("badge_id", UUID, nullable=False),
        sa.Column("learner_id", sa.String(128), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("award_time", TIME, nullable=False),
        sa.Column("expire_time", TIME, nullable=True),
        sa.Column("evidence", postgresql.JSONB(), nullable=False, server_default="[]"),
        sa.Column("awarded_by", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False, server_default=""),
        sa.Column("program_id", sa.String(128), nullable=False, server_default=""),
        sa.Column("credential_id", UUID, nullable=False),
        sa.Column("credential_jwt", sa.Text(), nullable=False),
        sa.Column("revocation_list_id", UUID, nullable=False),
        sa.Column("revocation_index", sa.Integer(), nullable=False),
        sa.Column("suspension_list_id", UUID, nullable=False),
        sa.Column("suspension_index", sa.Integer(), nullable=False),
        sa.Column("revoke_time", TIME, nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=False, server_default=""),
        sa.Column("revoked_by", sa.String(200), nullable=False, server_default=""),
        sa.Column("update_time", TIME, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "award_id", name="pk_awards"),
        # At most one award per learner, badge and award period: a redelivered or concurrent award fails here.
        sa.UniqueConstraint("tenant_id", "badge_id", "learner_id", "period", name="uq_awards_period"),
        sa.UniqueConstraint("tenant_id", "credential_id", name="uq_awards_credential"),
        sa.UniqueConstraint(
            "tenant_id", "revocation_list_id", "revocation_index", name="uq_awards_revocation"
        ),
        sa.UniqueConstraint(
            "tenant_id", "suspension_list_id", "suspension_index", name="uq_awards_suspension"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "badge_id"], ["badges.tenant_id", "badges.badge_id"], name="fk_awards_badge"
        ),
        sa.CheckConstraint("state IN ('active', 'suspended', 'revoked', 'expired')", name="ck_awards_state"),
        sa.CheckConstraint("source IN ('rule', 'backfill', 'manual')", name="ck_awards_source"),
        sa.CheckConstraint("period >= 1", name="ck_awards_period"),
    )
    op.create_index("ix_awards_learner", "awards", ["tenant_id", "learner_id", sa.text("award_time DESC")])
    op.create_index(
        "ix_awards_badge", "awards", ["tenant_id", "badge_id", sa.text("award_time DESC"), "award_id"]
    )
    op.create_index(
        "ix_awards_due",
        "awards",
        ["expire_time"],
        postgresql_where=sa.text("state IN ('active', 'suspended') AND expire_time IS NOT NULL"),
    )
    op.create_index("ix_awards_program", "awards", ["tenant_id", "program_id", "state"])
    op.create_table(
        "facts",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("event_id", UUID, nullable=False),
        sa.Column("learner_id", sa.String(128), nullable=False),
        sa.Column("fact_type", sa.String(32), nullable=False),
        sa.Column("occurred_at", TIME, nullable=False),
        sa.Column("attributes", postgresql.JSONB(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "event_id", name="pk_facts"),
    )
    op.create_index("ix_facts_learner", "facts", ["tenant_id", "learner_id", "occurred_at"])
    op.create_table(
        "learners",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("learner_id", sa.String(128), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False, server_default=""),
        sa.Column("time_zone", sa.String(64), nullable=False, server_default="UTC"),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("update_time", TIME, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "learner_id", name="pk_learners"),
    )
    op.create_table(
        "issuer_keys",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("key_id", sa.String(300), nullable=False),
        sa.Column("algorithm", sa.String(16), nullable=False),
        sa.Column("private_pem", sa.Text(), nullable=False),
        sa.Column("public_jwk", postgresql.JSONB(), nullable=False),
        sa.Column("create_time", TIME, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "key_id", name="pk_issuer_keys"),
    )
    op.create_table(
        "status_lists",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("list_id", UUID, nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("next_index", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("create_time", TIME, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "list_id", name="pk_status_lists"),
        sa.CheckConstraint("purpose IN ('revocation', 'suspension')", name="ck_status_lists_purpose"),
        sa.CheckConstraint("next_index BETWEEN 0 AND capacity", name="ck_status_lists_next_index"),
    )
    op.create_index("ix_status_lists_purpose", "status_lists", ["tenant_id", "purpose", "create_time"])
    op.create_table(
        "tenant_settings",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("leaderboards_enabled", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("issuer_name", sa.String(200), nullable=False),
        sa.Column("issuer_url", sa.String(2000), nullable=False, server_default=""),
        sa.Column("update_time", TIME, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_tenant_settings"),
    )
    op.create_table(
        "public_ids",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("public_id", UUID, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "public_id", name="pk_public_ids"),
        sa.CheckConstraint("kind IN ('credential', 'status_list')", name="ck_public_ids_kind"),
    )
    op.create_index("ix_public_ids_lookup", "public_ids", ["public_id"])
    for table in APP_PRIVILEGES:
        enable_tenant_rls(table)
    for table, privileges in APP_PRIVILEGES.items():
        op.execute(f'REVOKE ALL ON {table} FROM PUBLIC, "{app_role()}"')
        grant_app(table, privileges)
    for table in OWNER_READ:
        op.execute(f"CREATE POLICY {table}_owner_read ON {table} FOR SELECT TO CURRENT_USER USING (true)")
    for signature, body in FUNCTIONS.items():
        op.execute(f"CREATE FUNCTION {signature} {body}")
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        op.execute(f'GRANT EXECUTE ON FUNCTION {signature} TO "{app_role()}"')
    create_audit_log()
    create_outbox()
    create_inbox()
    create_dead_letters()


def downgrade() -> None:
    drop_dead_letters()
    drop_inbox()
    drop_outbox()
    drop_audit_log()
    for signature in FUNCTIONS:
        op.execute(f"DROP FUNCTION {signature}")
    for table in reversed(APP_PRIVILEGES):
        op.drop_table(table)
