"""Database plumbing: one async engine per process and the tenant-scoped unit of work."""

from __future__ import annotations

import uuid
import weakref
from collections.abc import Callable
from contextvars import ContextVar
from types import TracebackType
from typing import Any, Protocol, Self

import asyncpg
from google.protobuf.message import Message
from sqlalchemy import MetaData, event, exc
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import Pool
from sqlalchemy.util.concurrency import await_

from aigym_platform.audit import AuditEntry, chain_audits
from aigym_platform.errors import Aborted, DomainError, Unavailable
from aigym_platform.events.outbox import OutboxEntry, outbox_entry, outbox_statements
from aigym_platform.identity import Identity, TenantId, request_id_var

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base for service tables; each service keeps its own MetaData via subclassing."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def asyncpg_url(url: str) -> str:
    """Normalise a postgresql:// URL to the asyncpg dialect SQLAlchemy needs."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError("database URL must start with postgresql://")


def create_engine(
    url: str, *, pool_size: int = 10, max_overflow: int = 10, session_scopes: bool = False, **kwargs: Any
) -> AsyncEngine:
    """The process's single async engine (created in bootstrap, disposed on shutdown).

    No pre-ping: it costs a round trip per checkout (a third of a read RPC's database time). A connection
    the server dropped fails one call instead, which the server interceptor answers UNAVAILABLE (retried
    by Envoy for reads) while the pool discards it; connections are also recycled every 30 minutes.
    Read units open a read-only transaction with a transaction-local scope; `session_scopes=True` (opt-in,
    never behind a transaction-mode connection pooler) keeps the tenant at session level instead, so a
    read of the connection's last tenant is one round trip (ARCHITECTURE.md "Starting a unit of work").
    """
    engine = create_async_engine(
        asyncpg_url(url),
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_pre_ping=False,
        pool_recycle=1800,
        **kwargs,
    )
    _guard_session_scope(engine.sync_engine.pool, session_scopes)
    return engine


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Session factory with `expire_on_commit=False` so results stay usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


class TenantUnit(Protocol):
    """What repositories need from a unit of work, read or write: its session and its tenant."""

    @property
    def session(self) -> AsyncSession:
        """The unit's session; only valid inside `async with`."""
        ...

    @property
    def tenant_id(self) -> TenantId:
        """The tenant every statement of the unit is scoped to."""
        ...


class _TenantSession:
    """What every unit has: the session factory, its tenant and caller, and the session while open."""

    _kind = "unit of work"  # named in the error of a use outside `async with`

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        tenant_id: TenantId,
        identity: Identity | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self.tenant_id = tenant_id
        self.identity = identity
        self._session: AsyncSession | None = None

    @property
    def session(self) -> AsyncSession:
        """The unit's session; only valid inside `async with`."""
        if self._session is None:
            raise RuntimeError(f"{self._kind} used outside `async with`")
        return self._session


class UnitOfWork(_TenantSession):
    """One transaction inside one tenant: RLS scope set first, audit rows written inside, rollback default.

    Usage::

        async with uow_factory(tenant, identity) as uow:
            ...
            await uow.commit()
    """

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        tenant_id: TenantId,
        identity: Identity | None = None,
    ) -> None:
        super().__init__(sessionmaker, tenant_id, identity)
        self._committed = False
        self._audit: list[AuditEntry] = []
        self._outbox: list[OutboxEntry] = []
        self._opening: str | None = None
        self._snapshot = False
        self._driver: asyncpg.Connection | None = None
        self.opening_status = ""

    @property
    def driver(self) -> asyncpg.Connection:
        """The open transaction's asyncpg connection, for hot statements that skip SQLAlchemy's statement
        and result machinery (same transaction, same tenant scope); never begin, commit or roll back on
        it: the unit does. Only valid inside `async with`."""
        if self._driver is None:
            raise RuntimeError("unit of work used outside `async with`")
        return self._driver

    def reading(self) -> ReadUnit:
        """The same tenant and caller as a read-only unit without a transaction (see `ReadUnit`)."""
        return ReadUnit(self._sessionmaker, self.tenant_id, self.identity)

    def open_with(self, statement: str) -> Self:
        """Send `statement` right after BEGIN and the tenant scope, in the same round trip (call before
        `async with`); its command status (e.g. `INSERT 0 1`) is then in `opening_status`.

        The statement is complete SQL text (no parameters), so it may only inline values rendered safely
        (UUIDs, registry names); it runs under the tenant's RLS scope like every later statement.
        """
        if self._session is not None:
            raise RuntimeError("open_with must be called before the unit of work begins")
        self._opening = statement
        return self

    def snapshot(self) -> Self:
        """Run the unit as one REPEATABLE READ transaction (call before `async with`): every statement
        sees the database as of its start, e.g. to compare rows that concurrent writers change together
        without locking them out. A write that meets a concurrent change fails with a serialization
        error (SQLSTATE 40001) instead of waiting."""
        if self._session is not None:
            raise RuntimeError("snapshot must be called before the unit of work begins")
        self._snapshot = True
        return self

    async def __aenter__(self) -> Self:
        self._session = self._sessionmaker()
        try:
            self.opening_status, self._driver = await _begin_in_tenant(
                self._session, self.tenant_id, self._opening, repeatable_read=self._snapshot
            )
        except BaseException:
            session, self._session = self._session, None
            await session.close()
            raise
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        session, self._session, self._driver = self._session, None, None
        if session is None:
            return
        try:
            if not self._committed:
                await session.rollback()
        finally:
            await session.close()

    async def commit(self) -> None:
        """Commit everything written in this unit of work (state, audit, outbox) atomically.

        The audit rows go in last: chaining them takes the tenant's audit-chain lock, which every writer
        of the tenant waits for until the holder commits, so it is held only for reading the chain head
        and the COMMIT. The audit rows and the outbox rows of the published events go out in the same
        message as COMMIT (after the session's flush), so a row that cannot be inserted fails the commit
        and nothing is committed.
        """
        pending, self._audit = self._audit, []
        statements = await chain_audits(self.session, pending)
        events, self._outbox = self._outbox, []
        statements += outbox_statements(events)
        if statements:
            await _send_with_commit(self.session, statements)
        await self.session.commit()
        self._committed = True

    async def audit(
        self,
        action: str,
        resource_type: str,
        resource_id: str,
        *,
        before: Any = None,
        after: Any = None,
    ) -> None:
        """Record a hash-chained audit entry for this tenant; written in this transaction at `commit`."""
        identity = self.identity
        self._audit.append(
            AuditEntry(
                tenant_id=self.tenant_id,
                actor=identity.user_id if identity else "system",
                real_actor=identity.real_user_id if identity else None,
                action=action,
                resource_type=resource_type,
                resource_id=resource_id,
                request_id=request_id_var.get(),
                before=before,
                after=after,
            )
        )

    async def publish(
        self, event_type: str, subject: str, payload: Message, *, schema_version: int = 1
    ) -> str:
        """Add an event to this transaction's outbox (written with COMMIT, relayed after it); return its id.

        The event type and payload are checked here (KeyError: unknown type; TypeError: wrong payload);
        the row itself is inserted by `commit`, in the same round trip as COMMIT (only by `commit`: a
        session committed by hand would leave the unit's events out).
        """
        if self._session is None:
            raise RuntimeError("unit of work used outside `async with`")
        identity = self.identity
        actor = identity.user_id if identity else "system"
        entry = outbox_entry(
            self.tenant_id, actor, event_type, subject, payload, schema_version=schema_version
        )
        self._outbox.append(entry)
        return str(entry.event_id)


