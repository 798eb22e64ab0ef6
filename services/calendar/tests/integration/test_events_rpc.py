"""Event RPCs through a real in-process server and PostgreSQL: series, overrides, splits, validation."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

import grpc
import pytest

from aigym.calendar.v1 import calendar_pb2 as pb
from aigym.calendar.v1 import calendar_pb2_grpc
from aigym_platform.events.registry import SESSION_CANCELLED, SESSION_CHANGED, SESSION_SCHEDULED
from aigym_platform.provisioning import ServiceDatabase
from aigym_platform.testing.database import read_outbox
from aigym_platform.testing.tokens import TokenFactory
from services.calendar.tests.integration.helpers import dur, mask, session, ts, utc, violations, when, who

Stub = calendar_pb2_grpc.CalendarServiceStub
BERLIN = ZoneInfo("Europe/Berlin")


def agenda_request(start: object, end: object, **kwargs: object) -> pb.ListAgendaRequest:
    return pb.ListAgendaRequest(learner_id="me", start_time=ts(start), end_time=ts(end), **kwargs)  # type: ignore[arg-type]


async def test_weekly_series_stays_at_local_time_across_dst_in_the_agenda(
    stub: Stub, tokens: TokenFactory, tenant: uuid.UUID
) -> None:
    admin = who(tokens, tenant, "manager", "coach")
    learner = who(tokens, tenant, "learner", "ada")
    # Tuesdays 09:00 Berlin from 17 March 2026; summer time starts 29 March.
    created = await stub.CreateEvent(
        pb.CreateEventRequest(event=session(utc(2026, 3, 17, 8, 0), "FREQ=WEEKLY;BYDAY=TU;COUNT=4")),
        metadata=admin,
    )

    agenda = await stub.ListAgenda(
        agenda_request(utc(2026, 3, 1), utc(2026, 5, 1), time_zone="Europe/Berlin"), metadata=learner
    )

    assert created.sequence == 0
    assert created.state == pb.EVENT_STATE_ACTIVE
    assert [o.local_start for o in agenda.occurrences] == [
        "2026-03-17T09:00:00+01:00",
        "2026-03-24T09:00:00+01:00",
        "2026-03-31T09:00:00+02:00",
        "2026-04-07T09:00:00+02:00",
    ]
    assert [o.occurrence_id for o in agenda.occurrences][2] == "20260331T070000Z"
    assert agenda.time_zone == "Europe/Berlin"
    assert all(o.event_id == created.event_id for o in agenda.occurrences)


async def test_create_reports_every_invalid_field(
    stub: Stub, tokens: TokenFactory, tenant: uuid.UUID
) -> None:
    admin = who(tokens, tenant, "manager", "coach")
    event = session(utc(2026, 3, 17, 8, 0), "FREQ=WEEKLY;BYDAY=WE", zone="Europe/Berlin", title=" ")

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.CreateEvent(pb.CreateEventRequest(event=event), metadata=admin)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert set(violations(caught.value)) == {"event.title"}

    bad_zone = session(utc(2026, 3, 17, 8, 0), zone="Mars/Base")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.CreateEvent(pb.CreateEventRequest(event=bad_zone), metadata=admin)
    assert "event.time_zone" in violations(caught.value)

    not_first = session(utc(2026, 3, 17, 8, 0), "FREQ=WEEKLY;BYDAY=WE")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.CreateEvent(pb.CreateEventRequest(event=not_first), metadata=admin)
    assert "event.start_time" in violations(caught.value)

    program_without_id = session(utc(2026, 3, 17, 8, 0), audience=pb.Audience(kind=pb.AUDIENCE_KIND_PROGRAM))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.CreateEvent(pb.CreateEventRequest(event=program_without_id), metadata=admin)
    assert "event.audience.program_id" in violations(caught.value)

    listed = await stub.ListEvents(pb.ListEventsRequest(), metadata=admin)
    assert list(listed.events) == []  # nothing half-written


async def test_learners_create_only_personal_events(
    stub: Stub, tokens: TokenFactory, tenant: uuid.UUID
) -> None:
    learner = who(tokens, tenant, "learner", "ada")
    personal = session(
        utc(2026, 5, 4, 7, 0),
        title="Study block",
        audience=pb.Audience(kind=pb.AUDIENCE_KIND_LEARNERS, learner_ids=["ada"]),
    )
    personal.kind = pb.EVENT_KIND_CUSTOM

    created = await stub.CreateEvent(pb.CreateEventRequest(event=personal), metadata=learner)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.CreateEvent(pb.CreateEventRequest(event=session(utc(2026, 5, 4, 7, 0))), metadata=learner)

    assert created.created_by == "ada"
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    other = who(tokens, tenant, "learner", "bob")
    with pytest.raises(grpc.aio.AioRpcError) as hidden:
        await stub.GetEvent(pb.GetEventRequest(event_id=created.event_id), metadata=other)
    assert hidden.value.code() == grpc.StatusCode.NOT_FOUND


async def test_create_is_idempotent_with_a_request_id(
    stub: Stub, tokens: TokenFactory, tenant: uuid.UUID
) -> None:
    admin = who(tokens, tenant, "manager", "coach")
    request = pb.CreateEventRequest(event=session(utc(2026, 6, 1, 7, 0)), request_id="create-1")

    first = await stub.CreateEvent(request, metadata=admin)
    again = await stub.CreateEvent(request, metadata=admin)

    assert first.event_id == again.event_id
    assert len((await stub.ListEvents(pb.ListEventsRequest(), metadata=admin)).events) == 1


async def test_moved_occurrence_appears_once_at_its_new_time_even_across_the_window_edge(
    stub: Stub, tokens: TokenFactory, tenant: uuid.UUID, calendar_db: ServiceDatabase
) -> None:
    admin = who(tokens, tenant, "manager", "coach")
    learner = who(tokens, tenant, "learner", "ada")
    event = await stub.CreateEvent(
        pb.CreateEventRequest(event=session(utc(2026, 6, 1, 7, 0), "FREQ=WEEKLY;COUNT=5")), metadata=admin
    )
    # Move the 8 June occurrence (09:00 Berlin) to Friday 19 June 14:00 Berlin and rename it.
    changed = await stub.UpdateOccurrence(
        pb.UpdateOccurrenceRequest(
            event_id=event.event_id,
            occurrence_id="20260608T070000Z",
            occurrence=pb.OccurrenceChange(start_time=ts(utc(2026, 6, 19, 12, 0)), title="Moved call"),
            update_mask=mask("start_time", "title"),
        ),
        metadata=admin,
    )

    june_first_half = await stub.ListAgenda(
        agenda_request(utc(2026, 6, 7), utc(2026, 6, 14)), metadata=learner
    )
    later = await stub.ListAgenda(agenda_request(utc(2026, 6, 18), utc(2026, 6, 20)), metadata=learner)
    whole = await stub.ListAgenda(agenda_request(utc(2026, 6, 1), utc(2026, 7, 10)), metadata=learner)

    assert changed.event.sequence == 1
    assert [o.occurrence_id for o in june_first_half.occurrences] == []
    (moved,) = later.occurrences
    assert (moved.occurrence_id, moved.title, moved.overridden) == ("20260608T070000Z", "Moved call", True)
    assert when(moved.start_time) == utc(2026, 6, 19, 12, 0)
    assert when(moved.original_start_time) == utc(2026, 6, 8, 7, 0)
    assert len(whole.occurrences) == 5
    assert [o.title for o in whole.occurrences].count("Moved call") == 1
    types = [t for t, _, _ in await read_outbox(calendar_db.app_url, tenant)]
    assert types == [SESSION_SCHEDULED, SESSION_CHANGED]


async def test_cancel_one_occurrence_and_then_this_and_following(
    stub: Stub, tokens: TokenFactory, tenant: uuid.UUID, calendar_db: ServiceDatabase
) -> None:
    admin = who(tokens, tenant, "manager", "coach")
    event = await stub.CreateEvent(
        pb.CreateEventRequest(event=session(utc(2026, 6, 1, 7, 0), "FREQ=DAILY;COUNT=10")), metadata=admin
    )

    one = await stub.CancelOccurrence(
        pb.CancelOccurrenceRequest(event_id=event.event_id, occurrence_id="20260603T070000Z"), metadata=admin
    )
    rest = await stub.CancelOccurrence(
        pb.CancelOccurrenceRequest(
            event_id=event.event_id,
            occurrence_id="20260606T070000Z",
            scope=pb.EDIT_SCOPE_THIS_AND_FOLLOWING,
        ),
        metadata=admin,
    )
    client_admin = who(tokens, tenant, "client_admin", "admin-1")  # reads any learner's agenda
    agenda = await stub.ListAgenda(
        pb.ListAgendaRequest(learner_id="ada", start_time=ts(utc(2026, 5, 1)), end_time=ts(utc(2026, 8, 1))),
        metadata=client_admin,
    )
    with_cancelled = await stub.ListAgenda(
        pb.ListAgendaRequest(
            learner_id="ada",
            start_time=ts(utc(2026, 5, 1)),
            end_time=ts(utc(2026, 8, 1)),
            show_cancelled=True,
        ),
        metadata=client_admin,
    )

    assert [o.occurrence_id for o in one.overrides if o.cancelled] == ["20260603T070000Z"]
    assert rest.recurrence.rrule == "FREQ=DAILY;UNTIL=20260606T065959Z"
    assert rest.sequence == 2
    assert [o.occurrence_id[:8] for o in agenda.occurrences] == [
        "20260601",
        "20260602",
        "20260604",
        "20260605",
    ]
    assert len(with_cancelled.occurrences) == 5
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.CancelOccurrence(
            pb.CancelOccurrenceRequest(event_id=event.event_id, occurrence_id="20260609T070000Z"),
            metadata=admin,
        )
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    types = [t for t, _, _ in await read_outbox(calendar_db.app_url, tenant)]
    assert types.count(SESSION_CANCELLED) == 2


async def test_this_and_following_edit_splits_the_series(
    stub: Stub, tokens: TokenFactory, tenant: uuid.UUID
) -> None:
    admin = who(tokens, tenant, "manager", "coach")
    event = await stub.CreateEvent(
        pb.CreateEventRequest(event=session(utc(2026, 3, 17, 8, 0), "FREQ=WEEKLY;BYDAY=TU;COUNT=6")),
        metadata=admin,
    )

    split = await stub.UpdateOccurrence(
        pb.UpdateOccurrenceRequest(
            event_id=event.event_id,
            occurrence_id="20260331T070000Z",  # 31 March 09:00 CEST
            occurrence=pb.OccurrenceChange(start_time=ts(utc(2026, 3, 31, 8, 0)), duration=dur(minutes=90)),
            update_mask=mask("start_time", "duration"),
            scope=pb.EDIT_SCOPE_THIS_AND_FOLLOWING,
        ),
        metadata=admin,
    )
    agenda = await stub.ListAgenda(
        pb.ListAgendaRequest(
            learner_id="ada",
            start_time=ts(utc(2026, 3, 1)),
            end_time=ts(utc(2026, 6, 1)),
            time_zone="Europe/Berlin",
        ),
        metadata=who(tokens, tenant, "client_admin", "admin-1"),  # reads any learner's agenda
    )

    assert split.event.recurrence.rrule == "FREQ=WEEKLY;BYDAY=TU;UNTIL=20260331T065959Z"
    assert split.new_event.recurrence.rrule == "FREQ=WEEKLY;BYDAY=TU;COUNT=4"
    assert split.new_event.parent_event_id == event.event_id
    assert [o.local_start[:16] for o in agenda.occurrences] == [
        "2026-03-17T09:00",
        "2026-03-24T09:00",
        "2026-03-31T10:00",
        "2026-04-07T10:00",
        "2026-04-14T10:00",
        "2026-04-21T10:00",
    ]
    assert {when(o.end_time) - when(o.start_time) for o in agenda.occurrences[2:]} == {timedelta(minutes=90)}


async def test_whole_series_update_bumps_sequence_checks_etag_and_drops_stale_overrides(
    stub: Stub, tokens: TokenFactory, tenant: uuid.UUID
) -> None:
    admin = who(tokens, tenant, "manager", "coach")
    event = await stub.CreateEvent(
        pb.CreateEventRequest(event=session(utc(2026, 6, 1, 7, 0), "FREQ=DAILY;COUNT=3")), metadata=admin
    )
    await stub.UpdateOccurrence(
        pb.UpdateOccurrenceRequest(
            event_id=event.event_id,
            occurrence_id="20260602T070000Z",
            occurrence=pb.OccurrenceChange(title="Special"),
            update_mask=mask("title"),
        ),
        metadata=admin,
    )
    stale = pb.Event(event_id=event.event_id, title="Renamed", etag=event.etag)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.UpdateEvent(pb.UpdateEventRequest(event=stale, update_mask=mask("title")), metadata=admin)
    assert caught.value.code() == grpc.StatusCode.ABORTED

    current = await stub.GetEvent(pb.GetEventRequest(event_id=event.event_id), metadata=admin)
    renamed = await stub.UpdateEvent(
        pb.UpdateEventRequest(
            event=pb.Event(event_id=event.event_id, title="Renamed", etag=current.etag),
            update_mask=mask("title"),
        ),
        metadata=admin,
    )
    moved = await stub.UpdateEvent(
        pb.UpdateEventRequest(
            event=pb.Event(event_id=event.event_id, start_time=ts(utc(2026, 6, 1, 8, 0))),
            update_mask=mask("start_time"),
        ),
        metadata=admin,
    )

    assert (renamed.title, renamed.sequence, len(renamed.overrides)) == ("Renamed", 2, 1)
    assert (moved.sequence, len(moved.overrides)) == (3, 0)  # 07:00Z occurrences no longer exist
    with pytest.raises(grpc.aio.AioRpcError) as unknown:
        await stub.UpdateEvent(
            pb.UpdateEventRequest(event=pb.Event(event_id=event.event_id), update_mask=mask("state")),
            metadata=admin,
        )
    assert "update_mask" in violations(unknown.value)


async def test_other_tenants_events_are_not_found(
    stub: Stub, tokens: TokenFactory, tenant: uuid.UUID
) -> None:
    admin = who(tokens, tenant, "manager", "coach")
    event = await stub.CreateEvent(
        pb.CreateEventRequest(event=session(utc(2026, 6, 1, 7, 0))), metadata=admin
    )
    stranger = who(tokens, uuid.uuid4(), "client_admin", "boss")

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.GetEvent(pb.GetEventRequest(event_id=event.event_id), metadata=stranger)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    agenda = await stub.ListAgenda(
        pb.ListAgendaRequest(learner_id="me", start_time=ts(utc(2026, 5, 1)), end_time=ts(utc(2026, 7, 1))),
        metadata=stranger,
    )
    assert list(agenda.occurrences) == []


async def test_agenda_pages_concatenate_to_the_whole_sorted_window(
    stub: Stub, tokens: TokenFactory, tenant: uuid.UUID
) -> None:
    admin = who(tokens, tenant, "manager", "coach")
    learner = who(tokens, tenant, "learner", "ada")
    for start, rule, zone in [
        (utc(2026, 1, 5, 8, 0), "FREQ=WEEKLY;BYDAY=MO,WE", "Europe/Berlin"),
        (utc(2026, 1, 6, 14, 0), "FREQ=WEEKLY", "America/New_York"),
        (utc(2026, 1, 1, 0, 0), "FREQ=DAILY;INTERVAL=3", "Asia/Tokyo"),
        (utc(2026, 1, 31, 12, 0), "FREQ=MONTHLY;BYMONTHDAY=-1", "UTC"),
    ]:
        await stub.CreateEvent(pb.CreateEventRequest(event=session(start, rule, zone=zone)), metadata=admin)
    window = {"start_time": ts(utc(2026, 1, 1)), "end_time": ts(utc(2026, 7, 1)), "learner_id": "me"}

    whole = await stub.ListAgenda(pb.ListAgendaRequest(page_size=500, **window), metadata=learner)  # type: ignore[arg-type]
    pages: list[pb.Occurrence] = []
    token = ""
    while True:
        page = await stub.ListAgenda(
            pb.ListAgendaRequest(page_size=7, page_token=token, **window), metadata=learner
        )  # type: ignore[arg-type]
        pages.extend(page.occurrences)
        token = page.next_page_token
        if not token:
            break

    starts = [when(o.start_time) for o in whole.occurrences]
    assert (
        len(whole.occurrences) == 51 + 26 + 61 + 6
    )  # Mondays and Wednesdays, Tuesdays, every 3rd day, month ends
    assert starts == sorted(starts)
    assert [(o.event_id, o.occurrence_id) for o in pages] == [
        (o.event_id, o.occurrence_id) for o in whole.occurrences
    ]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.ListAgenda(
            pb.ListAgendaRequest(
                page_size=7,
                page_token=token or "bm90LWEtdG9rZW4",
                **{**window, "end_time": ts(utc(2026, 8, 1))},
            ),  # type: ignore[arg-type]
            metadata=learner,
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_an_agenda_page_token_with_times_without_offset_is_refused_as_malformed(
    stub: Stub, tokens: TokenFactory, tenant: uuid.UUID
) -> None:
    admin = who(tokens, tenant, "manager", "coach")
    learner = who(tokens, tenant, "learner", "ada")
    await stub.CreateEvent(
        pb.CreateEventRequest(event=session(utc(2026, 1, 5, 8), "FREQ=DAILY")), metadata=admin
    )
    window = {"start_time": ts(utc(2026, 1, 1)), "end_time": ts(utc(2026, 2, 1)), "learner_id": "me"}
    first = await stub.ListAgenda(pb.ListAgendaRequest(page_size=3, **window), metadata=learner)  # type: ignore[arg-type]
    # The same position and filters, but naive times (a client editing the opaque token).
    data = json.loads(
        base64.urlsafe_b64decode(first.next_page_token + "=" * (-len(first.next_page_token) % 4))
    )
    data["v"] = [value.replace("+00:00", "") for value in data["v"]]
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    second = await stub.ListAgenda(
        pb.ListAgendaRequest(page_size=3, page_token=first.next_page_token, **window),  # type: ignore[arg-type]
        metadata=learner,
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.ListAgenda(
            pb.ListAgendaRequest(page_size=3, page_token=forged, **window), metadata=learner
        )  # type: ignore[arg-type]

    assert [o.local_start[:10] for o in second.occurrences] == ["2026-01-08", "2026-01-09", "2026-01-10"]
    assert (caught.value.code(), violations(caught.value)) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        {"page_token": "page_token is malformed"},
    )
