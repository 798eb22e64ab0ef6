"""Use cases of the programs service. Each owns one unit of work and writes its audit record in it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from aigym_platform.db import UnitOfWork, UnitOfWorkFactory
from aigym_platform.errors import NotFound
from aigym_platform.identity import Identity, Role, TenantId
from aigym_platform.pagination import Cursor, decode_token, encode_token, page_size
from aigym_programs.domain import (
    Program,
    ProgramDraft,
    ProgramState,
    apply_update,
    normalise,
    validate_update_mask,
)
from aigym_programs.repository import ProgramFilter, ProgramRepository, SqlProgramRepository

RepositoryFactory = Callable[[AsyncSession, TenantId], ProgramRepository]


@dataclass(frozen=True)
class ProgramPage:
    """One page of programs and the token of the next page ("" on the last)."""

    programs: list[Program]
    next_page_token: str


def _audit_view(program: Program) -> dict[str, object]:
    return {"state": program.state.value, "version": program.version, **dataclasses.asdict(program.content)}


class ProgramsService:
    """Program lifecycle use cases, independent of gRPC."""

    def __init__(
        self, uow_factory: UnitOfWorkFactory, repositories: RepositoryFactory = SqlProgramRepository
    ) -> None:
        self._uow = uow_factory
        self._repositories = repositories

    def _repo(self, uow: UnitOfWork) -> ProgramRepository:
        return self._repositories(uow.session, uow.tenant_id)

    async def create_program(self, identity: Identity, draft: ProgramDraft, request_id: str = "") -> Program:
        """Create a draft program; a retry with the same request id returns the first result."""
        identity.require(Role.CLIENT_ADMIN)
        content = normalise(draft)
        async with self._uow(identity.tenant_id, identity) as uow:
            repo = self._repo(uow)
            if request_id and (existing := await repo.get_by_request_id(request_id)) is not None:
                return existing
            now = dt.datetime.now(dt.UTC)
            program = Program(
                program_id=uuid.uuid4(),
                content=content,
                state=ProgramState.DRAFT,
                version=1,
                create_time=now,
                update_time=now,
                create_request_id=request_id or None,
            )
            await repo.add(program)
            await uow.audit("program.create", "program", str(program.program_id), after=_audit_view(program))
            await uow.commit()
            return program

    async def get_program(self, identity: Identity, program_id: uuid.UUID) -> Program:
        """One program; learners only see published programs of the public catalogue."""
        identity.require(Role.LEARNER)
        async with self._uow(identity.tenant_id, identity) as uow:
            program = await self._repo(uow).get(program_id)
        if program is None or not self._visible(identity, program):
            raise NotFound(f"program {program_id} not found", reason="PROGRAM_NOT_FOUND")
        return program

    async def list_programs(
        self, identity: Identity, filters: ProgramFilter, requested_size: int, page_token: str
    ) -> ProgramPage:
        """The tenant's programs newest first; learners see the published public catalogue only."""
        identity.require(Role.LEARNER)
        filters = dataclasses.replace(filters, visible_to_learner=not identity.has_role(Role.MANAGER))
        fingerprint = {
            "state": filters.state,
            "tag": filters.tag,
            "query": filters.query,
            "learner": filters.visible_to_learner,
        }
        cursor = decode_token(page_token, fingerprint)
        after = None
        if cursor is not None:
            after = (dt.datetime.fromisoformat(cursor.values[0]), uuid.UUID(cursor.values[1]))
        size = page_size(requested_size)
        async with self._uow(identity.tenant_id, identity) as uow:
            rows = await self._repo(uow).list(filters, after, size + 1)
        programs, more = rows[:size], len(rows) > size
        token = ""
        if more:
            last = programs[-1]
            token = encode_token(Cursor((last.create_time.isoformat(), str(last.program_id))), fingerprint)
        return ProgramPage(programs, token)

    async def update_program(
        self, identity: Identity, program_id: uuid.UUID, changes: ProgramDraft, mask: list[str], etag: str
    ) -> Program:
        """Change the masked fields of a program; a stale etag aborts."""
        identity.require(Role.CLIENT_ADMIN)
        fields = validate_update_mask(mask)
        async with self._uow(identity.tenant_id, identity) as uow:
            repo = self._repo(uow)
            current = await repo.get(program_id, for_update=True)
            if current is None:
                raise NotFound(f"program {program_id} not found", reason="PROGRAM_NOT_FOUND")
            current.check_etag(etag)
            content = normalise(apply_update(current.content, changes, fields))
            updated = dataclasses.replace(
                current, content=content, version=current.version + 1, update_time=dt.datetime.now(dt.UTC)
            )
            await repo.save(updated)
            await uow.audit(
                "program.update",
                "program",
                str(program_id),
                before=_audit_view(current),
                after=_audit_view(updated),
            )
            await uow.commit()
            return updated

    async def delete_program(self, identity: Identity, program_id: uuid.UUID, etag: str = "") -> None:
        """Delete a draft program (published or archived ones must be archived instead)."""
        identity.require(Role.CLIENT_ADMIN)
        async with self._uow(identity.tenant_id, identity) as uow:
            repo = self._repo(uow)
            current = await repo.get(program_id, for_update=True)
            if current is None:
                raise NotFound(f"program {program_id} not found", reason="PROGRAM_NOT_FOUND")
            current.check_etag(etag)
            current.check_deletable()
            await repo.remove(program_id)
            await uow.audit("program.delete", "program", str(program_id), before=_audit_view(current))
            await uow.commit()

    @staticmethod
    def _visible(identity: Identity, program: Program) -> bool:
        if identity.has_role(Role.MANAGER):
            return True
        return program.state is ProgramState.PUBLISHED and program.content.visibility.value == "public"
