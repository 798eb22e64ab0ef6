"""Evaluating many badges against one learner's facts at once: the consumer's hot path.

`rules.evaluate` scans the learner's facts once per leaf of one rule. An event is evaluated against every
active badge of its tenant looking at its fact type (50 in the benchmark), and their leaves mostly look at
the same few sets of facts (every completed block, one course's blocks, scores above a bar). Here each
badge's rule is compiled once per badge revision (`compile_rule`: leaves resolved against the badge's
program scope, each with keys naming the facts it matches and the leaf itself), and `LearnerFacts` indexes
one learner's facts once per event: each distinct set of matching facts and each distinct leaf's outcome
is computed once and shared by every badge. The outcomes equal `rules.evaluate`'s (same leaf and
composition functions; `tests/unit/test_evaluator.py` compares both over random histories and rules).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from aigym_achievements.rules import (
    AllOf,
    AnyOf,
    Context,
    Count,
    Fact,
    FactType,
    NOfM,
    Outcome,
    Rule,
    Streak,
    all_of_outcome,
    any_of_outcome,
    as_count,
    count_outcome,
    first_of_each_day,
    n_of_m_outcome,
    streak_outcome,
)


@dataclass(frozen=True, slots=True)
class CompiledLeaf:
    """A leaf as a count of matching facts (`days` > 0: a streak of that many days over them)."""

    count: Count
    days: int
    facts_key: str
    """Names the facts the leaf looks at (type, filters, minimum score): equal keys, equal facts."""
    key: str
    """Names the leaf (its facts and threshold): equal keys, equal outcomes."""


@dataclass(frozen=True, slots=True)
class CompiledNode:
    """A composition: `all`, `any` or at least `n` of its children."""

    kind: str
    n: int
    children: tuple[Compiled, ...]


Compiled = CompiledLeaf | CompiledNode


def compile_rule(rule: Rule, program_scope: str = "") -> Compiled:
    """`rule` ready for `evaluate_compiled`, its leaves resolved against the badge's program scope."""
    match rule:
        case AllOf(rules):
            return CompiledNode("all", len(rules), tuple(compile_rule(c, program_scope) for c in rules))
        case AnyOf(rules):
            return CompiledNode("any", 1, tuple(compile_rule(c, program_scope) for c in rules))
        case NOfM(n, rules):
            return CompiledNode("n", n, tuple(compile_rule(c, program_scope) for c in rules))
        case Streak(days=days):
            count, min_score = as_count(rule, Context(program_scope=program_scope)), None
        case _:
            days = 0
            count = as_count(rule, Context(program_scope=program_scope))
            min_score = count.min_score
    filters = [(f.attribute, f.values) for f in count.filters]
    facts_key = repr((count.fact_type.value, filters, min_score))
    within = count.within.total_seconds() if count.within is not None else None
    return CompiledLeaf(count, days, facts_key, repr((facts_key, count.min_count, within, days)))


class LearnerFacts:
    """One learner's facts (put in time order) indexed for evaluating many compiled rules, with the
    results of every distinct leaf kept: build one per event (and per set of usable facts)."""

    def __init__(self, facts: Iterable[Fact], time_zone: dt.tzinfo = dt.UTC) -> None:
        self.facts = sorted(facts, key=lambda f: (f.occurred_at, f.event_id))
        self.time_zone = time_zone
        self._by_type: dict[FactType, list[Fact]] = {}
        for fact in self.facts:
            self._by_type.setdefault(fact.fact_type, []).append(fact)
        self._groups: dict[tuple[FactType, str], dict[object, list[Fact]]] = {}
        self._matching: dict[str, list[Fact]] = {}
        self._outcomes: dict[str, Outcome] = {}

    def matching(self, leaf: CompiledLeaf) -> list[Fact]:
        """The facts (in time order) of the leaf's type passing its filters and minimum score."""
        found = self._matching.get(leaf.facts_key)
        if found is None:
            found = self._matching[leaf.facts_key] = self._select(leaf)
        return found

    def _select(self, leaf: CompiledLeaf) -> list[Fact]:
        count = leaf.count
        facts = self._by_type.get(count.fact_type, [])
        filters = count.filters
        if filters:
            first = filters[0]
            if len(first.values) == 1:
                facts = self._grouped(count.fact_type, first.attribute).get(first.values[0], [])
            else:
                facts = [f for f in facts if f.attributes.get(first.attribute) in first.values]
            for extra in filters[1:]:
                facts = [f for f in facts if f.attributes.get(extra.attribute) in extra.values]
        if not leaf.days and count.min_score is not None:
            bar = count.min_score
            facts = [f for f in facts if f.score is not None and f.score >= bar]
        return facts

    def _grouped(self, fact_type: FactType, attribute: str) -> dict[object, list[Fact]]:
        groups = self._groups.get((fact_type, attribute))
        if groups is None:
            groups = self._groups[(fact_type, attribute)] = {}
            for fact in self._by_type.get(fact_type, ()):
                groups.setdefault(fact.attributes.get(attribute), []).append(fact)
        return groups

    def leaf_outcome(self, leaf: CompiledLeaf) -> Outcome:
        """The leaf's outcome (computed once per distinct leaf)."""
        outcome = self._outcomes.get(leaf.key)
        if outcome is None:
            matching = self.matching(leaf)
            if leaf.days:
                outcome = streak_outcome(leaf.days, first_of_each_day(matching, self.time_zone))
            else:
                outcome = count_outcome(leaf.count, matching)
            self._outcomes[leaf.key] = outcome
        return outcome


def evaluate_compiled(rule: Compiled, facts: LearnerFacts) -> Outcome:
    """What `rules.evaluate` says of the rule `rule` was compiled from, over the same facts and zone."""
    if isinstance(rule, CompiledLeaf):
        return facts.leaf_outcome(rule)
    outcomes = [evaluate_compiled(child, facts) for child in rule.children]
    if rule.kind == "all":
        return all_of_outcome(outcomes)
    if rule.kind == "any":
        return any_of_outcome(outcomes)
    return n_of_m_outcome(rule.n, outcomes)
