"""Enrolment use cases: enrol (admin, self, or a request to approve), batch with dry run, list, withdraw.

Approving a request lives in `enrollment_approval_service.py` and overriding a learner's dates in
`enrollment_dates_service.py`; withdrawing and both of those change an enrolment with the shared steps of
`enrollment_changes.py`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from aigym_platform.db import TenantUnit, UnitOfWork, UnitOfWorkFactory
from aigym_platform.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)
from aigym_platform.events.registry import ENROLLMENT_CREATED, ENROLLMENT_WITHDRAWN
from aigym_platform.identity import Identity, Role, TenantId
from aigym_platform.pagination import Cursor, decode_token, encode_token, page_size
from aigym_programs.completions_repository import SqlCompletionLedger
from aigym_programs.directory_repository import SqlDirectoryRepository
from aigym_programs.directory_service import DirectoryRepositoryFactory, team_scope
from aigym_programs.domain import Program, ProgramState, Visibility
from aigym_programs.enrollment import (
    Enrollment,
    EnrollmentSource,
    EnrollmentState,
    apply_course_progress,
    compute_dates,
)
from aigym_programs.enrollment_changes import audit_view, locked_for_change, may_see, save_state_change
from aigym_programs.enrollment_repository import (
    EnrollmentFilter,
    EnrollmentRepository,
    SqlEnrollmentRepository,
)
from aigym_programs.events import enrollment_created, enrollment_subject, enrollment_withdrawn
from aigym_programs.hot_reads import EnrollmentHotReads
from aigym_programs.progress_service import CompletionLedgerFactory, announce_progress
from aigym_programs.repository import ProgramRepository, SqlProgramRepository
from aigym_programs.structure import Structure

ProgramRepositoryFactory = Callable[[AsyncSession, TenantId], ProgramRepository]
EnrollmentRepositoryFactory = Callable[[AsyncSession, TenantId], EnrollmentRepository]


@dataclass(frozen=True)
class EnrollmentRequest:
    """One requested enrolment: a learner and optional date overrides."""

    learner_id: str
    start: dt.datetime | None = None
    due: dt.datetime | None = None
    end: dt.datetime | None = None

    @property
    def has_dates(self) -> bool:
        """True if any date is overridden."""
        return any((self.start, self.due, self.end))


# Outcomes of one batch row.
CREATED, WOULD_CREATE, ALREADY_ENROLLED, INVALID = "created", "would_create", "already_enrolled", "invalid"


@dataclass(frozen=True)
class BatchResult:
    """What happened to one row of a batch."""

    index: int
    learner_id: str
    outcome: str
    enrollment: Enrollment | None = None
    error: str = ""


class EnrollmentsService:
    """Enrolment use cases, independent of gRPC."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        programs: ProgramRepositoryFactory = SqlProgramRepository,
        enrollments: EnrollmentRepositoryFactory = SqlEnrollmentRepository,
        directory: DirectoryRepositoryFactory = SqlDirectoryRepository,
        ledger: CompletionLedgerFactory = SqlCompletionLedger,
        hot_reads: EnrollmentHotReads | None = None,
    ) -> None:
        self._uow = uow_factory
        self._hot = hot_reads
        self._programs = programs
        self._enrollments = enrollments
        self._directory = directory
        self._ledger = ledger

    async def enroll(
        self, identity: Identity, program_id: uuid.UUID, request: EnrollmentRequest
    ) -> Enrollment:
        """Enrol one learner: admins anyone, managers their team (direct and indirect reports) in catalogue
        programs, learners themselves (directly or as a request to approve)."""
        identity.require(Role.LEARNER)
        if not request.learner_id:
            raise InvalidArgument.for_field("enrollment.learner_id", "is required", reason="LEARNER_REQUIRED")
        learner = identity.user_id if identity.is_self(request.learner_id) else request.learner_id
        is_admin = identity.has_role(Role.CLIENT_ADMIN)
        by_manager = not is_admin and learner != identity.user_id
        if by_manager and not identity.has_role(Role.MANAGER):
            raise PermissionDenied("only an admin or the learner's manager may enrol other learners")
        if not is_admin and request.has_dates:
            raise PermissionDenied("only an admin may set enrolment dates")
        now = dt.datetime.now(dt.UTC)
        async with self._uow(identity.tenant_id, identity) as uow:
            if by_manager:
                await self._require_in_team(uow, identity, learner, "enrol")
            # Managers see every program; they assign their team to the catalogue's public ones only.
            program = await self._published_program(
                uow, program_id, visible_to_learner=not is_admin and not by_manager
            )
            if by_manager and program.content.visibility is not Visibility.PUBLIC:
                raise PermissionDenied(
                    "a restricted program takes enrolments from admins only", reason="PROGRAM_RESTRICTED"
                )
            if not is_admin:
                program.content.rules.check_window(now)
            dates = compute_dates(
                program.content.rules, now, start=request.start, due=request.due, end=request.end
            )
            if is_admin:
                state, source = EnrollmentState.ACTIVE, EnrollmentSource.ADMIN
            elif by_manager:
                state, source = EnrollmentState.ACTIVE, EnrollmentSource.MANAGER
            elif program.content.self_enrollment_allowed:
                state, source = EnrollmentState.ACTIVE, EnrollmentSource.SELF
            else:
                state, source = EnrollmentState.PENDING_APPROVAL, EnrollmentSource.REQUEST
            enrollment = Enrollment(
                uuid.uuid4(), program_id, learner, state, program.current_version, dates, source, now
            )
            repo = self._enrollments(uow.session, uow.tenant_id)
            ledger = self._ledger(uow.session, uow.tenant_id)
            # The learner lock before the enrolment row, in the same order as a batch enrolment takes them:
            # the other way round, a batch holding the lock and waiting for this row deadlocks with it.
            await ledger.lock_learners([learner])
            if await self._directory(uow.session, uow.tenant_id).inactive_among([learner]):
                raise FailedPrecondition(
                    f"learner {learner} is deactivated in the directory: no new enrolments",
                    reason="LEARNER_INACTIVE",
                )
            if not await repo.add_if_absent(enrollment):
                existing = (await repo.open_for(program_id, [learner]))[learner]
                raise AlreadyExists(
                    f"{learner} already has an open enrolment in this program",
                    reason="ALREADY_ENROLLED",
                    metadata={"enrollment_id": str(existing.enrollment_id)},
                )
            structure = await self._pinned_structure(uow, program)
            courses = await ledger.courses_of([learner])
            enrollment = await _record_creation(uow, repo, enrollment, structure, courses.get(learner))
            await uow.commit()
            return enrollment

    async def batch_enroll(
        self,
        identity: Identity,
        program_id: uuid.UUID,
        rows: Sequence[EnrollmentRequest],
        validate_only: bool,
        request_id: str = "",
    ) -> list[BatchResult]:
        """Enrol many learners with a result per row; a retried upload creates nothing twice (with a
        `request_id`, not even for learners whose enrolment has completed or been withdrawn since)."""
        identity.require(Role.CLIENT_ADMIN)
        now = dt.datetime.now(dt.UTC)
        results: list[BatchResult] = []
        async with self._uow(identity.tenant_id, identity) as uow:
            program = await self._published_program(uow, program_id, visible_to_learner=False)
            repo = self._enrollments(uow.session, uow.tenant_id)
            ledger = self._ledger(uow.session, uow.tenant_id)
            if not validate_only:  # before reading: the rows below are then the learners' latest
                await ledger.lock_learners(row.learner_id.strip() for row in rows)
            learners = [row.learner_id for row in rows]
            existing = await repo.open_for(program_id, learners)
            if request_id:  # what the first attempt of this upload created, whatever became of it
                existing |= await repo.created_by_request(program_id, request_id, learners)
            structure = await self._pinned_structure(uow, program)
            prior = await ledger.courses_of(row.learner_id.strip() for row in rows)
            inactive = await self._directory(uow.session, uow.tenant_id).inactive_among(
                row.learner_id.strip() for row in rows
            )
            seen: dict[str, Enrollment | None] = {}
            for index, row in enumerate(rows):
                learner = row.learner_id.strip()
                if not learner:
                    problem = f"enrollments[{index}].learner_id: is required"
                    results.append(BatchResult(index, learner, INVALID, error=problem))
                    continue
                if learner in inactive and learner not in existing:
                    problem = f"enrollments[{index}].learner_id: {learner} is deactivated in the directory"
                    results.append(BatchResult(index, learner, INVALID, error=problem))
                    continue
                if learner in existing or learner in seen:
                    results.append(
                        BatchResult(index, learner, ALREADY_ENROLLED, existing.get(learner) or seen[learner])
                    )
                    continue
                try:
                    dates = compute_dates(
                        program.content.rules,
                        now,
                        start=row.start,
                        due=row.due,
                        end=row.end,
                        field_prefix=f"enrollments[{index}]",
                    )
                except InvalidArgument as error:
                    results.append(BatchResult(index, learner, INVALID, error=error.message))
                    continue
                if validate_only:
                    seen[learner] = None
                    results.append(BatchResult(index, learner, WOULD_CREATE))
                    continue
                enrollment = Enrollment(
                    uuid.uuid4(),
                    program_id,
                    learner,
                    EnrollmentState.ACTIVE,
                    program.current_version,
                    dates,
                    EnrollmentSource.ADMIN,
                    now,
                )
                created = await repo.add_if_absent(enrollment, request_id=request_id or None)
                seen[learner] = enrollment if created else None
                if created:
                    enrollment = await _record_creation(uow, repo, enrollment, structure, prior.get(learner))
                    seen[learner] = enrollment
                results.append(
                    BatchResult(
                        index,
                        learner,
                        CREATED if created else ALREADY_ENROLLED,
                        enrollment if created else None,
                    )
                )
            if not validate_only:
                await uow.commit()
        return results

    async def get(self, identity: Identity, program_id: uuid.UUID, enrollment_id: uuid.UUID) -> Enrollment:
        """One enrolment: the learner themselves, managers and admins."""
        identity.require(Role.LEARNER)
        async with self._uow(identity.tenant_id, identity).reading() as uow:
            enrollment = await self._enrollments(uow.session, uow.tenant_id).get(enrollment_id)
            scope = await self._scope(uow, identity)
        if (
            enrollment is None
            or enrollment.program_id != program_id
            or not may_see(identity, enrollment, scope)
        ):
            raise NotFound(f"enrollment {enrollment_id} not found", reason="ENROLLMENT_NOT_FOUND")
        return enrollment

    async def list_for_program(
        self, identity: Identity, program_id: uuid.UUID, filters: EnrollmentFilter, requested: int, token: str
    ) -> tuple[list[Enrollment], str]:
        """A program's enrolments (managers and admins), newest first."""
        identity.require(Role.MANAGER)
        if self._hot is not None and identity.has_role(Role.CLIENT_ADMIN):  # everyone's: no directory
            tenant, hot = identity.tenant_id, self._hot
            scoped = dataclasses.replace(filters, program_id=program_id, learner_ids=None)
            page, next_token = await _page(
                lambda after, limit: hot.list_enrollments(tenant, scoped, after, limit),
                scoped,
                requested,
                token,
            )
            if not page:  # enrolments prove their program exists; an empty page needs the check
                async with self._uow(identity.tenant_id, identity).reading() as uow:
                    await self._program_exists(uow, program_id)
            return page, next_token
        async with self._uow(identity.tenant_id, identity).reading() as uow:
            scoped = dataclasses.replace(
                filters, program_id=program_id, learner_ids=await self._scope(uow, identity)
            )
            page, next_token = await self._page(uow, scoped, requested, token)
            if not page:
                await self._program_exists(uow, program_id)
            return page, next_token

    async def _program_exists(self, uow: TenantUnit, program_id: uuid.UUID) -> None:
        """NOT_FOUND unless the program exists (one round trip; a page with rows proves it already)."""
        if not await self._programs(uow.session, uow.tenant_id).exists(program_id):
            raise NotFound(f"program {program_id} not found", reason="PROGRAM_NOT_FOUND")

    async def list_for_learner(
        self, identity: Identity, learner_id: str, state: EnrollmentState | None, requested: int, token: str
    ) -> tuple[list[Enrollment], str]:
        """A learner's enrolments ("my programs"): the learner themselves, managers and admins."""
        identity.require(Role.LEARNER)
        learner = identity.user_id if identity.is_self(learner_id) else learner_id
        if self._hot is not None and (learner == identity.user_id or identity.has_role(Role.CLIENT_ADMIN)):
            tenant, hot = identity.tenant_id, self._hot
            filters = EnrollmentFilter(learner_id=learner, state=state)
            return await _page(
                lambda after, limit: hot.list_enrollments(tenant, filters, after, limit),
                filters,
                requested,
                token,
            )
        async with self._uow(identity.tenant_id, identity).reading() as uow:
            scope = await self._scope(uow, identity)
            if learner != identity.user_id and scope is not None and learner not in scope:
                raise PermissionDenied("you may see your own enrolments and those of your team")
            return await self._page(uow, EnrollmentFilter(learner_id=learner, state=state), requested, token)

    async def withdraw(
        self, identity: Identity, program_id: uuid.UUID, enrollment_id: uuid.UUID
    ) -> Enrollment:
        """Withdraw an open enrolment (the learner, their manager or an admin); withdrawing twice changes
        nothing."""
        identity.require(Role.LEARNER)
        async with self._uow(identity.tenant_id, identity) as uow:
            repo = self._enrollments(uow.session, uow.tenant_id)
            directory = self._directory(uow.session, uow.tenant_id)
            current = await locked_for_change(
                repo, directory, identity, program_id, enrollment_id, "withdraw", self_allowed=True
            )
            if current.state is EnrollmentState.WITHDRAWN:
                return current
            changed = await save_state_change(uow, repo, current, EnrollmentState.WITHDRAWN, "withdraw")
            await uow.publish(
                ENROLLMENT_WITHDRAWN, enrollment_subject(changed), enrollment_withdrawn(changed)
            )
            await uow.commit()
            return changed

    async def _pinned_structure(self, uow: UnitOfWork, program: Program) -> Structure:
        version = await self._programs(uow.session, uow.tenant_id).get_version(
            program.program_id, program.current_version
        )
        return version.structure if version else Structure()

    async def _published_program(
        self, uow: UnitOfWork, program_id: uuid.UUID, *, visible_to_learner: bool
    ) -> Program:
        program = await self._programs(uow.session, uow.tenant_id).get(program_id)
        hidden = program is None or (
            visible_to_learner
            and (
                program.state is not ProgramState.PUBLISHED
                or program.content.visibility is not Visibility.PUBLIC
            )
        )
        if program is None or hidden:
            raise NotFound(f"program {program_id} not found", reason="PROGRAM_NOT_FOUND")
        if program.state is not ProgramState.PUBLISHED:
            raise FailedPrecondition(
                f"only published programs take enrolments; this one is {program.state.value}",
                reason="PROGRAM_NOT_PUBLISHED",
            )
        return program

    async def _page(
        self, uow: TenantUnit, filters: EnrollmentFilter, requested: int, token: str
    ) -> tuple[list[Enrollment], str]:
        repo = self._enrollments(uow.session, uow.tenant_id)
        return await _page(
            lambda after, limit: repo.list_enrollments(filters, after, limit), filters, requested, token
        )

    async def _scope(self, uow: TenantUnit, identity: Identity) -> frozenset[str] | None:
        return await team_scope(self._directory(uow.session, uow.tenant_id), identity)

    async def _require_in_team(self, uow: TenantUnit, identity: Identity, learner: str, action: str) -> None:
        """PERMISSION_DENIED unless `learner` reports to the calling manager, directly or indirectly."""
        scope = await self._scope(uow, identity)
        if scope is not None and learner not in scope:
            raise PermissionDenied(
                f"you may {action} only learners in your team; {learner} is not",
                reason="LEARNER_OUT_OF_SCOPE",
            )


