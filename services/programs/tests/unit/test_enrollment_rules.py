"""Enrolment rules as pure functions: dates, windows, expiry, and program progress from course completions."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from aigym_platform.errors import FailedPrecondition, InvalidArgument
from aigym_programs.domain import ProgramDraft, normalise
from aigym_programs.enrollment import (
    Enrollment,
    EnrollmentDates,
    EnrollmentRules,
    EnrollmentSource,
    EnrollmentState,
    apply_course_progress,
    compute_dates,
    override_dates,
    replan,
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


def test_absolute_rules_date_every_enrolment_alike() -> None:
    deadline, cohort_end = NOW + 14 * DAY, NOW + 60 * DAY
    rules = EnrollmentRules(default_due_time=deadline, default_end_time=cohort_end)
    for start in (NOW, NOW + 3 * DAY):
        dates = compute_dates(rules, NOW, start=start)
        assert (dates.start, dates.due, dates.end) == (start, deadline, cohort_end)
    assert compute_dates(rules, NOW, due=NOW + DAY).due == NOW + DAY  # an explicit date still wins
    with pytest.raises(InvalidArgument) as late:
        compute_dates(rules, NOW, start=NOW + 20 * DAY)  # joining after the deadline
    assert [v.field for v in late.value.violations] == ["enrollment.due_time"]
    mixed = EnrollmentRules(default_due_time=deadline, default_access_duration=90 * DAY)
    assert compute_dates(mixed, NOW).end == NOW + 90 * DAY


def test_a_program_gives_each_date_rule_once() -> None:
    due = ProgramDraft("t", default_due_time=NOW, default_due_offset=DAY)
    end = ProgramDraft("t", default_end_time=NOW, default_access_duration=DAY)
    inverted = ProgramDraft("t", default_due_time=NOW + DAY, default_end_time=NOW)
    found = []
    for draft in (due, end, inverted):
        with pytest.raises(InvalidArgument) as refused:
            normalise(draft)
        found += [(v.field, v.reason) for v in refused.value.violations]
    assert found == [
        ("program.default_due_time", "DUE_RULE_TWICE"),
        ("program.default_end_time", "END_RULE_TWICE"),
        ("program.default_end_time", "END_BEFORE_DUE"),
    ]


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
    assert reset.previous_complete_time == NOW + DAY  # what enrollment_reopened reverses
    assert reset.enrollment.state is EnrollmentState.ACTIVE
    assert reset.enrollment.complete_time is None
    assert reset.enrollment.reached_milestones == ()
    again = apply_course_progress(reset.enrollment, STRUCTURE, frozenset({"A", "B", "D"}), NOW + 3 * DAY)
    assert (again.completed_now, again.reopened, again.previous_complete_time) == (True, False, None)
    assert again.enrollment.complete_time == NOW + 3 * DAY


def test_replan_to_a_version_with_a_new_course_loses_completion_and_names_the_difference() -> None:
    done = apply_course_progress(enrollment(), STRUCTURE, frozenset({"A", "B", "C"}), NOW).enrollment
    assert done.state is EnrollmentState.COMPLETED
    bigger = validate_structure(
        [
            Node("root", NodeKind.SET, rule=Rule.ALL_ANY_ORDER),
            Node("a", NodeKind.COURSE, "root", course_id="A"),
            Node("e", NodeKind.COURSE, "root", course_id="E"),
        ]
    )
    change = replan(done, STRUCTURE, bigger, 2, frozenset({"A", "B", "C"}), NOW + DAY)
    assert (change.after.program_version, change.after.state) == (2, EnrollmentState.ACTIVE)
    assert change.after.complete_time is None
    assert change.update is not None
    assert (change.update.reopened, change.update.previous_complete_time) == (True, NOW)
    assert (change.added_course_ids, change.removed_course_ids) == (
        frozenset({"E"}),
        frozenset({"B", "C", "D"}),
    )
    assert change.milestones_lost == frozenset({"core-done"})
    assert change.after.progress == pytest.approx(0.5)
    assert change.changed


def test_replan_onto_the_same_version_with_the_same_courses_changes_nothing() -> None:
    current = apply_course_progress(enrollment(), STRUCTURE, frozenset({"A"}), NOW).enrollment
    change = replan(current, STRUCTURE, STRUCTURE, 1, frozenset({"A"}), NOW + DAY)
    assert not change.changed
    assert change.milestones_gained == frozenset()


def test_date_override_replaces_only_masked_fields_and_keeps_the_order_rules() -> None:
    current = EnrollmentDates(NOW, NOW + 10 * DAY, NOW + 20 * DAY)
    later = override_dates(current, frozenset({"due_time"}), start=None, due=NOW + 15 * DAY, end=None)
    assert later == EnrollmentDates(NOW, NOW + 15 * DAY, NOW + 20 * DAY)
    cleared = override_dates(current, frozenset({"end_time"}), start=None, due=None, end=None)
    assert cleared.end is None
    with pytest.raises(InvalidArgument) as past_end:
        override_dates(current, frozenset({"due_time"}), start=None, due=NOW + 30 * DAY, end=None)
    assert past_end.value.violations[0].field == "enrollment.end_time"
    with pytest.raises(InvalidArgument) as bad_mask:
        override_dates(current, frozenset({"state"}), start=None, due=None, end=None)
    assert bad_mask.value.violations[0].field == "update_mask"
    with pytest.raises(InvalidArgument):
        override_dates(current, frozenset({"start_time"}), start=None, due=None, end=None)
