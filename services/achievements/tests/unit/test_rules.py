"""Unit tests of the rule language: validation paths and the evaluator, one kind at a time."""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import pytest

from aigym_achievements.rules import (
    AllOf,
    AnyOf,
    Context,
    Count,
    CourseCompleted,
    Fact,
    FactType,
    Filter,
    MilestoneReached,
    MinScore,
    NOfM,
    ProgramCompleted,
    Rule,
    Streak,
    evaluate,
    fact_types,
    requires_program_scope,
    rule_from_json,
    rule_to_json,
    validate_rule,
)

T0 = dt.datetime(2026, 11, 2, 12, 0, tzinfo=dt.UTC)


def block(at: dt.datetime, course: str = "c1", block_id: str = "b1", score: float | None = None) -> Fact:
    return Fact(
        str(uuid.uuid4()), FactType.BLOCK_COMPLETED, at, {"course_id": course, "block_id": block_id}, score
    )


def course(at: dt.datetime, course_id: str = "c1") -> Fact:
    return Fact(str(uuid.uuid4()), FactType.COURSE_COMPLETED, at, {"course_id": course_id})


def milestone(at: dt.datetime, program: str = "p1", node: str = "m1") -> Fact:
    return Fact(str(uuid.uuid4()), FactType.MILESTONE_REACHED, at, {"program_id": program, "node_id": node})


def program_done(at: dt.datetime, program: str = "p1") -> Fact:
    return Fact(str(uuid.uuid4()), FactType.PROGRAM_COMPLETED, at, {"program_id": program})


# --- counts and thresholds ------------------------------------------------------------------------------


def test_count_needs_the_threshold_and_reports_progress() -> None:
    rule = Count(FactType.BLOCK_COMPLETED, min_count=3)
    facts = [block(T0 + dt.timedelta(hours=i)) for i in range(2)]
    short = evaluate(rule, facts)
    assert (short.satisfied, short.progress, short.evidence) == (False, pytest.approx(2 / 3), ())
    third = block(T0 + dt.timedelta(hours=5))
    done = evaluate(rule, [*facts, third])
    assert done.satisfied
    assert done.progress == 1.0
    assert done.evidence == (facts[0].event_id, facts[1].event_id, third.event_id)


def test_count_evidence_is_the_earliest_facts_in_time_order_whatever_the_input_order() -> None:
    facts = [block(T0 + dt.timedelta(minutes=m)) for m in (30, 10, 20)]
    outcome = evaluate(Count(FactType.BLOCK_COMPLETED, min_count=2), facts)
    assert outcome.evidence == (facts[1].event_id, facts[2].event_id)


def test_count_ignores_other_fact_types() -> None:
    outcome = evaluate(Count(FactType.BLOCK_COMPLETED), [course(T0), milestone(T0)])
    assert not outcome.satisfied


def test_filters_must_all_match_and_accept_any_listed_value() -> None:
    rule = Count(
        FactType.BLOCK_COMPLETED,
        (Filter("course_id", ("c1", "c2")), Filter("block_id", ("quiz",))),
        min_count=2,
    )
    facts = [block(T0, "c1", "quiz"), block(T0, "c3", "quiz"), block(T0, "c2", "video")]
    assert not evaluate(rule, facts).satisfied
    assert evaluate(rule, [*facts, block(T0, "c2", "quiz")]).satisfied


def test_time_window_needs_all_facts_within_one_window() -> None:
    rule = Count(FactType.COURSE_COMPLETED, min_count=3, within=dt.timedelta(days=30))
    spread = [course(T0), course(T0 + dt.timedelta(days=20)), course(T0 + dt.timedelta(days=40))]
    outcome = evaluate(rule, spread)
    assert not outcome.satisfied
    assert outcome.progress == pytest.approx(2 / 3)
    late = course(T0 + dt.timedelta(days=45))
    window = evaluate(rule, [*spread, late])
    assert window.satisfied
    assert window.evidence == (spread[1].event_id, spread[2].event_id, late.event_id)


def test_time_window_boundary_is_inclusive() -> None:
    rule = Count(FactType.COURSE_COMPLETED, min_count=2, within=dt.timedelta(days=1))
    assert evaluate(rule, [course(T0), course(T0 + dt.timedelta(days=1))]).satisfied
    assert not evaluate(rule, [course(T0), course(T0 + dt.timedelta(days=1, seconds=1))]).satisfied


# --- streaks --------------------------------------------------------------------------------------------


def test_streak_needs_consecutive_days() -> None:
    rule = Streak(FactType.BLOCK_COMPLETED, days=3)
    gap = [block(T0), block(T0 + dt.timedelta(days=1)), block(T0 + dt.timedelta(days=3))]
    outcome = evaluate(rule, gap)
    assert not outcome.satisfied
    assert outcome.progress == pytest.approx(2 / 3)
    filled = block(T0 + dt.timedelta(days=2))
    done = evaluate(rule, [*gap, filled])
    assert done.satisfied
    assert done.evidence == (gap[0].event_id, gap[1].event_id, filled.event_id)


