"""Ingestion through the real consumer path: aggregates equal a recomputation from the facts after a random
stream with redeliveries and concurrency, and every merged state is independent of delivery order."""

from __future__ import annotations

import datetime as dt
import math
import random
import uuid
from collections import Counter
from typing import Any

from sqlalchemy import text

from aigym_analytics.domain import OFFSETS, SLOT_SECONDS, hour_of, local_day, slot_of
from aigym_analytics.ingest_repository import IngestRepository
from aigym_analytics.rollup_repository import HOURS_FROM_COUNTERS, HOURS_FROM_FACTS, RollupRepository
from aigym_platform.db import create_engine, create_sessionmaker, uow_factory
from aigym_platform.events import registry as r
from aigym_platform.identity import TenantId
from aigym_platform.provisioning import ServiceDatabase
from services.analytics.tests.feeder import Feeder, envelope
from services.analytics.tests.streams import Stream, random_stream

START = dt.datetime(2026, 10, 20, 21, 37, tzinfo=dt.UTC)
SINCE = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def _deliveries(tenant: uuid.UUID, stream: Stream, order: list[int]) -> list[Any]:
    return [
        envelope(
            tenant,
            stream.events[i].event_type,
            stream.events[i].payload,
            stream.events[i].occurred_at,
            stream.events[i].event_id,
        )
        for i in order
    ]


async def _read(db: ServiceDatabase, tenant: uuid.UUID, sql: str) -> list[tuple[Any, ...]]:
    engine = create_engine(db.app_url, pool_size=1, max_overflow=0)
    try:
        async with uow_factory(create_sessionmaker(engine))(TenantId(tenant), None) as uow:
            return [tuple(row) for row in await uow.session.execute(text(sql))]
    finally:
        await engine.dispose()


async def _stats(db: ServiceDatabase, tenant: uuid.UUID) -> tuple[dict[Any, Any], dict[Any, Any]]:
    engine = create_engine(db.app_url, pool_size=1, max_overflow=0)
    try:
        async with uow_factory(create_sessionmaker(engine))(TenantId(tenant), None) as uow:
            repo = IngestRepository(uow.session, TenantId(tenant))
            return await repo.stored_stats(SINCE), await repo.recomputed_stats(SINCE)
    finally:
        await engine.dispose()


async def _rollups(db: ServiceDatabase, tenant: uuid.UUID) -> list[Any]:
    """Active-learner rollups as stored, recomputed from the facts and recomputed from the counters."""
    engine = create_engine(db.app_url, pool_size=1, max_overflow=0)
    try:
        async with uow_factory(create_sessionmaker(engine))(TenantId(tenant), None) as uow:
            repo = RollupRepository(uow.session, TenantId(tenant))
            return [
                await repo.stored(),
                await repo.recomputed(HOURS_FROM_FACTS),
                await repo.recomputed(HOURS_FROM_COUNTERS),
            ]
    finally:
        await engine.dispose()


def _assert_same(stored: dict[Any, Any], recomputed: dict[Any, Any]) -> None:
    assert set(stored) == set(recomputed)
    for key, values in recomputed.items():
        assert all(math.isclose(a, b, abs_tol=1e-9) for a, b in zip(stored[key], values, strict=True)), key


STATE_QUERIES = {
    "learners": "SELECT learner_id, display_name, manager_id, active FROM learners ORDER BY 1",
    "programs": "SELECT program_id, title, version, course_ids, archived FROM programs ORDER BY 1",
    "enrollments": "SELECT enrollment_id, program_id, learner_id, state, enroll_time, start_time, "
    "due_time, complete_time, withdraw_time, (SELECT array_agg(m ORDER BY m) FROM unnest(milestones) m) "
    "FROM enrollments ORDER BY 1",
    "program_starts": "SELECT program_id, learner_id FROM program_starts ORDER BY 1, 2",
    "learner_courses": "SELECT learner_id, course_id, attempt, completed, complete_time, "
    "last_activity_time FROM learner_courses ORDER BY 1, 2",
    "facts": "SELECT event_id, kind, occur_time, learner_id, course_id, program_id, completed, score "
    "FROM facts ORDER BY 1",
    "active_learner_days": "SELECT utc_offset, day, learners FROM active_learner_days ORDER BY 1, 2",
    "learner_activity": "SELECT learner_id, first_hour, last_hour FROM learner_activity ORDER BY 1",
    "enrollment_counts": "SELECT program_id, state, enrollments FROM enrollment_counts"
    " WHERE enrollments <> 0 ORDER BY 1, 2",
    "learner_counts": "SELECT active, learners FROM learner_counts WHERE learners <> 0 ORDER BY 1",
    "stall_buckets": "SELECT program_id, course_id, last_day, learners FROM stall_buckets WHERE learners <> 0"
    " ORDER BY 1, 2, 3",
    "stats": "SELECT dimension, key, hour, block_activities, block_completions, course_completions, "
    "resets, enrollments, program_completions, milestones, withdrawals, time_on_task_seconds, scored, "
    "round(score_sum::numeric, 9) FROM hourly_stats ORDER BY 1, 2, 3",
}

