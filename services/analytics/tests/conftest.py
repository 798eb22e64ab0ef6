"""Fixtures of the analytics service tests: its migrated database, an in-process server on port 0 and an
event feeder that delivers envelopes through the platform's real consumer path (inbox + handler)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import grpc
import pytest
import pytest_asyncio
from pydantic import SecretStr

from aigym.analytics.v1 import analytics_pb2_grpc
from aigym_analytics.bootstrap import App, build
from aigym_analytics.settings import AnalyticsSettings
from aigym_platform.provisioning import ServiceDatabase
from aigym_platform.testing.database import provision_and_migrate
from aigym_platform.testing.tokens import TokenFactory
from services.analytics.tests.feeder import Feeder

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


@pytest_asyncio.fixture(scope="session")
async def analytics_db(postgres: tuple[str, str]) -> ServiceDatabase:
    """The analytics database, provisioned and migrated once per session."""
    admin_url, prefix = postgres
    return await provision_and_migrate(admin_url, "analytics", MIGRATIONS, prefix=prefix)


def _settings(db: ServiceDatabase, tokens: TokenFactory) -> AnalyticsSettings:
    return AnalyticsSettings(
        grpc_port=0,
        database_url=SecretStr(db.app_url),
        redis_url=SecretStr("redis://127.0.0.1:1/0"),  # never contacted: the feeder sends no receipts
        jwt_issuer=tokens.issuer,
        jwt_audience=tokens.audience,
        jwks_file=str(tokens.jwks_file),
        service_jwks_file=str(tokens.service_jwks_file),
        log_format="text",
    )


@pytest.fixture(scope="session")
def feeder(analytics_db: ServiceDatabase, token_factory: TokenFactory) -> Iterator[Feeder]:
    """Delivers events to the analytics handlers exactly as a worker does (own loop, own engine)."""
    feeder = Feeder(_settings(analytics_db, token_factory))
    yield feeder
    feeder.close()


@pytest_asyncio.fixture(scope="session")
async def analytics_app(analytics_db: ServiceDatabase, token_factory: TokenFactory) -> AsyncIterator[App]:
    """A real analytics server (real database, real interceptors) on a free port."""
    app = build(_settings(analytics_db, token_factory))
    await app.start()
    yield app
    await app.stop(grace=1)


@pytest_asyncio.fixture(scope="session")
async def analytics_stub(analytics_app: App) -> AsyncIterator[analytics_pb2_grpc.AnalyticsServiceStub]:
    """A client stub connected to the in-process server."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{analytics_app.server.port}") as channel:
        yield analytics_pb2_grpc.AnalyticsServiceStub(channel)


@pytest.fixture
def tenant() -> uuid.UUID:
    """A fresh tenant per test, so tests never see each other's data."""
    return uuid.uuid4()
