"""Agendas read right after every kind of edit: the per-process expansion cache never serves stale results.

Each test reads the agenda first (filling the cache with the series' expanded occurrences), changes the
event, and reads the same window again through the same server process.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from aigym.calendar.v1 import calendar_pb2 as pb
from aigym.calendar.v1 import calendar_pb2_grpc
from aigym_calendar.domain import Event
from aigym_calendar.repository import CalendarRepository
from aigym_platform.db import create_engine, create_sessionmaker, uow_factory
from aigym_platform.identity import TenantId
from aigym_platform.provisioning import ServiceDatabase
from aigym_platform.testing.tokens import TokenFactory
from services.calendar.tests.integration.helpers import Metadata, dur, mask, session, ts, utc, who

Stub = calendar_pb2_grpc.CalendarServiceStub
START, END = utc(2026, 6, 1), utc(2026, 7, 1)


async def _agenda(stub: Stub, metadata: Metadata, **kwargs: object) -> list[tuple[str, str, str]]:
    response = await stub.ListAgenda(
        pb.ListAgendaRequest(
            learner_id="me", start_time=ts(START), end_time=ts(END), time_zone="Europe/Berlin", **kwargs
        ),  # type: ignore[arg-type]
        metadata=metadata,
    )
    return [(o.occurrence_id, o.local_start[:16], o.title) for o in response.occurrences]


async def _weekly(stub: Stub, admin: Metadata) -> pb.Event:
    return await stub.CreateEvent(
        pb.CreateEventRequest(event=session(utc(2026, 6, 2, 7, 0), "FREQ=WEEKLY;COUNT=4", title="Call")),
        metadata=admin,
    )


async def test_agenda_shows_an_edited_occurrence_after_a_cached_read(
    stub: Stub, tokens: TokenFactory, tenant: uuid.UUID
) -> None:
    admin, ada = who(tokens, tenant, "manager", "coach"), who(tokens, tenant, "learner", "ada")
    event = await _weekly(stub, admin)
    before = await _agenda(stub, ada)

    await stub.UpdateOccurrence(
        pb.UpdateOccurrenceRequest(
            event_id=event.event_id,
            occurrence_id="20260609T070000Z",
            occurrence=pb.OccurrenceChange(start_time=ts(utc(2026, 6, 10, 12, 0)), title="Moved"),
            update_mask=mask("start_time", "title"),
        ),
        metadata=admin,
    )
    after = await _agenda(stub, ada)

    assert [local for _, local, _ in before] == [
        "2026-06-02T09:00",
        "2026-06-09T09:00",
        "2026-06-16T09:00",
        "2026-06-23T09:00",
    ]
    assert after == [
        ("20260602T070000Z", "2026-06-02T09:00", "Call"),
        ("20260609T070000Z", "2026-06-10T14:00", "Moved"),
        ("20260616T070000Z", "2026-06-16T09:00", "Call"),
        ("20260623T070000Z", "2026-06-23T09:00", "Call"),
    ]


async def test_agenda_shows_this_and_following_edit_after_a_cached_read(
    stub: Stub, tokens: TokenFactory, tenant: uuid.UUID
) -> None:
    admin, ada = who(tokens, tenant, "manager", "coach"), who(tokens, tenant, "learner", "ada")
    event = await _weekly(stub, admin)
    await _agenda(stub, ada)

    await stub.UpdateOccurrence(
        pb.UpdateOccurrenceRequest(
            event_id=event.event_id,
            occurrence_id="20260616T070000Z",
            occurrence=pb.OccurrenceChange(start_time=ts(utc(2026, 6, 16, 9, 0)), title="Later"),
            update_mask=mask("start_time", "title"),
            scope=pb.EDIT_SCOPE_THIS_AND_FOLLOWING,
        ),
        metadata=admin,
    )
    after = await _agenda(stub, ada)

    assert [(local, title) for _, local, title in after] == [
        ("2026-06-02T09:00", "Call"),
        ("2026-06-09T09:00", "Call"),
        ("2026-06-16T11:00", "Later"),
        ("2026-06-23T11:00", "Later"),
    ]


async def test_agenda_shows_whole_series_edits_after_a_cached_read(
    stub: Stub, tokens: TokenFactory, tenant: uuid.UUID
) -> None:
    admin, ada = who(tokens, tenant, "manager", "coach"), who(tokens, tenant, "learner", "ada")
    event = await _weekly(stub, admin)
    await _agenda(stub, ada)

    await stub.UpdateEvent(
        pb.UpdateEventRequest(
            event=pb.Event(
                event_id=event.event_id,
                start_time=ts(utc(2026, 6, 3, 8, 0)),
                recurrence=pb.Recurrence(rrule="FREQ=WEEKLY;COUNT=2"),
            ),
            update_mask=mask("start_time", "recurrence"),
        ),
        metadata=admin,
    )
    retimed = await _agenda(stub, ada)
    await stub.UpdateEvent(
        pb.UpdateEventRequest(
            event=pb.Event(
                event_id=event.event_id,
                recurrence=pb.Recurrence(rrule="FREQ=WEEKLY;COUNT=2", exdates=[ts(utc(2026, 6, 10, 8, 0))]),
            ),
            update_mask=mask("recurrence"),
        ),
        metadata=admin,
    )
    exdated = await _agenda(stub, ada)

    assert [local for _, local, _ in retimed] == ["2026-06-03T10:00", "2026-06-10T10:00"]
    assert [local for _, local, _ in exdated] == ["2026-06-03T10:00"]


async def test_agenda_drops_cancelled_occurrences_and_events_after_a_cached_read(
    stub: Stub, tokens: TokenFactory, tenant: uuid.UUID
) -> None:
    admin, ada = who(tokens, tenant, "manager", "coach"), who(tokens, tenant, "learner", "ada")
    event = await _weekly(stub, admin)
    await _agenda(stub, ada)

    await stub.CancelOccurrence(
        pb.CancelOccurrenceRequest(event_id=event.event_id, occurrence_id="20260609T070000Z"), metadata=admin
    )
    one_cancelled = await _agenda(stub, ada)
    await stub.CancelOccurrence(
        pb.CancelOccurrenceRequest(
            event_id=event.event_id, occurrence_id="20260623T070000Z", scope=pb.EDIT_SCOPE_THIS_AND_FOLLOWING
        ),
        metadata=admin,
    )
    truncated = await _agenda(stub, ada)
    await stub.DeleteEvent(pb.DeleteEventRequest(event_id=event.event_id), metadata=admin)
    deleted = await _agenda(stub, ada)

    assert [oid for oid, _, _ in one_cancelled] == [
        "20260602T070000Z",
        "20260616T070000Z",
        "20260623T070000Z",
    ]
    assert [oid for oid, _, _ in truncated] == ["20260602T070000Z", "20260616T070000Z"]
    assert deleted == []


async def test_agenda_follows_an_audience_change_after_a_cached_read(
    stub: Stub, tokens: TokenFactory, tenant: uuid.UUID
) -> None:
    admin = who(tokens, tenant, "manager", "coach")
    ada, bob = who(tokens, tenant, "learner", "ada"), who(tokens, tenant, "learner", "bob")
    event = await _weekly(stub, admin)
    assert len(await _agenda(stub, ada)) == len(await _agenda(stub, bob)) == 4

    await stub.UpdateEvent(
        pb.UpdateEventRequest(
            event=pb.Event(
                event_id=event.event_id,
                audience=pb.Audience(kind=pb.AUDIENCE_KIND_LEARNERS, learner_ids=["bob"]),
            ),
            update_mask=mask("audience"),
        ),
        metadata=admin,
    )

    assert await _agenda(stub, ada) == []
    assert len(await _agenda(stub, bob)) == 4


async def test_two_series_with_the_same_rule_keep_their_own_overrides(
    stub: Stub, tokens: TokenFactory, tenant: uuid.UUID
) -> None:
    # Same DTSTART, zone and rule share cached occurrences; overrides and cancellations stay per event.
    admin, ada = who(tokens, tenant, "manager", "coach"), who(tokens, tenant, "learner", "ada")
    first = await _weekly(stub, admin)
    await _weekly(stub, admin)
    await stub.CancelOccurrence(
        pb.CancelOccurrenceRequest(event_id=first.event_id, occurrence_id="20260602T070000Z"), metadata=admin
    )

    oids = [oid for oid, _, _ in await _agenda(stub, ada)]

    assert oids.count("20260602T070000Z") == 1
    assert oids.count("20260609T070000Z") == 2


async def test_folded_event_load_equals_the_per_table_load(
    stub: Stub, tokens: TokenFactory, tenant: uuid.UUID, calendar_db: ServiceDatabase
) -> None:
    # events_for_learner reads learners, overrides and seat counts in one query; get_event per table.
    admin = who(tokens, tenant, "manager", "coach")
    named = await stub.CreateEvent(
        pb.CreateEventRequest(
            event=session(
                utc(2026, 6, 2, 7, 0),
                "FREQ=WEEKLY;COUNT=4",
                audience=pb.Audience(kind=pb.AUDIENCE_KIND_LEARNERS, learner_ids=["zed", "ada", "bob"]),
                capacity=1,
                waitlist_enabled=True,
            )
        ),
        metadata=admin,
    )
    for learner_id in ("ada", "bob", "zed"):
        await stub.CreateSignup(
            pb.CreateSignupRequest(event_id=named.event_id, learner_id=learner_id), metadata=admin
        )
    moved_to = utc(2026, 6, 10, 12, 0) + timedelta(microseconds=123457)
    await stub.UpdateOccurrence(
        pb.UpdateOccurrenceRequest(
            event_id=named.event_id,
            occurrence_id="20260609T070000Z",
            occurrence=pb.OccurrenceChange(
                start_time=ts(moved_to), duration=dur(minutes=45), title="Moved", location="Room 2"
            ),
            update_mask=mask("start_time", "duration", "title", "location"),
        ),
        metadata=admin,
    )
    await stub.CancelOccurrence(
        pb.CancelOccurrenceRequest(event_id=named.event_id, occurrence_id="20260616T070000Z"), metadata=admin
    )
    plain = await _weekly(stub, admin)

    engine = create_engine(calendar_db.app_url, pool_size=1, max_overflow=0)
    try:
        async with uow_factory(create_sessionmaker(engine))(TenantId(tenant), None) as uow:
            repo = CalendarRepository(uow.session, uow.tenant_id)
            folded = {
                e.event_id: e for e in await repo.events_for_learner("ada", START, END, show_cancelled=True)
            }
            separate = {e.event_id: await repo.get_event(e.event_id) for e in folded.values()}
    finally:
        await engine.dispose()

    assert set(folded) == {named.event_id, plain.event_id}
    assert folded == separate
    loaded = folded[named.event_id]
    assert loaded.draft.audience.learner_ids == ("ada", "bob", "zed")
    assert (loaded.signup_count, loaded.waitlist_count) == (1, 2)
    assert [(o.occurrence_id, o.cancelled, o.start) for o in loaded.overrides] == [
        ("20260609T070000Z", False, moved_to),
        ("20260616T070000Z", True, None),
    ]


async def test_decoded_events_are_reused_until_the_event_or_its_seats_change(
    stub: Stub, tokens: TokenFactory, tenant: uuid.UUID, calendar_db: ServiceDatabase
) -> None:
    admin = who(tokens, tenant, "manager", "coach")
    created = await stub.CreateEvent(
        pb.CreateEventRequest(
            event=session(utc(2026, 6, 2, 7, 0), "FREQ=WEEKLY;COUNT=4", title="Call", capacity=5)
        ),
        metadata=admin,
    )
    engine = create_engine(calendar_db.app_url, pool_size=1, max_overflow=0)
    units = uow_factory(create_sessionmaker(engine))

    async def load() -> Event:
        async with units(TenantId(tenant), None) as uow:
            repo = CalendarRepository(uow.session, uow.tenant_id)
            (found,) = await repo.events_for_learner("ada", START, END, show_cancelled=True)
            return found

    try:
        first, again = await load(), await load()
        await stub.CreateSignup(
            pb.CreateSignupRequest(event_id=created.event_id, learner_id="ada"), metadata=admin
        )
        signed = await load()
        await stub.UpdateEvent(
            pb.UpdateEventRequest(
                event=pb.Event(event_id=created.event_id, title="Renamed"), update_mask=mask("title")
            ),
            metadata=admin,
        )
        renamed = await load()
    finally:
        await engine.dispose()

    assert again is first
    assert (first.signup_count, signed.signup_count) == (0, 1)
    assert (signed.draft.title, renamed.draft.title, renamed.sequence) == ("Call", "Renamed", 1)
