"""Reminders: each one exactly once per learner, occurrence, offset and channel, with a delivery log.

A run for one tenant (the beat fans out one task per tenant every minute) does three steps:

1. claim, in one transaction: for every active event with reminder offsets, every occurrence not yet begun
   whose reminder is due (`start - offset <= now + lookahead`; of several due offsets only the nearest),
   and every recipient (the audience, or confirmed sign-ups for events with a capacity) outside their
   quiet hours, insert a `reminder_deliveries` row per channel. The unique key makes a second run (another
   worker, a redelivered task, a restarted worker) claim nothing new;
2. send each claimed row (and rows a crashed run left pending, or that failed transiently, after a pause):
   email through the platform mailer or a signed webhook, with the row id as idempotency key (a re-send
   after a crash carries the same Message-ID / delivery id, so receivers can drop it);
3. record the outcome on the row and publish `reminder_sent` for delivered and permanently failed ones.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from aigym.calendar.v1 import events_pb2
from aigym_calendar.domain import Event, EventKind, SignupState, expand_event, local_iso, now
from aigym_calendar.recurrence import zone
from aigym_calendar.repository import CalendarRepository, Settings
from aigym_calendar.service import RepositoryFactory, default_repository
from aigym_platform.db import UnitOfWorkFactory
from aigym_platform.delivery import DeliveryResult, DeliveryStatus, EmailMessage, SmtpMailer, WebhookSender
from aigym_platform.identity import TenantId

log = logging.getLogger(__name__)

REMINDER_SENT = "aigym.calendar.reminder_sent.v1"
MAX_ATTEMPTS = 6
Tenants = Callable[[], Awaitable[list[uuid.UUID]]]


@dataclass(frozen=True)
class Delivery:
    """One claimed reminder with what is needed to send it."""

    delivery_id: uuid.UUID
    event: Event
    occurrence_id: str
    start: datetime
    learner_id: str
    minutes_before: int
    channel: str
    settings: Settings
    attempts: int = 0


@dataclass
class ReminderRun:
    """What one run did (for logs and tests)."""

    claimed: int = 0
    delivered: int = 0
    failed: int = 0
    retried: int = 0
    results: list[DeliveryResult] = field(default_factory=list)


def in_quiet_hours(settings: Settings, instant: datetime) -> bool:
    """Whether `instant` falls in the learner's quiet hours (local time; windows may cross midnight)."""
    if not settings.quiet_hours_start or not settings.quiet_hours_end:
        return False
    local = instant.astimezone(zone(settings.effective_time_zone)).time()
    start, end = time.fromisoformat(settings.quiet_hours_start), time.fromisoformat(settings.quiet_hours_end)
    if start <= end:
        return start <= local < end
    return local >= start or local < end


def channels_of(settings: Settings, has_row: bool) -> tuple[str, ...]:
    """A learner's channels: their choice, or email by default when they never chose and have an address."""
    if has_row:
        return settings.channels
    return ("email",) if settings.email else ()


