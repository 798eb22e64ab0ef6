"""All SQL for the learners' completed courses, as the progress service announced them."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Protocol

from sqlalchemy import delete, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from aigym_platform.identity import TenantId
from aigym_programs.tables import LearnerCourseCompletionRow


class CompletionLedger(Protocol):
    """Which courses each learner of the tenant has completed."""

    async def lock_learners(self, learner_ids: Iterable[str]) -> None:
        """Serialise this transaction with every other one that reads or writes these learners' progress
        (held until commit or rollback)."""

    async def record(self, learner_id: str, course_id: str, completed_at: dt.datetime) -> None:
        """Remember a completion (a repeated one keeps the first time)."""

    async def remove(self, learner_id: str, course_id: str) -> None:
        """Forget a completion (the course was reset)."""

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

    async def record(self, learner_id: str, course_id: str, completed_at: dt.datetime) -> None:
        """Remember a completion (a repeated one keeps the first time)."""
        await self._session.execute(
            insert(LearnerCourseCompletionRow)
            .values(
                tenant_id=self._tenant, learner_id=learner_id, course_id=course_id, completed_at=completed_at
            )
            .on_conflict_do_nothing()
        )

    async def remove(self, learner_id: str, course_id: str) -> None:
        """Forget a completion (the course was reset)."""
        await self._session.execute(
            delete(LearnerCourseCompletionRow).where(
                LearnerCourseCompletionRow.tenant_id == self._tenant,
                LearnerCourseCompletionRow.learner_id == learner_id,
                LearnerCourseCompletionRow.course_id == course_id,
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
            )
        )
        courses: dict[str, set[str]] = defaultdict(set)
        for learner_id, course_id in rows:
            courses[learner_id].add(course_id)
        return {learner: frozenset(ids) for learner, ids in courses.items()}
