"""Run the async service layer from synchronous Celery tasks: one event loop and one engine per process.

The loop runs in a daemon thread started on first use in each process (so it is created after a prefork
fork, never inherited), and every task thread submits its coroutine to it. Engines, sessionmakers and the
Redis client are built once per process, lazily, and rebuilt only if the pid changes.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

import redis
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from aigym_platform.db import UnitOfWork, asyncpg_url, create_sessionmaker, uow_factory
from aigym_platform.identity import Identity, TenantId
from aigym_platform.settings import ServiceSettings

T = TypeVar("T")


class AsyncBridge:
    """One asyncio loop per process, reused by every task; `run` blocks the calling thread for the result."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def loop(self) -> asyncio.AbstractEventLoop:
        """This process's loop, started on first use (and again in a forked child)."""
        with self._lock:
            if self._loop is None or self._pid != os.getpid():
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="aigym-async-bridge", daemon=True).start()
                self._loop, self._pid = loop, os.getpid()
            return self._loop

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run `coro` on the process loop and return its result (re-raising its exception)."""
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, self.loop())
        return future.result(timeout)

    def close(self) -> None:
        """Stop this process's loop (tasks must be finished)."""
        with self._lock:
            loop, self._loop = self._loop, None
            if loop is not None and self._pid == os.getpid():
                loop.call_soon_threadsafe(loop.stop)


class JobContext:
    """What a service's tasks share inside one worker process: settings, bridge, engine, UoW, Redis."""

    def __init__(self, settings: ServiceSettings, bridge: AsyncBridge | None = None) -> None:
        self.settings = settings
        self.bridge = bridge or AsyncBridge()
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._engine: AsyncEngine | None = None
        self._redis: redis.Redis | None = None
        self._uow: Any = None

    @property
    def service(self) -> str:
        """The service these tasks belong to."""
        return self.settings.service_name

    def _ensure(self) -> None:
        with self._lock:
            if self._pid == os.getpid():
                return
            settings = self.settings
            # No pre-ping here (unlike the servers' engine): it costs a round trip per task, and a task that
            # meets a dead pooled connection fails, is retried and gets a fresh one.
            self._engine = create_async_engine(
                asyncpg_url(settings.database_url.get_secret_value()),
                pool_size=settings.db_pool_size,
                max_overflow=settings.db_max_overflow,
                pool_recycle=1800,
            )
            self._uow = uow_factory(create_sessionmaker(self._engine))
            self._redis = redis.Redis.from_url(
                settings.redis_url.get_secret_value(), socket_timeout=5, socket_connect_timeout=5
            )
            self._pid = os.getpid()

    @property
    def engine(self) -> AsyncEngine:
        """This process's engine (created on first use)."""
        self._ensure()
        assert self._engine is not None
        return self._engine

    @property
    def redis(self) -> redis.Redis:
        """This process's Redis client (delivery receipts)."""
        self._ensure()
        assert self._redis is not None
        return self._redis

    def uow(self, tenant_id: TenantId, identity: Identity | None = None) -> UnitOfWork:
        """A unit of work in `tenant_id` on this process's engine."""
        self._ensure()
        unit: UnitOfWork = self._uow(tenant_id, identity)
        return unit

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run a coroutine of the service layer on this process's loop."""
        return self.bridge.run(coro, timeout)

    def close(self) -> None:
        """Dispose of the engine and stop the loop (worker shutdown)."""
        if self._engine is not None and self._pid == os.getpid():
            self.run(self._engine.dispose(), timeout=10)
        self.bridge.close()
