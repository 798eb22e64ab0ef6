"""RFC 5545 recurrence, expanded in the event's local wall time so series keep their clock time across DST.

A series is stored as rules: DTSTART as a naive local date-time plus an IANA zone, an RRULE, EXDATEs (by
occurrence id) and RDATEs (naive local). Expansion runs dateutil's rrule on naive local times and only then
attaches the zone, following RFC 5545 §3.3.5 for local times that do not exist (spring forward: the offset
before the gap applies, so 02:30 becomes 03:30) or exist twice (fall back: the first one).

An occurrence is identified by its original start in UTC, `YYYYMMDDTHHMMSSZ` (the RECURRENCE-ID's instant).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrule as RRule
from dateutil.rrule import rrulestr

OCCURRENCE_ID = re.compile(r"^[0-9]{8}T[0-9]{6}Z$")
_UNTIL = re.compile(r"^(?P<date>[0-9]{8})(?:T(?P<time>[0-9]{6})(?P<z>Z)?)?$")
_ALLOWED_PARTS = frozenset(
    {
        "FREQ",
        "UNTIL",
        "COUNT",
        "INTERVAL",
        "BYSECOND",
        "BYMINUTE",
        "BYHOUR",
        "BYDAY",
        "BYMONTHDAY",
        "BYYEARDAY",
        "BYWEEKNO",
        "BYMONTH",
        "BYSETPOS",
        "WKST",
    }
)
_ALLOWED_FREQ = frozenset({"HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY"})
MAX_FINITE_OCCURRENCES = 5000  # a finite series longer than this is treated as open-ended for indexing
EXPANSION_BLOCK = timedelta(days=32)  # occurrences are expanded and cached per UTC block of this length
EXPANSION_CACHE_ITEMS = 200_000  # occurrences kept by the per-process expansion cache (about 30 MB)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MARGIN = timedelta(days=2)  # covers any UTC offset difference between UTC and local times
_SAFE_MIN = datetime(3, 1, 1, tzinfo=UTC)  # blocks are computed only well inside datetime's range
_SAFE_MAX = datetime(9997, 1, 1, tzinfo=UTC)

Occurrence = tuple[str, datetime]
_TimingKey = tuple[datetime, str, str, tuple[datetime, ...]]


class RecurrenceError(ValueError):
    """A rule, zone or date that cannot describe a series; `field` names the offending input."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


def zone(name: str) -> ZoneInfo:
    """The IANA zone `name`; RecurrenceError('time_zone') if unknown."""
    return _zone(name)


