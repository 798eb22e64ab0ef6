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
    MANAGER = "manager"


@dataclass(frozen=True)
class EnrollmentRules:
    """A program's enrolment settings."""

    open_time: dt.datetime | None = None
    close_time: dt.datetime | None = None
    default_due_offset: dt.timedelta | None = None
    default_access_duration: dt.timedelta | None = None
    default_due_time: dt.datetime | None = None
    default_end_time: dt.datetime | None = None

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
    """Explicit dates win; otherwise start=now, due=the absolute due time or start+default offset,
    end=the absolute end time or start+access duration."""
    start = start or now
    if due is None:
        due = rules.default_due_time
    if due is None and rules.default_due_offset is not None:
        due = start + rules.default_due_offset
    if end is None:
        end = rules.default_end_time
    if end is None and rules.default_access_duration is not None:
        end = start + rules.default_access_duration
    return check_dates(EnrollmentDates(start, due, end), field_prefix)


def check_dates(dates: EnrollmentDates, field_prefix: str = "enrollment") -> EnrollmentDates:
    """The dates if due and end are not before start and end is not before due; INVALID_ARGUMENT otherwise."""
    start, due, end = dates.start, dates.due, dates.end
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
    return dates


DATE_FIELDS = frozenset({"start_time", "due_time", "end_time"})


def override_dates(
    current: EnrollmentDates,
    mask: frozenset[str],
    *,
    start: dt.datetime | None,
    due: dt.datetime | None,
    end: dt.datetime | None,
) -> EnrollmentDates:
    """`current` with the masked fields replaced (an unset due or end clears it; start is required)."""
    unknown = sorted(mask - DATE_FIELDS)
    if unknown or not mask:
        problem = f"may name only start_time, due_time and end_time, not {unknown}" if unknown else "is empty"
        raise InvalidArgument.for_field("update_mask", problem, reason="BAD_UPDATE_MASK")
    if "start_time" in mask and start is None:
        raise InvalidArgument.for_field("enrollment.start_time", "an enrolment needs a start time")
    return check_dates(
        EnrollmentDates(
            start if "start_time" in mask and start is not None else current.start,
            due if "due_time" in mask else current.due,
            end if "end_time" in mask else current.end,
        )
    )


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


class ReopenReason(enum.StrEnum):
    """Why a completed enrolment reopened (the `reason` of enrollment_reopened)."""

    PROGRESS_RESET = "progress_reset"
    VERSION_MIGRATION = "version_migration"
    RECOMPUTE = "recompute"


@dataclass(frozen=True)
class ProgressUpdate:
    """An enrolment after a course completed or was reset, with what changed (a reopened enrolment keeps
    the complete time it lost in `previous_complete_time`)."""

    enrollment: Enrollment
    new_milestones: frozenset[str]
    completed_now: bool
    reopened: bool
    previous_complete_time: dt.datetime | None = None


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
    return ProgressUpdate(
        updated,
        reached - set(enrollment.reached_milestones),
        completed_now,
        reopened,
        enrollment.complete_time if reopened else None,
    )


@dataclass(frozen=True)
class EnrollmentChange:
    """An enrolment before and after a migration or recompute, and the courses the move added or removed."""

    before: Enrollment
    after: Enrollment
    added_course_ids: frozenset[str] = frozenset()
    removed_course_ids: frozenset[str] = frozenset()
    update: ProgressUpdate | None = None

    @property
    def milestones_gained(self) -> frozenset[str]:
        """Milestones reached after but not before."""
        return frozenset(self.after.reached_milestones) - set(self.before.reached_milestones)

    @property
    def milestones_lost(self) -> frozenset[str]:
        """Milestones reached before but not after."""
        return frozenset(self.before.reached_milestones) - set(self.after.reached_milestones)

    @property
    def changed(self) -> bool:
        """Whether anything stored differs."""
        return any(
            getattr(self.before, name) != getattr(self.after, name)
            for name in (
                "program_version",
                "state",
                "progress",
                "completed_course_ids",
                "reached_milestones",
                "complete_time",
            )
        )


def replan(
    enrollment: Enrollment,
    current: Structure,
    target: Structure,
    target_version: int,
    completed_courses: frozenset[str],
    when: dt.datetime,
) -> EnrollmentChange:
    """The enrolment re-pinned to `target_version` (or recomputed when it is the same version) from the
    learner's completed courses; completion is gained or lost as the target's rules say."""
    update = apply_course_progress(
        replace(enrollment, program_version=target_version), target, completed_courses, when
    )
    return EnrollmentChange(
        enrollment,
        update.enrollment,
        target.course_ids - current.course_ids,
        current.course_ids - target.course_ids,
        update,
    )
