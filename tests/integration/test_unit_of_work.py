"""The unit of work's transaction: begun with the tenant's scope in one round trip, ended exactly once,
and nothing of it left on the pooled connection for the next caller."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from asyncpg.connection import LoggedQuery
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from aigym_platform.db import UnitOfWorkFactory, create_engine, create_sessionmaker, uow_factory
from aigym_platform.identity import TenantId
from aigym_platform.provisioning import ServiceDatabase
from aigym_programs.tables import LearnerRow

SCOPE = text("SELECT current_setting('app.tenant_id', true)")
XID = text("SELECT pg_current_xact_id()::text")


@pytest.fixture
async def engine(service_databases: dict[str, ServiceDatabase]) -> AsyncIterator[AsyncEngine]:
    """One pooled connection, so every unit of work below reuses the same server session."""
    engine = create_engine(
        service_databases["programs"].app_url, pool_size=1, max_overflow=0, session_scopes=True
    )
    yield engine
    await engine.dispose()


async def _xact_status(engine: AsyncEngine, xid: str) -> str:
    async with engine.connect() as connection:
        status = await connection.scalar(
            text("SELECT pg_xact_status(CAST(CAST(:xid AS text) AS xid8))"), {"xid": xid}
        )
        await connection.rollback()
    return str(status)


async def test_scope_and_transaction_are_the_unit_s_own_and_end_with_it(engine: AsyncEngine) -> None:
    units = uow_factory(create_sessionmaker(engine))
    first, second = TenantId(uuid.uuid4()), TenantId(uuid.uuid4())

    async with units(first, None) as uow:
        seen_first = await uow.session.scalar(SCOPE)
        in_block = await uow.session.scalar(text("SELECT now() = statement_timestamp()"))
        rolled_back_xid = await uow.session.scalar(XID)
    async with units(second, None) as uow:
        seen_second = await uow.session.scalar(SCOPE)
        committed_xid = await uow.session.scalar(XID)
        await uow.commit()
    async with engine.connect() as connection:  # the same pooled connection, outside any unit of work
        left_behind = await connection.scalar(SCOPE)
        await connection.rollback()

    assert (seen_first, seen_second) == (str(first), str(second))
    assert in_block is False  # now() is the transaction's start: the statements ran inside one BEGIN
    assert left_behind in ("", None)
    assert await _xact_status(engine, str(rolled_back_xid)) == "aborted"
    assert await _xact_status(engine, str(committed_xid)) == "committed"


async def test_a_failed_statement_rolls_back_and_the_connection_serves_the_next_unit(
    engine: AsyncEngine,
) -> None:
    units = uow_factory(create_sessionmaker(engine))
    tenant = TenantId(uuid.uuid4())

    with pytest.raises(Exception, match="division by zero"):
        async with units(tenant, None) as uow:
            await uow.session.scalar(text("SELECT 1 / 0"))
    async with units(tenant, None) as uow:
        after = await uow.session.scalar(SCOPE)

    assert after == str(tenant)


class RoundTrips:
    """Every message the client sends on one pooled connection: SQLAlchemy's statements (prepared and
    executed by the dialect) and the simple-query messages sent on the asyncpg connection itself (BEGIN
    with the scope, COMMIT, ROLLBACK, a session scope), through asyncpg's query logger."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.sent: list[str] = []
        self._engine = engine
        event.listen(engine.sync_engine, "before_cursor_execute", self._statement)

    def _statement(self, conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        self.sent.append(statement)

    def _query(self, record: LoggedQuery) -> None:
        self.sent.append(record.query)

    async def take(self) -> list[str]:
        """What was sent since the last take (query-logger callbacks run on the next loop iteration)."""
        await asyncio.sleep(0)
        sent, self.sent = self.sent, []
        return sent

    async def attach(self) -> None:
        """Log the simple queries of the engine's (single) pooled connection."""
        async with self._engine.connect() as connection:
            raw = await connection.get_raw_connection()
            raw.driver_connection.add_query_logger(self._query)
            await connection.rollback()
        await self.take()


async def _backend_pid(units: UnitOfWorkFactory, tenant: TenantId) -> int:
    async with units(tenant, None).reading() as unit:
        return int(await unit.session.scalar(text("SELECT pg_backend_pid()")))


async def _write_audit_row(units: UnitOfWorkFactory, tenant: TenantId) -> None:
    async with units(tenant, None) as uow:
        await uow.audit("test.touch", "test", str(uuid.uuid4()))
        await uow.commit()


async def test_a_read_of_the_connection_s_last_tenant_costs_one_round_trip(engine: AsyncEngine) -> None:
    units = uow_factory(create_sessionmaker(engine))
    tenant, other = TenantId(uuid.uuid4()), TenantId(uuid.uuid4())
    trips = RoundTrips(engine)
    await trips.attach()

    async with units(tenant, None).reading() as unit:  # first read of this tenant: scope, then statement
        await unit.session.scalar(SCOPE)
    first = await trips.take()
    async with units(tenant, None).reading() as unit:
        seen = await unit.session.scalar(SCOPE)
        started = await unit.session.scalar(text("SELECT transaction_timestamp()"))
        read_only = await unit.session.scalar(text("SELECT current_setting('transaction_read_only')"))
    second = await trips.take()
    async with units(other, None).reading() as unit:
        await unit.session.scalar(SCOPE)
    switched = await trips.take()
    async with units(tenant, None).reading() as unit:
        later = await unit.session.scalar(text("SELECT transaction_timestamp()"))

    assert len(first) == 2
    assert sum("set_config('app.tenant_id'" in sent for sent in first) == 1
    assert len(second) == 3  # the three statements, nothing around them
    assert "set_config" not in " ".join(second)
    assert "BEGIN" not in " ".join(second)
    assert seen == str(tenant)
    assert read_only == "on"
    assert later > started  # autocommit: every statement is a transaction of its own
    assert len(switched) == 2
    assert sum(str(other) in sent for sent in switched) == 1


async def test_a_read_of_another_tenant_on_the_same_connection_sees_only_its_rows(
    engine: AsyncEngine,
) -> None:
    units = uow_factory(create_sessionmaker(engine))
    first, second = TenantId(uuid.uuid4()), TenantId(uuid.uuid4())
    for tenant in (first, first, second):
        await _write_audit_row(units, tenant)
    count = text("SELECT count(*), count(DISTINCT tenant_id), min(tenant_id::text) FROM audit_log")

    async with units(first, None).reading() as unit:
        seen_first = tuple((await unit.session.execute(count)).one())
        pid_first = await unit.session.scalar(text("SELECT pg_backend_pid()"))
    async with units(second, None).reading() as unit:
        seen_second = tuple((await unit.session.execute(count)).one())
        pid_second = await unit.session.scalar(text("SELECT pg_backend_pid()"))

    assert pid_first == pid_second  # one pooled connection served both
    assert seen_first == (2, 1, str(first))
    assert seen_second == (1, 1, str(second))


async def test_a_write_unit_after_a_read_unit_is_scoped_to_its_own_tenant(engine: AsyncEngine) -> None:
    units = uow_factory(create_sessionmaker(engine))
    reader, writer = TenantId(uuid.uuid4()), TenantId(uuid.uuid4())
    trips = RoundTrips(engine)
    await trips.attach()

    async with units(reader, None).reading() as unit:
        await unit.session.scalar(SCOPE)
    async with units(writer, None) as uow:
        in_write = await uow.session.scalar(SCOPE)
        await uow.audit("test.touch", "test", "x")
        await uow.commit()  # allowed although the session's default is read only
    await trips.take()
    async with units(reader, None).reading() as unit:  # COMMIT restored the reader's session scope
        back_in_read = await unit.session.scalar(SCOPE)
        rows = await unit.session.scalar(text("SELECT count(*) FROM audit_log"))
    after_write = await trips.take()
    async with units(writer, None).reading() as unit:
        written = await unit.session.scalar(text("SELECT count(*) FROM audit_log"))

    assert in_write == str(writer)
    assert back_in_read == str(reader)
    assert rows == 0
    assert len(after_write) == 2  # the two statements: the tracked scope was still right
    assert written == 1


async def test_checkouts_outside_units_never_see_a_read_unit_s_tenant(engine: AsyncEngine) -> None:
    units = uow_factory(create_sessionmaker(engine))
    tenant = TenantId(uuid.uuid4())
    await _write_audit_row(units, tenant)

    async with units(tenant, None).reading() as unit:
        await unit.session.scalar(SCOPE)
    async with engine.connect() as connection:
        left_behind = await connection.scalar(SCOPE)
        visible = await connection.scalar(text("SELECT count(*) FROM audit_log"))
        read_only = await connection.scalar(text("SELECT current_setting('transaction_read_only')"))
        await connection.rollback()

    assert left_behind in ("", None)
    assert visible == 0
    assert read_only == "off"


async def test_a_read_unit_refuses_writes(engine: AsyncEngine) -> None:
    units = uow_factory(create_sessionmaker(engine))
    tenant = TenantId(uuid.uuid4())

    with pytest.raises(DBAPIError, match="read-only transaction"):
        async with units(tenant, None).reading() as unit:
            await unit.session.execute(
                text("INSERT INTO learners (tenant_id, learner_id, display_name) VALUES (:t, 'x', 'x')"),
                {"t": tenant},
            )
    with pytest.raises(RuntimeError, match="must not change anything"):
        async with units(tenant, None).reading() as unit:
            unit.session.add(LearnerRow(tenant_id=tenant, learner_id="y", display_name="y"))
    async with units(tenant, None).reading() as unit:
        learners = await unit.session.scalar(text("SELECT count(*) FROM learners"))

    assert learners == 0
    assert not hasattr(unit, "commit")
    assert not hasattr(unit, "publish")
    assert not hasattr(unit, "audit")


async def test_a_failed_scope_discards_the_connection(engine: AsyncEngine) -> None:
    units = uow_factory(create_sessionmaker(engine))
    first, second = TenantId(uuid.uuid4()), TenantId(uuid.uuid4())
    poisoned = await _backend_pid(units, first)
    async with engine.connect() as connection:  # leave the session in an aborted transaction
        raw = await connection.get_raw_connection()
        with pytest.raises(asyncpg.DivisionByZeroError):
            await raw.driver_connection.execute("BEGIN; SELECT 1 / 0")
        await connection.rollback()

    with pytest.raises(asyncpg.InFailedSQLTransactionError):
        async with units(second, None).reading():
            pass
    replacement = await _backend_pid(units, second)

    assert replacement != poisoned


async def test_without_session_scopes_a_read_unit_is_a_read_only_transaction(
    service_databases: dict[str, ServiceDatabase],
) -> None:
    """The setting for transaction-mode connection poolers: nothing stays on the server session."""
    engine = create_engine(
        service_databases["programs"].app_url, pool_size=1, max_overflow=0, session_scopes=False
    )
    units = uow_factory(create_sessionmaker(engine))
    tenant = TenantId(uuid.uuid4())
    trips = RoundTrips(engine)
    try:
        await trips.attach()
        async with units(tenant, None).reading() as unit:
            seen = await unit.session.scalar(SCOPE)
            started = await unit.session.scalar(text("SELECT transaction_timestamp()"))
            again = await unit.session.scalar(text("SELECT transaction_timestamp()"))
            read_only = await unit.session.scalar(text("SELECT current_setting('transaction_read_only')"))
        sent = await trips.take()
        async with engine.connect() as connection:
            left_behind = await connection.scalar(SCOPE)
            await connection.rollback()
        cleared = await trips.take()
    finally:
        await engine.dispose()

    assert seen == str(tenant)
    assert started == again  # one transaction
    assert read_only == "on"
    assert sum(s.startswith("BEGIN READ ONLY; SELECT set_config") and "true)" in s for s in sent) == 1
    assert sent[-1] == "ROLLBACK"
    assert left_behind in ("", None)
    assert not any("RESET" in s for s in cleared)  # nothing was left to clear
