"""Pure rules of progress: forward-only block progress, course completion, completions, rosters (no I/O)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from aigym_platform.errors import FailedPrecondition, FieldViolation, InvalidArgument
from aigym_progress.structure import ID_PATTERN, BlockState, CourseStructure, in_unit_interval

REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{0,64}$")
MAX_LEARNER_ID = 128


def advance(
    current: BlockState | None, block_id: str, value: float, score: float | None, now: dt.datetime
) -> tuple[BlockState, bool]:
    """Merge a completion forward-only: the best value and best score win. Returns (state, moved)."""
    if current is None:
        moved = value > 0.0 or score is not None
        return BlockState(block_id, value, score, now), moved
    best_value = max(current.value, value)
    if score is None or (current.score is not None and current.score >= score):
        best_score = current.score
    else:
        best_score = score
    moved = best_value > current.value or best_score != current.score
    if not moved:
        return current, False
    return BlockState(block_id, best_value, best_score, now), True


class ProgressState(enum.StrEnum):
    """Where a learner is in a course."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


@dataclass(frozen=True)
class Summary:
    """Progress numbers of one learner against one revision."""

    percent: float
    completed_blocks: int
    total_blocks: int
    completed_required_blocks: int
    required_blocks: int
    started: bool

    @property
    def requirements_met(self) -> bool:
        """Every required block completed (a structure always has at least one)."""
        return self.required_blocks > 0 and self.completed_required_blocks == self.required_blocks


def summarise(structure: CourseStructure, states: Mapping[str, BlockState]) -> Summary:
    """Percent by weight, completed/required counts; blocks outside the revision are ignored."""
    total_weight = sum(b.weight for b in structure.blocks)
    done_weight = sum(b.weight * states[b.block_id].value for b in structure.blocks if b.block_id in states)
    completed = [b for b in structure.blocks if b.is_completed(states.get(b.block_id))]
    required = [b for b in structure.blocks if b.required]
    percent = round(100.0 * done_weight / total_weight, 4) if total_weight else 0.0
    return Summary(
        percent=min(100.0, percent),
        completed_blocks=len(completed),
        total_blocks=len(structure.blocks),
        completed_required_blocks=sum(1 for b in completed if b.required),
        required_blocks=len(required),
        started=any(b.block_id in states for b in structure.blocks),
    )


@dataclass(frozen=True)
class BlockView:
    """One block of a learner's progress, as GetCourseProgress shows it."""

    block_id: str
    value: float
    score: float | None
    completed: bool
    update_time: dt.datetime | None


@dataclass(frozen=True)
class TimeOnTask:
    """A learner's time on task in a course and the algorithm version that computed it."""

    seconds: int
    algorithm: str


@dataclass(frozen=True)
class CourseProgress:
    """A learner's progress in a course (one row per learner and course; `attempt` grows with resets)."""

    learner_id: str
    course_id: str
    attempt: int
    course_revision: int
    state: ProgressState
    percent: float
    completed_blocks: int
    total_blocks: int
    completed_required_blocks: int
    required_blocks: int
    start_time: dt.datetime | None = None
    last_activity_time: dt.datetime | None = None
    complete_time: dt.datetime | None = None
    blocks: tuple[BlockView, ...] = ()
    time_on_task: TimeOnTask | None = None

    @classmethod
    def fresh(
        cls, learner_id: str, course_id: str, structure: CourseStructure, *, attempt: int = 1
    ) -> CourseProgress:
        """Nothing recorded yet in `attempt`, against `structure`."""
        empty = cls(
            learner_id, course_id, attempt, structure.revision, ProgressState.NOT_STARTED, 0.0, 0, 0, 0, 0
        )
        return evaluate(empty, structure, {}, EPOCH)

    @property
    def is_completed(self) -> bool:
        """True once the course was completed in this attempt (sticky across revisions)."""
        return self.complete_time is not None


def evaluate(
    previous: CourseProgress,
    structure: CourseStructure,
    states: Mapping[str, BlockState],
    now: dt.datetime,
    *,
    activity: bool = False,
) -> CourseProgress:
    """Recompute progress against `structure`; completing the requirements completes the course (once)."""
    summary = summarise(structure, states)
    complete_time = previous.complete_time
    if complete_time is None and summary.requirements_met:
        complete_time = now
    if complete_time is not None:
        state = ProgressState.COMPLETED
    elif summary.started:
        state = ProgressState.IN_PROGRESS
    else:
        state = ProgressState.NOT_STARTED
    return dataclasses.replace(
        previous,
        course_revision=structure.revision,
        state=state,
        percent=summary.percent,
        completed_blocks=summary.completed_blocks,
        total_blocks=summary.total_blocks,
        completed_required_blocks=summary.completed_required_blocks,
        required_blocks=summary.required_blocks,
        start_time=previous.start_time or (now if activity else None),
        last_activity_time=now if activity else previous.last_activity_time,
        complete_time=complete_time,
        blocks=(),
    )


