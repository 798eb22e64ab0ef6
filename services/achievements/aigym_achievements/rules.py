"""The badge rule language: structured criteria (never code), their validation and a pure evaluator.

A rule is a tree. Leaves count a learner's recorded facts (block and course completions, milestones,
program completions) with attribute filters, thresholds, time windows, streaks of consecutive days in the
learner's time zone and minimum scores; inner nodes combine them (all of, any of, at least N of M).
`evaluate` says whether a learner's facts satisfy a rule, which facts are the evidence, and how far along
the learner is (0..1). It reads nothing but its arguments.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from aigym_platform.errors import FieldViolation

MAX_DEPTH = 5
MAX_RULES = 50
MIN_WINDOW = dt.timedelta(minutes=1)
MAX_WINDOW = dt.timedelta(days=3660)


class FactType(enum.StrEnum):
    """What a recorded fact is (one per consumed event)."""

    BLOCK_COMPLETED = "block_completed"
    COURSE_COMPLETED = "course_completed"
    MILESTONE_REACHED = "milestone_reached"
    PROGRAM_COMPLETED = "program_completed"


# The attributes each fact type carries (filters on other attributes could never match).
ATTRIBUTES: dict[FactType, frozenset[str]] = {
    FactType.BLOCK_COMPLETED: frozenset({"course_id", "block_id"}),
    FactType.COURSE_COMPLETED: frozenset({"course_id"}),
    FactType.MILESTONE_REACHED: frozenset({"program_id", "node_id"}),
    FactType.PROGRAM_COMPLETED: frozenset({"program_id"}),
}


@dataclass(frozen=True)
class Fact:
    """One thing a learner did, recorded from an event (the event id is the evidence)."""

    event_id: str
    fact_type: FactType
    occurred_at: dt.datetime
    attributes: Mapping[str, str] = field(default_factory=dict)
    score: float | None = None


@dataclass(frozen=True)
class Filter:
    """Keeps facts whose `attribute` is one of `values`."""

    attribute: str
    values: tuple[str, ...]

    def accepts(self, fact: Fact) -> bool:
        """True if the fact's attribute is one of the values."""
        return fact.attributes.get(self.attribute) in self.values


@dataclass(frozen=True)
class Count:
    """At least `min_count` facts of a type passing every filter, optionally all within `within`."""

    fact_type: FactType
    filters: tuple[Filter, ...] = ()
    min_count: int = 1
    within: dt.timedelta | None = None
    min_score: float | None = None


@dataclass(frozen=True)
class Streak:
    """Matching facts on `days` consecutive calendar days in the learner's time zone."""

    fact_type: FactType
    filters: tuple[Filter, ...] = ()
    days: int = 2


@dataclass(frozen=True)
class MilestoneReached:
    """A milestone of a program (empty program: the badge's scope, else any; empty node: any)."""

    program_id: str = ""
    node_id: str = ""


@dataclass(frozen=True)
class ProgramCompleted:
    """A program completed (empty: the badge's scope, else any)."""

    program_id: str = ""


@dataclass(frozen=True)
class CourseCompleted:
    """A course completed (empty: any)."""

    course_id: str = ""


@dataclass(frozen=True)
class MinScore:
    """A block completed with a score of at least `min_score` (optionally in one course / block)."""

    min_score: float
    course_id: str = ""
    block_id: str = ""


@dataclass(frozen=True)
class AllOf:
    """Every sub-rule holds."""

    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class AnyOf:
    """At least one sub-rule holds."""

    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class NOfM:
    """At least `n` sub-rules hold."""

    n: int
    rules: tuple[Rule, ...]


Rule = (
    Count | Streak | MilestoneReached | ProgramCompleted | CourseCompleted | MinScore | AllOf | AnyOf | NOfM
)

# The field name of each kind in the proto oneof (and in the stored JSON).
KIND_NAMES: dict[type[Any], str] = {
    Count: "count",
    Streak: "streak",
    MilestoneReached: "milestone_reached",
    ProgramCompleted: "program_completed",
    CourseCompleted: "course_completed",
    MinScore: "min_score",
    AllOf: "all_of",
    AnyOf: "any_of",
    NOfM: "n_of_m",
}


@dataclass(frozen=True)
class Outcome:
    """Whether a rule holds for a learner, the facts that show it, and progress toward it (0..1)."""

    satisfied: bool
    evidence: tuple[str, ...] = ()
    progress: float = 0.0


@dataclass(frozen=True)
class Context:
    """What evaluation needs besides the facts: the learner's time zone and the badge's program scope."""

    time_zone: dt.tzinfo = dt.UTC
    program_scope: str = ""


