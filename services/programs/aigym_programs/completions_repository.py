"""All SQL for the learners' completed courses, as the progress service announced them."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Protocol

from sqlalchemy import case, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from aigym_platform.identity import TenantId
from aigym_programs.tables import LearnerCourseCompletionRow


class CompletionLedger(Protocol):
    """Which courses each learner of the tenant has completed."""

    async def lock_learners(self, learner_ids: Iterable[str]) -> None:
        """Serialise this transaction with every other one that reads or writes these learners' progress
        (held until commit or rollback)."""

    async def record(
        self, learner_id: str, course_id: str, completed_at: dt.datetime, attempt: int = 0
    ) -> None:
        """Remember a completion of `attempt` (a repeated one keeps the first time; one of an attempt older
        than what is known, a late event from before a reset, changes nothing)."""

    async def remove(
        self, learner_id: str, course_id: str, attempt: int = 0, at: dt.datetime | None = None
    ) -> None:
        """Forget a completion: the course was reset and `attempt` starts (an older reset changes nothing)."""

    async def courses_of(self, learner_ids: Iterable[str]) -> dict[str, frozenset[str]]:
        """Completed course ids per learner (learners without any are absent)."""


class SqlCompletionLedger:
    """PostgreSQL implementation of CompletionLedger."""

    def __init__(self, session: AsyncSession, tenant_id: TenantId) -> None:
        self._session = session
        self._tenant = tenant_id

    async def lock_learners(self, learner_ids: Iterable[str]) -> None:
        """Serialise this transaction with every other one that reads or writes these learners' progress
        (held until commit or rollback)."""
        keys = sorted({f"{self._tenant}:{learner}" for learner in learner_ids})
        if keys:
            # Sorted, so two transactions locking overlapping sets cannot deadlock.
            await self._session.execute(
                text(
                    "SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0)))"
                    " FROM (SELECT unnest(CAST(:keys AS text[])) AS k ORDER BY 1) AS ordered"
                ),
                {"keys": keys},
            )

    async def record(
        self, learner_id: str, course_id: str, completed_at: dt.datetime, attempt: int = 0
    ) -> None:
        """Remember a completion of `attempt` (a repeated one keeps the first time; one of an attempt older
        than what is known, a late event from before a reset, changes nothing)."""
        await self._write(learner_id, course_id, completed_at, attempt, completed=True)

    async def remove(
        self, learner_id: str, course_id: str, attempt: int = 0, at: dt.datetime | None = None
    ) -> None:
        """Forget a completion: the course was reset and `attempt` starts (an older reset changes nothing)."""
        when = at or dt.datetime.now(dt.UTC)
        await self._write(learner_id, course_id, when, attempt, completed=False)

    async def _write(
        self, learner_id: str, course_id: str, when: dt.datetime, attempt: int, *, completed: bool
    ) -> None:
        row = LearnerCourseCompletionRow.__table__.c
        stmt = insert(LearnerCourseCompletionRow).values(
            tenant_id=self._tenant,
            learner_id=learner_id,
            course_id=course_id,
            completed_at=when,
            attempt=attempt,
            completed=completed,
        )
        kept_time = case(
            (row.completed & stmt.excluded.completed, row.completed_at), else_=stmt.excluded.completed_at
        )
        await self._session.execute(
            stmt.on_conflict_do_update(
                index_elements=["tenant_id", "learner_id", "course_id"],
                set_={"completed": completed, "attempt": attempt, "completed_at": kept_time},
                where=stmt.excluded.attempt >= row.attempt,
            )
        )

    async def courses_of(self, learner_ids: Iterable[str]) -> dict[str, frozenset[str]]:
        """Completed course ids per learner (learners without any are absent)."""
        wanted = sorted(set(learner_ids))
        if not wanted:
            return {}
        rows = await self._session.execute(
            select(LearnerCourseCompletionRow.learner_id, LearnerCourseCompletionRow.course_id).where(
                LearnerCourseCompletionRow.tenant_id == self._tenant,
                LearnerCourseCompletionRow.learner_id.in_(wanted),
                LearnerCourseCompletionRow.completed,
            )
        )
        courses: dict[str, set[str]] = defaultdict(set)
        for learner_id, course_id in rows:
            courses[learner_id].add(course_id)
        return {learner: frozenset(ids) for learner, ids in courses.items()}
