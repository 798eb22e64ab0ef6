"""All SQL for enrolments; every query runs in a tenant-scoped unit of work (RLS checks again)."""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import ARRAY, Select, String, any_, bindparam, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from aigym_platform.direct_reads import DriverStatement
from aigym_platform.identity import TenantId
from aigym_programs.enrollment import (
    OPEN_STATES,
    Enrollment,
    EnrollmentDates,
    EnrollmentSource,
    EnrollmentState,
)
from aigym_programs.tables import EnrollmentRow


@dataclass(frozen=True)
class EnrollmentFilter:
    """Listing filters: by program or learner, state, overdue (as of `now`), minimum progress."""

    program_id: uuid.UUID | None = None
    learner_id: str | None = None
    state: EnrollmentState | None = None
    overdue_only: bool = False
    min_progress: float = 0.0
    now: dt.datetime | None = None
    learner_ids: frozenset[str] | None = None  # a manager's team; None means no restriction


class EnrollmentRepository(Protocol):
    """What the service layer needs from enrolment storage."""

    async def add_if_absent(self, enrollment: Enrollment, *, request_id: str | None = None) -> bool:
        """Insert unless the learner already has an open enrolment in the program; True if inserted.
        `request_id`: the idempotency key of the batch upload creating it."""

    async def created_by_request(
        self, program_id: uuid.UUID, request_id: str, learner_ids: list[str]
    ) -> dict[str, Enrollment]:
        """The enrolments of these learners in the program that the upload with this key created."""

    async def get(self, enrollment_id: uuid.UUID, *, for_update: bool = False) -> Enrollment | None:
        """One enrolment of the current tenant, or None."""

    async def open_for(self, program_id: uuid.UUID, learner_ids: list[str]) -> dict[str, Enrollment]:
        """Open (pending or active) enrolments of these learners in the program, by learner."""

    async def save_state(self, enrollment: Enrollment) -> None:
        """Persist state, progress and completion fields."""

    async def list_enrollments(
        self, filters: EnrollmentFilter, after: tuple[dt.datetime, uuid.UUID] | None, limit: int
    ) -> list[Enrollment]:
        """Enrolments newest first, strictly after the keyset cursor, at most `limit`."""

    async def progressing_for(self, learner_id: str, now: dt.datetime) -> list[Enrollment]:
        """The learner's active or completed, not ended enrolments, locked for update."""

    async def save_dates(self, enrollment: Enrollment) -> None:
        """Persist start, due and end."""

    async def page_of_program(
        self,
        program_id: uuid.UUID,
        after: uuid.UUID | None,
        limit: int,
        *,
        states: frozenset[EnrollmentState],
        learner_ids: frozenset[str] | None = None,
        below_version: int | None = None,
    ) -> list[Enrollment]:
        """The program's enrolments in these states by id, strictly after `after`, locked for update."""


ENROLLMENTS = EnrollmentRow.__table__
_E = ENROLLMENTS.c


@dataclass(frozen=True)
class _ListShape:
    """Which filters a list query has; each shape's statement is built once."""

    program: bool
    learner: bool
    state: str  # "", "expired", "active" or "exact"
    overdue: bool
    learner_ids: bool
    min_progress: bool
    after: bool


@functools.cache
def _list_statement(shape: _ListShape) -> Select[Any]:
    """The list query of one filter shape, with bind parameters, as plain table rows (no ORM instances).

    Building the statement and its cache key per call, and loading ORM instances, were ~20 % of a list
    RPC's CPU; a shape has a handful of variants, so each is built once per process.
    """
    stmt = select(ENROLLMENTS).where(_E.tenant_id == bindparam("tenant"))
    if shape.program:
        stmt = stmt.where(_E.program_id == bindparam("program_id"))
    if shape.learner:
        stmt = stmt.where(_E.learner_id == bindparam("learner_id"))
    active = _E.state == EnrollmentState.ACTIVE.value
    not_ended = _E.end_time.is_(None) | (_E.end_time > bindparam("now"))
    if shape.state == "expired":
        stmt = stmt.where(active, _E.end_time <= bindparam("now"))
    elif shape.state == "active":
        stmt = stmt.where(active, not_ended)
    elif shape.state == "exact":
        stmt = stmt.where(_E.state == bindparam("state"))
    if shape.overdue:
        stmt = stmt.where(active, not_ended, _E.due_time < bindparam("now"))
    if shape.learner_ids:
        stmt = stmt.where(_E.learner_id == any_(bindparam("learner_ids", type_=ARRAY(String))))
    if shape.min_progress:
        stmt = stmt.where(_E.progress >= bindparam("min_progress"))
    if shape.after:
        stmt = stmt.where(
            tuple_(_E.create_time, _E.enrollment_id) < tuple_(bindparam("after_time"), bindparam("after_id"))
        )
    return stmt.order_by(_E.create_time.desc(), _E.enrollment_id.desc()).limit(bindparam("limit"))


