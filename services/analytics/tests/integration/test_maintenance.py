"""Background analytics: the consistency check finds and repairs counter drift; retention deletes old raw
facts by the tenant's policy and keeps the counters; the policy is validated and audited."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import uuid
from collections.abc import AsyncIterator

import asyncpg
import grpc
import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from aigym.analytics.v1 import analytics_pb2 as pb
from aigym.analytics.v1 import analytics_pb2_grpc
from aigym_analytics.ingest_repository import IngestRepository
from aigym_analytics.ingest_service import drift
from aigym_analytics.maintenance import Maintenance
from aigym_analytics.rollup_repository import HOURS_FROM_FACTS, RollupRepository
from aigym_platform.db import create_engine, create_sessionmaker, uow_factory
from aigym_platform.identity import TenantId
from aigym_platform.provisioning import ServiceDatabase
from aigym_platform.testing.tokens import TokenFactory, bearer
from services.analytics.tests.feeder import Feeder, envelope
from services.analytics.tests.streams import random_stream

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
# Counter rows that differ from a count of the rows (zero counts and absent groups are equal).
COUNTS_VS_ROWS = """SELECT 'enrollments', program_id, state FROM (
        SELECT program_id, state, count(*) AS n FROM enrollments GROUP BY 1, 2) AS w
        FULL JOIN (SELECT program_id, state, enrollments AS n FROM enrollment_counts) AS h
        USING (program_id, state)
        WHERE coalesce(w.n, 0) <> coalesce(h.n, 0)
    UNION ALL SELECT 'learners', active::text, '' FROM (
        SELECT active, count(*) AS n FROM learners GROUP BY 1) AS w
        FULL JOIN (SELECT active, learners AS n FROM learner_counts) AS h USING (active)
        WHERE coalesce(w.n, 0) <> coalesce(h.n, 0)"""


@pytest_asyncio.fixture
async def engine(analytics_db: ServiceDatabase) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(analytics_db.app_url, pool_size=2, max_overflow=0)
    yield engine
    await engine.dispose()


async def _sql(engine: AsyncEngine, tenant: uuid.UUID, sql: str) -> list[tuple[object, ...]]:
    async with uow_factory(create_sessionmaker(engine))(TenantId(tenant), None) as uow:
        rows = (
            [tuple(r) for r in await uow.session.execute(text(sql))]
            if sql.lstrip().startswith("SELECT")
            else []
        )
        if not rows:
            await uow.session.execute(text(sql))
        await uow.commit()
        return rows


def _feed(feeder: Feeder, tenant: uuid.UUID, start: dt.datetime) -> int:
    stream = random_stream(random.Random(7), start)
    feeder.deliver_all(
        [envelope(tenant, e.event_type, e.payload, e.occurred_at, e.event_id) for e in stream.events]
    )
    return len(stream.events)


async def test_consistency_check_repairs_drift(
    feeder: Feeder, engine: AsyncEngine, tenant: uuid.UUID
) -> None:
    _feed(feeder, tenant, NOW - dt.timedelta(days=1, hours=6))
    maintenance = Maintenance(uow_factory(create_sessionmaker(engine)), clock=lambda: NOW)
    clean = await maintenance.check_consistency(TenantId(tenant))
    assert clean.compared > 0
    assert clean.repaired == 0
    assert clean.rollups_repaired == 0
    assert clean.counts_repaired == 0
    # Drift of three kinds: a wrong counter, a missing row, a row no fact explains.
    await _sql(
        engine,
        tenant,
        "UPDATE hourly_stats SET block_activities = block_activities + 5 "
        "WHERE dimension = 'tenant' AND hour = "
        "(SELECT min(hour) FROM hourly_stats WHERE dimension = 'tenant')",
    )
    await _sql(
        engine,
        tenant,
        "DELETE FROM hourly_stats WHERE ctid IN (SELECT ctid FROM hourly_stats "
        "WHERE dimension = 'learner' ORDER BY hour DESC LIMIT 1)",
    )
    await _sql(
        engine,
        tenant,
        f"INSERT INTO hourly_stats (tenant_id, dimension, key, hour, resets) VALUES "
        f"('{tenant}', 'course', 'ghost', '{(NOW - dt.timedelta(hours=3)).isoformat()}', 2)",
    )
    # And in the active-learner rollups: a wrong day count, a lost learner, a learner nobody explains.
    await _sql(
        engine,
        tenant,
        "UPDATE active_learner_days SET learners = learners + 3 WHERE utc_offset = 0 "
        "AND day = (SELECT max(day) FROM active_learner_days WHERE utc_offset = 0)",
    )
    await _sql(
        engine,
        tenant,
        "DELETE FROM learner_activity WHERE learner_id = (SELECT min(learner_id) FROM learner_activity)",
    )
    await _sql(
        engine,
        tenant,
        f"INSERT INTO learner_activity (tenant_id, learner_id, first_hour, last_hour) VALUES "
        f"('{tenant}', 'ghost', '{(NOW - dt.timedelta(hours=3)).isoformat()}', '{NOW.isoformat()}')",
    )
    # And in the row counts: a wrong enrolment count, a lost learner count, a state nobody holds.
    await _sql(
        engine,
        tenant,
        "UPDATE enrollment_counts SET enrollments = enrollments + 2 WHERE ctid = "
        "(SELECT ctid FROM enrollment_counts WHERE enrollments > 0 LIMIT 1)",
    )
    await _sql(engine, tenant, "DELETE FROM learner_counts WHERE active")
    await _sql(
        engine,
        tenant,
        f"INSERT INTO enrollment_counts (tenant_id, program_id, state, enrollments) "
        f"VALUES ('{tenant}', 'ghost', 'active', 4)",
    )
    # And in the stall state: a wrong bucket, a bucket nobody explains, a lost program start.
    await _sql(
        engine,
        tenant,
        "UPDATE stall_buckets SET learners = learners + 2 WHERE ctid = "
        "(SELECT ctid FROM stall_buckets WHERE learners > 0 LIMIT 1)",
    )
    await _sql(
        engine,
        tenant,
        f"INSERT INTO stall_buckets (tenant_id, program_id, course_id, last_day, learners) "
        f"VALUES ('{tenant}', 'ghost', 'c', '2026-01-01', 1)",
    )
    await _sql(
        engine,
        tenant,
        "DELETE FROM program_starts WHERE ctid = (SELECT min(ctid) FROM program_starts)",
    )
    repaired = await maintenance.check_consistency(TenantId(tenant))
    assert repaired.repaired == 3
    assert repaired.rollups_repaired == 3
    assert repaired.counts_repaired == 6
    again = await maintenance.check_consistency(TenantId(tenant))
    assert (again.repaired, again.rollups_repaired, again.counts_repaired) == (0, 0, 0)
    assert await _sql(engine, tenant, COUNTS_VS_ROWS) == []
    async with uow_factory(create_sessionmaker(engine))(TenantId(tenant), None) as uow:
        repo = IngestRepository(uow.session, TenantId(tenant))
        since = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
        stored, recomputed = await repo.stored_stats(since), await repo.recomputed_stats(since)
        rollups = RollupRepository(uow.session, TenantId(tenant))
        assert await rollups.stored() == await rollups.recomputed(HOURS_FROM_FACTS)
    assert set(stored) == set(recomputed)
    assert drift(stored, recomputed) == {}  # equal up to float summation order (score sums)


async def test_retention_deletes_old_facts_and_keeps_the_counters(
    feeder: Feeder, engine: AsyncEngine, tenant: uuid.UUID
) -> None:
    _feed(feeder, tenant, NOW - dt.timedelta(days=40))  # spans about 3 days, 37-40 days ago
    _feed(feeder, tenant, NOW - dt.timedelta(days=3))
    before = await _sql(
        engine, tenant, "SELECT count(*), sum(block_activities) FROM hourly_stats WHERE dimension = 'tenant'"
    )
    facts = await _sql(engine, tenant, "SELECT count(*) FROM facts")
    maintenance = Maintenance(uow_factory(create_sessionmaker(engine)), clock=lambda: NOW)
    assert await maintenance.purge(TenantId(tenant)) == 0  # default policy: 730 days
    async with uow_factory(create_sessionmaker(engine))(TenantId(tenant), None) as uow:
        await IngestRepository(uow.session, TenantId(tenant)).set_retention_days(30, "test", NOW)
        await uow.commit()
    purged = await maintenance.purge(TenantId(tenant))
    assert purged > 0
    left = await _sql(engine, tenant, "SELECT count(*), min(occur_time) FROM facts")
    assert left[0][0] == facts[0][0] - purged
    assert left[0][1] >= NOW - dt.timedelta(days=30)  # type: ignore[operator]
    assert await _sql(
        engine,
        tenant,
        f"SELECT count(*) FROM activity_slots WHERE slot < '{(NOW - dt.timedelta(days=30)).isoformat()}'",
    ) == [(0,)]
    # The counters of the purged period stay, and the check does not "repair" them away.
    assert (await maintenance.check_consistency(TenantId(tenant), NOW - dt.timedelta(days=60))).repaired == 0
    after = await _sql(
        engine, tenant, "SELECT count(*), sum(block_activities) FROM hourly_stats WHERE dimension = 'tenant'"
    )
    assert after == before


async def test_retention_policy_is_validated_and_admin_only(
    analytics_stub: analytics_pb2_grpc.AnalyticsServiceStub, token_factory: TokenFactory, tenant: uuid.UUID
) -> None:
    admin = bearer(token_factory.token(tenant, ["client_admin"], user="admin"))
    got = await analytics_stub.GetAnalyticsSettings(pb.GetAnalyticsSettingsRequest(), metadata=admin)
    assert got.fact_retention_days == 730
    changed = await analytics_stub.UpdateAnalyticsSettings(
        pb.UpdateAnalyticsSettingsRequest(settings=pb.AnalyticsSettings(fact_retention_days=90)),
        metadata=admin,
    )
    assert changed.fact_retention_days == 90
    with pytest.raises(grpc.aio.AioRpcError) as bad:
        await analytics_stub.UpdateAnalyticsSettings(
            pb.UpdateAnalyticsSettingsRequest(settings=pb.AnalyticsSettings(fact_retention_days=5)),
            metadata=admin,
        )
    assert bad.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    manager = bearer(token_factory.token(tenant, ["manager"], user="m"))
    with pytest.raises(grpc.aio.AioRpcError) as denied:
        await analytics_stub.GetAnalyticsSettings(pb.GetAnalyticsSettingsRequest(), metadata=manager)
    assert denied.value.code() is grpc.StatusCode.PERMISSION_DENIED


async def test_a_clean_check_does_not_wait_for_ingestion_and_a_repair_does(
    feeder: Feeder, engine: AsyncEngine, tenant: uuid.UUID, analytics_db: ServiceDatabase
) -> None:
    _feed(feeder, tenant, NOW - dt.timedelta(days=1, hours=6))
    maintenance = Maintenance(uow_factory(create_sessionmaker(engine)), clock=lambda: NOW)
    # An event being applied: its transaction holds the tenant's ingestion lock (shared) until it ends.
    ingesting = await asyncpg.connect(analytics_db.app_url)
    transaction = ingesting.transaction()
    await transaction.start()
    try:
        await ingesting.execute("SELECT set_config('app.tenant_id', $1, true)", str(tenant))
        await ingesting.execute(
            "SELECT pg_advisory_xact_lock_shared(hashtext('aigym.analytics.ingest'), hashtext($1))",
            str(tenant),
        )
        clean = await asyncio.wait_for(maintenance.check_consistency(TenantId(tenant)), timeout=30)
        assert (clean.repaired, clean.rollups_repaired, clean.counts_repaired) == (0, 0, 0)
        assert clean.compared > 0

        await _sql(
            engine,
            tenant,
            "UPDATE hourly_stats SET block_activities = block_activities + 5 WHERE ctid = "
            "(SELECT ctid FROM hourly_stats WHERE dimension = 'tenant' ORDER BY hour LIMIT 1)",
        )
        repairing = asyncio.ensure_future(maintenance.check_consistency(TenantId(tenant)))
        await asyncio.sleep(1.5)
        assert not repairing.done()  # the repair waits for the lock
    finally:
        await transaction.rollback()
        await ingesting.close()
    repaired = await asyncio.wait_for(repairing, timeout=30)
    assert (repaired.repaired, repaired.rollups_repaired, repaired.counts_repaired) == (1, 0, 0)


async def test_the_nightly_purge_drops_stall_buckets_nobody_is_in_any_more(
    feeder: Feeder, engine: AsyncEngine, tenant: uuid.UUID
) -> None:
    _feed(feeder, tenant, NOW - dt.timedelta(days=3))
    # A learner moving on to a later day counts their old bucket down to zero; one such bucket for sure:
    await _sql(
        engine,
        tenant,
        f"INSERT INTO stall_buckets (tenant_id, program_id, course_id, last_day, learners) "
        f"VALUES ('{tenant}', 'gone', 'c', '2026-01-01', 0)",
    )
    kept = (
        "SELECT program_id, course_id, last_day, learners FROM stall_buckets WHERE learners <> 0"
        " ORDER BY 1, 2, 3"
    )
    before = await _sql(engine, tenant, kept)
    assert before
    assert (await _sql(engine, tenant, "SELECT count(*) FROM stall_buckets WHERE learners = 0"))[0][0] >= 1
    maintenance = Maintenance(uow_factory(create_sessionmaker(engine)), clock=lambda: NOW)
    await maintenance.purge(TenantId(tenant))
    assert await _sql(engine, tenant, "SELECT count(*) FROM stall_buckets WHERE learners = 0") == [(0,)]
    assert await _sql(engine, tenant, kept) == before
    clean = await maintenance.check_consistency(TenantId(tenant))
    assert clean.counts_repaired == 0
