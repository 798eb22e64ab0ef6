"""The progress service's hottest reads as direct reads (`aigym_platform.direct_reads`): one statement on
the process's own asyncpg connections, without a session or the ORM.

Only reads that are one statement and need nothing else from the database take this path; the service
falls back to a read unit otherwise (a manager's read needs the directory; an uncached course revision
needs its structure; a manager's roster is bounded by their team in the directory, and an empty page needs
to know whether the course exists).
"""

from __future__ import annotations

from aigym_platform.direct_reads import DirectReader
from aigym_platform.identity import TenantId
from aigym_progress import repository_statements as statements
from aigym_progress.domain import CourseProgress, Ordering, ProgressState
from aigym_progress.repository import (
    ProgressSnapshot,
    RosterCursor,
    progress_snapshot,
    roster_entry,
    roster_query,
)


class ProgressHotReads:
    """A learner's progress in a course and an admin's roster pages, read directly."""

    def __init__(self, reader: DirectReader) -> None:
        self._reader = reader

    async def read_progress(
        self, tenant: TenantId, learner_id: str, course_id: str
    ) -> ProgressSnapshot | None:
        """Like `ProgressRepository.read_progress`: the same statement, the same snapshot."""
        row = await self._reader.fetchrow(tenant, statements.READ_PROGRESS, tenant, learner_id, course_id)
        return progress_snapshot(row, learner_id, course_id)

    async def list_roster(
        self,
        tenant: TenantId,
        course_id: str,
        state: ProgressState | None,
        ordering: Ordering,
        after: RosterCursor | None,
        limit: int,
    ) -> list[CourseProgress]:
        """Like `ProgressRepository.list_roster` without a team: the same statement, the same entries."""
        sql, values = roster_query(tenant, course_id, state, ordering, after, limit)
        return [roster_entry(row) for row in await self._reader.fetch(tenant, sql, *values)]
