"""`make bench`: run every benchmark under bench/ in turn (each prints its own table)."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

BENCHMARKS = [
    "bench.programs_api",
    "bench.achievements_latency",
    "bench.analytics_bench",
    "bench.report_render",
    "bench.calendar_api",
    "bench.progress_api",
]


def main() -> None:
    root = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(root))
    for module in BENCHMARKS:
        print(f"== {module} ==", flush=True)
        sys.argv = [module, *sys.argv[1:]]
        runpy.run_module(module, run_name="__main__")


if __name__ == "__main__":
    main()
