"""The producer side: the outbox row is part of the caller's transaction and isolated by tenant."""

from __future__ import annotations

import uuid

import asyncpg
import pytest
from probesvc.harness import PRODUCER, Uows
from probesvc.service import record_probe
from sqlalchemy import text

from aigym.events.v1 import events_pb2
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
