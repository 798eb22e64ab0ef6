"""In-memory fakes for unit tests; the contract tests run the same checks against them and PostgreSQL."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from aigym_platform.identity import TenantId
from aigym_platform.testing.fakes import AuditRecord, FakeUnitOfWorkBase, PublishedEvent
from aigym_progress.domain import (
    Completion,
    CourseProgress,
    Ordering,
    ProgressReset,
    ProgressState,
    RosterOrder,
    TimeOnTask,
    sort_key,
)
from aigym_progress.repository import CompletionContext, LockMode, ProgressSnapshot, RosterCursor
from aigym_progress.session_repository import SessionCursor
from aigym_progress.sessions import LearningSession, SessionState
from aigym_progress.structure import BlockState, CourseStructure


@dataclass
class ArchivedBlock:
    """A block state with its archive marks (block_progress row)."""

    state: BlockState
    archive_time: dt.datetime | None = None
    reset_id: uuid.UUID | None = None


@dataclass
class TenantState:
    """Every row of one tenant."""

    courses: dict[str, int] = field(default_factory=dict)
    revisions: dict[tuple[str, int], CourseStructure] = field(default_factory=dict)
    progress: dict[tuple[str, str], CourseProgress] = field(default_factory=dict)
    blocks: dict[tuple[str, str, int, str], ArchivedBlock] = field(default_factory=dict)
    completions: dict[uuid.UUID, Completion] = field(default_factory=dict)
    resets: dict[uuid.UUID, ProgressReset] = field(default_factory=dict)
    sessions: dict[uuid.UUID, LearningSession] = field(default_factory=dict)
    times: dict[tuple[str, str], TimeOnTask] = field(default_factory=dict)
    # learner -> (manager, active, update time), as the directory consumer stores them
    directory: dict[str, tuple[str, bool, dt.datetime]] = field(default_factory=dict)

    def team_of(self, manager_id: str) -> set[str]:
        """Everyone reporting to `manager_id` directly or indirectly (cycle-safe, like the SQL walk)."""
        team: set[str] = set()
        frontier = {manager_id}
        while frontier:
            below = {who for who, (m, _, _) in self.directory.items() if m in frontier and who not in team}
            team |= below
            frontier = below
        return team - {manager_id}


@dataclass
class FakeStore:
    """Committed state of every tenant plus the audit trail and the outbox."""

    tenants: dict[TenantId, TenantState] = field(default_factory=dict)
    audit: list[AuditRecord] = field(default_factory=list)
    events: list[PublishedEvent] = field(default_factory=list)

    def of(self, tenant: uuid.UUID) -> TenantState:
        """The committed rows of a tenant."""
        return self.tenants.setdefault(TenantId(tenant), TenantState())


class FakeSession:
    """Stands in for the AsyncSession: the transaction's private copy of one tenant's rows."""

    def __init__(self, state: TenantState) -> None:
        self.state = state


class FakeUnitOfWork(FakeUnitOfWorkBase):
    """Transaction semantics of UnitOfWork: changes, audit and events appear on commit, vanish otherwise."""

    def open_session(self) -> FakeSession:
        return FakeSession(copy.deepcopy(self._store.of(self.tenant_id)))

    def commit_session(self) -> None:
        self._store.tenants[self.tenant_id] = self.session.state


class FakeProgressRepository:
    """ProgressRepository over a FakeSession's rows."""

    def __init__(self, session: FakeSession, tenant_id: TenantId) -> None:
        self._s = session.state

    async def current_revision(self, course_id: str, *, lock: LockMode = LockMode.NONE) -> int | None:
        return self._s.courses.get(course_id) or None

    async def lock_course_for_revision(self, course_id: str) -> int:
        return self._s.courses.setdefault(course_id, 0)

    async def get_structure(self, course_id: str, revision: int) -> CourseStructure | None:
        return self._s.revisions.get((course_id, revision))

    async def add_structure(self, structure: CourseStructure) -> None:
        key = (structure.course_id, structure.revision)
        if key in self._s.revisions or structure.course_id not in self._s.courses:
            raise ValueError("duplicate revision or unlocked course")
        self._s.revisions[key] = structure
        self._s.courses[structure.course_id] = structure.revision

    async def lock_learner_course(self, learner_id: str, course_id: str) -> None:
        return None

    async def get_progress(self, learner_id: str, course_id: str) -> CourseProgress | None:
        return self._s.progress.get((learner_id, course_id))

    async def save_progress(self, progress: CourseProgress) -> None:
        if progress.course_id not in self._s.courses:
            raise ValueError("progress for an unknown course")
        self._s.progress[(progress.learner_id, progress.course_id)] = progress

    async def get_block_states(self, learner_id: str, course_id: str, attempt: int) -> dict[str, BlockState]:
        return {
            key[3]: row.state
            for key, row in self._s.blocks.items()
            if key[:3] == (learner_id, course_id, attempt) and row.archive_time is None
        }

    async def read_progress(self, learner_id: str, course_id: str) -> ProgressSnapshot | None:
        revision = self._s.courses.get(course_id)
        if not revision:
            return None
        progress = self._s.progress.get((learner_id, course_id))
        time_on_task = self._s.times.get((learner_id, course_id))
        if progress is not None:
            progress = dataclasses.replace(progress, time_on_task=time_on_task)
        states = await self.get_block_states(learner_id, course_id, progress.attempt if progress else 1)
        return ProgressSnapshot(revision, progress, states, time_on_task)

    async def save_block_state(
        self, learner_id: str, course_id: str, attempt: int, state: BlockState
    ) -> None:
        self._s.blocks[(learner_id, course_id, attempt, state.block_id)] = ArchivedBlock(state)

    async def list_course_progress(self, course_id: str) -> list[CourseProgress]:
        return sorted(
            (p for (_, course), p in self._s.progress.items() if course == course_id),
            key=lambda p: p.learner_id,
        )

    async def course_block_states(self, course_id: str) -> dict[str, dict[str, BlockState]]:
        states: dict[str, dict[str, BlockState]] = {}
        for (learner, course, attempt, block), row in self._s.blocks.items():
            current = self._s.progress.get((learner, course))
            if course == course_id and current and current.attempt == attempt and row.archive_time is None:
                states.setdefault(learner, {})[block] = row.state
        return states

    async def archive_attempt(
        self, learner_id: str, course_id: str, attempt: int, reset_id: uuid.UUID, at: dt.datetime
    ) -> int:
        count = 0
        for key, row in self._s.blocks.items():
            if key[:3] == (learner_id, course_id, attempt) and row.archive_time is None:
                row.archive_time, row.reset_id = at, reset_id
                count += 1
        return count

    async def add_reset(self, reset: ProgressReset) -> None:
        archived = reset.archived
        if any(
            (r.archived.learner_id, r.archived.course_id, r.archived.attempt)
            == (archived.learner_id, archived.course_id, archived.attempt)
            for r in self._s.resets.values()
        ):
            raise ValueError("attempt archived twice")
        self._s.resets[reset.reset_id] = reset

    async def get_completion_by_request_id(self, request_id: str) -> Completion | None:
        return next((c for c in self._s.completions.values() if c.request_id == request_id), None)

    async def add_completion(self, completion: Completion) -> bool:
        if completion.request_id and await self.get_completion_by_request_id(completion.request_id):
            return False
        self._s.completions[completion.completion_id] = completion
        return True

    async def lock_learner_in_course(self, learner_id: str, course_id: str) -> int | None:
        return await self.current_revision(course_id, lock=LockMode.SHARE)

    async def completion_context(
        self, learner_id: str, course_id: str, request_id: str | None
    ) -> CompletionContext:
        progress = await self.get_progress(learner_id, course_id)
        states = await self.get_block_states(learner_id, course_id, progress.attempt if progress else 1)
        existing = await self.get_completion_by_request_id(request_id) if request_id else None
        return CompletionContext(progress, states, existing)

    async def save_completion(
        self, progress: CourseProgress, state: BlockState | None, completion: Completion
    ) -> bool:
        if state is not None:
            await self.save_block_state(progress.learner_id, progress.course_id, progress.attempt, state)
        await self.save_progress(progress)
        return await self.add_completion(completion)

    async def list_learner_progress(
        self, learner_id: str, state: ProgressState | None, after: tuple[dt.datetime, str] | None, limit: int
    ) -> list[CourseProgress]:
        def key(p: CourseProgress) -> tuple[Any, str]:
            return (sort_key(p, RosterOrder.LAST_ACTIVITY), p.course_id)

        rows = [
            p
            for (learner, _), p in self._s.progress.items()
            if learner == learner_id
            and (state is None or p.state is state)
            and (after is None or key(p) < after)
        ]
        return sorted(rows, key=key, reverse=True)[:limit]

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
        team = self._s.team_of(team_of) if team_of is not None else None

        def key(p: CourseProgress) -> tuple[Any, str]:
            return (sort_key(p, ordering.key), p.learner_id)

        def beyond(p: CourseProgress) -> bool:
            if after is None:
                return True
            mine = key(p)
            return mine < after if ordering.descending else mine > after

        rows = [
            p
            for (_, course), p in self._s.progress.items()
            if course == course_id
            and (state is None or p.state is state)
            and (team is None or p.learner_id in team)
            and beyond(p)
        ]
        page = sorted(rows, key=key, reverse=ordering.descending)[:limit]
        return [
            dataclasses.replace(p, time_on_task=self._s.times.get((p.learner_id, p.course_id))) for p in page
        ]


