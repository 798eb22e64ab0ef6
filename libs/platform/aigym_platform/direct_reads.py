"""Hot single-statement reads on the process's own asyncpg connections, without the ORM.

A read unit (`aigym_platform.db.ReadUnit`) costs a session, a pooled checkout through SQLAlchemy, BEGIN with
the tenant scope, the statement through SQLAlchemy's execution and result machinery, ROLLBACK and the
session's close: on a short read that is most of the server's CPU beyond the gRPC runtime. A
`DirectReader` runs the same kind of read on a raw asyncpg connection:

- the transaction-local tenant scope of the shared architecture (`set_config('app.tenant_id', $1, true)` at
  the start of every transaction), in a read-only transaction: BEGIN and the scope in one message;
- the statement itself, prepared once per connection (asyncpg's statement cache) with bind parameters;
- no ROLLBACK round trip of its own: the connection goes back to the reader's pool with its read-only
  transaction open (no transaction id, and in READ COMMITTED no snapshot between statements), and the next
  read on it sends ROLLBACK in the same message as its BEGIN. A connection left idle that way is rolled
  back by a sweep after `idle_rollback` seconds, so none stays "idle in transaction" for long.

Two round trips per read instead of three, and asyncpg's own Cython paths instead of SQLAlchemy's.
Use it for reads that are one statement (an independent snapshot); anything else takes a `ReadUnit`.
Nothing can be written: the transaction is READ ONLY, so PostgreSQL refuses any write statement.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy import ClauseElement
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.sql.compiler import SQLCompiler

from aigym_platform.errors import Unavailable
from aigym_platform.identity import TenantId

log = logging.getLogger(__name__)

# The connection is gone or unusable (the database dropped it, a failover): replace it, fail the read.
_LOST = (asyncpg.PostgresConnectionError, asyncpg.InterfaceError, ConnectionError, OSError)


_DIALECT = PGDialect_asyncpg()  # type: ignore[no-untyped-call]


@dataclass(frozen=True)
class DriverStatement:
    """A SQLAlchemy statement compiled once to driver SQL (`$n` placeholders), so a read unit's session
    (`exec_driver_sql`) and a direct read run the very same text.

    Build it once per statement shape (e.g. in a `functools.cache`d function): compiling costs about what
    running the read does.
    """

    sql: str
    names: tuple[str, ...]  # the bind parameters in placeholder order
    constants: dict[str, Any]  # values of the statement's own literals (anonymous bind parameters)

    @classmethod
    def compile(cls, statement: ClauseElement) -> DriverStatement:
        """Compile `statement` for asyncpg."""
        compiled = statement.compile(dialect=_DIALECT)
        if not isinstance(compiled, SQLCompiler):
            raise TypeError("only SQL statements compile to driver SQL")
        # Literals carry their value; a named parameter without one must be given to `values` (never NULL).
        constants = {
            name: value for name, value in compiled.params.items() if not compiled.binds[name].required
        }
        return cls(compiled.string, tuple(compiled.positiontup or ()), constants)

    def values(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        """The positional values of a run: the named parameters the statement uses (KeyError for one that
        is missing), and its literals."""
        return tuple(params[name] if name in params else self.constants[name] for name in self.names)


def driver_dsn(url: str) -> str:
    """A SQLAlchemy-style URL (`postgresql+asyncpg://`) as the plain DSN asyncpg takes."""
    for prefix in ("postgresql+asyncpg://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix) :]
    if not url.startswith("postgresql://"):
        raise ValueError("database URL must start with postgresql://")
    return url


class _Pooled:
    """A connection of the reader's pool and whether it still has a read transaction to roll back."""

    __slots__ = ("connection", "idle_since", "open")

    def __init__(self, connection: asyncpg.Connection) -> None:
        self.connection = connection
        self.open = False
        self.idle_since = 0.0


