"""Composition root of the calendar service: settings -> engine -> unit of work -> services -> server."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from aigym.calendar.v1 import calendar_pb2, calendar_pb2_grpc
from aigym_calendar.feed_service import FeedService
from aigym_calendar.repository import feed_tenant
from aigym_calendar.service import CalendarService
from aigym_calendar.servicer import CalendarServicer
from aigym_calendar.settings import CalendarSettings
from aigym_platform.db import UnitOfWorkFactory, create_engine, create_sessionmaker, uow_factory
from aigym_platform.events.admin import events_admin_registration
from aigym_platform.server import GrpcServer, Registration
from aigym_platform.tokens import verifier_from_settings

SERVICE_FULL_NAME = calendar_pb2.DESCRIPTOR.services_by_name["CalendarService"].full_name
PUBLIC_METHODS = (f"/{SERVICE_FULL_NAME}/GetFeedCalendar",)


@dataclass
class App:
    """Everything one calendar process runs, for start-up and orderly shutdown."""

    settings: CalendarSettings
    engine: AsyncEngine
    server: GrpcServer

    async def start(self) -> int:
        """Start serving; returns the bound port."""
        return await self.server.start()

    async def stop(self, grace: float | None = None) -> None:
        """Drain the server, then close database connections."""
        await self.server.stop(grace)
        await self.engine.dispose()


def tenant_lookup(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> Callable[[str], Awaitable[uuid.UUID | None]]:
    """The feed-token -> tenant lookup, in its own short transaction outside any tenant."""

    async def lookup(token_hash: str) -> uuid.UUID | None:
        async with sessionmaker() as session, session.begin():
            return await feed_tenant(session, token_hash)

    return lookup


def build_services(
    settings: CalendarSettings, engine: AsyncEngine
) -> tuple[CalendarService, FeedService, UnitOfWorkFactory]:
    """The service layer on an engine, and its unit-of-work factory."""
    sessionmaker = create_sessionmaker(engine)
    uow = uow_factory(sessionmaker)
    feeds = FeedService(
        uow,
        tenant_lookup(sessionmaker),
        public_base_url=settings.public_base_url,
        past=timedelta(days=settings.calendar_feed_past_days),
        future=timedelta(days=settings.calendar_feed_future_days),
    )
    service = CalendarService(uow, allow_private_webhooks=settings.webhook_allow_private_addresses)
    return service, feeds, uow


def build(settings: CalendarSettings) -> App:
    """Wire the calendar service from its settings (no I/O until `App.start`)."""
    engine = create_engine(
        settings.database_url.get_secret_value(),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
    )
    service, feeds, uow = build_services(settings, engine)
    registration = Registration(
        SERVICE_FULL_NAME,
        CalendarServicer(service, feeds),
        calendar_pb2_grpc.add_CalendarServiceServicer_to_server,
    )
    admin = events_admin_registration(settings, uow)  # dead letters of the calendar's event consumers
    server = GrpcServer(
        settings, verifier_from_settings(settings), [registration, admin], public_methods=PUBLIC_METHODS
    )
    return App(settings, engine, server)
