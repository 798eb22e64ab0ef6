"""Reminders against the real SMTP sink and a webhook receiver: once per learner and occurrence, even when
the sending process is replaced mid-way (a restarted worker) or a run crashed after claiming."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from aigym.programs.v1 import events_pb2 as programs_events
from aigym_calendar.directory_service import DirectoryHandlers
from aigym_calendar.domain import Audience, AudienceKind, EventDraft, EventKind
from aigym_calendar.reminder_service import ReminderService
from aigym_calendar.repository import CalendarRepository, Settings
from aigym_calendar.service import CalendarService
from aigym_calendar.settings import CalendarSettings
from aigym_platform.db import create_engine, create_sessionmaker, uow_factory
from aigym_platform.delivery import SmtpMailer, WebhookSender, verify_signature
from aigym_platform.events.envelope import Event
from aigym_platform.events.registry import LEARNER_UPSERTED, REMINDER_SENT
from aigym_platform.identity import Identity, Role, TenantId
from aigym_platform.provisioning import ServiceDatabase
from aigym_platform.testing.database import read_outbox
from aigym_platform.testing.mail import SmtpSink, WebhookReceiver

SECRET = "reminder-webhook-secret-1"


def worker(db: ServiceDatabase, sink: SmtpSink) -> tuple[ReminderService, AsyncEngine]:
    """What one worker process builds: its own engine, mailer and webhook sender."""
    engine = create_engine(db.app_url, pool_size=2, max_overflow=0)
    settings = CalendarSettings(smtp_url=sink.url, smtp_from="AI Gym <reminders@aigym.test>")
    service = ReminderService(
        uow_factory(create_sessionmaker(engine)), SmtpMailer(settings), WebhookSender(settings)
    )
    return service, engine


async def learner(units: object, tenant: uuid.UUID, learner_id: str, email: str) -> None:
    payload = programs_events.LearnerUpserted(
        learner_id=learner_id, email=email, time_zone="Europe/Berlin", active=True
    )
    envelope = Event(
        uuid.uuid4(), LEARNER_UPSERTED, TenantId(tenant), "test", datetime.now(UTC), "l", 1, payload
    )
    async with units(TenantId(tenant), None) as uow:  # type: ignore[operator]
        await DirectoryHandlers().record_learner_upserted(uow, envelope)
        await uow.commit()


async def test_each_reminder_goes_out_once_across_a_worker_restart(
    calendar_db: ServiceDatabase, smtp_sink_server: SmtpSink, webhook_server: WebhookReceiver
) -> None:
    tenant = uuid.uuid4()
    setup_engine = create_engine(calendar_db.app_url, pool_size=1, max_overflow=0)
    units = uow_factory(create_sessionmaker(setup_engine))
    admin = Identity("coach", TenantId(tenant), frozenset({Role.MANAGER, Role.CLIENT_ADMIN}))
    ada, bob = f"ada-{uuid.uuid4().hex[:8]}@example.com", f"bob-{uuid.uuid4().hex[:8]}@example.com"
    await learner(units, tenant, "ada", ada)
    await learner(units, tenant, "bob", bob)
    calendar = CalendarService(units, allow_private_webhooks=True)  # the webhook receiver is local
    await calendar.update_settings(
        admin,
        "bob",
        Settings("", "", ("email", "webhook"), webhook_server.url("/bob"), SECRET, "", "", "", "", None),
    )
    start = (datetime.now(UTC) + timedelta(minutes=20)).replace(second=0, microsecond=0)
    draft = EventDraft(
        kind=EventKind.SESSION,
        title="Kickoff",
        description="",
        location="Room 4",
        online_url="https://meet.example.com/kickoff",
        start=start,
        time_zone="Europe/Berlin",
        duration=timedelta(hours=1),
        rrule="FREQ=DAILY;COUNT=3",
        exdates=(),
        rdates=(),
        audience=Audience(AudienceKind.LEARNERS, learner_ids=("ada", "bob")),
        capacity=0,
        waitlist_enabled=False,
        reminder_minutes=(30, 1440),
    )
    event = await calendar.create_event(admin, draft)

    first, first_engine = worker(calendar_db, smtp_sink_server)
    run = await first.run(TenantId(tenant))
    await first_engine.dispose()  # the worker goes away...
    second, second_engine = worker(calendar_db, smtp_sink_server)  # ...and a new one takes over
    again = await second.run(TenantId(tenant))
    later = await second.run(TenantId(tenant), at=datetime.now(UTC) + timedelta(minutes=5))

    # Due now: the 30-minute reminder of the first occurrence (the 1-day one of the second is not due yet).
    assert (run.claimed, run.delivered, run.failed) == (3, 3, 0)  # ada email, bob email + webhook
    assert (again.claimed, again.delivered, later.claimed) == (0, 0, 0)
    (to_ada,) = smtp_sink_server.wait_for(1, to=ada)
    assert len(smtp_sink_server.wait_for(1, to=bob)) == 1
    assert to_ada["Subject"].startswith("Reminder: Kickoff")
    assert to_ada["X-AIGym-Event-Id"] == event.event_id
    assert "Room 4" in to_ada.get_body().get_content()  # type: ignore[union-attr]
    (hook,) = webhook_server.wait_for(1)
    assert hook.path == "/bob"
    verify_signature(hook.headers["x-aigym-signature"], hook.body, [SECRET])
    async with units(TenantId(tenant), None) as uow:
        log = await CalendarRepository(uow.session, uow.tenant_id).deliveries_for(event.event_id)
        rows = sorted((r.learner_id, r.channel, r.status, r.attempts) for r in log)
    assert rows == [
        ("ada", "email", "delivered", 1),
        ("bob", "email", "delivered", 1),
        ("bob", "webhook", "delivered", 1),
    ]
    published = [t for t, _, _ in await read_outbox(calendar_db.app_url, tenant)]
    assert published.count(REMINDER_SENT) == 3
    await second_engine.dispose()
    await setup_engine.dispose()


async def test_a_claim_left_by_a_crashed_run_is_sent_once_later_and_failures_are_classified(
    calendar_db: ServiceDatabase, smtp_sink_server: SmtpSink, webhook_server: WebhookReceiver
) -> None:
    tenant = uuid.uuid4()
    engine = create_engine(calendar_db.app_url, pool_size=1, max_overflow=0)
    units = uow_factory(create_sessionmaker(engine))
    admin = Identity("coach", TenantId(tenant), frozenset({Role.MANAGER, Role.CLIENT_ADMIN}))
    address = f"cleo-{uuid.uuid4().hex[:8]}@example.com"
    await learner(units, tenant, "cleo", address)
    await learner(units, tenant, "dan", f"reject-{uuid.uuid4().hex[:8]}@example.com")  # the sink refuses it
    start = (datetime.now(UTC) + timedelta(minutes=10)).replace(second=0, microsecond=0)
    draft = EventDraft(
        kind=EventKind.DEADLINE,
        title="Assignment due",
        description="",
        location="",
        online_url="",
        start=start,
        time_zone="UTC",
        duration=timedelta(0),
        rrule="",
        exdates=(),
        rdates=(),
        audience=Audience(AudienceKind.LEARNERS, learner_ids=("cleo", "dan")),
        capacity=0,
        waitlist_enabled=False,
        reminder_minutes=(15,),
    )
    event = await CalendarService(units).create_event(admin, draft)
    oid = start.strftime("%Y%m%dT%H%M%SZ")
    crashed_at = datetime.now(UTC) - timedelta(minutes=5)
    async with units(TenantId(tenant), None) as uow:  # a run claimed cleo's reminder and died before sending
        repo = CalendarRepository(uow.session, uow.tenant_id)
        assert await repo.claim_delivery(
            event.event_id, oid, "cleo", 15, "email", start - timedelta(minutes=15), crashed_at
        )
        await uow.commit()

    service, service_engine = worker(calendar_db, smtp_sink_server)
    run = await service.run(TenantId(tenant))
    again = await service.run(TenantId(tenant), at=datetime.now(UTC) + timedelta(minutes=3))

    assert (run.retried, run.claimed, run.delivered, run.failed) == (1, 1, 1, 1)
    assert (again.retried, again.claimed) == (0, 0)
    assert len(smtp_sink_server.wait_for(1, to=address)) == 1
    async with units(TenantId(tenant), None) as uow:
        log = await CalendarRepository(uow.session, uow.tenant_id).deliveries_for(event.event_id)
        rows = sorted((r.learner_id, r.status, r.code) for r in log)
    assert rows == [
        ("cleo", "delivered", "smtp_250"),
        ("dan", "permanent_failure", "smtp_550"),
    ]
    await service_engine.dispose()
    await engine.dispose()
