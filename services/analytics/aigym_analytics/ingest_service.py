"""Ingestion: the other services' events become raw facts, hourly counters and merged state.

Each handler runs inside the consumer's unit of work, whose inbox row makes a redelivery change nothing;
the fact, its counters and the merged state are written in that same transaction, so aggregates are up to
date the moment the event commits (no cron lag) and never count an event twice.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy.ext.asyncio import AsyncSession

from aigym.programs.v1 import events_pb2 as programs_events
from aigym.progress.v1 import events_pb2 as progress_events
from aigym_analytics.domain import Fact, FactKind, hour_of
from aigym_analytics.ingest_repository import IngestRepository, StatKey
from aigym_analytics.rollup_repository import RollupRepository
from aigym_platform.db import UnitOfWork
from aigym_platform.events.consumer import Handler
from aigym_platform.events.envelope import Event
from aigym_platform.identity import TenantId


def _time(stamp: Timestamp, has: bool, fallback: dt.datetime) -> dt.datetime:
    return stamp.ToDatetime(tzinfo=dt.UTC) if has else fallback


def _optional_time(stamp: Timestamp, has: bool) -> dt.datetime | None:
    return stamp.ToDatetime(tzinfo=dt.UTC) if has else None


class Ingestion:
    """The analytics consumer: one handler per consumed event type."""

    def __init__(
        self,
        repository: Callable[[AsyncSession, TenantId], IngestRepository] = IngestRepository,
        rollups: Callable[[AsyncSession, TenantId], RollupRepository] = RollupRepository,
    ) -> None:
        self._repository = repository
        self._rollups = rollups

    def handlers(self) -> dict[str, Handler]:
        """Handler name (as in the event registry) -> handler."""
        return {
            "record_block_activity": self.record_block_activity,
            "record_course_completion": self.record_course_completion,
            "record_progress_reset": self.record_progress_reset,
            "record_program_published": self.record_program_published,
            "record_program_archived": self.record_program_archived,
            "record_enrollment_created": self.record_enrollment_created,
            "record_enrollment_approved": self.record_enrollment_approved,
            "record_enrollment_completed": self.record_enrollment_completed,
            "record_enrollment_reopened": self.record_enrollment_reopened,
            "record_enrollment_withdrawn": self.record_enrollment_withdrawn,
            "record_enrollment_dates": self.record_enrollment_dates,
            "record_milestone": self.record_milestone,
            "record_learner": self.record_learner,
            "record_learner_deactivated": self.record_learner_deactivated,
        }

    async def _fact(self, uow: UnitOfWork, event: Event[Any], fact: Fact) -> IngestRepository:
        repo = self._repository(uow.session, uow.tenant_id)
        await repo.lock_shared()
        if await repo.add_fact(event.event_id, fact):
            learner_slot, course_slot = (
                await repo.add_slots(fact) if fact.kind is FactKind.BLOCK else (False, False)
            )
            if await repo.add_counters(fact, learner_slot, course_slot):
                rollups = self._rollups(uow.session, uow.tenant_id)
                await rollups.add_active_hour(fact.learner_id, hour_of(fact.occur_time))
        return repo

    # --- progress ---------------------------------------------------------------------------------------

    async def record_block_activity(
        self, uow: UnitOfWork, event: Event[progress_events.BlockCompleted]
    ) -> None:
        """A block record: a fact (activity, completion, score, time on task) and the learner's course."""
        p = event.payload
        when = _time(p.completed_at, p.HasField("completed_at"), event.occurred_at)
        score = p.score if p.HasField("score") and math.isfinite(p.score) else None
        fact = Fact(FactKind.BLOCK, when, p.learner_id, p.course_id, "", p.block_id, p.completed, score)
        repo = await self._fact(uow, event, fact)
        await repo.merge_learner_course(p.learner_id, p.course_id, max(p.attempt, 1), when, completed=None)

    async def record_course_completion(
        self, uow: UnitOfWork, event: Event[progress_events.CourseCompleted]
    ) -> None:
        """A course completion: a fact and the learner's course marked completed (for its attempt)."""
        p = event.payload
        when = _time(p.completed_at, p.HasField("completed_at"), event.occurred_at)
        repo = await self._fact(uow, event, Fact(FactKind.COURSE_COMPLETED, when, p.learner_id, p.course_id))
        await repo.merge_learner_course(p.learner_id, p.course_id, max(p.attempt, 1), when, completed=True)

    async def record_progress_reset(
        self, uow: UnitOfWork, event: Event[progress_events.ProgressReset]
    ) -> None:
        """A reset: a fact and the learner's course back to not completed in the new attempt."""
        p = event.payload
        when = _time(p.reset_at, p.HasField("reset_at"), event.occurred_at)
        repo = await self._fact(uow, event, Fact(FactKind.RESET, when, p.learner_id, p.course_id))
        await repo.merge_learner_course(p.learner_id, p.course_id, max(p.attempt, 1), when, completed=False)

    # --- programs -----------------------------------------------------------------------------------------

    async def record_program_published(
        self, uow: UnitOfWork, event: Event[programs_events.ProgramPublished]
    ) -> None:
        """Keep the newest version's title and courses."""
        p = event.payload
        repo = self._repository(uow.session, uow.tenant_id)
        await repo.merge_program(p.program_id, p.version, p.title, list(p.course_ids))

    async def record_program_archived(
        self, uow: UnitOfWork, event: Event[programs_events.ProgramArchived]
    ) -> None:
        """Flag the program archived."""
        await self._repository(uow.session, uow.tenant_id).archive_program(event.payload.program_id)

    async def record_enrollment_created(
        self, uow: UnitOfWork, event: Event[programs_events.EnrollmentCreated]
    ) -> None:
        """A fact (enrolments counter) and the enrolment row with its dates."""
        p = event.payload
        repo = await self._fact(
            uow, event, Fact(FactKind.ENROLLED, event.occurred_at, p.learner_id, program_id=p.program_id)
        )
        state = "pending_approval" if p.state == "pending_approval" else "active"
        await repo.merge_enrollment(
            p.enrollment_id,
            p.program_id,
            p.learner_id,
            state,
            program_version=p.program_version,
            enroll_time=event.occurred_at,
        )
        dates = {
            "start_time": _optional_time(p.start_time, p.HasField("start_time")),
            "due_time": _optional_time(p.due_time, p.HasField("due_time")),
            "end_time": _optional_time(p.end_time, p.HasField("end_time")),
        }
        # The creation's dates are the oldest version of them: any dates_changed event wins over them.
        await repo.merge_enrollment_dates(
            p.enrollment_id, p.program_id, p.learner_id, dates, dt.datetime.min.replace(tzinfo=dt.UTC)
        )

    async def record_enrollment_approved(
        self, uow: UnitOfWork, event: Event[programs_events.EnrollmentApproved]
    ) -> None:
        """The enrolment becomes active."""
        p = event.payload
        repo = self._repository(uow.session, uow.tenant_id)
        await repo.merge_enrollment(p.enrollment_id, p.program_id, p.learner_id, "active")

    async def record_enrollment_completed(
        self, uow: UnitOfWork, event: Event[programs_events.EnrollmentCompleted]
    ) -> None:
        """A fact (program completions) and the enrolment completed (unless an enrollment_reopened already
        reversed this completion)."""
        p = event.payload
        when = _time(p.completed_at, p.HasField("completed_at"), event.occurred_at)
        repo = await self._fact(
            uow, event, Fact(FactKind.PROGRAM_COMPLETED, when, p.learner_id, program_id=p.program_id)
        )
        await repo.merge_completion(
            p.enrollment_id, p.program_id, p.learner_id, p.program_version, when, reopened=False
        )

    async def record_enrollment_reopened(
        self, uow: UnitOfWork, event: Event[programs_events.EnrollmentReopened]
    ) -> None:
        """The completion at `previous_completed_at` reversed: a fact dated like it takes its program
        completion back (the counters of that hour), and the enrolment is active again unless a later
        completion stands. Whichever of the two events arrives first, the result is the same."""
        p = event.payload
        when = _time(p.previous_completed_at, p.HasField("previous_completed_at"), event.occurred_at)
        repo = await self._fact(
            uow, event, Fact(FactKind.REOPENED, when, p.learner_id, program_id=p.program_id)
        )
        await repo.merge_completion(
            p.enrollment_id, p.program_id, p.learner_id, p.program_version, when, reopened=True
        )

    async def record_enrollment_withdrawn(
        self, uow: UnitOfWork, event: Event[programs_events.EnrollmentWithdrawn]
    ) -> None:
        """A fact (withdrawals) and the enrolment withdrawn."""
        p = event.payload
        repo = await self._fact(
            uow, event, Fact(FactKind.WITHDRAWN, event.occurred_at, p.learner_id, program_id=p.program_id)
        )
        await repo.merge_enrollment(
            p.enrollment_id, p.program_id, p.learner_id, "withdrawn", withdraw_time=event.occurred_at
        )

    async def record_enrollment_dates(
        self, uow: UnitOfWork, event: Event[programs_events.EnrollmentDatesChanged]
    ) -> None:
        """The enrolment's dates as an admin overrode them (the newest change wins)."""
        p = event.payload
        dates = {
            "start_time": _optional_time(p.start_time, p.HasField("start_time")),
            "due_time": _optional_time(p.due_time, p.HasField("due_time")),
            "end_time": _optional_time(p.end_time, p.HasField("end_time")),
        }
        repo = self._repository(uow.session, uow.tenant_id)
        await repo.merge_enrollment_dates(
            p.enrollment_id, p.program_id, p.learner_id, dates, event.occurred_at
        )

    async def record_milestone(self, uow: UnitOfWork, event: Event[programs_events.MilestoneReached]) -> None:
        """A fact (milestones) and the milestone added to the enrolment's funnel steps."""
        p = event.payload
        when = _time(p.reached_at, p.HasField("reached_at"), event.occurred_at)
        repo = await self._fact(
            uow, event, Fact(FactKind.MILESTONE, when, p.learner_id, program_id=p.program_id)
        )
        await repo.merge_enrollment(
            p.enrollment_id, p.program_id, p.learner_id, "pending_approval", milestone=p.node_id
        )

    async def record_learner(self, uow: UnitOfWork, event: Event[programs_events.LearnerUpserted]) -> None:
        """Replace the learner's directory copy (names, time zone, manager) with the event's."""
        p = event.payload
        values = {
            "learner_id": p.learner_id,
            "display_name": p.display_name,
            "email": p.email,
            "time_zone": p.time_zone,
            "manager_id": p.manager_id,
            "active": p.active,
        }
        await self._repository(uow.session, uow.tenant_id).merge_learner(values, event.occurred_at)

    async def record_learner_deactivated(
        self, uow: UnitOfWork, event: Event[programs_events.LearnerDeactivated]
    ) -> None:
        """Mark the learner inactive."""
        repo = self._repository(uow.session, uow.tenant_id)
        await repo.deactivate_learner(event.payload.learner_id, event.occurred_at)


def drift(
    stored: dict[StatKey, tuple[float, ...]], recomputed: dict[StatKey, tuple[float, ...]]
) -> dict[StatKey, tuple[float, ...] | None]:
    """Rows whose stored counters differ from the recomputation (None: a stored row that should not exist)."""
    out: dict[StatKey, tuple[float, ...] | None] = {}
    for key, values in recomputed.items():
        have = stored.get(key)
        if have is None or any(
            not math.isclose(a, b, abs_tol=1e-6) for a, b in zip(have, values, strict=True)
        ):
            out[key] = values
    for key, values in stored.items():
        if key not in recomputed and any(values):
            out[key] = None
    return out