ListEnrollments = Callable[[tuple[dt.datetime, uuid.UUID] | None, int], Awaitable[list[Enrollment]]]
"""`(after, limit) -> enrolments` of one filter, from a repository or direct reads."""


async def _page(
    list_enrollments: ListEnrollments, filters: EnrollmentFilter, requested: int, token: str
) -> tuple[list[Enrollment], str]:
    """One page of enrolments newest first and the token of the next (empty on the last page)."""
    fingerprint = {
        "program": str(filters.program_id),
        "learner": filters.learner_id,
        "state": filters.state,
        "overdue": filters.overdue_only,
        "min_progress": filters.min_progress,
    }
    cursor = decode_token(token, fingerprint)
    after = (cursor.time(0), cursor.uuid(1)) if cursor else None
    size = page_size(requested)
    rows = await list_enrollments(after, size + 1)
    page = rows[:size]
    next_token = ""
    if len(rows) > size:
        last = page[-1]
        next_token = encode_token(
            Cursor((last.create_time.isoformat(), str(last.enrollment_id))), fingerprint
        )
    return page, next_token


async def _record_creation(
    uow: UnitOfWork,
    repo: EnrollmentRepository,
    enrollment: Enrollment,
    structure: Structure,
    prior_courses: frozenset[str] | None,
) -> Enrollment:
    """Audit and announce a new enrolment; courses the learner completed before count at once."""
    update = None
    if prior_courses and prior_courses & structure.course_ids:
        update = apply_course_progress(enrollment, structure, prior_courses, enrollment.create_time)
        enrollment = update.enrollment
        await repo.save_state(enrollment)
    await uow.audit(
        "enrollment.create", "enrollment", str(enrollment.enrollment_id), after=audit_view(enrollment)
    )
    await uow.publish(ENROLLMENT_CREATED, enrollment_subject(enrollment), enrollment_created(enrollment))
    if update is not None:
        await announce_progress(uow, structure, update, enrollment.create_time)
    return enrollment
