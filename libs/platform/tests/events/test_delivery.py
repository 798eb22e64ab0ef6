"""End to end with a real relay and Celery worker: delivery, idempotency, retries, dead letters, replay."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid

import pytest
import redis
from probesvc.harness import SINK, EventProcesses, Uows, wait_until
from probesvc.service import record_probe
from pydantic import SecretStr
from sqlalchemy import text

from aigym_platform.events.envelope import encode
from aigym_platform.events.receipts import Receipt, ReceiptLedger
from aigym_platform.events.registry import PROBE_RECORDED, REGISTRY
from aigym_platform.identity import TenantId
from aigym_platform.jobs.app import create_celery_app
from aigym_platform.settings import ServiceSettings

COUNTER_SQL = "SELECT coalesce(sum(value), 0) FROM probe_counters WHERE counter_id = :c"


async def counter(uows: Uows, tenant: uuid.UUID, counter_id: str) -> int:
    return int(await uows.sink_scalar(tenant, COUNTER_SQL, c=counter_id))  # type: ignore[call-overload]


@pytest.fixture(scope="module", autouse=True)
async def warm(event_processes: EventProcesses, uows: Uows) -> None:
    """Wait for the relay and worker to be up (first delivery) before timing anything."""
    tenant = uuid.uuid4()
    await record_probe(uows.producer, tenant, "warm-up")
    try:
        await wait_until(lambda: _equals(uows, tenant, "warm-up", 1), 60, "first delivery")
    except AssertionError:
        raise AssertionError(event_processes.logs_tail()) from None


async def _equals(uows: Uows, tenant: uuid.UUID, counter_id: str, value: int) -> bool:
    return await counter(uows, tenant, counter_id) == value


async def test_consumer_effect_follows_the_commit_within_a_second(uows: Uows) -> None:
    tenant = uuid.uuid4()
    timings = []
    for sequence in range(5):
        await record_probe(uows.producer, tenant, "fast", amount=2, sequence=sequence)
        timings.append(
            await wait_until(lambda n=sequence: _equals(uows, tenant, "fast", 2 * (n + 1)), 5, "effect")
        )

    assert max(timings) < 1.0, timings
    assert await uows.sink_scalar(tenant, "SELECT count(*) FROM event_inbox") == 5


async def test_redelivered_event_changes_nothing(uows: Uows, redis_url: str) -> None:
    tenant = uuid.uuid4()
    await record_probe(uows.producer, tenant, "once", amount=5)
    await wait_until(lambda: _equals(uows, tenant, "once", 5), 5, "first effect")
    async with uows.producer(TenantId(tenant), None) as unit:
        row = (await unit.session.execute(text("SELECT id, envelope FROM event_outbox"))).one()
    consumer = REGISTRY.get(PROBE_RECORDED).consumers[0]
    receipt = Receipt("eventprobe", tenant, row.id, consumer.task_name)
    ledger = ReceiptLedger(redis.Redis.from_url(redis_url))
    app = create_celery_app(ServiceSettings(service_name="test", redis_url=SecretStr(redis_url)))

    for _ in range(3):  # the same event delivered three more times
        ledger.expect([receipt], 60)
        app.send_task(consumer.task_name, args=[encode(row.envelope), str(receipt)], queue=consumer.queue)
        await wait_until(lambda: _confirmed(ledger, receipt), 10, "duplicate handled")

    assert await counter(uows, tenant, "once") == 5
    assert await uows.sink_scalar(tenant, "SELECT count(*) FROM probe_effects") == 1


async def _confirmed(ledger: ReceiptLedger, receipt: Receipt) -> bool:
    return ledger._redis.zscore("aigym:events:pending:eventprobe", str(receipt)) is None


def deadletters_cli(processes: EventProcesses, *args: str) -> str:
    env = processes.env(SINK)
    result = subprocess.run(
        [sys.executable, "-m", "aigym_platform.events.deadletters", "--service", SINK, *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout


async def test_failing_handler_is_retried_then_dead_lettered_and_replay_applies_it_once(
    uows: Uows, event_processes: EventProcesses
) -> None:
    tenant = uuid.uuid4()
    async with uows.sink(TenantId(tenant), None) as unit:
        await unit.session.execute(text("INSERT INTO probe_poison VALUES (:t, 'bad')"), {"t": tenant})
        await unit.commit()
    started = time.monotonic()

    await record_probe(uows.producer, tenant, "bad", amount=4)

    dead_sql = "SELECT count(*) FROM event_dead_letters WHERE state = 'dead'"
    await wait_until(lambda: _scalar_is(uows, tenant, dead_sql, 1), 20, "dead letter")
    elapsed = time.monotonic() - started
    async with uows.sink(TenantId(tenant), None) as unit:
        letter = (await unit.session.execute(text("SELECT * FROM event_dead_letters"))).mappings().one()
    assert letter["attempts"] == 4  # the first attempt and AIGYM_EVENT_MAX_RETRIES=3 retries
    assert "PoisonedCounter" in letter["error"]
    assert elapsed >= 0.2 * 0.1 * (1 + 2 + 4)  # three backoff delays (0.2 s doubling, jitter >= 10 %)
    assert await counter(uows, tenant, "bad") == 0
    listing = deadletters_cli(event_processes, "list")
    assert f"{tenant} {letter['id']} dead" in listing

    async with uows.sink(TenantId(tenant), None) as unit:  # the operator fixes the cause ...
        await unit.session.execute(text("DELETE FROM probe_poison"))
        await unit.commit()
    assert deadletters_cli(event_processes, "--tenant", str(tenant), "replay").strip() == "replayed 1"

    await wait_until(lambda: _equals(uows, tenant, "bad", 4), 10, "replayed effect")
    assert deadletters_cli(event_processes, "--tenant", str(tenant), "replay").strip() == "replayed 0"
    assert await uows.sink_scalar(tenant, "SELECT state FROM event_dead_letters") == "replayed"
    assert await counter(uows, tenant, "bad") == 4


async def _scalar_is(uows: Uows, tenant: uuid.UUID, sql: str, value: object) -> bool:
    return await uows.sink_scalar(tenant, sql) == value
