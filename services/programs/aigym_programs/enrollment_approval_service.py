"""Approving enrolment requests.

A learner who enrols in a program that does not allow self-enrolment gets a request
(`EnrollmentsService.enroll`: PENDING_APPROVAL, source REQUEST); an admin or the learner's manager approves
it here, and the courses the learner completed meanwhile count from then on.
"""

from __future__ import annotations

import datetime as dt
import uuid

from aigym_platform.db import UnitOfWork, UnitOfWorkFactory
from aigym_platform.errors import FailedPrecondition
from aigym_platform.events.registry import ENROLLMENT_APPROVED
from aigym_platform.identity import Identity, Role
from aigym_programs.completions_repository import CompletionLedger, SqlCompletionLedger
from aigym_programs.directory_repository import SqlDirectoryRepository
from aigym_programs.directory_service import DirectoryRepositoryFactory
from aigym_programs.enrollment import Enrollment, EnrollmentState
from aigym_programs.enrollment_changes import locked_for_change, save_state_change
from aigym_programs.enrollment_repository import EnrollmentRepository, SqlEnrollmentRepository
from aigym_programs.enrollment_service import EnrollmentRepositoryFactory, ProgramRepositoryFactory
from aigym_programs.events import enrollment_approved, enrollment_subject
from aigym_programs.progress_service import CompletionLedgerFactory, record_progress
from aigym_programs.repository import SqlProgramRepository


class EnrollmentApprovals:
    """Approval of enrolment requests, independent of gRPC."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        programs: ProgramRepositoryFactory = SqlProgramRepository,
        enrollments: EnrollmentRepositoryFactory = SqlEnrollmentRepository,
        directory: DirectoryRepositoryFactory = SqlDirectoryRepository,
        ledger: CompletionLedgerFactory = SqlCompletionLedger,
    ) -> None:
        self._uow = uow_factory
        self._programs = programs
        self._enrollments = enrollments
        self._directory = directory
        self._ledger = ledger

    async def approve(
        self, identity: Identity, program_id: uuid.UUID, enrollment_id: uuid.UUID
    ) -> Enrollment:
        """Approve a pending request; approving an active enrolment changes nothing."""
        identity.require(Role.LEARNER)
        async with self._uow(identity.tenant_id, identity) as uow:
            repo = self._enrollments(uow.session, uow.tenant_id)
            ledger = self._ledger(uow.session, uow.tenant_id)
            # An approval counts the courses the learner completed meanwhile: their ledger is read under
            # the learner lock, taken (as everywhere) before the enrolment row's.
            unlocked = await repo.get(enrollment_id)
            if unlocked is not None:
                await ledger.lock_learners([unlocked.learner_id])
            directory = self._directory(uow.session, uow.tenant_id)
            current = await locked_for_change(
                repo, directory, identity, program_id, enrollment_id, "approve", self_allowed=False
            )
            if current.state is EnrollmentState.ACTIVE:
                return current
            if current.state is not EnrollmentState.PENDING_APPROVAL:
                raise FailedPrecondition(
                    "only pending enrolment requests can be approved", reason="NOT_PENDING"
                )
            changed = await save_state_change(uow, repo, current, EnrollmentState.ACTIVE, "approve")
            await uow.publish(
                ENROLLMENT_APPROVED,
                enrollment_subject(changed),
                enrollment_approved(changed, identity.user_id),
            )
            changed = await self._count_prior_courses(uow, repo, ledger, changed)
            await uow.commit()
            return changed

    async def _count_prior_courses(
        self, uow: UnitOfWork, repo: EnrollmentRepository, ledger: CompletionLedger, enrollment: Enrollment
    ) -> Enrollment:
        """The enrolment with the courses of its pinned version the learner has completed counted (course
        completions are not applied to a pending request); saved and announced when that changes it."""
        versions = self._programs(uow.session, uow.tenant_id)
        version = await versions.get_version(enrollment.program_id, enrollment.program_version)
        courses = (await ledger.courses_of([enrollment.learner_id])).get(enrollment.learner_id)
        if version is None or not courses:
            return enrollment
        return await record_progress(
            uow, repo, enrollment, version.structure, courses, dt.datetime.now(dt.UTC)
        )