class ReadUnit(_TenantSession):
    """A tenant-scoped read without a transaction: each statement runs on its own (autocommit).

    The tenant's RLS scope is set at *session* level on the pooled connection, and only when that
    connection's last scope was another tenant's (tracked per DBAPI connection in its pool `info`), so a
    read of the tenant the connection served last costs exactly its statements: no BEGIN, no scope, no
    ROLLBACK. Statements are independent snapshots; use it for single-statement reads or reads whose
    statements need no common snapshot, and a `UnitOfWork` otherwise.

    Nothing can be written: the scope also sets `default_transaction_read_only`, so PostgreSQL refuses any
    write statement, the unit has no commit, audit or publish, and leaving it with pending ORM changes
    raises. A write unit on the same connection later begins `READ WRITE` with its transaction-local scope,
    which PostgreSQL reverts to the session's at COMMIT/ROLLBACK, so the tracked scope stays true. Any
    other checkout of the connection (outside a unit) clears the session scope first (`create_engine`).

    Usage::

        async with uow_factory(tenant, identity).reading() as unit:
            rows = await Repository(unit.session, unit.tenant_id).list(...)
    """

    _kind = "read unit"

    async def __aenter__(self) -> Self:
        session = self._session = self._sessionmaker()
        try:
            if not _session_scopes(session):
                await _begin_in_tenant(session, self.tenant_id, read_only=True)  # ROLLBACK on close
                return self
            token = _unit_checkout.set(True)
            try:
                connection = await session.connection(execution_options=_AUTOCOMMIT)
            finally:
                _unit_checkout.reset(token)
            await _scope_session(connection, self.tenant_id)
        except BaseException:
            self._session = None
            await session.close()
            raise
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        session, self._session = self._session, None
        if session is None:
            return
        pending = bool(session.new or session.dirty or session.deleted)
        await session.close()  # autocommit: no round trip (without session scopes: ROLLBACK)
        if pending and exc_type is None:
            raise RuntimeError("a read unit must not change anything: use a UnitOfWork to write")


