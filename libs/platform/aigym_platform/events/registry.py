"""The event catalogue: every event type, who produces it, its payload type and who consumes it.

The relay of a producing service routes each outbox row by this catalogue, and consumers bind their
handlers to the entries naming them, so a producer never imports a consumer's code. A new event type is
added here (and to docs/events.md, which a test keeps in step) together with its payload message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from google.protobuf.message import Message

from aigym.achievements.v1 import events_pb2 as achievements_events_pb2
from aigym.calendar.v1 import events_pb2 as calendar_events_pb2
from aigym.events.v1 import events_pb2
from aigym.programs.v1 import events_pb2 as programs_events_pb2
from aigym.progress.v1 import events_pb2 as progress_events_pb2
from aigym_platform.jobs.queues import event_task_name, events_queue

EVENT_TYPE_PATTERN = re.compile(r"^aigym\.[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*\.v[1-9][0-9]*$")


@dataclass(frozen=True)
class Consumer:
    """One handler of one consuming service; its Celery task and queue follow from the two names."""

    service: str
    handler: str

    @property
    def task_name(self) -> str:
        """The Celery task the relay sends the event to."""
        return event_task_name(self.service, self.handler)

    @property
    def queue(self) -> str:
        """The consuming service's events queue."""
        return events_queue(self.service)


@dataclass(frozen=True)
class EventSpec:
    """One event type: `aigym.<domain>.<name>.v<N>`, its producer, payload message and consumers."""

    event_type: str
    producer: str
    payload: type[Message]
    consumers: tuple[Consumer, ...]
    description: str

    def __post_init__(self) -> None:
        if not EVENT_TYPE_PATTERN.match(self.event_type):
            raise ValueError(f"event type {self.event_type!r} does not match aigym.<domain>.<name>.v<N>")
        handlers = [(c.service, c.handler) for c in self.consumers]
        if len(set(handlers)) != len(handlers):
            raise ValueError(f"event type {self.event_type} names a consumer twice")


class EventRegistry:
    """A lookup over event specs by type, producer and consumer."""

    def __init__(self, specs: Iterable[EventSpec] = ()) -> None:
        self._by_type: dict[str, EventSpec] = {}
        for spec in specs:
            self.register(spec)

    def register(self, spec: EventSpec) -> EventSpec:
        """Add one event type; ValueError if the type is already registered."""
        if spec.event_type in self._by_type:
            raise ValueError(f"event type {spec.event_type} is already registered")
        self._by_type[spec.event_type] = spec
        return spec

    def get(self, event_type: str) -> EventSpec:
        """The spec of `event_type`; KeyError if unknown."""
        try:
            return self._by_type[event_type]
        except KeyError:
            raise KeyError(f"unknown event type {event_type!r} (not in the event registry)") from None

    def __iter__(self) -> Iterator[EventSpec]:
        return iter(sorted(self._by_type.values(), key=lambda spec: spec.event_type))

    def __contains__(self, event_type: object) -> bool:
        return event_type in self._by_type

    def produced_by(self, service: str) -> list[EventSpec]:
        """Event types `service` publishes."""
        return [spec for spec in self if spec.producer == service]

    def consumed_by(self, service: str) -> list[tuple[EventSpec, Consumer]]:
        """(event type, handler) pairs `service` consumes."""
        return [(spec, c) for spec in self for c in spec.consumers if c.service == service]

    def producers(self) -> set[str]:
        """Every service that publishes at least one event type."""
        return {spec.producer for spec in self}

    def consumers(self) -> set[str]:
        """Every service that consumes at least one event type."""
        return {c.service for spec in self for c in spec.consumers}


