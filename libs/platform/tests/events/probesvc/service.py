"""Use cases of the probe service: record a probe (state + event, one transaction) and apply one."""

from __future__ import annotations

import time
import uuid

from sqlalchemy import text

from aigym.events.v1 import events_pb2
from aigym_platform.db import UnitOfWork, UnitOfWorkFactory
from aigym_platform.events.envelope import Event
from aigym_platform.events.registry import PROBE_RECORDED
from aigym_platform.identity import TenantId

_BUMP = text(
    "INSERT INTO probe_counters (tenant_id, counter_id, value, updates)"
    " VALUES (:tenant, :counter, :amount, 1)"
    " ON CONFLICT (tenant_id, counter_id) DO UPDATE"
    " SET value = probe_counters.value + EXCLUDED.value, updates = probe_counters.updates + 1"
)


class PoisonedCounter(RuntimeError):
    """The consumer refuses probes of a counter switched to poisoned (to exercise retries)."""


async def record_probe(
    uow: UnitOfWorkFactory, tenant: uuid.UUID, counter_id: str, amount: int = 1, sequence: int = 0
) -> str:
    """Producer: bump the counter and publish `probe_recorded` in one transaction; return the event id."""
    async with uow(TenantId(tenant), None) as unit:
        await unit.session.execute(_BUMP, {"tenant": tenant, "counter": counter_id, "amount": amount})
        event_id = await unit.publish(
            PROBE_RECORDED,
            f"counters/{counter_id}",
            events_pb2.ProbeRecorded(
                counter_id=counter_id,
                amount=amount,
                sequence=sequence,
                committed_unix_micros=time.time_ns() // 1000,
            ),
        )
        await unit.commit()
    return event_id


async def count_probe(unit: UnitOfWork, event: Event[events_pb2.ProbeRecorded]) -> None:
    """Consumer: add the probe's amount to the local counter and log the effect (fails while poisoned)."""
    probe, tenant = event.payload, event.tenant_id
    poisoned = await unit.session.execute(
        text("SELECT 1 FROM probe_poison WHERE counter_id = :counter"), {"counter": probe.counter_id}
    )
    if poisoned.first() is not None:
        raise PoisonedCounter(f"counter {probe.counter_id} is poisoned")
    await unit.session.execute(_BUMP, {"tenant": tenant, "counter": probe.counter_id, "amount": probe.amount})
    await unit.session.execute(
        text(
            "INSERT INTO probe_effects (tenant_id, counter_id, sequence, committed_unix_micros)"
            " VALUES (:tenant, :counter, :sequence, :micros)"
        ),
        {
            "tenant": tenant,
            "counter": probe.counter_id,
            "sequence": probe.sequence,
            "micros": probe.committed_unix_micros,
        },
    )


async def record_tick(unit: UnitOfWork, job: str) -> None:
    """A scheduled job's effect: one row per run (fails for tenants with a poisoned `tick` counter)."""
    poisoned = await unit.session.execute(text("SELECT 1 FROM probe_poison WHERE counter_id = 'tick'"))
    if poisoned.first() is not None:
        raise PoisonedCounter("tick is poisoned for this tenant")
    await unit.session.execute(
        text("INSERT INTO probe_job_runs (tenant_id, job) VALUES (:t, :job)"),
        {
            "t": unit.tenant_id,
            "job": job,
        },
    )