def zone(name: str) -> dt.tzinfo:
    """The IANA zone `name`, UTC for an empty or unknown name (a learner's zone must not break awards)."""
    if not name:
        return dt.UTC
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        return dt.UTC


# --- validation -----------------------------------------------------------------------------------------


def validate_rule(rule: Rule, path: str = "rule") -> list[FieldViolation]:
    """Every problem of `rule` as field violations with dotted paths; empty when the rule is valid."""
    violations: list[FieldViolation] = []
    counter = [0]
    _check(rule, path, 1, counter, violations)
    if counter[0] > MAX_RULES:
        violations.append(
            FieldViolation(path, f"a rule may hold at most {MAX_RULES} rules, this one has {counter[0]}")
        )
    return violations


def _check(rule: Rule, path: str, depth: int, counter: list[int], out: list[FieldViolation]) -> None:
    counter[0] += 1
    here = f"{path}.{KIND_NAMES[type(rule)]}"
    if depth > MAX_DEPTH:
        out.append(FieldViolation(path, f"rules nest at most {MAX_DEPTH} levels deep", "RULE_TOO_DEEP"))
        return
    match rule:
        case Count(fact_type, filters, min_count, within, min_score):
            _check_filters(fact_type, filters, here, out)
            if not 1 <= min_count <= 10_000:
                out.append(FieldViolation(f"{here}.min_count", "must be between 1 and 10000"))
            if within is not None and not MIN_WINDOW <= within <= MAX_WINDOW:
                out.append(FieldViolation(f"{here}.within", "must be between 1 minute and 3660 days"))
            if min_score is not None and not 0.0 <= min_score <= 1.0:
                out.append(FieldViolation(f"{here}.min_score", "must be between 0 and 1"))
        case Streak(fact_type, filters, days):
            _check_filters(fact_type, filters, here, out)
            if not 2 <= days <= 366:
                out.append(FieldViolation(f"{here}.days", "must be between 2 and 366"))
        case MinScore(min_score, course_id, block_id):
            if not 0.0 <= min_score <= 1.0:
                out.append(FieldViolation(f"{here}.min_score", "must be between 0 and 1"))
            if block_id and not course_id:
                out.append(FieldViolation(f"{here}.course_id", "is required when block_id is set"))
        case AllOf(rules) | AnyOf(rules):
            _check_children(rules, here, depth, counter, out)
        case NOfM(n, rules):
            _check_children(rules, here, depth, counter, out)
            if not 1 <= n <= max(len(rules), 1):
                out.append(
                    FieldViolation(f"{here}.n", f"must be between 1 and the number of rules ({len(rules)})")
                )
        case _:
            pass


def _check_children(
    rules: Sequence[Rule], here: str, depth: int, counter: list[int], out: list[FieldViolation]
) -> None:
    if not 1 <= len(rules) <= 20:
        out.append(FieldViolation(f"{here}.rules", "must hold between 1 and 20 rules"))
    for index, child in enumerate(rules):
        _check(child, f"{here}.rules[{index}]", depth + 1, counter, out)


def _check_filters(
    fact_type: FactType, filters: Sequence[Filter], here: str, out: list[FieldViolation]
) -> None:
    allowed = ATTRIBUTES[fact_type]
    for index, item in enumerate(filters):
        if item.attribute not in allowed:
            out.append(
                FieldViolation(
                    f"{here}.filters[{index}].attribute",
                    f"{fact_type.value} facts have no {item.attribute!r} "
                    f"(they have {', '.join(sorted(allowed))})",
                    "UNKNOWN_ATTRIBUTE",
                )
            )
        if not item.values:
            out.append(FieldViolation(f"{here}.filters[{index}].values", "name at least one value"))


def requires_program_scope(rule: Rule) -> bool:
    """True if a milestone leaf names a node but no program (only a program-scoped badge can hold it)."""
    match rule:
        case MilestoneReached(program_id, node_id):
            return bool(node_id) and not program_id
        case AllOf(rules) | AnyOf(rules) | NOfM(_, rules):
            return any(requires_program_scope(child) for child in rules)
        case _:
            return False


def fact_types(rule: Rule) -> frozenset[FactType]:
    """Every fact type the rule looks at (an event of another type cannot change its outcome)."""
    match rule:
        case AllOf(rules) | AnyOf(rules) | NOfM(_, rules):
            return frozenset().union(*(fact_types(child) for child in rules))
        case _:
            return frozenset({as_count(rule, Context()).fact_type})


# --- evaluation -----------------------------------------------------------------------------------------


