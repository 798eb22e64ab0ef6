"""Run the async service layer from synchronous Celery tasks: one event loop and one engine per task thread.

Each thread that runs tasks (the main thread of a `solo` worker, each thread of a `threads` pool) gets its
own event loop, created on first use and run *inline* with `run_until_complete`: a task's statements
never cross to another thread, so an event costs no thread hand-offs (a wake-up write, futex calls and
GIL transfers each way, which on a 2-core VM cost more than the handler's own work). asyncpg connections
belong to the loop that opened them, so every thread also has its own engine; it keeps one connection
(a thread runs one task at a time) and opens overflow connections only for a coroutine that runs several
units of work at once. Everything is rebuilt after a fork, never inherited, and the state of a thread
that ended is reused by the next new thread, so short-lived threads do not pile up connections.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import redis
from sqlalchemy.ext.asyncio import AsyncEngine

from aigym_platform.db import (
    UnitOfWork,
    UnitOfWorkFactory,
    create_engine,
    create_sessionmaker,
    uow_factory,
)
from aigym_platform.events.receipts import ConfirmationBatcher, ReceiptLedger
from aigym_platform.identity import Identity, TenantId
from aigym_platform.settings import ServiceSettings

T = TypeVar("T")
S = TypeVar("S")


@dataclass
class _Slot(Generic[S]):
    owner: threading.Thread
    value: S


@dataclass
class _PerThread(Generic[S]):
    """One `S` per live thread of this process; a dead thread's `S` goes to the next new thread."""

    make: Callable[[], S]
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _local: threading.local = field(default_factory=threading.local)
    _pid: int | None = None
    _slots: list[_Slot[S]] = field(default_factory=list)

    def get(self) -> S:
        """The calling thread's value, created (or adopted from an ended thread) on first use."""
        pid = os.getpid()
        slot: _Slot[S] | None = getattr(self._local, "slot", None)
        if slot is not None and self._pid == pid:
            return slot.value
        me = threading.current_thread()
        with self._lock:
            if self._pid != pid:  # a forked child: the parent's loops and connections are not ours
                self._slots, self._pid = [], pid
            slot = next((s for s in self._slots if s.owner is me), None)
            if slot is None:
                slot = next((s for s in self._slots if not s.owner.is_alive()), None)
                if slot is not None:
                    slot.owner = me
                else:
                    slot = _Slot(me, self.make())
                    self._slots.append(slot)
            self._local.slot = slot
            return slot.value

    def drain(self) -> list[S]:
        """Forget every value of this process and return them (to be closed)."""
        with self._lock:
            values = [s.value for s in self._slots] if self._pid == os.getpid() else []
            self._slots = []
            self._local = threading.local()
            return values


class AsyncBridge:
    """One asyncio loop per calling thread; `run` runs a coroutine on it inline and returns its result.

    A caller whose thread already runs a loop (a test calling a task function from a coroutine) cannot run
    another one inline: its coroutine goes to a loop thread of the bridge instead, and the caller blocks.
    """

    def __init__(self) -> None:
        self._loops: _PerThread[asyncio.AbstractEventLoop] = _PerThread(asyncio.new_event_loop)
        self._lock = threading.Lock()
        self._side: tuple[int, asyncio.AbstractEventLoop] | None = None

    def loop(self) -> asyncio.AbstractEventLoop:
        """The loop the calling code runs on: the running one, else this thread's (created on first use)."""
        try:
            return asyncio.get_running_loop()
        except RuntimeError:
            return self._loops.get()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run `coro` to completion and return its result (re-raising its exception)."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            loop = self._loops.get()
            return loop.run_until_complete(coro if timeout is None else asyncio.wait_for(coro, timeout))
        future = asyncio.run_coroutine_threadsafe(coro, self._side_loop())
        return future.result(timeout)

    def _side_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._side is None or self._side[0] != os.getpid():
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="aigym-async-bridge", daemon=True).start()
                self._side = (os.getpid(), loop)
            return self._side[1]

    def close(self) -> None:
        """Close every loop of this process (the tasks must be finished)."""
        for loop in self._loops.drain():
            if not loop.is_running():
                loop.close()
        with self._lock:
            side, self._side = self._side, None
        if side is not None and side[0] == os.getpid():
            side[1].call_soon_threadsafe(side[1].stop)


