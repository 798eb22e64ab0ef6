"""Real-time program progress: course completions and resets from the progress service, as they arrive.

Both handlers run inside the consumer's unit of work (the inbox row that makes redelivery harmless is in
the same transaction) and never commit it themselves.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession

from aigym.progress.v1 import events_pb2 as progress_events
from aigym_platform.db import UnitOfWork
from aigym_platform.events.envelope import Event
from aigym_platform.events.registry import ENROLLMENT_COMPLETED, MILESTONE_REACHED
from aigym_platform.identity import TenantId
from aigym_programs.enrollment import ProgressUpdate, apply_course_progress
from aigym_programs.enrollment_repository import EnrollmentRepository, SqlEnrollmentRepository
from aigym_programs.events import enrollment_completed, enrollment_subject, milestone_reached
from aigym_programs.repository import ProgramRepository, SqlProgramRepository
from aigym_programs.structure import Structure


class ProgramProgress:
    """Keeps every enrolment's progress, milestones and completion in step with course completions."""

    def __init__(
        self,
        programs: Callable[[AsyncSession, TenantId], ProgramRepository] = SqlProgramRepository,
        enrollments: Callable[[AsyncSession, TenantId], EnrollmentRepository] = SqlEnrollmentRepository,
    ) -> None:
        self._programs = programs
        self._enrollments = enrollments

    async def record_course_completion(
        self, uow: UnitOfWork, event: Event[progress_events.CourseCompleted]
    ) -> None:
        """Add the course to every progressing enrolment whose pinned version contains it."""
        when = (
            event.payload.completed_at.ToDatetime(tzinfo=dt.UTC)
            if event.payload.HasField("completed_at")
            else event.occurred_at
        )
        await self._apply(uow, event.payload.learner_id, event.payload.course_id, when, completed=True)

    async def record_progress_reset(
        self, uow: UnitOfWork, event: Event[progress_events.ProgressReset]
    ) -> None:
        """Remove the course again (recertification); a completed enrolment that now falls short reopens."""
        await self._apply(
            uow, event.payload.learner_id, event.payload.course_id, event.occurred_at, completed=False
        )

    async def _apply(
        self, uow: UnitOfWork, learner_id: str, course_id: str, when: dt.datetime, *, completed: bool
    ) -> None:
        enrollments = self._enrollments(uow.session, uow.tenant_id)
        programs = self._programs(uow.session, uow.tenant_id)
        structures: dict[tuple[uuid.UUID, int], Structure | None] = {}
        for enrollment in await enrollments.progressing_for(learner_id, dt.datetime.now(dt.UTC)):
            key = (enrollment.program_id, enrollment.program_version)
            if key not in structures:
                version = await programs.get_version(*key)
                structures[key] = version.structure if version else None
            structure = structures[key]
            if structure is None or course_id not in structure.course_ids:
                continue
            courses = set(enrollment.completed_course_ids)
            if (course_id in courses) == completed:
                continue  # already counted (or already absent): nothing changes
            courses = courses | {course_id} if completed else courses - {course_id}
            update = apply_course_progress(enrollment, structure, frozenset(courses), when)
            await enrollments.save_state(update.enrollment)
            await self._announce(uow, structure, update, when)

    @staticmethod
    async def _announce(
        uow: UnitOfWork, structure: Structure, update: ProgressUpdate, when: dt.datetime
    ) -> None:
        enrollment = update.enrollment
        subject = enrollment_subject(enrollment)
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
