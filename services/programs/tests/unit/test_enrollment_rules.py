"""Enrolment rules as pure functions: dates, windows, expiry, and program progress from course completions."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from aigym_platform.errors import FailedPrecondition, InvalidArgument
from aigym_programs.enrollment import (
    Enrollment,
    EnrollmentDates,
    EnrollmentRules,
    EnrollmentSource,
    EnrollmentState,
    apply_course_progress,
    compute_dates,
)
from aigym_programs.structure import Node, NodeKind, Rule, validate_structure

NOW = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def enrollment(state: EnrollmentState = EnrollmentState.ACTIVE, end: dt.datetime | None = None) -> Enrollment:
    dates = EnrollmentDates(NOW, NOW + 10 * DAY, end)
    return Enrollment(uuid.uuid4(), uuid.uuid4(), "lea", state, 1, dates, EnrollmentSource.ADMIN, NOW)


STRUCTURE = validate_structure(
    [
        Node("root", NodeKind.SET, rule=Rule.ALL_IN_ORDER),
        Node("core", NodeKind.SET, "root", rule=Rule.ALL_ANY_ORDER),
        Node("a", NodeKind.COURSE, "core", course_id="A"),
        Node("b", NodeKind.COURSE, "core", course_id="B"),
        Node("core-done", NodeKind.MILESTONE, "root", title="Core done"),
        Node("extra", NodeKind.SET, "root", rule=Rule.AT_LEAST_N, required_count=1),
        Node("c", NodeKind.COURSE, "extra", course_id="C"),
        Node("d", NodeKind.COURSE, "extra", course_id="D"),
    ]
)


def test_dates_default_from_rules_and_overrides_are_checked() -> None:
    rules = EnrollmentRules(default_due_offset=30 * DAY, default_access_duration=90 * DAY)
    dates = compute_dates(rules, NOW)
    assert (dates.start, dates.due, dates.end) == (NOW, NOW + 30 * DAY, NOW + 90 * DAY)
    assert compute_dates(rules, NOW, due=NOW + DAY).due == NOW + DAY
    with pytest.raises(InvalidArgument) as error:
        compute_dates(rules, NOW, end=NOW + DAY)  # ends before the default due time
    assert [v.field for v in error.value.violations] == ["enrollment.end_time"]


def test_window_and_expiry() -> None:
    with pytest.raises(FailedPrecondition):
        EnrollmentRules(open_time=NOW + DAY).check_window(NOW)
    with pytest.raises(FailedPrecondition):
        EnrollmentRules(close_time=NOW).check_window(NOW)
    EnrollmentRules(open_time=NOW - DAY, close_time=NOW + DAY).check_window(NOW)
    ended = enrollment(end=NOW + DAY)
    assert ended.effective_state(NOW) is EnrollmentState.ACTIVE
    assert ended.effective_state(NOW + 2 * DAY) is EnrollmentState.EXPIRED
    assert ended.is_overdue(NOW + 11 * DAY) is False  # expired, not overdue
    assert enrollment().is_overdue(NOW + 11 * DAY)


def test_progress_milestones_and_completion() -> None:
    step = apply_course_progress(enrollment(), STRUCTURE, frozenset({"A", "NOT-IN-PROGRAM"}), NOW)
    assert step.enrollment.completed_course_ids == ("A",)
    assert step.enrollment.progress == pytest.approx(0.25)  # root = mean(core 1/2, extra 0)
    assert not step.new_milestones
    step = apply_course_progress(step.enrollment, STRUCTURE, frozenset({"A", "B"}), NOW)
    assert step.new_milestones == {"core-done"}
    assert not step.completed_now
    done = apply_course_progress(step.enrollment, STRUCTURE, frozenset({"A", "B", "D"}), NOW + DAY)
    assert done.completed_now
    assert done.enrollment.state is EnrollmentState.COMPLETED
    assert done.enrollment.complete_time == NOW + DAY
    assert done.enrollment.progress == 1.0
    reset = apply_course_progress(done.enrollment, STRUCTURE, frozenset({"B", "D"}), NOW + 2 * DAY)
    assert reset.reopened
    assert reset.enrollment.state is EnrollmentState.ACTIVE
    assert reset.enrollment.complete_time is None
    assert reset.enrollment.reached_milestones == ()
