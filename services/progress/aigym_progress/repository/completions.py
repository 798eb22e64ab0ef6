"""Completion records and what recording one reads and writes under the learner's locks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from aigym_platform.identity import TenantId
from aigym_progress import repository_statements as statements
from aigym_progress.domain import Completion, CourseProgress, TimeOnTask
from aigym_progress.repository.learner_progress import learner_lock_key, progress_from_row, progress_values
from aigym_progress.structure import BlockState
from aigym_progress.tables import CompletionRow


@dataclass(frozen=True)
class CompletionContext:
    """What recording a completion reads once its locks are held."""

    progress: CourseProgress | None
    """The learner's progress row, None if nothing was recorded yet."""
    states: dict[str, BlockState]
    """Live block states of the row's attempt (of attempt 1 without a row), by block id."""
    existing: Completion | None
    """The completion already recorded under the request id, if any."""


def _joined_progress(
    row: Row[Any], learner_id: str, course_id: str, time_on_task: TimeOnTask | None = None
) -> CourseProgress | None:
    """The progress columns of a joined row (`attempt` NULL: no progress row)."""
    if row.attempt is None:
        return None
    return progress_from_row(row, time_on_task, learner_id=learner_id, course_id=course_id)


def _joined_states(row: Row[Any]) -> dict[str, BlockState]:
    """Block states from the parallel arrays of a joined row (NULL arrays: none)."""
    if row.block_ids is None:
        return {}
    return {
        block: BlockState(block, value, score, at)
        for block, value, score, at in zip(
            row.block_ids, row.block_values, row.block_scores, row.block_times, strict=True
        )
    }


def completion_from_row(row: CompletionRow) -> Completion:
    """A completions row as the domain object."""
    return Completion(
        completion_id=row.completion_id,
        learner_id=row.learner_id,
        course_id=row.course_id,
        block_id=row.block_id,
        value=row.value,
        score=row.score,
        request_id=row.request_id,
        course_revision=row.course_revision,
        attempt=row.attempt,
        applied=row.applied,
        block_completed=row.block_completed,
        course_completed=row.course_completed,
        create_time=row.create_time,
        recorded_by=row.recorded_by,
    )


class CompletionRecords(Protocol):
    """Completion records, and recording one in as few statements as its locks allow."""

    async def get_completion_by_request_id(self, request_id: str) -> Completion | None:
        """The completion recorded with this idempotency key, or None."""

    async def add_completion(self, completion: Completion) -> bool:
        """Insert a completion record; False if its request id was taken meanwhile (nothing inserted)."""

    async def lock_learner_in_course(self, learner_id: str, course_id: str) -> int | None:
        """Share-lock the course row, then serialise writers of the learner's progress in it (the lock
        order of every writer) until the transaction ends; the current revision, None for an unknown
        course (nothing locked)."""

    async def completion_context(
        self, learner_id: str, course_id: str, request_id: str | None
    ) -> CompletionContext:
        """What recording a completion reads under its locks, in one statement: the progress row, the live
        block states of its attempt (attempt 1 without a row) and the completion of `request_id`."""

    async def save_completion(
        self, progress: CourseProgress, state: BlockState | None, completion: Completion
    ) -> bool:
        """Replace the progress row (and the block state, if given) and insert the completion, in one
        statement; False if the completion's request id was taken meanwhile (the caller rolls back)."""


class SqlCompletionRecords:
    """PostgreSQL implementation of CompletionRecords; one part of SqlProgressRepository (which holds the
    session and tenant)."""

    _session: AsyncSession
    _tenant: TenantId

    async def lock_learner_in_course(self, learner_id: str, course_id: str) -> int | None:
        """Share-lock the course row, then serialise writers of the learner's progress in it (the lock
        order of every writer) until the transaction ends; the current revision, None for an unknown
        course (nothing locked)."""
        params = {
            "tenant": self._tenant,
            "course_id": course_id,
            "key": learner_lock_key(self._tenant, course_id, learner_id),
        }
        revision = (await self._session.execute(statements.LOCK_LEARNER_IN_COURSE, params)).scalar()
        return revision or None

    async def completion_context(
        self, learner_id: str, course_id: str, request_id: str | None
    ) -> CompletionContext:
        """What recording a completion reads under its locks, in one statement: the progress row, the live
        block states of its attempt (attempt 1 without a row) and the completion of `request_id`."""
        params = {
            "tenant": self._tenant,
            "learner_id": learner_id,
            "course_id": course_id,
            "request_id": request_id,
        }
        row = (await self._session.execute(statements.COMPLETION_CONTEXT, params)).one()
        existing = None
        if row.k_completion_id is not None:
            mapping = row._mapping
            existing = Completion(**{c: mapping["k_" + c] for c in statements.COMPLETION_COLUMNS})
        return CompletionContext(_joined_progress(row, learner_id, course_id), _joined_states(row), existing)

    async def save_completion(
        self, progress: CourseProgress, state: BlockState | None, completion: Completion
    ) -> bool:
        """Replace the progress row (and the block state, if given) and insert the completion, in one
        statement; False if the completion's request id was taken meanwhile (the caller rolls back)."""
        params: dict[str, Any] = {"tenant": self._tenant, **progress_values(progress)}
        params.update({"c_" + c: getattr(completion, c) for c in statements.COMPLETION_COLUMNS})
        stmt = statements.SAVE_COMPLETION
        if state is not None:
            stmt = statements.SAVE_COMPLETION_WITH_BLOCK
            params.update(
                block_id=state.block_id,
                block_value=state.value,
                block_score=state.score,
                block_time=state.update_time,
            )
        return (await self._session.execute(stmt, params)).first() is not None

    async def get_completion_by_request_id(self, request_id: str) -> Completion | None:
        """The completion recorded with this idempotency key, or None."""
        stmt = select(CompletionRow).where(
            CompletionRow.tenant_id == self._tenant, CompletionRow.request_id == request_id
        )
        row = (await self._session.execute(stmt)).scalar_one_or_none()
        return completion_from_row(row) if row else None

    async def add_completion(self, completion: Completion) -> bool:
        """Insert a completion record; False if its request id was taken meanwhile (nothing inserted)."""
        stmt = (
            insert(CompletionRow)
            .values(
                tenant_id=self._tenant,
                completion_id=completion.completion_id,
                request_id=completion.request_id,
                learner_id=completion.learner_id,
                course_id=completion.course_id,
                block_id=completion.block_id,
                value=completion.value,
                score=completion.score,
                course_revision=completion.course_revision,
                attempt=completion.attempt,
                applied=completion.applied,
                block_completed=completion.block_completed,
                course_completed=completion.course_completed,
                create_time=completion.create_time,
                recorded_by=completion.recorded_by,
            )
            .on_conflict_do_nothing(index_elements=["tenant_id", "request_id"])
            .returning(CompletionRow.completion_id)
        )
        return (await self._session.execute(stmt)).first() is not None