@dataclass(frozen=True)
class _Database:
    engine: AsyncEngine
    uow: UnitOfWorkFactory


class JobContext:
    """What a service's tasks share inside one worker process: settings, bridge, engines, UoW, Redis."""

    def __init__(self, settings: ServiceSettings, bridge: AsyncBridge | None = None) -> None:
        self.settings = settings
        self.bridge = bridge or AsyncBridge()
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._databases: dict[asyncio.AbstractEventLoop, _Database] = {}
        self._redis: redis.Redis | None = None
        self._confirmations: ConfirmationBatcher | None = None

    @property
    def service(self) -> str:
        """The service these tasks belong to."""
        return self.settings.service_name

    def _database(self) -> _Database:
        """The engine and unit-of-work factory of the calling thread's loop (asyncpg ties them to it)."""
        loop = self.bridge.loop()
        database = self._databases.get(loop) if self._pid == os.getpid() else None
        if database is not None:
            return database
        with self._lock:
            self._fork_check()
            database = self._databases.get(loop)
            if database is None:
                # No pre-ping (create_engine): it costs a round trip per task, and a task that meets a dead
                # pooled connection fails, is retried and gets a fresh one. One pooled connection per loop
                # (its thread runs one task at a time); overflow ones for a coroutine that holds several
                # units of work at once, up to the process's configured pool size in all.
                engine = create_engine(
                    self.settings.database_url.get_secret_value(),
                    pool_size=1,
                    max_overflow=max(self.settings.db_pool_size + self.settings.db_max_overflow - 1, 0),
                    session_scopes=self.settings.db_session_scopes,
                )
                database = self._databases[loop] = _Database(engine, uow_factory(create_sessionmaker(engine)))
            return database

    def _fork_check(self) -> None:
        if self._pid != os.getpid():  # a forked child: the parent's connections are not ours
            self._databases, self._redis, self._pid = {}, None, os.getpid()
            self._confirmations = None

    @property
    def engine(self) -> AsyncEngine:
        """The calling thread's engine (created on first use); use it only inside `run`."""
        return self._database().engine

    @property
    def redis(self) -> redis.Redis:
        """This process's Redis client (delivery receipts), shared by its threads."""
        with self._lock:
            self._fork_check()
            if self._redis is None:
                self._redis = redis.Redis.from_url(
                    self.settings.redis_url.get_secret_value(), socket_timeout=5, socket_connect_timeout=5
                )
            return self._redis

    @property
    def confirmations(self) -> ConfirmationBatcher:
        """This process's batcher of delivery-receipt confirmations (on the `redis` client)."""
        client = self.redis
        with self._lock:
            if self._confirmations is None:
                self._confirmations = ConfirmationBatcher(ReceiptLedger(client))
            return self._confirmations

    def uow(self, tenant_id: TenantId, identity: Identity | None = None) -> UnitOfWork:
        """A unit of work in `tenant_id` on the calling thread's engine."""
        return self._database().uow(tenant_id, identity)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run a coroutine of the service layer on the calling thread's loop."""
        return self.bridge.run(coro, timeout)

    def close(self) -> None:
        """Dispose of every engine and close the loops (worker shutdown, after the tasks finished)."""
        with self._lock:
            databases = self._databases if self._pid == os.getpid() else {}
            self._databases = {}
            confirmations, self._confirmations = self._confirmations, None
        if confirmations is not None and self._pid == os.getpid():
            confirmations.close()
        try:
            current: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            current = None

        def dispose() -> None:
            for loop, database in databases.items():
                if loop.is_closed() or loop is current:  # a caller's running loop: its owner disposes
                    continue
                if loop.is_running():  # the bridge's loop thread
                    asyncio.run_coroutine_threadsafe(database.engine.dispose(), loop).result(10)
                else:
                    loop.run_until_complete(asyncio.wait_for(database.engine.dispose(), 10))

        if current is None:
            dispose()
        else:  # no other loop can run in a thread that runs one: dispose from a helper thread
            helper = threading.Thread(target=dispose, name="aigym-bridge-close")
            helper.start()
            helper.join()
        self.bridge.close()
