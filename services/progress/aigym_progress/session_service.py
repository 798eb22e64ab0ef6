"""Use cases of learning sessions: start, heartbeat, end, offline approval, idle closing, listing.

Every change of a session recomputes the learner's time on task in the course (algorithm `tot.v1`, see
`sessions.py`) under the same learner-and-course lock completions take, so concurrent tabs merge correctly.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy.ext.asyncio import AsyncSession

from aigym.progress.v1 import events_pb2
from aigym_platform.db import UnitOfWork, UnitOfWorkFactory
from aigym_platform.errors import Aborted, FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from aigym_platform.events.registry import SESSION_ENDED
from aigym_platform.identity import Identity, Role, TenantId
from aigym_platform.pagination import Cursor, decode_token, encode_token, page_size
from aigym_platform.teams import readable_learner
from aigym_platform.timestamps import set_timestamp
from aigym_progress.directory_repository import SqlDirectoryRepository
from aigym_progress.directory_service import DirectoryRepositoryFactory
from aigym_progress.repository import LockMode, ProgressRepository, SqlProgressRepository
from aigym_progress.session_repository import SessionRepository, SqlSessionRepository, idle_session_tenants
from aigym_progress.sessions import (
    IDLE_TIMEOUT,
    LearningSession,
    SessionInput,
    SessionKind,
    SessionState,
    time_on_task,
    validate_session,
)

log = logging.getLogger(__name__)

SessionRepositoryFactory = Callable[[AsyncSession, TenantId], SessionRepository]
ProgressRepositoryFactory = Callable[[AsyncSession, TenantId], ProgressRepository]
Clock = Callable[[], dt.datetime]
IDLE_BATCH = 200


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _stamp(value: dt.datetime) -> Timestamp:
    stamp = Timestamp()
    set_timestamp(stamp, value)
    return stamp


def _audit_view(session: LearningSession) -> dict[str, object]:
    return {
        "state": session.state.value,
        "end_reason": session.end_reason.value if session.end_reason else None,
        "start_time": session.start_time,
        "end_time": session.end_time,
        "active_seconds": session.active_seconds,
        "algorithm": session.algorithm,
    }


@dataclass(frozen=True)
class SessionPage:
    """One page of sessions and the token of the next page ("" on the last)."""

    sessions: list[LearningSession]
    next_page_token: str


class SessionService:
    """Learning sessions and time on task, independent of gRPC."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        sessions: SessionRepositoryFactory = SqlSessionRepository,
        progress: ProgressRepositoryFactory = SqlProgressRepository,
        clock: Clock = _utcnow,
        directory: DirectoryRepositoryFactory = SqlDirectoryRepository,
    ) -> None:
        self._uow = uow_factory
        self._sessions = sessions
        self._progress = progress
        self._clock = clock
        self._directory = directory

    async def start_session(self, identity: Identity, item: SessionInput) -> LearningSession:
        """Start an online session or declare an offline one (pending, or approved at once for admins)."""
        now = self._clock()
        validate_session(item, now)
        learner = self._writer(identity, item.learner_id)
        async with self._uow(identity.tenant_id, identity) as uow:
            repo, progress = (
                self._sessions(uow.session, uow.tenant_id),
                self._progress(uow.session, uow.tenant_id),
            )
            if await progress.current_revision(item.course_id, lock=LockMode.SHARE) is None:
                raise InvalidArgument.for_field(
                    "session.course_id", f"unknown course {item.course_id}", reason="UNKNOWN_COURSE"
                )
            await progress.lock_learner_course(learner, item.course_id)
            if item.request_id and (existing := await repo.get_session_by_request_id(item.request_id)):
                existing.check_same_request(item, learner)
                return await self._with_time(repo, existing)
            admin = identity.has_role(Role.CLIENT_ADMIN)
            session = LearningSession.start(item, learner, now, identity.user_id, admin=admin)
            if not await repo.add_session(session):
                raise Aborted(
                    f"a concurrent request with request_id {item.request_id} is being recorded; retry",
                    reason="REQUEST_ID_IN_FLIGHT",
                )
            session = await self._refresh(uow, repo, session, now, ended=session.state is SessionState.CLOSED)
            await uow.audit(
                "session.start", "learning_session", str(session.session_id), after=_audit_view(session)
            )
            await uow.commit()
        return session

    async def heartbeat(self, identity: Identity, session_id: str) -> LearningSession:
        """Extend an open online session; a session found idle is closed and SESSION_EXPIRED raised."""
        expired = False
        async with self._uow(identity.tenant_id, identity) as uow:
            repo, current = await self._locked(uow, identity, session_id)
            now = self._clock()
            if current.kind is SessionKind.ONLINE and current.is_idle(now):
                closed = current.close(now)
                await repo.save_session(closed)
                closed = await self._refresh(uow, repo, closed, now, ended=True)
                await uow.audit(
                    "session.close_idle",
                    "learning_session",
                    session_id,
                    before=_audit_view(current),
                    after=_audit_view(closed),
                )
                await uow.commit()
                expired = True
            else:
                session = current.heartbeat(now)
                await repo.save_session(session)
                session = await self._refresh(uow, repo, session, now, ended=False)
                await uow.commit()
        if expired:
            raise FailedPrecondition(
                f"session {session_id} was idle for more than {int(IDLE_TIMEOUT.total_seconds())} s and was "
                "closed at its last signal; start a new session",
                reason="SESSION_EXPIRED",
            )
        return session

    async def end_session(self, identity: Identity, session_id: str) -> LearningSession:
        """End an online session (at its last signal if it had gone idle); a closed one stays unchanged."""
        async with self._uow(identity.tenant_id, identity) as uow:
            repo, current = await self._locked(uow, identity, session_id)
            if current.state is SessionState.CLOSED:
                return await self._with_time(repo, current)
            if current.kind is not SessionKind.ONLINE:
                raise FailedPrecondition(
                    f"session {session_id} is an offline session; an admin approves or rejects it",
                    reason="SESSION_NOT_ONLINE",
                )
            now = self._clock()
            session = current.close(now)
            await repo.save_session(session)
            session = await self._refresh(uow, repo, session, now, ended=True)
            await uow.audit(
                "session.end",
                "learning_session",
                session_id,
                before=_audit_view(current),
                after=_audit_view(session),
            )
            await uow.commit()
        return session

    async def approve_session(self, identity: Identity, session_id: str) -> LearningSession:
        """Approve a pending offline session (client_admin); approving it again returns it unchanged."""
        identity.require(Role.CLIENT_ADMIN)
        async with self._uow(identity.tenant_id, identity) as uow:
            repo, current = await self._locked(uow, identity, session_id)
            if current.kind is SessionKind.OFFLINE and current.state is SessionState.CLOSED:
                return await self._with_time(repo, current)
            now = self._clock()
            session = current.approve(identity.user_id, now)
            await repo.save_session(session)
            session = await self._refresh(uow, repo, session, now, ended=True)
            await uow.audit(
                "session.approve",
                "learning_session",
                session_id,
                before=_audit_view(current),
                after=_audit_view(session),
            )
            await uow.commit()
        return session

    async def reject_session(self, identity: Identity, session_id: str, reason: str = "") -> LearningSession:
        """Reject a pending offline session (client_admin); rejecting it again returns it unchanged."""
        identity.require(Role.CLIENT_ADMIN)
        async with self._uow(identity.tenant_id, identity) as uow:
            repo, current = await self._locked(uow, identity, session_id)
            if current.state is SessionState.REJECTED:
                return await self._with_time(repo, current)
            session = current.reject(identity.user_id, self._clock(), reason.strip())
            await repo.save_session(session)
            session = await self._with_time(repo, session)
            await uow.audit(
                "session.reject",
                "learning_session",
                session_id,
                before=_audit_view(current),
                after=_audit_view(session),
            )
            await uow.commit()
        return session

    async def list_sessions(
        self,
        identity: Identity,
        learner_id: str,
        course_id: str,
        state: SessionState | None,
        requested_size: int,
        page_token: str,
    ) -> SessionPage:
        """A learner's sessions, newest first (the learner themselves, their managers, admins)."""
        size = page_size(requested_size)
        async with self._uow(identity.tenant_id, identity) as uow:
            directory = self._directory(uow.session, uow.tenant_id)
            learner = await readable_learner(identity, learner_id, directory.reports_to, "sessions")
            filters = {"learner": learner, "course": course_id, "state": state}
            cursor = decode_token(page_token, filters)
            after = (cursor.time(0), cursor.text(1)) if cursor else None
            rows = await self._sessions(uow.session, uow.tenant_id).list_sessions(
                learner, course_id or None, state, after, size + 1
            )
        page, token = rows[:size], ""
        if len(rows) > size:
            last = page[-1]
            token = encode_token(Cursor((last.start_time.isoformat(), str(last.session_id))), filters)
        return SessionPage(page, token)

    async def idle_tenants(self) -> list[uuid.UUID]:
        """Tenants with sessions to close (the job's fan-out; one cross-tenant read of ids only)."""
        before = self._clock() - IDLE_TIMEOUT
        async with self._uow(TenantId(uuid.UUID(int=0)), None) as uow:
            return await idle_session_tenants(uow.session, before)

    async def close_idle_sessions(self, tenant_id: TenantId, limit: int = IDLE_BATCH) -> int:
        """Close the tenant's abandoned sessions at their last signal, one transaction each (the job's body).

        Returns how many it closed; a session that received a heartbeat meanwhile is left open.
        """
        now = self._clock()
        async with self._uow(tenant_id, None) as uow:
            idle = await self._sessions(uow.session, tenant_id).idle_sessions(now - IDLE_TIMEOUT, limit)
        closed = 0
        for candidate in idle:
            async with self._uow(tenant_id, None) as uow:
                repo = self._sessions(uow.session, tenant_id)
                await self._progress(uow.session, tenant_id).lock_learner_course(
                    candidate.learner_id, candidate.course_id
                )
                current = await repo.get_session(candidate.session_id)
                if current is None or not current.is_idle(now):
                    continue
                session = current.close(now)
                await repo.save_session(session)
                session = await self._refresh(uow, repo, session, now, ended=True)
                await uow.audit(
                    "session.close_idle",
                    "learning_session",
                    str(session.session_id),
                    before=_audit_view(current),
                    after=_audit_view(session),
                )
                await uow.commit()
                closed += 1
        if closed:
            log.info("closed %s idle sessions of tenant %s", closed, tenant_id)
        return closed

    async def _locked(
        self, uow: UnitOfWork, identity: Identity, session_id: str
    ) -> tuple[SessionRepository, LearningSession]:
        """The session, read again under its learner-and-course lock once the caller's rights are checked."""
        identity.require(Role.LEARNER)
        try:
            key = uuid.UUID(session_id)
        except ValueError:
            raise InvalidArgument.for_field("session_id", "must be a UUID", reason="INVALID_ID") from None
        repo = self._sessions(uow.session, uow.tenant_id)
        found = await repo.get_session(key)
        if found is None:
            raise NotFound(f"session {session_id} not found", reason="SESSION_NOT_FOUND")
        if not identity.is_self(found.learner_id) and not identity.has_role(Role.CLIENT_ADMIN):
            raise PermissionDenied(
                "acting on another learner's session requires the client_admin role or a service token"
            )
        await self._progress(uow.session, uow.tenant_id).lock_learner_course(
            found.learner_id, found.course_id
        )
        current = await repo.get_session(key)
        assert current is not None  # sessions are never deleted
        return repo, current

    async def _refresh(
        self,
        uow: UnitOfWork,
        repo: SessionRepository,
        session: LearningSession,
        now: dt.datetime,
        *,
        ended: bool,
    ) -> LearningSession:
        """Recompute and store the learner's time on task with `session` as it now is; publish its end."""
        others = [
            s
            for s in await repo.course_sessions(session.learner_id, session.course_id)
            if s.session_id != session.session_id
        ]
        figure = time_on_task([*others, session])
        await repo.save_time_on_task(session.learner_id, session.course_id, figure, now)
        session = dataclasses.replace(session, time_on_task=figure)
        if ended:
            await self._publish_ended(uow, session)
        return session

    @staticmethod
    async def _with_time(repo: SessionRepository, session: LearningSession) -> LearningSession:
        figures = await repo.times_on_task([(session.learner_id, session.course_id)])
        return dataclasses.replace(session, time_on_task=figures.get((session.learner_id, session.course_id)))

    @staticmethod
    async def _publish_ended(uow: UnitOfWork, session: LearningSession) -> None:
        assert session.end_time is not None
        assert session.end_reason is not None
        assert session.time_on_task is not None
        payload = events_pb2.SessionEnded(
            learner_id=session.learner_id,
            course_id=session.course_id,
            session_id=str(session.session_id),
            kind=session.kind.value,
            start_time=_stamp(session.start_time),
            end_time=_stamp(session.end_time),
            end_reason=session.end_reason.value,
            active_seconds=session.active_seconds,
            time_on_task_seconds=session.time_on_task.seconds,
            time_on_task_algorithm=session.time_on_task.algorithm,
        )
        await uow.publish(
            SESSION_ENDED, f"learners/{session.learner_id}/courses/{session.course_id}", payload
        )

    @staticmethod
    def _writer(identity: Identity, learner_id: str) -> str:
        identity.require(Role.LEARNER)
        if identity.is_self(learner_id):
            return identity.user_id
        if not identity.has_role(Role.CLIENT_ADMIN):
            raise PermissionDenied(
                "starting a session for another learner requires the client_admin role or a service token"
            )
        return learner_id
