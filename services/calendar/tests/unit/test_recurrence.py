"""Recurrence edge cases the issue asks for: DST both ways, month ends, leap days, UNTIL forms, moves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from aigym_calendar.recurrence import (
    RecurrenceError,
    Schedule,
    occurrence_id,
    parse_occurrence_id,
    split_rule,
    validate_schedule,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
HOUR = timedelta(hours=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def starts(schedule: Schedule, start: datetime, end: datetime) -> list[datetime]:
    return [instant for _, instant in schedule.occurrences(start, end)]


def local_times(schedule: Schedule, start: datetime, end: datetime, tz: ZoneInfo) -> list[str]:
    return [instant.astimezone(tz).strftime("%Y-%m-%d %H:%M %z") for instant in starts(schedule, start, end)]


def test_weekly_session_keeps_its_local_time_when_summer_time_starts() -> None:
    # Europe/Berlin springs forward on Sunday 29 March 2026.
    weekly = Schedule(datetime(2026, 3, 17, 9, 0), "Europe/Berlin", HOUR, "FREQ=WEEKLY;BYDAY=TU")

    assert local_times(weekly, utc(2026, 3, 16), utc(2026, 4, 8), BERLIN) == [
        "2026-03-17 09:00 +0100",
        "2026-03-24 09:00 +0100",
        "2026-03-31 09:00 +0200",
        "2026-04-07 09:00 +0200",
    ]
    assert [i.hour for i in starts(weekly, utc(2026, 3, 16), utc(2026, 4, 8))] == [8, 8, 7, 7]


def test_weekly_session_keeps_its_local_time_when_summer_time_ends() -> None:
    # America/New_York falls back on Sunday 1 November 2026.
    weekly = Schedule(datetime(2026, 10, 26, 17, 30), "America/New_York", HOUR, "FREQ=WEEKLY;COUNT=3")

    assert local_times(weekly, utc(2026, 10, 1), utc(2026, 12, 1), NEW_YORK) == [
        "2026-10-26 17:30 -0400",
        "2026-11-02 17:30 -0500",
        "2026-11-09 17:30 -0500",
    ]


def test_daily_occurrence_in_the_spring_gap_moves_past_the_gap() -> None:
    # 02:30 does not exist in Berlin on 29 March 2026: RFC 5545 uses the offset before the gap (03:30 CEST).
    daily = Schedule(datetime(2026, 3, 28, 2, 30), "Europe/Berlin", HOUR, "FREQ=DAILY;COUNT=3")

    assert local_times(daily, utc(2026, 3, 27), utc(2026, 4, 1), BERLIN) == [
        "2026-03-28 02:30 +0100",
        "2026-03-29 03:30 +0200",
        "2026-03-30 02:30 +0200",
    ]


def test_daily_occurrence_in_the_repeated_autumn_hour_takes_the_first() -> None:
    # 02:30 happens twice in Berlin on 25 October 2026; the first (CEST, +02:00) is the occurrence.
    daily = Schedule(datetime(2026, 10, 24, 2, 30), "Europe/Berlin", HOUR, "FREQ=DAILY;COUNT=3")

    assert local_times(daily, utc(2026, 10, 23), utc(2026, 10, 28), BERLIN) == [
        "2026-10-24 02:30 +0200",
        "2026-10-25 02:30 +0200",
        "2026-10-26 02:30 +0100",
    ]


def test_bymonthday_31_skips_shorter_months_and_negative_one_is_the_last_day() -> None:
    day31 = Schedule(datetime(2026, 1, 31, 12, 0), "UTC", HOUR, "FREQ=MONTHLY;BYMONTHDAY=31;COUNT=4")
    last = Schedule(datetime(2026, 1, 31, 12, 0), "UTC", HOUR, "FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=4")

    assert [d.date().isoformat() for d in starts(day31, utc(2026, 1, 1), utc(2027, 1, 1))] == [
        "2026-01-31",
        "2026-03-31",
        "2026-05-31",
        "2026-07-31",
    ]
    assert [d.date().isoformat() for d in starts(last, utc(2026, 1, 1), utc(2027, 1, 1))] == [
        "2026-01-31",
        "2026-02-28",
        "2026-03-31",
        "2026-04-30",
    ]


def test_leap_day_series_occurs_only_in_leap_years() -> None:
    leap = Schedule(datetime(2028, 2, 29, 10, 0), "Europe/Berlin", HOUR, "FREQ=YEARLY")

    assert [d.year for d in starts(leap, utc(2028, 1, 1), utc(2037, 1, 1))] == [2028, 2032, 2036]
    assert validate_schedule(leap) == []


def test_until_in_utc_and_until_in_local_time_differ_by_the_offset() -> None:
    # A daily 23:30 Berlin event: the 31 Dec occurrence is 22:30 UTC.
    in_utc = Schedule(
        datetime(2026, 12, 29, 23, 30), "Europe/Berlin", HOUR, "FREQ=DAILY;UNTIL=20261231T223000Z"
    )
    before = Schedule(
        datetime(2026, 12, 29, 23, 30), "Europe/Berlin", HOUR, "FREQ=DAILY;UNTIL=20261231T222959Z"
    )
    local = Schedule(
        datetime(2026, 12, 29, 23, 30), "Europe/Berlin", HOUR, "FREQ=DAILY;UNTIL=20261231T233000"
    )
    day = Schedule(datetime(2026, 12, 29, 23, 30), "Europe/Berlin", HOUR, "FREQ=DAILY;UNTIL=20261231")
    window = (utc(2026, 12, 1), utc(2027, 2, 1))

    assert len(starts(in_utc, *window)) == 3  # UNTIL is inclusive
    assert len(starts(before, *window)) == 2
    assert len(starts(local, *window)) == 3
    assert len(starts(day, *window)) == 3  # a date means the end of that local day
    assert in_utc.last_end() == utc(2026, 12, 31, 23, 30)


def test_open_ended_series_expands_any_window_and_has_no_end() -> None:
    weekly = Schedule(datetime(2026, 1, 5, 9, 0), "Europe/Berlin", HOUR, "FREQ=WEEKLY")

    assert weekly.last_end() is None
    assert len(starts(weekly, utc(2030, 1, 1), utc(2031, 1, 1))) == 52


def test_exdate_and_rdate_shape_the_set() -> None:
    base = Schedule(datetime(2026, 6, 1, 9, 0), "Europe/Berlin", HOUR, "FREQ=DAILY;COUNT=3")
    second = occurrence_id(utc(2026, 6, 2, 7, 0))
    shaped = Schedule(
        base.start_local,
        base.time_zone,
        HOUR,
        base.rrule,
        exdates=frozenset({second}),
        rdates=(datetime(2026, 6, 10, 14, 0),),
    )

    assert [occurrence_id(s) for s in starts(shaped, utc(2026, 5, 1), utc(2026, 7, 1))] == [
        "20260601T070000Z",
        "20260603T070000Z",
        "20260610T120000Z",
    ]
    assert not shaped.has_occurrence(second)
    assert shaped.has_occurrence("20260610T120000Z")
    assert not shaped.has_occurrence("20260604T070000Z")


def test_window_includes_an_occurrence_that_started_before_it() -> None:
    long = Schedule(datetime(2026, 6, 1, 9, 0), "UTC", timedelta(hours=3), "FREQ=DAILY;COUNT=2")

    assert starts(long, utc(2026, 6, 1, 11, 0), utc(2026, 6, 1, 12, 0)) == [utc(2026, 6, 1, 9, 0)]
    assert starts(long, utc(2026, 6, 1, 12, 0), utc(2026, 6, 2, 9, 0)) == []


def test_split_keeps_the_remaining_count_and_ends_the_head_before_the_occurrence() -> None:
    weekly = Schedule(datetime(2026, 3, 17, 9, 0), "Europe/Berlin", HOUR, "FREQ=WEEKLY;BYDAY=TU;COUNT=6")

    head, tail = split_rule(weekly, datetime(2026, 3, 31, 9, 0))

    assert head == "FREQ=WEEKLY;BYDAY=TU;UNTIL=20260331T065959Z"
    assert tail == "FREQ=WEEKLY;BYDAY=TU;COUNT=4"
    head_series = Schedule(weekly.start_local, weekly.time_zone, HOUR, head)
    tail_series = Schedule(datetime(2026, 3, 31, 9, 0), weekly.time_zone, HOUR, tail)
    window = (utc(2026, 1, 1), utc(2027, 1, 1))
    assert len(starts(head_series, *window)) + len(starts(tail_series, *window)) == 6
    assert starts(head_series, *window)[-1] == utc(2026, 3, 24, 8, 0)


@pytest.mark.parametrize(
    ("rule", "field", "fragment"),
    [
        ("FREQ=SECONDLY", "recurrence.rrule", "FREQ"),
        ("FREQ=WEEKLY;COUNT=2;UNTIL=20270101", "recurrence.rrule", "COUNT and UNTIL"),
        ("FREQ=WEEKLY;FOO=1", "recurrence.rrule", "unsupported"),
        ("FREQ=WEEKLY;BYDAY=XX", "recurrence.rrule", "invalid"),
        ("FREQ=WEEKLY;UNTIL=2027", "recurrence.rrule", "UNTIL"),
        ("FREQ=WEEKLY;BYDAY=WE", "start_time", "first occurrence"),
        ("FREQ=WEEKLY;UNTIL=20200101T000000Z", "start_time", "first occurrence"),
    ],
)
def test_invalid_rules_name_the_field(rule: str, field: str, fragment: str) -> None:
    # 2026-03-17 is a Tuesday.
    (error,) = validate_schedule(Schedule(datetime(2026, 3, 17, 9, 0), "Europe/Berlin", HOUR, rule))

    assert error.field == field
    assert fragment in error.message


def test_unknown_zone_and_bad_occurrence_ids_are_refused() -> None:
    (error,) = validate_schedule(Schedule(datetime(2026, 3, 17, 9, 0), "Mars/Olympus", HOUR))
    assert error.field == "time_zone"
    with pytest.raises(RecurrenceError):
        parse_occurrence_id("2026-03-17")
    assert parse_occurrence_id("20260317T080000Z") == utc(2026, 3, 17, 8, 0)
