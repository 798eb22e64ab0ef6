"""Learners' progress in a course: the progress row, block states of the attempt, snapshot reads, the
learner's lock, and resets (an archived attempt)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from aigym_platform.identity import TenantId
from aigym_progress import repository_statements as statements
from aigym_progress.domain import CourseProgress, ProgressReset, ProgressState, TimeOnTask
from aigym_progress.structure import BlockState
from aigym_progress.tables import BlockProgressRow, CourseProgressRow, ProgressResetRow


@dataclass(frozen=True)
class ProgressSnapshot:
    """Everything a read of one learner's progress in one course needs, read as one statement."""

    revision: int
    """The course's current structure revision."""
    progress: CourseProgress | None
    """The learner's progress row (time on task included), None if nothing was recorded yet."""
    states: dict[str, BlockState]
    """Live block states of the row's attempt (of attempt 1 without a row), by block id."""
    time_on_task: TimeOnTask | None
    """The learner's stored time on task in the course (None: no session yet)."""


def progress_from_row(
    row: CourseProgressRow | ProgressResetRow | Row[Any],
    time_on_task: TimeOnTask | None = None,
    *,
    learner_id: str | None = None,
    course_id: str | None = None,
) -> CourseProgress:
    """A progress row as the domain's CourseProgress (`learner_id`/`course_id` for rows that lack them)."""
    return CourseProgress(
        learner_id=row.learner_id if learner_id is None else learner_id,
        course_id=row.course_id if course_id is None else course_id,
        attempt=row.attempt,
        course_revision=row.course_revision,
        state=ProgressState(row.state),
        percent=row.percent,
        completed_blocks=row.completed_blocks,
        total_blocks=row.total_blocks,
        completed_required_blocks=row.completed_required_blocks,
        required_blocks=row.required_blocks,
        start_time=row.start_time,
        last_activity_time=row.last_activity_time,
        complete_time=row.complete_time,
        time_on_task=time_on_task,
    )


def _time_on_task(seconds: int | None, algorithm: str | None) -> TimeOnTask | None:
    return TimeOnTask(seconds, algorithm) if seconds is not None and algorithm is not None else None


def progress_snapshot(row: Sequence[Any] | None, learner_id: str, course_id: str) -> ProgressSnapshot | None:
    """A row of `statements.READ_PROGRESS` (a driver record or a SQLAlchemy row, read by position) as the
    snapshot it describes; None for an unknown course (no row, or a course without a revision yet)."""
    if row is None:
        return None
    (revision, attempt, course_revision, state, percent, completed, total, completed_required, required,
     start, last_activity, complete, seconds, algorithm, ids, values, scores, times) = row  # fmt: skip
    if not revision:
        return None
    time_on_task = _time_on_task(seconds, algorithm)
    progress = None
    if attempt is not None:
        progress = CourseProgress(
            learner_id=learner_id,
            course_id=course_id,
            attempt=attempt,
            course_revision=course_revision,
            state=ProgressState(state),
            percent=percent,
            completed_blocks=completed,
            total_blocks=total,
            completed_required_blocks=completed_required,
            required_blocks=required,
            start_time=start,
            last_activity_time=last_activity,
            complete_time=complete,
            time_on_task=time_on_task,
        )
    states = (
        {
            block: BlockState(block, value, score, at)
            for block, value, score, at in zip(ids, values, scores, times, strict=True)
        }
        if ids is not None
        else {}
    )
    return ProgressSnapshot(revision, progress, states, time_on_task)


def learner_lock_key(tenant: TenantId, course_id: str, learner_id: str) -> str:
    """The advisory-lock key of one learner's progress in one course."""
    return f"aigym.progress:{tenant}:{course_id}:{learner_id}"


def progress_values(progress: CourseProgress) -> dict[str, Any]:
    """A CourseProgress as the columns of its progress row (tenant and update time aside)."""
    return {
        "learner_id": progress.learner_id,
        "course_id": progress.course_id,
        "attempt": progress.attempt,
        "course_revision": progress.course_revision,
        "state": progress.state.value,
        "percent": progress.percent,
        "completed_blocks": progress.completed_blocks,
        "total_blocks": progress.total_blocks,
        "completed_required_blocks": progress.completed_required_blocks,
        "required_blocks": progress.required_blocks,
        "start_time": progress.start_time,
        "last_activity_time": progress.last_activity_time,
        "complete_time": progress.complete_time,
    }