class DirectReader:
    """Tenant-scoped single-statement reads on up to `size` asyncpg connections of this process.

    Usage (in a repository of hot reads)::

        row = await reader.fetchrow(tenant_id, "SELECT ... WHERE learner_id = $1", learner_id)

    Connections are opened on demand, reused last-in first-out, and replaced when the database drops one;
    a read on a lost connection raises `Unavailable` (the server answers UNAVAILABLE; Envoy retries reads).
    """

    def __init__(self, url: str, *, size: int = 10, idle_rollback: float = 1.0) -> None:
        if size < 1:
            raise ValueError("a direct reader needs at least one connection")
        self._dsn = driver_dsn(url)
        self._size = size
        self._idle_rollback = idle_rollback
        self._idle: list[_Pooled] = []
        self._slots = asyncio.Semaphore(size)
        self._sweeper: asyncio.Task[None] | None = None
        self._closed = False
        self._all: set[_Pooled] = set()

    async def fetch(self, tenant_id: TenantId, query: str, *args: Any) -> list[asyncpg.Record]:
        """The rows of one statement, read in `tenant_id`'s scope."""
        async with self._scoped(tenant_id) as connection:
            rows: list[asyncpg.Record] = await connection.fetch(query, *args)
            return rows

    async def fetchrow(self, tenant_id: TenantId, query: str, *args: Any) -> asyncpg.Record | None:
        """The first row of one statement (None without rows), read in `tenant_id`'s scope."""
        async with self._scoped(tenant_id) as connection:
            row: asyncpg.Record | None = await connection.fetchrow(query, *args)
            return row

    async def close(self) -> None:
        """Close every connection (rolling back open read transactions with them) and stop the sweep."""
        self._closed = True
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        pooled, self._all, self._idle = list(self._all), set(), []
        for item in pooled:
            with contextlib.suppress(Exception):
                await item.connection.close(timeout=2)

    @property
    def open_connections(self) -> int:
        """How many connections the reader holds now (idle or in use)."""
        return len(self._all)

    @contextlib.asynccontextmanager
    async def _scoped(self, tenant_id: TenantId) -> AsyncIterator[asyncpg.Connection]:
        if self._closed:
            raise RuntimeError("the direct reader is closed")
        tenant = str(uuid.UUID(str(tenant_id)))  # canonical: hex digits and dashes only, safe to inline
        opening = f"BEGIN READ ONLY; SELECT set_config('app.tenant_id', '{tenant}', true)"
        async with self._slots:
            item = await self._checkout()
            try:
                connection = item.connection
                await connection.execute(f"ROLLBACK; {opening}" if item.open else opening)
                yield connection
            except _LOST as error:
                self._discard(item)
                log.warning("direct read lost its database connection: %s", error)
                raise Unavailable("database connection lost; retry", reason="DATABASE_UNAVAILABLE") from error
            except asyncpg.PostgresError:
                self._checkin(item)  # the transaction is aborted; the next read's ROLLBACK ends it
                raise
            except BaseException:
                self._discard(item)  # cancelled mid-message: the protocol state is unknown
                raise
            else:
                self._checkin(item)

    async def _checkout(self) -> _Pooled:
        while self._idle:
            item = self._idle.pop()
            if not item.connection.is_closed():
                return item
            self._all.discard(item)
        try:
            connection = await asyncpg.connect(self._dsn, statement_cache_size=256)
        except _LOST as error:
            raise Unavailable("database unavailable; retry", reason="DATABASE_UNAVAILABLE") from error
        item = _Pooled(connection)
        self._all.add(item)
        if self._sweeper is None:
            self._sweeper = asyncio.get_running_loop().create_task(self._sweep(), name="direct-reads-sweep")
        return item

    def _checkin(self, item: _Pooled) -> None:
        if self._closed:
            item.connection.terminate()
            return
        item.open = item.connection.is_in_transaction()  # an aborted one too: the next read rolls it back
        item.idle_since = time.monotonic()
        self._idle.append(item)

    def _discard(self, item: _Pooled) -> None:
        self._all.discard(item)
        item.connection.terminate()

    async def _sweep(self) -> None:
        """Roll back the read transactions of connections idle longer than `idle_rollback` seconds."""
        while True:
            await asyncio.sleep(self._idle_rollback / 2)
            cutoff = time.monotonic() - self._idle_rollback
            stale = [item for item in self._idle if item.open and item.idle_since <= cutoff]
            for item in stale:
                async with self._slots:  # never more connections in use than `size`
                    if item not in self._idle or not item.open:
                        continue  # taken by a read meanwhile
                    self._idle.remove(item)
                    try:
                        await item.connection.execute("ROLLBACK")
                    except Exception:
                        self._discard(item)
                        continue
                    self._checkin(item)