def test_streak_counts_a_day_once_however_many_facts_it_has() -> None:
    rule = Streak(FactType.BLOCK_COMPLETED, days=2)
    same_day = [block(T0 + dt.timedelta(minutes=m)) for m in range(5)]
    assert not evaluate(rule, same_day).satisfied


def test_streak_days_are_the_learners_calendar_days() -> None:
    # 23:30 UTC and 00:30 UTC the next night are consecutive UTC days but the same day in New York
    # (18:30 and 19:30 local), and the same instants are consecutive days in Tokyo only if they cross
    # its midnight (08:30 and 09:30 local: same day).
    late = dt.datetime(2026, 11, 2, 23, 30, tzinfo=dt.UTC)
    facts = [block(late), block(late + dt.timedelta(hours=1))]
    rule = Streak(FactType.BLOCK_COMPLETED, days=2)
    assert evaluate(rule, facts, Context(dt.UTC)).satisfied
    assert not evaluate(rule, facts, Context(ZoneInfo("America/New_York"))).satisfied
    # 14:30 and 15:30 UTC are 23:30 and 00:30 in Tokyo: consecutive there, the same day in UTC.
    afternoon = dt.datetime(2026, 11, 2, 14, 30, tzinfo=dt.UTC)
    tokyo = [block(afternoon), block(afternoon + dt.timedelta(hours=1))]
    assert evaluate(rule, tokyo, Context(ZoneInfo("Asia/Tokyo"))).satisfied
    assert not evaluate(rule, tokyo, Context(dt.UTC)).satisfied


def test_streak_respects_filters() -> None:
    rule = Streak(FactType.BLOCK_COMPLETED, (Filter("course_id", ("c1",)),), days=2)
    facts = [block(T0, "c1"), block(T0 + dt.timedelta(days=1), "c2")]
    assert not evaluate(rule, facts).satisfied


# --- milestones, programs, courses, scores --------------------------------------------------------------


def test_milestone_matches_program_and_node() -> None:
    assert evaluate(MilestoneReached("p1", "m1"), [milestone(T0, "p1", "m1")]).satisfied
    assert not evaluate(MilestoneReached("p1", "m2"), [milestone(T0, "p1", "m1")]).satisfied
    assert not evaluate(MilestoneReached("p2"), [milestone(T0, "p1", "m1")]).satisfied
    assert evaluate(MilestoneReached(), [milestone(T0, "p9", "x")]).satisfied


def test_milestone_and_program_default_to_the_badge_scope() -> None:
    scoped = Context(program_scope="p2")
    assert not evaluate(MilestoneReached(node_id="m1"), [milestone(T0, "p1", "m1")], scoped).satisfied
    assert evaluate(MilestoneReached(node_id="m1"), [milestone(T0, "p2", "m1")], scoped).satisfied
    assert not evaluate(ProgramCompleted(), [program_done(T0, "p1")], scoped).satisfied
    assert evaluate(ProgramCompleted(), [program_done(T0, "p2")], scoped).satisfied
    assert evaluate(ProgramCompleted(), [program_done(T0, "p1")]).satisfied  # no scope: any program


def test_program_completed_names_its_program() -> None:
    fact = program_done(T0, "p1")
    outcome = evaluate(ProgramCompleted("p1"), [fact])
    assert outcome.satisfied
    assert outcome.evidence == (fact.event_id,)
    assert not evaluate(ProgramCompleted("p2"), [fact]).satisfied


def test_course_completed_any_or_one_course() -> None:
    assert evaluate(CourseCompleted(), [course(T0, "c7")]).satisfied
    assert not evaluate(CourseCompleted("c1"), [course(T0, "c7")]).satisfied
    assert not evaluate(CourseCompleted("c1"), [block(T0, "c1")]).satisfied


def test_min_score_needs_a_scored_completion_at_or_above_it() -> None:
    rule = MinScore(0.8, "c1", "quiz")
    assert not evaluate(rule, [block(T0, "c1", "quiz", None)]).satisfied  # unscored
    assert not evaluate(rule, [block(T0, "c1", "quiz", 0.79)]).satisfied
    assert not evaluate(rule, [block(T0, "c2", "quiz", 0.95)]).satisfied  # other course
    assert evaluate(rule, [block(T0, "c1", "quiz", 0.8)]).satisfied
    assert evaluate(MinScore(0.5), [block(T0, "c9", "x", 0.5)]).satisfied


# --- composition ----------------------------------------------------------------------------------------


def test_all_of_needs_every_rule_and_merges_evidence() -> None:
    c, m = course(T0, "c1"), milestone(T0 + dt.timedelta(hours=1))
    rule = AllOf((CourseCompleted("c1"), MilestoneReached("p1", "m1")))
    half = evaluate(rule, [c])
    assert not half.satisfied
    assert half.progress == pytest.approx(0.5)
    assert half.evidence == ()
    both = evaluate(rule, [c, m])
    assert both.satisfied
    assert both.evidence == (c.event_id, m.event_id)