def evaluate(rule: Rule, facts: Iterable[Fact], context: Context = Context()) -> Outcome:
    """Whether `facts` satisfy `rule`, the evidence (event ids, in time order) and progress toward it."""
    ordered = sorted(facts, key=lambda f: (f.occurred_at, f.event_id))
    return _evaluate(rule, ordered, context)


def _evaluate(rule: Rule, facts: Sequence[Fact], context: Context) -> Outcome:
    match rule:
        case AllOf(rules):
            return all_of_outcome([_evaluate(child, facts, context) for child in rules])
        case AnyOf(rules):
            return any_of_outcome([_evaluate(child, facts, context) for child in rules])
        case NOfM(n, rules):
            return n_of_m_outcome(n, [_evaluate(child, facts, context) for child in rules])
        case Streak():
            return _streak(rule, facts, context)
        case _:
            return _count(as_count(rule, context), facts)


def all_of_outcome(outcomes: Sequence[Outcome]) -> Outcome:
    """`allOf` of its sub-rules' outcomes: every one holds (progress: their mean)."""
    if all(o.satisfied for o in outcomes):
        return Outcome(True, merge_evidence(outcomes), 1.0)
    return Outcome(False, (), sum(o.progress for o in outcomes) / len(outcomes))


def any_of_outcome(outcomes: Sequence[Outcome]) -> Outcome:
    """`anyOf` of its sub-rules' outcomes: the first that holds (progress: the best)."""
    for outcome in outcomes:
        if outcome.satisfied:
            return outcome
    return Outcome(False, (), max(o.progress for o in outcomes))


def n_of_m_outcome(n: int, outcomes: Sequence[Outcome]) -> Outcome:
    """`nOfM` of its sub-rules' outcomes: the first `n` that hold (progress: the mean of the best `n`)."""
    held = [o for o in outcomes if o.satisfied]
    if len(held) >= n:
        return Outcome(True, merge_evidence(held[:n]), 1.0)
    best = sorted((o.progress for o in outcomes), reverse=True)[:n]
    return Outcome(False, (), sum(best) / n)


def merge_evidence(outcomes: Iterable[Outcome]) -> tuple[str, ...]:
    """The evidence of `outcomes` in order, each event id once."""
    seen: dict[str, None] = {}
    for outcome in outcomes:
        seen.update(dict.fromkeys(outcome.evidence))
    return tuple(seen)


def as_count(rule: Rule, context: Context) -> Count:
    """The count rule a leaf amounts to (the specific leaves are shorthands with min_count 1)."""
    match rule:
        case Count():
            return rule
        case Streak(fact_type, filters, _):
            return Count(fact_type, filters)
        case MilestoneReached(program_id, node_id):
            program = program_id or context.program_scope
            filters = _filters(program_id=program, node_id=node_id)
            return Count(FactType.MILESTONE_REACHED, filters)
        case ProgramCompleted(program_id):
            program = program_id or context.program_scope
            return Count(FactType.PROGRAM_COMPLETED, _filters(program_id=program))
        case CourseCompleted(course_id):
            return Count(FactType.COURSE_COMPLETED, _filters(course_id=course_id))
        case MinScore(min_score, course_id, block_id):
            filters = _filters(course_id=course_id, block_id=block_id)
            return Count(FactType.BLOCK_COMPLETED, filters, min_score=min_score)
    raise TypeError(f"not a leaf rule: {rule!r}")


def _filters(**values: str) -> tuple[Filter, ...]:
    return tuple(Filter(name, (value,)) for name, value in values.items() if value)


def _matches(fact: Fact, fact_type: FactType, filters: Sequence[Filter], min_score: float | None) -> bool:
    if fact.fact_type is not fact_type or not all(f.accepts(fact) for f in filters):
        return False
    return min_score is None or (fact.score is not None and fact.score >= min_score)


def _count(rule: Count, facts: Sequence[Fact]) -> Outcome:
    matching = [f for f in facts if _matches(f, rule.fact_type, rule.filters, rule.min_score)]
    return count_outcome(rule, matching)


def count_outcome(rule: Count, matching: Sequence[Fact]) -> Outcome:
    """The outcome of `rule` given the facts that match its type, filters and score (in time order)."""
    need = rule.min_count
    if rule.within is None:
        if len(matching) >= need:
            return Outcome(True, tuple(f.event_id for f in matching[:need]), 1.0)
        return Outcome(False, (), len(matching) / need)
    # Sliding window over time-ordered facts: the earliest run of `need` facts spanning at most `within`.
    best, start = 0, 0
    for end, fact in enumerate(matching):
        while fact.occurred_at - matching[start].occurred_at > rule.within:
            start += 1
        size = end - start + 1
        if size >= need:
            window = matching[end - need + 1 : end + 1]
            return Outcome(True, tuple(f.event_id for f in window), 1.0)
        best = max(best, size)
    return Outcome(False, (), best / need)


