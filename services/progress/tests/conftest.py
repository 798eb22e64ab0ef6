"""Fixtures of the progress service tests: its migrated database, an in-process server on port 0, and the
learner directory fed through the platform's real consumer path (inbox + handler in one transaction)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import grpc
import pytest
import pytest_asyncio
from pydantic import SecretStr

from aigym.progress.v1 import progress_pb2_grpc
from aigym_platform.provisioning import ServiceDatabase
from aigym_platform.testing.consumers import DirectoryFeeder
from aigym_platform.testing.database import provision_and_migrate
from aigym_platform.testing.tokens import TokenFactory
from aigym_progress.bootstrap import App, build
from aigym_progress.directory_service import DirectoryHandlers
from aigym_progress.settings import ProgressSettings

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


@pytest_asyncio.fixture(scope="session")
async def progress_db(postgres: tuple[str, str]) -> ServiceDatabase:
    """The progress database, provisioned and migrated once per session."""
    admin_url, prefix = postgres
    return await provision_and_migrate(admin_url, "progress", MIGRATIONS, prefix=prefix)


def _settings(db: ServiceDatabase, tokens: TokenFactory) -> ProgressSettings:
    return ProgressSettings(
        grpc_port=0,
        database_url=SecretStr(db.app_url),
        redis_url=SecretStr("redis://127.0.0.1:1/0"),  # never contacted: the directory sends no receipts
        jwt_issuer=tokens.issuer,
        jwt_audience=tokens.audience,
        jwks_file=str(tokens.jwks_file),
        service_jwks_file=str(tokens.service_jwks_file),
        log_format="text",
    )


class Directory(DirectoryFeeder):
    """Programs' `learner_upserted` events to the progress consumer, exactly as a worker applies them."""

    def __init__(self, settings: ProgressSettings) -> None:
        super().__init__(settings, "progress", DirectoryHandlers().record_learner_upserted)


@pytest.fixture(scope="session")
def directory(progress_db: ServiceDatabase, token_factory: TokenFactory) -> Iterator[Directory]:
    """The learner directory copy, filled through the real consumer (own loop, own engine)."""
    feeder = Directory(_settings(progress_db, token_factory))
    yield feeder
    feeder.close()


@pytest_asyncio.fixture(scope="session")
async def progress_app(progress_db: ServiceDatabase, token_factory: TokenFactory) -> AsyncIterator[App]:
    """A real progress server (real database, real interceptors) on a free port."""
    app = build(_settings(progress_db, token_factory))
    await app.start()
    yield app
    await app.stop(grace=1)


@pytest_asyncio.fixture(scope="session")
async def progress_stub(progress_app: App) -> AsyncIterator[progress_pb2_grpc.ProgressServiceStub]:
    """A client stub connected to the in-process server."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{progress_app.server.port}") as channel:
        yield progress_pb2_grpc.ProgressServiceStub(channel)


@pytest.fixture
def tenant() -> uuid.UUID:
    """A fresh tenant per test, so tests never see each other's data."""
    return uuid.uuid4()