def _block_state(row: BlockProgressRow | Row[Any]) -> BlockState:
    return BlockState(row.block_id, row.value, row.score, row.update_time)


# Hot reads built once with bind parameters and run as plain table rows (no ORM identity map or instances).
_CP = CourseProgressRow.__table__.c
_BP = BlockProgressRow.__table__.c
_GET_PROGRESS = select(CourseProgressRow.__table__).where(
    _CP.tenant_id == bindparam("tenant"),
    _CP.learner_id == bindparam("learner_id"),
    _CP.course_id == bindparam("course_id"),
)
_GET_BLOCK_STATES = select(BlockProgressRow.__table__).where(
    _BP.tenant_id == bindparam("tenant"),
    _BP.learner_id == bindparam("learner_id"),
    _BP.course_id == bindparam("course_id"),
    _BP.attempt == bindparam("attempt"),
    _BP.archive_time.is_(None),
)


class LearnerProgress(Protocol):
    """A learner's progress rows and block states in a course, and resets of them."""

    async def lock_learner_course(self, learner_id: str, course_id: str) -> None:
        """Serialise writers of one learner's progress in one course until the transaction ends."""

    async def get_progress(self, learner_id: str, course_id: str) -> CourseProgress | None:
        """The learner's progress row for the course (without per-block detail), or None."""

    async def save_progress(self, progress: CourseProgress) -> None:
        """Insert or replace the learner's progress row for the course."""

    async def get_block_states(self, learner_id: str, course_id: str, attempt: int) -> dict[str, BlockState]:
        """The learner's live (not archived) block states of one attempt, by block id."""

    async def read_progress(self, learner_id: str, course_id: str) -> ProgressSnapshot | None:
        """The course's current revision with the learner's progress, block states and time on task, in
        one statement (one snapshot); None for an unknown course."""

    async def save_block_state(
        self, learner_id: str, course_id: str, attempt: int, state: BlockState
    ) -> None:
        """Insert or replace one block state of one attempt."""

    async def list_course_progress(self, course_id: str) -> list[CourseProgress]:
        """Every learner's progress row for the course (to recompute it against a new revision)."""

    async def course_block_states(self, course_id: str) -> dict[str, dict[str, BlockState]]:
        """Every learner's live block states of their current attempt in the course, by learner and block."""

    async def archive_attempt(
        self, learner_id: str, course_id: str, attempt: int, reset_id: uuid.UUID, at: dt.datetime
    ) -> int:
        """Mark an attempt's block states archived by a reset (kept, never deleted); return how many."""

    async def add_reset(self, reset: ProgressReset) -> None:
        """Store an archived attempt's progress snapshot."""