class ReminderService:
    """Claims, sends and logs reminders."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        mailer: SmtpMailer | None,
        webhooks: WebhookSender,
        *,
        lookahead: timedelta = timedelta(minutes=1),
        retry_after: timedelta = timedelta(minutes=2),
        horizon: timedelta = timedelta(days=29),
        repository: RepositoryFactory = default_repository,
    ) -> None:
        self._uow = uow
        self._mailer = mailer
        self._webhooks = webhooks
        self._lookahead = lookahead
        self._retry_after = retry_after
        self._horizon = horizon
        self._repository = repository

    async def run(self, tenant: TenantId, at: datetime | None = None) -> ReminderRun:
        """Claim due reminders of one tenant, send them and any stale ones, record every outcome."""
        current = at or now()
        result = ReminderRun()
        deliveries = await self._claim(tenant, current, result)
        for delivery in deliveries:
            outcome = await self._send(delivery, current)
            result.results.append(outcome)
            await self._record(tenant, delivery, outcome)
            if outcome.delivered:
                result.delivered += 1
            elif not outcome.retryable:
                result.failed += 1
        return result

    async def _claim(self, tenant: TenantId, current: datetime, result: ReminderRun) -> list[Delivery]:
        claimed: list[Delivery] = []
        async with self._uow(tenant, None) as uow:
            repo = self._repository(uow)
            stale = await repo.pending_deliveries(current - self._retry_after, limit=200)
            events = await repo.events_for_reminders(current, current + self._horizon)
            settings_cache: dict[str, tuple[Settings, bool]] = {}

            async def settings_of(learner: str) -> tuple[Settings, bool]:
                if learner not in settings_cache:
                    settings_cache[learner] = (
                        await repo.get_settings(learner),
                        await repo.has_settings(learner),
                    )
                return settings_cache[learner]

            for event in events:
                offsets = event.draft.reminder_minutes
                if not offsets:
                    continue
                latest = current + timedelta(minutes=max(offsets)) + self._lookahead
                occurrences = [o for o in expand_event(event, current, latest) if o.start > current]
                if not occurrences:
                    continue
                recipients = await self._recipients(repo, event)
                for occurrence in occurrences:
                    due_offsets = [
                        m
                        for m in offsets
                        if occurrence.start - timedelta(minutes=m) <= current + self._lookahead
                    ]
                    # Only the nearest due reminder: one created late, or delayed, does not also send the
                    # earlier ones it supersedes ("in 1 day" after "in 30 minutes" would be noise).
                    for minutes in sorted(due_offsets)[:1]:
                        due = occurrence.start - timedelta(minutes=minutes)
                        for learner in recipients:
                            settings, has_row = await settings_of(learner)
                            if in_quiet_hours(settings, current):
                                continue
                            for channel in channels_of(settings, has_row):
                                delivery_id = await repo.claim_delivery(
                                    event.event_id,
                                    occurrence.occurrence_id,
                                    learner,
                                    minutes,
                                    channel,
                                    due,
                                    current,
                                )
                                if delivery_id is not None:
                                    claimed.append(
                                        Delivery(
                                            delivery_id,
                                            event,
                                            occurrence.occurrence_id,
                                            occurrence.start,
                                            learner,
                                            minutes,
                                            channel,
                                            settings,
                                        )
                                    )
            for row in stale:
                if any(d.delivery_id == row.delivery_id for d in claimed):
                    continue
                event_found = await repo.get_event(str(row.event_id))
                if event_found is None:
                    continue
                await repo.lease_delivery(row.delivery_id, current)  # no other run re-sends it meanwhile
                settings, _ = await settings_of(row.learner_id)
                start = row.due_time + timedelta(minutes=row.minutes_before)
                claimed.append(
                    Delivery(
                        row.delivery_id,
                        event_found,
                        row.occurrence_id,
                        start,
                        row.learner_id,
                        row.minutes_before,
                        row.channel,
                        settings,
                        row.attempts,
                    )
                )
                result.retried += 1
            await uow.commit()
        result.claimed = len(claimed) - result.retried
        return claimed

    async def _recipients(self, repo: CalendarRepository, event: Event) -> list[str]:
        if event.draft.capacity:
            signups = await repo.list_signups(event.event_id)
            return [s.learner_id for s in signups if s.state is SignupState.CONFIRMED]
        learners = await repo.audience_learners(event.draft.audience)
        return await repo.active_learners(learners)

    async def _send(self, delivery: Delivery, current: datetime) -> DeliveryResult:
        event = delivery.event
        key = f"reminder:{delivery.delivery_id}"
        zone_name = delivery.settings.effective_time_zone
        when = local_iso(delivery.start, zone_name)
        title = event.draft.title
        if delivery.channel == "webhook":
            payload: dict[str, Any] = {
                "type": REMINDER_SENT,
                "event_id": event.event_id,
                "occurrence_id": delivery.occurrence_id,
                "learner_id": delivery.learner_id,
                "title": title,
                "kind": event.draft.kind.value,
                "start_time": delivery.start.isoformat(),
                "local_start": when,
                "minutes_before": delivery.minutes_before,
                "location": event.draft.location,
                "online_url": event.draft.online_url,
            }
            return await self._webhooks.send(
                delivery.settings.webhook_url,
                payload,
                secrets=[delivery.settings.webhook_secret],
                event_type=REMINDER_SENT,
                idempotency_key=key,
            )
        if self._mailer is None or not delivery.settings.email:
            reason = "email is not configured" if self._mailer is None else "the learner has no email address"
            return DeliveryResult(
                "email",
                delivery.learner_id,
                DeliveryStatus.PERMANENT_FAILURE,
                "no_address",
                reason,
                "",
                current,
                0.0,
            )
        noun = "Deadline" if event.draft.kind is EventKind.DEADLINE else "Reminder"
        lines = [f"{title}", f"Starts {when} ({zone_name})."]
        if event.draft.location:
            lines.append(f"Where: {event.draft.location}")
        if event.draft.online_url:
            lines.append(f"Join: {event.draft.online_url}")
        message = EmailMessage(
            to=(delivery.settings.email,),
            subject=f"{noun}: {title} — {when[:16].replace('T', ' ')}",
            text="\n".join(lines) + "\n",
            headers=(
                ("X-AIGym-Event-Id", event.event_id),
                ("X-AIGym-Occurrence-Id", delivery.occurrence_id),
            ),
        )
        (outcome,) = await self._mailer.send(message, idempotency_key=key)
        return outcome

    async def _record(self, tenant: TenantId, delivery: Delivery, outcome: DeliveryResult) -> None:
        row = outcome.as_log_row()
        if outcome.retryable and delivery.attempts + 1 >= MAX_ATTEMPTS:
            row["status"] = DeliveryStatus.PERMANENT_FAILURE.value
            row["detail"] = f"gave up after {MAX_ATTEMPTS} attempts: {outcome.detail}"
        async with self._uow(tenant, None) as uow:
            repo = self._repository(uow)
            await repo.finish_delivery(delivery.delivery_id, row, now())
            if row["status"] != DeliveryStatus.TRANSIENT_FAILURE.value:
                await uow.publish(
                    REMINDER_SENT,
                    f"events/{delivery.event.event_id}",
                    events_pb2.ReminderSent(
                        event_id=delivery.event.event_id,
                        occurrence_id=delivery.occurrence_id,
                        learner_id=delivery.learner_id,
                        channel=delivery.channel,
                        status=str(row["status"]),
                        minutes_before=delivery.minutes_before,
                    ),
                )
            await uow.commit()
        log.info(
            "reminder %s to %s via %s: %s",
            delivery.delivery_id,
            delivery.learner_id,
            delivery.channel,
            row["status"],
        )
