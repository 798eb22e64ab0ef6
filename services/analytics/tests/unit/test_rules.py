"""Pure rules: fact contributions, local ranges across DST, risk reasons and next-best actions."""

from __future__ import annotations

import datetime as dt
import random
import statistics

import pytest

from aigym_analytics.domain import (
    Dimension,
    Fact,
    FactKind,
    deltas,
    dimensions,
    last_stalled_day,
    resolve_range,
    slot_of,
    stall_points,
)
from aigym_analytics.insights import ActionKind, OpenEnrollment, RiskCode, assess, next_actions, rank
from aigym_platform.errors import InvalidArgument

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)


def enrollment(**kw: object) -> OpenEnrollment:
    values: dict[str, object] = {
        "enrollment_id": "e",
        "program_id": "p",
        "program_title": "P",
        "learner_id": "l",
        "start_time": NOW - dt.timedelta(days=10),
        "due_time": NOW + dt.timedelta(days=10),
        "course_ids": ("c1", "c2", "c3", "c4"),
        "completed_courses": frozenset(),
        "last_activity": NOW,
    }
    values.update(kw)
    return OpenEnrollment(**values)  # type: ignore[arg-type]


def test_a_block_fact_counts_for_tenant_learner_and_course_only() -> None:
    fact = Fact(FactKind.BLOCK, NOW, "l", "c", block_id="b", completed=True, score=0.4)
    assert dimensions(fact) == [(Dimension.TENANT, ""), (Dimension.LEARNER, "l"), (Dimension.COURSE, "c")]
    assert deltas(fact) == {"block_activities": 1, "block_completions": 1, "scored": 1, "score_sum": 0.4}
    enrolled = Fact(FactKind.ENROLLED, NOW, "l", program_id="p")
    assert dimensions(enrolled)[-1] == (Dimension.PROGRAM, "p")
    assert deltas(enrolled) == {"enrollments": 1}


def test_a_reopened_enrolment_takes_back_the_program_completion_it_reverses() -> None:
    completed = Fact(FactKind.PROGRAM_COMPLETED, NOW, "l", program_id="p")
    reopened = Fact(FactKind.REOPENED, NOW, "l", program_id="p")
    assert dimensions(reopened) == dimensions(completed)
    assert deltas(completed) == {"program_completions": 1}
    assert deltas(reopened) == {"program_completions": -1}


def test_slots_are_utc_quarter_hours() -> None:
    berlin = dt.datetime(2026, 3, 29, 3, 44, 59, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert slot_of(berlin) == dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.UTC)


def test_a_local_day_across_the_spring_change_has_23_hours() -> None:
    span = resolve_range("2026-03-29", "2026-03-29", "Europe/Berlin", NOW)
    assert span.utc_start == dt.datetime(2026, 3, 28, 23, tzinfo=dt.UTC)
    assert span.utc_end - span.utc_start == dt.timedelta(hours=23)


def test_default_range_is_thirty_days_ending_today_in_the_zone() -> None:
    late = dt.datetime(2026, 11, 26, 23, 30, tzinfo=dt.UTC)
    span = resolve_range("", "", "Asia/Tokyo", late)
    assert (span.start, span.end, len(span.days())) == (dt.date(2026, 10, 29), dt.date(2026, 11, 27), 30)


def test_range_errors_are_collected_per_field() -> None:
    with pytest.raises(InvalidArgument) as error:
        resolve_range("2026-13-01", "2026-02-30", "", NOW)
    assert {v.field for v in error.value.violations} == {"range.start_date", "range.end_date"}


def test_behind_pace_compares_time_elapsed_with_courses_done() -> None:
    behind = assess(enrollment(), 0, NOW, 14)
    assert [(r.code, r.weight) for r in behind.reasons] == [(RiskCode.BEHIND_PACE, 1.0)]
    assert "50% of the time" in behind.reasons[0].explanation
    assert "only 0%" in behind.reasons[0].explanation
    on_pace = assess(enrollment(completed_courses=frozenset({"c1", "c2"})), 0, NOW, 14)
    assert on_pace.reasons == ()


def test_overdue_replaces_pace_and_inactivity_counts_from_the_start() -> None:
    start = NOW - dt.timedelta(days=30)
    late = enrollment(due_time=NOW - dt.timedelta(days=1), last_activity=None, start_time=start)
    risk = assess(late, 5, NOW, 14)
    assert [r.code for r in risk.reasons] == [RiskCode.OVERDUE, RiskCode.INACTIVE, RiskCode.LOW_SCORES]
    assert risk.score == pytest.approx(3.0 + 2.0 + 5 / 3, abs=1e-3)
    assert "no activity since enrolling for 30 days" in risk.reasons[1].explanation


def test_ranking_drops_the_unworried_and_orders_by_score() -> None:
    calm = assess(enrollment(enrollment_id="a", completed_courses=frozenset({"c1", "c2", "c3"})), 0, NOW, 14)
    late = assess(enrollment(enrollment_id="b", due_time=NOW - dt.timedelta(days=2)), 0, NOW, 14)
    slow = assess(enrollment(enrollment_id="c"), 0, NOW, 14)
    assert [r.enrollment.enrollment_id for r in rank([calm, slow, late])] == ["b", "c"]


def test_next_actions_prefer_the_nearest_deadline_then_the_shared_course() -> None:
    soon = enrollment(
        enrollment_id="1",
        program_id="p1",
        program_title="Soon",
        due_time=NOW + dt.timedelta(days=3),
        course_ids=("a", "shared"),
    )
    later = enrollment(
        enrollment_id="2",
        program_id="p2",
        program_title="Later",
        due_time=NOW + dt.timedelta(days=40),
        course_ids=("shared", "z"),
    )
    activity = {"z": (False, NOW - dt.timedelta(days=2)), "a": (True, NOW)}
    actions = next_actions([soon, later], activity, NOW)
    assert [(a.kind, a.course_id) for a in actions] == [
        (ActionKind.NEAREST_DEADLINE, "a"),
        (ActionKind.UNBLOCKS_MOST, "shared"),
        (ActionKind.RESUME, "z"),
    ]
    assert actions[1].explanation == "shared counts toward 2 of your open programs (Later, Soon)"


def test_stall_points_take_the_median_of_grouped_idle_days() -> None:
    rng = random.Random(11)
    for _ in range(200):
        size = rng.randrange(1, 12)
        rows = [(f"c{rng.randrange(4)}", rng.randrange(7, 40), rng.randrange(0, 4)) for _ in range(size)]
        groups: dict[str, list[tuple[int, int]]] = {}
        expanded: dict[str, list[int]] = {}
        for course, idle, learners in rows:
            groups.setdefault(course, []).append((idle, learners))
            expanded.setdefault(course, []).extend([idle] * learners)
        points = stall_points(groups, limit=3)
        want = sorted(
            ((course, len(days), statistics.median(days)) for course, days in expanded.items() if days),
            key=lambda p: (-p[1], p[0]),
        )[:3]
        assert [(p.course_id, p.learners, p.median_idle_days) for p in points] == want


def test_stalled_means_seven_whole_utc_days_idle() -> None:
    late_evening = dt.datetime(2026, 11, 26, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    assert last_stalled_day(late_evening) == dt.date(2026, 11, 20)  # 27 Nov in UTC
    assert last_stalled_day(NOW) == dt.date(2026, 11, 19)
