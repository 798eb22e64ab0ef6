"""The tenant overview's active learners come from rollups kept at ingestion; they must equal the distinct
count over learner-hours in every time zone (whole-hour, 30/45-minute and 30-minute-DST offsets, days of a
daylight saving change) and for every range shape (ending after the last activity, starting before the
first, or neither); and the backfill rebuilds the rollups from the counters alone."""

from __future__ import annotations

import datetime as dt
import random
import uuid
import zoneinfo

import pytest
from sqlalchemy import text

from aigym.progress.v1 import events_pb2 as ge
from aigym_analytics.backfill import backfill
from aigym_analytics.domain import Dimension, LocalRange, hour_of
from aigym_analytics.repository import AnalyticsRepository
from aigym_analytics.rollup_repository import HOURS_FROM_FACTS, RollupRepository
from aigym_platform.db import create_engine, create_sessionmaker, uow_factory
from aigym_platform.events import registry as r
from aigym_platform.identity import TenantId
from aigym_platform.provisioning import ServiceDatabase
from services.analytics.tests.feeder import Feeder, envelope
from services.analytics.tests.streams import stamp

# Around the 2026 transitions: Europe 29 March, United States 8 March, Lord Howe 5 April (30 minutes).
FIRST = dt.datetime(2026, 3, 6, tzinfo=dt.UTC)
LAST = dt.datetime(2026, 4, 8, tzinfo=dt.UTC)
ZONES = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Asia/Kolkata",  # +05:30
    "Asia/Kathmandu",  # +05:45
    "America/St_Johns",  # -03:30 / -02:30
    "Australia/Lord_Howe",  # +11 / +10:30
    "Pacific/Kiritimati",  # +14
    "Pacific/Pago_Pago",  # -11
]
RANGES = [
    (dt.date(2026, 3, 1), dt.date(2026, 4, 30)),  # around everything
    (dt.date(2026, 3, 20), dt.date(2026, 4, 30)),  # ends after the last activity
    (dt.date(2026, 3, 1), dt.date(2026, 3, 25)),  # starts before the first activity
    (dt.date(2026, 3, 7), dt.date(2026, 4, 6)),  # neither: the learner-hours answer
    (dt.date(2026, 3, 29), dt.date(2026, 3, 29)),  # one transition day
]


def block(tenant: uuid.UUID, learner: str, when: dt.datetime) -> object:
    return envelope(
        tenant,
        r.BLOCK_COMPLETED,
        ge.BlockCompleted(
            learner_id=learner,
            course_id="c",
            block_id="b",
            value=1,
            completed=True,
            completed_at=stamp(when),
            attempt=1,
        ),
        when,
    )


@pytest.fixture(scope="module")
def activity() -> list[tuple[str, dt.datetime]]:
    """(learner, time) of block records: 12 learners, bursts and gaps, many around midnights."""
    rng = random.Random(20261127)
    out = []
    for i in range(12):
        moment = FIRST + dt.timedelta(hours=rng.randrange(0, 48))
        while moment < LAST:
            out.append((f"learner-{i}", moment + dt.timedelta(minutes=rng.randrange(60))))
            moment += dt.timedelta(hours=rng.choice([1, 1, 2, 5, 11, 13, 23, 24, 25, 47, 70]))
    # Around each transition, a learner per hour active in that hour only: every day's count then depends
    # on exactly which UTC hours the local day holds.
    for around in (
        dt.datetime(2026, 3, 8, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 29, tzinfo=dt.UTC),
        dt.datetime(2026, 4, 5, tzinfo=dt.UTC),
    ):
        for h in range(-30, 30):
            hour = around + dt.timedelta(hours=h)
            out.append((f"edge-{hour:%m%d%H}", hour + dt.timedelta(minutes=rng.randrange(60))))
    return out


def expected(activity: list[tuple[str, dt.datetime]], span: LocalRange) -> tuple[dict[dt.date, int], int]:
    """The oracle: learner-hours attributed to the local day their start falls in; distinct in the range."""
    hours = {(who, hour_of(when)) for who, when in activity}
    per_day: dict[dt.date, set[str]] = {}
    overall = set()
    for who, hour in hours:
        if span.utc_start <= hour < span.utc_end:
            per_day.setdefault(hour.astimezone(span.zone).date(), set()).add(who)
            overall.add(who)
    return {day: len(who) for day, who in per_day.items()}, len(overall)


async def test_active_learners_equal_the_learner_hours_in_every_zone_and_range(
    feeder: Feeder, analytics_db: ServiceDatabase, activity: list[tuple[str, dt.datetime]]
) -> None:
    tenant = uuid.uuid4()
    shuffled = list(activity)
    random.Random(7).shuffle(shuffled)
    feeder.deliver_all([block(tenant, who, when) for who, when in shuffled], threads=4)

    engine = create_engine(analytics_db.app_url, pool_size=1, max_overflow=0)
    try:
        async with uow_factory(create_sessionmaker(engine))(TenantId(tenant), None) as uow:
            repo = AnalyticsRepository(uow.session, TenantId(tenant))
            for zone in ZONES:
                for start, end in RANGES:
                    span = LocalRange(start, end, zoneinfo.ZoneInfo(zone))
                    days, overall = await repo.hourly_series(Dimension.TENANT, [""], span)
                    want_days, want_overall = expected(activity, span)
                    got = {d.date: d.active_learners for d in days if d.active_learners}
                    assert got == want_days, (zone, start, end)
                    assert overall == want_overall, (zone, start, end)
    finally:
        await engine.dispose()


async def test_backfill_rebuilds_the_rollups_from_the_counters(
    feeder: Feeder,
    analytics_db: ServiceDatabase,
    activity: list[tuple[str, dt.datetime]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    tenant = uuid.uuid4()
    feeder.deliver_all([block(tenant, who, when) for who, when in activity[:200]], threads=2)
    engine = create_engine(analytics_db.app_url, pool_size=1, max_overflow=0)
    sessions = uow_factory(create_sessionmaker(engine))
    try:
        async with sessions(TenantId(tenant), None) as uow:
            kept = await RollupRepository(uow.session, TenantId(tenant)).stored()
            assert kept[0]
            assert kept[1]
            # Data from before the rollups existed: counters and facts, no rollup rows.
            await uow.session.execute(text("DELETE FROM active_learner_days"))
            await uow.session.execute(text("DELETE FROM learner_activity"))
            await uow.commit()

        assert await backfill(analytics_db.app_url, [tenant]) == 1
        assert f"[1/1] tenant {tenant}: {len(kept[0])} day rows, {len(kept[1])} learner rows" in (
            capsys.readouterr().out
        )
        async with sessions(TenantId(tenant), None) as uow:
            rollups = RollupRepository(uow.session, TenantId(tenant))
            assert await rollups.stored() == kept == await rollups.recomputed(HOURS_FROM_FACTS)
    finally:
        await engine.dispose()