class FakeDirectoryRepository:
    """DirectoryRepository over a FakeSession's rows."""

    def __init__(self, session: FakeSession, tenant_id: TenantId) -> None:
        self._s = session.state

    async def save_learner(self, learner_id: str, manager_id: str, active: bool, when: dt.datetime) -> bool:
        stored = self._s.directory.get(learner_id)
        if stored is not None and stored[2] > when:
            return False
        self._s.directory[learner_id] = (manager_id, active, when)
        return True

    async def reports_to(self, learner_id: str, manager_id: str) -> bool:
        return learner_id != manager_id and learner_id in self._s.team_of(manager_id)


class FakeSessionRepository:
    """SessionRepository over a FakeSession's rows."""

    def __init__(self, session: FakeSession, tenant_id: TenantId) -> None:
        self._s = session.state

    @staticmethod
    def _stored(session: LearningSession) -> LearningSession:
        return dataclasses.replace(session, time_on_task=None)  # the table does not hold the merged figure

    async def get_session(self, session_id: uuid.UUID) -> LearningSession | None:
        return self._s.sessions.get(session_id)

    async def get_session_by_request_id(self, request_id: str) -> LearningSession | None:
        return next((s for s in self._s.sessions.values() if s.request_id == request_id), None)

    async def add_session(self, session: LearningSession) -> bool:
        if session.request_id and await self.get_session_by_request_id(session.request_id):
            return False
        self._s.sessions[session.session_id] = self._stored(session)
        return True

    async def save_session(self, session: LearningSession) -> None:
        self._s.sessions[session.session_id] = self._stored(session)

    async def course_sessions(self, learner_id: str, course_id: str) -> list[LearningSession]:
        return [
            s for s in self._s.sessions.values() if (s.learner_id, s.course_id) == (learner_id, course_id)
        ]

    async def save_time_on_task(
        self, learner_id: str, course_id: str, figure: TimeOnTask, at: dt.datetime
    ) -> None:
        self._s.times[(learner_id, course_id)] = figure

    async def times_on_task(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], TimeOnTask]:
        return {key: self._s.times[key] for key in keys if key in self._s.times}

    async def list_sessions(
        self,
        learner_id: str,
        course_id: str | None,
        state: SessionState | None,
        after: SessionCursor | None,
        limit: int,
    ) -> list[LearningSession]:
        def key(s: LearningSession) -> tuple[dt.datetime, str]:
            return (s.start_time, str(s.session_id))

        found = [
            s
            for s in self._s.sessions.values()
            if s.learner_id == learner_id
            and (not course_id or s.course_id == course_id)
            and (state is None or s.state is state)
            and (after is None or key(s) < after)
        ]
        return sorted(found, key=key, reverse=True)[:limit]

    async def idle_sessions(self, before: dt.datetime, limit: int) -> list[LearningSession]:
        found = [
            s
            for s in self._s.sessions.values()
            if s.state is SessionState.OPEN and s.last_signal_time < before
        ]
        return sorted(found, key=lambda s: s.last_signal_time)[:limit]
