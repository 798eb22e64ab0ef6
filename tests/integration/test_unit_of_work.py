"""The unit of work's transaction: begun with the tenant's scope in one round trip, ended exactly once,
and nothing of it left on the pooled connection for the next caller."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from aigym_platform.db import create_engine, create_sessionmaker, uow_factory
from aigym_platform.identity import TenantId
from aigym_platform.provisioning import ServiceDatabase

SCOPE = text("SELECT current_setting('app.tenant_id', true)")
XID = text("SELECT pg_current_xact_id()::text")


@pytest.fixture
async def engine(service_databases: dict[str, ServiceDatabase]) -> AsyncIterator[AsyncEngine]:
    """One pooled connection, so every unit of work below reuses the same server session."""
    engine = create_engine(service_databases["programs"].app_url, pool_size=1, max_overflow=0)
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
