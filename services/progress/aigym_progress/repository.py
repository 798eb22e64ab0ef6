"""All SQL of the progress service; every query runs in a tenant-scoped unit of work (RLS checks again)."""

from __future__ import annotations

import datetime as dt
import enum
import functools
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import ColumnElement, String, bindparam, func, literal, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from aigym_platform.direct_reads import DriverStatement
from aigym_platform.identity import TenantId
from aigym_progress import repository_statements as statements
from aigym_progress.directory_repository import team_cte
from aigym_progress.domain import (
    EPOCH,
    Completion,
    CourseProgress,
    Ordering,
    ProgressReset,
    ProgressState,
    RosterOrder,
    TimeOnTask,
)
from aigym_progress.structure import BlockState, CourseStructure, blocks_from_json, blocks_to_json
from aigym_progress.tables import (
    BlockProgressRow,
    CompletionRow,
    CourseProgressRow,
    CourseRevisionRow,
    CourseRow,
    ProgressResetRow,
    TimeOnTaskRow,
)


class LockMode(enum.Enum):
    """How a read of a course row locks it: completions share it, structure revisions take it alone."""

    NONE = "none"
    SHARE = "share"
    UPDATE = "update"


RosterCursor = tuple[Any, str]
"""(sort value, learner id) of the last roster entry of a page."""


@dataclass(frozen=True)
class CompletionContext:
    """What recording a completion reads once its locks are held."""

    progress: CourseProgress | None
    """The learner's progress row, None if nothing was recorded yet."""
    states: dict[str, BlockState]
    """Live block states of the row's attempt (of attempt 1 without a row), by block id."""
    existing: Completion | None
    """The completion already recorded under the request id, if any."""


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


class ProgressRepository(Protocol):
    """What the service layer needs from progress storage (a fake implements the same protocol)."""

    async def current_revision(self, course_id: str, *, lock: LockMode = LockMode.NONE) -> int | None:
        """The course's current structure revision, or None for an unknown course."""

    async def lock_course_for_revision(self, course_id: str) -> int:
        """Lock the course row for a new revision (creating it if new); return its current revision or 0."""

    async def get_structure(self, course_id: str, revision: int) -> CourseStructure | None:
        """One revision of a course's structure, or None."""

    async def add_structure(self, structure: CourseStructure) -> None:
        """Insert a new revision and make it the course's current one."""

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

    async def list_learner_progress(
        self, learner_id: str, state: ProgressState | None, after: tuple[dt.datetime, str] | None, limit: int
    ) -> list[CourseProgress]:
        """A learner's courses, most recent activity first (then course id), strictly after the cursor."""

    async def list_roster(
        self,
        course_id: str,
        state: ProgressState | None,
        ordering: Ordering,
        after: RosterCursor | None,
        limit: int,
        *,
        team_of: str | None = None,
    ) -> list[CourseProgress]:
        """A course's learners in `ordering` (ties: learner id, same direction), strictly after the cursor,
        each with their time on task in the course.

        With `team_of`, only learners reporting to that manager directly or indirectly.
        """


