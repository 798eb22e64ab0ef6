"""Bulk enrolment maintenance: migrating enrolments to a newer version, recomputing a program's progress.

Both page through a program's enrolments by id, report per enrolment what changes (a dry run writes
nothing) and, when applied, write each change with its audit record and events in one transaction per
page. Progress is recomputed from the learners' completed courses (the completion ledger).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from aigym_platform.db import UnitOfWork, UnitOfWorkFactory
from aigym_platform.errors import FailedPrecondition, InvalidArgument, NotFound
from aigym_platform.events.registry import ENROLLMENT_MIGRATED
from aigym_platform.identity import Identity, Role, TenantId
from aigym_platform.pagination import Cursor, decode_token, encode_token, page_size
from aigym_programs.completions_repository import SqlCompletionLedger
from aigym_programs.domain import Program
from aigym_programs.enrollment import Enrollment, EnrollmentChange, EnrollmentState, ReopenReason, replan
from aigym_programs.enrollment_repository import EnrollmentRepository, SqlEnrollmentRepository
from aigym_programs.events import enrollment_migrated, enrollment_subject
from aigym_programs.progress_service import CompletionLedgerFactory, PinnedStructures, announce_progress
from aigym_programs.repository import ProgramRepository, SqlProgramRepository
from aigym_programs.structure import Structure

DEFAULT_BATCH = 200
MAX_BATCH = 1000
MAINTAINED_STATES = frozenset(
    {EnrollmentState.PENDING_APPROVAL, EnrollmentState.ACTIVE, EnrollmentState.COMPLETED}
)


@dataclass(frozen=True)
class MaintenanceResult:
    """One page of a migration or recompute."""

    changes: list[EnrollmentChange]
    examined: int
    applied: bool
    next_token: str
    target_version: int = 0


def _audit_view(enrollment: Enrollment) -> dict[str, object]:
    return {
        "program_version": enrollment.program_version,
        "state": enrollment.state.value,
        "progress": enrollment.progress,
        "completed_course_ids": list(enrollment.completed_course_ids),
        "reached_milestones": list(enrollment.reached_milestones),
    }


class EnrollmentMaintenance:
    """Version migration and progress recompute of a program's enrolments (admins only)."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        programs: Callable[[AsyncSession, TenantId], ProgramRepository] = SqlProgramRepository,
        enrollments: Callable[[AsyncSession, TenantId], EnrollmentRepository] = SqlEnrollmentRepository,
        ledger: CompletionLedgerFactory = SqlCompletionLedger,
    ) -> None:
        self._uow = uow_factory
        self._programs = programs
        self._enrollments = enrollments
        self._ledger = ledger

    async def migrate(
        self,
        identity: Identity,
        program_id: uuid.UUID,
        target_version: int,
        learner_ids: Sequence[str],
        *,
        validate_only: bool,
        requested: int,
        token: str,
    ) -> MaintenanceResult:
        """Re-pin enrolments on older versions to `target_version` (0: current), reporting each change."""
        identity.require(Role.CLIENT_ADMIN)
        learners = frozenset(learner.strip() for learner in learner_ids) or None
        async with self._uow(identity.tenant_id, identity) as uow:
            program = await self._program(uow, program_id)
            target = target_version or program.current_version
            if target > program.current_version:
                raise InvalidArgument.for_field(
                    "target_version",
                    f"the program has no published version {target} (latest: {program.current_version})",
                    reason="VERSION_NOT_FOUND",
                )
            fingerprint = {
                "op": "migrate",
                "target": target,
                "learners": sorted(learners or ()),
                "dry": validate_only,
            }
            return await self._run(
                uow,
                program_id,
                fingerprint,
                requested,
                token,
                validate_only=validate_only,
                target_of=lambda _: target,
                learners=learners,
                below_version=target,
                action="migrate",
                target_version=target,
            )

    async def recompute(
        self, identity: Identity, program_id: uuid.UUID, *, validate_only: bool, requested: int, token: str
    ) -> MaintenanceResult:
        """Recompute progress against each enrolment's pinned version; report (and fix) the differences."""
        identity.require(Role.CLIENT_ADMIN)
        async with self._uow(identity.tenant_id, identity) as uow:
            await self._program(uow, program_id)
            return await self._run(
                uow,
                program_id,
                {"op": "recompute", "dry": validate_only},
                requested,
                token,
                validate_only=validate_only,
                target_of=lambda enrollment: enrollment.program_version,
                learners=None,
                below_version=None,
                action="recompute",
            )

    async def _program(self, uow: UnitOfWork, program_id: uuid.UUID) -> Program:
        program = await self._programs(uow.session, uow.tenant_id).get(program_id)
        if program is None:
            raise NotFound(f"program {program_id} not found", reason="PROGRAM_NOT_FOUND")
        if program.current_version == 0:
            raise FailedPrecondition(
                "the program has never been published: it has no enrolments to maintain",
                reason="PROGRAM_NOT_PUBLISHED",
            )
        return program

    async def _run(
        self,
        uow: UnitOfWork,
        program_id: uuid.UUID,
        fingerprint: dict[str, object],
        requested: int,
        token: str,
        *,
        validate_only: bool,
        target_of: Callable[[Enrollment], int],
        learners: frozenset[str] | None,
        below_version: int | None,
        action: str,
        target_version: int = 0,
    ) -> MaintenanceResult:
        fingerprint = {**fingerprint, "program": str(program_id)}
        cursor = decode_token(token, fingerprint)
        size = page_size(requested, default=DEFAULT_BATCH, maximum=MAX_BATCH)
        enrollments = self._enrollments(uow.session, uow.tenant_id)
        rows = await enrollments.page_of_program(
            program_id,
            cursor.uuid(0) if cursor else None,
            size + 1,
            states=MAINTAINED_STATES,
            learner_ids=learners,
            below_version=below_version,
        )
        page = rows[:size]
        structures = PinnedStructures(self._programs(uow.session, uow.tenant_id))
        courses = await self._ledger(uow.session, uow.tenant_id).courses_of(e.learner_id for e in page)
        now = dt.datetime.now(dt.UTC)
        changes: list[EnrollmentChange] = []
        for enrollment in page:
            current = await structures.get(program_id, enrollment.program_version) or Structure()
            version = target_of(enrollment)
            target = (
                current
                if version == enrollment.program_version
                else await structures.get(program_id, version)
            )
            change = replan(
                enrollment,
                current,
                target or Structure(),
                version,
                courses.get(enrollment.learner_id, frozenset()),
                now,
            )
            if action == "recompute" and not change.changed:
                continue
            changes.append(change)
            if not validate_only:
                await self._write(uow, enrollments, change, target or Structure(), action, now)
        if not validate_only:
            await uow.commit()
        next_token = (
            encode_token(Cursor((str(page[-1].enrollment_id),)), fingerprint) if len(rows) > size else ""
        )
        return MaintenanceResult(changes, len(page), not validate_only, next_token, target_version)

    @staticmethod
    async def _write(
        uow: UnitOfWork,
        enrollments: EnrollmentRepository,
        change: EnrollmentChange,
        structure: Structure,
        action: str,
        now: dt.datetime,
    ) -> None:
        await enrollments.save_state(change.after)
        await uow.audit(
            f"enrollment.{action}",
            "enrollment",
            str(change.after.enrollment_id),
            before=_audit_view(change.before),
            after=_audit_view(change.after),
        )
        if action == "migrate":
            await uow.publish(
                ENROLLMENT_MIGRATED,
                enrollment_subject(change.after),
                enrollment_migrated(change.before, change.after),
            )
        if change.update is not None:
            reason = ReopenReason.VERSION_MIGRATION if action == "migrate" else ReopenReason.RECOMPUTE
            await announce_progress(uow, structure, change.update, now, reason=reason)


def change_summary(change: EnrollmentChange) -> dict[str, object]:
    """A JSON-friendly view of one change (CLI output)."""
    return {
        "enrollment_id": str(change.after.enrollment_id),
        "learner_id": change.after.learner_id,
        "from_version": change.before.program_version,
        "to_version": change.after.program_version,
        "progress": [change.before.progress, change.after.progress],
        "completed": [change.before.complete_time is not None, change.after.complete_time is not None],
        "added_course_ids": sorted(change.added_course_ids),
        "removed_course_ids": sorted(change.removed_course_ids),
        "milestones_gained": sorted(change.milestones_gained),
        "milestones_lost": sorted(change.milestones_lost),
    }