def with_blocks(
    progress: CourseProgress, structure: CourseStructure, states: Mapping[str, BlockState]
) -> CourseProgress:
    """The progress with its per-block view, in course order."""
    views = []
    for block in structure.blocks:
        state = states.get(block.block_id)
        views.append(
            BlockView(
                block.block_id,
                state.value if state else 0.0,
                state.score if state else None,
                block.is_completed(state),
                state.update_time if state else None,
            )
        )
    return dataclasses.replace(progress, blocks=tuple(views))


@dataclass(frozen=True)
class CompletionInput:
    """A completion as a client sends it (learner id may still be `me`)."""

    learner_id: str
    course_id: str
    block_id: str
    value: float
    score: float | None = None
    request_id: str = ""


def validate_completion(item: CompletionInput, *, path: str = "completion") -> None:
    """INVALID_ARGUMENT listing every malformed field (the proto rules, checked again per batch item)."""
    problems = []
    if not item.learner_id or len(item.learner_id) > MAX_LEARNER_ID:
        problems.append(FieldViolation(f"{path}.learner_id", "must be 1 to 128 characters", "INVALID_ID"))
    for name in ("course_id", "block_id"):
        if not ID_PATTERN.match(getattr(item, name)):
            problems.append(
                FieldViolation(
                    f"{path}.{name}", "must match ^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$", "INVALID_ID"
                )
            )
    if not in_unit_interval(item.value):
        problems.append(FieldViolation(f"{path}.value", "must be between 0 and 1", "VALUE_OUT_OF_RANGE"))
    if item.score is not None and not in_unit_interval(item.score):
        problems.append(FieldViolation(f"{path}.score", "must be between 0 and 1", "SCORE_OUT_OF_RANGE"))
    if not REQUEST_ID_PATTERN.match(item.request_id):
        problems.append(
            FieldViolation(f"{path}.request_id", "must match ^[A-Za-z0-9_.:-]{0,64}$", "INVALID_REQUEST_ID")
        )
    if problems:
        summary = "; ".join(f"{p.field}: {p.description}" for p in problems)
        raise InvalidArgument(f"invalid completion: {summary}", violations=problems)


@dataclass(frozen=True)
class Completion:
    """A recorded completion and what it changed (the idempotent result of its request id)."""

    completion_id: uuid.UUID
    learner_id: str
    course_id: str
    block_id: str
    value: float
    score: float | None
    request_id: str | None
    course_revision: int
    attempt: int
    applied: bool
    block_completed: bool
    course_completed: bool
    create_time: dt.datetime
    recorded_by: str

    def check_same_request(self, item: CompletionInput, learner_id: str) -> None:
        """FAILED_PRECONDITION when a request id is reused for a different completion."""
        if (self.learner_id, self.course_id, self.block_id, self.value, self.score) != (
            learner_id,
            item.course_id,
            item.block_id,
            item.value,
            item.score,
        ):
            raise FailedPrecondition(
                f"request_id {self.request_id} was already used for a different completion",
                reason="REQUEST_ID_REUSED",
            )


@dataclass(frozen=True)
class ProgressReset:
    """An archived attempt: the progress as it was when an admin reset it."""

    reset_id: uuid.UUID
    archived: CourseProgress
    reason: str
    reset_by: str
    reset_time: dt.datetime


class RosterOrder(enum.StrEnum):
    """Sort keys of a course roster."""

    LEARNER = "learner_id"
    PERCENT = "percent"
    LAST_ACTIVITY = "last_activity_time"


@dataclass(frozen=True)
class Ordering:
    """A roster sort key and direction."""

    key: RosterOrder = RosterOrder.LEARNER
    descending: bool = False


def parse_order_by(text: str) -> Ordering:
    """`field` or `field desc|asc` (AIP-132); INVALID_ARGUMENT naming `order_by` otherwise.

    A `+` counts as a space: form-style query encoders (URLSearchParams, httpx) send `percent+desc`, and the
    gateway's transcoder does not decode it.
    """
    parts = text.replace("+", " ").split()
    if not parts:
        return Ordering()
    try:
        key = RosterOrder(parts[0])
    except ValueError:
        key = None
    direction = parts[1].lower() if len(parts) == 2 else "asc"
    if key is None or len(parts) > 2 or direction not in ("asc", "desc"):
        allowed = ", ".join(o.value for o in RosterOrder)
        raise InvalidArgument.for_field(
            "order_by",
            f"order by one of {allowed}, optionally followed by asc or desc",
            reason="INVALID_ORDER_BY",
        )
    return Ordering(key, direction == "desc")


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
"""Sort value of a missing last-activity time (after a reset, before the next completion)."""


def sort_key(progress: CourseProgress, key: RosterOrder) -> object:
    """The value a roster sorts by (ties broken by learner id)."""
    if key is RosterOrder.PERCENT:
        return progress.percent
    if key is RosterOrder.LAST_ACTIVITY:
        return progress.last_activity_time or EPOCH
    return progress.learner_id