_AUTOCOMMIT = {"isolation_level": "AUTOCOMMIT"}

# The tenant a read unit left as the session-level scope of a pooled DBAPI connection (key in its `info`,
# which the pool clears when it replaces the connection). Absent: the connection has no session scope.
_SESSION_SCOPE = "aigym.session_scope"

# True while a unit of work checks a connection out (it sets its own scope, so nothing to clear).
_unit_checkout: ContextVar[bool] = ContextVar("aigym_unit_checkout", default=False)

# Pools of engines made by `create_engine` (their checkouts clear a leftover session scope), and whether
# their read units keep the tenant at session level (False: a read-only transaction per read unit).
_GUARDED_POOLS: weakref.WeakKeyDictionary[Pool, bool] = weakref.WeakKeyDictionary()

_CLEAR_SCOPE = "RESET app.tenant_id; RESET default_transaction_read_only"


def _session_scopes(session: AsyncSession) -> bool:
    """Whether read units on this session's engine keep the tenant at session level."""
    bind = session.bind
    scopes = _GUARDED_POOLS.get(bind.sync_engine.pool) if isinstance(bind, AsyncEngine) else None
    if scopes is None:
        raise RuntimeError("read units need an engine from aigym_platform.db.create_engine")
    return scopes


def _guard_session_scope(pool: Pool, session_scopes: bool) -> None:
    """Clear a read unit's session scope whenever the connection is checked out by anything but a unit.

    Tenant-less lookups, a job's own session or an ad-hoc `engine.connect()` then never run as the tenant
    of the connection's last read. A connection whose scope cannot be cleared is discarded (the pool
    retries the checkout with another one).
    """

    def clear_leftover_scope(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        if _unit_checkout.get() or _SESSION_SCOPE not in record.info:
            return
        try:
            await_(dbapi_connection.driver_connection.execute(_CLEAR_SCOPE))
        except Exception as error:
            raise exc.DisconnectionError("could not clear the session's tenant scope") from error
        del record.info[_SESSION_SCOPE]

    event.listen(pool, "checkout", clear_leftover_scope)
    _GUARDED_POOLS[pool] = session_scopes


async def _scope_session(connection: AsyncConnection, tenant_id: TenantId) -> None:
    """Make `tenant_id` the connection's session-level scope (read only), unless it already is."""
    tenant = str(uuid.UUID(str(tenant_id)))
    info = connection.info
    if info.get(_SESSION_SCOPE) == tenant:
        return
    info.pop(_SESSION_SCOPE, None)
    driver: asyncpg.Connection = (await connection.get_raw_connection()).driver_connection
    try:
        await driver.execute(
            f"SELECT set_config('app.tenant_id', '{tenant}', false), "
            "set_config('default_transaction_read_only', 'on', false)"
        )
    except BaseException:
        await _discard(connection, driver)
        raise
    info[_SESSION_SCOPE] = tenant


async def _discard(connection: AsyncConnection, driver: asyncpg.Connection) -> None:
    """Invalidate a connection whose scope is unknown after a failure (never hand it to another caller)."""
    if driver.is_closed():
        # The database dropped it (restart, failover). A statement through SQLAlchemy meets the same
        # closed connection, so the engine does what it does for any lost connection: recycles every
        # pooled connection older than the failure and raises DBAPIError(connection_invalidated=True),
        # which the server interceptor answers UNAVAILABLE.
        await connection.exec_driver_sql("SELECT 1")
    await connection.invalidate()


async def _begin_in_tenant(
    session: AsyncSession,
    tenant_id: TenantId,
    then: str | None = None,
    *,
    read_only: bool = False,
    repeatable_read: bool = False,
) -> tuple[str, asyncpg.Connection]:
    """Open the session's transaction with the tenant's RLS scope set, in one round trip; return the
    command status of the last statement sent (`then`, if given, runs right after the scope is set) and
    the asyncpg connection.

    The asyncpg dialect would send BEGIN on the first statement and the scope would follow as a second
    statement: two round trips (and the statement machinery of SQLAlchemy for the second) before every
    unit of work's first query, a fifth of a short read's server time. Instead both go as one simple-query
    message, and the dialect's connection adapter is handed a transaction object that ends it with COMMIT
    or ROLLBACK exactly as asyncpg's own would. The scope is transaction-local (is_local=true): COMMIT or
    ROLLBACK restores the connection's session-level scope (none, or the tenant of its last `ReadUnit`), so
    it never leaks to the next user of the pooled connection. The tenant is inlined: it is a UUID, rendered
    here in canonical form (hex digits and dashes only).
    """
    token = _unit_checkout.set(True)
    try:
        connection = await session.connection()  # checks a connection out; no round trip yet
    finally:
        _unit_checkout.reset(token)
    adapter = (await connection.get_raw_connection()).dbapi_connection
    if adapter is None or getattr(adapter, "_transaction", None) is not None:
        raise RuntimeError("a unit of work must start on a connection without an open transaction")
    driver: asyncpg.Connection = adapter.driver_connection
    tenant = str(uuid.UUID(str(tenant_id)))
    # READ WRITE: the connection may carry a read unit's read-only session default.
    mode = "READ ONLY" if read_only else "READ WRITE"
    if repeatable_read:
        mode = f"ISOLATION LEVEL REPEATABLE READ, {mode}"
    opening = f"BEGIN {mode}; SELECT set_config('app.tenant_id', '{tenant}', true)"
    if then:
        opening += f"; {then}"
    try:
        status: str = await driver.execute(opening)
    except BaseException:
        await _discard(connection, driver)  # its transaction state is unknown
        raise
    adapter._transaction = _StartedTransaction(driver)
    return status, driver


class _StartedTransaction:
    """What the asyncpg dialect keeps for an open transaction (commit/rollback), for one begun by hand.

    `before_commit` (complete SQL text) is sent in the same simple-query message as COMMIT. If one of its
    statements fails, PostgreSQL skips the COMMIT and the transaction stays open and aborted: it is rolled
    back here before the error is raised, so the pooled connection is left without a transaction.
    """

    __slots__ = ("_driver", "before_commit")

    def __init__(self, driver: asyncpg.Connection) -> None:
        self._driver = driver
        self.before_commit: str | None = None

    async def commit(self) -> None:
        before, self.before_commit = self.before_commit, None
        if before is None:
            await self._driver.execute("COMMIT")
            return
        try:
            await self._driver.execute(f"{before}; COMMIT")
        except Exception:
            if not self._driver.is_closed() and self._driver.is_in_transaction():
                await self._driver.execute("ROLLBACK")
            raise

    async def rollback(self) -> None:
        await self._driver.execute("ROLLBACK")


async def _send_with_commit(session: AsyncSession, statements: list[str]) -> None:
    """Have the unit's COMMIT carry `statements` (complete SQL text each) in the same round trip.

    The transaction was begun by `_begin_in_tenant`; if it is no longer that one (a caller committed or
    rolled back the session itself and went on), the statements are sent one by one first.
    """
    connection = await session.connection()
    adapter = (await connection.get_raw_connection()).dbapi_connection
    transaction = getattr(adapter, "_transaction", None)
    if isinstance(transaction, _StartedTransaction):
        transaction.before_commit = "; ".join(statements)
        return
    for statement in statements:
        await connection.exec_driver_sql(statement)


UnitOfWorkFactory = Callable[[TenantId, Identity | None], UnitOfWork]


def uow_factory(sessionmaker: async_sessionmaker[AsyncSession]) -> UnitOfWorkFactory:
    """Bind a sessionmaker into a `(tenant, identity) -> UnitOfWork` factory for the service layer."""

    def make(tenant_id: TenantId, identity: Identity | None = None) -> UnitOfWork:
        return UnitOfWork(sessionmaker, tenant_id, identity)

    return make


# SQLSTATEs a client may simply retry: the statement lost a race with a concurrent one.
_CONFLICTS = {
    "40001": "SERIALIZATION_FAILURE",
    "40P01": "DEADLOCK",
    "23505": "CONCURRENT_DUPLICATE",  # a unique key taken by a concurrent request (checked first otherwise)
    "55P03": "LOCK_NOT_AVAILABLE",
}


def database_failure(error: BaseException) -> DomainError | None:
    """The client-facing error for a database failure the service did not handle, or None when it is
    the service's fault or no database error at all (answered INTERNAL). Never the database's own
    message: it may carry SQL and bound values (other tenants' ids included).

    A dropped connection is UNAVAILABLE (the pool replaces it; Envoy retries reads); a lost race with a
    concurrent request (serialization failure, deadlock, a unique key taken meanwhile) is ABORTED, to be
    retried; a statement the database cancelled (statement timeout) is UNAVAILABLE as well.
    """
    if not isinstance(error, (exc.DBAPIError, asyncpg.PostgresError)):
        return None
    if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
        return Unavailable("database connection lost; retry", reason="DATABASE_UNAVAILABLE")
    original = error.orig if isinstance(error, exc.DBAPIError) else error
    sqlstate = getattr(original, "sqlstate", None)
    if sqlstate in _CONFLICTS:
        return Aborted(
            "the request conflicted with a concurrent change; retry it", reason=_CONFLICTS[sqlstate]
        )
    if sqlstate == "57014":
        return Unavailable(
            "the database cancelled the statement (timeout); retry", reason="STATEMENT_TIMEOUT"
        )
    return None