@lru_cache(maxsize=512)
def _zone(name: str) -> ZoneInfo:
    if not name or name.startswith(("/", ".")) or ".." in name:
        raise RecurrenceError("time_zone", f"unknown IANA time zone {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise RecurrenceError("time_zone", f"unknown IANA time zone {name!r}") from None


def localize(local: datetime, tz: ZoneInfo) -> datetime:
    """Attach `tz` to a naive local time per RFC 5545: gaps use the offset before them, repeats the first."""
    aware = local.replace(tzinfo=tz, fold=0)
    # fold=0 already means "the earlier offset" for both gaps and repeats (PEP 495), which is the RFC rule;
    # round-tripping through UTC turns a gap time into the real wall time after the transition.
    return aware.astimezone(UTC).astimezone(tz)


def to_local(instant: datetime, tz: ZoneInfo) -> datetime:
    """A UTC instant as naive local wall time in `tz`."""
    return instant.astimezone(tz).replace(tzinfo=None)


def occurrence_id(instant: datetime) -> str:
    """`YYYYMMDDTHHMMSSZ` of an aware instant."""
    return instant.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def parse_occurrence_id(value: str) -> datetime:
    """The UTC instant an occurrence id names; RecurrenceError('occurrence_id') if malformed."""
    if not OCCURRENCE_ID.match(value):
        raise RecurrenceError("occurrence_id", "occurrence ids look like 20261201T080000Z")
    try:
        return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise RecurrenceError("occurrence_id", "occurrence id is not a valid date-time") from None


def rule_parts(rule: str) -> dict[str, str]:
    """RRULE parts as an ordered dict (`FREQ=WEEKLY;COUNT=3` -> {"FREQ": "WEEKLY", "COUNT": "3"})."""
    parts: dict[str, str] = {}
    for chunk in rule.strip().removeprefix("RRULE:").split(";"):
        if not chunk:
            continue
        name, sep, value = chunk.partition("=")
        name = name.strip().upper()
        if not sep or not value.strip():
            raise RecurrenceError("recurrence.rrule", f"malformed RRULE part {chunk!r}")
        if name in parts:
            raise RecurrenceError("recurrence.rrule", f"RRULE part {name} appears twice")
        parts[name] = value.strip().upper()
    return parts


def format_rule(parts: dict[str, str]) -> str:
    """Inverse of `rule_parts`."""
    return ";".join(f"{k}={v}" for k, v in parts.items())


def until_local(value: str, tz: ZoneInfo) -> datetime:
    """UNTIL as naive local time: UTC (`...Z`) converted, local date-time as is, a date as that day's end."""
    match = _UNTIL.match(value)
    if not match:
        raise RecurrenceError("recurrence.rrule", f"UNTIL {value!r} is neither a date nor a date-time")
    try:
        if match["time"] is None:
            day = datetime.strptime(match["date"], "%Y%m%d")
            return day.replace(hour=23, minute=59, second=59)
        moment = datetime.strptime(match["date"] + match["time"], "%Y%m%d%H%M%S")
    except ValueError:
        raise RecurrenceError("recurrence.rrule", f"UNTIL {value!r} is not a valid date") from None
    if match["z"]:
        return to_local(moment.replace(tzinfo=UTC), tz)
    return moment


@dataclass(frozen=True)
class Schedule:
    """Timing of an event: DTSTART (naive local), zone, duration, RRULE, EXDATE ids, RDATEs (naive local)."""

    start_local: datetime
    time_zone: str
    duration: timedelta
    rrule: str = ""
    exdates: frozenset[str] = frozenset()
    rdates: tuple[datetime, ...] = ()
    _compiled: list[RRule | None] = field(default_factory=list, compare=False, repr=False)

    @property
    def tz(self) -> ZoneInfo:
        """The event's zone."""
        return zone(self.time_zone)

    @property
    def recurring(self) -> bool:
        """True for a series (a rule or extra dates)."""
        return bool(self.rrule) or bool(self.rdates)

    @property
    def start(self) -> datetime:
        """DTSTART as an aware UTC instant."""
        return localize(self.start_local, self.tz).astimezone(UTC)

    def rule(self) -> RRule | None:
        """The compiled rule (UNTIL normalised to naive local time), cached on the instance."""
        if not self._compiled:
            self._compiled.append(
                _compiled_rule(self.rrule, self.start_local, self.time_zone) if self.rrule else None
            )
        return self._compiled[0]

    @property
    def timing_key(self) -> _TimingKey:
        """What the occurrence starts depend on (not EXDATEs, which are filtered after expansion)."""
        return (self.start_local, self.time_zone, self.rrule, self.rdates)

    def local_starts(
        self, after: datetime | None = None, before: datetime | None = None
    ) -> Iterator[datetime]:
        """Naive local starts (rule + RDATEs + DTSTART, without EXDATEs) in [after, before], sorted."""
        starts: set[datetime] = {self.start_local}
        rule = self.rule()
        if rule is not None:
            if after is None and before is None:
                starts.update(rule)
            else:
                low = after or self.start_local
                high = before or datetime.max
                starts.update(rule.between(low, high, inc=True))
        starts.update(self.rdates)
        for local in sorted(starts):
            if (after is None or local >= after) and (before is None or local <= before):
                yield local

    def occurrences(self, window_start: datetime, window_end: datetime) -> Iterator[tuple[str, datetime]]:
        """(occurrence id, UTC start) of occurrences overlapping [window_start, window_end), sorted by start.

        An occurrence overlaps when it starts before the window's end and ends after its start (a zero
        length one when it starts inside the window). Exdated occurrences are skipped. Served from the
        per-process cache of expanded blocks (`expanded_block`); `plain_occurrences` is the same without it.
        """
        low = window_start - self.duration
        if low < _SAFE_MIN or window_end > _SAFE_MAX:
            yield from self.plain_occurrences(window_start, window_end)
            return
        zero = self.duration == timedelta(0)
        found: list[Occurrence] = []
        for block in expanded_blocks(self, _block_index(low), _block_index(window_end)):
            for oid, start in block:
                if start >= window_end:
                    continue
                overlaps = start + self.duration > window_start or (zero and start >= window_start)
                if overlaps and oid not in self.exdates:
                    found.append((oid, start))
        found.sort(key=lambda item: item[1])
        yield from found

    def plain_occurrences(
        self, window_start: datetime, window_end: datetime
    ) -> Iterator[tuple[str, datetime]]:
        """`occurrences` straight from the rule (dateutil from DTSTART), uncached, in local start order.

        Local and UTC order differ only for starts in a spring-forward gap; every caller sorts by start.
        """
        tz = self.tz
        low = to_local(window_start - self.duration, tz) - _MARGIN
        high = to_local(window_end, tz) + _MARGIN
        for local in self.local_starts(low, high):
            start = localize(local, tz).astimezone(UTC)
            end = start + self.duration
            if start >= window_end:
                continue
            if end > window_start or (start >= window_start and self.duration == timedelta(0)):
                oid = occurrence_id(start)
                if oid not in self.exdates:
                    yield oid, start

    def has_occurrence(self, oid: str) -> bool:
        """True if `oid` is an occurrence of the series (EXDATEs excluded)."""
        if oid in self.exdates:
            return False
        instant = parse_occurrence_id(oid)
        if not (_SAFE_MIN <= instant <= _SAFE_MAX):
            return self.plain_has_occurrence(oid)
        return any(found == oid for found, _ in expanded_block(self, _block_index(instant)))

    def plain_has_occurrence(self, oid: str) -> bool:
        """`has_occurrence` computed straight from the rule, without any cache."""
        if oid in self.exdates:
            return False
        instant = parse_occurrence_id(oid)
        local = to_local(instant, self.tz)
        day = timedelta(days=1)
        return any(
            occurrence_id(localize(candidate, self.tz)) == oid
            for candidate in self.local_starts(local - day, local + day)
        )

    def last_end(self) -> datetime | None:
        """End of the last occurrence (UTC), or None for an open-ended (or very long) series."""
        last = _last_start(self.timing_key)
        return None if last is None else last + self.duration

    def count_before(self, local: datetime) -> int:
        """How many starts the RRULE generated before `local` (COUNT counts exdated ones, not RDATEs)."""
        rule = self.rule()
        if rule is None:
            return 0
        return sum(1 for start in rule.between(self.start_local, local, inc=True) if start < local)


def _block_index(instant: datetime) -> int:
    return (instant - _EPOCH) // EXPANSION_BLOCK


class _ExpansionCache:
    """A per-process LRU of expanded blocks, bounded by the number of occurrences it holds."""

    def __init__(self, max_items: int) -> None:
        self.max_items = max_items
        self.items = 0
        self.hits = 0
        self.misses = 0
        self._blocks: OrderedDict[tuple[_TimingKey, int], tuple[Occurrence, ...]] = OrderedDict()

    def get(self, key: tuple[_TimingKey, int]) -> tuple[Occurrence, ...] | None:
        found = self._blocks.get(key)
        if found is None:
            self.misses += 1
            return None
        self.hits += 1
        self._blocks.move_to_end(key)
        return found

    def put(self, key: tuple[_TimingKey, int], block: tuple[Occurrence, ...]) -> None:
        if key in self._blocks:
            return
        self._blocks[key] = block
        self.items += len(block) + 1  # an empty block still costs an entry
        while self.items > self.max_items and self._blocks:
            _, evicted = self._blocks.popitem(last=False)
            self.items -= len(evicted) + 1

    def clear(self) -> None:
        self._blocks.clear()
        self.items = self.hits = self.misses = 0


EXPANSIONS = _ExpansionCache(EXPANSION_CACHE_ITEMS)


def expanded_block(schedule: Schedule, index: int) -> tuple[Occurrence, ...]:
    """(occurrence id, UTC start) of every start in UTC block `index`, EXDATEs included, sorted by start."""
    return expanded_blocks(schedule, index, index)[0]


def expanded_blocks(schedule: Schedule, first: int, last: int) -> list[tuple[Occurrence, ...]]:
    """The expanded blocks `first`..`last` (inclusive) of a schedule, from the cache where possible.

    A block is a pure function of the schedule's timing (DTSTART, zone, rule, RDATEs), which is the cache
    key: an edit that changes any of them is a different key, so nothing needs invalidating. Consecutive
    missing blocks are expanded by one pass of the rule, so a cold read costs what it did without a cache.
    """
    timing = schedule.timing_key
    blocks: list[tuple[Occurrence, ...] | None] = [
        EXPANSIONS.get((timing, index)) for index in range(first, last + 1)
    ]
    position = 0
    while position < len(blocks):
        if blocks[position] is not None:
            position += 1
            continue
        end = position
        while end < len(blocks) and blocks[end] is None:
            end += 1
        low = _EPOCH + (first + position) * EXPANSION_BLOCK
        high = _EPOCH + (first + end) * EXPANSION_BLOCK
        tz = schedule.tz
        buckets: list[list[Occurrence]] = [[] for _ in range(end - position)]
        for local in schedule.local_starts(to_local(low, tz) - _MARGIN, to_local(high, tz) + _MARGIN):
            start = localize(local, tz).astimezone(UTC)
            if low <= start < high:
                buckets[(start - low) // EXPANSION_BLOCK].append((occurrence_id(start), start))
        for offset, bucket in enumerate(buckets):
            bucket.sort(key=lambda item: item[1])
            block = tuple(bucket)
            EXPANSIONS.put((timing, first + position + offset), block)
            blocks[position + offset] = block
        position = end
    return [block for block in blocks if block is not None]


@lru_cache(maxsize=4096)
def _last_start(timing: _TimingKey) -> datetime | None:
    """UTC start of a finite series' last occurrence (None when open-ended or very long)."""
    start_local, time_zone, rule, rdates = timing
    schedule = Schedule(start_local, time_zone, timedelta(0), rule, frozenset(), rdates)
    if rule:
        parts = rule_parts(rule)
        if "COUNT" not in parts and "UNTIL" not in parts:
            schedule.rule()  # an invalid rule raises here, as before
            return None
    last: datetime | None = None
    for count, local in enumerate(schedule.local_starts()):
        if count > MAX_FINITE_OCCURRENCES:
            return None
        last = local
    assert last is not None  # DTSTART is always there
    return localize(last, schedule.tz).astimezone(UTC)


@lru_cache(maxsize=4096)
def _compiled_rule(rule: str, start_local: datetime, time_zone: str) -> RRule:
    """`compile_rule`, memoised per process (dateutil rules are not changed by iterating them)."""
    return compile_rule(rule, start_local, zone(time_zone))


def compile_rule(rule: str, start_local: datetime, tz: ZoneInfo) -> RRule:
    """Validate and compile an RRULE for a naive local DTSTART; RecurrenceError('recurrence.rrule') if bad."""
    parts = rule_parts(rule)
    unknown = set(parts) - _ALLOWED_PARTS
    if unknown:
        raise RecurrenceError("recurrence.rrule", f"unsupported RRULE parts: {', '.join(sorted(unknown))}")
    if parts.get("FREQ") not in _ALLOWED_FREQ:
        raise RecurrenceError("recurrence.rrule", "FREQ must be HOURLY, DAILY, WEEKLY, MONTHLY or YEARLY")
    if "COUNT" in parts and "UNTIL" in parts:
        raise RecurrenceError("recurrence.rrule", "COUNT and UNTIL cannot both be given")
    if "COUNT" in parts and not (parts["COUNT"].isdigit() and 1 <= int(parts["COUNT"]) <= 10000):
        raise RecurrenceError("recurrence.rrule", "COUNT must be 1..10000")
    if "UNTIL" in parts:
        parts["UNTIL"] = until_local(parts["UNTIL"], tz).strftime("%Y%m%dT%H%M%S")
    try:
        compiled = rrulestr(format_rule(parts), dtstart=start_local, cache=False)
    except (ValueError, TypeError) as error:
        raise RecurrenceError("recurrence.rrule", f"invalid RRULE: {error}") from None
    assert isinstance(compiled, RRule)
    return compiled


def split_rule(schedule: Schedule, at_local: datetime) -> tuple[str, str]:
    """Rules of the two halves of a series split at the occurrence starting at `at_local`.

    The first half ends just before it (UNTIL one second earlier, in UTC); the second keeps the rule with
    COUNT reduced by the occurrences already past, or the original UNTIL.
    """
    parts = rule_parts(schedule.rrule)
    head = {k: v for k, v in parts.items() if k not in ("COUNT", "UNTIL")}
    cut = localize(at_local, schedule.tz).astimezone(UTC) - timedelta(seconds=1)
    head["UNTIL"] = cut.strftime("%Y%m%dT%H%M%SZ")
    tail = dict(parts)
    if "COUNT" in parts:
        remaining = int(parts["COUNT"]) - schedule.count_before(at_local)
        tail["COUNT"] = str(max(1, remaining))
    return format_rule(head), format_rule(tail)


def validate_schedule(schedule: Schedule) -> Sequence[RecurrenceError]:
    """Every problem with a schedule (zone, rule, DTSTART not an occurrence of its rule)."""
    try:
        tz = zone(schedule.time_zone)
    except RecurrenceError as error:
        return [error]
    if not schedule.rrule:
        return []
    try:
        rule = compile_rule(schedule.rrule, schedule.start_local, tz)
    except RecurrenceError as error:
        return [error]
    first = next(iter(rule), None)
    if first != schedule.start_local:
        return [
            RecurrenceError(
                "start_time",
                "start_time must be the first occurrence of the rule "
                f"(the rule's first is {first.isoformat() if first else 'none'})",
            )
        ]
    return []
