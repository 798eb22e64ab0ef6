"""pytest fixtures every tier shares (loaded from the root conftest.py)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from aigym_platform.testing.database import postgres_server
from aigym_platform.testing.mail import SmtpSink, WebhookReceiver, smtp_sink, webhook_receiver
from aigym_platform.testing.redis import redis_server
from aigym_platform.testing.tokens import TokenFactory


@contextmanager
def server_workdir(name: str) -> Iterator[Path]:
    """A scratch directory for a server process, outside pytest's basetemp.

    pytest resets its per-user temp root to mode 0700 whenever a session starts, which would cut off the
    unprivileged PostgreSQL user (root runs tests here) in the middle of a run next to another session.
    """
    with tempfile.TemporaryDirectory(prefix=f"aigym-{name}-", ignore_cleanup_errors=True) as directory:
        yield Path(directory)


@pytest.fixture(scope="session")
def postgres() -> Iterator[tuple[str, str]]:
    """(admin URL, database prefix) of a real PostgreSQL server for the whole test session."""
    with server_workdir("postgres") as workdir, postgres_server(workdir) as server:
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


@pytest.fixture(scope="session")
def smtp_sink_server() -> Iterator[SmtpSink]:
    """A real SMTP sink process for the session (the dev stack's); read messages with `.messages(to=...)`."""
    with server_workdir("smtp") as workdir, smtp_sink(workdir / "mail") as sink:
        yield sink


@pytest.fixture
def webhook_server() -> Iterator[WebhookReceiver]:
    """A webhook receiver recording requests and answering scripted status codes (see WebhookReceiver)."""
    with webhook_receiver() as receiver:
        yield receiver
