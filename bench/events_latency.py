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


ROLES = (
    ("jobs.worker", "worker"),
    ("events.relay", "relay"),
    ("redis-server", "redis"),
    ("postgres", "postgres"),
)


class CpuMeter:
    """CPU seconds and wake-ups of this benchmark's processes by role (from /proc), and machine CPU.

    CPU per event grows when other work shares the cores (caches, scheduling); the voluntary context
    switches per event (a thread blocked until a message arrived: one per round trip waited for, per
    wake-up of an idle server process) count the message traffic itself and hardly depend on the
    machine's load, so they compare runs made at different loads.
    """

    def __init__(self) -> None:
        self.tick = os.sysconf("SC_CLK_TCK")
        self.start = self.sample()

    def sample(self) -> dict[str, float]:
        """Cumulative CPU seconds per role, `wake:<role>` voluntary context switches, `machine` (all busy
        time) and `wall` (monotonic seconds)."""
        stats: dict[int, tuple[int, float, str]] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as stat, open(f"/proc/{entry}/cmdline", "rb") as cmd:
                    fields = stat.read().rsplit(")", 1)[1].split()
                    cmdline = cmd.read().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            stats[int(entry)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / self.tick, cmdline)
        ours, frontier = {os.getpid()}, [os.getpid()]
        while frontier:
            parent = frontier.pop()
            children = [pid for pid, (ppid, _, _) in stats.items() if ppid == parent and pid not in ours]
            ours.update(children)
            frontier.extend(children)
        totals: dict[str, float] = {}
        for pid in ours & set(stats):
            _, seconds, cmdline = stats[pid]
            role = "producer" if pid == os.getpid() else next((n for k, n in ROLES if k in cmdline), "other")
            totals[role] = totals.get(role, 0.0) + seconds
            totals[f"wake:{role}"] = totals.get(f"wake:{role}", 0.0) + _wakeups(pid)
        with open("/proc/stat") as stat:
            cpu = [int(v) for v in stat.readline().split()[1:]]
        totals["machine"] = (sum(cpu[:8]) - cpu[3] - cpu[4]) / self.tick  # all but idle and iowait
        totals["wall"] = time.monotonic()
        return totals

    def report(self, label: str, events: int) -> None:
        """Print CPU milliseconds and wake-ups per event by role since the last report, and cores busy
        machine-wide."""
        now = self.sample()
        used = {k: now[k] - self.start.get(k, 0.0) for k in now}
        self.start = now
        cpu = {k: v for k, v in sorted(used.items()) if k not in ("machine", "wall") and ":" not in k}
        calls = {k[5:]: v for k, v in sorted(used.items()) if k.startswith("wake:")}
        ours = sum(cpu.values())
        parts = " ".join(f"{k}={1000 * v / events:.2f}" for k, v in cpu.items())
        print(
            f"{label} cpu ms/event: {parts}; all ours {1000 * ours / events:.2f};"
            f" cores busy: ours {ours / used['wall']:.2f}, machine {used['machine'] / used['wall']:.2f}",
            flush=True,
        )
        parts = " ".join(f"{k}={v / events:.1f}" for k, v in calls.items())
        print(
            f"{label} wake-ups/event: {parts}; all ours {sum(calls.values()) / events:.1f}",
            flush=True,
        )


def _wakeups(pid: int) -> float:
    """Voluntary context switches of all threads of a process so far (0 if it is gone)."""
    total = 0
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/status") as status:
                for line in status:
                    if line.startswith("voluntary_ctxt_switches:"):
                        total += int(line.split()[1])
    except OSError:
        pass
    return float(total)


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
