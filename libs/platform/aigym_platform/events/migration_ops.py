# ruff: noqa: S608 - DDL built from this module's own constant names, never from input
"""Alembic operations for the event tables: outbox (producers), inbox and dead letters (consumers).

Every table is a tenant table (RLS by `app.tenant_id`, unique keys starting with tenant_id). The few
operations that must see every tenant (the relay's claim/mark/fetch, the list of tenants that have dead
letters) are SECURITY DEFINER functions owned by the owner role, which is the only role given a second,
unrestricted policy on these tables. The app role may EXECUTE those functions but still reads and writes
the tables themselves only inside one tenant.
"""

from __future__ import annotations

from alembic import op

from aigym_platform.events.schema import DEAD_LETTER_TABLE, INBOX_TABLE, NOTIFY_CHANNEL, OUTBOX_TABLE
from aigym_platform.migration_ops import app_role, enable_tenant_rls, grant_app

_DEFINER = "LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public"

_OUTBOX_FUNCTIONS: dict[str, str] = {
    # Oldest unsent rows of every tenant, in outbox order (the relay is the only caller).
    "event_outbox_claim(p_limit integer)": f"""
        RETURNS TABLE (id bigint, tenant_id uuid, event_type text, subject text, envelope bytea,
                       created_at timestamptz)
        {_DEFINER} STABLE AS $$
            SELECT o.id, o.tenant_id, o.event_type, o.subject, o.envelope, o.created_at
            FROM public.{OUTBOX_TABLE} o WHERE o.sent_at IS NULL ORDER BY o.id LIMIT p_limit
        $$""",
    # Rows the broker accepted; returns the database time they were marked at.
    "event_outbox_mark_sent(p_ids bigint[])": f"""
        RETURNS timestamptz {_DEFINER} AS $$
            UPDATE public.{OUTBOX_TABLE} SET sent_at = now()
            WHERE id = ANY(p_ids) AND sent_at IS NULL;
            SELECT now()
        $$""",
    # Rows by (tenant, id), sent or not, for redelivery.
    "event_outbox_fetch(p_tenants uuid[], p_ids bigint[])": f"""
        RETURNS TABLE (id bigint, tenant_id uuid, event_type text, subject text, envelope bytea,
                       created_at timestamptz)
        {_DEFINER} STABLE AS $$
            SELECT o.id, o.tenant_id, o.event_type, o.subject, o.envelope, o.created_at
            FROM public.{OUTBOX_TABLE} o
            JOIN unnest(p_tenants, p_ids) AS k(tenant_id, id) ON o.tenant_id = k.tenant_id AND o.id = k.id
            ORDER BY o.id
        $$""",
    # Rows marked sent at or after `p_since` (a broker restart may have lost them), in outbox order.
    "event_outbox_sent_since(p_since timestamptz, p_after bigint, p_limit integer)": f"""
        RETURNS TABLE (id bigint, tenant_id uuid, event_type text, subject text, envelope bytea,
                       created_at timestamptz)
        {_DEFINER} STABLE AS $$
            SELECT o.id, o.tenant_id, o.event_type, o.subject, o.envelope, o.created_at
            FROM public.{OUTBOX_TABLE} o WHERE o.sent_at >= p_since AND o.id > p_after
            ORDER BY o.id LIMIT p_limit
        $$""",
    # The newest sent_at (NULL if nothing was ever sent), for the resend window at relay start.
    "event_outbox_last_sent()": f"""
        RETURNS timestamptz {_DEFINER} STABLE AS $$
            SELECT max(sent_at) FROM public.{OUTBOX_TABLE}
        $$""",
    # Backlog for metrics: unsent rows and the creation time of the oldest.
    "event_outbox_backlog()": f"""
        RETURNS TABLE (unsent bigint, oldest timestamptz) {_DEFINER} STABLE AS $$
            SELECT count(*), min(created_at) FROM public.{OUTBOX_TABLE} WHERE sent_at IS NULL
        $$""",
    # Delete sent rows older than the retention; returns how many.
    "event_outbox_purge(p_retention interval)": f"""
        RETURNS bigint {_DEFINER} AS $$
            WITH gone AS (
                DELETE FROM public.{OUTBOX_TABLE} WHERE sent_at < now() - p_retention RETURNING 1
            ) SELECT count(*) FROM gone
        $$""",
}


def _owner_policy(table: str) -> None:
    """Let the owner role (and so its SECURITY DEFINER functions) see every tenant's rows of `table`."""
    op.execute(f"CREATE POLICY {table}_owner_all ON {table} TO CURRENT_USER USING (true) WITH CHECK (true)")


def _create_functions(functions: dict[str, str]) -> None:
    for signature, body in functions.items():
        op.execute(f"CREATE FUNCTION {signature} {body}")
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        op.execute(f'GRANT EXECUTE ON FUNCTION {signature} TO "{app_role()}"')


