"""Pure rules of analytics: what a fact contributes to the aggregates, date ranges in a time zone, scopes.

The aggregates are a pure function of the set of facts (never of their arrival order), which is what makes
them equal a from-scratch recomputation however the events were delivered.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aigym_platform.errors import FieldViolation, InvalidArgument

SLOT = dt.timedelta(minutes=15)
SLOT_SECONDS = int(SLOT.total_seconds())
MAX_RANGE_DAYS = 366
DEFAULT_RANGE_DAYS = 30
STALL_DAYS = 7


class FactKind(enum.StrEnum):
    """Kinds of raw facts (the `facts.kind` column)."""

    BLOCK = "block"
    COURSE_COMPLETED = "course_completed"
    RESET = "reset"
    ENROLLED = "enrolled"
    PROGRAM_COMPLETED = "program_completed"
    MILESTONE = "milestone"
    WITHDRAWN = "withdrawn"
    REOPENED = "reopened"


class Dimension(enum.StrEnum):
    """What an hourly counter row is about; the tenant dimension's key is ''."""

    TENANT = "tenant"
    PROGRAM = "program"
    COURSE = "course"
    LEARNER = "learner"


METRICS: tuple[str, ...] = (
    "block_activities",
    "block_completions",
    "course_completions",
    "resets",
    "enrollments",
    "program_completions",
    "milestones",
    "withdrawals",
    "time_on_task_seconds",
    "scored",
    "score_sum",
)

_COUNTER_OF_KIND: dict[FactKind, str] = {
    FactKind.COURSE_COMPLETED: "course_completions",
    FactKind.RESET: "resets",
    FactKind.ENROLLED: "enrollments",
    FactKind.PROGRAM_COMPLETED: "program_completions",
    FactKind.MILESTONE: "milestones",
    FactKind.WITHDRAWN: "withdrawals",
}
# A reopened enrolment takes back the program completion it reverses (its fact is dated like that one).
_TAKEN_BACK_BY_KIND: dict[FactKind, str] = {FactKind.REOPENED: "program_completions"}


@dataclass(frozen=True)
class Fact:
    """A learning event reduced to what the aggregates need."""

    kind: FactKind
    occur_time: dt.datetime
    learner_id: str
    course_id: str = ""
    program_id: str = ""
    block_id: str = ""
    completed: bool = False
    score: float | None = None


def hour_of(instant: dt.datetime) -> dt.datetime:
    """The UTC hour an instant's counters go to."""
    return instant.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)


def slot_of(instant: dt.datetime) -> dt.datetime:
    """The UTC quarter hour an instant falls in (time-on-task unit)."""
    utc = instant.astimezone(dt.UTC)
    return utc.replace(minute=utc.minute - utc.minute % 15, second=0, microsecond=0)


def dimensions(fact: Fact) -> list[tuple[Dimension, str]]:
    """The counter rows a fact adds to: always tenant and learner, plus its course or its program."""
    keys = [(Dimension.TENANT, ""), (Dimension.LEARNER, fact.learner_id)]
    if fact.course_id:
        keys.append((Dimension.COURSE, fact.course_id))
    if fact.program_id:
        keys.append((Dimension.PROGRAM, fact.program_id))
    return keys


def deltas(fact: Fact) -> dict[str, float]:
    """The counters one fact adds (time on task is added separately, once per new activity slot)."""
    if fact.kind is FactKind.BLOCK:
        out: dict[str, float] = {"block_activities": 1, "block_completions": 1 if fact.completed else 0}
        if fact.score is not None:
            out["scored"] = 1
            out["score_sum"] = fact.score
        return out
    if fact.kind in _TAKEN_BACK_BY_KIND:
        return {_TAKEN_BACK_BY_KIND[fact.kind]: -1}
    return {_COUNTER_OF_KIND[fact.kind]: 1}


# --- ranges and time zones -------------------------------------------------------------------------