PROBE_RECORDED = "aigym.platform.probe_recorded.v1"
BLOCK_COMPLETED = "aigym.progress.block_completed.v1"
COURSE_COMPLETED = "aigym.progress.course_completed.v1"
PROGRESS_RESET = "aigym.progress.progress_reset.v1"
SESSION_ENDED = "aigym.progress.session_ended.v1"
PROGRAM_PUBLISHED = "aigym.programs.program_published.v1"
ENROLLMENT_CREATED = "aigym.programs.enrollment_created.v1"
ENROLLMENT_COMPLETED = "aigym.programs.enrollment_completed.v1"
ENROLLMENT_REOPENED = "aigym.programs.enrollment_reopened.v1"
MILESTONE_REACHED = "aigym.programs.milestone_reached.v1"
PROGRAM_ARCHIVED = "aigym.programs.program_archived.v1"
ENROLLMENT_APPROVED = "aigym.programs.enrollment_approved.v1"
ENROLLMENT_WITHDRAWN = "aigym.programs.enrollment_withdrawn.v1"
ENROLLMENT_DATES_CHANGED = "aigym.programs.enrollment_dates_changed.v1"
ENROLLMENT_MIGRATED = "aigym.programs.enrollment_migrated.v1"
LEARNER_UPSERTED = "aigym.programs.learner_upserted.v1"
LEARNER_DEACTIVATED = "aigym.programs.learner_deactivated.v1"
ACHIEVEMENT_AWARDED = "aigym.achievements.achievement_awarded.v1"
ACHIEVEMENT_REVOKED = "aigym.achievements.achievement_revoked.v1"
ACHIEVEMENT_EXPIRED = "aigym.achievements.achievement_expired.v1"
SESSION_SCHEDULED = "aigym.calendar.session_scheduled.v1"
SESSION_CHANGED = "aigym.calendar.session_changed.v1"
SESSION_CANCELLED = "aigym.calendar.session_cancelled.v1"
SIGNUP_CREATED = "aigym.calendar.signup_created.v1"
REMINDER_SENT = "aigym.calendar.reminder_sent.v1"