# Learners of active enrolments per program, course of its list not completed and UTC day of last activity.
STALL_BUCKETS_RECOMPUTED = """
SELECT p.program_id, lc.course_id, (lc.last_activity_time AT TIME ZONE 'UTC')::date,
       count(DISTINCT lc.learner_id)
FROM programs p JOIN learner_courses lc ON lc.course_id = ANY(p.course_ids) AND NOT lc.completed
WHERE EXISTS (SELECT 1 FROM enrollments e
              WHERE e.program_id = p.program_id AND e.learner_id = lc.learner_id AND e.state = 'active')
GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
"""
PROGRAM_STARTS_RECOMPUTED = """
SELECT DISTINCT p.program_id, lc.learner_id
FROM programs p JOIN learner_courses lc ON lc.course_id = ANY(p.course_ids)
ORDER BY 1, 2
"""


async def test_aggregates_equal_recomputation_after_random_stream_with_redeliveries(
    feeder: Feeder, analytics_db: ServiceDatabase
) -> None:
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    stream = random_stream(rng, START)
    events = stream.events
    tenant, other = uuid.uuid4(), uuid.uuid4()

    # Tenant 1: shuffled, 40 % of the events delivered again (some twice), four deliveries at a time.
    order = list(range(len(events))) + [i for i in range(len(events)) if rng.random() < 0.4] * 2
    rng.shuffle(order)
    outcomes = Counter(feeder.deliver_all(_deliveries(tenant, stream, order), threads=4))
    assert outcomes == {"applied": len(events), "duplicate": len(order) - len(events)}, seed

    stored, recomputed = await _stats(analytics_db, tenant)
    _assert_same(stored, recomputed)

    # The tenant totals also match counts made here in Python from the stream itself.
    blocks = [e for e in events if e.event_type == r.BLOCK_COMPLETED]
    totals = [sum(values[i] for (dim, _, _), values in stored.items() if dim == "tenant") for i in range(11)]
    slots = {(e.payload.learner_id, slot_of(e.occurred_at)) for e in blocks}  # type: ignore[attr-defined]
    expected = {
        0: len(blocks),
        1: sum(1 for e in blocks if e.payload.completed),  # type: ignore[attr-defined]
        2: sum(1 for e in events if e.event_type == r.COURSE_COMPLETED),
        3: sum(1 for e in events if e.event_type == r.PROGRESS_RESET),
        4: sum(1 for e in events if e.event_type == r.ENROLLMENT_CREATED),
        5: sum(1 for e in events if e.event_type == r.ENROLLMENT_COMPLETED)
        - sum(1 for e in events if e.event_type == r.ENROLLMENT_REOPENED),
        6: sum(1 for e in events if e.event_type == r.MILESTONE_REACHED),
        7: sum(1 for e in events if e.event_type == r.ENROLLMENT_WITHDRAWN),
        8: SLOT_SECONDS * len(slots),
        9: sum(1 for e in blocks if e.payload.HasField("score")),  # type: ignore[attr-defined]
    }
    assert {i: totals[i] for i in expected} == expected, seed
    score_sum = sum(e.payload.score for e in blocks if e.payload.HasField("score"))  # type: ignore[attr-defined]
    assert math.isclose(totals[10], score_sum, abs_tol=1e-6)

    # The active-learner rollups equal both recomputations and counts made here from the stream.
    rollups, from_facts, from_counters = await _rollups(analytics_db, tenant)
    assert rollups == from_facts == from_counters, seed
    hours = {(e.payload.learner_id, hour_of(e.occurred_at)) for e in blocks}  # type: ignore[attr-defined]
    triples = {(o, local_day(h, o), who) for who, h in hours for o in OFFSETS}
    expected_days = Counter((o, day) for o, day, _ in triples)
    assert rollups[0] == dict(expected_days), seed
    assert len({day for (o, day) in rollups[0] if o == 0}) > 1, seed  # the stream spans several UTC days
    spans = {
        who: (min(h for w, h in hours if w == who), max(h for w, h in hours if w == who)) for who, _ in hours
    }
    assert rollups[1] == spans, seed

    # Completed enrolments are those whose last completion was not reopened, at that completion's time.
    last: dict[str, tuple[str, dt.datetime | None]] = {}
    for e in sorted(events, key=lambda e: e.occurred_at):
        if e.event_type == r.ENROLLMENT_COMPLETED:
            last[e.payload.enrollment_id] = ("completed", e.occurred_at)  # type: ignore[attr-defined]
        elif e.event_type == r.ENROLLMENT_REOPENED:
            last[e.payload.enrollment_id] = ("active", None)  # type: ignore[attr-defined]
    rows = await _read(analytics_db, tenant, "SELECT enrollment_id, state, complete_time FROM enrollments")
    assert {row[0]: (row[1], row[2]) for row in rows if row[0] in last} == last, seed

    # The trigger-kept row counts equal a count of the rows.
    for counted, sql in (
        (
            "SELECT program_id, state, count(*) FROM enrollments GROUP BY 1, 2 ORDER BY 1, 2",
            STATE_QUERIES["enrollment_counts"],
        ),
        ("SELECT active, count(*) FROM learners GROUP BY 1 ORDER BY 1", STATE_QUERIES["learner_counts"]),
    ):
        rows = await _read(analytics_db, tenant, counted)
        assert rows, seed
        assert rows == await _read(analytics_db, tenant, sql), seed

    # The trigger-kept stall buckets and program starts equal a recomputation from the merged rows.
    buckets = await _read(analytics_db, tenant, STALL_BUCKETS_RECOMPUTED)  # may be empty for some seeds
    assert buckets == await _read(analytics_db, tenant, STATE_QUERIES["stall_buckets"]), seed
    starts = await _read(analytics_db, tenant, PROGRAM_STARTS_RECOMPUTED)
    assert starts, seed
    assert starts == await _read(analytics_db, tenant, STATE_QUERIES["program_starts"]), seed

    # Tenant 2: the same events newest first, one at a time, no redeliveries: identical state everywhere.
    reverse = sorted(range(len(events)), key=lambda i: events[i].occurred_at, reverse=True)
    assert Counter(feeder.deliver_all(_deliveries(other, stream, reverse), threads=1)) == {
        "applied": len(events)
    }
    for name, sql in STATE_QUERIES.items():
        assert await _read(analytics_db, tenant, sql) == await _read(analytics_db, other, sql), (name, seed)


async def test_learner_course_follows_attempts_whatever_the_order(
    feeder: Feeder, analytics_db: ServiceDatabase
) -> None:
    from aigym.progress.v1 import events_pb2 as ge
    from services.analytics.tests.streams import stamp

    t = START
    completed = ge.CourseCompleted(learner_id="l", course_id="c", completed_at=stamp(t), attempt=1)
    reset = ge.ProgressReset(
        learner_id="l",
        course_id="c",
        reset_at=stamp(t + dt.timedelta(hours=1)),
        archived_attempt=1,
        attempt=2,
    )
    for order in ((completed, reset), (reset, completed)):
        tenant = uuid.uuid4()
        for payload in order:
            kind = r.COURSE_COMPLETED if payload is completed else r.PROGRESS_RESET
            feeder.deliver(envelope(tenant, kind, payload, t))
        rows = await _read(analytics_db, tenant, "SELECT attempt, completed FROM learner_courses")
        assert rows == [(2, False)]
