"""Bulk enrolment data for the programs benchmark, written straight into the programs database.

Programs are created and published through the API (so versions and audit are real); enrolments are
generated as rows (learners x programs, with realistic states, dates and progress) and written as the
service's app role under the tenant's row-level security: COPY into a temporary table, then one
INSERT ... SELECT per batch (COPY cannot write through row-level security), with a progress line.
`python -m bench.programs_data --help` runs it against any programs database.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import uuid
from collections.abc import Iterator, Sequence

import asyncpg

from bench.harness import copy_through_rls, progress

COLUMNS = (
    "tenant_id",
    "enrollment_id",
    "program_id",
    "learner_id",
    "state",
    "program_version",
    "source",
    "start_time",
    "due_time",
    "end_time",
    "progress",
    "completed_course_ids",
    "reached_milestones",
    "create_time",
    "complete_time",
)
BATCH = 10_000


def learner_ids(count: int) -> list[str]:
    """Stable learner ids `learner-00001`..."""
    return [f"learner-{i:05d}" for i in range(1, count + 1)]


def enrollment_rows(
    tenant: uuid.UUID, programs: Sequence[str], learners: Sequence[str], total: int, seed: int = 7
) -> Iterator[tuple[object, ...]]:
    """`total` enrolments spread evenly over learners, each learner in distinct programs."""
    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC)
    per_learner = max(1, total // len(learners))
    produced = 0
    for learner in learners:
        for program in rng.sample(list(programs), min(per_learner, len(programs))):
            if produced >= total:
                return
            start = now - dt.timedelta(days=rng.randint(0, 365))
            roll = rng.random()
            state = "completed" if roll < 0.3 else "withdrawn" if roll < 0.35 else "active"
            fraction = 1.0 if state == "completed" else round(rng.random(), 4)
            yield (
                tenant,
                uuid.uuid4(),
                uuid.UUID(program),
                learner,
                state,
                1,
                "admin",
                start,
                start + dt.timedelta(days=90),
                start + dt.timedelta(days=365),
                fraction,
                [],
                [],
                start,
                start + dt.timedelta(days=rng.randint(1, 90)) if state == "completed" else None,
            )
            produced += 1


async def copy_enrollments(
    app_url: str, tenant: uuid.UUID, programs: Sequence[str], learners: Sequence[str], total: int
) -> int:
    """COPY the rows in batches (one transaction each, tenant set for RLS); return how many were written."""
    conn = await asyncpg.connect(app_url)
    written = 0
    try:
        rows = enrollment_rows(tenant, programs, learners, total)
        while True:
            batch = [row for _, row in zip(range(BATCH), rows, strict=False)]
            if not batch:
                break
            async with conn.transaction():
                await conn.execute("SELECT set_config('app.tenant_id', $1, true)", str(tenant))
                await copy_through_rls(conn, "enrollments", COLUMNS, batch)
            written += len(batch)
            progress("copying enrolments", written, total)
    finally:
        await conn.close()
    return written


def main() -> None:
    """Generate enrolments for existing published programs (ids from --programs-file, one per line)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True, help="the programs database as its app role")
    parser.add_argument("--tenant", type=uuid.UUID, required=True)
    parser.add_argument("--programs-file", required=True, help="published program ids, one per line")
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument("--enrollments", type=int, default=100_000)
    args = parser.parse_args()
    with open(args.programs_file) as handle:
        programs = [line.strip() for line in handle if line.strip()]
    asyncio.run(
        copy_enrollments(
            args.database_url, args.tenant, programs, learner_ids(args.learners), args.enrollments
        )
    )


if __name__ == "__main__":
    main()