def create_outbox() -> None:
    """Create the transactional outbox, its NOTIFY trigger and the relay's cross-tenant functions."""
    op.execute(
        f"""
        CREATE TABLE {OUTBOX_TABLE} (
            tenant_id uuid NOT NULL,
            id bigint GENERATED ALWAYS AS IDENTITY,
            event_id uuid NOT NULL,
            event_type text NOT NULL,
            subject text NOT NULL,
            envelope bytea NOT NULL,
            created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            sent_at timestamptz,
            CONSTRAINT pk_{OUTBOX_TABLE} PRIMARY KEY (tenant_id, id),
            CONSTRAINT uq_{OUTBOX_TABLE}_tenant_id_event_id UNIQUE (tenant_id, event_id)
        )
        """
    )
    op.execute(f"CREATE INDEX ix_{OUTBOX_TABLE}_unsent ON {OUTBOX_TABLE} (id) WHERE sent_at IS NULL")
    op.execute(f"CREATE INDEX ix_{OUTBOX_TABLE}_sent_at ON {OUTBOX_TABLE} (sent_at)")
    enable_tenant_rls(OUTBOX_TABLE)
    _owner_policy(OUTBOX_TABLE)
    op.execute(f'REVOKE ALL ON {OUTBOX_TABLE} FROM PUBLIC, "{app_role()}"')
    grant_app(OUTBOX_TABLE, "SELECT, INSERT")
    # One notification per statement; NOTIFY is delivered at commit and folds duplicates of a transaction.
    op.execute(
        f"""
        CREATE FUNCTION {OUTBOX_TABLE}_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('{NOTIFY_CHANNEL}', '');
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        f"CREATE TRIGGER {OUTBOX_TABLE}_notify AFTER INSERT ON {OUTBOX_TABLE}"
        f" FOR EACH STATEMENT EXECUTE FUNCTION {OUTBOX_TABLE}_notify()"
    )
    _create_functions(_OUTBOX_FUNCTIONS)


def drop_outbox() -> None:
    """Downgrade counterpart of create_outbox."""
    for signature in _OUTBOX_FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {signature}")
    op.execute(f"DROP TABLE IF EXISTS {OUTBOX_TABLE}")
    op.execute(f"DROP FUNCTION IF EXISTS {OUTBOX_TABLE}_notify()")


def create_inbox() -> None:
    """Create the inbox: one row per (tenant, event, handler) already applied, written with the effect."""
    op.execute(
        f"""
        CREATE TABLE {INBOX_TABLE} (
            tenant_id uuid NOT NULL,
            event_id uuid NOT NULL,
            handler text NOT NULL,
            event_type text NOT NULL,
            processed_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT pk_{INBOX_TABLE} PRIMARY KEY (tenant_id, event_id, handler)
        )
        """
    )
    enable_tenant_rls(INBOX_TABLE)
    op.execute(f'REVOKE ALL ON {INBOX_TABLE} FROM PUBLIC, "{app_role()}"')
    grant_app(INBOX_TABLE, "SELECT, INSERT")


def drop_inbox() -> None:
    """Downgrade counterpart of create_inbox."""
    op.execute(f"DROP TABLE IF EXISTS {INBOX_TABLE}")


def create_dead_letters() -> None:
    """Create the dead-letter table (events whose handler exhausted its retries) and its tenant lister."""
    op.execute(
        f"""
        CREATE TABLE {DEAD_LETTER_TABLE} (
            tenant_id uuid NOT NULL,
            id bigint GENERATED ALWAYS AS IDENTITY,
            event_id uuid NOT NULL,
            handler text NOT NULL,
            event_type text NOT NULL,
            subject text NOT NULL,
            envelope bytea NOT NULL,
            error text NOT NULL,
            attempts integer NOT NULL,
            state text NOT NULL DEFAULT 'dead',
            dead_at timestamptz NOT NULL DEFAULT now(),
            replayed_at timestamptz,
            CONSTRAINT pk_{DEAD_LETTER_TABLE} PRIMARY KEY (tenant_id, id),
            CONSTRAINT uq_{DEAD_LETTER_TABLE}_tenant_id_event_id_handler
                UNIQUE (tenant_id, event_id, handler),
            CONSTRAINT ck_{DEAD_LETTER_TABLE}_state CHECK (state IN ('dead', 'replayed'))
        )
        """
    )
    op.execute(f"CREATE INDEX ix_{DEAD_LETTER_TABLE}_state ON {DEAD_LETTER_TABLE} (state, tenant_id)")
    enable_tenant_rls(DEAD_LETTER_TABLE)
    _owner_policy(DEAD_LETTER_TABLE)
    op.execute(f'REVOKE ALL ON {DEAD_LETTER_TABLE} FROM PUBLIC, "{app_role()}"')
    grant_app(DEAD_LETTER_TABLE, "SELECT, INSERT, UPDATE")
    _create_functions(
        {
            # Only tenant ids leave this function; the letters themselves are read under RLS per tenant.
            "event_dead_letter_tenants()": f"""
                RETURNS SETOF uuid {_DEFINER} STABLE AS $$
                    SELECT DISTINCT tenant_id FROM public.{DEAD_LETTER_TABLE} WHERE state = 'dead'
                $$"""
        }
    )


def drop_dead_letters() -> None:
    """Downgrade counterpart of create_dead_letters."""
    op.execute("DROP FUNCTION IF EXISTS event_dead_letter_tenants()")
    op.execute(f"DROP TABLE IF EXISTS {DEAD_LETTER_TABLE}")
