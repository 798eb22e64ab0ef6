"""Achievements benchmark: event-to-award latency at a steady event rate with 50 active badges per tenant.

The real path on this machine: progress's outbox (this process commits block_completed events into the
progress database, as the progress service does), progress's outbox relay, Redis, and achievements Celery
worker processes (solo pool, as the events-queue Deployments run them; fact, evaluation of every active
badge looking at block completions, award with its
signed Open Badges credential, outbox rows, all in the inbox transaction). Embedded PostgreSQL (with
`track_commit_timestamp`) and Redis unless AIGYM_DATABASE_URL / AIGYM_REDIS_URL are set.

Scenarios, each at the same open-loop rate over the same tenants' count, one after the other:

- `mix` (realistic): learners working through courses (`bench/achievements_data.py`): each tenant's
  learners start with a history of 0..30 completed blocks and the awards it earned; each event is the
  next block of a random learner, so most events award nothing and some cross a badge's threshold.
- `worst` (every event awards): each event is a new learner's first block; that earns the tenant's
  "first block" badge and is evaluated against all 50 badges.
- `worst1`: the same with ONE badge per tenant (the p99 ratio to `worst` is the cost of 50 badges).

Two latencies, both from the producer's commit (taken in this process right after COMMIT returned) to a
commit on the achievements database (PostgreSQL's commit timestamp of the row's transaction, same clock):
*event -> evaluated*: the consumer's transaction that recorded the event's fact and inbox row (and made
any award) committed, for every event; *event -> award*: the same, for each award made by a rule.

    .venv/bin/python -m bench.achievements_latency [--rate 200] [--seconds 20] [--tenants 4] [--workers 2]
        [--pool solo|threads --concurrency N] [--scenarios mix,worst,worst1] [--learners 300]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import insert, text

from aigym.progress.v1 import events_pb2 as progress_events
from aigym_achievements import rules
from aigym_achievements.award_service import AwardsService
from aigym_achievements.awarding import Awarder, CredentialConfig
from aigym_achievements.domain import BadgeDraft
from aigym_achievements.openbadges import Urls
from aigym_achievements.service import BadgesService
from aigym_achievements.tables import FactRow
from aigym_platform.db import UnitOfWorkFactory, create_engine, create_sessionmaker, uow_factory
from aigym_platform.devstack.ports import free_port
from aigym_platform.devstack.processes import ManagedProcess
from aigym_platform.devstack.services import SERVICES
from aigym_platform.events.registry import BLOCK_COMPLETED
from aigym_platform.identity import Identity, Role, TenantId
from aigym_platform.provisioning import ServiceDatabase
from aigym_platform.testing.database import provision_and_migrate
from bench.achievements_data import Learner, histories, realistic_rules, worst_case_rules
from bench.cpu import CpuMeter

BADGES_PER_TENANT = 50
SCENARIOS = ("mix", "worst", "worst1")
Event = tuple[uuid.UUID, str, str, str, float | None]
"""(tenant, learner, course, block, score) of one block_completed event."""


@contextlib.contextmanager
def servers(workdir: Path) -> Iterator[tuple[str, str]]:
    """(PostgreSQL admin URL, Redis URL): external if set in the environment, embedded otherwise."""
    from aigym_platform.devstack.postgres import EmbeddedPostgres
    from aigym_platform.devstack.redis import EmbeddedRedis

    with contextlib.ExitStack() as stack:
        admin_url = os.environ.get("AIGYM_DATABASE_URL", "")
        if not admin_url:
            # Commit timestamps are what the latencies are read from.
            settings = {"track_commit_timestamp": "on"}
            pg = EmbeddedPostgres(
                workdir / "pg", free_port(), durable=False, log_file=workdir / "pg.log", settings=settings
            )
            stack.enter_context(pg)
            admin_url = pg.admin_url
        redis_url = os.environ.get("AIGYM_REDIS_URL", "")
        if not redis_url:
            redis = EmbeddedRedis(workdir / "redis", free_port(), log_file=workdir / "redis.log")
            stack.enter_context(redis)
            redis_url = redis.url
        yield admin_url, redis_url


def percentile(values: Sequence[float], q: float) -> float:
    """The q-quantile (0..1) of `values` (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def admin_of(tenant: uuid.UUID) -> Identity:
    """The tenant's benchmark administrator."""
    return Identity("bench-admin", TenantId(tenant), frozenset({Role.CLIENT_ADMIN}))


async def create_badges(
    service: BadgesService, tenant: uuid.UUID, chosen: list[rules.Rule], *, backfill: bool = False
) -> None:
    """Active badges with the given rules (through the service layer, as an admin would)."""
    for index, rule in enumerate(chosen):
        badge = await service.create_badge(admin_of(tenant), BadgeDraft(f"Badge {index}", rule=rule))
        await service.activate_badge(admin_of(tenant), badge.badge_id, backfill=backfill)


async def seed_mix(
    units: UnitOfWorkFactory, awarder: Awarder, tenants: list[uuid.UUID], per_tenant: int, rng: random.Random
) -> list[Learner]:
    """Learners with histories (facts) and the awards those earned (the badges' backfill), per tenant."""
    now = dt.datetime.now(dt.UTC)
    learners: list[Learner] = []
    badges = BadgesService(units, awarder)
    awards = AwardsService(units, awarder)
    for tenant in tenants:
        found, facts = histories(tenant, per_tenant, now, rng)
        learners += found
        async with units(TenantId(tenant), None) as uow:
            rows = [
                {
                    "tenant_id": tenant,
                    "event_id": uuid.uuid4(),
                    "learner_id": f.learner_id,
                    "fact_type": rules.FactType.BLOCK_COMPLETED.value,
                    "occurred_at": f.occurred_at,
                    "attributes": {"course_id": f.course_id, "block_id": f.block_id},
                    "score": f.score,
                }
                for f in facts
            ]
            if rows:
                await uow.session.execute(insert(FactRow), rows)
            await uow.commit()
        await create_badges(badges, tenant, realistic_rules(), backfill=True)
        made = await awards.run_backfills(TenantId(tenant))
        sys.stderr.write(f"  tenant {tenant}: {len(facts)} history facts, {made} awards from them\n")
    return learners


async def produce(progress: UnitOfWorkFactory, event: Event) -> str:
    """Commit one block_completed event in the progress outbox (as the progress service does)."""
    tenant, learner, course_id, block_id, score = event
    payload = progress_events.BlockCompleted(
        learner_id=learner, course_id=course_id, block_id=block_id, value=1, completed=True
    )
    if score is not None:
        payload.score = score
    payload.completed_at.GetCurrentTime()
    async with progress(TenantId(tenant), None) as uow:
        event_id = await uow.publish(BLOCK_COMPLETED, f"learners/{learner}/courses/{course_id}", payload)
        await uow.commit()
    return event_id


async def evaluations(
    units: UnitOfWorkFactory, tenants: list[uuid.UUID]
) -> tuple[dict[str, tuple[float, str]], dict[str, int]]:
    """(event id -> (commit time of its evaluation, transaction id), transaction id -> rule awards made)."""
    evaluated: dict[str, tuple[float, str]] = {}
    awards: dict[str, int] = {}
    for tenant in tenants:
        async with units(TenantId(tenant), None) as uow:
            rows = await uow.session.execute(
                text(
                    "SELECT event_id::text, extract(epoch FROM pg_xact_commit_timestamp(xmin))::float8,"
                    " xmin::text FROM event_inbox WHERE handler = 'record_block_completion'"
                )
            )
            evaluated.update({event: (float(at), xid) for event, at, xid in rows})
            rows = await uow.session.execute(
                text("SELECT xmin::text, count(*) FROM awards WHERE source = 'rule' GROUP BY 1")
            )
            awards.update({xid: int(n) for xid, n in rows})
    return evaluated, awards


@dataclass(frozen=True)
class Result:
    """One scenario's figures."""

    label: str
    events: int
    awarding_events: int
    awards: int
    achieved: float
    evaluated: list[float]
    awarded: list[float]
    load: tuple[float, float]


async def steady(
    label: str,
    progress: UnitOfWorkFactory,
    units: UnitOfWorkFactory,
    tenants: list[uuid.UUID],
    events: list[Event],
    rate: float,
    meter: CpuMeter,
) -> Result:
    """Produce `events` at `rate` per second (open loop); wait until each is evaluated; the latencies and
    the CPU each role spent per event (producing to the last evaluation)."""
    meter.start = meter.sample()
    committed: dict[str, float] = {}
    in_flight = asyncio.Semaphore(32)
    load_before = os.getloadavg()[0]
    print(f"{label}: {len(events)} events at {rate:.0f}/s over {len(tenants)} tenants", flush=True)

    async def one(event: Event) -> None:
        async with in_flight:
            event_id = await produce(progress, event)
            committed[event_id] = time.time()

    started = time.monotonic()
    pending = []
    for sequence, event in enumerate(events):
        ahead = started + sequence / rate - time.monotonic()
        if ahead > 0:
            await asyncio.sleep(ahead)
        pending.append(asyncio.ensure_future(one(event)))
        if sequence and sequence % int(rate * 5) == 0:
            print(f"  {label}: {len(committed)}/{len(events)} committed", flush=True)
    await asyncio.gather(*pending)
    achieved = len(events) / (time.monotonic() - started)
    deadline = time.monotonic() + 600
    while True:
        evaluated, awards = await evaluations(units, tenants)
        done = sum(1 for event in committed if event in evaluated)
        if done >= len(events):
            break
        if time.monotonic() > deadline:
            raise SystemExit(f"{label}: only {done} of {len(events)} events evaluated after 600 s")
        if int(time.monotonic() * 4) % 4 == 0:
            print(f"  {label}: {done}/{len(events)} evaluated", flush=True)
        await asyncio.sleep(0.25)
    meter.report(label, len(events))
    per_event = {event: (evaluated[event][0] - at) * 1000 for event, at in committed.items()}
    awarded: list[float] = []
    awarding = 0
    for event_id, latency in per_event.items():
        made = awards.get(evaluated[event_id][1], 0)
        awarded += [latency] * made
        awarding += made > 0
    result = Result(
        label,
        len(events),
        awarding,
        len(awarded),
        achieved,
        list(per_event.values()),
        awarded,
        (load_before, os.getloadavg()[0]),
    )
    print(f"{label}: {summary(result)}", flush=True)
    return result


def figures(values: list[float]) -> str:
    """p50 / p90 / p99 / max in ms ("-" without values)."""
    if not values:
        return "-"
    return " / ".join(f"{percentile(values, q):.0f}" for q in (0.5, 0.9, 0.99)) + f" / {max(values):.0f}"


def summary(r: Result) -> str:
    """One line of a scenario's figures."""
    return (
        f"producer {r.achieved:.0f} events/s; {r.awarding_events} of {r.events} events awarded"
        f" ({r.awards} awards); event -> evaluated ms p50/p90/p99/max {figures(r.evaluated)};"
        f" event -> award {figures(r.awarded)}; load {r.load[0]:.1f} -> {r.load[1]:.1f}"
    )


def start(name: str, argv: list[str], env: dict[str, str], logs: Path) -> ManagedProcess:
    """One relay or worker process (SIGTERM'd at the end)."""
    process = ManagedProcess(name, [sys.executable, *argv], env=env, log_file=logs / f"{name}.log")
    process.start()
    return process


def worst_events(tenants: list[uuid.UUID], count: int, label: str) -> list[Event]:
    """Each event is a new learner's first block (earns the "first block" badge)."""
    return [
        (tenants[i % len(tenants)], f"learner-{label}-{i}", "bench-course", "intro", None)
        for i in range(count)
    ]


def mix_events(learners: list[Learner], count: int, rng: random.Random) -> list[Event]:
    """Each event is the next block of a random learner, with a score."""
    events: list[Event] = []
    for _ in range(count):
        learner = rng.choice(learners)
        course_id, block_id = learner.next_block()
        events.append(
            (learner.tenant, learner.learner_id, course_id, block_id, round(rng.uniform(0.5, 1), 2))
        )
    return events


async def main_async(args: argparse.Namespace, workdir: Path) -> None:
    """Servers, databases, badges and histories, relay and workers; the scenarios; stop everything."""
    migrations = {spec.name: spec.migrations_dir for spec in SERVICES}
    rng = random.Random(args.seed)
    scenarios = [s for s in args.scenarios.split(",") if s]
    if unknown := set(scenarios) - set(SCENARIOS):
        raise SystemExit(f"unknown scenarios {sorted(unknown)}; choose from {SCENARIOS}")
    total = int(args.rate * args.seconds)
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
        async with units(TenantId(uuid.uuid4()), None) as uow:
            if (await uow.session.execute(text("SHOW track_commit_timestamp"))).scalar_one() != "on":
                raise SystemExit("the benchmark reads commit timestamps: set track_commit_timestamp = on")
        awarder = Awarder(CredentialConfig(Urls("https://bench.example")))
        service = BadgesService(units, awarder)
        tenants = {s: [uuid.uuid4() for _ in range(args.tenants)] for s in (*SCENARIOS, "warm")}
        events: dict[str, list[Event]] = {}
        if "mix" in scenarios:
            sys.stderr.write(
                f"mix: {args.learners} learners with histories per tenant, 50 badges, backfill...\n"
            )
            learners = await seed_mix(units, awarder, tenants["mix"], args.learners, rng)
            events["mix"] = mix_events(learners, total, rng)
        for name, count in (("worst", BADGES_PER_TENANT), ("worst1", 1)):
            if name in scenarios:
                for tenant in tenants[name]:
                    await create_badges(service, tenant, worst_case_rules(count))
                events[name] = worst_events(tenants[name], total, name)
        for tenant in tenants["warm"]:
            await create_badges(service, tenant, worst_case_rules(1))
        logs = workdir / "logs"
        logs.mkdir()
        common = {
            "AIGYM_LOG_FORMAT": "text",
            "AIGYM_LOG_LEVEL": "WARNING",
            "AIGYM_REDIS_URL": redis_url,
            "AIGYM_CELERY_POOL": args.pool,
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
            argv = ["-m", "aigym_platform.jobs.worker", "--service", "achievements", "--tasks"]
            processes.append(
                start(f"achievements-worker{index}", [*argv, "aigym_achievements.tasks"], worker_env, logs)
            )
        try:
            sys.stderr.write("warming up (relay and workers start)...\n")
            meter = CpuMeter()
            warm = worst_events(tenants["warm"], 10, "warm")
            await steady("warm-up", progress, units, tenants["warm"], warm, 5, meter)
            results = [
                await steady(name, progress, units, tenants[name], events[name], args.rate, meter)
                for name in scenarios
            ]
            print()
            print(
                "| scenario | badges per tenant | events (awarding) | awards | target → producer events/s"
                " | event → evaluated p50 / p90 / p99 / max ms | event → award p50 / p90 / p99 / max ms"
                " | load avg |"
            )
            print("| --- | ---: | ---: | ---: | --- | --- | --- | --- |")
            for r in results:
                badges = 1 if r.label == "worst1" else BADGES_PER_TENANT
                print(
                    f"| {r.label} | {badges} | {r.events} ({r.awarding_events}) | {r.awards}"
                    f" | {args.rate:.0f} → {r.achieved:.0f} | {figures(r.evaluated)} | {figures(r.awarded)}"
                    f" | {r.load[0]:.1f} → {r.load[1]:.1f} |"
                )
            by = {r.label: r for r in results}
            if "worst" in by and "worst1" in by:
                ratio = percentile(by["worst"].awarded, 0.99) / percentile(by["worst1"].awarded, 0.99)
                print(f"\nevent → award p99 ratio, 50 badges / 1 badge (worst case): {ratio:.2f}")
            for r in results:
                if r.awarded:
                    p99 = percentile(r.awarded, 0.99)
                    verdict = "met" if p99 < 500 else "NOT met"
                    print(f"{r.label}: event → award p99 {p99:.0f} ms: target < 500 ms {verdict}")
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
    parser.add_argument("--seconds", type=float, default=20.0, help="duration of each scenario")
    parser.add_argument("--tenants", type=int, default=4, help="tenants the events are spread over")
    parser.add_argument("--learners", type=int, default=300, help="learners per tenant in the mix")
    parser.add_argument("--workers", type=int, default=2, help="achievements worker processes")
    parser.add_argument(
        "--pool", default="solo", help="worker pool (solo: as the events-queue Deployments run; or threads)"
    )
    parser.add_argument("--concurrency", type=int, default=1, help="task threads per worker (threads pool)")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help=f"comma-separated, of {SCENARIOS}")
    parser.add_argument("--seed", type=int, default=5, help="random seed of histories and the mix")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="aigym-bench-achievements-") as workdir:
        asyncio.run(main_async(args, Path(workdir)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
