"""the consumer's hot path in one round trip less: a function that records a fact, takes the learner's
transaction lock and then reads everything evaluation needs (badge revision, time zone, issuer name,
latest award per badge, facts), each read in a snapshot taken after the lock was granted

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from alembic import op

from aigym_platform.migration_ops import app_role

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

FUNCTION = "achievements_record_fact(uuid, uuid, text, text, timestamptz, jsonb, double precision, text)"


def upgrade() -> None:
    # SECURITY INVOKER (the default): it runs as the app role under the caller's tenant scope (RLS). VOLATILE
    # and READ COMMITTED: each statement inside takes a new snapshot, so the reads after the lock see every
    # fact the learner's other transactions committed before it was granted (one statement with the lock
    # and the reads would read from a snapshot taken before waiting).
    op.execute(
        """
        CREATE FUNCTION achievements_record_fact(
            p_tenant uuid, p_event uuid, p_learner text, p_fact_type text, p_occurred_at timestamptz,
            p_attributes jsonb, p_score double precision, p_lock_key text,
            OUT added boolean, OUT badge_revision bigint, OUT time_zone text, OUT issuer_name text,
            OUT badge_ids uuid[], OUT periods integer[], OUT states text[], OUT expire_times timestamptz[],
            OUT event_ids uuid[], OUT fact_types text[], OUT times timestamptz[], OUT attributes text,
            OUT scores double precision[])
        LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, public AS $$
        #variable_conflict use_column
        DECLARE
            inserted integer;
        BEGIN
            INSERT INTO facts (tenant_id, event_id, learner_id, fact_type, occurred_at, attributes, score)
            VALUES (p_tenant, p_event, p_learner, p_fact_type, p_occurred_at, p_attributes, p_score)
            ON CONFLICT DO NOTHING;
            GET DIAGNOSTICS inserted = ROW_COUNT;
            added := inserted > 0;
            PERFORM pg_advisory_xact_lock(hashtextextended(p_lock_key, 0));
            SELECT coalesce((SELECT revision FROM badge_revisions WHERE tenant_id = p_tenant), 0),
                   (SELECT time_zone FROM learners WHERE tenant_id = p_tenant AND learner_id = p_learner),
                   (SELECT issuer_name FROM tenant_settings WHERE tenant_id = p_tenant)
              INTO badge_revision, time_zone, issuer_name;
            SELECT array_agg(badge_id), array_agg(period), array_agg(state), array_agg(expire_time)
              INTO badge_ids, periods, states, expire_times
              FROM (SELECT DISTINCT ON (badge_id) badge_id, period, state, expire_time
                      FROM awards WHERE tenant_id = p_tenant AND learner_id = p_learner
                     ORDER BY badge_id, period DESC) latest;
            SELECT array_agg(event_id ORDER BY occurred_at, event_id),
                   array_agg(fact_type ORDER BY occurred_at, event_id),
                   array_agg(occurred_at ORDER BY occurred_at, event_id),
                   json_agg(attributes ORDER BY occurred_at, event_id)::text,
                   array_agg(score ORDER BY occurred_at, event_id)
              INTO event_ids, fact_types, times, attributes, scores
              FROM facts WHERE tenant_id = p_tenant AND learner_id = p_learner;
        END $$"""
    )
    op.execute(f"REVOKE ALL ON FUNCTION {FUNCTION} FROM PUBLIC")
    op.execute(f'GRANT EXECUTE ON FUNCTION {FUNCTION} TO "{app_role()}"')


def downgrade() -> None:
    op.execute(f"DROP FUNCTION {FUNCTION}")
