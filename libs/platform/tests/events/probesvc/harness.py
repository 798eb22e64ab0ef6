"""Test harness of the event tests: probe databases, unit-of-work factories, real processes."""

from __future__ import annotations

import asyncio
import os
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy import text

from aigym_platform.db import UnitOfWorkFactory, create_engine, create_sessionmaker, uow_factory
from aigym_platform.devstack.processes import ManagedProcess
from aigym_platform.identity import TenantId
from aigym_platform.provisioning import ServiceDatabase
from aigym_platform.testing.database import provision_and_migrate

HERE = Path(__file__).resolve().parent.parent
MIGRATIONS = HERE / "migrations"

PRODUCER, SINK = "eventprobe", "eventsink"


async def provision_probe_pair(admin_url: str, prefix: str) -> dict[str, ServiceDatabase]:
    """The producer's and the sink's databases, both on the probe schema."""
    return {
        name: await provision_and_migrate(admin_url, name, MIGRATIONS, prefix=prefix)
        for name in (PRODUCER, SINK)
    }


class Uows:
    """Unit-of-work factories on the app roles of the probe databases (one small engine each)."""

    def __init__(self, dbs: dict[str, ServiceDatabase], pool_size: int = 5) -> None:
        self.engines = {
            name: create_engine(db.app_url, pool_size=pool_size, max_overflow=5) for name, db in dbs.items()
        }
        self.producer: UnitOfWorkFactory = uow_factory(create_sessionmaker(self.engines[PRODUCER]))
        self.sink: UnitOfWorkFactory = uow_factory(create_sessionmaker(self.engines[SINK]))

    async def sink_scalar(self, tenant: uuid.UUID, sql: str, **params: object) -> object:
        """One value read in the sink database inside `tenant`."""
        async with self.sink(TenantId(tenant), None) as unit:
            return (await unit.session.execute(text(sql), params)).scalar()

    async def close(self) -> None:
        """Dispose of every engine."""
        for engine in self.engines.values():
            await engine.dispose()


class EventProcesses:
    """Starts the real relay, Celery workers and beats of the probe services; stops them all at the end."""

    def __init__(self, dbs: dict[str, ServiceDatabase], redis_url: str, logs: Path, **settings: str) -> None:
        self.dbs, self.redis_url, self.logs = dbs, redis_url, logs
        self.settings = {
            "AIGYM_LOG_FORMAT": "text",
            "AIGYM_LOG_LEVEL": "WARNING",
            "AIGYM_RELAY_POLL_SECONDS": "0.5",
            "AIGYM_EVENT_REDELIVER_AFTER_SECONDS": "5",
            "AIGYM_EVENT_MAX_RETRIES": "3",
            "AIGYM_EVENT_RETRY_BACKOFF_SECONDS": "0.2",
            "AIGYM_BEAT_KEY_PREFIX": f"aigym:beat:{uuid.uuid4().hex[:8]}",
            **settings,
        }
        self.started: list[ManagedProcess] = []

    def env(self, service: str, **extra: str) -> dict[str, str]:
        """The AIGYM_* environment of a process of `service`."""
        return {
            **self.settings,
            "AIGYM_SERVICE_NAME": service,
            "AIGYM_DATABASE_URL": self.dbs[service].app_url,
            "AIGYM_REDIS_URL": self.redis_url,
            "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
            **extra,
        }

    def _start(self, name: str, argv: list[str], env: dict[str, str]) -> ManagedProcess:
        process = ManagedProcess(name, [sys.executable, *argv], env=env, log_file=self.logs / f"{name}.log")
        process.start()
        self.started.append(process)
        return process

    def relay(self, name: str = "relay", **extra: str) -> ManagedProcess:
        """The producer's outbox relay."""
        argv = ["-m", "aigym_platform.events.relay", "--service", PRODUCER]
        return self._start(name, argv, self.env(PRODUCER, **extra))

    def worker(self, name: str = "worker", **extra: str) -> ManagedProcess:
        """A Celery worker of the sink (its events and jobs queues)."""
        argv = ["-m", "aigym_platform.jobs.worker", "--service", SINK, "--tasks", "probesvc.tasks"]
        return self._start(name, argv, self.env(SINK, **extra))

    def beat(self, name: str, **extra: str) -> ManagedProcess:
        """A beat process with the probe schedules."""
        return self._start(
            name, ["-m", "aigym_platform.jobs.beat", "--schedules", "probesvc.tasks"], self.env(SINK, **extra)
        )

    def stop(self) -> None:
        """SIGTERM everything started, SIGKILL what lingers."""
        for process in reversed(self.started):
            process.terminate(grace=5)

    def logs_tail(self, lines: int = 30) -> str:
        """The end of every process log (for assertion messages)."""
        parts = []
        for log in sorted(self.logs.glob("*.log")):
            parts.append(
                f"--- {log.name}\n" + "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
            )
        return "\n".join(parts)


async def wait_until(
    condition: Callable[[], Awaitable[bool]], within: float, what: str = "condition", interval: float = 0.02
) -> float:
    """Poll `condition` until true; return the seconds it took; AssertionError after `within` s."""
    started = time.monotonic()
    while not await condition():
        if time.monotonic() - started > within:
            raise AssertionError(f"{what} not reached within {within}s")
        await asyncio.sleep(interval)
    return time.monotonic() - started
