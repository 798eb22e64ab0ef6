"""All SQL of the progress service's progress storage; every query runs in a tenant-scoped unit of work (RLS
checks again).

One repository for the service layer (`ProgressRepository`, implemented by `SqlProgressRepository` and by
the unit tests' fake), written by concern:

- `structures`: courses and their structure revisions (`LockMode`);
- `learner_progress`: a learner's progress row, block states, snapshot reads and resets (`ProgressSnapshot`);
- `completions`: completion records and recording one (`CompletionContext`);
- `listings`: a learner's courses and a course's roster pages (`RosterCursor`), also run by direct reads.

Sessions and time on task are in `session_repository.py`, the xAPI export's reads in `export_repository.py`.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from aigym_platform.identity import TenantId
from aigym_progress.repository.completions import (
    CompletionContext,
    CompletionRecords,
    SqlCompletionRecords,
    completion_from_row,
)
from aigym_progress.repository.learner_progress import (
    LearnerProgress,
    ProgressSnapshot,
    SqlLearnerProgress,
    progress_snapshot,
)
from aigym_progress.repository.listings import (
    ProgressListings,
    RosterCursor,
    SqlProgressListings,
    roster_entry,
    roster_query,
)
from aigym_progress.repository.structures import CourseStructures, LockMode, SqlCourseStructures

__all__ = [
    "CompletionContext",
    "LockMode",
    "ProgressRepository",
    "ProgressSnapshot",
    "RosterCursor",
    "SqlProgressRepository",
    "completion_from_row",
    "progress_snapshot",
    "roster_entry",
    "roster_query",
]


class ProgressRepository(CourseStructures, LearnerProgress, CompletionRecords, ProgressListings, Protocol):
    """What the service layer needs from progress storage (a fake implements the same protocol)."""


class SqlProgressRepository(
    SqlCourseStructures, SqlLearnerProgress, SqlCompletionRecords, SqlProgressListings
):
    """PostgreSQL implementation of ProgressRepository."""

    def __init__(self, session: AsyncSession, tenant_id: TenantId) -> None:
        self._session = session
        self._tenant = tenant_id
