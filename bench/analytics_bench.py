"""Analytics benchmark: dashboards over millions of facts through Envoy, and a 100,000-row report.

Generates raw facts for one measured tenant (default 10,000,000) plus other tenants, COPYing them as the
analytics app role under row-level security (COPY into a temporary table, then one INSERT ... SELECT per
batch: COPY cannot write through RLS), then derives the hourly counters, activity slots and learners'
courses with the same recomputation the consistency check uses, and the active-learner rollups with the
backfill's (so the data is what ingestion would have built). Then, through the real Envoy: the tenant
overview and program performance for a 90-day range (closed loop, p50/p95/p99, throughput as a ratio of
the Ping ceiling measured in the same run), and the wall time of running a 100,000-row activity report
(CSV and XLSX) with `:run`.

    .venv/bin/python -m bench.analytics_bench --facts 10000000      # the issue's scale (slow here)
    .venv/bin/python -m bench.analytics_bench --facts 1000000 --seconds 10
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import random
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import asyncpg
import grpc

from aigym.analytics.v1 import analytics_pb2 as pb
from aigym.analytics.v1 import analytics_pb2_grpc as pb_grpc
from aigym_analytics.ingest_repository import RECOMPUTE_SQL
from aigym_analytics.rollup_repository import REBUILD_ACTIVITY_SQL, REBUILD_DAYS_SQL
from aigym_platform.devstack.keys import DEV_AUDIENCE, DEV_ISSUER
from aigym_platform.devstack.stack import DevStack
from bench.harness import (
    PhaseResult,
    Request,
    add_stack_arguments,
    copy_through_rls,
    progress,
    report,
    run_phases,
    running_stack,
)

BATCH = 200_000
COLUMNS = (
    "tenant_id",
    "event_id",
    "kind",
    "occur_time",
    "learner_id",
    "course_id",
    "program_id",
    "block_id",
    "completed",
    "score",
)
NOW = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)


def fact_rows(
    rng: random.Random,
    tenant: uuid.UUID,
    total: int,
    learners: int,
    courses: int,
    programs: int,
    days: float,
    end: dt.datetime,
) -> Iterator[tuple[Any, ...]]:
    """Facts spread over `days` before now: 94 % block records, 5 % course completions, 1 % resets, plus
    one enrolment per learner and program pair it touches (program facts are ~1 % of the total)."""
    span = days * 86400
    for _ in range(total):
        learner = f"learner-{rng.randrange(learners)}"
        when = end - dt.timedelta(seconds=rng.random() * span)
        roll = rng.random()
        event_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        if roll < 0.01:
            yield (
                tenant,
                event_id,
                "enrolled",
                when,
                learner,
                "",
                f"program-{rng.randrange(programs)}",
                "",
                False,
                None,
            )
        elif roll < 0.06:
            yield (
                tenant,
                event_id,
                "course_completed",
                when,
                learner,
                f"course-{rng.randrange(courses)}",
                "",
                "",
                False,
                None,
            )
        elif roll < 0.07:
            yield (
                tenant,
                event_id,
                "reset",
                when,
                learner,
                f"course-{rng.randrange(courses)}",
                "",
                "",
                False,
                None,
            )
        else:
            score = round(rng.random(), 3) if rng.random() < 0.3 else None
            yield (
                tenant,
                event_id,
                "block",
                when,
                learner,
                f"course-{rng.randrange(courses)}",
                "",
                f"b{rng.randrange(20)}",
                rng.random() < 0.7,
                score,
            )


async def _in_tenant(conn: asyncpg.Connection, tenant: uuid.UUID) -> None:
    await conn.execute("SELECT set_config('app.tenant_id', $1, true)", str(tenant))


async def copy_facts(
    app_url: str,
    tenant: uuid.UUID,
    args: argparse.Namespace,
    total: int,
    days: float,
    end: dt.datetime = NOW,
) -> None:
    """COPY `total` facts for `tenant` over `days` before `end` in batches (one transaction each)."""
    rng = random.Random(str(tenant))
    conn = await asyncpg.connect(app_url)
    try:
        rows = fact_rows(rng, tenant, total, args.learners, args.courses, args.programs, days, end)
        written = 0
        label = f"facts of {str(tenant)[:8]}"
        progress(label, 0, total)
        while batch := [row for _, row in zip(range(BATCH), rows, strict=False)]:
            async with conn.transaction():
                await _in_tenant(conn, tenant)
                await copy_through_rls(conn, "facts", COLUMNS, batch)
            written += len(batch)
            progress(label, written, total)
    finally:
        await conn.close()


async def derive(app_url: str, tenant: uuid.UUID, args: argparse.Namespace) -> None:
    """Counters, slots, learners' courses, programs, enrolments and directory from the facts."""
    conn = await asyncpg.connect(app_url, command_timeout=3600)
    steps = [
        (
            "hourly counters",
            f"""INSERT INTO hourly_stats (tenant_id, dimension, key, hour, block_activities,
             block_completions, course_completions, resets, enrollments, program_completions, milestones,
             withdrawals, time_on_task_seconds, scored, score_sum)
             SELECT '{tenant}', * FROM ({
                RECOMPUTE_SQL.replace(":tenant", f"'{tenant}'")
                .replace(":since", "'2000-01-01+00'")
                .replace(":slot_seconds", "900")
            }) AS r""",
        ),
        (
            "active-learner rollups, days (the backfill's SQL)",
            REBUILD_DAYS_SQL.replace(":tenant", f"'{tenant}'"),
        ),
        (
            "active-learner rollups, learners",
            REBUILD_ACTIVITY_SQL.replace(":tenant", f"'{tenant}'"),
        ),
        (
            "activity slots",
            """INSERT INTO activity_slots (tenant_id, learner_id, course_id, slot)
             SELECT DISTINCT tenant_id, learner_id, c,
                    date_bin('15 minutes', occur_time, TIMESTAMPTZ '2000-01-01+00')
             FROM facts, unnest(ARRAY['', course_id]) AS c
             WHERE tenant_id = current_setting('app.tenant_id')::uuid
               AND kind = 'block'""",
        ),
        (
            "learners' courses",
            """INSERT INTO learner_courses (tenant_id, learner_id, course_id, attempt, completed,
             complete_time, last_activity_time)
             SELECT tenant_id, learner_id, course_id, 1, bool_or(kind = 'course_completed'),
                    max(occur_time) FILTER (WHERE kind = 'course_completed'), max(occur_time)
             FROM facts WHERE tenant_id = current_setting('app.tenant_id')::uuid AND course_id <> ''
             GROUP BY 1, 2, 3""",
        ),
        (
            "programs",
            f"""INSERT INTO programs (tenant_id, program_id, title, version, course_ids)
             SELECT current_setting('app.tenant_id')::uuid, 'program-' || p, 'Program ' || p, 1,
                    ARRAY(SELECT 'course-' || ((p * 10 + c) % {args.courses}) FROM generate_series(0, 9) c)
             FROM generate_series(0, {args.programs - 1}) p""",
        ),
        (
            "enrolments",
            """INSERT INTO enrollments (tenant_id, enrollment_id, program_id, learner_id,
             program_version, state, enroll_time, start_time, due_time, complete_time)
             SELECT tenant_id, event_id::text, program_id, learner_id, 1,
                    CASE WHEN random() < 0.3 THEN 'completed' ELSE 'active' END, occur_time, occur_time,
                    occur_time + interval '60 days',
                    CASE WHEN random() < 0.3 THEN occur_time + interval '20 days' END
             FROM facts WHERE tenant_id = current_setting('app.tenant_id')::uuid AND kind = 'enrolled'""",
        ),
        (
            "fix completed states",
            """UPDATE enrollments SET state = 'completed'
             WHERE tenant_id = current_setting('app.tenant_id')::uuid AND complete_time IS NOT NULL""",
        ),
        (
            "learner directory",
            f"""INSERT INTO learners (tenant_id, learner_id, display_name, email, manager_id,
             active, source_time, active_time)
             SELECT current_setting('app.tenant_id')::uuid, 'learner-' || i, 'Learner ' || i,
                    'learner-' || i || '@bench.test',
                    CASE WHEN i < 100 THEN '' ELSE 'learner-' || (i / 100) END,
                    true, now(), now() FROM generate_series(0, {args.learners - 1}) i""",
        ),
    ]
    try:
        for i, (label, sql) in enumerate(steps):
            started = time.perf_counter()
            async with conn.transaction():
                await _in_tenant(conn, tenant)
                await conn.execute(sql)
            sys.stderr.write(f"  {label}: {time.perf_counter() - started:.1f} s\n")
            progress(f"deriving {str(tenant)[:8]}", i + 1, len(steps))
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