@dataclass(frozen=True)
class LocalRange:
    """Local calendar days [start, end] in a time zone, with the UTC instants bounding them."""

    start: dt.date
    end: dt.date
    zone: zoneinfo.ZoneInfo

    @property
    def time_zone(self) -> str:
        """The IANA name."""
        return self.zone.key

    @property
    def utc_start(self) -> dt.datetime:
        """Local midnight starting `start`, in UTC."""
        return dt.datetime.combine(self.start, dt.time(), self.zone).astimezone(dt.UTC)

    @property
    def utc_end(self) -> dt.datetime:
        """Local midnight after `end`, in UTC (exclusive)."""
        return dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), self.zone).astimezone(dt.UTC)

    def days(self) -> list[dt.date]:
        """Every day of the range, oldest first."""
        return [self.start + dt.timedelta(days=i) for i in range((self.end - self.start).days + 1)]


def parse_zone(name: str, field: str = "range.time_zone") -> zoneinfo.ZoneInfo:
    """An IANA zone ('' is UTC); InvalidArgument naming `field` if unknown."""
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise InvalidArgument.for_field(
            field, f"unknown time zone {name!r}", reason="UNKNOWN_TIME_ZONE"
        ) from None


def resolve_range(start: str, end: str, time_zone: str, now: dt.datetime) -> LocalRange:
    """Resolve a requested range: empty end = today, empty start = 29 days before the end."""
    zone = parse_zone(time_zone)
    violations: list[FieldViolation] = []

    def parse(value: str, field: str) -> dt.date | None:
        if not value:
            return None
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            violations.append(FieldViolation(field, f"{value!r} is not a date (YYYY-MM-DD)", "INVALID_DATE"))
            return None

    end_day = parse(end, "range.end_date") or now.astimezone(zone).date()
    start_day = parse(start, "range.start_date") or end_day - dt.timedelta(days=DEFAULT_RANGE_DAYS - 1)
    if not violations and start_day > end_day:
        violations.append(FieldViolation("range.start_date", "must not be after end_date", "RANGE_REVERSED"))
    if not violations and (end_day - start_day).days + 1 > MAX_RANGE_DAYS:
        violations.append(
            FieldViolation(
                "range.end_date", f"a range covers at most {MAX_RANGE_DAYS} days", "RANGE_TOO_LONG"
            )
        )
    if violations:
        raise InvalidArgument("invalid date range", violations=violations)
    return LocalRange(start_day, end_day, zone)


# --- scope ---------------------------------------------------------------------------------------------


class ScopeKind(enum.StrEnum):
    """Whose data an answer covers."""

    SELF = "self"
    TEAM = "team"
    TENANT = "tenant"


@dataclass(frozen=True)
class Scope:
    """The learners a caller may see: everyone (tenant) or an explicit set (self, team)."""

    kind: ScopeKind
    learner_ids: frozenset[str] = frozenset()

    def allows(self, learner_id: str) -> bool:
        """Whether this scope includes `learner_id`."""
        return self.kind is ScopeKind.TENANT or learner_id in self.learner_ids


# --- active-learner rollups ------------------------------------------------------------------------------

# Whole-hour UTC offsets the daily active-learner rollup is kept for (every zone's offset, floored, is one).
MIN_OFFSET, MAX_OFFSET = -12, 14
OFFSETS: tuple[int, ...] = tuple(range(MIN_OFFSET, MAX_OFFSET + 1))
HOUR = dt.timedelta(hours=1)


def local_day(hour: dt.datetime, offset: int) -> dt.date:
    """The local day a UTC hour's counters belong to under a fixed whole-hour offset."""
    return (hour.astimezone(dt.UTC) + offset * HOUR).date()


def first_in_day(hour: dt.datetime, others: Sequence[dt.datetime]) -> list[tuple[int, dt.date]]:
    """The (offset, local day) rollup rows a learner's newly active `hour` adds one learner to: those whose
    local day holds none of the learner's `others` (their other active hours, within a day and a half)."""
    out = []
    for offset in OFFSETS:
        day = local_day(hour, offset)
        if all(local_day(other, offset) != day for other in others):
            out.append((offset, day))
    return out


