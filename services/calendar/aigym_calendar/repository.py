"""All SQL of the calendar service; every query runs inside one tenant (RLS checks it again)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from types import SimpleNamespace
from typing import Any, NamedTuple

from sqlalchemy import (
    BigInteger,
    DateTime,
    Select,
    String,
    Text,
    and_,
    bindparam,
    case,
    delete,
    func,
    literal,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import UUID as PgUUID
from sqlalchemy.dialects.postgresql import aggregate_order_by, insert
from sqlalchemy.ext.asyncio import AsyncSession

from aigym_calendar.domain import (
    Audience,
    AudienceKind,
    Enrollment,
    Event,
    EventDraft,
    EventKind,
    EventState,
    Override,
    SignupState,
)
from aigym_calendar.lru import Lru
from aigym_calendar.recurrence import localize, parse_occurrence_id, zone
from aigym_calendar.tables import (
    EnrollmentRow,
    EventLearnerRow,
    EventRow,
    FeedRow,
    LearnerRow,
    OverrideRow,
    ProgramRow,
    ReminderDeliveryRow,
    SettingsRow,
    SignupRow,
)
from aigym_platform.identity import TenantId
from aigym_platform.teams import reports_to_query, team_query


@dataclass(frozen=True)
class Signup:
    """A stored sign-up."""

    event_id: str
    learner_id: str
    state: SignupState
    create_time: datetime
    waitlist_position: int = 0


@dataclass(frozen=True)
class Feed:
    """A stored feed (never the token itself)."""

    feed_id: str
    learner_id: str
    create_time: datetime
    rotate_time: datetime | None
    last_access_time: datetime | None


@dataclass(frozen=True)
class Settings:
    """A learner's stored settings merged with the directory copy."""

    learner_id: str
    time_zone: str
    channels: tuple[str, ...]
    webhook_url: str
    webhook_secret: str
    quiet_hours_start: str
    quiet_hours_end: str
    email: str
    directory_time_zone: str
    update_time: datetime | None

    @property
    def effective_time_zone(self) -> str:
        """The learner's zone: own setting, else the directory's, else UTC."""
        return self.time_zone or self.directory_time_zone or "UTC"


