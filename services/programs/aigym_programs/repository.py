"""All SQL of the programs service; every query runs in a tenant-scoped unit of work (RLS checks again)."""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Select, String, bindparam, case, delete, null, or_, select, tuple_, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from aigym_platform.identity import TenantId
from aigym_programs.domain import Program, ProgramDraft, ProgramState, ProgramVersion, Visibility
from aigym_programs.structure import from_json as structure_from_json
from aigym_programs.structure import to_json as structure_to_json
from aigym_programs.tables import EnrollmentRow, ProgramRow, ProgramVersionRow


@dataclass(frozen=True)
class ProgramFilter:
    """Listing filters; `visible_to_learner` restricts to the learner-facing catalogue."""

    state: ProgramState | None = None
    tag: str | None = None
    query: str | None = None
    visible_to_learner: bool = False


class ProgramRepository(Protocol):
    """What the service layer needs from program storage (a fake implements the same protocol)."""

    async def add(self, program: Program) -> None:
        """Insert a new program."""

    async def get(self, program_id: uuid.UUID, *, for_update: bool = False) -> Program | None:
        """The program with this id in the current tenant, or None."""

    async def get_by_request_id(self, request_id: str) -> Program | None:
        """The program created with this idempotency key, or None."""

    async def has_enrolment(self, program_id: uuid.UUID, learner_id: str) -> bool:
        """Whether the learner has (or had) an enrolment in the program."""

    async def exists(self, program_id: uuid.UUID) -> bool:
        """Whether the program exists in the current tenant (without loading it)."""

    async def save(self, program: Program) -> None:
        """Persist content, state and version of an existing program."""

    async def remove(self, program_id: uuid.UUID) -> None:
        """Delete a program row."""

    async def list_programs(
        self,
        filters: ProgramFilter,
        after: tuple[dt.datetime, uuid.UUID] | None,
        limit: int,
        *,
        basic: bool = False,
    ) -> list[Program]:
        """Programs newest first, strictly after the keyset cursor, at most `limit`; `basic` leaves the
        structure out (see `Program.stored_digest`)."""

    async def add_version(self, version: ProgramVersion) -> None:
        """Insert an immutable published version."""

    async def get_version(self, program_id: uuid.UUID, version: int) -> ProgramVersion | None:
        """One published version, or None."""

    async def list_versions(
        self, program_id: uuid.UUID, before: int | None, limit: int
    ) -> list[ProgramVersion]:
        """Versions newest first, strictly below `before`, at most `limit`."""


def _seconds(value: int | None) -> dt.timedelta | None:
    return dt.timedelta(seconds=value) if value is not None else None


def _rule_columns(content: ProgramDraft) -> dict[str, object]:
    def seconds(value: dt.timedelta | None) -> int | None:
        return int(value.total_seconds()) if value is not None else None

    return {
        "enrollment_open_time": content.enrollment_open_time,
        "enrollment_close_time": content.enrollment_close_time,
        "default_due_seconds": seconds(content.default_due_offset),
        "default_access_seconds": seconds(content.default_access_duration),
        "default_due_time": content.default_due_time,
        "default_end_time": content.default_end_time,
    }


def _version_to_domain(row: ProgramVersionRow) -> ProgramVersion:
    return ProgramVersion(
        program_id=row.program_id,
        version=row.version,
        title=row.title,
        description=row.description,
        structure=structure_from_json(row.structure),
        publish_time=row.publish_time,
        published_by=row.published_by,
    )


PROGRAMS = ProgramRow.__table__
_P = PROGRAMS.c
# Built once with bind parameters, run as plain table rows (no ORM instances): statement construction
# and instance loading were a fifth of a read RPC's CPU.
_GET = select(PROGRAMS).where(_P.tenant_id == bindparam("tenant"), _P.program_id == bindparam("program_id"))
_GET_FOR_UPDATE = _GET.with_for_update()
_EXISTS = select(_P.program_id).where(
    _P.tenant_id == bindparam("tenant"), _P.program_id == bindparam("program_id")
)


VERSIONS = ProgramVersionRow.__table__
_V = VERSIONS.c
# The current published version of each program (a learner's catalogue shows that, not the working copy).
_WITH_PUBLISHED = PROGRAMS.join(
    VERSIONS,
    (_V.tenant_id == _P.tenant_id) & (_V.program_id == _P.program_id) & (_V.version == _P.current_version),
)


