"""Fixtures of the programs service tests: its migrated database and an in-process server on port 0."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
import pytest_asyncio
from pydantic import SecretStr

from aigym.programs.v1 import programs_pb2_grpc
from aigym_platform.provisioning import ServiceDatabase
from aigym_platform.testing.database import provision_and_migrate
from aigym_platform.testing.tokens import TokenFactory
from aigym_programs.bootstrap import App, build
from aigym_programs.settings import ProgramsSettings

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


@pytest_asyncio.fixture(scope="session")
async def programs_db(postgres: tuple[str, str]) -> ServiceDatabase:
    """The programs database, provisioned and migrated once per session."""
    admin_url, prefix = postgres
    return await provision_and_migrate(admin_url, "programs", MIGRATIONS, prefix=prefix)


@pytest_asyncio.fixture(scope="session")
async def programs_app(
    programs_db: ServiceDatabase, token_factory: TokenFactory, redis_url: str
) -> AsyncIterator[App]:
    """A real programs server (real database, real broker, real interceptors) on a free port."""
    settings = ProgramsSettings(
        grpc_port=0,
        database_url=SecretStr(programs_db.app_url),
        redis_url=SecretStr(redis_url),
        jwt_issuer=token_factory.issuer,
        jwt_audience=token_factory.audience,
        jwks_file=str(token_factory.jwks_file),
        service_jwks_file=str(token_factory.service_jwks_file),
        log_format="text",
    )
    app = build(settings)
    await app.start()
    yield app
    await app.stop(grace=1)


@pytest_asyncio.fixture(scope="session")
async def programs_stub(programs_app: App) -> AsyncIterator[programs_pb2_grpc.ProgramsServiceStub]:
    """A client stub connected to the in-process server."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{programs_app.server.port}") as channel:
        yield programs_pb2_grpc.ProgramsServiceStub(channel)


@pytest.fixture
def tenant() -> uuid.UUID:
    """A fresh tenant per test, so tests never see each other's data."""
    return uuid.uuid4()
