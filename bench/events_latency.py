"""Event path benchmark: commit -> consumer-effect latency at a steady rate, and the sustained maximum rate.

Runs the real thing on this machine: PostgreSQL and Redis (embedded, or AIGYM_DATABASE_URL /
AIGYM_REDIS_URL), the probe producer's outbox relay and one Celery worker of the probe sink, as separate
processes (the platform's probe schema from libs/platform/tests/events). The producer is this process.
Latency is measured from the producer's commit to the sink's `probe_effects.applied_at` (same clock).

    .venv/bin/python bench/events_latency.py [--rate 200] [--seconds 20] [--burst 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "libs" / "platform" / "tests" / "events"))

from probesvc.harness import EventProcesses, Uows, provision_probe_pair  # noqa: E402
from probesvc.service import record_probe  # noqa: E402
from sqlalchemy import text  # noqa: E402

from aigym_platform.devstack.ports import free_port  # noqa: E402
from aigym_platform.identity import TenantId  # noqa: E402
from bench.cpu import CpuMeter  # noqa: E402


@contextlib.contextmanager
def servers(workdir: Path) -> Iterator[tuple[str, str]]:
    """(PostgreSQL admin URL, Redis URL): external if set in the environment, embedded otherwise."""
    from aigym_platform.devstack.postgres import EmbeddedPostgres
    from aigym_platform.devstack.redis import EmbeddedRedis

    with contextlib.ExitStack() as stack:
        admin_url = os.environ.get("AIGYM_DATABASE_URL", "")
        if not admin_url:
            pg = EmbeddedPostgres(workdir / "pg", free_port(), durable=False, log_file=workdir / "pg.log")
            stack.enter_context(pg)
            admin_url = pg.admin_url
        redis_url = os.environ.get("AIGYM_REDIS_URL", "")
        if not redis_url:
            redis = EmbeddedRedis(workdir / "redis", free_port(), log_file=workdir / "redis.log")
            stack.enter_context(redis)
            redis_url = redis.url
        yield admin_url, redis_url


async def applied(uows: Uows, tenant: uuid.UUID) -> dict[int, float]:
    """sequence -> applied_at (Unix seconds) of the sink's effects for `tenant`."""
    async with uows.sink(TenantId(tenant), None) as unit:
        rows = await unit.session.execute(
            text("SELECT sequence, extract(epoch FROM applied_at) FROM probe_effects")
        )
        return {int(seq): float(at) for seq, at in rows}


async def wait_applied(
    uows: Uows, tenant: uuid.UUID, count: int, label: str, within: float
) -> dict[int, float]:
    """Poll until `count` effects exist for `tenant`, printing progress each second."""
    deadline = time.monotonic() + within
    while True:
        effects = await applied(uows, tenant)
        if len(effects) >= count:
            return effects
        if time.monotonic() > deadline:
            raise SystemExit(f"{label}: only {len(effects)} of {count} effects after {within}s")
        print(f"  {label}: {len(effects)}/{count} applied", flush=True)
        await asyncio.sleep(1.0)


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of `values` (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


async def steady(uows: Uows, rate: float, seconds: float, meter: CpuMeter) -> None:
    """Produce at `rate` events/s (open loop) for `seconds`; report commit -> effect latency percentiles."""
    tenant, total = uuid.uuid4(), int(rate * seconds)
    committed: dict[int, float] = {}
    in_flight = asyncio.Semaphore(32)
    print(f"steady: {total} events at {rate:.0f}/s", flush=True)

    async def one(sequence: int) -> None:
        async with in_flight:
            await record_probe(uows.producer, tenant, f"s{sequence % 10}", sequence=sequence)
            committed[sequence] = time.time()

    started = time.monotonic()
    pending = []
    for sequence in range(total):
        ahead = started + sequence / rate - time.monotonic()
        if ahead > 0:
            await asyncio.sleep(ahead)
        pending.append(asyncio.ensure_future(one(sequence)))
        if sequence and sequence % int(rate) == 0:
            print(f"  steady: {len(committed)}/{total} committed", flush=True)
    await asyncio.gather(*pending)
    achieved = total / (time.monotonic() - started)
    effects = await wait_applied(uows, tenant, total, "steady", 120)
    meter.report("steady", total)
    latencies = [(effects[s] - committed[s]) * 1000 for s in committed]
    print(
        f"steady {achieved:.0f} events/s: latency ms p50={percentile(latencies, 0.5):.1f}"
        f" p90={percentile(latencies, 0.9):.1f} p99={percentile(latencies, 0.99):.1f}"
        f" max={max(latencies):.1f} mean={statistics.fmean(latencies):.1f}",
        flush=True,
    )


async def burst(uows: Uows, count: int, producers: int, meter: CpuMeter) -> None:
    """Commit `count` events as fast as `producers` concurrent writers can; report end-to-end events/s."""
    tenant = uuid.uuid4()
    print(f"burst: {count} events from {producers} concurrent producers", flush=True)
    started = time.monotonic()

    async def writer(offset: int) -> None:
        for sequence in range(offset, count, producers):
            await record_probe(uows.producer, tenant, f"b{sequence % 50}", sequence=sequence)

    await asyncio.gather(*(writer(i) for i in range(producers)))
    committed_in = time.monotonic() - started
    await wait_applied(uows, tenant, count, "burst", 300)
    total = time.monotonic() - started
    meter.report("burst", count)
    print(
        f"burst: committed {count / committed_in:.0f} events/s; all effects after {total:.1f}s"
        f" = {count / total:.0f} events/s sustained end to end",
        flush=True,
    )


async def main_async(args: argparse.Namespace, workdir: Path) -> None:
    """Start servers and processes, run both phases, stop everything."""
    with servers(workdir) as (admin_url, redis_url):
        dbs = await provision_probe_pair(admin_url, f"aigymbench{uuid.uuid4().hex[:6]}")
        processes = EventProcesses(
            dbs,
            redis_url,
            workdir / "logs",
            AIGYM_CELERY_POOL=args.pool,
            AIGYM_CELERY_CONCURRENCY=str(args.concurrency),
        )
        uows = Uows(dbs, pool_size=16)
        try:
            processes.relay()
            for index in range(args.workers):
                processes.worker(f"worker{index}")
            warm = uuid.uuid4()
            await record_probe(uows.producer, warm, "warm")
            await wait_applied(uows, warm, 1, "warm-up", 60)
            meter = CpuMeter()
            await steady(uows, args.rate, args.seconds, meter)
            meter.start = meter.sample()
            await burst(uows, args.burst, args.producers, meter)
        finally:
            processes.stop()
            await uows.close()


def main() -> int:
    """Parse options and run the benchmark."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=200.0, help="steady phase: events per second")
    parser.add_argument("--seconds", type=float, default=20.0, help="steady phase: duration")
    parser.add_argument("--burst", type=int, default=5000, help="burst phase: number of events")
    parser.add_argument("--producers", type=int, default=4, help="burst phase: concurrent producers")
    parser.add_argument("--workers", type=int, default=2, help="sink worker processes")
    parser.add_argument(
        "--pool", choices=("solo", "threads", "prefork"), default="solo", help="sink workers' Celery pool"
    )
    parser.add_argument("--concurrency", type=int, default=4, help="threads per worker (threads pool)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="aigym-bench-events-") as workdir:
        asyncio.run(main_async(args, Path(workdir)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
