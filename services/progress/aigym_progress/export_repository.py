"""SQL of the xAPI export: a learner's completions and closed sessions in time order, after a cursor."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Protocol

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from aigym_platform.identity import TenantId
from aigym_progress.domain import Completion
from aigym_progress.repository import completion_from_row
from aigym_progress.session_repository import session_from_row
from aigym_progress.sessions import LearningSession, SessionState
from aigym_progress.tables import CompletionRow, LearningSessionRow

ExportCursor = tuple[dt.datetime, str]
"""(time, record id) of the last record of a page: completions by create time, sessions by close time
(when they became exportable: ended, closed for idleness, or approved)."""


class ExportRepository(Protocol):
    """What the export needs from storage."""

    async def completions_after(
        self, learner_id: str, since: dt.datetime | None, after: ExportCursor | None, limit: int
    ) -> list[Completion]:
        """The learner's completions by (create time, id), strictly after the cursor, from `since`."""

    async def closed_sessions_after(
        self, learner_id: str, since: dt.datetime | None, after: ExportCursor | None, limit: int
    ) -> list[tuple[dt.datetime, LearningSession]]:
        """The learner's closed sessions with their close times, by (close time, id), strictly after the
        cursor, from `since`."""


class SqlExportRepository:
    """PostgreSQL implementation of ExportRepository."""

    def __init__(self, session: AsyncSession, tenant_id: TenantId) -> None:
        self._session = session
        self._tenant = tenant_id

    async def completions_after(
        self, learner_id: str, since: dt.datetime | None, after: ExportCursor | None, limit: int
    ) -> list[Completion]:
        """The learner's applied completions by (create time, id), strictly after the cursor, from `since`."""
        # Only completions that moved the learner forward: one that changed nothing (a lower value sent
        # again) would show an LRS keeping the latest statement a learner going backwards.
        stmt = select(CompletionRow).where(
            CompletionRow.tenant_id == self._tenant,
            CompletionRow.learner_id == learner_id,
            CompletionRow.applied.is_(True),
        )
        if since is not None:
            stmt = stmt.where(CompletionRow.create_time >= since)
        if after is not None:
            key = tuple_(CompletionRow.create_time, CompletionRow.completion_id)
            stmt = stmt.where(key > tuple_(after[0], uuid.UUID(after[1])))
        stmt = stmt.order_by(CompletionRow.create_time, CompletionRow.completion_id).limit(limit)
        return [completion_from_row(row) for row in (await self._session.execute(stmt)).scalars()]

    async def closed_sessions_after(
        self, learner_id: str, since: dt.datetime | None, after: ExportCursor | None, limit: int
    ) -> list[tuple[dt.datetime, LearningSession]]:
        """The learner's closed sessions with their close times, by (close time, id), strictly after the
        cursor, from `since`."""
        row = LearningSessionRow
        stmt = select(row).where(
            row.tenant_id == self._tenant,
            row.learner_id == learner_id,
            row.state == SessionState.CLOSED.value,
            row.close_time.is_not(None),
        )
        if since is not None:
            stmt = stmt.where(row.close_time >= since)
        if after is not None:
            stmt = stmt.where(tuple_(row.close_time, row.session_id) > tuple_(after[0], uuid.UUID(after[1])))
        stmt = stmt.order_by(row.close_time, row.session_id).limit(limit)
        rows = (await self._session.execute(stmt)).scalars()
        return [(r.close_time, session_from_row(r)) for r in rows if r.close_time is not None]