def _streak(rule: Streak, facts: Sequence[Fact], context: Context) -> Outcome:
    matching = [f for f in facts if _matches(f, rule.fact_type, rule.filters, None)]
    return streak_outcome(rule.days, first_of_each_day(matching, context.time_zone))


def first_of_each_day(matching: Iterable[Fact], time_zone: dt.tzinfo) -> dict[dt.date, Fact]:
    """The first of the (time-ordered) facts on each calendar day in `time_zone`."""
    first_of_day: dict[dt.date, Fact] = {}
    for fact in matching:
        first_of_day.setdefault(fact.occurred_at.astimezone(time_zone).date(), fact)
    return first_of_day


def streak_outcome(days_needed: int, first_of_day: Mapping[dt.date, Fact]) -> Outcome:
    """The outcome of a streak of `days_needed` consecutive days, given each day's first matching fact."""
    days = sorted(first_of_day)
    longest, run_start = 0, 0
    for index, day in enumerate(days):
        if index and day - days[index - 1] != dt.timedelta(days=1):
            run_start = index
        length = index - run_start + 1
        if length >= days_needed:
            run = days[index - days_needed + 1 : index + 1]
            return Outcome(True, tuple(first_of_day[d].event_id for d in run), 1.0)
        longest = max(longest, length)
    return Outcome(False, (), longest / days_needed)


# --- storage form ---------------------------------------------------------------------------------------


def rule_to_json(rule: Rule) -> dict[str, Any]:
    """The rule as JSON for storage (`{"kind": ..., ...}`)."""
    kind = KIND_NAMES[type(rule)]
    match rule:
        case Count(fact_type, filters, min_count, within, min_score):
            body: dict[str, Any] = {
                "fact_type": fact_type.value,
                "filters": [{"attribute": f.attribute, "values": list(f.values)} for f in filters],
                "min_count": min_count,
                "within_seconds": within.total_seconds() if within is not None else None,
                "min_score": min_score,
            }
        case Streak(fact_type, filters, days):
            body = {
                "fact_type": fact_type.value,
                "filters": [{"attribute": f.attribute, "values": list(f.values)} for f in filters],
                "days": days,
            }
        case MilestoneReached(program_id, node_id):
            body = {"program_id": program_id, "node_id": node_id}
        case ProgramCompleted(program_id):
            body = {"program_id": program_id}
        case CourseCompleted(course_id):
            body = {"course_id": course_id}
        case MinScore(min_score, course_id, block_id):
            body = {"min_score": min_score, "course_id": course_id, "block_id": block_id}
        case AllOf(rules) | AnyOf(rules):
            body = {"rules": [rule_to_json(child) for child in rules]}
        case NOfM(n, rules):
            body = {"n": n, "rules": [rule_to_json(child) for child in rules]}
    return {"kind": kind, **body}


def rule_from_json(data: Mapping[str, Any]) -> Rule:
    """Rebuild a stored rule (the inverse of `rule_to_json`)."""
    kind = data["kind"]

    def filters() -> tuple[Filter, ...]:
        return tuple(Filter(f["attribute"], tuple(f["values"])) for f in data.get("filters", ()))

    if kind == "count":
        within = data.get("within_seconds")
        return Count(
            FactType(data["fact_type"]),
            filters(),
            int(data["min_count"]),
            dt.timedelta(seconds=within) if within is not None else None,
            data.get("min_score"),
        )
    if kind == "streak":
        return Streak(FactType(data["fact_type"]), filters(), int(data["days"]))
    if kind == "milestone_reached":
        return MilestoneReached(data.get("program_id", ""), data.get("node_id", ""))
    if kind == "program_completed":
        return ProgramCompleted(data.get("program_id", ""))
    if kind == "course_completed":
        return CourseCompleted(data.get("course_id", ""))
    if kind == "min_score":
        return MinScore(float(data["min_score"]), data.get("course_id", ""), data.get("block_id", ""))
    children = tuple(rule_from_json(child) for child in data["rules"])
    if kind == "all_of":
        return AllOf(children)
    if kind == "any_of":
        return AnyOf(children)
    if kind == "n_of_m":
        return NOfM(int(data["n"]), children)
    raise ValueError(f"unknown rule kind {kind!r}")