def _columns(basic: bool, published: bool) -> list[Any]:
    """A list row's columns. BASIC leaves the structure out: only rows without a stored digest (written
    before migration 0007) bring it along, to compute it. `published` takes title, description and
    structure from the current published version, whose digest is then the content's."""
    columns: list[Any] = []
    for column in PROGRAMS.c:
        name = column.name
        if published and name in ("title", "description"):
            columns.append(_V[name].label(name))
        elif name == "structure" and basic:
            columns.append(
                (null() if published else case((_P.draft_digest.is_(None), _P.structure))).label(name)
            )
        elif name == "structure" and published:
            columns.append(_V.structure.label(name))
        elif name == "draft_digest" and published:
            columns.append(_P.published_digest.label(name))
        else:
            columns.append(column)
    return columns


@functools.cache
def _list_statement(
    basic: bool, visible_to_learner: bool, state: bool, tag: bool, query: bool, after: bool
) -> Select[Any]:
    """The list query of one view and filter shape (built once per shape, with bind parameters)."""
    stmt = select(*_columns(basic, visible_to_learner))
    if visible_to_learner:
        stmt = stmt.select_from(_WITH_PUBLISHED)
    stmt = stmt.where(_P.tenant_id == bindparam("tenant"))
    if visible_to_learner:
        stmt = stmt.where(_P.state == ProgramState.PUBLISHED.value, _P.visibility == Visibility.PUBLIC.value)
    if state:
        stmt = stmt.where(_P.state == bindparam("state"))
    if tag:
        stmt = stmt.where(_P.tags.contains(bindparam("tags", type_=_P.tags.type)))
    if query:
        pattern = bindparam("pattern", type_=String)
        searched = _V if visible_to_learner else _P
        stmt = stmt.where(or_(searched.title.ilike(pattern), searched.description.ilike(pattern)))
    if after:
        stmt = stmt.where(
            tuple_(_P.create_time, _P.program_id) < tuple_(bindparam("after_time"), bindparam("after_id"))
        )
    return stmt.order_by(_P.create_time.desc(), _P.program_id.desc()).limit(bindparam("limit"))


def _to_domain(row: Row[Any], *, basic: bool = False) -> Program:
    return Program(
        program_id=row.program_id,
        content=ProgramDraft(
            title=row.title,
            description=row.description,
            tags=tuple(row.tags or ()),
            visibility=Visibility(row.visibility),
            self_enrollment_allowed=row.self_enrollment_allowed,
            enrollment_open_time=row.enrollment_open_time,
            enrollment_close_time=row.enrollment_close_time,
            default_due_offset=_seconds(row.default_due_seconds),
            default_access_duration=_seconds(row.default_access_seconds),
            default_due_time=row.default_due_time,
            default_end_time=row.default_end_time,
        ),
        state=ProgramState(row.state),
        version=row.version,
        create_time=row.create_time,
        update_time=row.update_time,
        create_request_id=row.create_request_id,
        structure=structure_from_json(row.structure or []),
        current_version=row.current_version,
        published_digest=row.published_digest,
        stored_digest=row.draft_digest if basic else None,
    )


