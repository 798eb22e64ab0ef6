"""pytest fixtures every tier shares (loaded from the root conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from aigym_platform.testing.database import postgres_server
from aigym_platform.testing.redis import redis_server
from aigym_platform.testing.tokens import TokenFactory


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(admin URL, database prefix) of a real PostgreSQL server for the whole test session."""
    with postgres_server(tmp_path_factory.mktemp("postgres")) as server:
        yield server


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a real Redis server for the whole test session (embedded unless AIGYM_TEST_REDIS_URL is set)."""
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture(scope="session")
def token_factory(tmp_path_factory: pytest.TempPathFactory) -> TokenFactory:
    """Signing keys and JWKS files for the session; services under test trust them."""
    return TokenFactory.create(Path(tmp_path_factory.mktemp("keys")))
