"""The garbage collector settings every server applies once it is ready."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from aigym_platform.heap import GC_PAUSE, freeze_startup_heap, observe_gc_pauses, settle_heap


@pytest.fixture
def thawed() -> Iterator[None]:
    """Leave the test process's collector as it was found."""
    callbacks = list(gc.callbacks)
    yield
    gc.unfreeze()
    gc.callbacks[:] = callbacks


def _observed(generation: int) -> float:
    for metric in GC_PAUSE.collect():
        for sample in metric.samples:
            if sample.name.endswith("_count") and sample.labels == {"generation": str(generation)}:
                return sample.value
    return 0.0


@pytest.mark.usefixtures("thawed")
def test_freezing_takes_live_objects_out_of_full_collections() -> None:
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    kept = [[] for _ in range(1_000)]  # objects the collector tracks, alive through the freeze
    frozen = freeze_startup_heap()
    assert frozen == gc.get_freeze_count() >= len(kept)
    collectable = {id(obj) for generation in range(3) for obj in gc.get_objects(generation)}
    assert not collectable & {id(obj) for obj in kept}


@pytest.mark.usefixtures("thawed")
def test_every_collection_is_timed_by_generation() -> None:
    observe_gc_pauses()
    observe_gc_pauses()  # idempotent: one callback, one observation per collection
    before = (_observed(0), _observed(2))
    gc.collect(0)
    gc.collect(2)
    assert (_observed(0), _observed(2)) == (before[0] + 1, before[1] + 1)


@pytest.mark.usefixtures("thawed")
def test_settling_freezes_only_when_the_setting_says_so() -> None:
    gc.unfreeze()
    assert settle_heap(freeze=False) == 0
    assert gc.get_freeze_count() == 0
    assert settle_heap(freeze=True) == gc.get_freeze_count() > 0