class LearnerCalendar(NamedTuple):
    """What a learner's agenda or feed is made of, read in one round trip."""

    events: list[Event]
    signup_states: dict[str, SignupState]
    enrollments: list[Enrollment]


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Decoded events kept per process (immutable, with their schedules and memos: at most 4 expansions of at
# most 64 entries each, so the worst case is about half a million agenda entries, ~100 MB).
DECODED_EVENTS = 2_048


# Keyed by everything a decoded event depends on (see `learner_calendar`).
_DECODED: Lru[Hashable, Event] = Lru(DECODED_EVENTS)


def _tenant(tenant_id: TenantId) -> uuid.UUID:
    return uuid.UUID(str(tenant_id))


class CalendarRepository:
    """Events, overrides, sign-ups, enrolments, directory copy, settings, feeds and reminder log."""

    def __init__(self, session: AsyncSession, tenant_id: TenantId) -> None:
        self.session = session
        self.tenant = _tenant(tenant_id)

    # ---- events -------------------------------------------------------------------------------------

    async def insert_event(self, event: Event, request_id: str | None) -> None:
        """Insert a new event with its named learners and overrides."""
        row = EventRow(tenant_id=self.tenant, event_id=uuid.UUID(event.event_id), request_id=request_id)
        _fill_row(row, event)
        self.session.add(row)
        await self.session.flush()
        await self._replace_learners(event)
        for found in event.overrides:
            await self.save_override(event.event_id, found, event.update_time)

    async def update_event(self, event: Event) -> None:
        """Write every column of an existing event and its learner list."""
        row = await self.session.get(EventRow, (self.tenant, uuid.UUID(event.event_id)))
        assert row is not None
        _fill_row(row, event)
        await self.session.flush()
        await self._replace_learners(event)

    async def _replace_learners(self, event: Event) -> None:
        event_uuid = uuid.UUID(event.event_id)
        await self.session.execute(
            delete(EventLearnerRow).where(
                EventLearnerRow.tenant_id == self.tenant, EventLearnerRow.event_id == event_uuid
            )
        )
        learners = event.draft.audience.learner_ids
        if learners:
            await self.session.execute(
                insert(EventLearnerRow),
                [{"tenant_id": self.tenant, "event_id": event_uuid, "learner_id": lid} for lid in learners],
            )

    async def event_id_for_request(self, request_id: str) -> str | None:
        """The event created with an idempotency key, if any."""
        found = await self.session.scalar(
            select(EventRow.event_id).where(
                EventRow.tenant_id == self.tenant, EventRow.request_id == request_id
            )
        )
        return str(found) if found else None

    async def get_event(self, event_id: str, *, for_update: bool = False) -> Event | None:
        """One event with learners, overrides and sign-up counts (row-locked with `for_update`)."""
        try:
            event_uuid = uuid.UUID(event_id)
        except ValueError:
            return None
        query = select(EventRow).where(EventRow.tenant_id == self.tenant, EventRow.event_id == event_uuid)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).scalar_one_or_none()
        if row is None:
            return None
        return (await self._load([row]))[0]

    async def list_events(
        self,
        *,
        kind: EventKind | None,
        program_id: str,
        show_cancelled: bool,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> list[Event]:
        """Events newest first (keyset on create_time, event_id)."""
        query = select(EventRow).where(EventRow.tenant_id == self.tenant)
        if kind is not None:
            query = query.where(EventRow.kind == kind.value)
        if program_id:
            query = query.where(EventRow.audience_program_id == program_id)
        if not show_cancelled:
            query = query.where(EventRow.state == EventState.ACTIVE.value)
        if after is not None:
            query = query.where(
                or_(
                    EventRow.create_time < after[0],
                    and_(EventRow.create_time == after[0], EventRow.event_id < uuid.UUID(after[1])),
                )
            )
        query = query.order_by(EventRow.create_time.desc(), EventRow.event_id.desc()).limit(limit)
        rows = list((await self.session.execute(query)).scalars())
        return await self._load(rows)

    async def events_for_learner(
        self, learner_id: str, window_start: datetime, window_end: datetime, *, show_cancelled: bool
    ) -> list[Event]:
        """Events whose audience includes the learner (or they signed up) and whose range meets the window.

        One round trip (learners, overrides and seat counts folded in), a statement built once per process.
        """
        found = await self.learner_calendar(
            learner_id, window_start, window_end, show_cancelled=show_cancelled
        )
        return found.events

    async def learner_calendar(
        self, learner_id: str, window_start: datetime, window_end: datetime, *, show_cancelled: bool
    ) -> LearnerCalendar:
        """`events_for_learner`, the learner's sign-up state per capacity event and their enrolments.

        One round trip: the events are left-joined to a one-row anchor that carries the enrolments as JSON,
        so a learner without events still gets their enrolments.
        """
        params = {"tenant": self.tenant, "learner": learner_id, "low": window_start, "high": window_end}
        result = await self.session.execute(_learner_calendar(show_cancelled), params)
        events: list[Event] = []
        states: dict[str, SignupState] = {}
        enrollments_json = None
        for row in result:
            enrollments_json = row.enrollments_json
            if row.event_id is None:  # the anchor alone: no events
                continue
            # Every write of an event row bumps its sequence and update time (`_fill_row` is the only
            # writer); learners, overrides and seat counts live in other tables and are part of the key,
            # as the JSON text PostgreSQL sent (decoded only when the event is not remembered).
            key = (
                self.tenant,
                row.event_id,
                row.sequence,
                row.update_time,
                row.learners_json,
                row.overrides_json,
                row.confirmed,
                row.waitlisted,
            )
            event = _DECODED.get(key)
            if event is None:
                decoded = SimpleNamespace(
                    **row._mapping,
                    exdates=json.loads(row.exdates_json),
                    rdates=json.loads(row.rdates_json),
                    reminder_minutes=json.loads(row.reminder_minutes_json),
                )
                event = _event_from_row(
                    decoded,  # type: ignore[arg-type]  # EventRow's column names and values
                    tuple(json.loads(row.learners_json or "[]")),
                    tuple(_override_from_json(item) for item in json.loads(row.overrides_json or "[]")),
                    row.confirmed,
                    row.waitlisted,
                )
                _DECODED.put(key, event)
            events.append(event)
            if row.my_signup is not None:
                states[event.event_id] = SignupState(row.my_signup)
        enrollments = [_enrollment_from_json(item) for item in json.loads(enrollments_json or "[]")]
        return LearnerCalendar(events, states, enrollments)

    async def learner_can_see(self, event: Event, learner_id: str) -> bool:
        """Whether the learner is in the event's audience, signed up, or created it."""
        audience = event.draft.audience
        if audience.kind is AudienceKind.TENANT or event.created_by == learner_id:
            return True
        if learner_id in audience.learner_ids:
            return True
        if audience.kind is AudienceKind.PROGRAM and audience.program_id in await self.enrolled_programs(
            learner_id
        ):
            return True
        return await self.get_signup(event.event_id, learner_id) is not None

    async def _load(self, rows: Sequence[EventRow]) -> list[Event]:
        if not rows:
            return []
        ids = [row.event_id for row in rows]
        learners: dict[uuid.UUID, list[str]] = {}
        for event_id, learner_id in await self.session.execute(
            select(EventLearnerRow.event_id, EventLearnerRow.learner_id)
            .where(EventLearnerRow.tenant_id == self.tenant, EventLearnerRow.event_id.in_(ids))
            .order_by(EventLearnerRow.learner_id)
        ):
            learners.setdefault(event_id, []).append(learner_id)
        overrides: dict[uuid.UUID, list[Override]] = {}
        for o in (
            await self.session.execute(
                select(OverrideRow)
                .where(OverrideRow.tenant_id == self.tenant, OverrideRow.event_id.in_(ids))
                .order_by(OverrideRow.occurrence_id)
            )
        ).scalars():
            overrides.setdefault(o.event_id, []).append(
                Override(
                    occurrence_id=o.occurrence_id,
                    cancelled=o.cancelled,
                    start=o.start_time,
                    duration=timedelta(seconds=o.duration_seconds)
                    if o.duration_seconds is not None
                    else None,
                    title=o.title,
                    description=o.description,
                    location=o.location,
                    online_url=o.online_url,
                )
            )
        counts: dict[tuple[uuid.UUID, str], int] = {}
        capped = [row.event_id for row in rows if row.capacity > 0]
        if capped:
            for event_id, state, count in await self.session.execute(
                select(SignupRow.event_id, SignupRow.state, func.count())
                .where(SignupRow.tenant_id == self.tenant, SignupRow.event_id.in_(capped))
                .group_by(SignupRow.event_id, SignupRow.state)
            ):
                counts[(event_id, state)] = count
        return [
            _event_from_row(
                row,
                tuple(learners.get(row.event_id, ())),
                tuple(overrides.get(row.event_id, ())),
                counts.get((row.event_id, SignupState.CONFIRMED.value), 0),
                counts.get((row.event_id, SignupState.WAITLISTED.value), 0),
            )
            for row in rows
        ]

    async def save_override(self, event_id: str, found: Override, when: datetime) -> None:
        """Insert or replace the override of one occurrence."""
        values: dict[str, Any] = {
            "cancelled": found.cancelled,
            "start_time": found.start,
            "duration_seconds": int(found.duration.total_seconds()) if found.duration is not None else None,
            "title": found.title,
            "description": found.description,
            "location": found.location,
            "online_url": found.online_url,
            "update_time": when,
        }
        statement = insert(OverrideRow).values(
            tenant_id=self.tenant, event_id=uuid.UUID(event_id), occurrence_id=found.occurrence_id, **values
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["tenant_id", "event_id", "occurrence_id"], set_=values
            )
        )

    async def delete_overrides(self, event_id: str, occurrence_ids: Sequence[str]) -> None:
        """Remove the overrides of the given occurrences."""
        if occurrence_ids:
            await self.session.execute(
                delete(OverrideRow).where(
                    OverrideRow.tenant_id == self.tenant,
                    OverrideRow.event_id == uuid.UUID(event_id),
                    OverrideRow.occurrence_id.in_(list(occurrence_ids)),
                )
            )

    # ---- sign-ups -----------------------------------------------------------------------------------

    async def get_signup(self, event_id: str, learner_id: str) -> Signup | None:
        """A learner's sign-up for an event."""
        row = await self.session.get(SignupRow, (self.tenant, uuid.UUID(event_id), learner_id))
        return None if row is None else Signup(event_id, learner_id, SignupState(row.state), row.create_time)

    async def insert_signup(self, signup: Signup) -> None:
        """Store a new sign-up."""
        self.session.add(
            SignupRow(
                tenant_id=self.tenant,
                event_id=uuid.UUID(signup.event_id),
                learner_id=signup.learner_id,
                state=signup.state.value,
                create_time=signup.create_time,
            )
        )
        await self.session.flush()

    async def delete_signup(self, event_id: str, learner_id: str) -> None:
        """Remove a sign-up."""
        await self.session.execute(
            delete(SignupRow).where(
                SignupRow.tenant_id == self.tenant,
                SignupRow.event_id == uuid.UUID(event_id),
                SignupRow.learner_id == learner_id,
            )
        )

    async def promote_first_waitlisted(self, event_id: str) -> str | None:
        """Confirm the longest-waiting learner; return who (None if the waitlist is empty)."""
        first = await self.session.scalar(
            select(SignupRow.learner_id)
            .where(
                SignupRow.tenant_id == self.tenant,
                SignupRow.event_id == uuid.UUID(event_id),
                SignupRow.state == SignupState.WAITLISTED.value,
            )
            .order_by(SignupRow.create_time, SignupRow.learner_id)
            .limit(1)
        )
        if first is None:
            return None
        await self.session.execute(
            update(SignupRow)
            .where(
                SignupRow.tenant_id == self.tenant,
                SignupRow.event_id == uuid.UUID(event_id),
                SignupRow.learner_id == first,
            )
            .values(state=SignupState.CONFIRMED.value)
        )
        return str(first)

    async def list_signups(self, event_id: str) -> list[Signup]:
        """Confirmed in sign-up order, then the waitlist with positions."""
        rows = (
            await self.session.execute(
                select(SignupRow)
                .where(SignupRow.tenant_id == self.tenant, SignupRow.event_id == uuid.UUID(event_id))
                .order_by(SignupRow.state, SignupRow.create_time, SignupRow.learner_id)
            )
        ).scalars()
        result: list[Signup] = []
        position = 0
        for row in rows:
            state = SignupState(row.state)
            if state is SignupState.WAITLISTED:
                position += 1
            result.append(
                Signup(
                    event_id,
                    row.learner_id,
                    state,
                    row.create_time,
                    position if state is SignupState.WAITLISTED else 0,
                )
            )
        return result

    # ---- enrolments, programs, directory ------------------------------------------------------------

    async def get_enrollment(self, enrollment_id: str) -> EnrollmentRow | None:
        """The stored enrolment row (locked for the event handler's update)."""
        return (
            await self.session.execute(
                select(EnrollmentRow)
                .where(EnrollmentRow.tenant_id == self.tenant, EnrollmentRow.enrollment_id == enrollment_id)
                .with_for_update()
            )
        ).scalar_one_or_none()

    async def save_enrollment(self, enrollment: Enrollment, when: datetime) -> None:
        """Insert or replace an enrolment's dates and state."""
        values: dict[str, Any] = {
            "program_id": enrollment.program_id,
            "learner_id": enrollment.learner_id,
            "state": enrollment.state,
            "start_time": enrollment.start,
            "due_time": enrollment.due,
            "end_time": enrollment.end,
            "sequence": enrollment.sequence,
            "update_time": when,
        }
        statement = insert(EnrollmentRow).values(
            tenant_id=self.tenant, enrollment_id=enrollment.enrollment_id, **values
        )
        await self.session.execute(
            statement.on_conflict_do_update(index_elements=["tenant_id", "enrollment_id"], set_=values)
        )

    async def enrolled_programs(self, learner_id: str) -> set[str]:
        """Programs the learner is (actively or pending) enrolled in."""
        rows = await self.session.scalars(
            select(EnrollmentRow.program_id).where(
                EnrollmentRow.tenant_id == self.tenant,
                EnrollmentRow.learner_id == learner_id,
                EnrollmentRow.state.in_(("active", "pending_approval")),
            )
        )
        return set(rows)

    async def save_program_title(self, program_id: str, title: str, when: datetime) -> None:
        """Remember a program's title (labels of deadline entries)."""
        statement = insert(ProgramRow).values(
            tenant_id=self.tenant, program_id=program_id, title=title, update_time=when
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["tenant_id", "program_id"], set_={"title": title, "update_time": when}
            )
        )

    async def save_learner(
        self,
        learner_id: str,
        display_name: str,
        email: str,
        time_zone: str,
        active: bool,
        when: datetime,
        manager_id: str = "",
    ) -> None:
        """Replace the local copy of a learner's directory entry unless a newer change is stored."""
        values: dict[str, Any] = {
            "display_name": display_name,
            "email": email,
            "time_zone": time_zone,
            "active": active,
            "update_time": when,
            "manager_id": manager_id,
        }
        statement = insert(LearnerRow).values(tenant_id=self.tenant, learner_id=learner_id, **values)
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["tenant_id", "learner_id"],
                set_=values,
                where=LearnerRow.update_time <= when,  # the reporting line scopes reads: never go back
            )
        )

    async def reports_to(self, learner_id: str, manager_id: str) -> bool:
        """Whether `learner_id` reports to `manager_id` directly or through other managers (cycle-safe)."""
        if learner_id == manager_id:
            return False
        return bool(
            await self.session.scalar(
                reports_to_query(LearnerRow.__table__, self.tenant, learner_id, manager_id)
            )
        )

    async def team_of(self, manager_id: str) -> frozenset[str]:
        """Everyone reporting to `manager_id` directly or through other managers (cycle-safe)."""
        query = team_query(LearnerRow.__table__, self.tenant, manager_id)
        return frozenset(await self.session.scalars(query))

    async def deactivate_learner(self, learner_id: str, when: datetime) -> None:
        """Mark the local copy inactive (kept: reminders and conflicts skip inactive learners)."""
        statement = insert(LearnerRow).values(
            tenant_id=self.tenant, learner_id=learner_id, active=False, update_time=when
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["tenant_id", "learner_id"], set_={"active": False, "update_time": when}
            )
        )

    async def audience_learners(self, audience: Audience) -> list[str]:
        """Learners an audience covers (the tenant: everyone known from the directory or enrolments)."""
        if audience.kind is AudienceKind.LEARNERS:
            return sorted(set(audience.learner_ids))
        enrolled = select(EnrollmentRow.learner_id).where(
            EnrollmentRow.tenant_id == self.tenant, EnrollmentRow.state.in_(("active", "pending_approval"))
        )
        if audience.kind is AudienceKind.PROGRAM:
            return sorted(
                set(
                    await self.session.scalars(
                        enrolled.where(EnrollmentRow.program_id == audience.program_id)
                    )
                )
            )
        directory = select(LearnerRow.learner_id).where(
            LearnerRow.tenant_id == self.tenant, LearnerRow.active
        )
        return sorted(set(await self.session.scalars(directory)) | set(await self.session.scalars(enrolled)))

    # ---- settings -----------------------------------------------------------------------------------

    async def get_settings(self, learner_id: str) -> Settings:
        """Stored settings merged with the directory copy (defaults when neither exists); one round trip."""
        row = (
            await self.session.execute(_learner_settings(), {"tenant": self.tenant, "learner": learner_id})
        ).one()
        stored = row.update_time is not None
        return Settings(
            learner_id=learner_id,
            time_zone=row.time_zone if stored else "",
            channels=tuple(row.channels) if stored else (),
            webhook_url=row.webhook_url if stored else "",
            webhook_secret=row.webhook_secret if stored else "",
            quiet_hours_start=row.quiet_hours_start if stored else "",
            quiet_hours_end=row.quiet_hours_end if stored else "",
            email=row.email or "",
            directory_time_zone=row.directory_time_zone or "",
            update_time=row.update_time,
        )

    async def save_settings(self, settings: Settings, when: datetime) -> None:
        """Insert or replace a learner's settings."""
        values: dict[str, Any] = {
            "time_zone": settings.time_zone,
            "channels": list(settings.channels),
            "webhook_url": settings.webhook_url,
            "webhook_secret": settings.webhook_secret,
            "quiet_hours_start": settings.quiet_hours_start,
            "quiet_hours_end": settings.quiet_hours_end,
            "update_time": when,
        }
        statement = insert(SettingsRow).values(
            tenant_id=self.tenant, learner_id=settings.learner_id, **values
        )
        await self.session.execute(
            statement.on_conflict_do_update(index_elements=["tenant_id", "learner_id"], set_=values)
        )

    # ---- feeds --------------------------------------------------------------------------------------

    async def insert_feed(self, feed_id: str, learner_id: str, token_hash: str, when: datetime) -> None:
        """Store a new feed by its token's hash."""
        self.session.add(
            FeedRow(
                tenant_id=self.tenant,
                feed_id=uuid.UUID(feed_id),
                learner_id=learner_id,
                token_hash=token_hash,
                create_time=when,
            )
        )
        await self.session.flush()

    async def get_feed(self, feed_id: str, learner_id: str) -> Feed | None:
        """An active feed of the learner."""
        row = await self.session.get(FeedRow, (self.tenant, uuid.UUID(feed_id)))
        if row is None or row.learner_id != learner_id or row.revoke_time is not None:
            return None
        return _feed(row)

    async def list_feeds(self, learner_id: str) -> list[Feed]:
        """The learner's active feeds, newest first."""
        rows = await self.session.scalars(
            select(FeedRow)
            .where(
                FeedRow.tenant_id == self.tenant,
                FeedRow.learner_id == learner_id,
                FeedRow.revoke_time.is_(None),
            )
            .order_by(FeedRow.create_time.desc(), FeedRow.feed_id)
        )
        return [_feed(row) for row in rows]

    async def rotate_feed(self, feed_id: str, token_hash: str, when: datetime) -> None:
        """Replace a feed's token hash."""
        await self.session.execute(
            update(FeedRow)
            .where(FeedRow.tenant_id == self.tenant, FeedRow.feed_id == uuid.UUID(feed_id))
            .values(token_hash=token_hash, rotate_time=when)
        )

    async def revoke_feed(self, feed_id: str, when: datetime) -> None:
        """Revoke a feed (kept for audit, never served again)."""
        await self.session.execute(
            update(FeedRow)
            .where(FeedRow.tenant_id == self.tenant, FeedRow.feed_id == uuid.UUID(feed_id))
            .values(revoke_time=when)
        )

    async def feed_by_hash(self, token_hash: str) -> tuple[str, str] | None:
        """(feed id, learner id) of the active feed with this token hash in this tenant."""
        row = (
            await self.session.execute(
                select(FeedRow.feed_id, FeedRow.learner_id).where(
                    FeedRow.tenant_id == self.tenant,
                    FeedRow.token_hash == token_hash,
                    FeedRow.revoke_time.is_(None),
                )
            )
        ).first()
        return None if row is None else (str(row[0]), str(row[1]))

    async def touch_feed(self, feed_id: str, when: datetime) -> None:
        """Record a fetch (at most once a minute, to keep feed reads cheap)."""
        await self.session.execute(
            update(FeedRow)
            .where(
                FeedRow.tenant_id == self.tenant,
                FeedRow.feed_id == uuid.UUID(feed_id),
                or_(
                    FeedRow.last_access_time.is_(None), FeedRow.last_access_time < when - timedelta(minutes=1)
                ),
            )
            .values(last_access_time=when)
        )

    async def events_for_reminders(self, window_start: datetime, window_end: datetime) -> list[Event]:
        """Active events with reminder offsets whose range meets the window."""
        rows = await self.session.scalars(
            select(EventRow).where(
                EventRow.tenant_id == self.tenant,
                EventRow.state == EventState.ACTIVE.value,
                EventRow.reminder_minutes != text("'[]'::jsonb"),
                EventRow.range_start < window_end,
                or_(EventRow.range_end.is_(None), EventRow.range_end > window_start),
            )
        )
        return await self._load(list(rows))

    async def active_learners(self, learner_ids: Sequence[str]) -> list[str]:
        """Those of `learner_ids` not deactivated in the directory copy (unknown ones count as active)."""
        if not learner_ids:
            return []
        inactive = set(
            await self.session.scalars(
                select(LearnerRow.learner_id).where(
                    LearnerRow.tenant_id == self.tenant,
                    LearnerRow.learner_id.in_(list(learner_ids)),
                    LearnerRow.active.is_(False),
                )
            )
        )
        return [learner for learner in learner_ids if learner not in inactive]

    async def has_settings(self, learner_id: str) -> bool:
        """Whether the learner ever saved calendar settings."""
        return await self.session.get(SettingsRow, (self.tenant, learner_id)) is not None

    # ---- reminder delivery log ----------------------------------------------------------------------

    async def claim_delivery(
        self,
        event_id: str,
        oid: str,
        learner_id: str,
        minutes_before: int,
        channel: str,
        due: datetime,
        when: datetime,
    ) -> uuid.UUID | None:
        """Create the log row of one reminder; None when it exists already (sent, or being sent)."""
        statement = (
            insert(ReminderDeliveryRow)
            .values(
                tenant_id=self.tenant,
                delivery_id=uuid.uuid4(),
                event_id=uuid.UUID(event_id),
                occurrence_id=oid,
                learner_id=learner_id,
                minutes_before=minutes_before,
                channel=channel,
                status="pending",
                attempts=0,
                due_time=due,
                update_time=when,
                result={},
            )
            .on_conflict_do_nothing(constraint="uq_reminder_deliveries_tenant_id_once")
            .returning(ReminderDeliveryRow.delivery_id)
        )
        found = await self.session.scalar(statement)
        return found if isinstance(found, uuid.UUID) else None

    async def pending_deliveries(self, older_than: datetime, limit: int) -> list[ReminderDeliveryRow]:
        """Unfinished deliveries (pending or transient failure) untouched since `older_than`, locked."""
        rows = await self.session.scalars(
            select(ReminderDeliveryRow)
            .where(
                ReminderDeliveryRow.tenant_id == self.tenant,
                ReminderDeliveryRow.status.in_(("pending", "transient_failure")),
                ReminderDeliveryRow.update_time <= older_than,
            )
            .order_by(ReminderDeliveryRow.due_time)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(rows)

    async def lease_delivery(self, delivery_id: uuid.UUID, when: datetime) -> None:
        """Mark an unfinished delivery as being retried now (other runs skip it for the retry pause)."""
        await self.session.execute(
            update(ReminderDeliveryRow)
            .where(
                ReminderDeliveryRow.tenant_id == self.tenant, ReminderDeliveryRow.delivery_id == delivery_id
            )
            .values(update_time=when)
        )

    async def finish_delivery(self, delivery_id: uuid.UUID, result: dict[str, Any], when: datetime) -> None:
        """Record an attempt's outcome on the log row."""
        await self.session.execute(
            update(ReminderDeliveryRow)
            .where(
                ReminderDeliveryRow.tenant_id == self.tenant, ReminderDeliveryRow.delivery_id == delivery_id
            )
            .values(
                status=str(result["status"]),
                code=str(result.get("code", ""))[:64],
                detail=str(result.get("detail", "")),
                message_id=str(result.get("message_id", ""))[:200],
                attempts=ReminderDeliveryRow.attempts + 1,
                sent_time=when if result["status"] == "delivered" else None,
                update_time=when,
                result=result,
            )
        )

    async def deliveries_for(self, event_id: str) -> list[ReminderDeliveryRow]:
        """The delivery log of an event."""
        rows = await self.session.scalars(
            select(ReminderDeliveryRow)
            .where(
                ReminderDeliveryRow.tenant_id == self.tenant,
                ReminderDeliveryRow.event_id == uuid.UUID(event_id),
            )
            .order_by(ReminderDeliveryRow.due_time, ReminderDeliveryRow.learner_id)
        )
        return list(rows)


async def feed_tenant(session: AsyncSession, token_hash: str) -> uuid.UUID | None:
    """The tenant of an active feed token (the one cross-tenant lookup, a definer function)."""
    found = await session.scalar(text("SELECT calendar_feed_tenant(:hash)"), {"hash": token_hash})
    return found if isinstance(found, uuid.UUID) else (uuid.UUID(str(found)) if found else None)


async def reminder_tenants(session: AsyncSession) -> list[uuid.UUID]:
    """Tenants with active events that have reminders (the beat fans out one task per tenant)."""
    rows = await session.scalars(text("SELECT calendar_reminder_tenants()"))
    return [r if isinstance(r, uuid.UUID) else uuid.UUID(str(r)) for r in rows]


def _feed(row: FeedRow) -> Feed:
    return Feed(str(row.feed_id), row.learner_id, row.create_time, row.rotate_time, row.last_access_time)


def _fill_row(row: EventRow, event: Event) -> None:
    draft = event.draft
    schedule = event.schedule
    row.kind = draft.kind.value
    row.title = draft.title
    row.description = draft.description
    row.location = draft.location
    row.online_url = draft.online_url
    row.start_local = schedule.start_local
    row.time_zone = draft.time_zone
    row.duration_seconds = int(draft.duration.total_seconds())
    row.rrule = draft.rrule
    row.exdates = sorted(schedule.exdates)
    row.rdates = [local.isoformat() for local in schedule.rdates]
    row.audience_kind = draft.audience.kind.value
    row.audience_program_id = draft.audience.program_id
    row.capacity = draft.capacity
    row.waitlist_enabled = draft.waitlist_enabled
    row.reminder_minutes = list(draft.reminder_minutes)
    row.state = event.state.value
    row.sequence = event.sequence
    row.parent_event_id = uuid.UUID(event.parent_event_id) if event.parent_event_id else None
    row.created_by = event.created_by
    row.create_time = event.create_time
    row.update_time = event.update_time
    starts = [schedule.start] + [o.start for o in event.overrides if o.start is not None]
    row.range_start = min(starts)
    last = schedule.last_end()
    if last is not None:
        for found in event.overrides:
            moved = found.start or found.original_start
            last = max(last, moved + (found.duration if found.duration is not None else draft.duration))
    row.range_end = last


def _event_from_row(
    row: EventRow,
    learners: tuple[str, ...],
    overrides: tuple[Override, ...],
    confirmed: int,
    waitlisted: int,
) -> Event:
    tz = zone(row.time_zone)
    draft = EventDraft(
        kind=EventKind(row.kind),
        title=row.title,
        description=row.description,
        location=row.location,
        online_url=row.online_url,
        start=localize(row.start_local, tz),
        time_zone=row.time_zone,
        duration=timedelta(seconds=row.duration_seconds),
        rrule=row.rrule,
        exdates=tuple(_from_id(oid) for oid in row.exdates),
        rdates=tuple(localize(datetime.fromisoformat(local), tz) for local in row.rdates),
        audience=Audience(AudienceKind(row.audience_kind), row.audience_program_id, learners),
        capacity=row.capacity,
        waitlist_enabled=row.waitlist_enabled,
        reminder_minutes=tuple(row.reminder_minutes),
    )
    return Event(
        event_id=str(row.event_id),
        draft=draft,
        state=EventState(row.state),
        sequence=row.sequence,
        parent_event_id=str(row.parent_event_id) if row.parent_event_id else "",
        created_by=row.created_by,
        create_time=row.create_time,
        update_time=row.update_time,
        overrides=overrides,
        signup_count=confirmed,
        waitlist_count=waitlisted,
    )


_JSONB_COLUMNS = ("exdates", "rdates", "reminder_minutes")


@lru_cache(maxsize=1)
def _learner_settings() -> Select[Any]:
    """Exactly one row: the learner's stored settings and directory entry, NULLs where either is missing.

    Parameters: tenant, learner.
    """
    tenant, learner = bindparam("tenant", type_=PgUUID(as_uuid=True)), bindparam("learner", type_=String())
    settings, learners = SettingsRow.__table__, LearnerRow.__table__
    anchor = select(literal(1).label("one")).subquery("anchor")
    return select(
        settings.c.time_zone,
        settings.c.channels,
        settings.c.webhook_url,
        settings.c.webhook_secret,
        settings.c.quiet_hours_start,
        settings.c.quiet_hours_end,
        settings.c.update_time,
        learners.c.email,
        learners.c.time_zone.label("directory_time_zone"),
    ).select_from(
        anchor.outerjoin(
            settings, and_(settings.c.tenant_id == tenant, settings.c.learner_id == learner)
        ).outerjoin(learners, and_(learners.c.tenant_id == tenant, learners.c.learner_id == learner))
    )


@lru_cache(maxsize=2)
def _learner_events(show_cancelled: bool) -> Select[Any]:
    """The events a learner sees in a window, with learners, overrides, seat counts and their sign-up state.

    Built once per process: constructing it and its cache key was a tenth of an agenda call. JSONB columns
    come back as text and are parsed only when the event is not already decoded (`_DECODED`). Parameters:
    tenant, learner, low and high (the window).
    """
    table = EventRow.__table__
    tenant, learner = bindparam("tenant", type_=PgUUID(as_uuid=True)), bindparam("learner", type_=String())
    programs = select(EnrollmentRow.program_id).where(
        EnrollmentRow.tenant_id == tenant,
        EnrollmentRow.learner_id == learner,
        EnrollmentRow.state.in_(("active", "pending_approval")),
    )
    named = select(EventLearnerRow.event_id).where(
        EventLearnerRow.tenant_id == tenant, EventLearnerRow.learner_id == learner
    )
    signed = select(SignupRow.event_id).where(SignupRow.tenant_id == tenant, SignupRow.learner_id == learner)
    learners = (
        select(
            func.json_agg(aggregate_order_by(EventLearnerRow.learner_id, EventLearnerRow.learner_id)).cast(
                Text
            )
        )
        .where(EventLearnerRow.tenant_id == table.c.tenant_id, EventLearnerRow.event_id == table.c.event_id)
        .scalar_subquery()
    )
    micros = _micros(OverrideRow.start_time)
    overrides = (
        select(
            func.json_agg(
                aggregate_order_by(
                    func.json_build_array(
                        OverrideRow.occurrence_id,
                        OverrideRow.cancelled,
                        micros,
                        OverrideRow.duration_seconds,
                        OverrideRow.title,
                        OverrideRow.description,
                        OverrideRow.location,
                        OverrideRow.online_url,
                    ),
                    OverrideRow.occurrence_id,
                ),
            ).cast(Text)
        )
        .where(OverrideRow.tenant_id == table.c.tenant_id, OverrideRow.event_id == table.c.event_id)
        .scalar_subquery()
    )

    def seats(state: SignupState) -> Any:
        counted = (
            select(func.count())
            .where(
                SignupRow.tenant_id == table.c.tenant_id,
                SignupRow.event_id == table.c.event_id,
                SignupRow.state == state.value,
            )
            .scalar_subquery()
        )
        return case((table.c.capacity > 0, counted), else_=0)  # no sign-ups without a capacity

    mine = (
        select(SignupRow.state)
        .where(
            SignupRow.tenant_id == table.c.tenant_id,
            SignupRow.event_id == table.c.event_id,
            SignupRow.learner_id == learner,
        )
        .scalar_subquery()
    )

    columns = [c for c in table.c if c.name not in _JSONB_COLUMNS]
    texts = [table.c[name].cast(Text).label(f"{name}_json") for name in _JSONB_COLUMNS]
    query = select(
        *columns,
        *texts,
        learners.label("learners_json"),
        overrides.label("overrides_json"),
        seats(SignupState.CONFIRMED).label("confirmed"),
        seats(SignupState.WAITLISTED).label("waitlisted"),
        case((table.c.capacity > 0, mine), else_=None).label("my_signup"),
    ).where(
        table.c.tenant_id == tenant,
        table.c.range_start < bindparam("high", type_=DateTime(timezone=True)),
        or_(table.c.range_end.is_(None), table.c.range_end > bindparam("low", type_=DateTime(timezone=True))),
        or_(
            table.c.audience_kind == AudienceKind.TENANT.value,
            and_(
                table.c.audience_kind == AudienceKind.PROGRAM.value,
                table.c.audience_program_id.in_(programs),
            ),
            table.c.event_id.in_(named),
            table.c.event_id.in_(signed),
        ),
    )
    if not show_cancelled:
        query = query.where(table.c.state == EventState.ACTIVE.value)
    return query


def _micros(column: Any) -> Any:
    """An instant as integer microseconds since the epoch (exact in JSON, cheap to turn back)."""
    return func.floor(func.extract("epoch", column) * 1_000_000).cast(BigInteger)


@lru_cache(maxsize=2)
def _learner_calendar(show_cancelled: bool) -> Select[Any]:
    """`_learner_events` left-joined to a one-row anchor holding the learner's enrolments as JSON text
    (with program titles, times as integer microseconds). Parameters: tenant, learner, low, high."""
    tenant, learner = bindparam("tenant", type_=PgUUID(as_uuid=True)), bindparam("learner", type_=String())
    enrollments, programs = EnrollmentRow.__table__, ProgramRow.__table__
    items = (
        select(
            func.json_agg(
                aggregate_order_by(
                    func.json_build_array(
                        enrollments.c.enrollment_id,
                        enrollments.c.program_id,
                        enrollments.c.learner_id,
                        enrollments.c.state,
                        _micros(enrollments.c.start_time),
                        _micros(enrollments.c.due_time),
                        _micros(enrollments.c.end_time),
                        enrollments.c.sequence,
                        func.coalesce(programs.c.title, ""),
                    ),
                    enrollments.c.enrollment_id,
                )
            ).cast(Text)
        )
        .select_from(
            enrollments.outerjoin(
                programs,
                and_(
                    programs.c.tenant_id == enrollments.c.tenant_id,
                    programs.c.program_id == enrollments.c.program_id,
                ),
            )
        )
        .where(enrollments.c.tenant_id == tenant, enrollments.c.learner_id == learner)
        .scalar_subquery()
    )
    anchor = select(items.label("enrollments_json")).subquery("anchor")
    events = _learner_events(show_cancelled).subquery("events")
    return select(anchor.c.enrollments_json, *events.c).select_from(anchor.outerjoin(events, true()))


def _enrollment_from_json(item: list[Any]) -> Enrollment:
    """An enrolment from `_learner_calendar`'s JSON array."""
    enrollment_id, program_id, learner_id, state, start, due, end, sequence, title = item
    return Enrollment(
        enrollment_id,
        program_id,
        learner_id,
        state,
        _from_micros(start),
        _from_micros(due),
        _from_micros(end),
        sequence,
        title,
    )


def _from_micros(micros: int | None) -> datetime | None:
    return None if micros is None else _EPOCH + timedelta(microseconds=micros)


def _override_from_json(item: list[Any]) -> Override:
    """An override from `_learner_events`' JSON array (start as integer microseconds since the epoch)."""
    oid, cancelled, micros, seconds, title, description, location, online_url = item
    return Override(
        occurrence_id=oid,
        cancelled=cancelled,
        start=_from_micros(micros),
        duration=None if seconds is None else timedelta(seconds=seconds),
        title=title,
        description=description,
        location=location,
        online_url=online_url,
    )


def _from_id(oid: str) -> datetime:
    return parse_occurrence_id(oid)
