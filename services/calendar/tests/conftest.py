"""Fixtures of the calendar service tests: its migrated database and an in-process server on port 0."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import grpc
import pytest
import pytest_asyncio
from pydantic import SecretStr

from aigym.calendar.v1 import calendar_pb2_grpc
from aigym_calendar.bootstrap import App, build
from aigym_calendar.settings import CalendarSettings
from aigym_platform.provisioning import ServiceDatabase
from aigym_platform.testing.database import provision_and_migrate
from aigym_platform.testing.tokens import TokenFactory
from services.calendar.tests.integration.helpers import Directory

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


@pytest_asyncio.fixture(scope="session")
async def calendar_db(postgres: tuple[str, str]) -> ServiceDatabase:
    """The calendar database, provisioned and migrated once per session."""
    admin_url, prefix = postgres
    return await provision_and_migrate(admin_url, "calendar", MIGRATIONS, prefix=prefix)


@pytest.fixture(scope="session")
def calendar_settings(calendar_db: ServiceDatabase, token_factory: TokenFactory) -> CalendarSettings:
    """Settings of the in-process calendar service."""
    return CalendarSettings(
        grpc_port=0,
        database_url=SecretStr(calendar_db.app_url),
        jwt_issuer=token_factory.issuer,
        jwt_audience=token_factory.audience,
        jwks_file=str(token_factory.jwks_file),
        service_jwks_file=str(token_factory.service_jwks_file),
        log_format="text",
        public_base_url="https://calendar.example.test",
    )


@pytest_asyncio.fixture(scope="session")
async def calendar_app(calendar_settings: CalendarSettings) -> AsyncIterator[App]:
    """A real calendar server (real database, real interceptors) on a free port."""
    app = build(calendar_settings)
    await app.start()
    yield app
    await app.stop(grace=1)


@pytest_asyncio.fixture(scope="session")
async def stub(calendar_app: App) -> AsyncIterator[calendar_pb2_grpc.CalendarServiceStub]:
    """A client stub connected to the in-process server."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{calendar_app.server.port}") as channel:
        yield calendar_pb2_grpc.CalendarServiceStub(channel)


@pytest.fixture
def tenant() -> uuid.UUID:
    """A fresh tenant per test, so tests never see each other's data."""
    return uuid.uuid4()


@pytest.fixture
def tokens(token_factory: TokenFactory) -> TokenFactory:
    """Short name of the session's token factory."""
    return token_factory


@pytest.fixture(scope="module")
def directory(calendar_settings: CalendarSettings) -> Iterator[Directory]:
    """The calendar's directory copy, filled through the real consumer (own loop, own engine)."""
    # The feeder sends no delivery receipts, so Redis is never contacted.
    feeder = Directory(calendar_settings.model_copy(update={"redis_url": SecretStr("redis://127.0.0.1:1/0")}))
    yield feeder
    feeder.close()
