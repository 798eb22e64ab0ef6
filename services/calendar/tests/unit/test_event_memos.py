"""What an Event remembers (agenda expansions, rendered VEVENTs) equals what is computed afresh."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from aigym.calendar.v1 import calendar_pb2
from aigym_calendar import ical, mappers
from aigym_calendar.domain import (
    Audience,
    AudienceKind,
    Enrollment,
    Event,
    EventDraft,
    EventKind,
    EventState,
    Override,
    SignupState,
    expand_event,
)
from aigym_calendar.ical import CalendarDocument, fold, render


def _event(title: str = "Call", overrides: tuple[Override, ...] = ()) -> Event:
    start = datetime(2026, 6, 2, 7, 0, tzinfo=UTC)
    draft = EventDraft(
        kind=EventKind.SESSION,
        title=title,
        description="Long text " * 20,
        location="Room 1",
        online_url="",
        start=start,
        time_zone="Europe/Berlin",
        duration=timedelta(hours=1),
        rrule="FREQ=WEEKLY;COUNT=6",
        exdates=(datetime(2026, 6, 16, 7, 0, tzinfo=UTC),),
        rdates=(),
        audience=Audience(AudienceKind.TENANT),
        capacity=0,
        waitlist_enabled=False,
        reminder_minutes=(),
    )
    return Event(
        "0b7c9f4e-0000-4000-8000-000000000001",
        draft,
        EventState.ACTIVE,
        3,
        "",
        "coach",
        start,
        start,
        overrides,
    )


def _plain_render(document: CalendarDocument) -> bytes:
    """render() as it was before VEVENTs were remembered: every line rendered and folded per document."""
    stamp = document.stamp or datetime.now(UTC)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{ical.PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{ical.escape(document.name)}",
    ]
    zones = sorted({e.draft.time_zone for e in document.events})
    if zones:
        first_year = min(e.draft.start.year for e in document.events) - 1
        last_year = max(ical._last_year(e, stamp) for e in document.events) + 1
        for name in zones:
            lines += ical.vtimezone(name, first_year, last_year)
    for event in document.events:
        lines += ical._event_lines(event, stamp)
    for enrollment in document.enrollments:
        lines += ical._enrollment_lines(enrollment, stamp)
    lines.append("END:VCALENDAR")
    return b"".join(fold(line) for line in lines)


def test_rendered_feed_is_byte_identical_to_plain_rendering_for_every_stamp() -> None:
    moved = Override("20260609T070000Z", start=datetime(2026, 6, 10, 12, 0, tzinfo=UTC), title="Moved")
    cancelled = Override("20260623T070000Z", cancelled=True)
    tricky = _event(
        title="DTSTAMP:19000101T000000Z\r\nDTSTAMP:19000101T000000Z", overrides=(moved, cancelled)
    )
    enrollment = Enrollment(
        "e1", "p1", "ada", "active", None, datetime(2026, 7, 1, tzinfo=UTC), None, 2, "Prog"
    )
    for stamp in (datetime(2026, 11, 27, 4, 0, 1, tzinfo=UTC), datetime(2026, 11, 27, 5, 30, tzinfo=UTC)):
        document = CalendarDocument("AI Gym", [tricky, _event()], [enrollment], stamp=stamp)
        assert render(document) == _plain_render(document)
        assert (
            render(document).count(b"\r\nDTSTAMP:" + stamp.strftime("%Y%m%dT%H%M%SZ").encode()) == 4
        )  # 2 + 1 VEVENTs, 1 due date


def test_expansions_are_remembered_per_window_and_never_shared_with_an_edited_copy() -> None:
    event = _event()
    june = (datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 7, 1, tzinfo=UTC))
    first = expand_event(event, *june)
    again = expand_event(event, *june)
    with_cancelled = expand_event(event, *june, show_cancelled=True)
    edited = replace(event, overrides=(Override("20260602T070000Z", cancelled=True),), sequence=4)

    assert first == again
    assert first is not again
    assert [e.occurrence_id for e in first] == [
        "20260602T070000Z",
        "20260609T070000Z",
        "20260623T070000Z",
        "20260630T070000Z",
    ]
    assert with_cancelled == first  # nothing is cancelled in the original
    assert next(e.occurrence_id for e in expand_event(edited, *june)) == "20260609T070000Z"
    assert edited._expansions is not event._expansions
    assert edited._rendered is not event._rendered
    for week in range(20):  # many windows: the memo stays small
        start = june[0] + timedelta(days=week)
        expand_event(event, start, start + timedelta(days=7))
    assert len(event._expansions) <= 4
    expand_event(event, june[0], june[0] + timedelta(days=366))  # 6 entries: remembered
    long_daily = replace(event, draft=replace(event.draft, rrule="FREQ=DAILY"), _schedule=[])
    assert (
        len(expand_event(long_daily, june[0], june[0] + timedelta(days=100))) == 98
    )  # 2 June-8 Sept, 16 June exdated
    assert long_daily._expansions == {}  # too long to remember


def test_remembered_occurrence_messages_equal_fresh_ones_per_entry_and_zone() -> None:
    entries = expand_event(_event(), datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 8, 1, tzinfo=UTC))
    copies = [replace(e) for e in entries]  # equal values, other objects
    changed = replace(entries[0], title="Moved call", signup_state=SignupState.WAITLISTED)

    berlin = [mappers.entry_to_proto(e, "Europe/Berlin") for e in entries]
    again = [mappers.entry_to_proto(e, "Europe/Berlin") for e in entries]
    tokyo = mappers.entry_to_proto(entries[0], "Asia/Tokyo")

    assert all(a is b for a, b in zip(berlin, again, strict=True))  # remembered
    assert berlin == [mappers._occurrence(e, "Europe/Berlin") for e in copies]
    assert (berlin[0].local_start, tokyo.local_start) == (
        "2026-06-02T09:00:00+02:00",
        "2026-06-02T16:00:00+09:00",
    )
    fresh = mappers.entry_to_proto(changed, "Europe/Berlin")
    assert (fresh.title, fresh.signup_state) == ("Moved call", calendar_pb2.SIGNUP_STATE_WAITLISTED)


def test_a_full_occurrence_memo_starts_over_and_still_answers_correctly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(mappers, "OCCURRENCE_MEMO", 3)
    monkeypatch.setattr(mappers, "_OCCURRENCES", {})
    entries = expand_event(_event(), datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 8, 1, tzinfo=UTC))

    messages = [mappers.entry_to_proto(e, "UTC") for e in entries]

    assert len(entries) == 5
    assert len(mappers._OCCURRENCES) == 2  # filled to 3, emptied, refilled
    assert messages == [mappers._occurrence(e, "UTC") for e in entries]