def token(stack: DevStack, tenant: uuid.UUID, role: str = "client_admin", user: str = "bench-admin") -> str:
    """A dev token the running stack accepts."""
    assert stack.keys is not None
    return stack.keys.user_key.mint(
        issuer=DEV_ISSUER, audience=DEV_AUDIENCE, subject=user, tenant_id=str(tenant), roles=[role]
    )


async def dashboards(stack: DevStack, tenant: uuid.UUID, args: argparse.Namespace) -> list[PhaseResult]:
    """Ping ceiling, overview and program performance for 90 days, through Envoy."""
    auth = {"authorization": f"Bearer {token(stack, tenant)}"}
    end = NOW.date()
    start = end - dt.timedelta(days=89)
    window = f"range.startDate={start}&range.endDate={end}&range.timeZone=Europe/Berlin"
    phases = [
        ("no-op ceiling (Ping)", lambda _: Request("GET", "/v1/analytics:ping", auth)),
        ("tenant overview, 90 days", lambda _: Request("GET", f"/v1/analytics/overview?{window}", auth)),
        (
            "program performance, 90 days",
            lambda i: Request("GET", f"/v1/analytics/programs/program-{i % args.programs}?{window}", auth),
        ),
    ]
    return await run_phases(stack, phases, args)


async def run_report(stack: DevStack, tenant: uuid.UUID, fmt: str) -> tuple[float, pb.ReportRun]:
    """Create an activity report and time `RunReport` (query, render, store, one refused webhook).

    Called on the service's gRPC port with a long deadline: a run that outlasts Envoy's route timeout
    would otherwise show up as a 504 and no figure.
    """
    metadata = (("authorization", f"Bearer {token(stack, tenant)}"),)
    port = stack.services["analytics"].grpc_port
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = pb_grpc.AnalyticsServiceStub(channel)
        created = await stub.CreateReport(
            pb.CreateReportRequest(
                report=pb.Report(
                    title=f"Bench activity {fmt}",
                    type=pb.REPORT_TYPE_ACTIVITY,
                    format=f"REPORT_FORMAT_{fmt}",
                    period_days=7,
                    schedule=pb.ReportSchedule(frequency=pb.FREQUENCY_MANUAL),
                    recipients=[pb.Recipient(webhook_url="http://127.0.0.1:9/hook", webhook_secret="x")],  # noqa: S106,
                )
            ),
            metadata=metadata,
        )
        started = time.perf_counter()
        ran = await stub.RunReport(
            pb.RunReportRequest(report_id=created.report_id), metadata=metadata, timeout=600
        )
        return time.perf_counter() - started, ran


