"""The path validator, rule by rule: enrolment, order, set rules, minimum scores, time, next items."""

from __future__ import annotations

import datetime as dt

import pytest

from aigym_platform.errors import NotFound
from aigym_progress.path import (
    BlockerReason,
    CourseState,
    EnrollmentStatus,
    EnrollmentView,
    LearnerState,
    NodeKind,
    PathNode,
    ProgramTree,
    Rule,
    validate_path,
)

T0 = dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def course(node_id: str, parent: str, **kw: object) -> PathNode:
    return PathNode(node_id, parent, NodeKind.COURSE, course_id=f"c-{node_id}", **kw)  # type: ignore[arg-type]


def group(node_id: str, parent: str, rule: Rule, **kw: object) -> PathNode:
    return PathNode(node_id, parent, NodeKind.SET, rule=rule, **kw)  # type: ignore[arg-type]


def milestone(node_id: str, parent: str) -> PathNode:
    return PathNode(node_id, parent, NodeKind.MILESTONE, title=node_id)


# root (in order): a, basics (any order: b1, b2), electives (2 of e1..e3), m1, points (>= 5), final
TREE = ProgramTree(
    "p-1",
    3,
    (
        group("root", "", Rule.ALL_IN_ORDER),
        course("a", "root"),
        group("basics", "root", Rule.ALL_ANY_ORDER),
        course("b1", "basics"),
        course("b2", "basics"),
        group("electives", "root", Rule.AT_LEAST_N, required_count=2),
        course("e1", "electives"),
        course("e2", "electives"),
        course("e3", "electives"),
        milestone("m1", "root"),
        group("points", "root", Rule.MIN_POINTS, required_points=5),
        course("p1", "points", points=3),
        course("p2", "points", points=2),
        course("p3", "points", points=4),
        course("final", "root", start_delay=DAY),
    ),
)


def enrolled(status: EnrollmentStatus = EnrollmentStatus.ACTIVE, **kw: object) -> EnrollmentView:
    return EnrollmentView(status, 3, kw.pop("start", T0), **kw)  # type: ignore[arg-type]


def done(*nodes: str, at: dt.datetime = T0) -> dict[str, CourseState]:
    return {f"c-{n}": CourseState(at) for n in nodes}


def check(
    item: str, courses: dict[str, CourseState] | None = None, now: dt.datetime = T0 + DAY, **kw: object
):  # type: ignore[no-untyped-def]
    state = LearnerState(kw.pop("enrollment", enrolled()), courses or {})  # type: ignore[arg-type]
    return validate_path(TREE, item, state, now, **kw)  # type: ignore[arg-type]


def reasons(decision) -> list[tuple[BlockerReason, str]]:  # type: ignore[no-untyped-def]
    return [(b.reason, b.node_id) for b in decision.blockers]


def test_the_first_course_is_open_at_enrolment_start() -> None:
    decision = check("a")
    assert (decision.allowed, decision.blockers, decision.completed, decision.version) == (True, (), False, 3)
    assert [n.node_id for n in decision.next_eligible] == ["a"]


def test_in_order_set_needs_the_previous_course() -> None:
    decision = check("b1")
    assert not decision.allowed
    assert reasons(decision) == [(BlockerReason.UNMET_PREREQUISITE, "a")]
    assert decision.blockers[0].course_id == "c-a"
    assert decision.earliest_open_time is None


def test_any_order_set_opens_all_children_together() -> None:
    for item in ("b1", "b2"):
        assert check(item, done("a")).allowed
    assert [n.node_id for n in check("a", done("a")).next_eligible] == ["b1", "b2"]


def test_a_later_sibling_waits_for_every_earlier_sibling_on_every_level() -> None:
    decision = check("e1", done("b1"))
    assert reasons(decision) == [
        (BlockerReason.UNMET_PREREQUISITE, "a"),
        (BlockerReason.SET_RULE_NOT_SATISFIED, "basics"),
    ]
    basics = decision.blockers[1]
    assert (basics.have, basics.need) == (1, 2)


def test_at_least_n_set_is_satisfied_by_n_children() -> None:
    one = check("p1", done("a", "b1", "b2", "e2"))
    assert reasons(one) == [(BlockerReason.SET_RULE_NOT_SATISFIED, "electives")]
    assert (one.blockers[0].have, one.blockers[0].need) == (1, 2)
    assert check("p1", done("a", "b1", "b2", "e2", "e3")).allowed


