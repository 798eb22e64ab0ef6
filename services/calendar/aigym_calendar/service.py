"""Use cases of the calendar service: events and their occurrences, sign-ups, agendas, conflicts, settings.

Each use case runs in one unit of work (one transaction in one tenant) and writes its audit record and
outbox events in that transaction. Feeds and reminders live in feed_service.py and reminder_service.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from aigym.calendar.v1 import events_pb2
from aigym_calendar.domain import (
    BY_AGENDA_ORDER,
    AgendaEntry,
    AudienceKind,
    Enrollment,
    Event,
    EventDraft,
    EventKind,
    EventPatch,
    EventState,
    OccurrencePatch,
    Override,
    SignupState,
    enrollment_entries,
    expand_event,
    interval_overlap,
    now,
    validate_draft,
    validate_window,
)
from aigym_calendar.recurrence import (
    RecurrenceError,
    Schedule,
    format_rule,
    parse_occurrence_id,
    rule_parts,
    split_rule,
    to_local,
    zone,
)
from aigym_calendar.repository import CalendarRepository, Settings, Signup
from aigym_platform.db import UnitOfWork, UnitOfWorkFactory
from aigym_platform.delivery.webhook import literal_non_public_host
from aigym_platform.errors import (
    Aborted,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)
from aigym_platform.identity import Identity, Role
from aigym_platform.pagination import Cursor, decode_token, encode_token, page_size
from aigym_platform.teams import readable_learner

SESSION_SCHEDULED = "aigym.calendar.session_scheduled.v1"
SESSION_CHANGED = "aigym.calendar.session_changed.v1"
SESSION_CANCELLED = "aigym.calendar.session_cancelled.v1"
SIGNUP_CREATED = "aigym.calendar.signup_created.v1"
AGENDA_DEFAULT_PAGE = 100
AGENDA_MAX_PAGE = 500
CONFLICT_MAX_OCCURRENCES = 500
CONFLICT_MAX_LEARNERS = 1000

RepositoryFactory = Callable[[UnitOfWork], CalendarRepository]


def default_repository(uow: UnitOfWork) -> CalendarRepository:
    """The PostgreSQL repository bound to the unit of work's session and tenant."""
    return CalendarRepository(uow.session, uow.tenant_id)


def resolve_learner(identity: Identity, learner_id: str, role_for_others: Role) -> str:
    """`me` (or empty) is the caller; anyone else needs `role_for_others`."""
    if not learner_id or identity.is_self(learner_id):
        return identity.user_id
    identity.require(role_for_others)
    return learner_id


def _personal(identity: Identity, draft: EventDraft) -> bool:
    """A learner's own custom event: only they are the audience."""
    audience = draft.audience
    return (
        draft.kind is EventKind.CUSTOM
        and audience.kind is AudienceKind.LEARNERS
        and audience.learner_ids == (identity.user_id,)
    )


def _event_payload(event: Event) -> events_pb2.SessionScheduled:
    draft = event.draft
    payload = events_pb2.SessionScheduled(
        event_id=event.event_id,
        kind=draft.kind.value,
        title=draft.title,
        time_zone=draft.time_zone,
        rrule=draft.rrule,
        audience=draft.audience.kind.value,
        program_id=draft.audience.program_id,
    )
    payload.start_time.FromDatetime(draft.start)
    return payload


def _snapshot(event: Event) -> dict[str, object]:
    draft = event.draft
    return {
        "title": draft.title,
        "start": draft.start.isoformat(),
        "time_zone": draft.time_zone,
        "rrule": draft.rrule,
        "state": event.state.value,
        "sequence": event.sequence,
        "audience": draft.audience.kind.value,
        "capacity": draft.capacity,
    }


