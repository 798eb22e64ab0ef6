"""iCalendar feeds and .ics downloads, parsed back with an independent parser (the icalendar package)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import grpc
import icalendar
import pytest

from aigym.calendar.v1 import calendar_pb2 as pb
from aigym.calendar.v1 import calendar_pb2_grpc
from aigym_platform.testing.tokens import TokenFactory
from services.calendar.tests.integration.helpers import mask, session, ts, who

Stub = calendar_pb2_grpc.CalendarServiceStub
BERLIN = ZoneInfo("Europe/Berlin")


def next_tuesday_9() -> datetime:
    """09:00 Berlin on a Tuesday at least a week ahead (feeds show the near past and the future)."""
    day = datetime.now(BERLIN).date() + timedelta(days=7)
    while day.weekday() != 1:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 9, 0, tzinfo=BERLIN).astimezone(UTC)


def oid(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def token_of(feed: pb.Feed) -> str:
    return feed.url.split("/v1/feeds/")[1].split("/")[0]


async def test_feed_keeps_rules_overrides_and_sequence_and_parses_back(
    stub: Stub, tokens: TokenFactory, tenant: uuid.UUID
) -> None:
    coach = who(tokens, tenant, "manager", "coach")
    learner = who(tokens, tenant, "learner", "ada")
    first = next_tuesday_9()
    event = await stub.CreateEvent(
        pb.CreateEventRequest(
            event=session(first, "FREQ=WEEKLY;BYDAY=TU;UNTIL=20991231", title="Cohort call; part 1, intro")
        ),
        metadata=coach,
    )
    second, third = first + timedelta(days=7), first + timedelta(days=14)
    await stub.CancelOccurrence(
        pb.CancelOccurrenceRequest(event_id=event.event_id, occurrence_id=oid(second)), metadata=coach
    )
    await stub.UpdateOccurrence(
        pb.UpdateOccurrenceRequest(
            event_id=event.event_id,
            occurrence_id=oid(third),
            occurrence=pb.OccurrenceChange(start_time=ts(third + timedelta(hours=2)), title="Moved call"),
            update_mask=mask("start_time", "title"),
        ),
        metadata=coach,
    )
    feed = await stub.CreateFeed(pb.CreateFeedRequest(learner_id="me"), metadata=learner)

    body = await stub.GetFeedCalendar(pb.GetFeedCalendarRequest(feed_token=token_of(feed)))  # no token
    calendar = icalendar.Calendar.from_ical(body.data)

    assert body.content_type.startswith("text/calendar")
    assert feed.url.startswith("https://calendar.example.test/v1/feeds/")
    assert calendar["VERSION"] == "2.0"
    (tz,) = calendar.walk("VTIMEZONE")
    assert tz["TZID"] == "Europe/Berlin"
    assert {c.name for c in tz.subcomponents} == {"STANDARD", "DAYLIGHT"}
    master, moved = calendar.walk("VEVENT")
    assert str(master["UID"]) == str(moved["UID"]) == f"{event.event_id}@aigym"
    assert master["SUMMARY"] == "Cohort call; part 1, intro"
    assert master["DTSTART"].dt == first.astimezone(BERLIN)
    assert master["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert master["RRULE"]["FREQ"] == ["WEEKLY"]
    assert master["RRULE"]["UNTIL"][0].tzinfo is not None  # rewritten to UTC, as RFC 5545 requires
    assert [d.dt for d in master["EXDATE"].dts] == [second.astimezone(BERLIN)]
    assert int(master["SEQUENCE"]) == 2
    assert master["DTSTAMP"].dt.tzinfo is not None
    assert moved["RECURRENCE-ID"].dt == third.astimezone(BERLIN)
    assert moved["DTSTART"].dt == (third + timedelta(hours=2)).astimezone(BERLIN)
    assert moved["SUMMARY"] == "Moved call"
    again = icalendar.Calendar.from_ical(
        (await stub.GetFeedCalendar(pb.GetFeedCalendarRequest(feed_token=token_of(feed)))).data
    )
    assert [str(c["UID"]) for c in again.walk("VEVENT")] == [str(c["UID"]) for c in calendar.walk("VEVENT")]


async def test_rotate_and_revoke_stop_old_urls(stub: Stub, tokens: TokenFactory, tenant: uuid.UUID) -> None:
    learner = who(tokens, tenant, "learner", "ada")
    feed = await stub.CreateFeed(pb.CreateFeedRequest(learner_id="me"), metadata=learner)
    rotated = await stub.RotateFeed(
        pb.RotateFeedRequest(learner_id="me", feed_id=feed.feed_id), metadata=learner
    )

    with pytest.raises(grpc.aio.AioRpcError) as old:
        await stub.GetFeedCalendar(pb.GetFeedCalendarRequest(feed_token=token_of(feed)))
    fresh = await stub.GetFeedCalendar(pb.GetFeedCalendarRequest(feed_token=token_of(rotated)))
    listed = await stub.ListFeeds(pb.ListFeedsRequest(learner_id="me"), metadata=learner)
    await stub.DeleteFeed(pb.DeleteFeedRequest(learner_id="me", feed_id=feed.feed_id), metadata=learner)
    with pytest.raises(grpc.aio.AioRpcError) as revoked:
        await stub.GetFeedCalendar(pb.GetFeedCalendarRequest(feed_token=token_of(rotated)))

    assert old.value.code() == grpc.StatusCode.NOT_FOUND
    assert b"BEGIN:VCALENDAR" in fresh.data
    assert [f.feed_id for f in listed.feeds] == [feed.feed_id]
    assert listed.feeds[0].token == ""
    assert revoked.value.code() == grpc.StatusCode.NOT_FOUND
    other = who(tokens, tenant, "learner", "bob")
    with pytest.raises(grpc.aio.AioRpcError) as foreign:
        await stub.RotateFeed(pb.RotateFeedRequest(learner_id="ada", feed_id=feed.feed_id), metadata=other)
    assert foreign.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_single_event_download_is_valid_icalendar(
    stub: Stub, tokens: TokenFactory, tenant: uuid.UUID
) -> None:
    coach = who(tokens, tenant, "manager", "coach")
    event = await stub.CreateEvent(
        pb.CreateEventRequest(
            event=session(
                datetime(2026, 7, 1, 7, 0, tzinfo=UTC), "FREQ=DAILY;COUNT=3", zone="America/New_York"
            )
        ),
        metadata=coach,
    )

    body = await stub.GetEventCalendar(pb.GetEventCalendarRequest(event_id=event.event_id), metadata=coach)
    calendar = icalendar.Calendar.from_ical(body.data)

    (vevent,) = calendar.walk("VEVENT")
    assert vevent["DTSTART"].params["TZID"] == "America/New_York"
    assert dict(vevent["RRULE"]) == {"FREQ": ["DAILY"], "COUNT": [3]}
    assert all(len(line) <= 75 for line in body.data.split(b"\r\n"))
