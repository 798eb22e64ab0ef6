"""Use case of the xAPI export: a learner's completions and closed sessions as statements, oldest first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from aigym_platform.db import UnitOfWorkFactory
from aigym_platform.identity import Identity, TenantId
from aigym_platform.pagination import Cursor, decode_token, encode_token, page_size
from aigym_platform.teams import readable_learner
from aigym_progress.directory_repository import SqlDirectoryRepository
from aigym_progress.directory_service import DirectoryRepositoryFactory
from aigym_progress.domain import Completion
from aigym_progress.export_repository import ExportRepository, SqlExportRepository
from aigym_progress.sessions import LearningSession
from aigym_progress.xapi import XapiContext, completion_statements, session_statement

ExportRepositoryFactory = Callable[[AsyncSession, TenantId], ExportRepository]


@dataclass(frozen=True)
class StatementPage:
    """One page of statements and the token of the next page ("" on the last)."""

    statements: list[dict[str, Any]]
    next_page_token: str


class ExportService:
    """xAPI statements of a learner's records for an external Learning Record Store."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        home_page: str,
        activity_base: str,
        repositories: ExportRepositoryFactory = SqlExportRepository,
        directory: DirectoryRepositoryFactory = SqlDirectoryRepository,
    ) -> None:
        self._uow = uow_factory
        self._home_page = home_page
        self._activity_base = activity_base
        self._repositories = repositories
        self._directory = directory

    async def list_statements(
        self,
        identity: Identity,
        learner_id: str,
        requested_size: int,
        page_token: str,
        since: dt.datetime | None = None,
    ) -> StatementPage:
        """One page of records (completions and closed sessions merged by time) as xAPI statements.

        `page_size` counts records: a completion that completed its course yields two statements.
        """
        size = page_size(requested_size)
        async with self._uow(identity.tenant_id, identity) as uow:
            directory = self._directory(uow.session, uow.tenant_id)
            learner = await readable_learner(identity, learner_id, directory.reports_to, "statements")
            filters = {"learner": learner, "since": since.isoformat() if since else ""}
            cursor = decode_token(page_token, filters)
            after = (cursor.time(0), cursor.text(1)) if cursor else None
            repo = self._repositories(uow.session, identity.tenant_id)
            completions = await repo.completions_after(learner, since, after, size + 1)
            sessions = await repo.closed_sessions_after(learner, since, after, size + 1)
        records: list[tuple[dt.datetime, str, Completion | LearningSession]] = [
            (c.create_time, str(c.completion_id), c) for c in completions
        ]
        records += [(closed, str(s.session_id), s) for closed, s in sessions]
        records.sort(key=lambda r: (r[0], r[1]))
        page = records[:size]
        ctx = XapiContext(self._home_page, self._activity_base, str(identity.tenant_id))
        statements: list[dict[str, Any]] = []
        for _, _, record in page:
            if isinstance(record, Completion):
                statements.extend(completion_statements(ctx, record))
            else:
                statements.append(session_statement(ctx, record))
        token = ""
        if len(records) > size:
            last = page[-1]
            token = encode_token(Cursor((last[0].isoformat(), last[1])), filters)
        return StatementPage(statements, token)