@functools.cache
def _list_driver_statement(shape: _ListShape) -> DriverStatement:
    """The list query of one shape as driver SQL: run as is by the repository (through its session) and by
    direct reads (`hot_reads`)."""
    return DriverStatement.compile(_list_statement(shape))


def list_query(
    tenant: TenantId, filters: EnrollmentFilter, after: tuple[dt.datetime, uuid.UUID] | None, limit: int
) -> tuple[str, tuple[Any, ...]]:
    """The driver SQL and parameter values listing enrolments newest first, strictly after the keyset
    cursor, at most `limit`."""
    state = filters.state
    shape = _ListShape(
        program=filters.program_id is not None,
        learner=filters.learner_id is not None,
        state="expired"
        if state is EnrollmentState.EXPIRED
        else "active"
        if state is EnrollmentState.ACTIVE
        else "exact"
        if state is not None
        else "",
        overdue=filters.overdue_only,
        learner_ids=filters.learner_ids is not None,
        min_progress=filters.min_progress > 0,
        after=after is not None,
    )
    params: dict[str, object] = {
        "tenant": tenant,
        "program_id": filters.program_id,
        "learner_id": filters.learner_id,
        "state": state.value if state is not None else None,
        "now": filters.now or dt.datetime.now(dt.UTC),
        "learner_ids": sorted(filters.learner_ids or ()),
        "min_progress": filters.min_progress,
        "after_time": after[0] if after else None,
        "after_id": after[1] if after else None,
        "limit": limit,
    }
    statement = _list_driver_statement(shape)
    return statement.sql, statement.values(params)


def enrollment_from_record(row: Mapping[Any, Any]) -> Enrollment:
    """A listed enrolment row (a driver record, or a SQLAlchemy row's mapping) as the domain object."""
    return Enrollment(
        enrollment_id=row["enrollment_id"],
        program_id=row["program_id"],
        learner_id=row["learner_id"],
        state=EnrollmentState(row["state"]),
        program_version=row["program_version"],
        dates=EnrollmentDates(row["start_time"], row["due_time"], row["end_time"]),
        source=EnrollmentSource(row["source"]),
        create_time=row["create_time"],
        progress=row["progress"],
        completed_course_ids=tuple(row["completed_course_ids"] or ()),
        reached_milestones=tuple(row["reached_milestones"] or ()),
        complete_time=row["complete_time"],
    )


def _to_domain(row: EnrollmentRow | Row[Any]) -> Enrollment:
    return Enrollment(
        enrollment_id=row.enrollment_id,
        program_id=row.program_id,
        learner_id=row.learner_id,
        state=EnrollmentState(row.state),
        program_version=row.program_version,
        dates=EnrollmentDates(row.start_time, row.due_time, row.end_time),
        source=EnrollmentSource(row.source),
        create_time=row.create_time,
        progress=row.progress,
        completed_course_ids=tuple(row.completed_course_ids or ()),
        reached_milestones=tuple(row.reached_milestones or ()),
        complete_time=row.complete_time,
    )


