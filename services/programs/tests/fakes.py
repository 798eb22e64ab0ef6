"""In-memory fakes for unit tests; the contract tests run the same checks against them and PostgreSQL."""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from dataclasses import dataclass, field, replace

from aigym_platform.identity import TenantId
from aigym_platform.testing.fakes import AuditRecord, FakeUnitOfWorkBase, PublishedEvent
from aigym_programs.domain import Program, ProgramState, ProgramVersion, Visibility
from aigym_programs.repository import ProgramFilter
from aigym_programs.structure import Structure


@dataclass
class FakeStore:
    """Committed state of every tenant plus the audit trail."""

    programs: dict[TenantId, dict[uuid.UUID, Program]] = field(default_factory=dict)
    versions: dict[TenantId, dict[tuple[uuid.UUID, int], ProgramVersion]] = field(default_factory=dict)
    audit: list[AuditRecord] = field(default_factory=list)
    events: list[PublishedEvent] = field(default_factory=list)


class FakeSession:
    """Stands in for the AsyncSession: holds the transaction's private copy of one tenant's rows."""

    def __init__(
        self, rows: dict[uuid.UUID, Program], versions: dict[tuple[uuid.UUID, int], ProgramVersion]
    ) -> None:
        self.rows = rows
        self.versions = versions


class FakeUnitOfWork(FakeUnitOfWorkBase):
    """Transaction semantics of UnitOfWork: changes become visible on commit, are dropped otherwise."""

    def open_session(self) -> FakeSession:
        return FakeSession(
            copy.copy(self._store.programs.get(self.tenant_id, {})),
            copy.copy(self._store.versions.get(self.tenant_id, {})),
        )

    def commit_session(self) -> None:
        self._store.programs[self.tenant_id] = self.session.rows
        self._store.versions[self.tenant_id] = self.session.versions


class FakeProgramRepository:
    """ProgramRepository over a FakeSession's rows."""

    def __init__(self, session: FakeSession, tenant_id: TenantId) -> None:
        self._rows = session.rows
        self._versions = session.versions

    async def add(self, program: Program) -> None:
        if any(
            p.create_request_id and p.create_request_id == program.create_request_id
            for p in self._rows.values()
        ):
            raise ValueError("duplicate create_request_id")
        self._rows[program.program_id] = program

    async def get(self, program_id: uuid.UUID, *, for_update: bool = False) -> Program | None:
        return self._rows.get(program_id)

    async def has_enrolment(self, program_id: uuid.UUID, learner_id: str) -> bool:
        return False  # the unit tests' store keeps no enrolments

    async def exists(self, program_id: uuid.UUID) -> bool:
        return program_id in self._rows

    async def get_by_request_id(self, request_id: str) -> Program | None:
        return next((p for p in self._rows.values() if p.create_request_id == request_id), None)

    async def save(self, program: Program) -> None:
        if program.program_id in self._rows:
            self._rows[program.program_id] = program

    async def remove(self, program_id: uuid.UUID) -> None:
        self._rows.pop(program_id, None)

    async def list_programs(
        self,
        filters: ProgramFilter,
        after: tuple[dt.datetime, uuid.UUID] | None,
        limit: int,
        *,
        basic: bool = False,
    ) -> list[Program]:
        def keep(p: Program) -> bool:
            if filters.visible_to_learner and not (
                p.state is ProgramState.PUBLISHED and p.content.visibility is Visibility.PUBLIC
            ):
                return False
            if filters.state is not None and p.state is not filters.state:
                return False
            if filters.tag and filters.tag.lower() not in p.content.tags:
                return False
            if filters.query:
                needle = filters.query.lower()
                if needle not in p.content.title.lower() and needle not in p.content.description.lower():
                    return False
            return after is None or (p.create_time, p.program_id) < after

        rows = self._rows.values()
        if filters.visible_to_learner:  # as the real repository: what the current published version shows
            rows = [
                p.as_published(self._versions[(p.program_id, p.current_version)])
                for p in rows
                if (p.program_id, p.current_version) in self._versions
            ]
        ordered = sorted(rows, key=lambda p: (p.create_time, p.program_id), reverse=True)
        found = [p for p in ordered if keep(p)][:limit]
        if basic:  # as the real repository: no structure, the content's digest stored instead
            found = [replace(p, structure=Structure(), stored_digest=p.publishable_digest) for p in found]
        return found

    async def add_version(self, version: ProgramVersion) -> None:
        key = (version.program_id, version.version)
        if key in self._versions or version.program_id not in self._rows:
            raise ValueError("duplicate version or unknown program")
        self._versions[key] = version

    async def get_version(self, program_id: uuid.UUID, version: int) -> ProgramVersion | None:
        return self._versions.get((program_id, version))

    async def list_versions(
        self, program_id: uuid.UUID, before: int | None, limit: int
    ) -> list[ProgramVersion]:
        found = [
            v
            for (pid, n), v in self._versions.items()
            if pid == program_id and (before is None or n < before)
        ]
        return sorted(found, key=lambda v: v.version, reverse=True)[:limit]
