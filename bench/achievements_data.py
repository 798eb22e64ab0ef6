"""Data of the achievements benchmark: the badge catalogues and the learners' histories of the realistic mix.

The mix models learners working through courses: each tenant has COURSES courses of BLOCKS_PER_COURSE
blocks (the last block of a course is its quiz), and a learner completes blocks in order, course after
course. Before the run every learner already has a history of 0..MAX_HISTORY completed blocks spread
over the past 30 days (uniform: some have just started, some are far along), with the awards that
history earned (made by the badges' retroactive backfill, as activating a badge with backfill does). The
run's events continue those histories, so an event earns a badge only when it crosses a threshold,
completes a course half or whole, extends a streak to its length, or scores high enough.

The 50 badges are the kinds a learning programme defines, all of them looking at block completions
(the most expensive case: every event is evaluated against all 50): blocks completed in total
(1/5/10/25/50/100), per course (half of it, all of it), in a window (5 in a day, 10 in 7 days, 20 in 30
days), streaks (2/3/5/7/14/30 days), scores (0.9 anywhere, 0.95 in each course), quizzes (1/3/6) and 13
compositions of those (all of / any of / N of M).
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass

from aigym_achievements import rules

F = rules.FactType.BLOCK_COMPLETED
COURSES = 6
BLOCKS_PER_COURSE = 12
MAX_HISTORY = 30
QUIZ = f"b{BLOCKS_PER_COURSE - 1}"


def course(index: int) -> str:
    """The id of course `index`."""
    return f"course-{index}"


def worst_case_rules(count: int) -> list[rules.Rule]:
    """The worst case: the first rule is met by any first block completion in `bench-course`; the other
    count-1 look at block completions too and are evaluated for every event, but a first block meets none."""
    first_course = rules.Filter("course_id", ("bench-course",))
    pool: list[rules.Rule] = [
        rules.Count(F, (first_course,), min_count=5),
        rules.Count(F, (), min_count=10, within=dt.timedelta(days=7)),
        rules.Streak(F, (), days=3),
        rules.MinScore(0.95, "bench-course"),
        rules.AllOf((rules.Count(F, min_count=2), rules.Streak(F, days=2))),
        rules.NOfM(2, (rules.Count(F, min_count=20), rules.MinScore(0.99), rules.Streak(F, days=5))),
        rules.AnyOf(
            (rules.Count(F, (rules.Filter("block_id", ("quiz",)),), min_count=3), rules.Streak(F, days=7))
        ),
    ]
    chosen: list[rules.Rule] = [rules.Count(F, (first_course,), min_count=1)]
    while len(chosen) < count:
        chosen.append(pool[len(chosen) % len(pool)])
    return chosen


def _in_course(index: int, minimum: int) -> rules.Count:
    return rules.Count(F, (rules.Filter("course_id", (course(index),)),), min_count=minimum)


def realistic_rules() -> list[rules.Rule]:
    """The 50 badges of the realistic mix (see the module docstring)."""
    half, whole = BLOCKS_PER_COURSE // 2, BLOCKS_PER_COURSE
    quiz = (rules.Filter("block_id", (QUIZ,)),)
    days = dt.timedelta(days=1)
    chosen: list[rules.Rule] = [rules.Count(F, (), min_count=n) for n in (1, 5, 10, 25, 50, 100)]
    chosen += [_in_course(c, n) for c in range(COURSES) for n in (half, whole)]
    chosen += [
        rules.Count(F, (), min_count=5, within=days),
        rules.Count(F, (), min_count=10, within=7 * days),
        rules.Count(F, (), min_count=20, within=30 * days),
    ]
    chosen += [rules.Streak(F, (), days=n) for n in (2, 3, 5, 7, 14, 30)]
    chosen += [rules.MinScore(0.9)] + [rules.MinScore(0.95, course(c)) for c in range(COURSES)]
    chosen += [rules.Count(F, quiz, min_count=n) for n in (1, 3, 6)]
    chosen += [
        rules.AllOf((rules.Count(F, min_count=10), rules.Streak(F, days=3))),
        rules.AllOf((_in_course(0, whole), _in_course(1, whole))),
        rules.AnyOf((rules.Streak(F, days=7), rules.Count(F, min_count=25, within=7 * days))),
        rules.NOfM(2, (rules.Count(F, min_count=20), rules.MinScore(0.99), rules.Streak(F, days=5))),
        rules.AllOf((rules.MinScore(0.9), rules.Count(F, min_count=5))),
        rules.NOfM(3, tuple(_in_course(c, whole) for c in range(COURSES))),
        rules.AnyOf((rules.Count(F, quiz, min_count=3), rules.Streak(F, days=5))),
        rules.AllOf((rules.Count(F, min_count=50), rules.Streak(F, days=7))),
        rules.AllOf((_in_course(2, half), _in_course(3, half))),
        rules.NOfM(
            2, (rules.Count(F, min_count=5, within=days), rules.Streak(F, days=2), rules.MinScore(0.95))
        ),
        rules.AllOf((rules.Count(F, quiz, min_count=1), rules.MinScore(0.9, course(0)))),
        rules.AnyOf((_in_course(4, whole), _in_course(5, whole))),
        rules.AllOf((rules.Count(F, min_count=25), rules.Count(F, quiz, min_count=2))),
    ]
    assert len(chosen) == 50, len(chosen)
    return chosen


@dataclass
class Learner:
    """A learner of the mix and how many blocks they have completed so far."""

    tenant: uuid.UUID
    learner_id: str
    done: int

    def next_block(self) -> tuple[str, str]:
        """(course, block) of the learner's next block, advancing them."""
        position = self.done % (COURSES * BLOCKS_PER_COURSE)
        self.done += 1
        return course(position // BLOCKS_PER_COURSE), f"b{position % BLOCKS_PER_COURSE}"


@dataclass(frozen=True)
class HistoryFact:
    """One completed block of a learner's history (inserted as a fact before the run)."""

    learner_id: str
    course_id: str
    block_id: str
    occurred_at: dt.datetime
    score: float


def histories(
    tenant: uuid.UUID, count: int, now: dt.datetime, rng: random.Random
) -> tuple[list[Learner], list[HistoryFact]]:
    """`count` learners of a tenant with 0..MAX_HISTORY blocks done over the past 30 days (on random days,
    oldest first), and their facts."""
    learners: list[Learner] = []
    facts: list[HistoryFact] = []
    for index in range(count):
        learner = Learner(tenant, f"learner-{index}", 0)
        done = rng.randint(0, MAX_HISTORY)
        days = sorted(rng.choices(range(1, 31), k=done), reverse=True)
        for day in days:
            course_id, block_id = learner.next_block()
            at = now - dt.timedelta(days=day, seconds=rng.randint(0, 8 * 3600))
            facts.append(
                HistoryFact(learner.learner_id, course_id, block_id, at, round(rng.uniform(0.5, 1), 2))
            )
        learners.append(learner)
    return learners, facts
