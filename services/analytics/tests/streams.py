"""Test helper: a random but plausible stream of progress and programs events for one tenant."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass, field

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from aigym.programs.v1 import events_pb2 as pe
from aigym.progress.v1 import events_pb2 as ge
from aigym_platform.events import registry as r


def stamp(when: dt.datetime) -> Timestamp:
    """A protobuf timestamp."""
    out = Timestamp()
    out.FromDatetime(when)
    return out


@dataclass
class StreamEvent:
    """One event of a stream: id, type, payload, time."""

    event_id: uuid.UUID
    event_type: str
    payload: Message
    occurred_at: dt.datetime


@dataclass
class Stream:
    """Events in the order they happened (delivery order is the test's business)."""

    events: list[StreamEvent] = field(default_factory=list)

    def add(self, event_type: str, payload: Message, when: dt.datetime) -> None:
        """Append one event."""
        self.events.append(StreamEvent(uuid.uuid4(), event_type, payload, when))


def random_stream(rng: random.Random, start: dt.datetime, learners: int = 6, courses: int = 4) -> Stream:
    """Learners, two programs and their enrolments (some completed, reopened and completed again), block
    activity with scores, completions and resets."""
    stream = Stream()
    course_ids = [f"course-{i}" for i in range(courses)]
    learner_ids = [f"learner-{i}" for i in range(learners)]
    programs = {"prog-a": course_ids[:2], "prog-b": course_ids[1:]}

    def at(hours: float) -> dt.datetime:
        return start + dt.timedelta(hours=hours)

    for version in (1, 2):
        for program_id, cids in programs.items():
            stream.add(
                r.PROGRAM_PUBLISHED,
                pe.ProgramPublished(
                    program_id=program_id,
                    version=version,
                    title=f"{program_id} v{version}",
                    course_ids=cids[: version + 1],
                ),
                at(version),
            )
    for n, learner in enumerate(learner_ids):
        for version in range(rng.randint(1, 3)):
            stream.add(
                r.LEARNER_UPSERTED,
                pe.LearnerUpserted(
                    learner_id=learner,
                    display_name=f"L{n} v{version}",
                    email=f"{learner}@x.test",
                    time_zone="Europe/Berlin",
                    manager_id="" if n == 0 else learner_ids[(n - 1) // 2],
                    active=True,
                ),
                at(rng.uniform(0, 60)),
            )
        if rng.random() < 0.2:
            stream.add(
                r.LEARNER_DEACTIVATED, pe.LearnerDeactivated(learner_id=learner), at(rng.uniform(0, 70))
            )
        for program_id in programs:
            if rng.random() < 0.3:
                continue
            enrollment = str(uuid.uuid4())
            t0 = rng.uniform(2, 20)
            pending = rng.random() < 0.3
            stream.add(
                r.ENROLLMENT_CREATED,
                pe.EnrollmentCreated(
                    enrollment_id=enrollment,
                    program_id=program_id,
                    learner_id=learner,
                    program_version=1,
                    start_time=stamp(at(t0)),
                    due_time=stamp(at(t0 + 48)),
                    state="pending_approval" if pending else "active",
                ),
                at(t0),
            )
            if pending:
                stream.add(
                    r.ENROLLMENT_APPROVED,
                    pe.EnrollmentApproved(
                        enrollment_id=enrollment,
                        program_id=program_id,
                        learner_id=learner,
                        approved_by="admin",
                    ),
                    at(t0 + 1),
                )
            for k in range(rng.randint(0, 2)):
                stream.add(
                    r.ENROLLMENT_DATES_CHANGED,
                    pe.EnrollmentDatesChanged(
                        enrollment_id=enrollment,
                        program_id=program_id,
                        learner_id=learner,
                        start_time=stamp(at(t0)),
                        due_time=stamp(at(t0 + 60 + 10 * k)),
                    ),
                    at(t0 + 2 + k),
                )
            for node in ("m1", "m2")[: rng.randint(0, 2)]:
                stream.add(
                    r.MILESTONE_REACHED,
                    pe.MilestoneReached(
                        enrollment_id=enrollment,
                        program_id=program_id,
                        learner_id=learner,
                        node_id=node,
                        title=node.upper(),
                        reached_at=stamp(at(t0 + 10)),
                    ),
                    at(t0 + 10),
                )
            ending = rng.random()
            completion = pe.EnrollmentCompleted(
                enrollment_id=enrollment, program_id=program_id, learner_id=learner, program_version=1
            )
            if ending < 0.3:
                completion.completed_at.CopyFrom(stamp(at(t0 + 30)))
                stream.add(r.ENROLLMENT_COMPLETED, completion, at(t0 + 30))
                if rng.random() < 0.5:  # recertification: reopened, perhaps completed again
                    stream.add(
                        r.ENROLLMENT_REOPENED,
                        pe.EnrollmentReopened(
                            enrollment_id=enrollment,
                            program_id=program_id,
                            learner_id=learner,
                            program_version=1,
                            previous_completed_at=stamp(at(t0 + 30)),
                            reopened_at=stamp(at(t0 + 35)),
                            reason="progress_reset",
                        ),
                        at(t0 + 35),
                    )
                    if rng.random() < 0.5:
                        again = pe.EnrollmentCompleted()
                        again.CopyFrom(completion)
                        again.completed_at.CopyFrom(stamp(at(t0 + 45)))
                        stream.add(r.ENROLLMENT_COMPLETED, again, at(t0 + 45))
            elif ending < 0.45:
                stream.add(
                    r.ENROLLMENT_WITHDRAWN,
                    pe.EnrollmentWithdrawn(
                        enrollment_id=enrollment, program_id=program_id, learner_id=learner
                    ),
                    at(t0 + 31),
                )
        for course in course_ids:
            if rng.random() < 0.25:
                continue
            t = rng.uniform(0, 50)
            for attempt in range(1, rng.randint(1, 2) + 1):
                for b in range(rng.randint(1, 6)):
                    t += rng.uniform(0.01, 1.5)
                    scored = rng.random() < 0.5
                    payload = ge.BlockCompleted(
                        learner_id=learner,
                        course_id=course,
                        block_id=f"b{b}",
                        value=1.0,
                        completed=rng.random() < 0.7,
                        completed_at=stamp(at(t)),
                        attempt=attempt,
                    )
                    if scored:
                        payload.score = round(rng.random(), 3)
                    stream.add(r.BLOCK_COMPLETED, payload, at(t))
                if rng.random() < 0.6:
                    t += 0.1
                    stream.add(
                        r.COURSE_COMPLETED,
                        ge.CourseCompleted(
                            learner_id=learner,
                            course_id=course,
                            completed_at=stamp(at(t)),
                            attempt=attempt,
                            percent=100,
                        ),
                        at(t),
                    )
                if rng.random() < 0.5:
                    t += 1
                    stream.add(
                        r.PROGRESS_RESET,
                        ge.ProgressReset(
                            learner_id=learner,
                            course_id=course,
                            reset_at=stamp(at(t)),
                            archived_attempt=attempt,
                            attempt=attempt + 1,
                        ),
                        at(t),
                    )
    return stream