def _progress(
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


def _joined_progress(
    row: Row[Any], learner_id: str, course_id: str, time_on_task: TimeOnTask | None = None
) -> CourseProgress | None:
    """The progress columns of a joined row (`attempt` NULL: no progress row)."""
    if row.attempt is None:
        return None
    return _progress(row, time_on_task, learner_id=learner_id, course_id=course_id)


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


def _learner_key(tenant: TenantId, course_id: str, learner_id: str) -> str:
    """The advisory-lock key of one learner's progress in one course."""
    return f"aigym.progress:{tenant}:{course_id}:{learner_id}"


def _progress_values(progress: CourseProgress) -> dict[str, Any]:
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

_TT = TimeOnTaskRow.__table__.c
_LAST_ACTIVITY = func.coalesce(_CP.last_activity_time, literal(EPOCH))


def _roster_key(key: RosterOrder) -> ColumnElement[Any]:
    if key is RosterOrder.PERCENT:
        return _CP.percent
    if key is RosterOrder.LAST_ACTIVITY:
        return _LAST_ACTIVITY
    return _CP.learner_id


@dataclass(frozen=True)
class _RosterShape:
    """Which clauses a roster page's statement has; each shape's statement is compiled once."""

    state: bool
    team: bool
    key: RosterOrder
    descending: bool
    after: bool


@functools.cache
def _roster_statement(shape: _RosterShape) -> DriverStatement:
    """A roster page's statement as driver SQL: plain table rows with the time on task joined in (no ORM
    instances for a page of 50)."""
    stmt = (
        select(CourseProgressRow.__table__, _TT.seconds, _TT.algorithm)
        .select_from(
            CourseProgressRow.__table__.outerjoin(
                TimeOnTaskRow.__table__,
                (_TT.tenant_id == _CP.tenant_id)
                & (_TT.learner_id == _CP.learner_id)
                & (_TT.course_id == _CP.course_id),
            )
        )
        .where(_CP.tenant_id == bindparam("tenant"), _CP.course_id == bindparam("course_id"))
    )
    if shape.state:
        stmt = stmt.where(_CP.state == bindparam("state"))
    if shape.team:
        team = team_cte(bindparam("tenant"), bindparam("team_of", type_=String))
        stmt = stmt.where(
            _CP.learner_id.in_(select(team.c.learner_id)), _CP.learner_id != bindparam("team_of")
        )
    key = _roster_key(shape.key)
    learner = _CP.learner_id
    if shape.after:
        after_learner = bindparam("after_learner", type_=String)
        if shape.key is RosterOrder.LEARNER:
            position = learner < after_learner if shape.descending else learner > after_learner
        else:
            mine = tuple_(key, learner)
            theirs = tuple_(bindparam("after_value", type_=key.type), after_learner)
            position = mine < theirs if shape.descending else mine > theirs
        stmt = stmt.where(position)
    keys = [learner] if shape.key is RosterOrder.LEARNER else [key, learner]
    stmt = stmt.order_by(*(k.desc() if shape.descending else k.asc() for k in keys))
    return DriverStatement.compile(stmt.limit(bindparam("limit")))


def roster_query(
    tenant: TenantId,
    course_id: str,
    state: ProgressState | None,
    ordering: Ordering,
    after: RosterCursor | None,
    limit: int,
    *,
    team_of: str | None = None,
) -> tuple[str, tuple[Any, ...]]:
    """The driver SQL and parameter values of a roster page: a course's learners in `ordering` (ties:
    learner id, same direction), strictly after the cursor, at most `limit`; with `team_of`, only learners
    reporting to that manager directly or indirectly. Run by the repository and by direct reads alike."""
    shape = _RosterShape(
        state=state is not None,
        team=team_of is not None,
        key=ordering.key,
        descending=ordering.descending,
        after=after is not None,
    )
    params: dict[str, Any] = {
        "tenant": tenant,
        "course_id": course_id,
        "state": state.value if state is not None else None,
        "team_of": team_of,
        "after_value": after[0] if after else None,
        "after_learner": after[1] if after else None,
        "limit": limit,
    }
    statement = _roster_statement(shape)
    return statement.sql, statement.values(params)


def roster_entry(row: Mapping[Any, Any]) -> CourseProgress:
    """A roster row (a driver record, or a SQLAlchemy row's mapping) as the learner's progress."""
    seconds, algorithm = row["seconds"], row["algorithm"]
    return CourseProgress(
        learner_id=row["learner_id"],
        course_id=row["course_id"],
        attempt=row["attempt"],
        course_revision=row["course_revision"],
        state=ProgressState(row["state"]),
        percent=row["percent"],
        completed_blocks=row["completed_blocks"],
        total_blocks=row["total_blocks"],
        completed_required_blocks=row["completed_required_blocks"],
        required_blocks=row["required_blocks"],
        start_time=row["start_time"],
        last_activity_time=row["last_activity_time"],
        complete_time=row["complete_time"],
        time_on_task=TimeOnTask(seconds, algorithm)
        if seconds is not None and algorithm is not None
        else None,
    )


class SqlProgressRepository:
    """PostgreSQL implementation of ProgressRepository."""

    def __init__(self, session: AsyncSession, tenant_id: TenantId) -> None:
        self._session = session
        self._tenant = tenant_id

    async def current_revision(self, course_id: str, *, lock: LockMode = LockMode.NONE) -> int | None:
        """The course's current structure revision, or None for an unknown course."""
        stmt = select(CourseRow.current_revision).where(
            CourseRow.tenant_id == self._tenant, CourseRow.course_id == course_id
        )
        if lock is not LockMode.NONE:
            stmt = stmt.with_for_update(read=lock is LockMode.SHARE)
        revision = (await self._session.execute(stmt)).scalar_one_or_none()
        return revision or None

    async def lock_course_for_revision(self, course_id: str) -> int:
        """Lock the course row for a new revision (creating it if new); return its current revision or 0."""
        await self._session.execute(
            insert(CourseRow)
            .values(tenant_id=self._tenant, course_id=course_id, current_revision=0)
            .on_conflict_do_nothing()
        )
        return await self.current_revision(course_id, lock=LockMode.UPDATE) or 0

    async def get_structure(self, course_id: str, revision: int) -> CourseStructure | None:
        """One revision of a course's structure, or None."""
        row = await self._session.get(CourseRevisionRow, (self._tenant, course_id, revision))
        if row is None:
            return None
        return CourseStructure(
            row.course_id, row.revision, blocks_from_json(row.blocks), row.create_time, row.created_by
        )

    async def add_structure(self, structure: CourseStructure) -> None:
        """Insert a new revision and make it the course's current one."""
        self._session.add(
            CourseRevisionRow(
                tenant_id=self._tenant,
                course_id=structure.course_id,
                revision=structure.revision,
                blocks=blocks_to_json(structure.blocks),
                digest=structure.digest,
                create_time=structure.create_time,
                created_by=structure.created_by,
            )
        )
        await self._session.flush()
        await self._session.execute(
            update(CourseRow)
            .where(CourseRow.tenant_id == self._tenant, CourseRow.course_id == structure.course_id)
            .values(current_revision=structure.revision, update_time=structure.create_time)
        )

    async def lock_learner_course(self, learner_id: str, course_id: str) -> None:
        """Serialise writers of one learner's progress in one course until the transaction ends."""
        await self._session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": _learner_key(self._tenant, course_id, learner_id)},
        )

    async def get_progress(self, learner_id: str, course_id: str) -> CourseProgress | None:
        """The learner's progress row for the course (without per-block detail), or None."""
        params = {"tenant": self._tenant, "learner_id": learner_id, "course_id": course_id}
        row = (await self._session.execute(_GET_PROGRESS, params)).first()
        return _progress(row) if row else None

    async def save_progress(self, progress: CourseProgress) -> None:
        """Insert or replace the learner's progress row for the course."""
        values = _progress_values(progress)
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

    async def lock_learner_in_course(self, learner_id: str, course_id: str) -> int | None:
        """Share-lock the course row, then serialise writers of the learner's progress in it (the lock
        order of every writer) until the transaction ends; the current revision, None for an unknown
        course (nothing locked)."""
        params = {
            "tenant": self._tenant,
            "course_id": course_id,
            "key": _learner_key(self._tenant, course_id, learner_id),
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
        params: dict[str, Any] = {"tenant": self._tenant, **_progress_values(progress)}
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
        return [_progress(row) for row in (await self._session.execute(stmt)).scalars()]

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
                **_progress_values(reset.archived),
            )
        )
        await self._session.flush()

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

    async def list_learner_progress(
        self, learner_id: str, state: ProgressState | None, after: tuple[dt.datetime, str] | None, limit: int
    ) -> list[CourseProgress]:
        """A learner's courses, most recent activity first (then course id), strictly after the cursor."""
        stmt = select(CourseProgressRow).where(
            CourseProgressRow.tenant_id == self._tenant, CourseProgressRow.learner_id == learner_id
        )
        if state is not None:
            stmt = stmt.where(CourseProgressRow.state == state.value)
        if after is not None:
            stmt = stmt.where(tuple_(_LAST_ACTIVITY, CourseProgressRow.course_id) < tuple_(*after))
        stmt = stmt.order_by(_LAST_ACTIVITY.desc(), CourseProgressRow.course_id.desc()).limit(limit)
        return [_progress(row) for row in (await self._session.execute(stmt)).scalars()]

    async def list_roster(
        self,
        course_id: str,
        state: ProgressState | None,
        ordering: Ordering,
        after: RosterCursor | None,
        limit: int,
        *,
        team_of: str | None = None,
    ) -> list[CourseProgress]:
        """A course's learners in `ordering` (ties: learner id, same direction), strictly after the cursor.

        With `team_of`, only learners reporting to that manager directly or indirectly.
        """
        sql, values = roster_query(self._tenant, course_id, state, ordering, after, limit, team_of=team_of)
        connection = await self._session.connection()
        return [roster_entry(row._mapping) for row in await connection.exec_driver_sql(sql, values)]
