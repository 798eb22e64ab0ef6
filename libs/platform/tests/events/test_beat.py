"""Two beat processes at once: each schedule fires once per period, fanned out to every tenant."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import pytest
from probesvc.harness import EventProcesses, Uows, wait_until
from sqlalchemy import text

from aigym_platform.identity import TenantId
from aigym_platform.provisioning import ServiceDatabase


async def run_times(uows: Uows, tenant: uuid.UUID) -> list[float]:
    async with uows.sink(TenantId(tenant), None) as unit:
        rows = await unit.session.execute(
            text("SELECT extract(epoch FROM run_at) FROM probe_job_runs ORDER BY 1")
        )
        return [float(value) for (value,) in rows]


@pytest.mark.timeout(120)
async def test_two_beats_fire_each_schedule_once_and_one_tenant_failing_stops_no_other(
    probe_dbs: dict[str, ServiceDatabase], redis_url: str, uows: Uows, tmp_path: Path
) -> None:
    healthy, failing, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    async with uows.sink(TenantId(failing), None) as unit:
        await unit.session.execute(text("INSERT INTO probe_poison VALUES (:t, 'tick')"), {"t": failing})
        await unit.commit()
    processes = EventProcesses(
        probe_dbs,
        redis_url,
        tmp_path / "logs",
        AIGYM_BEAT_MAX_LOOP_INTERVAL_SECONDS="1",
        AIGYM_BEAT_LOCK_TIMEOUT_SECONDS="3",
        PROBE_TICK_TENANTS=json.dumps([str(healthy), str(failing), str(other)]),
    )
    try:
        processes.worker()
        first = processes.beat("beat-a")

        async def ticking() -> bool:
            return len(await run_times(uows, healthy)) >= 2

        try:
            await wait_until(ticking, 60, "first scheduled runs", interval=0.2)
        except AssertionError:
            raise AssertionError(processes.logs_tail()) from None
        second = processes.beat("beat-b")  # the first holds the lock: this one must wait
        await asyncio.sleep(2)
        before = len(await run_times(uows, healthy))
        await asyncio.sleep(8)
        fired = len(await run_times(uows, healthy)) - before
        # One beat firing: about 8 (a slow worker may shift a run across the window's edges); two: about 16.
        assert 3 <= fired <= 10, f"{fired} runs in 8 s of a 1 s schedule with two beats"

        first.kill()  # the lock holder dies: the other takes over once the lock expires (3 s)
        before = len(await run_times(uows, healthy))

        async def resumed() -> bool:
            return len(await run_times(uows, healthy)) - before >= 2

        await wait_until(resumed, 30, "the standby beat taking over", interval=0.2)
        assert second.is_running()

        # Runs can bunch up behind a busy worker, so count them over the whole test instead of timing gaps.
        times = await run_times(uows, healthy)
        assert len(times) <= times[-1] - times[0] + 2, f"{len(times)} runs in {times[-1] - times[0]:.1f} s"
        assert len(await run_times(uows, failing)) == 0
        # The fan-out went past the failing tenant (a run or two may still be in flight).
        assert abs(len(await run_times(uows, other)) - len(times)) <= 2
    finally:
        processes.stop()
