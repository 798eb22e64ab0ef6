"""Sign-ups with a capacity and waitlist, as the agenda shows them, and the zone an agenda is given in."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import grpc
import pytest

from aigym.calendar.v1 import calendar_pb2 as pb
from aigym.calendar.v1 import calendar_pb2_grpc
from aigym.programs.v1 import events_pb2 as programs_events
from aigym_calendar.directory_service import DirectoryHandlers
from aigym_platform.db import create_engine, create_sessionmaker, uow_factory
from aigym_platform.events.envelope import Event
from aigym_platform.events.registry import LEARNER_UPSERTED
from aigym_platform.identity import TenantId
from aigym_platform.provisioning import ServiceDatabase
from aigym_platform.testing.tokens import TokenFactory
from services.calendar.tests.integration.helpers import session, ts, utc, who

Stub = calendar_pb2_grpc.CalendarServiceStub
WINDOW = {"start_time": ts(utc(2026, 6, 1)), "end_time": ts(utc(2026, 7, 1))}


async def states_in_agenda(stub: Stub, tokens: TokenFactory, tenant: uuid.UUID, learner: str) -> list[int]:
    agenda = await stub.ListAgenda(
        pb.ListAgendaRequest(learner_id="me", **WINDOW), metadata=who(tokens, tenant, "learner", learner)
    )
    return [o.signup_state for o in agenda.occurrences]


async def test_seats_then_waitlist_in_order_and_a_freed_seat_goes_to_the_first_waiting(
    stub: Stub, tokens: TokenFactory, tenant: uuid.UUID
) -> None:
    admin = who(tokens, tenant, "manager", "coach")
    event = await stub.CreateEvent(
        pb.CreateEventRequest(
            event=session(utc(2026, 6, 10, 8), "FREQ=WEEKLY;COUNT=2", capacity=2, waitlist_enabled=True)
        ),
        metadata=admin,
    )

    async def sign_up(learner: str) -> pb.Signup:
        return await stub.CreateSignup(
            pb.CreateSignupRequest(event_id=event.event_id, learner_id="me"),
            metadata=who(tokens, tenant, "learner", learner),
        )

    signed = [await sign_up(name) for name in ("ada", "bo", "cy", "dee")]
    again = await sign_up("cy")

    assert [(s.learner_id, s.state, s.waitlist_position) for s in signed] == [
        ("ada", pb.SIGNUP_STATE_CONFIRMED, 0),
        ("bo", pb.SIGNUP_STATE_CONFIRMED, 0),
        ("cy", pb.SIGNUP_STATE_WAITLISTED, 1),
        ("dee", pb.SIGNUP_STATE_WAITLISTED, 2),
    ]
    assert (again.state, again.waitlist_position) == (pb.SIGNUP_STATE_WAITLISTED, 1)
    loaded = await stub.GetEvent(pb.GetEventRequest(event_id=event.event_id), metadata=admin)
    assert (loaded.signup_count, loaded.waitlist_count) == (2, 2)
    # Every occurrence of the series carries the learner's own state; someone not signed up sees none.
    assert await states_in_agenda(stub, tokens, tenant, "ada") == [pb.SIGNUP_STATE_CONFIRMED] * 2
    assert await states_in_agenda(stub, tokens, tenant, "cy") == [pb.SIGNUP_STATE_WAITLISTED] * 2
    assert await states_in_agenda(stub, tokens, tenant, "eve") == [pb.SIGNUP_STATE_UNSPECIFIED] * 2

    await stub.DeleteSignup(
        pb.DeleteSignupRequest(event_id=event.event_id, learner_id="me"),
        metadata=who(tokens, tenant, "learner", "ada"),
    )

    listed = await stub.ListSignups(pb.ListSignupsRequest(event_id=event.event_id), metadata=admin)
    assert [(s.learner_id, s.state, s.waitlist_position) for s in listed.signups] == [
        ("bo", pb.SIGNUP_STATE_CONFIRMED, 0),
        ("cy", pb.SIGNUP_STATE_CONFIRMED, 0),
        ("dee", pb.SIGNUP_STATE_WAITLISTED, 1),
    ]
    assert await states_in_agenda(stub, tokens, tenant, "cy") == [pb.SIGNUP_STATE_CONFIRMED] * 2
    assert await states_in_agenda(stub, tokens, tenant, "ada") == [pb.SIGNUP_STATE_UNSPECIFIED] * 2


async def test_a_full_event_without_waitlist_and_an_event_without_capacity_refuse_sign_ups(
    stub: Stub, tokens: TokenFactory, tenant: uuid.UUID
) -> None:
    admin = who(tokens, tenant, "manager", "coach")
    full = await stub.CreateEvent(
        pb.CreateEventRequest(event=session(utc(2026, 6, 10, 8), capacity=1)), metadata=admin
    )
    open_ = await stub.CreateEvent(pb.CreateEventRequest(event=session(utc(2026, 6, 11, 8))), metadata=admin)
    await stub.CreateSignup(pb.CreateSignupRequest(event_id=full.event_id, learner_id="ada"), metadata=admin)

    refused = {}
    for event_id, learner in ((full.event_id, "bo"), (open_.event_id, "ada")):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.CreateSignup(
                pb.CreateSignupRequest(event_id=event_id, learner_id=learner), metadata=admin
            )
        refused[event_id] = (caught.value.code(), caught.value.details())

    assert refused == {
        full.event_id: (grpc.StatusCode.FAILED_PRECONDITION, "the event is full"),
        open_.event_id: (grpc.StatusCode.FAILED_PRECONDITION, "this event takes no sign-ups"),
    }
    assert await states_in_agenda(stub, tokens, tenant, "ada") == [
        pb.SIGNUP_STATE_CONFIRMED,
        pb.SIGNUP_STATE_UNSPECIFIED,
    ]


async def test_the_agenda_zone_is_the_request_s_else_the_learner_s_setting_else_the_directory_s_else_utc(
    stub: Stub, tokens: TokenFactory, tenant: uuid.UUID, calendar_db: ServiceDatabase
) -> None:
    admin = who(tokens, tenant, "manager", "coach")
    ada = who(tokens, tenant, "learner", "ada")
    await stub.CreateEvent(pb.CreateEventRequest(event=session(utc(2026, 6, 10, 8))), metadata=admin)

    async def zone_and_start(**extra: str) -> tuple[str, str]:
        agenda = await stub.ListAgenda(pb.ListAgendaRequest(learner_id="me", **WINDOW, **extra), metadata=ada)
        return agenda.time_zone, agenda.occurrences[0].local_start

    nothing_known = await zone_and_start()
    engine = create_engine(calendar_db.app_url, pool_size=1, max_overflow=0)
    try:
        async with uow_factory(create_sessionmaker(engine))(TenantId(tenant), None) as uow:
            upserted = programs_events.LearnerUpserted(
                learner_id="ada", email="ada@example.com", time_zone="America/New_York", active=True
            )
            envelope = Event(
                uuid.uuid4(), LEARNER_UPSERTED, TenantId(tenant), "test", datetime.now(UTC), "l", 1, upserted
            )
            await DirectoryHandlers().record_learner_upserted(uow, envelope)
            await uow.commit()
    finally:
        await engine.dispose()
    from_directory = await zone_and_start()
    await stub.UpdateCalendarSettings(
        pb.UpdateCalendarSettingsRequest(
            learner_id="me", settings=pb.CalendarSettings(time_zone="Asia/Tokyo")
        ),
        metadata=ada,
    )
    from_settings = await zone_and_start()
    requested = await zone_and_start(time_zone="Europe/Berlin")

    assert [nothing_known, from_directory, from_settings, requested] == [
        ("UTC", "2026-06-10T08:00:00+00:00"),
        ("America/New_York", "2026-06-10T04:00:00-04:00"),
        ("Asia/Tokyo", "2026-06-10T17:00:00+09:00"),
        ("Europe/Berlin", "2026-06-10T10:00:00+02:00"),
    ]
    settings = await stub.GetCalendarSettings(pb.GetCalendarSettingsRequest(learner_id="me"), metadata=ada)
    assert (settings.time_zone, settings.email) == ("Asia/Tokyo", "ada@example.com")
