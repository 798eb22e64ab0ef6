"""Cross-service fixtures: every service's database provisioned and migrated, plus per-service seeders."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio

from aigym.programs.v1 import events_pb2 as programs_events
from aigym.progress.v1 import events_pb2 as progress_events
from aigym.progress.v1.events_pb2 import CourseCompleted
from aigym_achievements.awarding import Awarder, CredentialConfig
from aigym_achievements.domain import BadgeDraft, TenantSettings
from aigym_achievements.event_handlers import EventHandlers
from aigym_achievements.openbadges import Urls
from aigym_achievements.repository import AchievementsRepository
from aigym_achievements.rules import CourseCompleted as CourseCompletedRule
from aigym_achievements.rules import Fact, FactType
from aigym_achievements.service import BadgesService
from aigym_analytics.ingest_service import Ingestion
from aigym_analytics.maintenance import Maintenance
from aigym_analytics.report_service import ReportService
from aigym_analytics.reports import Recipient, ReportDefinition, ReportFormat, ReportType, Schedule
from aigym_calendar.directory_service import DirectoryHandlers
from aigym_calendar.domain import Audience, AudienceKind, EventDraft, EventKind, OccurrencePatch
from aigym_calendar.feed_service import FeedService
from aigym_calendar.repository import CalendarRepository, Settings
from aigym_calendar.service import CalendarService
from aigym_platform.db import UnitOfWorkFactory, create_engine, create_sessionmaker, uow_factory
from aigym_platform.devstack.services import SERVICES
from aigym_platform.events.envelope import Event
from aigym_platform.events.inbox import add_dead_letter, record_in_inbox
from aigym_platform.events.registry import BLOCK_COMPLETED, COURSE_COMPLETED, ENROLLMENT_CREATED
from aigym_platform.identity import Identity, Role, TenantId
from aigym_platform.provisioning import ServiceDatabase
from aigym_platform.testing.database import provision_and_migrate
from aigym_programs.directory import LearnerEntry
from aigym_programs.directory_service import DirectoryService
from aigym_programs.domain import ProgramDraft
from aigym_programs.enrollment_service import EnrollmentRequest, EnrollmentsService
from aigym_programs.progress_service import ProgramProgress
from aigym_programs.service import ProgramsService
from aigym_programs.structure import Node, NodeKind, Rule
from aigym_progress.directory_service import DirectoryHandlers as ProgressDirectoryHandlers
from aigym_progress.domain import CompletionInput
from aigym_progress.service import ProgressService
from aigym_progress.session_service import SessionService
from aigym_progress.sessions import SessionInput
from aigym_progress.structure import Block, BlockType

Seeder = Callable[[ServiceDatabase, uuid.UUID], Awaitable[None]]


@pytest_asyncio.fixture(scope="session")
async def service_databases(postgres: tuple[str, str]) -> dict[str, ServiceDatabase]:
    """Every service's database, migrated to head."""
    admin_url, prefix = postgres
    return {
        spec.name: await provision_and_migrate(admin_url, spec.name, spec.migrations_dir, prefix=prefix)
        for spec in SERVICES
    }


async def _seed_inbox_and_dead_letters(units: UnitOfWorkFactory, tenant: uuid.UUID) -> None:
    """A row in the consumer inbox and in the dead letters, through the platform's writers."""
    async with units(TenantId(tenant), None) as uow:
        event_id = uuid.uuid4()
        await record_in_inbox(uow.session, tenant, event_id, "seed_handler", BLOCK_COMPLETED)
        await add_dead_letter(
            uow.session, tenant, event_id, "seed_handler", BLOCK_COMPLETED, "seed", b"", "seeded", 1
        )
        await uow.commit()


async def _seed_programs(db: ServiceDatabase, tenant: uuid.UUID) -> None:
    engine = create_engine(db.app_url, pool_size=1, max_overflow=0)
    try:
        service = ProgramsService(uow_factory(create_sessionmaker(engine)))
        admin = Identity("seed-admin", TenantId(tenant), frozenset({Role.CLIENT_ADMIN}))
        structure = [
            Node("root", NodeKind.SET, rule=Rule.ALL_ANY_ORDER),
            Node("course", NodeKind.COURSE, "root", course_id="seed-course"),
        ]
        program = await service.create_program(
            admin, ProgramDraft(title="Seeded program"), structure=structure
        )
        await service.publish_program(admin, program.program_id)
        enrollments = EnrollmentsService(uow_factory(create_sessionmaker(engine)))
        await enrollments.enroll(admin, program.program_id, EnrollmentRequest("seed-learner"))
        directory = DirectoryService(uow_factory(create_sessionmaker(engine)))
        await directory.upsert_learner(admin, LearnerEntry("seed-learner", "Seed Learner"))
        units = uow_factory(create_sessionmaker(engine))
        await _seed_inbox_and_dead_letters(units, tenant)
        async with units(TenantId(tenant), None) as uow:  # the completion ledger, as the consumer fills it
            completed = CourseCompleted(learner_id="seed-learner", course_id="seed-course")
            event = Event(
                uuid.uuid4(),
                COURSE_COMPLETED,
                TenantId(tenant),
                "seed",
                dt.datetime.now(dt.UTC),
                "s",
                1,
                completed,
            )
            await ProgramProgress().record_course_completion(uow, event)
            await uow.commit()
    finally:
        await engine.dispose()


