"""The revision cache: reads a revision once per (tenant, course, revision), evicts the least recently used,
never caches a miss."""

from __future__ import annotations

import datetime as dt
import uuid

from aigym_platform.identity import TenantId
from aigym_progress.revision_cache import RevisionCache
from aigym_progress.structure import Block, BlockType, CourseStructure

WHEN = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


class CountingSource:
    def __init__(self) -> None:
        self.revisions: dict[tuple[str, int], CourseStructure] = {}
        self.reads: list[tuple[str, int]] = []

    async def get_structure(self, course_id: str, revision: int) -> CourseStructure | None:
        self.reads.append((course_id, revision))
        return self.revisions.get((course_id, revision))

    def add(self, course_id: str, revision: int) -> CourseStructure:
        blocks = (Block(f"b{revision}", BlockType.VIDEO, 1.0, True, None),)
        structure = CourseStructure(course_id, revision, blocks, WHEN, "admin")
        self.revisions[(course_id, revision)] = structure
        return structure


async def test_hits_are_served_without_reading_and_keys_include_tenant_and_revision() -> None:
    source, cache = CountingSource(), RevisionCache()
    tenant, other = TenantId(uuid.uuid4()), TenantId(uuid.uuid4())
    first, second = source.add("c", 1), source.add("c", 2)

    assert await cache.get(source, tenant, "c", 1) is first
    assert await cache.get(source, tenant, "c", 1) is first
    assert await cache.get(source, tenant, "c", 2) is second
    assert await cache.get(source, other, "c", 1) is first
    assert source.reads == [("c", 1), ("c", 2), ("c", 1)]


async def test_a_missing_revision_is_read_again_until_it_exists() -> None:
    source, cache = CountingSource(), RevisionCache()
    tenant = TenantId(uuid.uuid4())

    assert await cache.get(source, tenant, "c", 3) is None
    structure = source.add("c", 3)  # committed later
    assert await cache.get(source, tenant, "c", 3) is structure
    assert source.reads == [("c", 3), ("c", 3)]


async def test_least_recently_used_entries_are_evicted_at_capacity() -> None:
    source, cache = CountingSource(), RevisionCache(capacity=2)
    tenant = TenantId(uuid.uuid4())
    for revision in (1, 2, 3):
        source.add("c", revision)

    await cache.get(source, tenant, "c", 1)
    await cache.get(source, tenant, "c", 2)
    await cache.get(source, tenant, "c", 1)  # 1 is now the most recent
    await cache.get(source, tenant, "c", 3)  # evicts 2
    assert len(cache) == 2
    source.reads.clear()
    await cache.get(source, tenant, "c", 1)
    await cache.get(source, tenant, "c", 2)
    assert source.reads == [("c", 2)]
