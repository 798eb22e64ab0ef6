"""Real-time awards: progress and programs events become facts, and each fact is evaluated against the
active badges that look at it, as it arrives.

Every handler runs inside the consumer's unit of work (its inbox row makes redelivery harmless: the
effect is exactly once) and never commits. The learner lock serialises one learner's events, so two
events handled at once still see each other's facts; the unique key on (badge, learner, period) is the
last guard against a second award.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from aigym.programs.v1 import events_pb2 as programs_events
from aigym.progress.v1 import events_pb2 as progress_events
from aigym_achievements.awarding import Awarder
from aigym_achievements.domain import Award
from aigym_achievements.repository import AchievementsRepository
from aigym_achievements.rules import Fact, FactType
from aigym_platform.db import UnitOfWork
from aigym_platform.events.envelope import Event

# Attributes naming one occurrence of a programs fact (programs announces them again after a reopening).
ENROLMENT_COMPLETION = ("program_id", "enrollment_id")
ENROLMENT_MILESTONE = ("program_id", "enrollment_id", "node_id")


def _when(stamp: Timestamp, has: bool, event: Event[Any]) -> dt.datetime:
    return stamp.ToDatetime(tzinfo=dt.UTC) if has else event.occurred_at


class EventHandlers:
    """The achievements service's event handlers (bound to Celery tasks by `tasks.register`)."""

    def __init__(self, awarder: Awarder) -> None:
        self._awarder = awarder

    async def record_fact(
        self, uow: UnitOfWork, learner_id: str, fact: Fact, occurrence: Sequence[str] = ()
    ) -> list[Award]:
        """Record `fact` for the learner and award every badge it completes (in the caller's transaction).

        With `occurrence` (attribute names), a fact of the same occurrence happened before and may again
        (one enrolment's completion or milestone, announced anew after the enrolment reopened): rules count
        the occurrence once, at its latest fact, so the latest replaces earlier ones and an older one
        arriving late is not recorded (nothing to evaluate). Facts without those attributes stand alone."""
        repo = AchievementsRepository(uow.session, uow.tenant_id, uow.driver)
        named = bool(occurrence) and all(fact.attributes.get(name) for name in occurrence)
        if named and not await repo.replace_earlier_fact(learner_id, fact, occurrence):
            return []
        state = await repo.record_fact_locked(learner_id, fact)
        return await self._awarder.evaluate_learner(uow, repo, learner_id, fact.fact_type, state)

    async def record_block_completion(
        self, uow: UnitOfWork, event: Event[progress_events.BlockCompleted]
    ) -> None:
        """A completed block (progress that leaves the block incomplete is not a fact)."""
        p = event.payload
        if not p.completed:
            return
        fact = Fact(
            str(event.event_id),
            FactType.BLOCK_COMPLETED,
            _when(p.completed_at, p.HasField("completed_at"), event),
            {"course_id": p.course_id, "block_id": p.block_id},
            p.score if p.HasField("score") else None,
        )
        await self.record_fact(uow, p.learner_id, fact)

    async def record_course_completion(
        self, uow: UnitOfWork, event: Event[progress_events.CourseCompleted]
    ) -> None:
        """A completed course."""
        p = event.payload
        fact = Fact(
            str(event.event_id),
            FactType.COURSE_COMPLETED,
            _when(p.completed_at, p.HasField("completed_at"), event),
            {"course_id": p.course_id},
        )
        await self.record_fact(uow, p.learner_id, fact)

    async def record_milestone(self, uow: UnitOfWork, event: Event[programs_events.MilestoneReached]) -> None:
        """A program milestone reached (reached again after the enrolment reopened: the same milestone)."""
        p = event.payload
        fact = Fact(
            str(event.event_id),
            FactType.MILESTONE_REACHED,
            _when(p.reached_at, p.HasField("reached_at"), event),
            {"program_id": p.program_id, "node_id": p.node_id, "enrollment_id": p.enrollment_id},
        )
        await self.record_fact(uow, p.learner_id, fact, ENROLMENT_MILESTONE)

    async def record_program_completion(
        self, uow: UnitOfWork, event: Event[programs_events.EnrollmentCompleted]
    ) -> None:
        """A program completed (an enrolment's root set satisfied; completed again after the enrolment
        reopened: the same completion, so no second award and no second count)."""
        p = event.payload
        fact = Fact(
            str(event.event_id),
            FactType.PROGRAM_COMPLETED,
            _when(p.completed_at, p.HasField("completed_at"), event),
            {"program_id": p.program_id, "enrollment_id": p.enrollment_id},
        )
        await self.record_fact(uow, p.learner_id, fact, ENROLMENT_COMPLETION)

    async def record_learner(self, uow: UnitOfWork, event: Event[programs_events.LearnerUpserted]) -> None:
        """Keep the local copy of the learner's directory entry (time zone for streaks, name)."""
        p = event.payload
        repo = AchievementsRepository(uow.session, uow.tenant_id, uow.driver)
        await repo.upsert_learner(p.learner_id, p.display_name, p.time_zone, p.active, event.occurred_at)
