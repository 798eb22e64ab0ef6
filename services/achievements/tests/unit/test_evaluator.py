"""The hot path's evaluator (compiled rules over indexed facts) says exactly what `rules.evaluate` says."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from zoneinfo import ZoneInfo

import pytest

from aigym_achievements.evaluator import LearnerFacts, compile_rule, evaluate_compiled
from aigym_achievements.rules import (
    ATTRIBUTES,
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
)

T0 = dt.datetime(2026, 10, 1, 0, 0, tzinfo=dt.UTC)
VALUES = {
    "course_id": ("c1", "c2", "c3"),
    "block_id": ("b1", "b2", "b3", "b4"),
    "program_id": ("p1", "p2"),
    "node_id": ("n1", "n2", "n3"),
}
ZONES = (dt.UTC, ZoneInfo("Europe/Berlin"), ZoneInfo("Pacific/Auckland"), ZoneInfo("America/Los_Angeles"))


def random_history(rng: random.Random) -> list[Fact]:
    """0..60 facts of every type over ~40 days, some at the same instant, scores on a coarse grid."""
    facts: list[Fact] = []
    for _ in range(rng.randint(0, 60)):
        fact_type = rng.choice(list(FactType))
        attributes = {name: rng.choice(VALUES[name]) for name in sorted(ATTRIBUTES[fact_type])}
        if facts and rng.random() < 0.1:
            at = rng.choice(facts).occurred_at
        else:
            at = T0 + dt.timedelta(minutes=rng.randint(0, 40 * 24 * 60))
        score = round(rng.randint(0, 20) / 20, 2) if rng.random() < 0.7 else None
        facts.append(Fact(str(uuid.UUID(int=rng.getrandbits(128))), fact_type, at, attributes, score))
    rng.shuffle(facts)
    return facts


def random_filters(rng: random.Random, fact_type: FactType) -> tuple[Filter, ...]:
    names = rng.sample(sorted(ATTRIBUTES[fact_type]), rng.randint(0, len(ATTRIBUTES[fact_type])))
    return tuple(Filter(n, tuple(rng.sample(VALUES[n], rng.randint(1, 2)))) for n in names)


def random_leaf(rng: random.Random) -> Rule:
    kind = rng.randrange(6)
    fact_type = rng.choice(list(FactType))
    if kind == 0:
        within = dt.timedelta(hours=rng.randint(1, 240)) if rng.random() < 0.4 else None
        min_score = rng.randint(0, 20) / 20 if rng.random() < 0.3 else None
        return Count(fact_type, random_filters(rng, fact_type), rng.randint(1, 8), within, min_score)
    if kind == 1:
        return Streak(fact_type, random_filters(rng, fact_type), rng.randint(2, 5))
    if kind == 2:
        return MilestoneReached(rng.choice(("", "p1", "p2")), rng.choice(("", "n1", "n2")))
    if kind == 3:
        return ProgramCompleted(rng.choice(("", "p1", "p2")))
    if kind == 4:
        return CourseCompleted(rng.choice(("", "c1", "c2")))
    course = rng.choice(("", "c1", "c2"))
    return MinScore(rng.randint(0, 20) / 20, course, rng.choice(("", "b1")) if course else "")


def random_rule(rng: random.Random, depth: int = 0) -> Rule:
    if depth >= 3 or rng.random() < 0.5:
        return random_leaf(rng)
    children = tuple(random_rule(rng, depth + 1) for _ in range(rng.randint(1, 4)))
    kind = rng.randrange(3)
    if kind == 0:
        return AllOf(children)
    if kind == 1:
        return AnyOf(children)
    return NOfM(rng.randint(1, len(children)), children)


@pytest.mark.parametrize("seed", range(40))
def test_compiled_evaluation_equals_the_reference_over_random_histories_and_rules(seed: int) -> None:
    rng = random.Random(seed)
    facts = random_history(rng)
    time_zone = rng.choice(ZONES)
    indexed = LearnerFacts(facts, time_zone)  # one index shared by every rule, as in the consumer
    satisfied = 0
    for _ in range(60):
        rule = random_rule(rng)
        scope = rng.choice(("", "p1", "p2"))
        expected = evaluate(rule, facts, Context(time_zone, scope))
        assert evaluate_compiled(compile_rule(rule, scope), indexed) == expected, rule
        satisfied += expected.satisfied
    assert satisfied > 0 or not facts  # the rules drawn are not all trivially unsatisfiable


def test_equal_leaves_in_different_scopes_are_not_shared() -> None:
    facts = [Fact("e1", FactType.PROGRAM_COMPLETED, T0, {"program_id": "p1"})]
    indexed = LearnerFacts(facts)
    assert evaluate_compiled(compile_rule(ProgramCompleted(), "p1"), indexed).satisfied
    assert not evaluate_compiled(compile_rule(ProgramCompleted(), "p2"), indexed).satisfied
    assert evaluate_compiled(compile_rule(ProgramCompleted(), ""), indexed).satisfied