async def run(stack: DevStack, args: argparse.Namespace) -> None:
    """Generate, derive, measure, print."""
    app_url = stack.services["analytics"].database.app_url
    tenant, report_tenant = uuid.uuid4(), uuid.uuid4()
    started = time.perf_counter()
    await copy_facts(app_url, tenant, args, args.facts, args.days)
    for _ in range(args.other_tenants):
        await copy_facts(app_url, uuid.uuid4(), args, args.facts // 10, args.days)
    # The report tenant: --report-rows facts in the seven days before today (UTC): a 7-day report's period.
    today = NOW.replace(hour=0)
    await copy_facts(app_url, report_tenant, args, args.report_rows, 6.99, today)
    generated = time.perf_counter() - started
    await derive(app_url, tenant, args)
    derived = time.perf_counter() - started - generated
    results = await dashboards(stack, tenant, args)
    print(report(results, results[0]), flush=True)
    reports = {fmt: await run_report(stack, report_tenant, fmt) for fmt in ("CSV", "XLSX")}
    print(
        f"\nanalytics through Envoy: {args.facts:,} facts in the measured tenant over {args.days:.0f} days "
        f"({args.learners:,} learners, {args.courses} courses, {args.programs} programs), "
        f"{args.other_tenants} "
        f"other tenants of {args.facts // 10:,} facts; concurrency {args.concurrency}, "
        f"{args.seconds:.0f} s per "
        f"phase; generation {generated:.0f} s, derivation {derived:.0f} s\n"
    )
    print(report(results, results[0]))
    for fmt, (seconds, body) in reports.items():
        print(
            f"\nactivity report {fmt}: {body.row_count} rows in {seconds:.2f} s "
            "(run now: query, render, "
            f"store, one webhook attempt); state {body.state}"
        )
    print(json.dumps({"facts": args.facts, "generated_s": round(generated), "derived_s": round(derived)}))


def main() -> None:
    """Parse flags, start a throwaway stack, run."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--facts", type=int, default=10_000_000, help="facts in the measured tenant")
    parser.add_argument("--other-tenants", type=int, default=2, help="other tenants with facts/10 facts each")
    parser.add_argument("--learners", type=int, default=20_000)
    parser.add_argument("--courses", type=int, default=200)
    parser.add_argument("--programs", type=int, default=20)
    parser.add_argument("--days", type=float, default=365.0, help="days the facts are spread over")
    parser.add_argument("--report-rows", type=int, default=100_000, help="facts in the report tenant's week")
    add_stack_arguments(parser, concurrency=4)
    args = parser.parse_args()
    with running_stack(args.replicas) as stack:
        asyncio.run(run(stack, args))


if __name__ == "__main__":
    main()
