"""Bulk progress data for the progress benchmark, written straight into the progress database.

Course structures are created through the API (so revisions and audit are real); learners' progress is
generated as rows and written as the service's app role under the tenant's row-level security: COPY into a
temporary table, then one INSERT ... SELECT per batch (COPY cannot write through row-level security), with
a progress line. Each learner works on `courses_per_learner` courses of `BLOCKS` required blocks; every
block has two completions (a first try, then the best value), so a learner-course holds 2 x BLOCKS
completion records, BLOCKS block states and one course progress row, consistent with the service's rules.
`python -m bench.progress_data --help` runs it against any progress database.
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

BLOCKS = 10
BATCH = 20_000
COMPLETION_COLUMNS = (
    "tenant_id", "completion_id", "learner_id", "course_id", "block_id", "value", "course_revision",
    "attempt", "applied", "block_completed", "course_completed", "create_time", "recorded_by",
)  # fmt: skip
BLOCK_COLUMNS = ("tenant_id", "learner_id", "course_id", "attempt", "block_id", "value", "update_time")
PROGRESS_COLUMNS = (
    "tenant_id", "learner_id", "course_id", "attempt", "course_revision", "state", "percent",
    "completed_blocks", "total_blocks", "completed_required_blocks", "required_blocks", "start_time",
    "last_activity_time", "complete_time",
)  # fmt: skip
TABLES = {
    "completions": COMPLETION_COLUMNS,
    "block_progress": BLOCK_COLUMNS,
    "course_progress": PROGRESS_COLUMNS,
}


def block_ids() -> list[str]:
    """The blocks of every benchmark course."""
    return [f"b{i:02d}" for i in range(BLOCKS)]


def learner_courses(learner_index: int, courses: Sequence[str], per_learner: int) -> list[str]:
    """The courses learner number `learner_index` works on (a stable rotation)."""
    return [courses[(learner_index + j) % len(courses)] for j in range(min(per_learner, len(courses)))]


def rows(
    tenant: uuid.UUID, learners: Sequence[str], courses: Sequence[str], per_learner: int, seed: int = 11
) -> Iterator[tuple[str, tuple[object, ...]]]:
    """(table, row) for every learner-course: 2 completions and 1 state per block, 1 progress row."""
    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC)
    for index, learner in enumerate(learners):
        for course in learner_courses(index, courses, per_learner):
            start = now - dt.timedelta(days=rng.randint(1, 200), seconds=rng.randint(0, 86_400))
            done = rng.randint(0, BLOCKS)
            at = start
            for position, block in enumerate(block_ids()):
                complete = position < done
                for value in (0.5, 1.0) if complete else (0.2, 0.5):
                    at += dt.timedelta(minutes=rng.randint(1, 30))
                    yield (
                        "completions",
                        (tenant, uuid.uuid4(), learner, course, block, value, 1, 1, True,
                         complete and value == 1.0, False, at, learner),
                    )  # fmt: skip
                yield "block_progress", (tenant, learner, course, 1, block, 1.0 if complete else 0.5, at)
            percent = round(100.0 * (done + 0.5 * (BLOCKS - done)) / BLOCKS, 4)
            finished = done == BLOCKS
            yield (
                "course_progress",
                (tenant, learner, course, 1, 1, "completed" if finished else "in_progress", percent, done,
                 BLOCKS, done, BLOCKS, start, at, at if finished else None),
            )  # fmt: skip


async def copy_progress(
    app_url: str, tenant: uuid.UUID, learners: Sequence[str], courses: Sequence[str], per_learner: int
) -> int:
    """COPY the rows in batches (one transaction each, tenant set for RLS); return the completions written."""
    total = len(learners) * min(per_learner, len(courses)) * BLOCKS * 2
    conn = await asyncpg.connect(app_url)
    written = 0
    try:
        source = rows(tenant, learners, courses, per_learner)
        while True:
            batch: dict[str, list[tuple[object, ...]]] = {name: [] for name in TABLES}
            for table, row in source:
                batch[table].append(row)
                if table == "course_progress" and len(batch["completions"]) >= BATCH:
                    break
            if not batch["completions"]:
                break
            async with conn.transaction():
                await conn.execute("SELECT set_config('app.tenant_id', $1, true)", str(tenant))
                for table, columns in TABLES.items():
                    await copy_through_rls(conn, table, columns, batch[table])
            written += len(batch["completions"])
            progress(f"copying completions {str(tenant)[:8]}", min(written, total), total)
    finally:
        await conn.close()
    return written


def main() -> None:
    """Generate progress for courses that already have a structure of BLOCKS blocks `b00`..."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True, help="the progress database as its app role")
    parser.add_argument("--tenant", type=uuid.UUID, required=True)
    parser.add_argument("--courses", nargs="+", required=True, help="course ids (structures must exist)")
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument("--courses-per-learner", type=int, default=5)
    args = parser.parse_args()
    learners = [f"learner-{i:05d}" for i in range(1, args.learners + 1)]
    asyncio.run(
        copy_progress(args.database_url, args.tenant, learners, args.courses, args.courses_per_learner)
    )


if __name__ == "__main__":
    main()
