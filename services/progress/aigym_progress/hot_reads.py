"""The progress service's hottest reads as direct reads (`aigym_platform.direct_reads`): one statement on
the process's own asyncpg connections, without a session or the ORM.

Only reads that are one statement and need nothing else from the database take this path; the service
falls back to a read unit otherwise (a manager's read needs the directory; an uncached course revision
needs its structure).
"""

from __future__ import annotations

from aigym_platform.direct_reads import DirectReader
from aigym_platform.identity import TenantId
from aigym_progress import repository_statements as statements
from aigym_progress.repository import ProgressSnapshot, progress_snapshot


class ProgressHotReads:
    """A learner's progress in a course, read directly."""

    def __init__(self, reader: DirectReader) -> None:
        self._reader = reader

    async def read_progress(
        self, tenant: TenantId, learner_id: str, course_id: str
    ) -> ProgressSnapshot | None:
        """Like `ProgressRepository.read_progress`: the same statement, the same snapshot."""
        row = await self._reader.fetchrow(tenant, statements.READ_PROGRESS, tenant, learner_id, course_id)
        return progress_snapshot(row, learner_id, course_id)
