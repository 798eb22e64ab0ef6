"""The producer side: the outbox row is part of the caller's transaction and isolated by tenant."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from probesvc.harness import PRODUCER, Uows
from probesvc.service import record_probe
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from aigym.events.v1 import events_pb2
from aigym_platform.db import create_engine, create_sessionmaker, uow_factory
from aigym_platform.events.envelope import open_envelope
from aigym_platform.events.registry import PROBE_RECORDED
from aigym_platform.identity import TenantId
from aigym_platform.provisioning import ServiceDatabase


async def outbox_rows(uows: Uows, tenant: uuid.UUID) -> list[dict[str, object]]:
    async with uows.producer(TenantId(tenant), None) as unit:
        result = await unit.session.execute(text("SELECT * FROM event_outbox ORDER BY id"))
        return [dict(row) for row in result.mappings()]


async def test_state_and_event_commit_together(uows: Uows) -> None:
    tenant = uuid.uuid4()

    event_id = await record_probe(uows.producer, tenant, "c1", amount=3, sequence=7)

    rows = await outbox_rows(uows, tenant)
    assert [(str(r["event_id"]), r["event_type"], r["subject"]) for r in rows] == [
        (event_id, PROBE_RECORDED, "counters/c1")
    ]
    envelope = events_pb2.EventEnvelope.FromString(rows[0]["envelope"])  # type: ignore[arg-type]
    event = open_envelope(envelope, events_pb2.ProbeRecorded)
    assert (event.tenant_id, event.actor, event.payload.amount, event.payload.sequence) == (
        tenant,
        "system",
        3,
        7,
    )
    async with uows.producer(TenantId(tenant), None) as unit:
        value = (await unit.session.execute(text("SELECT value FROM probe_counters"))).scalar()
    assert value == 3


async def test_rolled_back_unit_of_work_leaves_no_event(uows: Uows) -> None:
    tenant = uuid.uuid4()

    async with uows.producer(TenantId(tenant), None) as unit:
        await unit.publish(PROBE_RECORDED, "counters/x", events_pb2.ProbeRecorded(counter_id="x", amount=1))
        # no commit: the unit of work rolls back

    assert await outbox_rows(uows, tenant) == []


async def test_the_units_driver_connection_works_in_its_transaction_and_tenant_scope(uows: Uows) -> None:
    tenant = uuid.uuid4()

    async with uows.producer(TenantId(tenant), None) as unit:
        scope = await unit.driver.fetchval("SELECT current_setting('app.tenant_id', true)")
        assert scope == str(tenant)
        assert unit.driver.is_in_transaction()
        await unit.publish(PROBE_RECORDED, "counters/d", events_pb2.ProbeRecorded(counter_id="d", amount=1))
        # no commit: whatever the driver saw rolls back with the unit
    with pytest.raises(RuntimeError):
        _ = unit.driver
    assert await outbox_rows(uows, tenant) == []


async def test_publish_refuses_unknown_types_and_wrong_payloads(uows: Uows) -> None:
    async with uows.producer(TenantId(uuid.uuid4()), None) as unit:
        with pytest.raises(KeyError, match="unknown event type"):
            await unit.publish("aigym.nobody.nothing.v1", "s", events_pb2.ProbeRecorded())
        with pytest.raises(TypeError, match="ProbeRecorded"):
            await unit.publish(PROBE_RECORDED, "s", events_pb2.EventEnvelope())


async def test_app_role_sees_one_tenant_but_relay_functions_see_all(
    uows: Uows, probe_dbs: dict[str, ServiceDatabase]
) -> None:
    mine, other = uuid.uuid4(), uuid.uuid4()
    await record_probe(uows.producer, mine, "a")
    await record_probe(uows.producer, other, "b")

    assert [r["tenant_id"] for r in await outbox_rows(uows, mine)] == [mine]
    conn = await asyncpg.connect(probe_dbs[PRODUCER].app_url)
    try:
        # No tenant set: the table shows nothing, the relay's definer function shows every tenant.
        assert await conn.fetchval("SELECT count(*) FROM event_outbox") == 0
        claimed = {r["tenant_id"] for r in await conn.fetch("SELECT * FROM event_outbox_claim(100000)")}
        assert {mine, other} <= claimed
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("UPDATE event_outbox SET sent_at = now()")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("DELETE FROM event_outbox")
    finally:
        await conn.close()


@pytest.fixture
async def one_connection(probe_dbs: dict[str, ServiceDatabase]) -> AsyncIterator[AsyncEngine]:
    """An engine of the producer with one pooled connection (every unit below reuses its session)."""
    engine = create_engine(probe_dbs[PRODUCER].app_url, pool_size=1, max_overflow=0)
    yield engine
    await engine.dispose()


async def _log_queries(engine: AsyncEngine) -> list[str]:
    """Every simple query and statement sent on the engine's single connection from now on."""
    sent: list[str] = []
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *args: sent.append(args[2]))
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        raw.driver_connection.add_query_logger(lambda record: sent.append(record.query))
        await connection.rollback()
    await asyncio.sleep(0)
    sent.clear()
    return sent


async def test_outbox_rows_go_out_with_the_commit_in_publish_order(one_connection: AsyncEngine) -> None:
    units = uow_factory(create_sessionmaker(one_connection))
    tenant = uuid.uuid4()
    subjects = ["counters/o'brien; DROP TABLE event_outbox; --", "counters/zähler\\x"]
    sent = await _log_queries(one_connection)

    async with units(TenantId(tenant), None) as unit:
        await unit.session.execute(text("SELECT 1"))
        ids = [
            await unit.publish(PROBE_RECORDED, subject, events_pb2.ProbeRecorded(counter_id="c", sequence=n))
            for n, subject in enumerate(subjects)
        ]
        before_commit = len(sent)
        await unit.commit()
    await asyncio.sleep(0)

    assert before_commit == 2  # BEGIN with the scope, the statement: publishing sent nothing
    assert len(sent) == 3  # ... and the outbox rows went with COMMIT
    assert sent[2].count("INSERT INTO event_outbox") == 2
    assert sent[2].endswith("; COMMIT")
    async with units(TenantId(tenant), None) as unit:
        rows = (
            await unit.session.execute(text("SELECT event_id, subject FROM event_outbox ORDER BY id"))
        ).all()
    assert [(str(event_id), subject) for event_id, subject in rows] == list(zip(ids, subjects, strict=True))


async def test_an_outbox_row_that_cannot_be_inserted_fails_the_commit_and_commits_nothing(
    one_connection: AsyncEngine,
) -> None:
    units = uow_factory(create_sessionmaker(one_connection))
    tenant = uuid.uuid4()

    with pytest.raises(DBAPIError, match="invalid byte sequence"):
        async with units(TenantId(tenant), None) as unit:
            await unit.session.execute(
                text(
                    "INSERT INTO probe_counters (tenant_id, counter_id, value, updates)"
                    " VALUES (:t, 'c', 1, 1)"
                ),
                {"t": tenant},
            )
            await unit.publish(PROBE_RECORDED, "counters/nul\x00", events_pb2.ProbeRecorded(counter_id="c"))
            await unit.commit()
    async with units(TenantId(tenant), None) as unit:  # the same connection, its transaction ended
        counters = (await unit.session.execute(text("SELECT count(*) FROM probe_counters"))).scalar()
        events = (await unit.session.execute(text("SELECT count(*) FROM event_outbox"))).scalar()

    assert (counters, events) == (0, 0)