class SqlEnrollmentRepository:
    """PostgreSQL implementation of EnrollmentRepository."""

    def __init__(self, session: AsyncSession, tenant_id: TenantId) -> None:
        self._session = session
        self._tenant = tenant_id

    async def add_if_absent(self, enrollment: Enrollment, *, request_id: str | None = None) -> bool:
        """Insert unless the learner already has an open enrolment in the program; True if inserted.
        `request_id`: the idempotency key of the batch upload creating it."""
        stmt = (
            insert(EnrollmentRow)
            .values(
                create_request_id=request_id,
                tenant_id=self._tenant,
                enrollment_id=enrollment.enrollment_id,
                program_id=enrollment.program_id,
                learner_id=enrollment.learner_id,
                state=enrollment.state.value,
                program_version=enrollment.program_version,
                source=enrollment.source.value,
                start_time=enrollment.dates.start,
                due_time=enrollment.dates.due,
                end_time=enrollment.dates.end,
                progress=enrollment.progress,
                completed_course_ids=list(enrollment.completed_course_ids),
                reached_milestones=list(enrollment.reached_milestones),
                create_time=enrollment.create_time,
                complete_time=enrollment.complete_time,
            )
            .on_conflict_do_nothing()
            .returning(EnrollmentRow.enrollment_id)
        )
        return (await self._session.execute(stmt)).scalar_one_or_none() is not None

    async def get(self, enrollment_id: uuid.UUID, *, for_update: bool = False) -> Enrollment | None:
        """One enrolment of the current tenant, or None."""
        stmt = select(EnrollmentRow).where(
            EnrollmentRow.tenant_id == self._tenant, EnrollmentRow.enrollment_id == enrollment_id
        )
        if for_update:
            stmt = stmt.with_for_update()
        row = (await self._session.execute(stmt)).scalar_one_or_none()
        return _to_domain(row) if row else None

    async def created_by_request(
        self, program_id: uuid.UUID, request_id: str, learner_ids: list[str]
    ) -> dict[str, Enrollment]:
        """The enrolments of these learners in the program that the upload with this key created."""
        stmt = select(EnrollmentRow).where(
            EnrollmentRow.tenant_id == self._tenant,
            EnrollmentRow.program_id == program_id,
            EnrollmentRow.create_request_id == request_id,
            EnrollmentRow.learner_id.in_(learner_ids),
        )
        return {row.learner_id: _to_domain(row) for row in (await self._session.execute(stmt)).scalars()}

    async def open_for(self, program_id: uuid.UUID, learner_ids: list[str]) -> dict[str, Enrollment]:
        """Open (pending or active) enrolments of these learners in the program, by learner."""
        stmt = select(EnrollmentRow).where(
            EnrollmentRow.tenant_id == self._tenant,
            EnrollmentRow.program_id == program_id,
            EnrollmentRow.learner_id.in_(learner_ids),
            EnrollmentRow.state.in_([s.value for s in OPEN_STATES]),
        )
        return {row.learner_id: _to_domain(row) for row in (await self._session.execute(stmt)).scalars()}

    async def save_state(self, enrollment: Enrollment) -> None:
        """Persist state, progress and completion fields."""
        await self._session.execute(
            update(EnrollmentRow)
            .where(
                EnrollmentRow.tenant_id == self._tenant,
                EnrollmentRow.enrollment_id == enrollment.enrollment_id,
            )
            .values(
                state=enrollment.state.value,
                program_version=enrollment.program_version,
                source=enrollment.source.value,
                progress=enrollment.progress,
                completed_course_ids=list(enrollment.completed_course_ids),
                reached_milestones=list(enrollment.reached_milestones),
                complete_time=enrollment.complete_time,
            )
        )

    async def list_enrollments(
        self, filters: EnrollmentFilter, after: tuple[dt.datetime, uuid.UUID] | None, limit: int
    ) -> list[Enrollment]:
        """Enrolments newest first, strictly after the keyset cursor, at most `limit`."""
        sql, values = list_query(self._tenant, filters, after, limit)
        connection = await self._session.connection()
        rows = await connection.exec_driver_sql(sql, values)
        return [enrollment_from_record(row._mapping) for row in rows]

    async def progressing_for(self, learner_id: str, now: dt.datetime) -> list[Enrollment]:
        """The learner's active or completed, not ended enrolments, locked for update."""
        stmt = (
            select(EnrollmentRow)
            .where(
                EnrollmentRow.tenant_id == self._tenant,
                EnrollmentRow.learner_id == learner_id,
                EnrollmentRow.state.in_([EnrollmentState.ACTIVE.value, EnrollmentState.COMPLETED.value]),
                (EnrollmentRow.end_time.is_(None)) | (EnrollmentRow.end_time > now),
            )
            .order_by(EnrollmentRow.enrollment_id)
            .with_for_update()
        )
        return [_to_domain(row) for row in (await self._session.execute(stmt)).scalars()]

    async def save_dates(self, enrollment: Enrollment) -> None:
        """Persist start, due and end."""
        await self._session.execute(
            update(EnrollmentRow)
            .where(
                EnrollmentRow.tenant_id == self._tenant,
                EnrollmentRow.enrollment_id == enrollment.enrollment_id,
            )
            .values(
                start_time=enrollment.dates.start,
                due_time=enrollment.dates.due,
                end_time=enrollment.dates.end,
            )
        )

    async def page_of_program(
        self,
        program_id: uuid.UUID,
        after: uuid.UUID | None,
        limit: int,
        *,
        states: frozenset[EnrollmentState],
        learner_ids: frozenset[str] | None = None,
        below_version: int | None = None,
    ) -> list[Enrollment]:
        """The program's enrolments in these states by id, strictly after `after`, locked for update."""
        stmt = select(EnrollmentRow).where(
            EnrollmentRow.tenant_id == self._tenant,
            EnrollmentRow.program_id == program_id,
            EnrollmentRow.state.in_(sorted(state.value for state in states)),
        )
        if after is not None:
            stmt = stmt.where(EnrollmentRow.enrollment_id > after)
        if learner_ids is not None:
            stmt = stmt.where(EnrollmentRow.learner_id.in_(sorted(learner_ids)))
        if below_version is not None:
            stmt = stmt.where(EnrollmentRow.program_version < below_version)
        stmt = stmt.order_by(EnrollmentRow.enrollment_id).limit(limit).with_for_update()
        return [_to_domain(row) for row in (await self._session.execute(stmt)).scalars()]
