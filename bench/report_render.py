"""Report rendering benchmark: a 100,000-row activity table as CSV, as XLSX with the service's streaming
writer, and as XLSX with openpyxl's write-only mode (the writer the service used before), in one run.

No servers: this times only the rendering step of a report run (the analytics benchmark times the whole
`:run`, query and storage included). Rows look like the activity report's (UTC time, learner, kind,
course, program, block, completed, score). Prints seconds per format, microseconds per row and the ratio
of openpyxl to the streaming writer.

    .venv/bin/python -m bench.report_render --rows 100000 --repeat 3
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import random
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from aigym_analytics.rendering import Table, to_csv, to_xlsx

COLUMNS = ["time", "learner_id", "kind", "course_id", "program_id", "block_id", "completed", "score"]


def activity_rows(count: int, seed: int) -> list[tuple[Any, ...]]:
    """Rows shaped like the activity report's: 2,000 learners, 200 courses, 20 programs, 2,000 blocks."""
    rng = random.Random(seed)
    learners = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(2_000)]
    courses = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(200)]
    programs = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(20)]
    blocks = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(2_000)]
    start = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
    rows = []
    for i in range(count):
        kind = "block" if rng.random() < 0.94 else "course"
        rows.append(
            (
                start + dt.timedelta(seconds=i * 6, microseconds=rng.randrange(1_000_000)),
                rng.choice(learners),
                kind,
                rng.choice(courses),
                rng.choice(programs),
                rng.choice(blocks) if kind == "block" else None,
                rng.random() < 0.8,
                round(rng.random() * 100, 1) if kind == "block" else None,
            )
        )
    return rows


def openpyxl_write_only(table: Table) -> bytes:
    """The previous renderer: openpyxl write-only (aware datetimes as ISO text, as it did)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=table.title[:31] or "Report")
    sheet.freeze_panes = "A2"
    sheet.append(table.columns)
    for row in table.rows:
        sheet.append([v.isoformat() if isinstance(v, dt.datetime) and v.tzinfo else v for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def timed(render: Callable[[Table], bytes], table: Table, repeat: int) -> tuple[float, int]:
    """Best wall time of `repeat` renderings and the output size."""
    best, size = float("inf"), 0
    for _ in range(repeat):
        started = time.perf_counter()
        size = len(render(table))
        best = min(best, time.perf_counter() - started)
    return best, size


def main(argv: Sequence[str] | None = None) -> None:
    """Parse flags, render, print a table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the activity table")
    parser.add_argument("--repeat", type=int, default=3, help="renderings per format (best is reported)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    table = Table("Activity export", COLUMNS, activity_rows(args.rows, args.seed))
    load = os.getloadavg()
    results = {
        "CSV": timed(to_csv, table, args.repeat),
        "XLSX, streaming writer": timed(to_xlsx, table, args.repeat),
        "XLSX, openpyxl write-only": timed(openpyxl_write_only, table, args.repeat),
    }
    print(
        f"\n{args.rows:,} rows, best of {args.repeat}, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    print("| format | seconds | us per row | size (bytes) |\n| --- | ---: | ---: | ---: |")
    for name, (seconds, size) in results.items():
        print(f"| {name} | {seconds:.2f} | {seconds / args.rows * 1e6:.1f} | {size:,} |")
    ratio = results["XLSX, openpyxl write-only"][0] / results["XLSX, streaming writer"][0]
    print(f"\nopenpyxl / streaming writer: {ratio:.1f}x")


if __name__ == "__main__":
    main()
