"""Real-time program progress: course completions and resets from the progress service, as they arrive.

Both handlers run inside the consumer's unit of work (the inbox row that makes redelivery harmless is in
the same transaction) and never commit it themselves. The learner's completed courses are kept in a
ledger, so a program's progress can be recomputed (and migrated to a new version) at any time. Every
transaction that reads or writes a learner's ledger takes that learner's lock first: two completions of
one learner handled at once by two worker threads would otherwise each miss the other's course.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession

from aigym.progress.v1 import events_pb2 as progress_events
from aigym_platform.db import UnitOfWork
from aigym_platform.events.envelope import Event
from aigym_platform.events.registry import ENROLLMENT_COMPLETED, ENROLLMENT_REOPENED, MILESTONE_REACHED
from aigym_platform.identity import TenantId
from aigym_programs.completions_repository import CompletionLedger, SqlCompletionLedger
from aigym_programs.enrollment import Enrollment, ProgressUpdate, ReopenReason, apply_course_progress
from aigym_programs.enrollment_repository import EnrollmentRepository, SqlEnrollmentRepository
from aigym_programs.events import (
    enrollment_completed,
    enrollment_reopened,
    enrollment_subject,
    milestone_reached,
)
from aigym_programs.repository import ProgramRepository, SqlProgramRepository
from aigym_programs.structure import Structure

CompletionLedgerFactory = Callable[[AsyncSession, TenantId], CompletionLedger]


class PinnedStructures:
    """Published versions' structures, loaded once per unit of work (versions never change)."""

    def __init__(self, programs: ProgramRepository) -> None:
        self._programs = programs
        self._loaded: dict[tuple[uuid.UUID, int], Structure | None] = {}

    async def get(self, program_id: uuid.UUID, version: int) -> Structure | None:
        """The structure of a published version, or None if it does not exist."""
        key = (program_id, version)
        if key not in self._loaded:
            found = await self._programs.get_version(program_id, version)
            self._loaded[key] = found.structure if found else None
        return self._loaded[key]


async def record_progress(
    uow: UnitOfWork,
    enrollments: EnrollmentRepository,
    enrollment: Enrollment,
    structure: Structure,
    courses: frozenset[str],
    when: dt.datetime,
    *,
    reason: ReopenReason | None = None,
) -> Enrollment:
    """The enrolment with these completed courses applied to its pinned `structure`; saved and announced
    when that changes it (nothing is written otherwise). `reason` names what made a completed enrolment
    reopen, if it does."""
    update = apply_course_progress(enrollment, structure, courses, when)
    if update.enrollment != enrollment:
        await enrollments.save_state(update.enrollment)
        await announce_progress(uow, structure, update, when, reason=reason)
    return update.enrollment


async def announce_progress(
    uow: UnitOfWork,
    structure: Structure,
    update: ProgressUpdate,
    when: dt.datetime,
    *,
    reason: ReopenReason | None = None,
) -> None:
    """Publish the milestones an update reached and the completion or reopening it caused (both audited;
    a reopening names `reason` and the complete time it reverses)."""
    enrollment = update.enrollment
    subject = enrollment_subject(enrollment)
    if update.reopened and update.previous_complete_time is not None:
        cause = reason.value if reason is not None else ""
        reopened = enrollment_reopened(enrollment, update.previous_complete_time, cause, when)
        await uow.publish(ENROLLMENT_REOPENED, subject, reopened)
        await uow.audit(
            "enrollment.reopen",
            "enrollment",
            str(enrollment.enrollment_id),
            before={"completed_at": update.previous_complete_time},
            after={"reopened_at": when, "progress": enrollment.progress, "reason": cause},
        )
    for node_id in sorted(update.new_milestones):
        payload = milestone_reached(enrollment, node_id, structure.by_id[node_id].title, when)
        await uow.publish(MILESTONE_REACHED, subject, payload)
    if update.completed_now:
        await uow.publish(ENROLLMENT_COMPLETED, subject, enrollment_completed(enrollment, when))
        await uow.audit(
            "enrollment.complete",
            "enrollment",
            str(enrollment.enrollment_id),
            after={"completed_at": when, "progress": enrollment.progress},
        )


class ProgramProgress:
    """Keeps every enrolment's progress, milestones and completion in step with course completions."""

    def __init__(
        self,
        programs: Callable[[AsyncSession, TenantId], ProgramRepository] = SqlProgramRepository,
        enrollments: Callable[[AsyncSession, TenantId], EnrollmentRepository] = SqlEnrollmentRepository,
        ledger: CompletionLedgerFactory = SqlCompletionLedger,
    ) -> None:
        self._programs = programs
        self._enrollments = enrollments
        self._ledger = ledger

    async def record_course_completion(
        self, uow: UnitOfWork, event: Event[progress_events.CourseCompleted]
    ) -> None:
        """Remember the completed course and add it to every progressing enrolment that contains it."""
        payload = event.payload
        when = (
            payload.completed_at.ToDatetime(tzinfo=dt.UTC)
            if payload.HasField("completed_at")
            else event.occurred_at
        )
        ledger = self._ledger(uow.session, uow.tenant_id)
        await ledger.lock_learners([payload.learner_id])
        await ledger.record(payload.learner_id, payload.course_id, when, payload.attempt)
        await self._refresh(uow, payload.learner_id, payload.course_id, when, None)

    async def record_progress_reset(
        self, uow: UnitOfWork, event: Event[progress_events.ProgressReset]
    ) -> None:
        """Forget the course again (recertification); a completed enrolment that now falls short reopens
        (announced as enrollment_reopened, reason progress_reset)."""
        payload = event.payload
        ledger = self._ledger(uow.session, uow.tenant_id)
        await ledger.lock_learners([payload.learner_id])
        await ledger.remove(payload.learner_id, payload.course_id, payload.attempt, event.occurred_at)
        await self._refresh(
            uow, payload.learner_id, payload.course_id, event.occurred_at, ReopenReason.PROGRESS_RESET
        )

    async def _refresh(
        self, uow: UnitOfWork, learner_id: str, course_id: str, when: dt.datetime, reason: ReopenReason | None
    ) -> None:
        ledger = self._ledger(uow.session, uow.tenant_id)
        courses = (await ledger.courses_of([learner_id])).get(learner_id, frozenset())
        enrollments = self._enrollments(uow.session, uow.tenant_id)
        structures = PinnedStructures(self._programs(uow.session, uow.tenant_id))
        for enrollment in await enrollments.progressing_for(learner_id, dt.datetime.now(dt.UTC)):
            structure = await structures.get(enrollment.program_id, enrollment.program_version)
            if structure is None or course_id not in structure.course_ids:
                continue
            # A redelivered or repeated fact changes nothing.
            await record_progress(uow, enrollments, enrollment, structure, courses, when, reason=reason)
