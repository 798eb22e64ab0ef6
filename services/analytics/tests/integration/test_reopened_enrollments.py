"""A reopened enrolment (programs' enrollment_reopened) is no longer counted as completed: the completion
it reverses is taken back from the counters of that completion's hour, the enrolment is active again, and
a later completion counts once, whatever order the events arrive in. Events go through the real consumer
path (inbox + handler); dashboards are read over gRPC with real tokens."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from typing import Any

from sqlalchemy import text

from aigym.analytics.v1 import analytics_pb2 as pb
from aigym.analytics.v1 import analytics_pb2_grpc
from aigym.programs.v1 import events_pb2 as pe
from aigym_analytics.ingest_repository import IngestRepository
from aigym_analytics.ingest_service import drift
from aigym_platform.db import create_engine, create_sessionmaker, uow_factory
from aigym_platform.events import registry as r
from aigym_platform.identity import TenantId
from aigym_platform.provisioning import ServiceDatabase
from aigym_platform.testing.tokens import TokenFactory, bearer
from services.analytics.tests.feeder import Delivery, Feeder, envelope
from services.analytics.tests.streams import stamp

Stub = analytics_pb2_grpc.AnalyticsServiceStub
NOW = dt.datetime.now(dt.UTC).replace(microsecond=123456)
SINCE = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


ENROLLED, FIRST, REOPENED, SECOND = ago(10), ago(6), ago(4), ago(1)


def setup(tenant: uuid.UUID) -> list[Delivery]:
    """The manager `mgr`, their report `lea`, program `p` and lea's enrolment `e1` (created 10 days ago)."""
    events: list[tuple[str, Any, dt.datetime]] = [
        (r.LEARNER_UPSERTED, pe.LearnerUpserted(learner_id="mgr", active=True), ago(20)),
        (r.LEARNER_UPSERTED, pe.LearnerUpserted(learner_id="lea", manager_id="mgr", active=True), ago(20)),
        (r.PROGRAM_PUBLISHED, pe.ProgramPublished(program_id="p", version=1, course_ids=["c1"]), ago(20)),
        (
            r.ENROLLMENT_CREATED,
            pe.EnrollmentCreated(
                enrollment_id="e1", program_id="p", learner_id="lea", program_version=1, state="active"
            ),
            ENROLLED,
        ),
    ]
    return [envelope(tenant, kind, payload, when) for kind, payload, when in events]


def completion(tenant: uuid.UUID, at: dt.datetime) -> Delivery:
    payload = pe.EnrollmentCompleted(
        enrollment_id="e1", program_id="p", learner_id="lea", program_version=1, completed_at=stamp(at)
    )
    return envelope(tenant, r.ENROLLMENT_COMPLETED, payload, at)


def reopening(tenant: uuid.UUID, previous: dt.datetime, at: dt.datetime) -> Delivery:
    payload = pe.EnrollmentReopened(
        enrollment_id="e1",
        program_id="p",
        learner_id="lea",
        program_version=1,
        previous_completed_at=stamp(previous),
        reopened_at=stamp(at),
        reason="progress_reset",
        progress=0.5,
    )
    return envelope(tenant, r.ENROLLMENT_REOPENED, payload, at)


async def program(stub: Stub, tokens: TokenFactory, tenant: uuid.UUID, user: str, role: str) -> Any:
    request = pb.GetProgramPerformanceRequest(
        program_id="p",
        range=pb.DateRange(
            start_date=ago(30).date().isoformat(), end_date=(NOW + dt.timedelta(days=1)).date().isoformat()
        ),
    )
    return await stub.GetProgramPerformance(request, metadata=bearer(tokens.token(tenant, [role], user=user)))


async def completions_seen(stub: Stub, tokens: TokenFactory, tenant: uuid.UUID) -> dict[str, Any]:
    """What the dashboards say about lea's completions, for the tenant (counters) and her manager (facts)."""
    admin = await program(stub, tokens, tenant, "admin", "client_admin")
    team = await program(stub, tokens, tenant, "mgr", "manager")
    funnel = {step.key: step.enrollments for step in admin.funnel}
    return {
        "per_day": {p.date: p.program_completions for p in admin.points if p.program_completions},
        "team_per_day": {p.date: p.program_completions for p in team.points if p.program_completions},
        "completed": funnel["completed"],
        "rate": admin.completion_rate,
        "median_days": round(admin.median_days_to_complete, 3),
        "states": {s.state: s.count for s in admin.enrollments_by_state if s.count},
    }


