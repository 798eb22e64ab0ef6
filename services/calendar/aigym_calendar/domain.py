"""Calendar rules and value objects: events, overrides, audiences, sign-ups, agenda entries (pure)."""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from operator import attrgetter

from aigym_calendar.recurrence import (
    RecurrenceError,
    Schedule,
    localize,
    occurrence_id,
    parse_occurrence_id,
    to_local,
    validate_schedule,
    zone,
)
from aigym_platform.errors import FieldViolation, InvalidArgument

MAX_AGENDA_WINDOW = timedelta(days=366)
MAX_DURATION = timedelta(days=31)
EXPANSIONS_PER_EVENT = 4  # windows whose expansion an Event object remembers
MEMO_MAX_ENTRIES = 64  # longer expansions are not remembered (bounds memory: see repository.DECODED_EVENTS)


class EventKind(enum.StrEnum):
    """What an event is."""

    SESSION = "session"
    DEADLINE = "deadline"
    CUSTOM = "custom"


class AudienceKind(enum.StrEnum):
    """Who an event is for."""

    TENANT = "tenant"
    PROGRAM = "program"
    LEARNERS = "learners"


class EventState(enum.StrEnum):
    """Scheduled or cancelled."""

    ACTIVE = "active"
    CANCELLED = "cancelled"


class SignupState(enum.StrEnum):
    """A sign-up's standing."""

    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"


class Source(enum.StrEnum):
    """Where an agenda entry comes from."""

    EVENT = "event"
    ENROLLMENT = "enrollment"


@dataclass(frozen=True)
class Audience:
    """The tenant, a program's enrolled learners, or named learners."""

    kind: AudienceKind
    program_id: str = ""
    learner_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Override:
    """A change of one occurrence; empty strings and None mean "unchanged"."""

    occurrence_id: str
    cancelled: bool = False
    start: datetime | None = None
    duration: timedelta | None = None
    title: str = ""
    description: str = ""
    location: str = ""
    online_url: str = ""

    @property
    def original_start(self) -> datetime:
        """The occurrence's original start (its id as an instant)."""
        return parse_occurrence_id(self.occurrence_id)


@dataclass(frozen=True)
class EventDraft:
    """The writable fields of an event (create, or the result of applying an update)."""

    kind: EventKind
    title: str
    description: str
    location: str
    online_url: str
    start: datetime  # aware
    time_zone: str
    duration: timedelta
    rrule: str
    exdates: tuple[datetime, ...]
    rdates: tuple[datetime, ...]
    audience: Audience
    capacity: int
    waitlist_enabled: bool
    reminder_minutes: tuple[int, ...]

    def schedule(self) -> Schedule:
        """The draft's timing as a Schedule (DTSTART, RDATEs in local wall time)."""
        tz = zone(self.time_zone)
        return Schedule(
            start_local=to_local(self.start, tz),
            time_zone=self.time_zone,
            duration=self.duration,
            rrule=self.rrule,
            exdates=frozenset(occurrence_id(d) for d in self.exdates),
            rdates=tuple(sorted({to_local(d, tz) for d in self.rdates})),
        )


@dataclass(frozen=True)
class Event:
    """A stored event with its overrides and sign-up counts."""

    event_id: str
    draft: EventDraft
    state: EventState
    sequence: int
    parent_event_id: str
    created_by: str
    create_time: datetime
    update_time: datetime
    overrides: tuple[Override, ...] = ()
    signup_count: int = 0
    waitlist_count: int = 0
    _schedule: list[Schedule] = field(default_factory=list, compare=False, repr=False)
    # expand_event's results per (window, show_cancelled) and the feed's rendered VEVENTs; neither is
    # copied by dataclasses.replace (init=False), so an edited copy starts empty.
    _expansions: dict[tuple[datetime, datetime, bool], tuple[AgendaEntry, ...]] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )
    _rendered: list[bytes] = field(default_factory=list, init=False, compare=False, repr=False)

    @property
    def etag(self) -> str:
        """Changes whenever the event or one of its occurrences changes."""
        raw = f"{self.event_id}:{self.sequence}:{self.update_time.isoformat()}"
        return hashlib.sha256(raw.encode()).hexdigest()[:16]

    @property
    def schedule(self) -> Schedule:
        """The event's Schedule (cached)."""
        if not self._schedule:
            self._schedule.append(self.draft.schedule())
        return self._schedule[0]

    def override(self, oid: str) -> Override | None:
        """The override of occurrence `oid`, if any."""
        return next((o for o in self.overrides if o.occurrence_id == oid), None)


