"""Enrolment dates from the programs service on the learner's agenda and feed, following every change.

The programs events arrive through the platform's real consumer path (inbox row and handler in one
transaction), as the calendar's worker applies them.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import icalendar
import pytest
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from pydantic import SecretStr

from aigym.calendar.v1 import calendar_pb2 as pb
from aigym.calendar.v1 import calendar_pb2_grpc
from aigym.programs.v1 import events_pb2 as programs_events
from aigym_calendar.directory_service import DirectoryHandlers
from aigym_calendar.settings import CalendarSettings
from aigym_platform.events.registry import (
    ENROLLMENT_CREATED,
    ENROLLMENT_DATES_CHANGED,
    ENROLLMENT_WITHDRAWN,
    PROGRAM_PUBLISHED,
)
from aigym_platform.testing.consumers import ConsumerFeeder
from aigym_platform.testing.tokens import TokenFactory
from services.calendar.tests.integration.helpers import session, ts, utc, who

Stub = calendar_pb2_grpc.CalendarServiceStub
WINDOW = {"start_time": ts(utc(2026, 6, 1)), "end_time": ts(utc(2026, 9, 1))}
HANDLERS = DirectoryHandlers()


@pytest.fixture(scope="module")
def programs(calendar_settings: CalendarSettings) -> Iterator[ConsumerFeeder]:
    """The calendar's consumers of programs events (no delivery receipts, so Redis is never contacted)."""
    settings = calendar_settings.model_copy(update={"redis_url": SecretStr("redis://127.0.0.1:1/0")})
    handlers = {
        "record_program_published": HANDLERS.record_program_published,
        "record_enrollment_created": HANDLERS.record_enrollment_created,
        "record_enrollment_dates_changed": HANDLERS.record_enrollment_dates_changed,
        "record_enrollment_withdrawn": HANDLERS.record_enrollment_withdrawn,
    }
    feeder = ConsumerFeeder(settings, "calendar", handlers)
    yield feeder
    feeder.close()


def stamp(value: dt.datetime) -> Timestamp:
    message = Timestamp()
    message.FromDatetime(value)
    return message


def send(feeder: ConsumerFeeder, tenant: uuid.UUID, event_type: str, payload: Message, minute: int) -> None:
    when = dt.datetime(2026, 5, 1, 12, minute, tzinfo=dt.UTC)  # events in order, a minute apart
    assert feeder.deliver(tenant, event_type, payload, occurred_at=when) == "applied"


async def deadlines(stub: Stub, caller: tuple[tuple[str, str], ...]) -> list[tuple[str, str, int]]:
    agenda = await stub.ListAgenda(pb.ListAgendaRequest(learner_id="me", **WINDOW), metadata=caller)
    return [
        (o.title, o.local_start, o.source)
        for o in agenda.occurrences
        if o.source == pb.OCCURRENCE_SOURCE_ENROLLMENT
    ]


async def feed_summaries(stub: Stub, caller: tuple[tuple[str, str], ...]) -> dict[str, tuple[str, int]]:
    feed = await stub.CreateFeed(pb.CreateFeedRequest(learner_id="me"), metadata=caller)
    token = feed.url.split("/v1/feeds/")[1].split("/")[0]
    body = await stub.GetFeedCalendar(pb.GetFeedCalendarRequest(feed_token=token))
    calendar = icalendar.Calendar.from_ical(body.data)
    return {
        str(component["UID"]): (str(component["SUMMARY"]), int(component["SEQUENCE"]))
        for component in calendar.walk("VEVENT")
        if str(component["UID"]).startswith("enrollment-")
    }


async def test_enrolment_dates_appear_follow_changes_and_leave_with_a_withdrawal(
    stub: Stub, tokens: TokenFactory, tenant: uuid.UUID, programs: ConsumerFeeder
) -> None:
    ada, bo = who(tokens, tenant, "learner", "ada"), who(tokens, tenant, "learner", "bo")
    admin = who(tokens, tenant, "manager", "coach")
    # An event too, so the agenda mixes event occurrences and enrolment dates in one sorted page.
    await stub.CreateEvent(pb.CreateEventRequest(event=session(utc(2026, 6, 10, 8))), metadata=admin)
    program, enrollment = str(uuid.uuid4()), str(uuid.uuid4())
    send(
        programs,
        tenant,
        PROGRAM_PUBLISHED,
        programs_events.ProgramPublished(program_id=program, title="AI 101"),
        0,
    )
    created = programs_events.EnrollmentCreated(
        enrollment_id=enrollment,
        program_id=program,
        learner_id="ada",
        start_time=stamp(utc(2026, 6, 1, 9)),
        due_time=stamp(utc(2026, 7, 1, 17)),
        state="active",
    )
    send(programs, tenant, ENROLLMENT_CREATED, created, 1)

    first = await deadlines(stub, ada)
    feed_first = await feed_summaries(stub, ada)
    others = await deadlines(stub, bo)
    whole = await stub.ListAgenda(pb.ListAgendaRequest(learner_id="me", **WINDOW), metadata=ada)

    moved = programs_events.EnrollmentDatesChanged(
        enrollment_id=enrollment,
        program_id=program,
        learner_id="ada",
        start_time=stamp(utc(2026, 6, 1, 9)),
        due_time=stamp(utc(2026, 7, 15, 17)),
        end_time=stamp(utc(2026, 8, 31, 23)),
    )
    send(programs, tenant, ENROLLMENT_DATES_CHANGED, moved, 2)
    after_change = await deadlines(stub, ada)
    feed_after_change = await feed_summaries(stub, ada)

    withdrawn = programs_events.EnrollmentWithdrawn(
        enrollment_id=enrollment, program_id=program, learner_id="ada"
    )
    send(programs, tenant, ENROLLMENT_WITHDRAWN, withdrawn, 3)
    late_created = programs.deliver(
        tenant, ENROLLMENT_CREATED, created, occurred_at=dt.datetime(2026, 5, 1, 11, 0, tzinfo=dt.UTC)
    )  # a redelivery-like late copy of the creation (new id, older time) must not bring them back
    after_withdrawal = await deadlines(stub, ada)

    source = pb.OCCURRENCE_SOURCE_ENROLLMENT
    assert first == [
        ("AI 101 starts", "2026-06-01T09:00:00+00:00", source),
        ("AI 101 is due", "2026-07-01T17:00:00+00:00", source),
    ]
    assert [o.title for o in whole.occurrences][:3] == [
        "AI 101 starts",
        "Weekly cohort call",
        "AI 101 is due",
    ]
    assert others == []
    assert feed_first == {
        f"enrollment-{enrollment}-start@aigym": ("AI 101 starts", 0),
        f"enrollment-{enrollment}-due@aigym": ("AI 101 is due", 0),
    }
    assert after_change == [
        ("AI 101 starts", "2026-06-01T09:00:00+00:00", source),
        ("AI 101 is due", "2026-07-15T17:00:00+00:00", source),
        ("AI 101 ends", "2026-08-31T23:00:00+00:00", source),
    ]
    assert {uid: sequence for uid, (_, sequence) in feed_after_change.items()} == {
        f"enrollment-{enrollment}-start@aigym": 1,
        f"enrollment-{enrollment}-due@aigym": 1,
        f"enrollment-{enrollment}-end@aigym": 1,
    }  # SEQUENCE goes up so calendar apps replace the entries
    assert late_created == "applied"
    assert after_withdrawal == []
