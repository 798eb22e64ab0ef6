"""Dashboards and insights through the real server: role scoping, time zones, validation, insights.

Data arrives as events through the real consumer path (`Feeder`), then is read over gRPC with real tokens.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from aigym.analytics.v1 import analytics_pb2 as pb
from aigym.analytics.v1 import analytics_pb2_grpc
from aigym.programs.v1 import events_pb2 as pe
from aigym.progress.v1 import events_pb2 as ge
from aigym_platform.events import registry as r
from aigym_platform.testing.tokens import TokenFactory, bearer
from services.analytics.tests.feeder import Feeder, envelope
from services.analytics.tests.streams import stamp

Stub = analytics_pb2_grpc.AnalyticsServiceStub
NOW = dt.datetime.now(dt.UTC)


def violations(error: grpc.aio.AioRpcError) -> dict[str, str]:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None
    found = {}
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            found.update({v.field: v.reason for v in bad.field_violations})
    return found


def ago(days: float) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


def span(days: int = 30, time_zone: str = "UTC") -> pb.DateRange:
    end = NOW.date() + dt.timedelta(days=1)
    return pb.DateRange(
        start_date=(end - dt.timedelta(days=days)).isoformat(), end_date=end.isoformat(), time_zone=time_zone
    )


def seed(feeder: Feeder, tenant: uuid.UUID) -> None:
    """boss -> m1 -> l1, boss -> l2; l3 reports to nobody. Program p (c1, c2); every learner enrolled."""
    events: list[tuple[str, Any, dt.datetime]] = []

    def add(kind: str, payload: Any, when: dt.datetime) -> None:
        events.append((kind, payload, when))

    for learner, manager in (("boss", ""), ("m1", "boss"), ("l1", "m1"), ("l2", "boss"), ("l3", "")):
        add(
            r.LEARNER_UPSERTED,
            pe.LearnerUpserted(
                learner_id=learner, display_name=learner.upper(), manager_id=manager, active=True
            ),
            ago(10),
        )
    add(
        r.PROGRAM_PUBLISHED,
        pe.ProgramPublished(program_id="p", version=1, title="Program P", course_ids=["c1", "c2"]),
        ago(10),
    )
    for learner, due in (("l1", ago(2)), ("l2", ago(-20)), ("l3", ago(-30))):
        add(
            r.ENROLLMENT_CREATED,
            pe.EnrollmentCreated(
                enrollment_id=f"e-{learner}",
                program_id="p",
                learner_id=learner,
                program_version=1,
                state="active",
                start_time=stamp(ago(5)),
                due_time=stamp(due),
            ),
            ago(5),
        )
    for i, score in enumerate((0.2, 0.3, 0.1)):  # l1: three low scores four days ago, then nothing
        add(
            r.BLOCK_COMPLETED,
            ge.BlockCompleted(
                learner_id="l1",
                course_id="c1",
                block_id=f"q{i}",
                value=1,
                score=score,
                completed=False,
                completed_at=stamp(ago(4)),
                attempt=1,
            ),
            ago(4),
        )
    for course in ("c1", "c2"):  # l2 finishes the program
        add(
            r.BLOCK_COMPLETED,
            ge.BlockCompleted(
                learner_id="l2",
                course_id=course,
                block_id="b0",
                value=1,
                completed=True,
                completed_at=stamp(ago(3)),
                attempt=1,
            ),
            ago(3),
        )
        add(
            r.COURSE_COMPLETED,
            ge.CourseCompleted(learner_id="l2", course_id=course, completed_at=stamp(ago(3)), attempt=1),
            ago(3),
        )
    add(
        r.MILESTONE_REACHED,
        pe.MilestoneReached(
            enrollment_id="e-l2", program_id="p", learner_id="l2", node_id="half", reached_at=stamp(ago(3))
        ),
        ago(3),
    )
    add(
        r.ENROLLMENT_COMPLETED,
        pe.EnrollmentCompleted(
            enrollment_id="e-l2", program_id="p", learner_id="l2", completed_at=stamp(ago(3))
        ),
        ago(3),
    )
    add(
        r.BLOCK_COMPLETED,
        ge.BlockCompleted(
            learner_id="l3",
            course_id="c2",
            block_id="b0",
            value=0.5,
            completed=False,
            completed_at=stamp(ago(0.01)),
            attempt=1,
        ),
        ago(0.01),
    )
    feeder.deliver_all([envelope(tenant, kind, payload, when) for kind, payload, when in events])


def who(tokens: TokenFactory, tenant: uuid.UUID, user: str, role: str = "learner") -> Any:
    return bearer(tokens.token(tenant, [role], user=user))


async def test_overview_is_scoped_by_role(
    analytics_stub: Stub, feeder: Feeder, token_factory: TokenFactory, tenant: uuid.UUID
) -> None:
    seed(feeder, tenant)
    request = pb.GetOverviewRequest(range=span())

    async def totals(user: str, role: str) -> pb.Overview:
        return await analytics_stub.GetOverview(request, metadata=who(token_factory, tenant, user, role))

    admin = await totals("admin", "client_admin")
    assert admin.scope == pb.SCOPE_TENANT
    assert (admin.totals.block_activities, admin.totals.course_completions) == (6, 2)
    assert admin.totals.active_learners == 3
    assert {s.state: s.count for s in admin.enrollments_by_state} == {
        "pending_approval": 0,
        "active": 2,
        "completed": 1,
        "withdrawn": 0,
    }
    assert admin.learners_in_scope == 5
    assert len(admin.points) == 31
    assert sum(p.block_activities for p in admin.points) == 6

    boss = await totals("boss", "manager")  # m1, l1 (through m1) and l2
    assert boss.scope == pb.SCOPE_TEAM
    assert (boss.totals.block_activities, boss.totals.active_learners, boss.learners_in_scope) == (5, 2, 3)
    m1 = await totals("m1", "manager")
    assert (m1.totals.block_activities, m1.learners_in_scope) == (3, 1)
    assert m1.totals.average_score == pytest.approx(0.2)
    own = await totals("l3", "learner")
    assert own.scope == pb.SCOPE_SELF
    assert (own.totals.block_activities, own.totals.time_on_task_seconds) == (1, 900)
    assert {s.state: s.count for s in own.enrollments_by_state}["active"] == 1


async def test_learner_summary_needs_the_learner_in_scope(
    analytics_stub: Stub, feeder: Feeder, token_factory: TokenFactory, tenant: uuid.UUID
) -> None:
    seed(feeder, tenant)
    mine = await analytics_stub.GetLearnerSummary(
        pb.GetLearnerSummaryRequest(learner_id="me", range=span()), metadata=who(token_factory, tenant, "l2")
    )
    assert (mine.learner_id, mine.display_name, mine.courses_completed) == ("l2", "L2", 2)
    assert [(e.program_id, e.state, e.progress) for e in mine.enrollments] == [("p", "completed", 1.0)]
    team = await analytics_stub.GetLearnerSummary(
        pb.GetLearnerSummaryRequest(learner_id="l1", range=span()),
        metadata=who(token_factory, tenant, "boss", "manager"),
    )
    assert team.enrollments[0].overdue
    assert team.totals.block_activities == 3
    for user, role, learner in (("l1", "learner", "l2"), ("boss", "manager", "l3"), ("m1", "manager", "l2")):
        with pytest.raises(grpc.aio.AioRpcError) as denied:
            await analytics_stub.GetLearnerSummary(
                pb.GetLearnerSummaryRequest(learner_id=learner),
                metadata=who(token_factory, tenant, user, role),
            )
        assert denied.value.code() is grpc.StatusCode.PERMISSION_DENIED


async def test_program_performance_funnel_overdue_and_scope(
    analytics_stub: Stub, feeder: Feeder, token_factory: TokenFactory, tenant: uuid.UUID
) -> None:
    seed(feeder, tenant)
    request = pb.GetProgramPerformanceRequest(program_id="p", range=span())
    admin = await analytics_stub.GetProgramPerformance(
        request, metadata=who(token_factory, tenant, "a", "client_admin")
    )
    assert admin.title == "Program P"
    assert [(s.key, s.enrollments) for s in admin.funnel] == [
        ("enrolled", 3),
        ("started", 3),
        ("milestone:half", 1),
        ("completed", 1),
    ]
    assert admin.completion_rate == pytest.approx(1 / 3)
    assert admin.median_days_to_complete == pytest.approx(2.0, abs=0.01)
    assert admin.overdue == 1
    assert sum(p.enrollments for p in admin.points) == 3
    assert sum(p.program_completions for p in admin.points) == 1
    m1 = await analytics_stub.GetProgramPerformance(
        request, metadata=who(token_factory, tenant, "m1", "manager")
    )
    assert (m1.scope, m1.funnel[0].enrollments, m1.overdue, m1.completion_rate) == (pb.SCOPE_TEAM, 1, 1, 0.0)
    with pytest.raises(grpc.aio.AioRpcError) as denied:
        await analytics_stub.GetProgramPerformance(request, metadata=who(token_factory, tenant, "l1"))
    assert denied.value.code() is grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await analytics_stub.GetProgramPerformance(
            pb.GetProgramPerformanceRequest(program_id="nope"),
            metadata=who(token_factory, tenant, "a", "client_admin"),
        )
    assert missing.value.code() is grpc.StatusCode.NOT_FOUND


def block(learner: str, course: str, days_ago: float) -> tuple[str, Any, dt.datetime]:
    when = ago(days_ago)
    payload = ge.BlockCompleted(
        learner_id=learner, course_id=course, block_id="b", value=1, completed_at=stamp(when), attempt=1
    )
    return r.BLOCK_COMPLETED, payload, when


def enrolment(enrollment_id: str, learner: str) -> tuple[str, Any, dt.datetime]:
    payload = pe.EnrollmentCreated(
        enrollment_id=enrollment_id, program_id="s", learner_id=learner, program_version=1, state="active"
    )
    return r.ENROLLMENT_CREATED, payload, ago(40)


def program(version: int, *courses: str) -> tuple[str, Any, dt.datetime]:
    payload = pe.ProgramPublished(program_id="s", version=version, course_ids=list(courses))
    return r.PROGRAM_PUBLISHED, payload, ago(45 if version == 1 else 1)


async def test_stall_points_count_idle_learners_of_active_enrolments(
    analytics_stub: Stub, feeder: Feeder, token_factory: TokenFactory, tenant: uuid.UUID
) -> None:
    """Learners of active enrolments idle 7+ whole days in a course of the program they have not completed,
    per course with their median idle days; the funnel's `started` counts enrolments whose learner worked on
    a course of the program. Events arrive oldest first, so the course list with c3 comes after the activity
    in c3 it covers."""
    directory = [
        (r.LEARNER_UPSERTED, pe.LearnerUpserted(learner_id=learner, manager_id=boss, active=True), ago(50))
        for learner, boss in (("mgr", ""), ("a", "mgr"), ("c", "mgr"))
    ]
    withdrawn = pe.EnrollmentWithdrawn(enrollment_id="ed", program_id="s", learner_id="d")
    completed = ge.CourseCompleted(learner_id="b", course_id="c2", attempt=1, completed_at=stamp(ago(20)))
    events = [
        *directory,
        program(1, "c1", "c2"),
        program(2, "c1", "c2", "c3"),
        enrolment("ea", "a"),
        enrolment("eb", "b"),
        enrolment("ec", "c"),
        enrolment("ed", "d"),
        (r.ENROLLMENT_WITHDRAWN, withdrawn, ago(35)),
        enrolment("ee1", "e"),
        enrolment("ee2", "e"),
        enrolment("ef", "f"),
        enrolment("eg", "g"),
        block("a", "c1", 10),  # stalled in c1 for 10 days
        block("a", "c2", 3),  # active in c2 lately: not stalled there
        block("b", "c1", 8.5),
        block("b", "c2", 20),
        (r.COURSE_COMPLETED, completed, ago(20)),
        block("c", "c1", 30),
        block("c", "c1", 20),  # the latest activity counts
        block("d", "c1", 30),  # withdrawn: not counted, but started
        block("e", "c2", 15),  # two active enrolments: one learner
        block("f", "c3", 12),  # c3 joined the program with version 2
        block("f", "c9", 12),  # not a course of the program
    ]
    events.sort(key=lambda event: event[2])
    feeder.deliver_all([envelope(tenant, kind, payload, when) for kind, payload, when in events])
    request = pb.GetProgramPerformanceRequest(
        program_id="s",
        range=pb.DateRange(
            start_date=(NOW - dt.timedelta(days=60)).date().isoformat(),
            end_date=(NOW + dt.timedelta(days=1)).date().isoformat(),
        ),
    )

    admin = await analytics_stub.GetProgramPerformance(
        request, metadata=who(token_factory, tenant, "admin", "client_admin")
    )
    assert [(p.course_id, p.stalled_learners, p.median_idle_days) for p in admin.stall_points] == [
        ("c1", 3, 10.0),
        ("c2", 1, 15.0),
        ("c3", 1, 12.0),
    ]
    assert [(s.key, s.enrollments) for s in admin.funnel][:2] == [("enrolled", 8), ("started", 7)]

    team = await analytics_stub.GetProgramPerformance(
        request, metadata=who(token_factory, tenant, "mgr", "manager")
    )
    assert [(p.course_id, p.stalled_learners, p.median_idle_days) for p in team.stall_points] == [
        ("c1", 2, 15.0)
    ]
    assert [(s.key, s.enrollments) for s in team.funnel][:2] == [("enrolled", 2), ("started", 2)]


async def test_course_engagement_counts_blocks_and_scores(
    analytics_stub: Stub, feeder: Feeder, token_factory: TokenFactory, tenant: uuid.UUID
) -> None:
    seed(feeder, tenant)
    admin = await analytics_stub.GetCourseEngagement(
        pb.GetCourseEngagementRequest(course_id="c1", range=span()),
        metadata=who(token_factory, tenant, "a", "client_admin"),
    )
    assert (admin.totals.block_activities, admin.totals.active_learners, admin.totals.course_completions) == (
        4,
        2,
        1,
    )
    assert admin.totals.time_on_task_seconds == 1800  # l1's and l2's quarter hours
    assert [(b.block_id, b.activities, b.learners) for b in admin.blocks] == [
        ("b0", 1, 1),
        ("q0", 1, 1),
        ("q1", 1, 1),
        ("q2", 1, 1),
    ]
    assert {b.block_id: b.average_score for b in admin.blocks}["q2"] == pytest.approx(0.1)
    team = await analytics_stub.GetCourseEngagement(
        pb.GetCourseEngagementRequest(course_id="c1", range=span()),
        metadata=who(token_factory, tenant, "m1", "manager"),
    )
    assert (team.totals.block_activities, team.totals.active_learners, team.totals.time_on_task_seconds) == (
        3,
        1,
        900,
    )


async def test_days_are_counted_in_the_requested_time_zone(
    analytics_stub: Stub, feeder: Feeder, token_factory: TokenFactory, tenant: uuid.UUID
) -> None:
    late = dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC)  # 00:30 on 2 March in Berlin
    feeder.deliver(
        envelope(
            tenant,
            r.BLOCK_COMPLETED,
            ge.BlockCompleted(
                learner_id="x",
                course_id="c",
                block_id="b",
                value=1,
                completed=True,
                completed_at=stamp(late),
                attempt=1,
            ),
            late,
        )
    )
    admin = who(token_factory, tenant, "a", "client_admin")
    for zone, day in (
        ("UTC", "2026-03-01"),
        ("Europe/Berlin", "2026-03-02"),
        ("America/New_York", "2026-03-01"),
    ):
        got = await analytics_stub.GetOverview(
            pb.GetOverviewRequest(
                range=pb.DateRange(start_date="2026-02-28", end_date="2026-03-03", time_zone=zone)
            ),
            metadata=admin,
        )
        assert [p.date for p in got.points if p.block_activities] == [day], zone
        assert got.range.time_zone == zone


async def test_invalid_ranges_name_the_field(
    analytics_stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID
) -> None:
    admin = who(token_factory, tenant, "a", "client_admin")
    cases = [
        (pb.DateRange(start_date="2026-03-02", end_date="2026-03-01"), "range.start_date", "RANGE_REVERSED"),
        (pb.DateRange(start_date="2025-01-01", end_date="2026-03-01"), "range.end_date", "RANGE_TOO_LONG"),
        (pb.DateRange(time_zone="Mars/Olympus"), "range.time_zone", "UNKNOWN_TIME_ZONE"),
        (pb.DateRange(start_date="2026-02-30"), "range.start_date", "INVALID_DATE"),
    ]
    for bad, field, reason in cases:
        with pytest.raises(grpc.aio.AioRpcError) as error:
            await analytics_stub.GetOverview(pb.GetOverviewRequest(range=bad), metadata=admin)
        assert error.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert violations(error.value) == {field: reason}
    with pytest.raises(grpc.aio.AioRpcError) as schema:
        await analytics_stub.GetOverview(
            pb.GetOverviewRequest(range=pb.DateRange(end_date="1 March")), metadata=admin
        )
    assert schema.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "range.end_date" in violations(schema.value)


async def test_at_risk_learners_are_ranked_with_explained_reasons(
    analytics_stub: Stub, feeder: Feeder, token_factory: TokenFactory, tenant: uuid.UUID
) -> None:
    seed(feeder, tenant)
    admin = await analytics_stub.ListAtRiskLearners(
        pb.ListAtRiskLearnersRequest(inactive_days=3),
        metadata=who(token_factory, tenant, "a", "client_admin"),
    )
    assert [a.learner_id for a in admin.learners] == ["l1"]  # l2 completed; l3 active today, on pace
    l1 = admin.learners[0]
    codes = [reason.code for reason in l1.reasons]
    assert codes[0] == pb.RISK_REASON_CODE_OVERDUE
    assert set(codes) == {
        pb.RISK_REASON_CODE_OVERDUE,
        pb.RISK_REASON_CODE_LOW_SCORES,
        pb.RISK_REASON_CODE_INACTIVE,
    }
    assert l1.risk_score == pytest.approx(sum(reason.weight for reason in l1.reasons))
    assert "3 scores below 50%" in next(
        x.explanation for x in l1.reasons if x.code == pb.RISK_REASON_CODE_LOW_SCORES
    )
    assert "for 4 days (threshold 3)" in next(
        x.explanation for x in l1.reasons if x.code == pb.RISK_REASON_CODE_INACTIVE
    )
    assert (l1.display_name, l1.progress) == ("L1", 0.0)
    boss = await analytics_stub.ListAtRiskLearners(
        pb.ListAtRiskLearnersRequest(inactive_days=3), metadata=who(token_factory, tenant, "l2", "manager")
    )
    assert (boss.scope, list(boss.learners)) == (pb.SCOPE_TEAM, [])  # l2 manages nobody
    with pytest.raises(grpc.aio.AioRpcError) as bad:
        await analytics_stub.ListAtRiskLearners(
            pb.ListAtRiskLearnersRequest(page_token="x"),
            metadata=who(token_factory, tenant, "a", "client_admin"),
        )
    assert violations(bad.value) == {"page_token": "INVALID_PAGE_TOKEN"}


async def test_recommendations_explain_the_next_step(
    analytics_stub: Stub, feeder: Feeder, token_factory: TokenFactory, tenant: uuid.UUID
) -> None:
    seed(feeder, tenant)
    got = await analytics_stub.ListRecommendations(
        pb.ListRecommendationsRequest(learner_id="me"), metadata=who(token_factory, tenant, "l1")
    )
    kinds = [(rec.kind, rec.course_id) for rec in got.recommendations]
    assert kinds[0] == (pb.RECOMMENDATION_KIND_NEAREST_DEADLINE, "c1")
    assert "Program P was due 2 days ago and has 2 of 2 courses left" in got.recommendations[0].explanation
    with pytest.raises(grpc.aio.AioRpcError) as denied:
        await analytics_stub.ListRecommendations(
            pb.ListRecommendationsRequest(learner_id="l1"), metadata=who(token_factory, tenant, "l3")
        )
    assert denied.value.code() is grpc.StatusCode.PERMISSION_DENIED
