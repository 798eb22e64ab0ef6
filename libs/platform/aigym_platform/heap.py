"""The cyclic garbage collector in long-running servers: freeze what startup built, and time every pause.

A full (generation 2) collection walks every object the process tracks. A service holds ~100,000 of them
after startup (modules, SQLAlchemy metadata, protobuf descriptors), so each full collection stopped its one
event loop for ~60 ms; under benchmark load the progress server ran one every 15-20 s, which every call in
flight then waited out (the slowest ~0.1 % of calls; docs/benchmarks.md). `freeze_startup_heap` moves
everything alive once the server is ready into the permanent generation (`gc.freeze`), so later collections
walk only what requests and caches created since (~4 ms each). Objects stay freed by reference counting
as before; only startup garbage in reference cycles is collected first, since a frozen cycle never is.

`observe_gc_pauses` reports each collection's duration by generation to Prometheus, so an operator sees
the pauses (and whether freezing is on) instead of guessing from latency tails.
"""

from __future__ import annotations

import gc
import time
from typing import Any

from prometheus_client import Histogram

GC_PAUSE = Histogram(
    "aigym_python_gc_pause_seconds",
    "Duration of the cyclic garbage collector's collections, by generation",
    ["generation"],
    buckets=(0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25),
)

_started: list[float] = []


def _time_collection(phase: str, info: dict[str, Any]) -> None:
    if phase == "start":
        _started.append(time.perf_counter())
    elif _started:
        GC_PAUSE.labels(str(info.get("generation", ""))).observe(time.perf_counter() - _started.pop())


def observe_gc_pauses() -> None:
    """Time every collection into `aigym_python_gc_pause_seconds` (idempotent)."""
    if _time_collection not in gc.callbacks:
        gc.callbacks.append(_time_collection)


def freeze_startup_heap() -> int:
    """Collect startup's garbage, then exempt every surviving object from later collections; return how many
    objects were frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def settle_heap(freeze: bool) -> int:
    """What every long-running process does once it is ready to work: time collections, and freeze what
    startup built when `freeze` (the `gc_freeze` setting); return how many objects were frozen."""
    observe_gc_pauses()
    return freeze_startup_heap() if freeze else 0
