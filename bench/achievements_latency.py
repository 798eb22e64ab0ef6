"""Achievements benchmark: event-to-award latency at a steady event rate with 50 active badges per tenant.

The real path on this machine: progress's outbox (this process commits block_completed events into the
progress database, as the progress service does), progress's outbox relay, Redis, and achievements Celery
worker processes (fact, evaluation of every active badge looking at block completions, award with its
signed Open Badges credential, outbox and audit rows, all in the inbox transaction). Embedded PostgreSQL
and Redis unless AIGYM_DATABASE_URL / AIGYM_REDIS_URL are set.

Each event is the first block completion of a new learner, so every event earns the tenant's
"first block" badge and is evaluated against all 50 of its active badges (the other 49 look at block
completions too: thresholds, windows, streaks, scores, compositions). Latency: producer commit ->
`awards.award_time` (same clock). The same run repeats the load with ONE badge per tenant; the ratio of
the two p99s is the cost of 50 badges.

    .venv/bin/python bench/achievements_latency.py [--rate 200] [--seconds 20] [--tenants 4] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import text

from aigym.progress.v1 import events_pb2 as progress_events
from aigym_achievements import rules
from aigym_achievements.awarding import Awarder, CredentialConfig
from aigym_achievements.domain import BadgeDraft
from aigym_achievements.openbadges import Urls
from aigym_achievements.service import BadgesService
from aigym_platform.db import UnitOfWorkFactory, create_engine, create_sessionmaker, uow_factory
from aigym_platform.devstack.ports import free_port
from aigym_platform.devstack.processes import ManagedProcess
from aigym_platform.devstack.services import SERVICES
from aigym_platform.events.registry import BLOCK_COMPLETED
from aigym_platform.identity import Identity, Role, TenantId
from aigym_platform.provisioning import ServiceDatabase
from aigym_platform.testing.database import provision_and_migrate

BADGES_PER_TENANT = 50
F = rules.FactType.BLOCK_COMPLETED


def badge_rules(count: int) -> list[rules.Rule]:
    """The first rule is met by any first block completion; the other count-1 are not (but are evaluated)."""
    course = rules.Filter("course_id", ("bench-course",))
    pool: list[rules.Rule] = [
        rules.Count(F, (course,), min_count=5),
        rules.Count(F, (), min_count=10, within=dt.timedelta(days=7)),
        rules.Streak(F, (), days=3),
        rules.MinScore(0.95, "bench-course"),
        rules.AllOf((rules.Count(F, min_count=2), rules.Streak(F, days=2))),
        rules.NOfM(2, (rules.Count(F, min_count=20), rules.MinScore(0.99), rules.Streak(F, days=5))),
        rules.AnyOf(
            (rules.Count(F, (rules.Filter("block_id", ("quiz",)),), min_count=3), rules.Streak(F, days=7))
        ),
    ]
    chosen: list[rules.Rule] = [rules.Count(F, (course,), min_count=1)]
    while len(chosen) < count:
        chosen.append(pool[len(chosen) % len(pool)])
    return chosen


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


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of `values` (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


async def create_badges(units: UnitOfWorkFactory, tenants: list[uuid.UUID], per_tenant: int) -> None:
    """`per_tenant` active badges in each tenant (through the service layer, as an admin would)."""
    service = BadgesService(units, Awarder(CredentialConfig(Urls("https://bench.example"))))
    for tenant in tenants:
        admin = Identity("bench-admin", TenantId(tenant), frozenset({Role.CLIENT_ADMIN}))
        for index, rule in enumerate(badge_rules(per_tenant)):
            badge = await service.create_badge(admin, BadgeDraft(f"Badge {index}", rule=rule))
            await service.activate_badge(admin, badge.badge_id, backfill=False)


async def produce(progress: UnitOfWorkFactory, tenant: uuid.UUID, learner: str) -> str:
    """Commit one block_completed event in the progress outbox (as the progress service does)."""
    payload = progress_events.BlockCompleted(
        learner_id=learner, course_id="bench-course", block_id="intro", value=1, completed=True
    )
    payload.completed_at.GetCurrentTime()
    async with progress(TenantId(tenant), None) as uow:
        event_id = await uow.publish(BLOCK_COMPLETED, f"learners/{learner}/courses/bench-course", payload)
        await uow.commit()
    return event_id


async def award_times(units: UnitOfWorkFactory, tenants: list[uuid.UUID]) -> dict[str, float]:
    """evidence event id -> award time (Unix seconds) of every award in `tenants`."""
    found: dict[str, float] = {}
    for tenant in tenants:
        async with units(TenantId(tenant), None) as uow:
            rows = await uow.session.execute(
                text("SELECT evidence->>0, extract(epoch FROM award_time) FROM awards WHERE source = 'rule'")
            )
            found.update({str(event): float(at) for event, at in rows})
    return found


async def steady(
    label: str,
    progress: UnitOfWorkFactory,
    units: UnitOfWorkFactory,
    tenants: list[uuid.UUID],
    rate: float,
    seconds: float,
) -> dict[str, float]:
    """Produce at `rate` events/s (open loop) for `seconds`; report commit -> award latency percentiles."""
    total = int(rate * seconds)
    committed: dict[str, float] = {}
    in_flight = asyncio.Semaphore(32)
    print(f"{label}: {total} events at {rate:.0f}/s over {len(tenants)} tenants", flush=True)

    async def one(sequence: int) -> None:
        async with in_flight:
            tenant = tenants[sequence % len(tenants)]
            event_id = await produce(progress, tenant, f"learner-{label}-{sequence}")
            committed[event_id] = time.time()

    started = time.monotonic()
    pending = []
    for sequence in range(total):
        ahead = started + sequence / rate - time.monotonic()
        if ahead > 0:
            await asyncio.sleep(ahead)
        pending.append(asyncio.ensure_future(one(sequence)))
        if sequence and sequence % int(rate * 5) == 0:
            print(f"  {label}: {len(committed)}/{total} committed", flush=True)
    await asyncio.gather(*pending)
    achieved = total / (time.monotonic() - started)
    deadline = time.monotonic() + 300
    while True:
        awards = await award_times(units, tenants)
        done = sum(1 for event in committed if event in awards)
        if done >= total:
            break
        if time.monotonic() > deadline:
            raise SystemExit(f"{label}: only {done} of {total} awards after 300 s")
        print(f"  {label}: {done}/{total} awarded", flush=True)
        await asyncio.sleep(1.0)
    latencies = [(awards[event] - at) * 1000 for event, at in committed.items()]
    result = {
        "achieved": achieved,
        "p50": percentile(latencies, 0.5),
        "p90": percentile(latencies, 0.9),
        "p99": percentile(latencies, 0.99),
        "max": max(latencies),
        "mean": statistics.fmean(latencies),
    }
    print(
        f"{label}: producer {achieved:.0f} events/s; event -> award ms p50={result['p50']:.0f}"
        f" p90={result['p90']:.0f} p99={result['p99']:.0f} max={result['max']:.0f}",
        flush=True,
    )
    return result


def start(name: str, argv: list[str], env: dict[str, str], logs: Path) -> ManagedProcess:
    """One relay or worker process (SIGTERM'd at the end)."""
    process = ManagedProcess(name, [sys.executable, *argv], env=env, log_file=logs / f"{name}.log")
    process.start()
    return process


async def main_async(args: argparse.Namespace, workdir: Path) -> None:
    """Servers, databases, badges, relay and workers; both phases; stop everything."""
    migrations = {spec.name: spec.migrations_dir for spec in SERVICES}
    with servers(workdir) as (admin_url, redis_url):
        prefix = f"aigymbench{uuid.uuid4().hex[:6]}"
        dbs: dict[str, ServiceDatabase] = {
            name: await provision_and_migrate(admin_url, name, migrations[name], prefix=prefix)
            for name in ("progress", "achievements")
        }
        engines = [
            create_engine(dbs[n].app_url, pool_size=16, max_overflow=8) for n in ("progress", "achievements")
        ]
        progress, units = (uow_factory(create_sessionmaker(engine)) for engine in engines)
        many = [uuid.uuid4() for _ in range(args.tenants)]
        one = [uuid.uuid4() for _ in range(args.tenants)]
        sys.stderr.write(f"creating {BADGES_PER_TENANT} badges in each of {args.tenants} tenants...\n")
        await create_badges(units, many, BADGES_PER_TENANT)
        await create_badges(units, one, 1)
        logs = workdir / "logs"
        logs.mkdir()
        common = {
            "AIGYM_LOG_FORMAT": "text",
            "AIGYM_LOG_LEVEL": "WARNING",
            "AIGYM_REDIS_URL": redis_url,
            "AIGYM_CELERY_CONCURRENCY": str(args.concurrency),
            "AIGYM_RELAY_POLL_SECONDS": "0.5",
        }
        processes = [
            start(
                "progress-relay",
                ["-m", "aigym_platform.events.relay", "--service", "progress"],
                {**common, "AIGYM_SERVICE_NAME": "progress", "AIGYM_DATABASE_URL": dbs["progress"].app_url},
                logs,
            )
        ]
        worker_env = {
            **common,
            "AIGYM_SERVICE_NAME": "achievements",
            "AIGYM_DATABASE_URL": dbs["achievements"].app_url,
            "AIGYM_PUBLIC_BASE_URL": "https://bench.example",
        }
        for index in range(args.workers):
            argv = [
                "-m",
                "aigym_platform.jobs.worker",
                "--service",
                "achievements",
                "--tasks",
                "aigym_achievements.tasks",
            ]
            processes.append(start(f"achievements-worker{index}", argv, worker_env, logs))
        try:
            warm = [uuid.uuid4()]
            await create_badges(units, warm, 1)
            sys.stderr.write("warming up (relay and workers start)...\n")
            await steady("warm-up", progress, units, warm, 5, 2)
            fifty = await steady("50 badges/tenant", progress, units, many, args.rate, args.seconds)
            single = await steady("1 badge/tenant", progress, units, one, args.rate, args.seconds)
            print()
            print(
                "| badges per tenant | target events/s | producer achieved | p50 ms | p90 ms | p99 ms"
                " | max ms |"
            )
            print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
            for name, row in (("50", fifty), ("1", single)):
                print(
                    f"| {name} | {args.rate:.0f} | {row['achieved']:.0f} | {row['p50']:.0f}"
                    f" | {row['p90']:.0f} | {row['p99']:.0f} | {row['max']:.0f} |"
                )
            print(
                f"\np99 ratio 50 badges / 1 badge: {fifty['p99'] / single['p99']:.2f}"
                f" (p99 target < 500 ms: {'met' if fifty['p99'] < 500 else 'NOT met'})"
            )
        finally:
            for process in reversed(processes):
                process.terminate(grace=5)
            for engine in engines:
                await engine.dispose()


def main() -> int:
    """Parse options and run the benchmark."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=200.0, help="events per second (open loop)")
    parser.add_argument("--seconds", type=float, default=20.0, help="duration of each phase")
    parser.add_argument("--tenants", type=int, default=4, help="tenants the events are spread over")
    parser.add_argument("--workers", type=int, default=2, help="achievements worker processes")
    parser.add_argument("--concurrency", type=int, default=4, help="threads per worker")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="aigym-bench-achievements-") as workdir:
        asyncio.run(main_async(args, Path(workdir)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
