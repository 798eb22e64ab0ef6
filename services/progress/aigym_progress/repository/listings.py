"""Paged lists of progress: a learner's courses and a course's roster (also run by direct reads)."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import ColumnElement, String, bindparam, func, literal, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from aigym_platform.direct_reads import DriverStatement
from aigym_platform.identity import TenantId
from aigym_progress.directory_repository import team_cte
from aigym_progress.domain import EPOCH, CourseProgress, Ordering, ProgressState, RosterOrder, TimeOnTask
from aigym_progress.repository.learner_progress import progress_from_row
from aigym_progress.tables import CourseProgressRow, TimeOnTaskRow

RosterCursor = tuple[Any, str]
"""(sort value, learner id) of the last roster entry of a page."""


_CP = CourseProgressRow.__table__.c
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


class ProgressListings(Protocol):
    """Pages of progress rows: a learner's courses, a course's roster."""

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


class SqlProgressListings:
    """PostgreSQL implementation of ProgressListings; one part of SqlProgressRepository (which holds the
    session and tenant)."""

    _session: AsyncSession
    _tenant: TenantId

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
        return [progress_from_row(row) for row in (await self._session.execute(stmt)).scalars()]

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