async def _seed_progress(db: ServiceDatabase, tenant: uuid.UUID) -> None:
    engine = create_engine(db.app_url, pool_size=1, max_overflow=0)
    try:
        units = uow_factory(create_sessionmaker(engine))
        service = ProgressService(units)
        admin = Identity("seed-admin", TenantId(tenant), frozenset({Role.CLIENT_ADMIN}))
        block = Block("seed-block", BlockType.VIDEO, 1.0, required=True)
        await service.update_structure(admin, "seed-course", [block])
        done = CompletionInput("seed-learner", "seed-course", "seed-block", 1.0, request_id="seed-1")
        await service.record_completion(admin, done)  # completes the course: outbox rows
        await service.reset_progress(admin, "seed-learner", "seed-course", "seed")  # archives the attempt
        await service.record_completion(
            admin, CompletionInput("seed-learner", "seed-course", "seed-block", 0.5)
        )
        sessions = SessionService(units)
        await sessions.start_session(admin, SessionInput("seed-learner", "seed-course"))  # + time_on_task
        async with units(TenantId(tenant), None) as uow:  # the directory copy, as its consumer fills it
            learner = programs_events.LearnerUpserted(learner_id="seed-learner", manager_id="seed-manager")
            await ProgressDirectoryHandlers().record_learner_upserted(
                uow,
                Event(uuid.uuid4(), "t", TenantId(tenant), "seed", dt.datetime.now(dt.UTC), "l", 1, learner),
            )
            await uow.commit()
        await _seed_inbox_and_dead_letters(units, tenant)
    finally:
        await engine.dispose()


async def _seed_analytics(db: ServiceDatabase, tenant: uuid.UUID) -> None:
    engine = create_engine(db.app_url, pool_size=1, max_overflow=0)
    try:
        units = uow_factory(create_sessionmaker(engine))
        handlers = Ingestion().handlers()
        now = dt.datetime.now(dt.UTC)
        payloads = [
            (
                "record_learner",
                programs_events.LearnerUpserted(learner_id="seed-learner", display_name="Seed"),
            ),
            (
                "record_program_published",
                programs_events.ProgramPublished(program_id="p", version=1, title="P", course_ids=["c"]),
            ),
            (
                "record_enrollment_created",
                programs_events.EnrollmentCreated(
                    enrollment_id="e", program_id="p", learner_id="seed-learner", state="active"
                ),
            ),
            (
                "record_block_activity",
                progress_events.BlockCompleted(
                    learner_id="seed-learner", course_id="c", block_id="b", attempt=1
                ),
            ),
        ]
        for (
            handler,
            payload,
        ) in payloads:  # as the consumer applies them (inbox row + effect, one transaction)
            event = Event(uuid.uuid4(), handler, TenantId(tenant), "seed", now, "seed", 1, payload)
            async with units(TenantId(tenant), None) as uow:
                await record_in_inbox(uow.session, tenant, event.event_id, handler, BLOCK_COMPLETED)
                await handlers[handler](uow, event)
                await uow.commit()
        reports = ReportService(units, None, None)  # no delivery configured: the attempt is logged as failed
        admin = Identity("seed-admin", TenantId(tenant), frozenset({Role.CLIENT_ADMIN}))
        definition = ReportDefinition(
            "Seed", ReportType.OVERVIEW, ReportFormat.CSV, Schedule(), (Recipient(email="seed@example.com"),)
        )
        stored = await reports.create(admin, definition)  # definition + audit row
        await reports.run_now(admin, stored.report_id)  # run + delivery log row
        await Maintenance(units).set_retention_days(admin, 365)  # analytics_settings row
        await _seed_inbox_and_dead_letters(units, tenant)
    finally:
        await engine.dispose()


