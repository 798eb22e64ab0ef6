"""Proto <-> domain conversions of the calendar service."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp

from aigym.calendar.v1 import calendar_pb2
from aigym_calendar.domain import (
    AgendaEntry,
    Audience,
    AudienceKind,
    Event,
    EventDraft,
    EventKind,
    EventPatch,
    EventState,
    OccurrencePatch,
    SignupState,
    Source,
    local_iso,
)
from aigym_calendar.feed_service import IssuedFeed
from aigym_calendar.repository import Feed, Settings, Signup
from aigym_platform.errors import FieldViolation, InvalidArgument
from aigym_platform.timestamps import set_timestamp

_KINDS: dict[int, EventKind] = {
    calendar_pb2.EVENT_KIND_SESSION: EventKind.SESSION,
    calendar_pb2.EVENT_KIND_DEADLINE: EventKind.DEADLINE,
    calendar_pb2.EVENT_KIND_CUSTOM: EventKind.CUSTOM,
}
_KINDS_BACK: dict[EventKind, Any] = {v: k for k, v in _KINDS.items()}
_AUDIENCES: dict[int, AudienceKind] = {
    calendar_pb2.AUDIENCE_KIND_TENANT: AudienceKind.TENANT,
    calendar_pb2.AUDIENCE_KIND_PROGRAM: AudienceKind.PROGRAM,
    calendar_pb2.AUDIENCE_KIND_LEARNERS: AudienceKind.LEARNERS,
}
_AUDIENCES_BACK: dict[AudienceKind, Any] = {v: k for k, v in _AUDIENCES.items()}
_SIGNUPS = {
    SignupState.CONFIRMED: calendar_pb2.SIGNUP_STATE_CONFIRMED,
    SignupState.WAITLISTED: calendar_pb2.SIGNUP_STATE_WAITLISTED,
}
_CHANNELS = {calendar_pb2.CHANNEL_EMAIL: "email", calendar_pb2.CHANNEL_WEBHOOK: "webhook"}
_CHANNELS_BACK = {v: k for k, v in _CHANNELS.items()}
EVENT_MASK = {
    "title",
    "description",
    "location",
    "online_url",
    "start_time",
    "time_zone",
    "duration",
    "recurrence",
    "recurrence.rrule",
    "recurrence.exdates",
    "recurrence.rdates",
    "audience",
    "capacity",
    "waitlist_enabled",
    "reminder_minutes",
}
OCCURRENCE_MASK = {"start_time", "duration", "title", "description", "location", "online_url"}


def kind_from_proto(value: int) -> EventKind | None:
    """A kind filter (None for unspecified)."""
    return _KINDS.get(value)


def time_from_proto(ts: Timestamp) -> datetime:
    """An aware UTC datetime."""
    return ts.ToDatetime(tzinfo=UTC)


_time = time_from_proto


def _stamp(instant: datetime) -> Timestamp:
    ts = Timestamp()
    set_timestamp(ts, instant)
    return ts


def _duration(value: timedelta) -> Duration:
    d = Duration()
    d.FromTimedelta(value)
    return d


def _audience(audience: calendar_pb2.Audience) -> Audience:
    return Audience(
        _AUDIENCES.get(audience.kind, AudienceKind.TENANT), audience.program_id, tuple(audience.learner_ids)
    )


def draft_from_proto(event: calendar_pb2.Event) -> EventDraft:
    """A complete draft for CreateEvent; INVALID_ARGUMENT naming every missing required field."""
    violations = []
    if event.kind == calendar_pb2.EVENT_KIND_UNSPECIFIED:
        violations.append(FieldViolation("event.kind", "kind is required"))
    if not event.HasField("start_time"):
        violations.append(FieldViolation("event.start_time", "start_time is required"))
    if not event.time_zone:
        violations.append(FieldViolation("event.time_zone", "time_zone is required"))
    if not event.HasField("audience"):
        violations.append(FieldViolation("event.audience", "audience is required"))
    if not event.title.strip():
        violations.append(FieldViolation("event.title", "title is required"))
    if violations:
        raise InvalidArgument("the event is incomplete", violations=violations)
    return EventDraft(
        kind=_KINDS[event.kind],
        title=event.title.strip(),
        description=event.description,
        location=event.location,
        online_url=event.online_url,
        start=_time(event.start_time),
        time_zone=event.time_zone,
        duration=event.duration.ToTimedelta(),
        rrule=event.recurrence.rrule.strip().removeprefix("RRULE:"),
        exdates=tuple(_time(t) for t in event.recurrence.exdates),
        rdates=tuple(_time(t) for t in event.recurrence.rdates),
        audience=_audience(event.audience),
        capacity=event.capacity,
        waitlist_enabled=event.waitlist_enabled,
        reminder_minutes=tuple(sorted(event.reminder_minutes)),
    )


def patch_from_proto(event: calendar_pb2.Event, paths: Sequence[str]) -> EventPatch:
    """An EventPatch of the masked fields; INVALID_ARGUMENT for unknown paths."""
    unknown = [p for p in paths if p not in EVENT_MASK]
    if unknown:
        raise InvalidArgument.for_field("update_mask", f"cannot update {', '.join(unknown)}")
    chosen = set(paths)
    recurrence = event.recurrence
    whole = "recurrence" in chosen
    if "start_time" in chosen and not event.HasField("start_time"):
        raise InvalidArgument.for_field("event.start_time", "start_time is in the mask but not set")
    return EventPatch(
        title=event.title.strip() if "title" in chosen else None,
        description=event.description if "description" in chosen else None,
        location=event.location if "location" in chosen else None,
        online_url=event.online_url if "online_url" in chosen else None,
        start=_time(event.start_time) if "start_time" in chosen else None,
        time_zone=event.time_zone if "time_zone" in chosen else None,
        duration=event.duration.ToTimedelta() if "duration" in chosen else None,
        rrule=recurrence.rrule.strip().removeprefix("RRULE:")
        if whole or "recurrence.rrule" in chosen
        else None,
        exdates=tuple(_time(t) for t in recurrence.exdates)
        if whole or "recurrence.exdates" in chosen
        else None,
        rdates=tuple(_time(t) for t in recurrence.rdates) if whole or "recurrence.rdates" in chosen else None,
        audience=_audience(event.audience) if "audience" in chosen else None,
        capacity=event.capacity if "capacity" in chosen else None,
        waitlist_enabled=event.waitlist_enabled if "waitlist_enabled" in chosen else None,
        reminder_minutes=tuple(sorted(event.reminder_minutes)) if "reminder_minutes" in chosen else None,
    )


def occurrence_patch_from_proto(
    change: calendar_pb2.OccurrenceChange, paths: Sequence[str]
) -> OccurrencePatch:
    """An OccurrencePatch of the masked fields; INVALID_ARGUMENT for unknown paths."""
    unknown = [p for p in paths if p not in OCCURRENCE_MASK]
    if unknown:
        raise InvalidArgument.for_field("update_mask", f"cannot update {', '.join(unknown)}")
    chosen = set(paths)
    if "start_time" in chosen and not change.HasField("start_time"):
        raise InvalidArgument.for_field("occurrence.start_time", "start_time is in the mask but not set")
    return OccurrencePatch(
        start=_time(change.start_time) if "start_time" in chosen else None,
        duration=change.duration.ToTimedelta() if "duration" in chosen else None,
        title=change.title.strip() if "title" in chosen else None,
        description=change.description if "description" in chosen else None,
        location=change.location if "location" in chosen else None,
        online_url=change.online_url if "online_url" in chosen else None,
    )


def event_to_proto(event: Event) -> calendar_pb2.Event:
    """The event as its proto resource."""
    draft = event.draft
    message = calendar_pb2.Event(
        event_id=event.event_id,
        kind=_KINDS_BACK[draft.kind],
        title=draft.title,
        description=draft.description,
        location=draft.location,
        online_url=draft.online_url,
        start_time=_stamp(draft.start),
        time_zone=draft.time_zone,
        duration=_duration(draft.duration),
        recurrence=calendar_pb2.Recurrence(
            rrule=draft.rrule,
            exdates=[_stamp(d) for d in sorted(draft.exdates)],
            rdates=[_stamp(d) for d in sorted(draft.rdates)],
        ),
        audience=calendar_pb2.Audience(
            kind=_AUDIENCES_BACK[draft.audience.kind],
            program_id=draft.audience.program_id,
            learner_ids=list(draft.audience.learner_ids),
        ),
        capacity=draft.capacity,
        waitlist_enabled=draft.waitlist_enabled,
        reminder_minutes=list(draft.reminder_minutes),
        state=calendar_pb2.EVENT_STATE_ACTIVE
        if event.state is EventState.ACTIVE
        else calendar_pb2.EVENT_STATE_CANCELLED,
        sequence=event.sequence,
        etag=event.etag,
        parent_event_id=event.parent_event_id,
        signup_count=event.signup_count,
        waitlist_count=event.waitlist_count,
        created_by=event.created_by,
        create_time=_stamp(event.create_time),
        update_time=_stamp(event.update_time),
    )
    for found in sorted(event.overrides, key=lambda o: o.occurrence_id):
        item = message.overrides.add(
            occurrence_id=found.occurrence_id,
            cancelled=found.cancelled,
            title=found.title,
            description=found.description,
            location=found.location,
            online_url=found.online_url,
        )
        if found.start is not None:
            item.start_time.CopyFrom(_stamp(found.start))
        if found.duration is not None:
            item.duration.CopyFrom(_duration(found.duration))
    return message


# Occurrence messages of recent agenda entries, by entry identity and zone. Agenda entries are immutable
# and come from the decoded events' remembered expansions, so the same objects return request after request;
# a memo holds its entry, so that entry's id cannot be reused while the memo lasts. Building a message was a
# sixth of an agenda call (two local ISO strings, two timestamps, fifteen fields); a full memo is emptied.
OCCURRENCE_MEMO = 8_192
_OCCURRENCES: dict[tuple[int, str], tuple[AgendaEntry, calendar_pb2.Occurrence]] = {}


def entry_to_proto(entry: AgendaEntry, time_zone: str) -> calendar_pb2.Occurrence:
    """An agenda entry with local times in `time_zone`; a shared message: copy it before changing it."""
    key = (id(entry), time_zone)
    found = _OCCURRENCES.get(key)
    if found is not None and found[0] is entry:
        return found[1]
    message = _occurrence(entry, time_zone)
    if len(_OCCURRENCES) >= OCCURRENCE_MEMO:
        _OCCURRENCES.clear()
    _OCCURRENCES[key] = (entry, message)
    return message


def _occurrence(entry: AgendaEntry, time_zone: str) -> calendar_pb2.Occurrence:
    message = calendar_pb2.Occurrence(
        occurrence_id=entry.occurrence_id,
        event_id=entry.event_id,
        kind=_KINDS_BACK[entry.kind],
        title=entry.title,
        description=entry.description,
        location=entry.location,
        online_url=entry.online_url,
        local_start=local_iso(entry.start, time_zone),
        local_end=local_iso(entry.end, time_zone),
        overridden=entry.overridden,
        source=calendar_pb2.OCCURRENCE_SOURCE_EVENT
        if entry.source is Source.EVENT
        else calendar_pb2.OCCURRENCE_SOURCE_ENROLLMENT,
        program_id=entry.program_id,
        enrollment_id=entry.enrollment_id,
        signup_state=_SIGNUPS.get(entry.signup_state, calendar_pb2.SIGNUP_STATE_UNSPECIFIED)
        if entry.signup_state
        else calendar_pb2.SIGNUP_STATE_UNSPECIFIED,
        event_time_zone=entry.event_time_zone,
    )
    set_timestamp(message.start_time, entry.start)
    set_timestamp(message.end_time, entry.end)
    if entry.original_start != entry.start:
        set_timestamp(message.original_start_time, entry.original_start)
    return message


def signup_to_proto(signup: Signup) -> calendar_pb2.Signup:
    """A sign-up."""
    return calendar_pb2.Signup(
        event_id=signup.event_id,
        learner_id=signup.learner_id,
        state=_SIGNUPS[signup.state],
        waitlist_position=signup.waitlist_position,
        create_time=_stamp(signup.create_time),
    )


def feed_to_proto(feed: Feed, issued: IssuedFeed | None = None) -> calendar_pb2.Feed:
    """A feed; the token and URL only when just issued."""
    message = calendar_pb2.Feed(
        feed_id=feed.feed_id, learner_id=feed.learner_id, create_time=_stamp(feed.create_time)
    )
    if feed.rotate_time is not None:
        message.rotate_time.CopyFrom(_stamp(feed.rotate_time))
    if feed.last_access_time is not None:
        message.last_access_time.CopyFrom(_stamp(feed.last_access_time))
    if issued is not None:
        message.token = issued.token
        message.url = issued.url
    return message


def settings_from_proto(settings: calendar_pb2.CalendarSettings) -> Settings:
    """Settings as sent (learner and directory fields are filled by the service)."""
    return Settings(
        learner_id="",
        time_zone=settings.time_zone,
        channels=tuple(_CHANNELS[c] for c in settings.channels if c in _CHANNELS),
        webhook_url=settings.webhook_url,
        webhook_secret=settings.webhook_secret,
        quiet_hours_start=settings.quiet_hours_start,
        quiet_hours_end=settings.quiet_hours_end,
        email="",
        directory_time_zone="",
        update_time=None,
    )


def settings_to_proto(settings: Settings) -> calendar_pb2.CalendarSettings:
    """Settings without the webhook secret."""
    message = calendar_pb2.CalendarSettings(
        learner_id=settings.learner_id,
        time_zone=settings.effective_time_zone,
        channels=[_CHANNELS_BACK[c] for c in settings.channels if c in _CHANNELS_BACK],
        webhook_url=settings.webhook_url,
        webhook_secret_set=bool(settings.webhook_secret),
        quiet_hours_start=settings.quiet_hours_start,
        quiet_hours_end=settings.quiet_hours_end,
        email=settings.email,
    )
    if settings.update_time is not None:
        message.update_time.CopyFrom(_stamp(settings.update_time))
    return message


def conflict_to_proto(
    learner_id: str, start: datetime, end: datetime, existing: AgendaEntry
) -> calendar_pb2.Conflict:
    """One conflict (local times of the existing occurrence in UTC)."""
    return calendar_pb2.Conflict(
        learner_id=learner_id,
        proposed_start_time=_stamp(start),
        proposed_end_time=_stamp(end),
        existing=entry_to_proto(existing, "UTC"),
    )