async def enrollment_row(db: ServiceDatabase, tenant: uuid.UUID) -> tuple[Any, ...]:
    engine = create_engine(db.app_url, pool_size=1, max_overflow=0)
    try:
        async with uow_factory(create_sessionmaker(engine))(TenantId(tenant), None) as uow:
            row = (
                await uow.session.execute(
                    text("SELECT state, complete_time FROM enrollments WHERE enrollment_id = 'e1'")
                )
            ).one()
            repo = IngestRepository(uow.session, TenantId(tenant))
            assert drift(await repo.stored_stats(SINCE), await repo.recomputed_stats(SINCE)) == {}
            return tuple(row)
    finally:
        await engine.dispose()


def day(at: dt.datetime) -> str:
    return at.date().isoformat()


async def test_a_reopened_completion_is_taken_back_and_the_next_completion_counts_once(
    analytics_stub: Stub,
    feeder: Feeder,
    token_factory: TokenFactory,
    tenant: uuid.UUID,
    analytics_db: ServiceDatabase,
) -> None:
    assert {feeder.deliver(d) for d in [*setup(tenant), completion(tenant, FIRST)]} == {"applied"}
    assert await completions_seen(analytics_stub, token_factory, tenant) == {
        "per_day": {day(FIRST): 1},
        "team_per_day": {day(FIRST): 1},
        "completed": 1,
        "rate": 1.0,
        "median_days": 4.0,
        "states": {"completed": 1},
    }

    reopened = reopening(tenant, FIRST, REOPENED)
    assert feeder.deliver(reopened) == "applied"
    taken_back = {
        "per_day": {},
        "team_per_day": {},
        "completed": 0,
        "rate": 0.0,
        "median_days": 0.0,
        "states": {"active": 1},
    }
    assert await completions_seen(analytics_stub, token_factory, tenant) == taken_back
    assert await enrollment_row(analytics_db, tenant) == ("active", None)
    assert feeder.deliver(reopened) == "duplicate"  # redelivery changes nothing
    assert await completions_seen(analytics_stub, token_factory, tenant) == taken_back

    assert feeder.deliver(completion(tenant, SECOND)) == "applied"
    assert await completions_seen(analytics_stub, token_factory, tenant) == {
        "per_day": {day(SECOND): 1},
        "team_per_day": {day(SECOND): 1},
        "completed": 1,
        "rate": 1.0,
        "median_days": 9.0,
        "states": {"completed": 1},
    }
    assert await enrollment_row(analytics_db, tenant) == ("completed", SECOND)


async def test_the_outcome_does_not_depend_on_the_order_the_events_arrive_in(
    analytics_stub: Stub, feeder: Feeder, token_factory: TokenFactory, analytics_db: ServiceDatabase
) -> None:
    for events in ("first, reopened", "first, reopened, second"):
        for order in itertools.permutations(events.split(", ")):
            tenant = uuid.uuid4()
            deliveries = {
                "first": completion(tenant, FIRST),
                "reopened": reopening(tenant, FIRST, REOPENED),
                "second": completion(tenant, SECOND),
            }
            assert {feeder.deliver(d) for d in setup(tenant)} == {"applied"}
            assert {feeder.deliver(deliveries[name]) for name in order} == {"applied"}
            seen = await completions_seen(analytics_stub, token_factory, tenant)
            row = await enrollment_row(analytics_db, tenant)
            if "second" in order:
                assert (seen["per_day"], seen["team_per_day"]) == ({day(SECOND): 1}, {day(SECOND): 1}), order
                assert (seen["states"], row) == ({"completed": 1}, ("completed", SECOND)), order
            else:
                assert (seen["per_day"], seen["team_per_day"]) == ({}, {}), order
                assert (seen["states"], row) == ({"active": 1}, ("active", None)), order
