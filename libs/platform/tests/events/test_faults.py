"""Kill relay, worker and Redis in the middle of a 5,000-event stream: every event takes effect once."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import pytest
from probesvc.harness import EventProcesses, Uows, provision_probe_pair, wait_until
from probesvc.service import record_probe
from sqlalchemy import text

from aigym_platform.devstack.ports import free_port
from aigym_platform.devstack.redis import EmbeddedRedis
from aigym_platform.identity import TenantId

EVENTS = 5000
TENANTS = 4
COUNTERS = 5
RATE = 400.0  # events per second, all producers together


async def produce(uows: Uows, tenant: uuid.UUID, count: int, progress: list[int]) -> None:
    """Record `count` probes for one tenant at RATE / TENANTS per second, round-robin over the counters."""
    started = time.monotonic()
    for sequence in range(count):
        await record_probe(uows.producer, tenant, f"c{sequence % COUNTERS}", amount=1, sequence=sequence)
        progress[0] += 1
        ahead = started + (sequence + 1) / (RATE / TENANTS) - time.monotonic()
        if ahead > 0:
            await asyncio.sleep(ahead)


async def inject_faults(
    progress: list[int], processes: EventProcesses, redis_server: EmbeddedRedis, log: list[str]
) -> None:
    """At 20 %, 45 % and 70 % of the stream: SIGKILL the relay, then a worker, then Redis; restart each."""
    relay, worker = processes.started

    async def at(fraction: float) -> None:
        while progress[0] < EVENTS * fraction:  # noqa: ASYNC110 - progress is a plain counter
            await asyncio.sleep(0.01)

    await at(0.2)
    relay.kill()
    log.append(f"relay killed at {progress[0]}")
    await asyncio.sleep(0.5)
    relay.start()
    await at(0.45)
    worker.kill()
    log.append(f"worker killed at {progress[0]}")
    await asyncio.sleep(0.5)
    worker.start()
    await at(0.7)
    redis_server.kill()
    log.append(f"redis killed at {progress[0]}")
    await asyncio.sleep(0.5)
    await asyncio.to_thread(redis_server.start)


async def totals(uows: Uows, tenants: list[uuid.UUID]) -> tuple[int, int, int, int]:
    """(counter sum, effect rows, distinct (counter, sequence) effects, inbox rows) over every tenant."""
    result = [0, 0, 0, 0]
    for tenant in tenants:
        async with uows.sink(TenantId(tenant), None) as unit:
            row = (
                await unit.session.execute(
                    text(
                        "SELECT (SELECT coalesce(sum(value), 0) FROM probe_counters),"
                        " (SELECT count(*) FROM probe_effects),"
                        " (SELECT count(DISTINCT (counter_id, sequence)) FROM probe_effects),"
                        " (SELECT count(*) FROM event_inbox)"
                    )
                )
            ).one()
        result = [a + int(b) for a, b in zip(result, row, strict=True)]
    return result[0], result[1], result[2], result[3]


@pytest.mark.faults
@pytest.mark.timeout(240)
async def test_every_event_takes_effect_exactly_once_through_process_and_broker_kills(
    postgres: tuple[str, str], tmp_path: Path
) -> None:
    admin_url, prefix = postgres
    dbs = await provision_probe_pair(admin_url, f"{prefix}fault")
    redis_server = EmbeddedRedis(tmp_path / "redis", free_port(), log_file=tmp_path / "logs" / "redis.log")
    redis_server.start()
    processes = EventProcesses(dbs, redis_server.url, tmp_path / "logs")
    uows = Uows(dbs)
    tenants = [uuid.uuid4() for _ in range(TENANTS)]
    log: list[str] = []
    try:
        processes.relay()
        processes.worker()
        progress = [0]
        started = time.monotonic()
        await asyncio.gather(
            *(produce(uows, tenant, EVENTS // TENANTS, progress) for tenant in tenants),
            inject_faults(progress, processes, redis_server, log),
        )
        produced_in = time.monotonic() - started

        async def all_applied() -> bool:
            return (await totals(uows, tenants))[0] >= EVENTS

        try:
            await wait_until(all_applied, 120, "every effect", interval=0.5)
        except AssertionError:
            raise AssertionError(f"{await totals(uows, tenants)} {log}\n{processes.logs_tail(60)}") from None
        await asyncio.sleep(3)  # late redeliveries (receipt deadline 5 s) must not add anything

        counted, effects, distinct, inbox = await totals(uows, tenants)
        took = time.monotonic() - started
        print(f"\nfaults: {log}; produced in {produced_in:.1f}s, all applied after {took:.1f}s")
        assert (counted, effects, distinct, inbox) == (EVENTS, EVENTS, EVENTS, EVENTS), log
        relay_log = (tmp_path / "logs" / "relay.log").read_text(errors="replace")
        assert "Redis restarted" in relay_log  # and republished what it may have lost
    finally:
        processes.stop()
        await uows.close()
        redis_server.stop()