class SqlLearnerProgress:
    """PostgreSQL implementation of LearnerProgress; one part of SqlProgressRepository (which holds the
    session and tenant)."""

    _session: AsyncSession
    _tenant: TenantId

    async def lock_learner_course(self, learner_id: str, course_id: str) -> None:
        """Serialise writers of one learner's progress in one course until the transaction ends."""
        await self._session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": learner_lock_key(self._tenant, course_id, learner_id)},
        )

    async def get_progress(self, learner_id: str, course_id: str) -> CourseProgress | None:
        """The learner's progress row for the course (without per-block detail), or None."""
        params = {"tenant": self._tenant, "learner_id": learner_id, "course_id": course_id}
        row = (await self._session.execute(_GET_PROGRESS, params)).first()
        return progress_from_row(row) if row else None

    async def save_progress(self, progress: CourseProgress) -> None:
        """Insert or replace the learner's progress row for the course."""
        values = progress_values(progress)
        stmt = insert(CourseProgressRow).values(tenant_id=self._tenant, update_time=func.now(), **values)
        changed = {k: v for k, v in values.items() if k not in ("learner_id", "course_id")}
        await self._session.execute(
            stmt.on_conflict_do_update(
                index_elements=["tenant_id", "learner_id", "course_id"],
                set_={**changed, "update_time": func.now()},
            )
        )

    async def get_block_states(self, learner_id: str, course_id: str, attempt: int) -> dict[str, BlockState]:
        """The learner's live (not archived) block states of one attempt, by block id."""
        params = {
            "tenant": self._tenant,
            "learner_id": learner_id,
            "course_id": course_id,
            "attempt": attempt,
        }
        rows = (await self._session.execute(_GET_BLOCK_STATES, params)).all()
        return {row.block_id: _block_state(row) for row in rows}

    async def read_progress(self, learner_id: str, course_id: str) -> ProgressSnapshot | None:
        """The course's current revision with the learner's progress, block states and time on task, in
        one statement (one snapshot); None for an unknown course."""
        connection = await self._session.connection()
        result = await connection.exec_driver_sql(
            statements.READ_PROGRESS, (self._tenant, learner_id, course_id)
        )
        return progress_snapshot(result.first(), learner_id, course_id)

    async def save_block_state(
        self, learner_id: str, course_id: str, attempt: int, state: BlockState
    ) -> None:
        """Insert or replace one block state of one attempt."""
        stmt = insert(BlockProgressRow).values(
            tenant_id=self._tenant,
            learner_id=learner_id,
            course_id=course_id,
            attempt=attempt,
            block_id=state.block_id,
            value=state.value,
            score=state.score,
            update_time=state.update_time,
        )
        await self._session.execute(
            stmt.on_conflict_do_update(
                index_elements=["tenant_id", "learner_id", "course_id", "attempt", "block_id"],
                set_={"value": state.value, "score": state.score, "update_time": state.update_time},
            )
        )

    async def list_course_progress(self, course_id: str) -> list[CourseProgress]:
        """Every learner's progress row for the course (to recompute it against a new revision)."""
        stmt = (
            select(CourseProgressRow)
            .where(CourseProgressRow.tenant_id == self._tenant, CourseProgressRow.course_id == course_id)
            .order_by(CourseProgressRow.learner_id)
        )
        return [progress_from_row(row) for row in (await self._session.execute(stmt)).scalars()]

    async def course_block_states(self, course_id: str) -> dict[str, dict[str, BlockState]]:
        """Every learner's live block states of their current attempt in the course, by learner and block."""
        stmt = (
            select(BlockProgressRow)
            .join(
                CourseProgressRow,
                (CourseProgressRow.tenant_id == BlockProgressRow.tenant_id)
                & (CourseProgressRow.learner_id == BlockProgressRow.learner_id)
                & (CourseProgressRow.course_id == BlockProgressRow.course_id)
                & (CourseProgressRow.attempt == BlockProgressRow.attempt),
            )
            .where(
                BlockProgressRow.tenant_id == self._tenant,
                BlockProgressRow.course_id == course_id,
                BlockProgressRow.archive_time.is_(None),
            )
        )
        states: dict[str, dict[str, BlockState]] = {}
        for row in (await self._session.execute(stmt)).scalars():
            states.setdefault(row.learner_id, {})[row.block_id] = _block_state(row)
        return states

    async def archive_attempt(
        self, learner_id: str, course_id: str, attempt: int, reset_id: uuid.UUID, at: dt.datetime
    ) -> int:
        """Mark an attempt's block states archived by a reset (kept, never deleted); return how many."""
        result = await self._session.execute(
            update(BlockProgressRow)
            .where(
                BlockProgressRow.tenant_id == self._tenant,
                BlockProgressRow.learner_id == learner_id,
                BlockProgressRow.course_id == course_id,
                BlockProgressRow.attempt == attempt,
                BlockProgressRow.archive_time.is_(None),
            )
            .values(archive_time=at, reset_id=reset_id)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def add_reset(self, reset: ProgressReset) -> None:
        """Store an archived attempt's progress snapshot."""
        self._session.add(
            ProgressResetRow(
                tenant_id=self._tenant,
                reset_id=reset.reset_id,
                reason=reset.reason,
                reset_by=reset.reset_by,
                reset_time=reset.reset_time,
                **progress_values(reset.archived),
            )
        )
        await self._session.flush()