def test_min_points_set_counts_points_of_completed_children() -> None:
    before = done("a", "b1", "b2", "e1", "e2")
    short = check("final", {**before, **done("p2")})
    assert reasons(short) == [(BlockerReason.SET_RULE_NOT_SATISFIED, "points")]
    assert (short.blockers[0].have, short.blockers[0].need) == (2, 5)
    assert check("final", {**before, **done("p1", "p2")}, now=T0 + 2 * DAY).allowed
    assert check("final", {**before, **done("p3", "p2")}, now=T0 + 2 * DAY).allowed


def test_a_course_done_but_below_its_minimum_score_is_reported_as_such() -> None:
    courses = {"c-a": CourseState(None, score_shortfall=True)}
    assert reasons(check("b1", courses)) == [(BlockerReason.MIN_SCORE_NOT_REACHED, "a")]


def test_start_delay_counts_from_the_previous_siblings_completion() -> None:
    before = done("a", "b1", "b2", "e1", "e2", "p1", "p2", at=T0 + DAY)
    waiting = check("final", before, now=T0 + DAY + dt.timedelta(hours=1))
    assert reasons(waiting) == [(BlockerReason.NOT_YET_OPEN, "final")]
    assert waiting.earliest_open_time == T0 + 2 * DAY
    assert waiting.blockers[0].open_time == T0 + 2 * DAY
    assert check("final", before, now=T0 + 2 * DAY).allowed


def test_an_item_that_would_open_only_after_the_enrolment_ends_is_closed() -> None:
    before = done("a", "b1", "b2", "e1", "e2", "p1", "p2", at=T0 + DAY)
    ending = enrolled(end_time=T0 + DAY + dt.timedelta(hours=12))  # final opens at T0 + 2 days
    decision = check("final", before, now=T0 + DAY + dt.timedelta(hours=1), enrollment=ending)
    assert not decision.allowed
    assert reasons(decision) == [(BlockerReason.NOT_YET_OPEN, "final"), (BlockerReason.CLOSED, "final")]
    assert decision.earliest_open_time is None  # no time at which it could open
    assert "after the enrolment ends" in decision.blockers[1].message
    assert check("final", before, now=T0 + DAY + dt.timedelta(hours=1)).earliest_open_time == T0 + 2 * DAY


def test_a_what_if_at_an_earlier_time_ignores_completions_after_it() -> None:
    later = done("a", at=T0 + 5 * DAY)
    earlier = check("b1", later, now=T0 + DAY)
    assert reasons(earlier) == [(BlockerReason.UNMET_PREREQUISITE, "a")]
    assert not check("a", later, now=T0 + DAY).completed
    assert check("b1", later, now=T0 + 5 * DAY).allowed


def test_an_item_with_a_due_offset_is_due_that_long_after_the_enrolment_start() -> None:
    timed = ProgramTree(
        "p-2",
        1,
        (group("root", "", Rule.ALL_ANY_ORDER), course("x", "root", due_offset=7 * DAY), course("y", "root")),
    )
    state = LearnerState(enrolled(start=T0 + DAY), {})
    assert validate_path(timed, "x", state, T0 + 2 * DAY).due_time == T0 + 8 * DAY
    assert validate_path(timed, "x", state, T0 + 9 * DAY).allowed  # overdue, still allowed
    assert validate_path(timed, "y", state, T0 + 2 * DAY).due_time is None


def test_a_set_completes_at_its_deciding_child() -> None:
    # electives complete at the second completion (e3 on day 3), so final's delay counts from the latest
    # prerequisite in order: points completed on day 4.
    courses = {
        **done("a", "b1", "b2"),
        "c-e1": CourseState(T0 + DAY),
        "c-e3": CourseState(T0 + 3 * DAY),
        "c-e2": CourseState(None),
        "c-p1": CourseState(T0 + 4 * DAY),
        "c-p3": CourseState(T0 + 2 * DAY),
    }
    decision = check("final", courses, now=T0 + 4 * DAY)
    assert decision.earliest_open_time == T0 + 5 * DAY


def test_enrolment_start_in_the_future_is_not_yet_open() -> None:
    decision = check("a", now=T0 - DAY)
    assert reasons(decision) == [(BlockerReason.NOT_YET_OPEN, "root")]
    assert decision.earliest_open_time == T0
    assert decision.next_eligible == ()


def test_root_start_delay_shifts_everything() -> None:
    delayed = ProgramTree(
        "p-1", 1, (group("root", "", Rule.ALL_ANY_ORDER, start_delay=DAY), course("x", "root"))
    )
    state = LearnerState(enrolled())
    assert validate_path(delayed, "x", state, T0).earliest_open_time == T0 + DAY
    assert validate_path(delayed, "x", state, T0 + DAY).allowed