@dataclass(frozen=True)
class Enrollment:
    """A program enrolment's dates as the programs service announced them."""

    enrollment_id: str
    program_id: str
    learner_id: str
    state: str
    start: datetime | None
    due: datetime | None
    end: datetime | None
    sequence: int = 0
    program_title: str = ""


@dataclass(frozen=True)
class AgendaEntry:
    """One expanded occurrence (of an event, or an enrolment date) on someone's calendar."""

    occurrence_id: str
    event_id: str
    kind: EventKind
    title: str
    description: str
    location: str
    online_url: str
    start: datetime
    end: datetime
    original_start: datetime
    overridden: bool
    cancelled: bool
    source: Source
    event_time_zone: str
    program_id: str = ""
    enrollment_id: str = ""
    signup_state: SignupState | None = None
    # Agenda order: start, end, event (or enrolment), occurrence. Computed once: pages sort and filter by it.
    sort_key: tuple[datetime, datetime, str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        key = (self.start, self.end, self.event_id or self.enrollment_id, self.occurrence_id)
        object.__setattr__(self, "sort_key", key)


BY_AGENDA_ORDER = attrgetter("sort_key")


def expand_event(
    event: Event, window_start: datetime, window_end: datetime, *, show_cancelled: bool = False
) -> list[AgendaEntry]:
    """Occurrences of `event` overlapping [window_start, window_end), overrides applied.

    A moved occurrence appears at its new time only (also when the original time lies outside the window
    and the new one inside); a cancelled one only with `show_cancelled`. Remembered on the (immutable)
    event for a few short windows, since the repository hands out the same Event object while it is unchanged.
    """
    key = (window_start, window_end, show_cancelled)
    memo = event._expansions
    found_entries = memo.get(key)
    if found_entries is None:
        found_entries = tuple(_expand(event, window_start, window_end, show_cancelled))
        if len(found_entries) <= MEMO_MAX_ENTRIES:
            if len(memo) >= EXPANSIONS_PER_EVENT:
                memo.clear()  # events are reused across requests (repository cache): keep this small
            memo[key] = found_entries
    return list(found_entries)


def _expand(
    event: Event, window_start: datetime, window_end: datetime, show_cancelled: bool
) -> list[AgendaEntry]:
    draft = event.draft
    cancelled_event = event.state is EventState.CANCELLED
    if cancelled_event and not show_cancelled:
        return []
    schedule = event.schedule
    overrides = {o.occurrence_id: o for o in event.overrides}
    entries: list[AgendaEntry] = []
    for oid, start in schedule.occurrences(window_start, window_end):
        found = overrides.get(oid)
        if found is not None and (found.start is not None or found.duration is not None):
            continue  # moved or resized: handled below from the override's own time
        entry = _entry(event, oid, start, found, cancelled_event)
        if show_cancelled or not entry.cancelled:
            entries.append(entry)
    for found in overrides.values():
        if found.start is None and found.duration is None:
            continue
        start = found.start or found.original_start
        duration = found.duration if found.duration is not None else draft.duration
        end = start + duration
        overlaps = start < window_end and (
            end > window_start or (duration == timedelta(0) and start >= window_start)
        )
        if overlaps and schedule.has_occurrence(found.occurrence_id):
            entry = _entry(event, found.occurrence_id, found.original_start, found, cancelled_event)
            if show_cancelled or not entry.cancelled:
                entries.append(entry)
    entries.sort(key=BY_AGENDA_ORDER)
    return entries


def _entry(
    event: Event, oid: str, original: datetime, found: Override | None, cancelled_event: bool
) -> AgendaEntry:
    draft = event.draft
    start = found.start if found is not None and found.start is not None else original
    duration = found.duration if found is not None and found.duration is not None else draft.duration
    return AgendaEntry(
        occurrence_id=oid,
        event_id=event.event_id,
        kind=draft.kind,
        title=(found.title if found and found.title else draft.title),
        description=(found.description if found and found.description else draft.description),
        location=(found.location if found and found.location else draft.location),
        online_url=(found.online_url if found and found.online_url else draft.online_url),
        start=start,
        end=start + duration,
        original_start=original,
        overridden=found is not None,
        cancelled=cancelled_event or (found is not None and found.cancelled),
        source=Source.EVENT,
        event_time_zone=draft.time_zone,
    )


_ENROLLMENT_DATES = (("start", "starts"), ("due", "is due"), ("end", "ends"))


def enrollment_entries(
    enrollment: Enrollment, window_start: datetime, window_end: datetime
) -> list[AgendaEntry]:
    """The enrolment's start, due and end dates inside the window, as zero-length deadline entries."""
    if enrollment.state not in ("active", "pending_approval"):
        return []
    entries = []
    label = enrollment.program_title or "Program"
    for attribute, verb in _ENROLLMENT_DATES:
        instant: datetime | None = getattr(enrollment, attribute)
        if instant is None or not (window_start <= instant < window_end):
            continue
        entries.append(
            AgendaEntry(
                occurrence_id=f"{attribute}-{occurrence_id(instant)}",
                event_id="",
                kind=EventKind.DEADLINE,
                title=f"{label} {verb}",
                description="",
                location="",
                online_url="",
                start=instant,
                end=instant,
                original_start=instant,
                overridden=False,
                cancelled=False,
                source=Source.ENROLLMENT,
                event_time_zone="UTC",
                program_id=enrollment.program_id,
                enrollment_id=enrollment.enrollment_id,
            )
        )
    return entries


def audience_includes(
    audience: Audience, learner_id: str, enrolled_programs: Iterable[str], named: bool
) -> bool:
    """Whether `learner_id` is in the audience (named: the learner is in the event's learner list)."""
    if audience.kind is AudienceKind.TENANT:
        return True
    if audience.kind is AudienceKind.PROGRAM:
        return audience.program_id in set(enrolled_programs)
    return named


def validate_draft(draft: EventDraft) -> None:
    """Raise InvalidArgument with every field violation of a complete event."""
    violations: list[FieldViolation] = []
    if not draft.title.strip():
        violations.append(FieldViolation("event.title", "title is required"))
    if draft.duration < timedelta(0) or draft.duration > MAX_DURATION:
        violations.append(FieldViolation("event.duration", "duration must be between 0 and 31 days"))
    if draft.kind is not EventKind.DEADLINE and draft.duration == timedelta(0):
        violations.append(FieldViolation("event.duration", "only deadlines may last zero seconds"))
    audience = draft.audience
    if audience.kind is AudienceKind.PROGRAM and not audience.program_id:
        violations.append(FieldViolation("event.audience.program_id", "a program audience needs program_id"))
    if audience.kind is AudienceKind.LEARNERS and not audience.learner_ids:
        violations.append(FieldViolation("event.audience.learner_ids", "name at least one learner"))
    if audience.kind is not AudienceKind.LEARNERS and audience.learner_ids:
        violations.append(
            FieldViolation("event.audience.learner_ids", "only a learners audience names learners")
        )
    if audience.kind is not AudienceKind.PROGRAM and audience.program_id:
        violations.append(
            FieldViolation("event.audience.program_id", "only a program audience names a program")
        )
    if draft.waitlist_enabled and draft.capacity == 0:
        violations.append(FieldViolation("event.waitlist_enabled", "a waitlist needs a capacity"))
    if not draft.rrule and draft.exdates:
        violations.append(FieldViolation("event.recurrence.exdates", "EXDATEs need a recurring event"))
    for error in validate_schedule_safely(draft):
        violations.append(FieldViolation(f"event.{error.field}", error.message))
    if violations:
        raise InvalidArgument("the event is invalid", violations=violations)


def validate_schedule_safely(draft: EventDraft) -> Sequence[RecurrenceError]:
    """Schedule problems of a draft (zone first: nothing else can be checked without it)."""
    try:
        schedule = draft.schedule()
    except RecurrenceError as error:
        return [error]
    errors = list(validate_schedule(schedule))
    if not errors and schedule.rrule:
        # EXDATEs must name occurrences (a typo would silently remove nothing).
        for index, exdate in enumerate(draft.exdates):
            oid = occurrence_id(exdate)
            if not replace(schedule, exdates=frozenset()).has_occurrence(oid):
                errors.append(RecurrenceError(f"recurrence.exdates[{index}]", f"{oid} is not an occurrence"))
    return errors


def validate_window(start: datetime, end: datetime) -> None:
    """An agenda window: end after start, at most 366 days."""
    if end <= start:
        raise InvalidArgument.for_field("end_time", "end_time must be after start_time")
    if end - start > MAX_AGENDA_WINDOW:
        raise InvalidArgument.for_field("end_time", "the window may span at most 366 days")


def local_iso(instant: datetime, time_zone: str) -> str:
    """An instant as ISO 8601 local time with offset in `time_zone`."""
    return instant.astimezone(zone(time_zone)).isoformat()


def now() -> datetime:
    """The current UTC time (one place to read the clock)."""
    return datetime.now(UTC)


def local_start(instant: datetime, time_zone: str) -> datetime:
    """The naive local wall time of an instant, localised back (normalises gap times)."""
    tz = zone(time_zone)
    return localize(to_local(instant, tz), tz)


@dataclass(frozen=True)
class EventPatch:
    """Changes to a whole series; None leaves a field as it is."""

    title: str | None = None
    description: str | None = None
    location: str | None = None
    online_url: str | None = None
    start: datetime | None = None
    time_zone: str | None = None
    duration: timedelta | None = None
    rrule: str | None = None
    exdates: tuple[datetime, ...] | None = None
    rdates: tuple[datetime, ...] | None = None
    audience: Audience | None = None
    capacity: int | None = None
    waitlist_enabled: bool | None = None
    reminder_minutes: tuple[int, ...] | None = None

    def changed_fields(self) -> list[str]:
        """Names of the fields the patch sets."""
        return [name for name in self.__dataclass_fields__ if getattr(self, name) is not None]

    def apply(self, draft: EventDraft) -> EventDraft:
        """The draft with the patch's fields replaced."""
        return replace(draft, **{name: getattr(self, name) for name in self.changed_fields()})

    @property
    def moves_times(self) -> bool:
        """True when occurrence times may change (overrides may stop matching)."""
        return any(x is not None for x in (self.start, self.time_zone, self.rrule, self.rdates))


@dataclass(frozen=True)
class OccurrencePatch:
    """Changes to one occurrence (or this and following); None leaves a field as it is."""

    start: datetime | None = None
    duration: timedelta | None = None
    title: str | None = None
    description: str | None = None
    location: str | None = None
    online_url: str | None = None

    def changed_fields(self) -> list[str]:
        """Names of the fields the patch sets."""
        return [name for name in self.__dataclass_fields__ if getattr(self, name) is not None]

    def apply_to_override(self, found: Override) -> Override:
        """An override with the patch's fields set (merged with an existing override)."""
        return replace(found, **{name: getattr(self, name) for name in self.changed_fields()})


def interval_overlap(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    """Whether two half-open intervals overlap (zero-length ones never do)."""
    return a_start < b_end and b_start < a_end and a_start < a_end and b_start < b_end