def fixed_offset(day: dt.date, zone: zoneinfo.ZoneInfo) -> int | None:
    """The whole-hour offset whose local `day` is exactly the UTC hours the zone's local `day` holds (hours
    attributed by their start, so 30/45-minute offsets are floored), or None on a day the offset changes
    (daylight saving transitions) or outside the kept offsets."""
    start = dt.datetime.combine(day, dt.time(), zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone)
    offsets = {math.floor((moment.utcoffset() or dt.timedelta()) / HOUR) for moment in (start, end)}
    if len(offsets) != 1:
        return None
    offset = offsets.pop()
    return offset if MIN_OFFSET <= offset <= MAX_OFFSET else None


@dataclass(frozen=True)
class Transition:
    """A local day one hour longer or shorter than 24 (a daylight saving change between whole-hour
    offsets): the fixed-offset day of its start offset covers [start, start + 24 h); the day itself is
    that plus the hour [start + 24 h, end) (`longer`), or that minus the hour [end, start + 24 h)."""

    offset: int
    start: dt.datetime
    end: dt.datetime

    @property
    def longer(self) -> bool:
        """True for a 25-hour day."""
        return self.end - self.start > dt.timedelta(hours=24)

    @property
    def hour(self) -> tuple[dt.datetime, dt.datetime]:
        """The hour the day has more (or less) than its start offset's fixed day."""
        boundary = self.start + dt.timedelta(hours=24)
        return (boundary, self.end) if self.longer else (self.end, boundary)

    @property
    def rest(self) -> tuple[dt.datetime, dt.datetime]:
        """The rest of the day's hours: the fixed day (longer) or the day itself (shorter)."""
        return (self.start, self.start + dt.timedelta(hours=24)) if self.longer else (self.start, self.end)


def transition(day: dt.date, zone: zoneinfo.ZoneInfo) -> Transition | None:
    """The local `day` as a `Transition` when its offset changes by exactly one hour between whole-hour
    offsets (every common daylight saving change); None otherwise (a fixed day, or a 30-minute shift)."""
    start = dt.datetime.combine(day, dt.time(), zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone)
    first, last = start.utcoffset() or dt.timedelta(), end.utcoffset() or dt.timedelta()
    if first % HOUR or last % HOUR or abs(first - last) != HOUR:
        return None
    offset = first // HOUR
    if not MIN_OFFSET <= offset <= MAX_OFFSET:
        return None
    return Transition(offset, start.astimezone(dt.UTC), end.astimezone(dt.UTC))


@dataclass(frozen=True, slots=True)
class StallPoint:
    """A course of a program where learners of active enrolments stall: how many, and their median idle
    days (whole UTC days since the day of their last activity in the course)."""

    course_id: str
    learners: int
    median_idle_days: float


def last_stalled_day(now: dt.datetime) -> dt.date:
    """The latest UTC day of last activity that counts as stalled at `now`: STALL_DAYS whole days ago."""
    return now.astimezone(dt.UTC).date() - dt.timedelta(days=STALL_DAYS)


def stall_points(groups: Mapping[str, Sequence[tuple[int, int]]], limit: int = 10) -> list[StallPoint]:
    """Stall points from each course's (idle days, learners) groups: the learners and the median of their
    idle days (the mean of the two middle values for an even count, like percentile_cont(0.5)), most
    stalled learners first, then by course id; at most `limit`."""
    points = []
    for course, pairs in groups.items():
        kept = [(idle, n) for idle, n in pairs if n > 0]
        if kept:
            points.append(StallPoint(course, sum(n for _, n in kept), _weighted_median(kept)))
    points.sort(key=lambda p: (-p.learners, p.course_id))
    return points[:limit]


def _weighted_median(groups: list[tuple[int, int]]) -> float:
    """Median of a multiset given as (value, multiplicity) pairs (non-empty)."""
    groups = sorted(groups)
    total = sum(n for _, n in groups)
    low, high = (total - 1) // 2, total // 2  # 0-based positions of the middle value(s)
    found: dict[int, int] = {}
    seen = 0
    for value, n in groups:
        for position in (low, high):
            if seen <= position < seen + n:
                found[position] = value
        seen += n
    return (found[low] + found[high]) / 2
