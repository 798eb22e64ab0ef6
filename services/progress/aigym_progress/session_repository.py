"""All SQL of learning sessions and time on task; every query runs in a tenant-scoped unit of work."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import func, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from aigym_platform.identity import TenantId
from aigym_progress.domain import TimeOnTask
from aigym_progress.sessions import EndReason, LearningSession, SessionKind, SessionState
from aigym_progress.tables import LearningSessionRow, TimeOnTaskRow

SessionCursor = tuple[dt.datetime, str]
"""(start time, session id) of the last session of a page."""


class SessionRepository(Protocol):
    """What the session use cases need from storage (a fake implements the same protocol)."""

    async def get_session(self, session_id: uuid.UUID) -> LearningSession | None:
        """One session, or None."""

    async def get_session_by_request_id(self, request_id: str) -> LearningSession | None:
        """The session started with this idempotency key, or None."""

    async def add_session(self, session: LearningSession) -> bool:
        """Insert a session; False if its request id was taken meanwhile (nothing inserted)."""

    async def save_session(self, session: LearningSession) -> None:
        """Store a session's new state."""

    async def course_sessions(self, learner_id: str, course_id: str) -> list[LearningSession]:
        """Every session of the learner in the course (to merge them into time on task)."""

    async def save_time_on_task(
        self, learner_id: str, course_id: str, figure: TimeOnTask, at: dt.datetime
    ) -> None:
        """Insert or replace the learner's time on task in the course."""

    async def times_on_task(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], TimeOnTask]:
        """Stored time on task by (learner, course) for the given pairs (absent: no session yet)."""

    async def list_sessions(
        self,
        learner_id: str,
        course_id: str | None,
        state: SessionState | None,
        after: SessionCursor | None,
        limit: int,
    ) -> list[LearningSession]:
        """A learner's sessions, newest start first (ties: session id descending), after the cursor."""

    async def idle_sessions(self, before: dt.datetime, limit: int) -> list[LearningSession]:
        """Open sessions whose last signal is older than `before`, oldest first."""


def session_from_row(row: LearningSessionRow) -> LearningSession:
    """A learning_sessions row as the domain object."""
    return LearningSession(
        session_id=row.session_id,
        learner_id=row.learner_id,
        course_id=row.course_id,
        kind=SessionKind(row.kind),
        state=SessionState(row.state),
        start_time=row.start_time,
        last_signal_time=row.last_signal_time,
        created_by=row.created_by,
        end_time=row.end_time,
        end_reason=EndReason(row.end_reason) if row.end_reason else None,
        heartbeats=row.heartbeats,
        request_id=row.request_id,
        note=row.note,
        decided_by=row.decided_by,
        decide_time=row.decide_time,
        decision_reason=row.decision_reason,
        algorithm=row.algorithm,
    )


def _mutable(session: LearningSession) -> dict[str, Any]:
    return {
        "state": session.state.value,
        "last_signal_time": session.last_signal_time,
        "end_time": session.end_time,
        "end_reason": session.end_reason.value if session.end_reason else None,
        "heartbeats": session.heartbeats,
        "active_seconds": session.active_seconds,
        "algorithm": session.algorithm,
        "decided_by": session.decided_by,
        "decide_time": session.decide_time,
        "decision_reason": session.decision_reason,
    }


def _closing(session: LearningSession) -> dict[str, Any]:
    """The close time to store with a session's new state: now, the first time it is stored closed."""
    if session.state is not SessionState.CLOSED:
        return {}
    return {"close_time": func.coalesce(LearningSessionRow.close_time, func.now())}


async def idle_session_tenants(session: AsyncSession, before: dt.datetime) -> list[uuid.UUID]:
    """Tenants with open sessions silent since before `before` (ids only, through a definer function)."""
    result = await session.execute(text("SELECT idle_session_tenants(:before)"), {"before": before})
    return [row[0] for row in result]


