"""All SQL of the learner directory, including the manager hierarchy (direct and indirect reports)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import literal, or_, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from aigym_platform.identity import TenantId
from aigym_programs.directory import LearnerEntry
from aigym_programs.tables import LearnerRow


@dataclass(frozen=True)
class LearnerFilter:
    """Listing filters; `within` restricts to these learner ids (a manager's reports)."""

    team: str | None = None
    include_inactive: bool = False
    query: str | None = None
    within: frozenset[str] | None = None


class DirectoryRepository(Protocol):
    """What the service layer needs from the directory."""

    async def upsert(self, entry: LearnerEntry, now: dt.datetime) -> None:
        """Insert or replace one learner."""

    async def get(self, learner_id: str) -> LearnerEntry | None:
        """One learner of the current tenant, or None."""

    async def inactive_among(self, learner_ids: Iterable[str]) -> frozenset[str]:
        """Which of these learners the directory lists as deactivated (unknown ones are not)."""

    async def all_entries(self) -> dict[str, LearnerEntry]:
        """Every learner of the tenant, by id (directory imports diff against it)."""

    async def reports_of(self, manager_id: str) -> frozenset[str]:
        """Direct and indirect reports of a manager (cycles in the data are tolerated)."""

    async def list_learners(
        self, filters: LearnerFilter, after: str | None, limit: int
    ) -> list[LearnerEntry]:
        """Learners ordered by id, strictly after `after`, at most `limit`."""


def _to_entry(row: LearnerRow) -> LearnerEntry:
    return LearnerEntry(
        learner_id=row.learner_id,
        display_name=row.display_name,
        email=row.email,
        time_zone=row.time_zone,
        locale=row.locale,
        manager_id=row.manager_id,
        teams=tuple(row.teams or ()),
        active=row.active,
        update_time=row.update_time,
    )


REPORTS_SQL = text(
    """
    WITH RECURSIVE reports(learner_id) AS (
        SELECT learner_id FROM learners WHERE tenant_id = :tenant AND manager_id = :manager
        UNION
        SELECT l.learner_id FROM learners l JOIN reports r ON l.manager_id = r.learner_id
        WHERE l.tenant_id = :tenant
    )
    SELECT learner_id FROM reports
    """
)


class SqlDirectoryRepository:
    """PostgreSQL implementation of DirectoryRepository."""

    def __init__(self, session: AsyncSession, tenant_id: TenantId) -> None:
        self._session = session
        self._tenant = tenant_id

    async def upsert(self, entry: LearnerEntry, now: dt.datetime) -> None:
        """Insert or replace one learner."""
        values = {
            "display_name": entry.display_name,
            "email": entry.email,
            "time_zone": entry.time_zone,
            "locale": entry.locale,
            "manager_id": entry.manager_id,
            "teams": list(entry.teams),
            "active": entry.active,
            "update_time": now,
        }
        stmt = insert(LearnerRow).values(tenant_id=self._tenant, learner_id=entry.learner_id, **values)
        await self._session.execute(
            stmt.on_conflict_do_update(
                index_elements=[LearnerRow.tenant_id, LearnerRow.learner_id], set_=values
            )
        )

    async def get(self, learner_id: str) -> LearnerEntry | None:
        """One learner of the current tenant, or None."""
        row = await self._session.get(LearnerRow, (self._tenant, learner_id))
        return _to_entry(row) if row else None

    async def inactive_among(self, learner_ids: Iterable[str]) -> frozenset[str]:
        """Which of these learners the directory lists as deactivated (unknown ones are not)."""
        rows = await self._session.execute(
            select(LearnerRow.learner_id).where(
                LearnerRow.tenant_id == self._tenant,
                LearnerRow.learner_id.in_(list(learner_ids)),
                LearnerRow.active.is_(False),
            )
        )
        return frozenset(rows.scalars())

    async def all_entries(self) -> dict[str, LearnerEntry]:
        """Every learner of the tenant, by id."""
        rows = await self._session.execute(select(LearnerRow).where(LearnerRow.tenant_id == self._tenant))
        return {row.learner_id: _to_entry(row) for row in rows.scalars()}

    async def reports_of(self, manager_id: str) -> frozenset[str]:
        """Direct and indirect reports of a manager (UNION stops on cycles)."""
        result = await self._session.execute(REPORTS_SQL, {"tenant": self._tenant, "manager": manager_id})
        return frozenset(result.scalars())

    async def list_learners(
        self, filters: LearnerFilter, after: str | None, limit: int
    ) -> list[LearnerEntry]:
        """Learners ordered by id, strictly after `after`, at most `limit`."""
        stmt = select(LearnerRow).where(LearnerRow.tenant_id == self._tenant)
        if not filters.include_inactive:
            stmt = stmt.where(LearnerRow.active.is_(True))
        if filters.team:
            stmt = stmt.where(LearnerRow.teams.contains([filters.team]))
        if filters.query:
            pattern = "%" + filters.query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            stmt = stmt.where(or_(LearnerRow.display_name.ilike(pattern), LearnerRow.email.ilike(pattern)))
        if filters.within is not None:
            if not filters.within:
                stmt = stmt.where(literal(False))
            else:
                stmt = stmt.where(LearnerRow.learner_id.in_(sorted(filters.within)))
        if after is not None:
            stmt = stmt.where(LearnerRow.learner_id > after)
        stmt = stmt.order_by(LearnerRow.learner_id).limit(limit)
        return [_to_entry(row) for row in (await self._session.execute(stmt)).scalars()]
