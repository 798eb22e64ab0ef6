"""Parsed course structures by (tenant, course, revision), shared by the read paths of one process.

Sound because a committed revision is immutable and never deleted: `update_structure` only appends a
new revision, and nothing in this service deletes one. Only committed revisions may enter the cache, so
the transaction that writes a revision never reads through it (it may still roll back).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Protocol

from aigym_platform.identity import TenantId
from aigym_progress.structure import CourseStructure


class StructureSource(Protocol):
    """The repository call the cache fronts."""

    async def get_structure(self, course_id: str, revision: int) -> CourseStructure | None:
        """One revision of a course's structure, or None."""


class RevisionCache:
    """A bounded LRU of committed course revisions (a miss reads the repository)."""

    def __init__(self, capacity: int = 4096) -> None:
        self._capacity = capacity
        self._items: OrderedDict[tuple[TenantId, str, int], CourseStructure] = OrderedDict()

    async def get(
        self, source: StructureSource, tenant: TenantId, course_id: str, revision: int
    ) -> CourseStructure | None:
        """The committed revision `revision` of the course (None when it does not exist)."""
        key = (tenant, course_id, revision)
        structure = self._items.get(key)
        if structure is not None:
            self._items.move_to_end(key)
            return structure
        structure = await source.get_structure(course_id, revision)
        if structure is not None:
            self._items[key] = structure
            if len(self._items) > self._capacity:
                self._items.popitem(last=False)
        return structure

    def peek(self, tenant: TenantId, course_id: str, revision: int) -> CourseStructure | None:
        """The revision if it is cached (None otherwise; nothing is read)."""
        key = (tenant, course_id, revision)
        structure = self._items.get(key)
        if structure is not None:
            self._items.move_to_end(key)
        return structure

    def __len__(self) -> int:
        return len(self._items)