class SqlSessionRepository:
    """PostgreSQL implementation of SessionRepository."""

    def __init__(self, session: AsyncSession, tenant_id: TenantId) -> None:
        self._session = session
        self._tenant = tenant_id

    async def get_session(self, session_id: uuid.UUID) -> LearningSession | None:
        """One session, or None."""
        stmt = select(LearningSessionRow).where(
            LearningSessionRow.tenant_id == self._tenant, LearningSessionRow.session_id == session_id
        )
        row = (await self._session.execute(stmt.execution_options(populate_existing=True))).scalar()
        return session_from_row(row) if row else None

    async def get_session_by_request_id(self, request_id: str) -> LearningSession | None:
        """The session started with this idempotency key, or None."""
        stmt = select(LearningSessionRow).where(
            LearningSessionRow.tenant_id == self._tenant, LearningSessionRow.request_id == request_id
        )
        row = (await self._session.execute(stmt)).scalar_one_or_none()
        return session_from_row(row) if row else None

    async def add_session(self, session: LearningSession) -> bool:
        """Insert a session; False if its request id was taken meanwhile (nothing inserted)."""
        stmt = (
            insert(LearningSessionRow)
            .values(
                tenant_id=self._tenant,
                session_id=session.session_id,
                learner_id=session.learner_id,
                course_id=session.course_id,
                kind=session.kind.value,
                start_time=session.start_time,
                request_id=session.request_id,
                note=session.note,
                created_by=session.created_by,
                close_time=func.now() if session.state is SessionState.CLOSED else None,
                **_mutable(session),
            )
            .on_conflict_do_nothing(index_elements=["tenant_id", "request_id"])
            .returning(LearningSessionRow.session_id)
        )
        return (await self._session.execute(stmt)).first() is not None

    async def save_session(self, session: LearningSession) -> None:
        """Store a session's new state."""
        await self._session.execute(
            update(LearningSessionRow)
            .where(
                LearningSessionRow.tenant_id == self._tenant,
                LearningSessionRow.session_id == session.session_id,
            )
            .values(**_mutable(session), **_closing(session))
        )

    async def course_sessions(self, learner_id: str, course_id: str) -> list[LearningSession]:
        """Every session of the learner in the course (to merge them into time on task)."""
        stmt = select(LearningSessionRow).where(
            LearningSessionRow.tenant_id == self._tenant,
            LearningSessionRow.learner_id == learner_id,
            LearningSessionRow.course_id == course_id,
        )
        rows = (await self._session.execute(stmt.execution_options(populate_existing=True))).scalars()
        return [session_from_row(row) for row in rows]

    async def save_time_on_task(
        self, learner_id: str, course_id: str, figure: TimeOnTask, at: dt.datetime
    ) -> None:
        """Insert or replace the learner's time on task in the course."""
        values = {"seconds": figure.seconds, "algorithm": figure.algorithm, "update_time": at}
        stmt = insert(TimeOnTaskRow).values(
            tenant_id=self._tenant, learner_id=learner_id, course_id=course_id, **values
        )
        await self._session.execute(
            stmt.on_conflict_do_update(index_elements=["tenant_id", "learner_id", "course_id"], set_=values)
        )

    async def times_on_task(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], TimeOnTask]:
        """Stored time on task by (learner, course) for the given pairs (absent: no session yet)."""
        if not keys:
            return {}
        table = TimeOnTaskRow.__table__.c  # plain rows, no ORM instances
        stmt = select(table.learner_id, table.course_id, table.seconds, table.algorithm).where(
            table.tenant_id == self._tenant,
            tuple_(table.learner_id, table.course_id).in_(list(keys)),
        )
        rows = (await self._session.execute(stmt)).all()
        return {(r.learner_id, r.course_id): TimeOnTask(r.seconds, r.algorithm) for r in rows}

    async def list_sessions(
        self,
        learner_id: str,
        course_id: str | None,
        state: SessionState | None,
        after: SessionCursor | None,
        limit: int,
    ) -> list[LearningSession]:
        """A learner's sessions, newest start first (ties: session id descending), after the cursor."""
        stmt = select(LearningSessionRow).where(
            LearningSessionRow.tenant_id == self._tenant, LearningSessionRow.learner_id == learner_id
        )
        if course_id:
            stmt = stmt.where(LearningSessionRow.course_id == course_id)
        if state is not None:
            stmt = stmt.where(LearningSessionRow.state == state.value)
        if after is not None:
            position = tuple_(LearningSessionRow.start_time, LearningSessionRow.session_id)
            stmt = stmt.where(position < tuple_(after[0], uuid.UUID(after[1])))
        stmt = stmt.order_by(LearningSessionRow.start_time.desc(), LearningSessionRow.session_id.desc())
        return [session_from_row(row) for row in (await self._session.execute(stmt.limit(limit))).scalars()]

    async def idle_sessions(self, before: dt.datetime, limit: int) -> list[LearningSession]:
        """Open sessions whose last signal is older than `before`, oldest first."""
        stmt = (
            select(LearningSessionRow)
            .where(
                LearningSessionRow.tenant_id == self._tenant,
                LearningSessionRow.state == SessionState.OPEN.value,
                LearningSessionRow.last_signal_time < before,
            )
            .order_by(LearningSessionRow.last_signal_time)
            .limit(limit)
        )
        return [session_from_row(row) for row in (await self._session.execute(stmt)).scalars()]
