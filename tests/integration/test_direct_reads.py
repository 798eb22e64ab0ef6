"""Direct reads: one statement in a read-only transaction with the tenant's transaction-local scope, two
round trips on the reader's own asyncpg connections, and nothing left open for long."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from aigym_platform.db import create_engine, create_sessionmaker, uow_factory
from aigym_platform.direct_reads import DirectReader
from aigym_platform.errors import Unavailable
from aigym_platform.identity import TenantId
from aigym_platform.provisioning import ServiceDatabase

AUDIT_ROWS = (
    "SELECT count(*) AS rows, count(DISTINCT tenant_id) AS tenants, min(tenant_id::text) AS tenant"
    " FROM audit_log"
)
STATE = "SELECT state FROM pg_stat_activity WHERE pid = $1"


@pytest.fixture
def app_url(service_databases: dict[str, ServiceDatabase]) -> str:
    return service_databases["programs"].app_url


@pytest.fixture
async def reader(app_url: str) -> AsyncIterator[DirectReader]:
    """One connection, so every read below reuses the same server session."""
    reader = DirectReader(app_url, size=1, idle_rollback=0.2)
    yield reader
    await reader.close()


async def _audit(app_url: str, tenant: TenantId, times: int) -> None:
    engine = create_engine(app_url, pool_size=1, max_overflow=0)
    units = uow_factory(create_sessionmaker(engine))
    for _ in range(times):
        async with units(tenant, None) as uow:
            await uow.audit("test.touch", "test", str(uuid.uuid4()))
            await uow.commit()
    await engine.dispose()


async def _state(app_url: str, pid: int) -> str:
    connection = await asyncpg.connect(app_url)
    try:
        return str(await connection.fetchval(STATE, pid))
    finally:
        await connection.close()


async def test_each_read_sees_only_its_tenant_on_the_same_connection(
    reader: DirectReader, app_url: str
) -> None:
    first, second = TenantId(uuid.uuid4()), TenantId(uuid.uuid4())
    await _audit(app_url, first, 2)
    await _audit(app_url, second, 1)

    seen_first = await reader.fetchrow(first, AUDIT_ROWS)
    pid_first = (await reader.fetchrow(first, "SELECT pg_backend_pid() AS pid"))["pid"]  # type: ignore[index]
    seen_second = await reader.fetchrow(second, AUDIT_ROWS)
    pid_second = (await reader.fetchrow(second, "SELECT pg_backend_pid() AS pid"))["pid"]  # type: ignore[index]
    nobody = await reader.fetch(second, "SELECT 1 FROM audit_log WHERE tenant_id = $1", first)

    assert pid_first == pid_second
    assert tuple(seen_first or ()) == (2, 1, str(first))
    assert tuple(seen_second or ()) == (1, 1, str(second))
    assert nobody == []


async def test_a_read_is_a_read_only_transaction_with_a_transaction_local_scope(
    reader: DirectReader, app_url: str
) -> None:
    tenant = TenantId(uuid.uuid4())
    row = await reader.fetchrow(
        tenant,
        "SELECT current_setting('app.tenant_id', true) AS scope,"
        " current_setting('transaction_read_only') AS read_only, pg_backend_pid() AS pid,"
        " now() = statement_timestamp() AS own_transaction",
    )
    assert row is not None
    after_read = await _state(app_url, row["pid"])
    await asyncio.sleep(0.6)  # the sweep rolls back a read transaction idle for 0.2 s
    after_sweep = await _state(app_url, row["pid"])
    again = await reader.fetchrow(tenant, "SELECT current_setting('app.tenant_id', true) AS scope")

    assert row["scope"] == str(tenant)
    assert row["read_only"] == "on"
    assert row["own_transaction"] is False  # BEGIN came in the message before the statement
    assert after_read == "idle in transaction"  # the ROLLBACK waits for the next read or the sweep
    assert after_sweep == "idle"
    assert again is not None
    assert again["scope"] == str(tenant)


async def test_writes_are_refused_and_a_failed_statement_leaves_the_connection_usable(
    reader: DirectReader,
) -> None:
    tenant = TenantId(uuid.uuid4())

    with pytest.raises(asyncpg.ReadOnlySQLTransactionError):
        await reader.fetch(
            tenant,
            "INSERT INTO learners (tenant_id, learner_id, display_name) VALUES ($1, 'x', 'x') RETURNING 1",
            tenant,
        )
    with pytest.raises(asyncpg.DivisionByZeroError):
        await reader.fetchrow(tenant, "SELECT 1 / 0")
    learners = await reader.fetchrow(tenant, "SELECT count(*) AS n FROM learners")
    scope = await reader.fetchrow(tenant, "SELECT current_setting('app.tenant_id', true) AS scope")

    assert learners is not None
    assert learners["n"] == 0
    assert scope is not None
    assert scope["scope"] == str(tenant)
    assert reader.open_connections == 1


async def _terminate(app_url: str, pid: int) -> None:
    killer = await asyncpg.connect(app_url)
    try:
        assert await killer.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await killer.close()


async def test_a_connection_lost_mid_read_fails_that_read_as_unavailable_and_is_replaced(
    reader: DirectReader, app_url: str
) -> None:
    tenant = TenantId(uuid.uuid4())
    row = await reader.fetchrow(tenant, "SELECT pg_backend_pid() AS pid")
    assert row is not None
    slow = asyncio.create_task(reader.fetchrow(tenant, "SELECT pg_sleep(5)"))
    await asyncio.sleep(0.3)
    await _terminate(app_url, row["pid"])

    with pytest.raises(Unavailable):
        await slow
    replacement = await reader.fetchrow(tenant, "SELECT pg_backend_pid() AS pid")

    assert replacement is not None
    assert replacement["pid"] != row["pid"]
    assert reader.open_connections == 1


async def test_a_connection_dropped_while_idle_is_replaced_without_failing_a_read(
    reader: DirectReader, app_url: str
) -> None:
    tenant = TenantId(uuid.uuid4())
    row = await reader.fetchrow(tenant, "SELECT pg_backend_pid() AS pid")
    assert row is not None
    await _terminate(app_url, row["pid"])
    await asyncio.sleep(0.2)

    replacement = await reader.fetchrow(tenant, "SELECT pg_backend_pid() AS pid")

    assert replacement is not None
    assert replacement["pid"] != row["pid"]
    assert reader.open_connections == 1


async def test_concurrent_reads_of_many_tenants_share_the_connections_without_mixing_scopes(
    app_url: str,
) -> None:
    reader = DirectReader(app_url, size=2)
    tenants = [TenantId(uuid.uuid4()) for _ in range(40)]
    try:
        rows = await asyncio.gather(
            *(
                reader.fetchrow(
                    tenant, "SELECT current_setting('app.tenant_id', true) AS scope, pg_sleep(0.005)"
                )
                for tenant in tenants
            )
        )
        connections = reader.open_connections
    finally:
        await reader.close()

    assert [row["scope"] if row else None for row in rows] == [str(tenant) for tenant in tenants]
    assert connections == 2
