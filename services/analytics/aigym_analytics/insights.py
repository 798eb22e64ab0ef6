"""Pure rules of the insights: why a learner is at risk (with weights and sentences) and what they should
do next. Every number an explanation quotes is the number the score was computed from."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

LOW_SCORE = 0.5
LOW_SCORE_COUNT = 3
LOW_SCORE_WINDOW = dt.timedelta(days=30)
BEHIND_PACE_GAP = 0.25
DEFAULT_INACTIVE_DAYS = 14


class RiskCode(enum.StrEnum):
    """Reasons a learner is at risk."""

    BEHIND_PACE = "behind_pace"
    INACTIVE = "inactive"
    LOW_SCORES = "low_scores"
    OVERDUE = "overdue"


@dataclass(frozen=True)
class RiskReason:
    """One reason, its weight in the score and its explanation."""

    code: RiskCode
    weight: float
    explanation: str


@dataclass(frozen=True)
class OpenEnrollment:
    """What the rules need to know about one open enrolment."""

    enrollment_id: str
    program_id: str
    program_title: str
    learner_id: str
    start_time: dt.datetime | None
    due_time: dt.datetime | None
    course_ids: tuple[str, ...]
    completed_courses: frozenset[str]
    last_activity: dt.datetime | None
    enroll_time: dt.datetime | None = None

    @property
    def progress(self) -> float:
        """Completed courses of the program / its courses (0 when the program has none known)."""
        if not self.course_ids:
            return 0.0
        return len(self.completed_courses & set(self.course_ids)) / len(self.course_ids)

    @property
    def remaining(self) -> list[str]:
        """Courses still to complete, in the program's order."""
        return [c for c in self.course_ids if c not in self.completed_courses]


@dataclass(frozen=True)
class Risk:
    """An enrolment at risk: the sum of its reasons' weights, heaviest reason first."""

    enrollment: OpenEnrollment
    reasons: tuple[RiskReason, ...] = field(default_factory=tuple)

    @property
    def score(self) -> float:
        """Sum of the weights."""
        return round(sum(r.weight for r in self.reasons), 4)


def _days(delta: dt.timedelta) -> int:
    return max(0, int(delta.total_seconds() // 86400))


def assess(enrollment: OpenEnrollment, low_scores: int, now: dt.datetime, inactive_days: int) -> Risk:
    """Every reason that applies to one open enrolment (none: not at risk)."""
    reasons: list[RiskReason] = []
    done = enrollment.progress
    due, start = enrollment.due_time, enrollment.start_time or enrollment.enroll_time
    if due is not None and now > due:
        late = _days(now - due)
        reasons.append(
            RiskReason(
                RiskCode.OVERDUE,
                3.0,
                f"due on {due.date().isoformat()} ({late} days ago) with {done:.0%} of the courses completed",
            )
        )
    elif due is not None and start is not None and due > start:
        elapsed = min(1.0, max(0.0, (now - start) / (due - start)))
        gap = elapsed - done
        if gap >= BEHIND_PACE_GAP:
            reasons.append(
                RiskReason(
                    RiskCode.BEHIND_PACE,
                    round(min(2.0, 2 * gap), 4),
                    f"{elapsed:.0%} of the time until the due date ({due.date().isoformat()}) has passed "
                    f"but only {done:.0%} of the courses are completed",
                )
            )
    since = enrollment.last_activity or start
    if since is not None:
        idle = _days(now - since)
        if idle >= inactive_days:
            what = "no activity" if enrollment.last_activity else "no activity since enrolling"
            reasons.append(
                RiskReason(
                    RiskCode.INACTIVE,
                    round(min(2.0, idle / max(inactive_days, 1)), 4),
                    f"{what} for {idle} days (threshold {inactive_days})",
                )
            )
    if low_scores >= LOW_SCORE_COUNT:
        reasons.append(
            RiskReason(
                RiskCode.LOW_SCORES,
                round(min(2.0, low_scores / LOW_SCORE_COUNT), 4),
                f"{low_scores} scores below {LOW_SCORE:.0%} in the last {LOW_SCORE_WINDOW.days} days",
            )
        )
    reasons.sort(key=lambda r: (-r.weight, r.code.value))
    return Risk(enrollment, tuple(reasons))


def rank(risks: Sequence[Risk]) -> list[Risk]:
    """Risks with at least one reason, highest score first (ties: learner, enrolment)."""
    return sorted(
        (r for r in risks if r.reasons),
        key=lambda r: (-r.score, r.enrollment.learner_id, r.enrollment.enrollment_id),
    )


class ActionKind(enum.StrEnum):
    """Kinds of next-best actions."""

    NEAREST_DEADLINE = "nearest_deadline"
    UNBLOCKS_MOST = "unblocks_most"
    RESUME = "resume"


@dataclass(frozen=True)
class Action:
    """A next-best action with its explanation."""

    kind: ActionKind
    course_id: str
    program_id: str
    explanation: str
    score: float
    due_time: dt.datetime | None = None


def next_actions(
    enrollments: Sequence[OpenEnrollment],
    activity: Mapping[str, tuple[bool, dt.datetime]],
    now: dt.datetime,
) -> list[Action]:
    """Next-best actions over a learner's open enrolments, best first, one per course."""
    actions: list[Action] = []
    dated = sorted((e for e in enrollments if e.due_time and e.remaining), key=lambda e: e.due_time or now)
    if dated:
        e = dated[0]
        assert e.due_time is not None
        left = (e.due_time - now).total_seconds() / 86400
        when = f"is due in {left:.0f} days" if left >= 0 else f"was due {-left:.0f} days ago"
        course = e.remaining[0]
        actions.append(
            Action(
                ActionKind.NEAREST_DEADLINE,
                course,
                e.program_id,
                f"{e.program_title or e.program_id} {when} and has {len(e.remaining)} of "
                f"{len(e.course_ids)} courses left; {course} is the next one",
                round(3.0 + max(0.0, 30 - left) / 10, 4),
                e.due_time,
            )
        )
    counts: dict[str, list[str]] = {}
    for e in enrollments:
        for course in e.remaining:
            counts.setdefault(course, []).append(e.program_title or e.program_id)
    if counts:
        course, programs = max(counts.items(), key=lambda kv: (len(kv[1]), kv[0]))
        if len(programs) >= 2:
            actions.append(
                Action(
                    ActionKind.UNBLOCKS_MOST,
                    course,
                    "",
                    f"{course} counts toward {len(programs)} of your open programs "
                    f"({', '.join(sorted(programs))})",
                    round(2.0 + len(programs) / 2, 4),
                )
            )
    open_courses = {c for e in enrollments for c in e.remaining}
    started = [(when, c) for c, (completed, when) in activity.items() if not completed and c in open_courses]
    if started:
        last, course = max(started)
        idle = _days(now - last)
        actions.append(
            Action(
                ActionKind.RESUME,
                course,
                "",
                f"you last worked on {course} {idle} days ago and have not completed it yet",
                round(1.0 + 1.0 / (1 + idle), 4),
            )
        )
    best: dict[str, Action] = {}
    for action in actions:
        if action.course_id not in best or best[action.course_id].score < action.score:
            best[action.course_id] = action
    return sorted(best.values(), key=lambda a: (-a.score, a.course_id))