REGISTRY = EventRegistry(
    [
        EventSpec(
            event_type=PROBE_RECORDED,
            producer="eventprobe",
            payload=events_pb2.ProbeRecorded,
            consumers=(Consumer("eventsink", "count_probe"),),
            description="A synthetic probe that proves the event path end to end (platform tests, "
            "benchmarks, deployment smoke checks); the sink adds `amount` to a counter.",
        ),
        EventSpec(
            event_type=BLOCK_COMPLETED,
            producer="progress",
            payload=progress_events_pb2.BlockCompleted,
            consumers=(
                Consumer("analytics", "record_block_activity"),
                Consumer("achievements", "record_block_completion"),
            ),
            description="A learner's stored progress in a course block moved forward (higher value or "
            "score); `completed` says whether the block now counts as completed. Achievements records "
            "completed blocks for badge rules; analytics counts activity.",
        ),
        EventSpec(
            event_type=COURSE_COMPLETED,
            producer="progress",
            payload=progress_events_pb2.CourseCompleted,
            consumers=(
                Consumer("programs", "record_course_completion"),
                Consumer("analytics", "record_course_completion"),
                Consumer("achievements", "record_course_completion"),
            ),
            description="A learner completed every required block of a course (same transaction as the "
            "completion that did it). Programs adds the course to every progressing enrolment whose "
            "pinned version contains it (milestones, program completion); achievements records it for "
            "badge rules; analytics counts it.",
        ),
        EventSpec(
            event_type=PROGRESS_RESET,
            producer="progress",
            payload=progress_events_pb2.ProgressReset,
            consumers=(
                Consumer("programs", "record_progress_reset"),
                Consumer("analytics", "record_progress_reset"),
            ),
            description="An admin reset a learner's progress in a course: the attempt was archived and "
            "a new one starts from zero. Programs takes the course out of the learner's enrolments again "
            "(a completed enrolment that now falls short reopens: enrollment_reopened); analytics counts "
            "it.",
        ),
        EventSpec(
            event_type=SESSION_ENDED,
            producer="progress",
            payload=progress_events_pb2.SessionEnded,
            consumers=(),
            description="A learning session closed (ended, closed after the idle timeout, or an offline "
            "session approved), with its active seconds and the learner's merged time on task in the "
            "course and the algorithm version (`tot.v1`). Consumers to come: analytics.",
        ),
        EventSpec(
            event_type=PROGRAM_PUBLISHED,
            producer="programs",
            payload=programs_events_pb2.ProgramPublished,
            consumers=(
                Consumer("analytics", "record_program_published"),
                Consumer("calendar", "record_program_published"),
            ),
            description="A program's structure became a new immutable version (first publication or a "
            "republication with changes). Calendar keeps the title for deadline entries.",
        ),
        EventSpec(
            event_type=ENROLLMENT_CREATED,
            producer="programs",
            payload=programs_events_pb2.EnrollmentCreated,
            consumers=(
                Consumer("analytics", "record_enrollment_created"),
                Consumer("calendar", "record_enrollment_created"),
            ),
            description="A learner was enrolled (by an admin, a batch upload or themselves) or asked to "
            "be (`state` pending_approval). Calendar shows its start, due and end dates on the learner's "
            "calendar.",
        ),
        EventSpec(
            event_type=ENROLLMENT_COMPLETED,
            producer="programs",
            payload=programs_events_pb2.EnrollmentCompleted,
            consumers=(
                Consumer("analytics", "record_enrollment_completed"),
                Consumer("achievements", "record_program_completion"),
            ),
            description="An enrolment's root set became satisfied by course completions against its "
            "pinned version (again, after an enrollment_reopened: each completion is announced once). "
            "Achievements records a program completion (program badges); analytics counts it.",
        ),
        EventSpec(
            event_type=ENROLLMENT_REOPENED,
            producer="programs",
            payload=programs_events_pb2.EnrollmentReopened,
            consumers=(Consumer("analytics", "record_enrollment_reopened"),),
            description="A completed enrolment fell short of its root set again (`reason`: a course "
            "reset for recertification, a version migration or a recompute) and is active again; it "
            "reverses the enrollment_completed whose `completed_at` is `previous_completed_at`, and a "
            "later completion is announced anew. Analytics no longer counts that completion. "
            "Achievements does not consume it: awards already made stay (a credential is not revoked by "
            "a reset), and a re-completion replaces the earlier completion's fact instead of adding one.",
        ),
        EventSpec(
            event_type=MILESTONE_REACHED,
            producer="programs",
            payload=programs_events_pb2.MilestoneReached,
            consumers=(
                Consumer("analytics", "record_milestone"),
                Consumer("achievements", "record_milestone"),
            ),
            description="A set marked as a milestone in an enrolment's pinned version became satisfied "
            "(once per enrolment and milestone, unless a reset lost it and it is reached again). "
            "Achievements records it for milestone badges (each enrolment's milestone once); analytics "
            "counts it.",
        ),
        EventSpec(
            event_type=PROGRAM_ARCHIVED,
            producer="programs",
            payload=programs_events_pb2.ProgramArchived,
            consumers=(Consumer("analytics", "record_program_archived"),),
            description="A program was archived: it takes no new enrolments; existing enrolments go on. "
            "Consumers to come: calendar, analytics.",
        ),
        EventSpec(
            event_type=ENROLLMENT_APPROVED,
            producer="programs",
            payload=programs_events_pb2.EnrollmentApproved,
            consumers=(
                Consumer("analytics", "record_enrollment_approved"),
                Consumer("calendar", "record_enrollment_approved"),
            ),
            description="An admin approved a learner's enrolment request (created earlier with state "
            "pending_approval); the enrolment is active from now on.",
        ),
        EventSpec(
            event_type=ENROLLMENT_WITHDRAWN,
            producer="programs",
            payload=programs_events_pb2.EnrollmentWithdrawn,
            consumers=(
                Consumer("analytics", "record_enrollment_withdrawn"),
                Consumer("calendar", "record_enrollment_withdrawn"),
            ),
            description="An enrolment was withdrawn (by the learner or an admin); its deadlines no "
            "longer apply.",
        ),
        EventSpec(
            event_type=ENROLLMENT_DATES_CHANGED,
            producer="programs",
            payload=programs_events_pb2.EnrollmentDatesChanged,
            consumers=(
                Consumer("analytics", "record_enrollment_dates"),
                Consumer("calendar", "record_enrollment_dates_changed"),
            ),
            description="An admin overrode an enrolment's start, due or end date for this learner "
            "(audited); the payload carries all three as they are now.",
        ),
        EventSpec(
            event_type=ENROLLMENT_MIGRATED,
            producer="programs",
            payload=programs_events_pb2.EnrollmentMigrated,
            consumers=(),
            description="An admin moved an enrolment to a newer program version (after a dry run); "
            "progress and completion are recomputed against it.",
        ),
        EventSpec(
            event_type=LEARNER_UPSERTED,
            producer="programs",
            payload=programs_events_pb2.LearnerUpserted,
            consumers=(
                Consumer("analytics", "record_learner"),
                Consumer("achievements", "record_learner"),
                Consumer("calendar", "record_learner_upserted"),
                Consumer("progress", "record_learner_upserted"),
            ),
            description="A learner's directory entry was created or changed (single upsert or an "
            "import); the payload is the whole entry, so consumers keep a local copy (names, email, "
            "time zone, manager) by replacing theirs.",
        ),
        EventSpec(
            event_type=LEARNER_DEACTIVATED,
            producer="programs",
            payload=programs_events_pb2.LearnerDeactivated,
            consumers=(
                Consumer("analytics", "record_learner_deactivated"),
                Consumer("calendar", "record_learner_deactivated"),
            ),
            description="A learner became inactive (an upsert with active false or an import that "
            "no longer lists them); published after the learner_upserted of the same change.",
        ),
        EventSpec(
            event_type=ACHIEVEMENT_AWARDED,
            producer="achievements",
            payload=achievements_events_pb2.AchievementAwarded,
            consumers=(),
            description="A learner earned a badge (its rule satisfied by arriving events, a retroactive "
            "backfill, or an admin by hand); at most once per learner, badge and award period. Carries the "
            "evidence event ids and the Open Badges credential id. Consumers to come: analytics.",
        ),
        EventSpec(
            event_type=ACHIEVEMENT_REVOKED,
            producer="achievements",
            payload=achievements_events_pb2.AchievementRevoked,
            consumers=(),
            description="An admin revoked an award with a reason (audited); the credential's revocation "
            "bit is set in its status list. Consumers to come: analytics.",
        ),
        EventSpec(
            event_type=ACHIEVEMENT_EXPIRED,
            producer="achievements",
            payload=achievements_events_pb2.AchievementExpired,
            consumers=(),
            description="An award reached its expiry time (found by the scheduled expiry job); the learner "
            "may earn the badge again from later activity. Consumers to come: analytics.",
        ),
        EventSpec(
            event_type=SESSION_SCHEDULED,
            producer="calendar",
            payload=calendar_events_pb2.SessionScheduled,
            consumers=(),
            description="A calendar event (session, deadline or custom; one-off or a series) was created, "
            "or split off a series by a this-and-following edit.",
        ),
        EventSpec(
            event_type=SESSION_CHANGED,
            producer="calendar",
            payload=calendar_events_pb2.SessionChanged,
            consumers=(),
            description="A calendar event changed as a whole series (`occurrence_id` empty) or in one "
            "occurrence; `sequence` is its iCalendar SEQUENCE after the change.",
        ),
        EventSpec(
            event_type=SESSION_CANCELLED,
            producer="calendar",
            payload=calendar_events_pb2.SessionCancelled,
            consumers=(),
            description="A calendar event was cancelled, or one occurrence (`following`: it and every "
            "later one).",
        ),
        EventSpec(
            event_type=SIGNUP_CREATED,
            producer="calendar",
            payload=calendar_events_pb2.SignupCreated,
            consumers=(),
            description="A learner took a seat (`confirmed`, also when promoted from the waitlist) or "
            "joined the waitlist of an event with a capacity.",
        ),
        EventSpec(
            event_type=REMINDER_SENT,
            producer="calendar",
            payload=calendar_events_pb2.ReminderSent,
            consumers=(),
            description="A reminder of an occurrence reached a learner (email or signed webhook), or "
            "failed for good; sent once per learner, occurrence, offset and channel.",
        ),
    ]
)
"""The suite's catalogue. Services add their event types here as they start producing them."""


def catalogue_markdown(registry: EventRegistry = REGISTRY) -> str:
    """The catalogue as the Markdown table docs/events.md carries (a test keeps the two identical)."""
    lines = [
        "| event type | producer | payload | consumers (task → queue) | meaning |",
        "| --- | --- | --- | --- | --- |",
    ]
    for spec in registry:
        consumers = "<br>".join(f"`{c.task_name}` → `{c.queue}`" for c in spec.consumers) or "—"
        lines.append(
            f"| `{spec.event_type}` | {spec.producer} | `{spec.payload.DESCRIPTOR.full_name}` | {consumers}"
            f" | {spec.description} |"
        )
    return "\n".join(lines)
