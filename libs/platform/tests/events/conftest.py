"""Fixtures of the event tests: probe databases and real relay, worker and beat processes."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))  # the probe "service" package, importable by tests and child processes

from probesvc.harness import EventProcesses, Uows, provision_probe_pair  # noqa: E402

from aigym_platform.provisioning import ServiceDatabase  # noqa: E402


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker of the fault-injection tests (they run in `make test` too)."""
    config.addinivalue_line("markers", "faults: kills real relay/worker/Redis processes (about a minute)")


@pytest_asyncio.fixture(scope="session")
async def probe_dbs(postgres: tuple[str, str]) -> dict[str, ServiceDatabase]:
    """eventprobe and eventsink databases, migrated once per session."""
    admin_url, prefix = postgres
    return await provision_probe_pair(admin_url, prefix)


@pytest_asyncio.fixture(scope="session")
async def uows(probe_dbs: dict[str, ServiceDatabase]) -> AsyncIterator[Uows]:
    """Unit-of-work factories of the probe producer and sink."""
    made = Uows(probe_dbs)
    yield made
    await made.close()


@pytest.fixture(scope="module")
def event_processes(
    probe_dbs: dict[str, ServiceDatabase], redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EventProcesses]:
    """A relay and one sink worker running for the test module."""
    processes = EventProcesses(probe_dbs, redis_url, tmp_path_factory.mktemp("event-logs"))
    try:
        processes.relay()
        processes.worker()
        yield processes
    finally:
        processes.stop()
