"""Use cases of the programs service. Each owns one unit of work and writes its audit record in it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from aigym_platform.db import TenantUnit, UnitOfWorkFactory
from aigym_platform.errors import FailedPrecondition, NotFound
from aigym_platform.events.registry import PROGRAM_ARCHIVED, PROGRAM_PUBLISHED
from aigym_platform.identity import Identity, Role, TenantId
from aigym_platform.pagination import Cursor, decode_token, encode_token, page_size
from aigym_programs.domain import (
    EDITABLE_STATES,
    PUBLISHABLE_STATES,
    Program,
    ProgramDraft,
    ProgramState,
    ProgramVersion,
    apply_update,
    normalise,
    validate_update_mask,
)
from aigym_programs.events import program_archived, program_published
from aigym_programs.repository import ProgramFilter, ProgramRepository, SqlProgramRepository
from aigym_programs.structure import Node, validate_structure

RepositoryFactory = Callable[[AsyncSession, TenantId], ProgramRepository]


@dataclass(frozen=True)
class ProgramPage:
    """One page of programs and the token of the next page ("" on the last)."""

    programs: list[Program]
    next_page_token: str


def _audit_view(program: Program) -> dict[str, object]:
    return {
        "state": program.state.value,
        "version": program.version,
        "structure": program.publishable_digest,
        **dataclasses.asdict(program.content),
    }


class ProgramsService:
    """Program lifecycle use cases, independent of gRPC."""

    def __init__(
        self, uow_factory: UnitOfWorkFactory, repositories: RepositoryFactory = SqlProgramRepository
    ) -> None:
        self._uow = uow_factory
        self._repositories = repositories

    def _repo(self, uow: TenantUnit) -> ProgramRepository:
        return self._repositories(uow.session, uow.tenant_id)

    async def create_program(
        self, identity: Identity, draft: ProgramDraft, request_id: str = "", structure: Sequence[Node] = ()
    ) -> Program:
        """Create a draft program; a retry with the same request id returns the first result."""
        identity.require(Role.CLIENT_ADMIN)
        content = normalise(draft)
        tree = validate_structure(structure)
        async with self._uow(identity.tenant_id, identity) as uow:
            repo = self._repo(uow)
            if request_id and (existing := await repo.get_by_request_id(request_id)) is not None:
                unchanged = existing.version == 1  # not edited since: what the first request created
                if unchanged and (existing.content != content or existing.structure != tree):
                    raise FailedPrecondition(
                        f"request_id {request_id} was already used to create a different program",
                        reason="REQUEST_ID_REUSED",
                    )
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
                structure=tree,
            )
            await repo.add(program)
            await uow.audit("program.create", "program", str(program.program_id), after=_audit_view(program))
            await uow.commit()
            return program

    async def get_program(self, identity: Identity, program_id: uuid.UUID) -> Program:
        """One program. Managers and admins read the working copy; a learner reads the current published
        version of a program in the public catalogue or of one they are (or were) enrolled in."""
        identity.require(Role.LEARNER)
        async with self._uow(identity.tenant_id, identity).reading() as uow:
            repo = self._repo(uow)
            program = await repo.get(program_id)
            if program is not None and identity.has_role(Role.MANAGER):
                return program
            version = None
            if (
                program is not None
                and program.current_version
                and (
                    self._visible(identity, program) or await repo.has_enrolment(program_id, identity.user_id)
                )
            ):
                version = await repo.get_version(program_id, program.current_version)
        if program is None or version is None:
            raise NotFound(f"program {program_id} not found", reason="PROGRAM_NOT_FOUND")
        return program.as_published(version)

    async def list_programs(
        self,
        identity: Identity,
        filters: ProgramFilter,
        requested_size: int,
        page_token: str,
        *,
        basic: bool = False,
    ) -> ProgramPage:
        """The tenant's programs newest first; learners see the published public catalogue only. `basic`
        leaves each program's structure out (cheaper: nothing to load, parse or digest)."""
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
            after = (cursor.time(0), cursor.uuid(1))
        size = page_size(requested_size)
        async with self._uow(identity.tenant_id, identity).reading() as uow:
            rows = await self._repo(uow).list_programs(filters, after, size + 1, basic=basic)
        programs, more = rows[:size], len(rows) > size
        token = ""
        if more:
            last = programs[-1]
            token = encode_token(Cursor((last.create_time.isoformat(), str(last.program_id))), fingerprint)
        return ProgramPage(programs, token)

    async def update_program(
        self,
        identity: Identity,
        program_id: uuid.UUID,
        changes: ProgramDraft,
        mask: list[str],
        etag: str,
        structure: Sequence[Node] = (),
    ) -> Program:
        """Change the masked fields of a draft or published program; a stale etag aborts."""
        identity.require(Role.CLIENT_ADMIN)
        fields = validate_update_mask(mask)
        new_structure = validate_structure(structure) if "structure" in fields else None
        async with self._uow(identity.tenant_id, identity) as uow:
            repo = self._repo(uow)
            current = await self._load(repo, program_id)
            current.check_etag(etag)
            current.check_transition("edit", EDITABLE_STATES)
            content = normalise(apply_update(current.content, changes, fields))
            updated = dataclasses.replace(
                current,
                content=content,
                structure=new_structure if new_structure is not None else current.structure,
                version=current.version + 1,
                update_time=dt.datetime.now(dt.UTC),
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
            current = await self._load(repo, program_id)
            current.check_etag(etag)
            current.check_deletable()
            await repo.remove(program_id)
            await uow.audit("program.delete", "program", str(program_id), before=_audit_view(current))
            await uow.commit()

    async def publish_program(self, identity: Identity, program_id: uuid.UUID, etag: str = "") -> Program:
        """Snapshot the structure as the next immutable version (a retry with nothing new changes nothing)."""
        identity.require(Role.CLIENT_ADMIN)
        async with self._uow(identity.tenant_id, identity) as uow:
            repo = self._repo(uow)
            current = await self._load(repo, program_id)
            current.check_etag(etag)
            current.check_transition("publish", PUBLISHABLE_STATES)
            if current.state is ProgramState.PUBLISHED and not current.has_unpublished_changes:
                return current
            if current.structure.root is None:
                raise FailedPrecondition(
                    "a program needs a structure with at least one course before it can be published",
                    reason="PROGRAM_STRUCTURE_EMPTY",
                )
            now = dt.datetime.now(dt.UTC)
            number = current.current_version + 1
            await repo.add_version(
                ProgramVersion(
                    program_id,
                    number,
                    current.content.title,
                    current.content.description,
                    current.structure,
                    now,
                    identity.user_id,
                )
            )
            published = dataclasses.replace(
                current,
                state=ProgramState.PUBLISHED,
                current_version=number,
                published_digest=current.publishable_digest,
                version=current.version + 1,
                update_time=now,
            )
            await repo.save(published)
            await uow.audit(
                "program.publish",
                "program",
                str(program_id),
                before=_audit_view(current),
                after={**_audit_view(published), "published_version": number},
            )
            await uow.publish(
                PROGRAM_PUBLISHED,
                f"programs/{program_id}",
                program_published(
                    str(program_id), number, current.content.title, current.structure.course_ids
                ),
            )
            await uow.commit()
            return published

    async def archive_program(self, identity: Identity, program_id: uuid.UUID, etag: str = "") -> Program:
        """Close a published program for new enrolments (archiving an archived program changes nothing)."""
        return await self._transition(
            identity, program_id, etag, "archive", ProgramState.PUBLISHED, ProgramState.ARCHIVED
        )

    async def restore_program(self, identity: Identity, program_id: uuid.UUID, etag: str = "") -> Program:
        """Reopen an archived program (restoring a published program changes nothing)."""
        return await self._transition(
            identity, program_id, etag, "restore", ProgramState.ARCHIVED, ProgramState.PUBLISHED
        )

    async def clone_program(
        self, identity: Identity, program_id: uuid.UUID, title: str = "", request_id: str = ""
    ) -> Program:
        """Copy content and current structure into a new draft; retries with the same request id dedupe."""
        identity.require(Role.CLIENT_ADMIN)
        async with self._uow(identity.tenant_id, identity) as uow:
            repo = self._repo(uow)
            clone_key = _clone_key(request_id) if request_id else None
            if clone_key and (existing := await repo.get_by_request_id(clone_key)) is not None:
                return existing
            source = await self._load(repo, program_id)
            content = normalise(
                dataclasses.replace(source.content, title=title or f"Copy of {source.content.title}"[:200]),
                title_field="title",
            )
            now = dt.datetime.now(dt.UTC)
            copy = Program(
                uuid.uuid4(),
                content,
                ProgramState.DRAFT,
                1,
                now,
                now,
                clone_key,
                structure=source.structure,
            )
            await repo.add(copy)
            await uow.audit(
                "program.clone",
                "program",
                str(copy.program_id),
                after={**_audit_view(copy), "cloned_from": str(program_id)},
            )
            await uow.commit()
            return copy

    async def list_versions(
        self, identity: Identity, program_id: uuid.UUID, requested_size: int, page_token: str
    ) -> tuple[list[ProgramVersion], str]:
        """A program's published versions, newest first (managers and admins)."""
        identity.require(Role.MANAGER)
        filters = {"program": str(program_id)}
        cursor = decode_token(page_token, filters)
        before = cursor.integer(0) if cursor else None
        size = page_size(requested_size)
        async with self._uow(identity.tenant_id, identity) as uow:
            repo = self._repo(uow)
            await self._load(repo, program_id)
            rows = await repo.list_versions(program_id, before, size + 1)
        versions = rows[:size]
        token = encode_token(Cursor((versions[-1].version,)), filters) if len(rows) > size else ""
        return versions, token

    async def get_version(self, identity: Identity, program_id: uuid.UUID, number: int) -> ProgramVersion:
        """One published version (managers and admins)."""
        identity.require(Role.MANAGER)
        async with self._uow(identity.tenant_id, identity).reading() as uow:
            version = await self._repo(uow).get_version(program_id, number)
        if version is None:
            raise NotFound(
                f"program {program_id} has no version {number}", reason="PROGRAM_VERSION_NOT_FOUND"
            )
        return version

    async def _transition(
        self,
        identity: Identity,
        program_id: uuid.UUID,
        etag: str,
        action: str,
        source: ProgramState,
        target: ProgramState,
    ) -> Program:
        identity.require(Role.CLIENT_ADMIN)
        async with self._uow(identity.tenant_id, identity) as uow:
            repo = self._repo(uow)
            current = await self._load(repo, program_id)
            current.check_etag(etag)
            if current.state is target:
                return current
            current.check_transition(action, frozenset({source}))
            changed = dataclasses.replace(
                current, state=target, version=current.version + 1, update_time=dt.datetime.now(dt.UTC)
            )
            await repo.save(changed)
            await uow.audit(
                f"program.{action}",
                "program",
                str(program_id),
                before=_audit_view(current),
                after=_audit_view(changed),
            )
            if target is ProgramState.ARCHIVED:
                await uow.publish(
                    PROGRAM_ARCHIVED,
                    f"programs/{program_id}",
                    program_archived(str(program_id), changed.current_version),
                )
            await uow.commit()
            return changed

    @staticmethod
    async def _load(repo: ProgramRepository, program_id: uuid.UUID) -> Program:
        program = await repo.get(program_id, for_update=True)
        if program is None:
            raise NotFound(f"program {program_id} not found", reason="PROGRAM_NOT_FOUND")
        return program

    @staticmethod
    def _visible(identity: Identity, program: Program) -> bool:
        if identity.has_role(Role.MANAGER):
            return True
        return program.state is ProgramState.PUBLISHED and program.content.visibility.value == "public"


def _clone_key(request_id: str) -> str:
    """A clone's idempotency key as stored: its own key space beside CreateProgram's, within 64 characters."""
    return "clone:" + hashlib.sha256(request_id.encode()).hexdigest()[:40]
