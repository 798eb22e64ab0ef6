"""Fixtures of the achievements tests: its migrated database, an in-process server on port 0, and a way to
deliver events to the handlers exactly as the platform's consumer does (inbox row + handler, one commit)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import grpc
import pytest
import pytest_asyncio
from google.protobuf.message import Message
from pydantic import SecretStr

from aigym.achievements.v1 import achievements_pb2_grpc
from aigym_achievements.bootstrap import App, awarder_from_settings, build
from aigym_achievements.event_handlers import EventHandlers
from aigym_achievements.settings import AchievementsSettings
from aigym_platform.db import UnitOfWorkFactory, create_engine, create_sessionmaker, uow_factory
from aigym_platform.events.envelope import Event
from aigym_platform.events.inbox import record_in_inbox
from aigym_platform.identity import Identity, Role, TenantId
from aigym_platform.provisioning import ServiceDatabase
from aigym_platform.testing.database import provision_and_migrate
from aigym_platform.testing.tokens import TokenFactory

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
BASE_URL = "https://badges.example.test"

Deliver = Callable[..., Awaitable[str]]


@pytest_asyncio.fixture(scope="session")
async def achievements_db(postgres: tuple[str, str]) -> ServiceDatabase:
    """The achievements database, provisioned and migrated once per session."""
    admin_url, prefix = postgres
    return await provision_and_migrate(admin_url, "achievements", MIGRATIONS, prefix=prefix)


@pytest.fixture(scope="session")
def achievements_settings(
    achievements_db: ServiceDatabase, token_factory: TokenFactory
) -> AchievementsSettings:
    """Settings of the in-process server (no Redis: backfills are run by the tests, as the sweep would)."""
    return AchievementsSettings(
        grpc_port=0,
        database_url=SecretStr(achievements_db.app_url),
        jwt_issuer=token_factory.issuer,
        jwt_audience=token_factory.audience,
        jwks_file=str(token_factory.jwks_file),
        service_jwks_file=str(token_factory.service_jwks_file),
        log_format="text",
        public_base_url=BASE_URL,
        issuer_key_passphrase=SecretStr("test-passphrase"),
    )


@pytest_asyncio.fixture(scope="session")
async def achievements_app(achievements_settings: AchievementsSettings) -> AsyncIterator[App]:
    """A real achievements server (real database, real interceptors) on a free port."""
    app = build(achievements_settings)
    await app.start()
    yield app
    await app.stop(grace=1)


@pytest_asyncio.fixture(scope="session")
async def stub(achievements_app: App) -> AsyncIterator[achievements_pb2_grpc.AchievementsServiceStub]:
    """A client stub connected to the in-process server."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{achievements_app.server.port}") as channel:
        yield achievements_pb2_grpc.AchievementsServiceStub(channel)


@pytest_asyncio.fixture(scope="session")
async def units(achievements_db: ServiceDatabase) -> AsyncIterator[UnitOfWorkFactory]:
    """Units of work as the app role (what the worker uses)."""
    engine = create_engine(achievements_db.app_url, pool_size=4, max_overflow=4)
    yield uow_factory(create_sessionmaker(engine))
    await engine.dispose()


@pytest.fixture(scope="session")
def handlers(achievements_settings: AchievementsSettings) -> EventHandlers:
    """The event handlers with the server's credential settings."""
    return EventHandlers(awarder_from_settings(achievements_settings))


@pytest.fixture(scope="session")
def deliver(units: UnitOfWorkFactory, handlers: EventHandlers) -> Deliver:
    """deliver(handler_name, event_type, tenant, payload, event_id=None, occurred_at=None) -> outcome:
    what the platform consumer does per delivery (inbox row and handler in one transaction)."""

    async def run(
        handler: str,
        event_type: str,
        tenant: uuid.UUID,
        payload: Message,
        *,
        event_id: uuid.UUID | None = None,
        occurred_at: dt.datetime | None = None,
    ) -> str:
        event: Event[Any] = Event(
            event_id=event_id or uuid.uuid4(),
            type=event_type,
            tenant_id=TenantId(tenant),
            actor="producer",
            occurred_at=occurred_at or dt.datetime.now(dt.UTC),
            subject="test",
            schema_version=1,
            payload=payload,
        )
        identity = Identity("service:achievements", TenantId(tenant), frozenset({Role.SERVICE}))
        async with units(TenantId(tenant), identity) as uow:
            if not await record_in_inbox(uow.session, tenant, event.event_id, handler, event_type):
                return "duplicate"
            await getattr(handlers, handler)(uow, event)
            await uow.commit()
        return "applied"

    return run


@pytest.fixture
def tenant() -> uuid.UUID:
    """A fresh tenant per test, so tests never see each other's data."""
    return uuid.uuid4()
