"""The cached block expansion answers exactly what plain dateutil expansion from DTSTART answers.

Property tests over seeded random rules, zones (DST both hemispheres, half-hour shifts), DTSTARTs in
gaps and repeated hours, EXDATEs, RDATEs, durations and windows; every case is reproducible from its seed.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from aigym_calendar import recurrence
from aigym_calendar.recurrence import (
    EXPANSIONS,
    MAX_FINITE_OCCURRENCES,
    Schedule,
    localize,
    occurrence_id,
    rule_parts,
    validate_schedule,
)

ZONES = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "America/Sao_Paulo",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Asia/Kolkata",
    "America/St_Johns",
    "Pacific/Apia",
]
WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


def _rule(rng: random.Random) -> str:
    freq = rng.choice(["HOURLY", "DAILY", "DAILY", "WEEKLY", "WEEKLY", "MONTHLY", "MONTHLY", "YEARLY"])
    parts = [f"FREQ={freq}"]
    if rng.random() < 0.5:
        parts.append(f"INTERVAL={rng.randint(2, 5) if freq != 'HOURLY' else rng.randint(5, 49)}")
    if freq == "WEEKLY" and rng.random() < 0.6:
        parts.append("BYDAY=" + ",".join(rng.sample(WEEKDAYS, rng.randint(1, 3))))
    if freq in ("MONTHLY", "YEARLY"):
        choice = rng.random()
        if choice < 0.3:
            parts.append("BYMONTHDAY=" + rng.choice(["1", "15", "29", "30", "31", "-1", "1,-1"]))
        elif choice < 0.6:
            parts.append("BYDAY=" + rng.choice(["1MO", "-1FR", "2TU,4TU", "MO,TU,WE,TH,FR", "SU"]))
            if rng.random() < 0.4:
                parts.append("BYSETPOS=" + rng.choice(["1", "-1", "2,-2"]))
    if freq == "YEARLY" and rng.random() < 0.5:
        parts.append("BYMONTH=" + rng.choice(["2", "3,10", "11", "4,9,12"]))
    if freq == "DAILY" and rng.random() < 0.3:
        parts.append("BYHOUR=" + rng.choice(["2", "2,14", "1,3", "9"]))
        if rng.random() < 0.5:
            parts.append("BYMINUTE=" + rng.choice(["0", "30", "0,45"]))
    if rng.random() < 0.2:
        parts.append("WKST=" + rng.choice(["MO", "SU", "WE"]))
    bound = rng.random()
    if freq == "HOURLY" and not any(part.startswith("INTERVAL") for part in parts):
        bound = 0.0  # an open-ended hourly series is 8,760 starts a year: keep the test quick
    if bound < 0.3:
        parts.append(f"COUNT={rng.randint(1, 120)}")
    elif bound < 0.6:
        until = datetime(2026, 1, 1) + timedelta(days=rng.randint(0, 900), hours=rng.randint(0, 23))
        form = rng.choice(["%Y%m%d", "%Y%m%dT%H%M%S", "%Y%m%dT%H%M%SZ"])
        parts.append(f"UNTIL={until.strftime(form)}")
    return ";".join(parts)


def _start(rng: random.Random) -> datetime:
    day = datetime(2025, 10, 1) + timedelta(days=rng.randint(0, 500))
    # Clock times near 02:00-03:00 land in spring gaps and autumn repeats in many of the zones.
    hour, minute = rng.choice(
        [(2, 30), (2, 0), (1, 30), (3, 0), (0, 0), (9, 0), (23, 30), (rng.randint(0, 23), 15)]
    )
    return day.replace(hour=hour, minute=minute)


def _schedule(rng: random.Random) -> Schedule:
    time_zone = rng.choice(ZONES)
    start = _start(rng)
    rule = _rule(rng)
    plain = Schedule(start, time_zone, timedelta(0), rule)
    if rng.random() < 0.7:  # realistic: DTSTART is the rule's first occurrence, as validation demands
        first = next(iter(plain.rule() or []), None)
        if first is None:
            rule = ""
        else:
            start = first
            plain = Schedule(start, time_zone, timedelta(0), rule)
    duration = rng.choice([timedelta(0), timedelta(minutes=30), timedelta(hours=1), timedelta(hours=26)])
    rdates = tuple(
        sorted(
            {
                start + timedelta(days=rng.randint(1, 400), hours=rng.randint(-5, 5))
                for _ in range(rng.randint(0, 3))
            }
        )
    )
    some = [
        oid
        for oid, _ in plain.plain_occurrences(
            localize(start, plain.tz), localize(start, plain.tz) + timedelta(days=200)
        )
    ]
    exdates = frozenset(rng.sample(some, min(len(some), rng.randint(0, 3))))
    return Schedule(start, time_zone, duration, rule, exdates, rdates)


def _windows(rng: random.Random, schedule: Schedule) -> Iterator[tuple[datetime, datetime]]:
    anchor = localize(schedule.start_local, schedule.tz).astimezone(UTC)
    for _ in range(6):
        start = anchor + timedelta(
            days=rng.randint(-40, 700), minutes=rng.choice([0, 30, rng.randint(0, 1439)])
        )
        length = rng.choice(
            [
                timedelta(hours=1),
                timedelta(days=1),
                timedelta(days=7),
                timedelta(days=45),
                timedelta(days=366),
            ]
        )
        yield start, start + length


@pytest.fixture(autouse=True)
def _small_cache() -> Iterator[None]:
    """A small cache, so evictions happen during the properties too."""
    saved = EXPANSIONS.max_items
    EXPANSIONS.clear()
    EXPANSIONS.max_items = 3000
    yield
    EXPANSIONS.max_items = saved
    EXPANSIONS.clear()


@pytest.mark.parametrize("seed", range(300))
def test_cached_occurrences_equal_plain_expansion(seed: int) -> None:
    rng = random.Random(seed)
    schedule = _schedule(rng)
    for start, end in _windows(rng, schedule):
        cached = list(schedule.occurrences(start, end))
        plain = list(schedule.plain_occurrences(start, end))
        assert sorted(cached, key=lambda o: (o[1], o[0])) == sorted(plain, key=lambda o: (o[1], o[0])), (
            seed,
            schedule,
            start,
            end,
        )
        assert [s for _, s in cached] == sorted(s for _, s in cached)  # sorted by start
        # A second read (from the cache) answers the same.
        assert list(schedule.occurrences(start, end)) == cached


@pytest.mark.parametrize("seed", range(150))
def test_cached_has_occurrence_equals_plain(seed: int) -> None:
    rng = random.Random(10_000 + seed)
    schedule = _schedule(rng)
    anchor = localize(schedule.start_local, schedule.tz).astimezone(UTC)
    real = [
        oid for oid, _ in schedule.plain_occurrences(anchor - timedelta(days=1), anchor + timedelta(days=400))
    ]
    candidates = rng.sample(real, min(len(real), 8)) + list(schedule.exdates)
    candidates += [occurrence_id(anchor + timedelta(minutes=rng.randint(-600, 500_000))) for _ in range(8)]
    candidates += [occurrence_id(anchor + timedelta(days=rng.randint(0, 400))) for _ in range(4)]
    for oid in candidates:
        assert schedule.has_occurrence(oid) == schedule.plain_has_occurrence(oid), (seed, schedule, oid)


def _plain_last_end(schedule: Schedule) -> datetime | None:
    """last_end as it was computed before the cache (iterate every start)."""
    if schedule.rrule:
        parts = rule_parts(schedule.rrule)
        if "COUNT" not in parts and "UNTIL" not in parts:
            return None
    last = None
    for count, local in enumerate(schedule.local_starts()):
        if count > MAX_FINITE_OCCURRENCES:
            return None
        last = local
    assert last is not None
    return localize(last, schedule.tz).astimezone(UTC) + schedule.duration


@pytest.mark.parametrize("seed", range(100))
def test_cached_last_end_equals_plain(seed: int) -> None:
    schedule = _schedule(random.Random(20_000 + seed))
    assert schedule.last_end() == _plain_last_end(schedule)
    assert schedule.last_end() == _plain_last_end(schedule)


def test_an_edited_rule_is_a_different_cache_entry() -> None:
    weekly = Schedule(datetime(2026, 3, 3, 9, 0), "Europe/Berlin", timedelta(hours=1), "FREQ=WEEKLY")
    window = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
    assert len(list(weekly.occurrences(*window))) == 5
    moved = Schedule(datetime(2026, 3, 3, 10, 0), "Europe/Berlin", timedelta(hours=1), "FREQ=WEEKLY;COUNT=2")
    assert [s.hour for _, s in moved.occurrences(*window)] == [9, 9]
    exdated = Schedule(
        datetime(2026, 3, 3, 9, 0),
        "Europe/Berlin",
        timedelta(hours=1),
        "FREQ=WEEKLY",
        frozenset({"20260310T080000Z"}),
    )
    assert "20260310T080000Z" not in {oid for oid, _ in exdated.occurrences(*window)}
    assert not exdated.has_occurrence("20260310T080000Z")
    assert weekly.has_occurrence("20260310T080000Z")


def test_the_cache_stays_within_its_bound() -> None:
    EXPANSIONS.max_items = 200
    hourly = Schedule(datetime(2026, 1, 1, 0, 0), "UTC", timedelta(minutes=10), "FREQ=HOURLY;INTERVAL=5")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for month in range(12):
        list(hourly.occurrences(start + timedelta(days=30 * month), start + timedelta(days=30 * month + 40)))
        assert EXPANSIONS.items <= 200 or len(EXPANSIONS._blocks) == 1
    assert list(hourly.occurrences(start, start + timedelta(days=40))) == list(
        hourly.plain_occurrences(start, start + timedelta(days=40))
    )


def test_an_invalid_rule_still_fails_validation_and_last_end() -> None:
    broken = Schedule(datetime(2026, 1, 1, 9, 0), "UTC", timedelta(hours=1), "FREQ=WEEKLY;BYDAY=XX")
    assert validate_schedule(broken)
    with pytest.raises(recurrence.RecurrenceError):
        broken.last_end()
