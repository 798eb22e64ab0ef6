"""probe counters, effects, poison switches and job runs, with the event outbox, inbox and dead letters

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from alembic import op

from aigym_platform.events.migration_ops import (
    create_dead_letters,
    create_inbox,
    create_outbox,
    drop_dead_letters,
    drop_inbox,
    drop_outbox,
)
from aigym_platform.migration_ops import enable_tenant_rls, grant_app

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TABLES = {
    "probe_counters": """
        tenant_id uuid NOT NULL, counter_id text NOT NULL, value bigint NOT NULL DEFAULT 0,
        updates bigint NOT NULL DEFAULT 0,
        CONSTRAINT pk_probe_counters PRIMARY KEY (tenant_id, counter_id)""",
    # One row per applied event, deliberately without a unique key: a duplicate effect would show here.
    "probe_effects": """
        tenant_id uuid NOT NULL, id bigint GENERATED ALWAYS AS IDENTITY, counter_id text NOT NULL,
        sequence bigint NOT NULL, committed_unix_micros bigint NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        CONSTRAINT pk_probe_effects PRIMARY KEY (tenant_id, id)""",
    "probe_poison": """
        tenant_id uuid NOT NULL, counter_id text NOT NULL,
        CONSTRAINT pk_probe_poison PRIMARY KEY (tenant_id, counter_id)""",
    "probe_job_runs": """
        tenant_id uuid NOT NULL, id bigint GENERATED ALWAYS AS IDENTITY, job text NOT NULL,
        run_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        CONSTRAINT pk_probe_job_runs PRIMARY KEY (tenant_id, id)""",
}


def upgrade() -> None:
    for table, columns in TABLES.items():
        op.execute(f"CREATE TABLE {table} ({columns})")
        enable_tenant_rls(table)
        grant_app(table)
    create_outbox()
    create_inbox()
    create_dead_letters()


def downgrade() -> None:
    drop_dead_letters()
    drop_inbox()
    drop_outbox()
    for table in TABLES:
        op.execute(f"DROP TABLE {table}")