def test_any_of_takes_the_first_rule_that_holds() -> None:
    c2 = course(T0, "c2")
    rule = AnyOf((CourseCompleted("c1"), CourseCompleted("c2")))
    outcome = evaluate(rule, [c2])
    assert outcome.satisfied
    assert outcome.evidence == (c2.event_id,)
    progress = evaluate(
        AnyOf((Count(FactType.BLOCK_COMPLETED, min_count=4), CourseCompleted("c9"))), [block(T0)]
    )
    assert not progress.satisfied
    assert progress.progress == pytest.approx(0.25)


def test_n_of_m_needs_n_rules() -> None:
    rule = NOfM(2, (CourseCompleted("a"), CourseCompleted("b"), CourseCompleted("c")))
    a, c = course(T0, "a"), course(T0, "c")
    one = evaluate(rule, [a])
    assert not one.satisfied
    assert one.progress == pytest.approx(0.5)
    two = evaluate(rule, [a, c])
    assert two.satisfied
    assert set(two.evidence) == {a.event_id, c.event_id}


def test_nested_composition() -> None:
    rule = AllOf(
        (
            AnyOf((CourseCompleted("a"), CourseCompleted("b"))),
            NOfM(1, (MinScore(0.9), Streak(FactType.BLOCK_COMPLETED, days=2))),
        )
    )
    facts = [course(T0, "b"), block(T0, score=0.5), block(T0 + dt.timedelta(days=1), score=0.6)]
    assert evaluate(rule, facts).satisfied
    assert not evaluate(rule, facts[:2]).satisfied


# --- validation -----------------------------------------------------------------------------------------


def test_valid_rules_have_no_violations() -> None:
    rule = AllOf(
        (
            Count(FactType.BLOCK_COMPLETED, (Filter("course_id", ("c1",)),), 10, dt.timedelta(days=30)),
            NOfM(1, (Streak(FactType.COURSE_COMPLETED, days=5), MinScore(0.8, "c1", "b1"))),
        )
    )
    assert validate_rule(rule) == []


@pytest.mark.parametrize(
    ("rule", "path"),
    [
        (Count(FactType.BLOCK_COMPLETED, min_count=0), "rule.count.min_count"),
        (Count(FactType.BLOCK_COMPLETED, within=dt.timedelta(seconds=5)), "rule.count.within"),
        (Count(FactType.COURSE_COMPLETED, (Filter("block_id", ("b",)),)), "rule.count.filters[0].attribute"),
        (Count(FactType.MILESTONE_REACHED, (Filter("node_id", ()),)), "rule.count.filters[0].values"),
        (Streak(FactType.BLOCK_COMPLETED, days=1), "rule.streak.days"),
        (
            Streak(FactType.PROGRAM_COMPLETED, (Filter("course_id", ("c",)),)),
            "rule.streak.filters[0].attribute",
        ),
        (MinScore(1.5), "rule.min_score.min_score"),
        (MinScore(0.5, block_id="b1"), "rule.min_score.course_id"),
        (AllOf(()), "rule.all_of.rules"),
        (NOfM(3, (CourseCompleted(), CourseCompleted())), "rule.n_of_m.n"),
        (
            AnyOf((AllOf((Count(FactType.BLOCK_COMPLETED, min_count=-1),)),)),
            "rule.any_of.rules[0].all_of.rules[0].count.min_count",
        ),
    ],
)
def test_invalid_rules_name_the_field(rule: Rule, path: str) -> None:
    assert path in [v.field for v in validate_rule(rule)]


def test_nesting_deeper_than_five_levels_is_rejected() -> None:
    rule: Rule = CourseCompleted()
    for _ in range(5):
        rule = AllOf((rule,))
    assert any(v.reason == "RULE_TOO_DEEP" for v in validate_rule(rule))
    shallower: Rule = CourseCompleted()
    for _ in range(4):
        shallower = AllOf((shallower,))
    assert validate_rule(shallower) == []


def test_more_than_fifty_rules_are_rejected() -> None:
    wide = AllOf(tuple(AnyOf(tuple(CourseCompleted(str(i)) for i in range(5))) for _ in range(10)))
    assert any("at most 50" in v.description for v in validate_rule(wide))


def test_program_scope_requirement_and_fact_types() -> None:
    assert requires_program_scope(AnyOf((MilestoneReached(node_id="m1"),)))
    assert not requires_program_scope(MilestoneReached("p1", "m1"))
    rule = AllOf((MinScore(0.5), NOfM(1, (ProgramCompleted(), Streak(FactType.COURSE_COMPLETED, days=2)))))
    assert fact_types(rule) == {
        FactType.BLOCK_COMPLETED,
        FactType.PROGRAM_COMPLETED,
        FactType.COURSE_COMPLETED,
    }


def test_rules_round_trip_through_json() -> None:
    rule = AllOf(
        (
            Count(FactType.BLOCK_COMPLETED, (Filter("course_id", ("c1", "c2")),), 10, dt.timedelta(days=30)),
            AnyOf((Streak(FactType.COURSE_COMPLETED, days=5), MilestoneReached("p", "m"))),
            NOfM(1, (ProgramCompleted("p"), CourseCompleted("c"), MinScore(0.75, "c", "b"))),
        )
    )
    assert rule_from_json(rule_to_json(rule)) == rule