async def _seed_achievements(db: ServiceDatabase, tenant: uuid.UUID) -> None:
    engine = create_engine(db.app_url, pool_size=1, max_overflow=0)
    try:
        units = uow_factory(create_sessionmaker(engine))
        awarder = Awarder(CredentialConfig(Urls("https://seed.example")))
        admin = Identity("seed-admin", TenantId(tenant), frozenset({Role.CLIENT_ADMIN}))
        badges = BadgesService(units, awarder)
        badge = await badges.create_badge(
            admin, BadgeDraft("Seed badge", rule=CourseCompletedRule("seed-course"))
        )
        await badges.activate_badge(admin, badge.badge_id, backfill=False)
        await badges.update_settings(
            admin, TenantSettings(leaderboards_enabled=True), ["leaderboards_enabled"]
        )
        async with units(TenantId(tenant), admin) as uow:
            await AchievementsRepository(uow.session, uow.tenant_id).upsert_learner(
                "seed-learner", "Seed Learner", "Europe/Berlin", True, dt.datetime.now(dt.UTC)
            )
            fact = Fact(
                str(uuid.uuid4()),
                FactType.COURSE_COMPLETED,
                dt.datetime.now(dt.UTC),
                {"course_id": "seed-course"},
            )
            # facts, an award with its credential: issuer key, status lists, public ids, outbox, audit
            assert await EventHandlers(awarder).record_fact(uow, "seed-learner", fact)
            await uow.commit()
        await _seed_inbox_and_dead_letters(units, tenant)
    finally:
        await engine.dispose()


async def _seed_calendar(db: ServiceDatabase, tenant: uuid.UUID) -> None:
    engine = create_engine(db.app_url, pool_size=1, max_overflow=0)
    try:
        units = uow_factory(create_sessionmaker(engine))
        service = CalendarService(units)
        admin = Identity("seed-admin", TenantId(tenant), frozenset({Role.CLIENT_ADMIN}))
        start = datetime(2026, 6, 1, 7, 0, tzinfo=UTC)
        draft = EventDraft(
            kind=EventKind.SESSION,
            title="Seeded session",
            description="",
            location="",
            online_url="",
            start=start,
            time_zone="Europe/Berlin",
            duration=timedelta(hours=1),
            rrule="FREQ=WEEKLY;COUNT=3",
            exdates=(),
            rdates=(),
            audience=Audience(AudienceKind.LEARNERS, learner_ids=("seed-learner",)),
            capacity=5,
            waitlist_enabled=False,
            reminder_minutes=(30,),
        )
        event = await service.create_event(admin, draft)
        await service.update_occurrence(
            admin, event.event_id, "20260608T070000Z", OccurrencePatch(title="Seeded override"), False
        )
        await service.create_signup(admin, event.event_id, "seed-learner")
        await service.update_settings(
            admin, "seed-learner", Settings("", "Europe/Berlin", ("email",), "", "", "", "", "", "", None)
        )
        await FeedService(units, _no_lookup, public_base_url="http://x").create_feed(admin, "seed-learner")
        handlers = DirectoryHandlers()
        async with units(TenantId(tenant), None) as uow:
            payload = programs_events.EnrollmentCreated(
                enrollment_id="seed-enrollment",
                program_id="seed-program",
                learner_id="seed-learner",
                state="active",
            )
            payload.due_time.FromDatetime(start)
            envelope = Event(
                uuid.uuid4(),
                ENROLLMENT_CREATED,
                TenantId(tenant),
                "seed",
                start,
                "enrollments/seed",
                1,
                payload,
            )
            await handlers.record_enrollment_created(uow, envelope)
            published = programs_events.ProgramPublished(
                program_id="seed-program", version=1, title="Seeded program"
            )
            await handlers.record_program_published(
                uow, Event(uuid.uuid4(), "t", TenantId(tenant), "seed", start, "programs/seed", 1, published)
            )
            learner = programs_events.LearnerUpserted(
                learner_id="seed-learner", email="seed@example.com", active=True
            )
            await handlers.record_learner_upserted(
                uow, Event(uuid.uuid4(), "t", TenantId(tenant), "seed", start, "learners/seed", 1, learner)
            )
            repo = CalendarRepository(uow.session, uow.tenant_id)
            await repo.claim_delivery(
                event.event_id, "20260601T070000Z", "seed-learner", 30, "email", start, start
            )
            await uow.commit()
        await _seed_inbox_and_dead_letters(units, tenant)
    finally:
        await engine.dispose()


async def _no_lookup(token_hash: str) -> uuid.UUID | None:
    return None


@pytest.fixture(scope="session")
def seeders() -> dict[str, Seeder]:
    """One seeder per service. Each must leave at least one row in every tenant table of its service, so
    the isolation test can prove RLS hides them: a new table without seeded rows makes that test fail."""
    return {
        "programs": _seed_programs,
        "progress": _seed_progress,
        "analytics": _seed_analytics,
        "achievements": _seed_achievements,
        "calendar": _seed_calendar,
    }
