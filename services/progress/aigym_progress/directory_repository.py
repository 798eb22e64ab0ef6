"""All SQL over the progress service's copy of the learner directory (who manages whom).

A manager's team is everyone who reports to them directly or through other managers. Both walks below use
UNION (not UNION ALL), so a cycle in the reporting lines ends the recursion instead of looping.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from sqlalchemy import CTE, BindParameter, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from aigym_platform.identity import TenantId
from aigym_platform.teams import reports_to_query
from aigym_progress.tables import DirectoryLearnerRow

_L = DirectoryLearnerRow.__table__.c


def team_cte(tenant: TenantId | BindParameter[Any], manager_id: str | BindParameter[Any]) -> CTE:
    """The learner ids of everyone reporting to `manager_id`, directly or indirectly (a recursive CTE; the
    tenant and manager as values, or as bind parameters of a statement compiled once)."""
    team = (
        select(_L.learner_id)
        .where(_L.tenant_id == tenant, _L.manager_id == manager_id)
        .cte("team", recursive=True)
    )
    below = DirectoryLearnerRow.__table__.alias("below")
    return team.union(
        select(below.c.learner_id)
        .join(team, below.c.manager_id == team.c.learner_id)
        .where(below.c.tenant_id == tenant)
    )


class DirectoryRepository(Protocol):
    """What the service layer needs from the directory copy (a fake implements the same protocol)."""

    async def save_learner(self, learner_id: str, manager_id: str, active: bool, when: dt.datetime) -> bool:
        """Replace the learner's entry unless a change newer than `when` is stored; True if written."""

    async def reports_to(self, learner_id: str, manager_id: str) -> bool:
        """Whether `learner_id` reports to `manager_id` directly or through other managers."""


class SqlDirectoryRepository:
    """DirectoryRepository on PostgreSQL, scoped to one tenant."""

    def __init__(self, session: AsyncSession, tenant_id: TenantId) -> None:
        self._session = session
        self._tenant = tenant_id

    async def save_learner(self, learner_id: str, manager_id: str, active: bool, when: dt.datetime) -> bool:
        """Replace the learner's entry unless a change newer than `when` is stored; True if written."""
        values = {"manager_id": manager_id, "active": active, "update_time": when}
        row = {"tenant_id": self._tenant, "learner_id": learner_id, **values}
        statement = (
            insert(DirectoryLearnerRow)
            .values(row)
            .on_conflict_do_update(
                index_elements=["tenant_id", "learner_id"],
                set_=values,
                where=DirectoryLearnerRow.update_time <= when,
            )
            .returning(DirectoryLearnerRow.learner_id)
        )
        return (await self._session.execute(statement)).first() is not None

    async def reports_to(self, learner_id: str, manager_id: str) -> bool:
        """Whether `learner_id` reports to `manager_id` directly or through other managers."""
        if learner_id == manager_id:
            return False
        query = reports_to_query(DirectoryLearnerRow.__table__, self._tenant, learner_id, manager_id)
        return bool(await self._session.scalar(query))