class CalendarService:
    """Events, occurrences, sign-ups, agendas, conflicts and settings."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        repository: RepositoryFactory = default_repository,
        *,
        allow_private_webhooks: bool = False,
    ) -> None:
        self._uow = uow
        self._repository = repository
        # AIGYM_WEBHOOK_ALLOW_PRIVATE_ADDRESSES: off, a learner's webhook may not name a local address.
        self._allow_private_webhooks = allow_private_webhooks

    # ---- events ------------------------------------------------------------------------------------

    async def create_event(self, identity: Identity, draft: EventDraft, request_id: str = "") -> Event:
        """Create an event (sessions and deadlines need `manager`; learners may create personal events)."""
        if not _personal(identity, draft):
            identity.require(Role.MANAGER)
        if draft.kind is EventKind.CUSTOM and draft.audience.kind is not AudienceKind.LEARNERS:
            identity.require(Role.MANAGER)
        validate_draft(draft)
        async with self._uow(identity.tenant_id, identity) as uow:
            repo = self._repository(uow)
            if request_id:
                existing = await repo.event_id_for_request(request_id)
                if existing is not None:
                    found = await repo.get_event(existing)
                    assert found is not None
                    return found
            when = now()
            event = Event(
                event_id=str(uuid.uuid4()),
                draft=draft,
                state=EventState.ACTIVE,
                sequence=0,
                parent_event_id="",
                created_by=identity.user_id,
                create_time=when,
                update_time=when,
            )
            await repo.insert_event(event, request_id or None)
            await uow.audit("calendar.event.create", "event", event.event_id, after=_snapshot(event))
            await uow.publish(SESSION_SCHEDULED, f"events/{event.event_id}", _event_payload(event))
            await uow.commit()
        return event

    async def get_event(self, identity: Identity, event_id: str) -> Event:
        """An event the caller may see (NOT_FOUND otherwise, as for other tenants' events)."""
        async with self._uow(identity.tenant_id, identity) as uow:
            repo = self._repository(uow)
            event = await repo.get_event(event_id)
            if event is None or not await self._visible(identity, repo, event):
                raise NotFound(f"event {event_id} not found")
            return event

    async def _visible(self, identity: Identity, repo: CalendarRepository, event: Event) -> bool:
        if identity.has_role(Role.MANAGER):
            return True
        return await repo.learner_can_see(event, identity.user_id)

    async def list_events(
        self,
        identity: Identity,
        *,
        kind: EventKind | None,
        program_id: str,
        show_cancelled: bool,
        requested_page_size: int,
        page_token: str,
    ) -> tuple[list[Event], str]:
        """Events newest first. Requires `manager`."""
        identity.require(Role.MANAGER)
        filters = {"kind": kind.value if kind else "", "program": program_id, "cancelled": show_cancelled}
        cursor = decode_token(page_token, filters)
        limit = page_size(requested_page_size)
        after = None
        if cursor is not None:
            try:
                after = (cursor.time(0), str(cursor.uuid(1)))
            except (ValueError, IndexError) as error:
                raise InvalidArgument.for_field("page_token", "page_token is malformed") from error
        async with self._uow(identity.tenant_id, identity) as uow:
            events = await self._repository(uow).list_events(
                kind=kind, program_id=program_id, show_cancelled=show_cancelled, after=after, limit=limit + 1
            )
        token = ""
        if len(events) > limit:
            events = events[:limit]
            last = events[-1]
            token = encode_token(Cursor((last.create_time.isoformat(), last.event_id)), filters)
        return events, token

    async def _editable(
        self, identity: Identity, repo: CalendarRepository, event_id: str, etag: str
    ) -> Event:
        event = await repo.get_event(event_id, for_update=True)
        if event is None or not await self._visible(identity, repo, event):
            raise NotFound(f"event {event_id} not found")
        if not (_personal(identity, event.draft) and event.created_by == identity.user_id):
            identity.require(Role.MANAGER)
        if etag and etag != event.etag:
            raise Aborted("the event changed since it was read (etag mismatch)", reason="ETAG_MISMATCH")
        if event.state is EventState.CANCELLED:
            raise FailedPrecondition("the event is cancelled", reason="EVENT_CANCELLED")
        return event

    async def update_event(
        self, identity: Identity, event_id: str, patch: EventPatch, etag: str = ""
    ) -> Event:
        """Change the whole series; overrides that no longer match an occurrence are dropped."""
        fields = patch.changed_fields()
        if not fields:
            raise InvalidArgument.for_field("update_mask", "name at least one field to update")
        async with self._uow(identity.tenant_id, identity) as uow:
            repo = self._repository(uow)
            event = await self._editable(identity, repo, event_id, etag)
            draft = patch.apply(event.draft)
            if patch.audience is not None and not _personal(identity, draft):
                identity.require(Role.MANAGER)
            if patch.moves_times and patch.exdates is None:
                draft = replace(draft, exdates=())  # old EXDATEs name occurrences of the old times
            validate_draft(draft)
            if draft.capacity and draft.capacity < event.signup_count:
                raise FailedPrecondition(
                    f"{event.signup_count} learners hold seats; the capacity cannot drop below that",
                    reason="CAPACITY_BELOW_SIGNUPS",
                )
            updated = replace(
                event, draft=draft, sequence=event.sequence + 1, update_time=now(), _schedule=[]
            )
            kept = tuple(o for o in event.overrides if updated.schedule.has_occurrence(o.occurrence_id))
            dropped = [o.occurrence_id for o in event.overrides if o not in kept]
            updated = replace(updated, overrides=kept)
            await repo.delete_overrides(event_id, dropped)
            await repo.update_event(updated)
            await uow.audit(
                "calendar.event.update", "event", event_id, before=_snapshot(event), after=_snapshot(updated)
            )
            await uow.publish(
                SESSION_CHANGED,
                f"events/{event_id}",
                events_pb2.SessionChanged(event_id=event_id, fields=fields, sequence=updated.sequence),
            )
            await uow.commit()
        return updated

    async def delete_event(self, identity: Identity, event_id: str, etag: str = "") -> None:
        """Cancel the whole event (kept so feeds tell calendar apps)."""
        async with self._uow(identity.tenant_id, identity) as uow:
            repo = self._repository(uow)
            event = await self._editable(identity, repo, event_id, etag)
            cancelled = replace(
                event, state=EventState.CANCELLED, sequence=event.sequence + 1, update_time=now()
            )
            await repo.update_event(cancelled)
            await uow.audit("calendar.event.cancel", "event", event_id, before=_snapshot(event))
            await uow.publish(
                SESSION_CANCELLED, f"events/{event_id}", events_pb2.SessionCancelled(event_id=event_id)
            )
            await uow.commit()

    # ---- occurrences -------------------------------------------------------------------------------

    async def cancel_occurrence(self, identity: Identity, event_id: str, oid: str, following: bool) -> Event:
        """Cancel one occurrence, or end the series before it (this and following)."""
        async with self._uow(identity.tenant_id, identity) as uow:
            repo = self._repository(uow)
            event = await self._editable(identity, repo, event_id, "")
            _require_occurrence(event, oid)
            when = now()
            if following:
                updated = await self._truncate(repo, event, oid, when)
            else:
                found = event.override(oid) or Override(oid)
                found = replace(found, cancelled=True)
                await repo.save_override(event_id, found, when)
                others = tuple(o for o in event.overrides if o.occurrence_id != oid)
                updated = replace(
                    event, overrides=(*others, found), sequence=event.sequence + 1, update_time=when
                )
                await repo.update_event(updated)
            await uow.audit(
                "calendar.occurrence.cancel",
                "event",
                event_id,
                after={"occurrence_id": oid, "following": following},
            )
            await uow.publish(
                SESSION_CANCELLED,
                f"events/{event_id}",
                events_pb2.SessionCancelled(event_id=event_id, occurrence_id=oid, following=following),
            )
            await uow.commit()
        return updated

    async def _truncate(self, repo: CalendarRepository, event: Event, oid: str, when: datetime) -> Event:
        """End the series just before occurrence `oid` (which must not be the first)."""
        schedule = event.schedule
        original = parse_occurrence_id(oid)
        at_local = to_local(original, schedule.tz)
        if at_local <= schedule.start_local:
            raise FailedPrecondition(
                "this is the first occurrence: cancel or change the whole event instead",
                reason="FIRST_OCCURRENCE",
            )
        rule = split_rule(schedule, at_local)[0] if schedule.rrule else ""
        rdates = tuple(d for d in event.draft.rdates if d < original)
        exdates = tuple(d for d in event.draft.exdates if d < original)
        draft = replace(event.draft, rrule=rule, rdates=rdates, exdates=exdates)
        kept = tuple(o for o in event.overrides if o.original_start < original)
        dropped = [o.occurrence_id for o in event.overrides if o.original_start >= original]
        await repo.delete_overrides(event.event_id, dropped)
        updated = replace(
            event, draft=draft, overrides=kept, sequence=event.sequence + 1, update_time=when, _schedule=[]
        )
        await repo.update_event(updated)
        return updated

    async def update_occurrence(
        self, identity: Identity, event_id: str, oid: str, patch: OccurrencePatch, following: bool
    ) -> tuple[Event, Event | None]:
        """Override one occurrence, or split the series and start a new one with the changes."""
        fields = patch.changed_fields()
        if not fields:
            raise InvalidArgument.for_field("update_mask", "name at least one field to update")
        if patch.title is not None and not patch.title.strip():
            raise InvalidArgument.for_field("occurrence.title", "title cannot be empty")
        async with self._uow(identity.tenant_id, identity) as uow:
            repo = self._repository(uow)
            event = await self._editable(identity, repo, event_id, "")
            _require_occurrence(event, oid)
            when = now()
            new_event: Event | None = None
            if following and parse_occurrence_id(oid) > event.draft.start:
                new_event = _tail_series(identity, event, oid, patch, when)
                validate_draft(new_event.draft)
                updated = await self._truncate(repo, event, oid, when)
                await repo.insert_event(new_event, None)
                await uow.publish(
                    SESSION_SCHEDULED, f"events/{new_event.event_id}", _event_payload(new_event)
                )
            elif following:  # the first occurrence: "this and following" is the whole series
                series = EventPatch(
                    start=patch.start,
                    duration=patch.duration,
                    title=patch.title,
                    description=patch.description,
                    location=patch.location,
                    online_url=patch.online_url,
                )
                draft = series.apply(event.draft)
                if series.moves_times:
                    draft = replace(draft, exdates=())
                validate_draft(draft)
                updated = replace(
                    event, draft=draft, sequence=event.sequence + 1, update_time=when, _schedule=[]
                )
                kept = tuple(o for o in event.overrides if updated.schedule.has_occurrence(o.occurrence_id))
                await repo.delete_overrides(
                    event_id, [o.occurrence_id for o in event.overrides if o not in kept]
                )
                updated = replace(updated, overrides=kept)
                await repo.update_event(updated)
            else:
                found = patch.apply_to_override(event.override(oid) or Override(oid))
                _validate_override(found)
                await repo.save_override(event_id, found, when)
                others = tuple(o for o in event.overrides if o.occurrence_id != oid)
                updated = replace(
                    event, overrides=(*others, found), sequence=event.sequence + 1, update_time=when
                )
                await repo.update_event(updated)
            await uow.audit(
                "calendar.occurrence.update",
                "event",
                event_id,
                after={"occurrence_id": oid, "fields": fields, "following": following},
            )
            await uow.publish(
                SESSION_CHANGED,
                f"events/{event_id}",
                events_pb2.SessionChanged(
                    event_id=event_id, occurrence_id=oid, fields=fields, sequence=updated.sequence
                ),
            )
            await uow.commit()
        return updated, new_event

    # ---- sign-ups ----------------------------------------------------------------------------------

    async def create_signup(self, identity: Identity, event_id: str, learner_id: str) -> Signup:
        """Take a seat, or join the waitlist when full (if the event has one). Idempotent per learner.

        Learners sign themselves up; the event's creator and client admins anyone; another manager the
        members of their team (direct and indirect reports). The same holds for withdrawing.
        """
        learner = resolve_learner(identity, learner_id, Role.MANAGER)
        async with self._uow(identity.tenant_id, identity) as uow:
            repo = self._repository(uow)
            event = await repo.get_event(event_id, for_update=True)  # serialises seat counting per event
            if event is None or not (
                identity.has_role(Role.MANAGER) or await repo.learner_can_see(event, learner)
            ):
                raise NotFound(f"event {event_id} not found")
            await _require_signups_of(identity, repo, event, learner)
            if event.state is EventState.CANCELLED:
                raise FailedPrecondition("the event is cancelled", reason="EVENT_CANCELLED")
            if event.draft.capacity == 0:
                raise FailedPrecondition("this event takes no sign-ups", reason="NO_SIGNUP")
            existing = await repo.get_signup(event_id, learner)
            if existing is not None:
                return await self._with_position(repo, existing)
            if event.signup_count < event.draft.capacity:
                state = SignupState.CONFIRMED
            elif event.draft.waitlist_enabled:
                state = SignupState.WAITLISTED
            else:
                raise FailedPrecondition("the event is full", reason="EVENT_FULL")
            signup = Signup(event_id, learner, state, now())
            await repo.insert_signup(signup)
            await uow.audit(
                "calendar.signup.create", "signup", f"{event_id}/{learner}", after={"state": state}
            )
            await uow.publish(
                SIGNUP_CREATED,
                f"events/{event_id}",
                events_pb2.SignupCreated(event_id=event_id, learner_id=learner, state=state.value),
            )
            result = await self._with_position(repo, signup)
            await uow.commit()
        return result

    async def _with_position(self, repo: CalendarRepository, signup: Signup) -> Signup:
        if signup.state is SignupState.CONFIRMED:
            return signup
        for listed in await repo.list_signups(signup.event_id):
            if listed.learner_id == signup.learner_id:
                return listed
        return signup

    async def delete_signup(self, identity: Identity, event_id: str, learner_id: str) -> None:
        """Withdraw a sign-up; a freed seat goes to the first waitlisted learner."""
        learner = resolve_learner(identity, learner_id, Role.MANAGER)
        async with self._uow(identity.tenant_id, identity) as uow:
            repo = self._repository(uow)
            event = await repo.get_event(event_id, for_update=True)
            if event is None:
                raise NotFound(f"event {event_id} not found")
            await _require_signups_of(identity, repo, event, learner)
            existing = await repo.get_signup(event_id, learner)
            if existing is None:
                raise NotFound(f"{learner} has no sign-up for event {event_id}")
            await repo.delete_signup(event_id, learner)
            promoted = None
            if existing.state is SignupState.CONFIRMED:
                promoted = await repo.promote_first_waitlisted(event_id)
            await uow.audit(
                "calendar.signup.delete",
                "signup",
                f"{event_id}/{learner}",
                before={"state": existing.state},
                after={"promoted": promoted},
            )
            if promoted is not None:
                await uow.publish(
                    SIGNUP_CREATED,
                    f"events/{event_id}",
                    events_pb2.SignupCreated(
                        event_id=event_id, learner_id=promoted, state=SignupState.CONFIRMED.value
                    ),
                )
            await uow.commit()

    async def list_signups(
        self, identity: Identity, event_id: str, requested_page_size: int, page_token: str
    ) -> tuple[list[Signup], str]:
        """Confirmed then waitlisted, paged by position. Requires `manager`.

        Client admins and the event's creator see every sign-up; another manager sees those of their team
        (direct and indirect reports) only, as with agendas.
        """
        identity.require(Role.MANAGER)
        filters = {"event": event_id}
        cursor = decode_token(page_token, filters)
        offset = cursor.integer(0) if cursor is not None else 0
        limit = page_size(requested_page_size)
        async with self._uow(identity.tenant_id, identity) as uow:
            repo = self._repository(uow)
            event = await repo.get_event(event_id)
            if event is None:
                raise NotFound(f"event {event_id} not found")
            signups = await repo.list_signups(event_id)
            if event.created_by != identity.user_id:
                team = await _team_scope(identity, repo)
                if team is not None:
                    signups = [signup for signup in signups if signup.learner_id in team]
        page = signups[offset : offset + limit]
        token = encode_token(Cursor((offset + limit,)), filters) if offset + limit < len(signups) else ""
        return page, token

    # ---- agenda and conflicts ----------------------------------------------------------------------

    async def agenda(
        self,
        identity: Identity,
        learner_id: str,
        window_start: datetime,
        window_end: datetime,
        *,
        time_zone: str = "",
        requested_page_size: int = 0,
        page_token: str = "",
        show_cancelled: bool = False,
    ) -> tuple[list[AgendaEntry], str, str]:
        """The learner's occurrences and enrolment dates in the window, sorted and paged; and the zone.

        The caller's own agenda; a manager's team member's; anyone's for client admins.
        """
        validate_window(window_start, window_end)
        if time_zone:
            _zone_or_invalid(time_zone, "time_zone")
        limit = page_size(requested_page_size, default=AGENDA_DEFAULT_PAGE, maximum=AGENDA_MAX_PAGE)
        async with self._uow(identity.tenant_id, identity) as uow:
            repo = self._repository(uow)
            learner = await readable_learner(identity, learner_id, repo.reports_to, "agenda")
            filters = {
                "learner": learner,
                "start": window_start.isoformat(),
                "end": window_end.isoformat(),
                "zone": time_zone,
                "cancelled": show_cancelled,
            }
            cursor = decode_token(page_token, filters)
            zone_name = time_zone or (await repo.get_settings(learner)).effective_time_zone
            events, states, enrollments = await repo.learner_calendar(
                learner, window_start, window_end, show_cancelled=show_cancelled
            )
        key = _cursor_key(cursor) if cursor is not None else None
        # Expand only as far as the page needs: entries of [from, until) sort before any entry starting at
        # or after `until`, so a growing horizon that already yields a full page gives the same first page
        # as expanding the whole window (a year of 50 weekly series is 2,600 occurrences; a page is 100).
        expand_from = key[0] if key is not None else window_start
        expand_from = max(expand_from, window_start)
        span = timedelta(days=7)
        while True:
            until = min(expand_from + span, window_end)
            entries = self._entries(events, enrollments, states, expand_from, until, show_cancelled)
            if key is not None:
                entries = [e for e in entries if e.sort_key > key]
            if len(entries) > limit or until >= window_end:
                break
            span *= 4
        token = ""
        if len(entries) > limit:
            entries = entries[:limit]
            token = encode_token(Cursor(_token_values(entries[-1])), filters)
        return entries, token, zone_name

    @staticmethod
    def _entries(
        events: list[Event],
        enrollments: list[Enrollment],
        states: dict[str, SignupState],
        start: datetime,
        end: datetime,
        show_cancelled: bool,
    ) -> list[AgendaEntry]:
        """Sorted entries of events and enrolment dates overlapping [start, end)."""
        entries: list[AgendaEntry] = []
        for event in events:
            state = states.get(event.event_id)
            for entry in expand_event(event, start, end, show_cancelled=show_cancelled):
                entries.append(replace(entry, signup_state=state) if state else entry)
        for enrollment in enrollments:
            entries.extend(enrollment_entries(enrollment, start, end))
        entries.sort(key=BY_AGENDA_ORDER)
        return entries

    async def check_conflicts(
        self,
        identity: Identity,
        *,
        draft: EventDraft | None,
        event_id: str,
        end_time: datetime | None,
        max_conflicts: int,
    ) -> tuple[list[tuple[str, datetime, datetime, AgendaEntry]], int, bool]:
        """Audience members with an overlapping occurrence, per proposed occurrence. Requires `manager`.

        A client admin checks the whole audience; a manager the members of their team (direct and indirect
        reports) in it, since a conflict shows what else is in that learner's calendar.
        """
        identity.require(Role.MANAGER)
        limit = max_conflicts or 100
        async with self._uow(identity.tenant_id, identity) as uow:
            repo = self._repository(uow)
            if event_id:
                existing = await repo.get_event(event_id)
                if existing is None:
                    raise NotFound(f"event {event_id} not found")
                draft = existing.draft
            if draft is None:
                raise InvalidArgument.for_field("event", "give a proposed event or an event_id")
            validate_draft(draft)
            proposed_event = Event(event_id or "proposed", draft, EventState.ACTIVE, 0, "", "", now(), now())
            first = draft.start
            horizon = min(end_time or first + timedelta(days=366), first + timedelta(days=366))
            proposed = expand_event(proposed_event, first, horizon)[:CONFLICT_MAX_OCCURRENCES]
            if not proposed:
                return [], 0, False
            learners = await repo.audience_learners(draft.audience)
            team = await _team_scope(identity, repo)
            if team is not None:
                learners = [learner for learner in learners if learner in team]
            learners = learners[:CONFLICT_MAX_LEARNERS]
            window_start, window_end = proposed[0].start, max(p.end for p in proposed)
            conflicts: list[tuple[str, datetime, datetime, AgendaEntry]] = []
            truncated = False
            expansions: dict[str, list[AgendaEntry]] = {}
            for learner in learners:
                for event in await repo.events_for_learner(
                    learner, window_start, window_end, show_cancelled=False
                ):
                    if event.event_id == event_id or event.draft.kind is EventKind.DEADLINE:
                        continue
                    if event.event_id not in expansions:
                        expansions[event.event_id] = expand_event(event, window_start, window_end)
                    for existing_entry in expansions[event.event_id]:
                        for mine in proposed:
                            if interval_overlap(
                                mine.start, mine.end, existing_entry.start, existing_entry.end
                            ):
                                if len(conflicts) >= limit:
                                    truncated = True
                                    break
                                conflicts.append((learner, mine.start, mine.end, existing_entry))
        conflicts.sort(key=lambda c: (c[1], c[0], c[3].start))
        return conflicts, len(learners), truncated

    # ---- settings ----------------------------------------------------------------------------------

    async def get_settings(self, identity: Identity, learner_id: str) -> Settings:
        """A learner's settings (own, or anyone's for `client_admin`)."""
        learner = resolve_learner(identity, learner_id, Role.CLIENT_ADMIN)
        async with self._uow(identity.tenant_id, identity) as uow:
            return await self._repository(uow).get_settings(learner)

    async def update_settings(self, identity: Identity, learner_id: str, settings: Settings) -> Settings:
        """Replace a learner's settings; an empty webhook secret keeps the stored one."""
        learner = resolve_learner(identity, learner_id, Role.CLIENT_ADMIN)
        violations: list[FieldViolation] = []
        if settings.time_zone:
            try:
                zone(settings.time_zone)
            except RecurrenceError as error:
                violations.append(FieldViolation("settings.time_zone", error.message))
        if bool(settings.quiet_hours_start) != bool(settings.quiet_hours_end):
            violations.append(
                FieldViolation("settings.quiet_hours_end", "give both ends of quiet hours or none")
            )
        if settings.webhook_secret and len(settings.webhook_secret) < 16:
            violations.append(FieldViolation("settings.webhook_secret", "use at least 16 characters"))
        local = literal_non_public_host(settings.webhook_url) if settings.webhook_url else None
        if local is not None and not self._allow_private_webhooks:
            violations.append(
                FieldViolation("settings.webhook_url", f"{local} is not a public address; use a public URL")
            )
        async with self._uow(identity.tenant_id, identity) as uow:
            repo = self._repository(uow)
            stored = await repo.get_settings(learner)
            secret = settings.webhook_secret or stored.webhook_secret
            if "webhook" in settings.channels and not (settings.webhook_url and secret):
                violations.append(
                    FieldViolation(
                        "settings.webhook_url", "the webhook channel needs webhook_url and a secret"
                    )
                )
            if violations:
                raise InvalidArgument("the settings are invalid", violations=violations)
            merged = replace(settings, learner_id=learner, webhook_secret=secret)
            when = now()
            await repo.save_settings(merged, when)
            await uow.audit(
                "calendar.settings.update",
                "calendar_settings",
                learner,
                after={"time_zone": merged.time_zone, "channels": list(merged.channels)},
            )
            result = await repo.get_settings(learner)
            await uow.commit()
        return result


def _require_occurrence(event: Event, oid: str) -> None:
    try:
        found = event.schedule.has_occurrence(oid)
    except RecurrenceError as error:
        raise InvalidArgument.for_field("occurrence_id", error.message) from error
    if not found:
        raise NotFound(f"event {event.event_id} has no occurrence {oid}")


def _validate_override(found: Override) -> None:
    if found.duration is not None and not (timedelta(0) <= found.duration <= timedelta(days=31)):
        raise InvalidArgument.for_field("occurrence.duration", "duration must be between 0 and 31 days")


def _tail_series(identity: Identity, event: Event, oid: str, patch: OccurrencePatch, when: datetime) -> Event:
    """The new series of a this-and-following edit: same rule from the occurrence on, with the changes."""
    schedule: Schedule = event.schedule
    original = parse_occurrence_id(oid)
    at_local = to_local(original, schedule.tz)
    tail_rule = split_rule(schedule, at_local)[1] if schedule.rrule else ""
    start = patch.start or original
    draft = replace(
        event.draft,
        start=start,
        rrule=tail_rule,
        exdates=tuple(d for d in event.draft.exdates if d > original) if patch.start is None else (),
        rdates=tuple(d for d in event.draft.rdates if d > original),
        duration=patch.duration if patch.duration is not None else event.draft.duration,
        title=patch.title if patch.title is not None else event.draft.title,
        description=patch.description if patch.description is not None else event.draft.description,
        location=patch.location if patch.location is not None else event.draft.location,
        online_url=patch.online_url if patch.online_url is not None else event.draft.online_url,
    )
    if patch.start is not None and tail_rule:
        # The rule keeps its shape; BY* parts pinned to the old time would fight the new start.
        draft = replace(draft, rrule=_retime_rule(tail_rule))
    return Event(
        event_id=str(uuid.uuid4()),
        draft=draft,
        state=EventState.ACTIVE,
        sequence=0,
        parent_event_id=event.event_id,
        created_by=identity.user_id,
        create_time=when,
        update_time=when,
    )


def _retime_rule(rule: str) -> str:
    """Drop BYHOUR/BYMINUTE/BYSECOND so the new DTSTART's clock time drives the series."""
    parts = {k: v for k, v in rule_parts(rule).items() if k not in ("BYHOUR", "BYMINUTE", "BYSECOND")}
    return format_rule(parts)


def _zone_or_invalid(name: str, field_name: str) -> None:
    try:
        zone(name)
    except RecurrenceError as error:
        raise InvalidArgument.for_field(field_name, error.message) from error


def _token_values(entry: AgendaEntry) -> tuple[str, str, str, str]:
    """The page token's position: the last entry's sort key, times as ISO 8601."""
    start, end, ident, oid = entry.sort_key
    return (start.isoformat(), end.isoformat(), ident, oid)


def _cursor_key(cursor: Cursor) -> tuple[datetime, datetime, str, str]:
    """The sort key a page token points after (compared with `AgendaEntry.sort_key`)."""
    return cursor.time(0), cursor.time(1), cursor.text(2), cursor.text(3)


async def _team_scope(identity: Identity, repo: CalendarRepository) -> frozenset[str] | None:
    """The learners a manager may see others' calendar entries of (their team); None: everyone (admins)."""
    if identity.has_role(Role.CLIENT_ADMIN):
        return None
    return await repo.team_of(identity.user_id)


async def _require_signups_of(
    identity: Identity, repo: CalendarRepository, event: Event, learner: str
) -> None:
    """PERMISSION_DENIED (LEARNER_OUT_OF_SCOPE) unless the caller may sign `learner` up for `event` or
    withdraw them: themselves, the event's creator, a client admin, or a manager of the learner's team."""
    if learner == identity.user_id or event.created_by == identity.user_id:
        return
    if identity.has_role(Role.CLIENT_ADMIN) or await repo.reports_to(learner, identity.user_id):
        return
    raise PermissionDenied(
        f"learner {learner} is not in your team: a manager signs up and withdraws their direct and indirect "
        "reports only (or anyone for an event they created)",
        reason="LEARNER_OUT_OF_SCOPE",
    )
