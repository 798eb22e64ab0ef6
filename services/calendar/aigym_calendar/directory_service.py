"""Event handlers that keep the calendar's copy of programs data: enrolment dates, program titles, learners.

Each handler runs in the consumer's unit of work (inbox row in the same transaction) and never commits.
Events of one enrolment may be handled out of order by parallel workers: a change older than the stored
row's last change is ignored, so a late enrollment_created never resurrects a withdrawn enrolment.
"""

from __future__ import annotations

import datetime as dt

from aigym.programs.v1 import events_pb2 as programs_events
from aigym_calendar.domain import Enrollment
from aigym_calendar.repository import CalendarRepository
from aigym_platform.db import UnitOfWork
from aigym_platform.events.envelope import Event


def _time(
    message: programs_events.EnrollmentCreated | programs_events.EnrollmentDatesChanged, name: str
) -> dt.datetime | None:
    return getattr(message, name).ToDatetime(tzinfo=dt.UTC) if message.HasField(name) else None


class DirectoryHandlers:
    """Handlers of programs events the calendar consumes."""

    async def record_enrollment_created(
        self, uow: UnitOfWork, event: Event[programs_events.EnrollmentCreated]
    ) -> None:
        """Show the enrolment's start, due and end dates on the learner's calendar."""
        p = event.payload
        repo = CalendarRepository(uow.session, uow.tenant_id)
        row = await repo.get_enrollment(p.enrollment_id)
        if row is not None and row.update_time >= event.occurred_at:
            return
        enrollment = Enrollment(
            p.enrollment_id,
            p.program_id,
            p.learner_id,
            p.state or "active",
            _time(p, "start_time"),
            _time(p, "due_time"),
            _time(p, "end_time"),
            sequence=(row.sequence + 1) if row is not None else 0,
        )
        await repo.save_enrollment(enrollment, event.occurred_at)

    async def record_enrollment_dates_changed(
        self, uow: UnitOfWork, event: Event[programs_events.EnrollmentDatesChanged]
    ) -> None:
        """Follow an admin's change of the enrolment's dates (SEQUENCE goes up for calendar apps)."""
        p = event.payload
        repo = CalendarRepository(uow.session, uow.tenant_id)
        row = await repo.get_enrollment(p.enrollment_id)
        if row is not None and row.update_time >= event.occurred_at:
            return
        enrollment = Enrollment(
            p.enrollment_id,
            p.program_id,
            p.learner_id,
            row.state if row is not None else "active",
            _time(p, "start_time"),
            _time(p, "due_time"),
            _time(p, "end_time"),
            sequence=(row.sequence + 1) if row is not None else 0,
        )
        await repo.save_enrollment(enrollment, event.occurred_at)

    async def record_enrollment_approved(
        self, uow: UnitOfWork, event: Event[programs_events.EnrollmentApproved]
    ) -> None:
        """A pending enrolment became active."""
        await self._set_state(uow, event.payload.enrollment_id, "active", event.occurred_at)

    async def record_enrollment_withdrawn(
        self, uow: UnitOfWork, event: Event[programs_events.EnrollmentWithdrawn]
    ) -> None:
        """Take the enrolment's dates off the learner's calendar."""
        p = event.payload
        repo = CalendarRepository(uow.session, uow.tenant_id)
        row = await repo.get_enrollment(p.enrollment_id)
        if row is None:  # withdrawn before we saw it: remember, so a late "created" stays withdrawn
            await repo.save_enrollment(
                Enrollment(p.enrollment_id, p.program_id, p.learner_id, "withdrawn", None, None, None),
                event.occurred_at,
            )
            return
        await self._set_state(uow, p.enrollment_id, "withdrawn", event.occurred_at)

    async def _set_state(self, uow: UnitOfWork, enrollment_id: str, state: str, when: dt.datetime) -> None:
        repo = CalendarRepository(uow.session, uow.tenant_id)
        row = await repo.get_enrollment(enrollment_id)
        if row is None or row.update_time >= when or row.state == "withdrawn":
            return
        await repo.save_enrollment(
            Enrollment(
                row.enrollment_id,
                row.program_id,
                row.learner_id,
                state,
                row.start_time,
                row.due_time,
                row.end_time,
                row.sequence + 1,
            ),
            when,
        )

    async def record_program_published(
        self, uow: UnitOfWork, event: Event[programs_events.ProgramPublished]
    ) -> None:
        """Keep the program's title for deadline entries."""
        p = event.payload
        await CalendarRepository(uow.session, uow.tenant_id).save_program_title(
            p.program_id, p.title, event.occurred_at
        )

    async def record_learner_upserted(
        self, uow: UnitOfWork, event: Event[programs_events.LearnerUpserted]
    ) -> None:
        """Replace the local copy of the learner's directory entry (email, time zone, manager)."""
        p = event.payload
        await CalendarRepository(uow.session, uow.tenant_id).save_learner(
            p.learner_id,
            p.display_name,
            p.email,
            p.time_zone,
            p.active,
            event.occurred_at,
            manager_id=p.manager_id.strip(),
        )

    async def record_learner_deactivated(
        self, uow: UnitOfWork, event: Event[programs_events.LearnerDeactivated]
    ) -> None:
        """Stop reminding a learner who left."""
        await CalendarRepository(uow.session, uow.tenant_id).deactivate_learner(
            event.payload.learner_id, event.occurred_at
        )