class SqlProgramRepository:
    """PostgreSQL implementation of ProgramRepository."""

    def __init__(self, session: AsyncSession, tenant_id: TenantId) -> None:
        self._session = session
        self._tenant = tenant_id

    async def add(self, program: Program) -> None:
        """Insert a new program."""
        c = program.content
        self._session.add(
            ProgramRow(
                tenant_id=self._tenant,
                program_id=program.program_id,
                title=c.title,
                description=c.description,
                tags=list(c.tags),
                visibility=c.visibility.value,
                self_enrollment_allowed=c.self_enrollment_allowed,
                state=program.state.value,
                version=program.version,
                create_request_id=program.create_request_id,
                create_time=program.create_time,
                update_time=program.update_time,
                structure=structure_to_json(program.structure),
                current_version=program.current_version,
                published_digest=program.published_digest,
                draft_digest=program.publishable_digest,
                **_rule_columns(c),
            )
        )
        await self._session.flush()

    async def get(self, program_id: uuid.UUID, *, for_update: bool = False) -> Program | None:
        """The program with this id in the current tenant, or None."""
        stmt = _GET_FOR_UPDATE if for_update else _GET
        row = (await self._session.execute(stmt, {"tenant": self._tenant, "program_id": program_id})).first()
        return _to_domain(row) if row else None

    async def exists(self, program_id: uuid.UUID) -> bool:
        """Whether the program exists in the current tenant (without loading it)."""
        params = {"tenant": self._tenant, "program_id": program_id}
        return (await self._session.execute(_EXISTS, params)).first() is not None

    async def has_enrolment(self, program_id: uuid.UUID, learner_id: str) -> bool:
        """Whether the learner has (or had) an enrolment in the program."""
        stmt = select(EnrollmentRow.enrollment_id).where(
            EnrollmentRow.tenant_id == self._tenant,
            EnrollmentRow.program_id == program_id,
            EnrollmentRow.learner_id == learner_id,
        )
        return (await self._session.execute(stmt.limit(1))).first() is not None

    async def get_by_request_id(self, request_id: str) -> Program | None:
        """The program created with this idempotency key, or None."""
        stmt = select(PROGRAMS).where(_P.tenant_id == self._tenant, _P.create_request_id == request_id)
        row = (await self._session.execute(stmt)).first()
        return _to_domain(row) if row else None

    async def save(self, program: Program) -> None:
        """Persist content, state and version of an existing program."""
        c = program.content
        await self._session.execute(
            update(ProgramRow)
            .where(ProgramRow.tenant_id == self._tenant, ProgramRow.program_id == program.program_id)
            .values(
                title=c.title,
                description=c.description,
                tags=list(c.tags),
                visibility=c.visibility.value,
                self_enrollment_allowed=c.self_enrollment_allowed,
                state=program.state.value,
                version=program.version,
                update_time=program.update_time,
                structure=structure_to_json(program.structure),
                current_version=program.current_version,
                published_digest=program.published_digest,
                draft_digest=program.publishable_digest,
                **_rule_columns(c),
            )
        )

    async def remove(self, program_id: uuid.UUID) -> None:
        """Delete a program row."""
        await self._session.execute(
            delete(ProgramRow).where(
                ProgramRow.tenant_id == self._tenant, ProgramRow.program_id == program_id
            )
        )

    async def list_programs(
        self,
        filters: ProgramFilter,
        after: tuple[dt.datetime, uuid.UUID] | None,
        limit: int,
        *,
        basic: bool = False,
    ) -> list[Program]:
        """Programs newest first, strictly after the keyset cursor, at most `limit`; `basic` leaves the
        structure out (see `Program.stored_digest`)."""
        shape = (
            basic,
            filters.visible_to_learner,
            filters.state is not None,
            bool(filters.tag),
            bool(filters.query),
            after is not None,
        )
        query = filters.query or ""
        params: dict[str, object] = {
            "tenant": self._tenant,
            "state": filters.state.value if filters.state is not None else None,
            "tags": [filters.tag.lower()] if filters.tag else None,
            "pattern": "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%",
            "after_time": after[0] if after else None,
            "after_id": after[1] if after else None,
            "limit": limit,
        }
        # Parameters a shape does not use are ignored by the statement.
        rows = (await self._session.execute(_list_statement(*shape), params)).all()
        return [_to_domain(row, basic=basic) for row in rows]

    async def add_version(self, version: ProgramVersion) -> None:
        """Insert an immutable published version."""
        self._session.add(
            ProgramVersionRow(
                tenant_id=self._tenant,
                program_id=version.program_id,
                version=version.version,
                title=version.title,
                description=version.description,
                structure=structure_to_json(version.structure),
                publish_time=version.publish_time,
                published_by=version.published_by,
            )
        )
        await self._session.flush()

    async def get_version(self, program_id: uuid.UUID, version: int) -> ProgramVersion | None:
        """One published version, or None."""
        row = await self._session.get(ProgramVersionRow, (self._tenant, program_id, version))
        return _version_to_domain(row) if row else None

    async def list_versions(
        self, program_id: uuid.UUID, before: int | None, limit: int
    ) -> list[ProgramVersion]:
        """Versions newest first, strictly below `before`, at most `limit`."""
        stmt = select(ProgramVersionRow).where(
            ProgramVersionRow.tenant_id == self._tenant, ProgramVersionRow.program_id == program_id
        )
        if before is not None:
            stmt = stmt.where(ProgramVersionRow.version < before)
        stmt = stmt.order_by(ProgramVersionRow.version.desc()).limit(limit)
        return [_version_to_domain(row) for row in (await self._session.execute(stmt)).scalars()]