@pytest.mark.parametrize(
    ("enrollment", "reason"),
    [
        (None, BlockerReason.NOT_ENROLLED),
        (enrolled(EnrollmentStatus.PENDING), BlockerReason.NOT_ENROLLED),
        (enrolled(EnrollmentStatus.WITHDRAWN), BlockerReason.NOT_ENROLLED),
        (enrolled(EnrollmentStatus.EXPIRED), BlockerReason.CLOSED),
        (enrolled(end_time=T0 + dt.timedelta(hours=12)), BlockerReason.CLOSED),
    ],
)
def test_enrolment_state_gates_everything(enrollment: EnrollmentView | None, reason: BlockerReason) -> None:
    decision = check("a", enrollment=enrollment)
    assert (decision.allowed, [b.reason for b in decision.blockers]) == (False, [reason])
    assert (decision.earliest_open_time, decision.next_eligible) == (None, ())


def test_a_completed_enrolment_still_allows_review() -> None:
    everything = done("a", "b1", "b2", "e1", "e2", "p1", "p2", "final")
    decision = check("a", everything, enrollment=enrolled(EnrollmentStatus.COMPLETED))
    assert (decision.allowed, decision.completed) == (True, True)
    assert [n.node_id for n in decision.next_eligible] == ["e3", "p3"]  # not needed, still open


def test_a_milestone_needs_every_earlier_sibling() -> None:
    decision = check("m1", done("a", "b1", "b2", "e1"))
    assert reasons(decision) == [(BlockerReason.SET_RULE_NOT_SATISFIED, "electives")]
    reached = check("m1", done("a", "b1", "b2", "e1", "e2"))
    assert (reached.allowed, reached.completed) == (True, True)


def test_milestone_in_an_any_order_set_gates_on_earlier_siblings_only() -> None:
    tree = ProgramTree(
        "p-2",
        1,
        (
            group("root", "", Rule.ALL_ANY_ORDER),
            course("x", "root"),
            milestone("half", "root"),
            course("y", "root"),
        ),
    )
    state = LearnerState(enrolled())
    assert validate_path(tree, "y", state, T0).allowed  # order does not matter in the set
    assert [(b.reason, b.node_id) for b in validate_path(tree, "half", state, T0).blockers] == [
        (BlockerReason.UNMET_PREREQUISITE, "x")
    ]


def test_mixed_blockers_have_no_earliest_open_time() -> None:
    tree = ProgramTree(
        "p-3",
        1,
        (group("root", "", Rule.ALL_IN_ORDER), course("x", "root"), course("y", "root", start_delay=DAY)),
    )
    state = LearnerState(enrolled(start=T0 + DAY))
    decision = validate_path(tree, "y", state, T0)
    assert {b.reason for b in decision.blockers} == {
        BlockerReason.NOT_YET_OPEN,
        BlockerReason.UNMET_PREREQUISITE,
    }
    assert decision.earliest_open_time is None


def test_next_eligible_items_follow_program_order_and_the_limit() -> None:
    decision = check("a", done("a", "b1", "b2"))
    assert [n.node_id for n in decision.next_eligible] == ["e1", "e2", "e3"]
    assert [n.node_id for n in check("a", done("a", "b1", "b2"), next_limit=2).next_eligible] == ["e1", "e2"]


def test_unknown_items_are_not_found() -> None:
    with pytest.raises(NotFound) as missing:
        check("nope")
    assert missing.value.reason == "ITEM_NOT_FOUND"


def test_the_validator_agrees_with_a_brute_force_walk_of_an_in_order_chain() -> None:
    chain = ProgramTree(
        "p-4", 1, (group("root", "", Rule.ALL_IN_ORDER), *(course(f"n{i}", "root") for i in range(6)))
    )
    for completed in range(7):
        state = LearnerState(enrolled(), done(*(f"n{i}" for i in range(completed))))
        for i in range(6):
            decision = validate_path(chain, f"n{i}", state, T0)
            assert decision.allowed is (i <= completed), (completed, i)
            if not decision.allowed:
                assert [b.node_id for b in decision.blockers] == [f"n{j}" for j in range(completed, i)]
        expected = [f"n{completed}"] if completed < 6 else []
        assert [n.node_id for n in validate_path(chain, "n0", state, T0).next_eligible] == expected
