"""Pure rules of enrolments: states, sources, date computation, enrolment windows (no I/O)."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from dataclasses import dataclass, replace

from aigym_platform.errors import FailedPrecondition, FieldViolation, InvalidArgument
from aigym_programs.structure import Structure, evaluate


class EnrollmentState(enum.StrEnum):
    """Stored states; EXPIRED is derived at read time from the end time."""

    PENDING_APPROVAL = "pending_approval"
    ACTIVE = "active"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


OPEN_STATES = frozenset({EnrollmentState.PENDING_APPROVAL, EnrollmentState.ACTIVE})


class EnrollmentSource(enum.StrEnum):
    """How an enrolment came about."""

    ADMIN = "admin"
    SELF = "self"
    REQUEST = "request"


@dataclass(frozen=True)
class EnrollmentRules:
    """A program's enrolment settings."""

    open_time: dt.datetime | None = None
    close_time: dt.datetime | None = None
    default_due_offset: dt.timedelta | None = None
    default_access_duration: dt.timedelta | None = None

    def check_window(self, now: dt.datetime) -> None:
        """FAILED_PRECONDITION when enrolment is not open at `now`."""
        if self.open_time and now < self.open_time:
            raise FailedPrecondition(
                f"enrolment opens at {self.open_time.isoformat()}", reason="ENROLLMENT_NOT_OPEN"
            )
        if self.close_time and now >= self.close_time:
            raise FailedPrecondition(
                f"enrolment closed at {self.close_time.isoformat()}", reason="ENROLLMENT_CLOSED"
            )


@dataclass(frozen=True)
class EnrollmentDates:
    """Start, due and end of one enrolment."""

    start: dt.datetime
    due: dt.datetime | None
    end: dt.datetime | None


def compute_dates(
    rules: EnrollmentRules,
    now: dt.datetime,
    *,
    start: dt.datetime | None = None,
    due: dt.datetime | None = None,
    end: dt.datetime | None = None,
    field_prefix: str = "enrollment",
) -> EnrollmentDates:
    """Explicit dates win; otherwise start=now, due=start+default offset, end=start+access duration."""
    start = start or now
    if due is None and rules.default_due_offset is not None:
        due = start + rules.default_due_offset
    if end is None and rules.default_access_duration is not None:
        end = start + rules.default_access_duration
    problems = []
    if due is not None and due < start:
        problems.append(
            FieldViolation(f"{field_prefix}.due_time", "must not be before start_time", "DUE_BEFORE_START")
        )
    if end is not None and end < start:
        problems.append(
            FieldViolation(f"{field_prefix}.end_time", "must not be before start_time", "END_BEFORE_START")
        )
    if due is not None and end is not None and end < due:
        problems.append(
            FieldViolation(f"{field_prefix}.end_time", "must not be before due_time", "END_BEFORE_DUE")
        )
    if problems:
        raise InvalidArgument("; ".join(f"{p.field}: {p.description}" for p in problems), violations=problems)
    return EnrollmentDates(start, due, end)


@dataclass(frozen=True)
class Enrollment:
    """A learner's enrolment in a program, pinned to one version."""

    enrollment_id: uuid.UUID
    program_id: uuid.UUID
    learner_id: str
    state: EnrollmentState
    program_version: int
    dates: EnrollmentDates
    source: EnrollmentSource
    create_time: dt.datetime
    progress: float = 0.0
    completed_course_ids: tuple[str, ...] = ()
    reached_milestones: tuple[str, ...] = ()
    complete_time: dt.datetime | None = None

    def effective_state(self, now: dt.datetime) -> EnrollmentState:
        """The state a reader sees: an active enrolment past its end time has expired."""
        if self.state is EnrollmentState.ACTIVE and self.dates.end is not None and self.dates.end <= now:
            return EnrollmentState.EXPIRED
        return self.state

    def is_overdue(self, now: dt.datetime) -> bool:
        """Active and past its due time."""
        return (
            self.effective_state(now) is EnrollmentState.ACTIVE
            and self.dates.due is not None
            and self.dates.due < now
        )

    def check_open(self, action: str) -> None:
        """FAILED_PRECONDITION unless the enrolment is active or pending."""
        if self.state not in OPEN_STATES:
            raise FailedPrecondition(
                f"cannot {action} a {self.state.value} enrolment", reason="ENROLLMENT_NOT_OPEN_FOR_CHANGE"
            )


@dataclass(frozen=True)
class ProgressUpdate:
    """An enrolment after a course completed or was reset, with what changed."""

    enrollment: Enrollment
    new_milestones: frozenset[str]
    completed_now: bool
    reopened: bool


def apply_course_progress(
    enrollment: Enrollment, structure: Structure, completed_courses: frozenset[str], when: dt.datetime
) -> ProgressUpdate:
    """Re-evaluate the pinned structure for this set of completed courses (only the program's courses
    count); completing the root set completes the enrolment, losing it reopens a completed one."""
    relevant = completed_courses & structure.course_ids
    evaluation = evaluate(structure, relevant)
    root = structure.root
    root_done = root is not None and evaluation.of(root.node_id).complete
    fraction = evaluation.of(root.node_id).fraction if root is not None else 0.0
    reached = evaluation.milestones_reached
    completed_now = root_done and enrollment.state is EnrollmentState.ACTIVE
    reopened = not root_done and enrollment.state is EnrollmentState.COMPLETED
    state = enrollment.state
    complete_time = enrollment.complete_time
    if completed_now:
        state, complete_time = EnrollmentState.COMPLETED, when
    elif reopened:
        state, complete_time = EnrollmentState.ACTIVE, None
    updated = replace(
        enrollment,
        state=state,
        complete_time=complete_time,
        progress=round(fraction, 6),
        completed_course_ids=tuple(sorted(relevant)),
        reached_milestones=tuple(sorted(reached)),
    )
    return ProgressUpdate(updated, reached - set(enrollment.reached_milestones), completed_now, reopened)
