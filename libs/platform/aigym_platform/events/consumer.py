"""Turn service-layer event handlers into idempotent Celery tasks with retries and a dead-letter table.

A task receives the encoded envelope and a delivery receipt. In one unit of work of the event's tenant it
inserts (tenant, event id, handler) into the inbox (sent with the transaction's BEGIN) and runs the
handler: a redelivered event finds its inbox row and changes nothing. A failure is retried with
exponential backoff and full jitter; once the retry budget is spent the event is stored in the
dead-letter table with its error. Either way the receipt is then confirmed (in a batch, shortly after)
so the relay stops redelivering.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from celery import Celery, Task

from aigym.events.v1 import events_pb2
from aigym_platform.db import UnitOfWork
from aigym_platform.events.envelope import Event, decode, open_envelope
from aigym_platform.events.inbox import add_dead_letter, inbox_row_added, inbox_statement
from aigym_platform.events.metrics import CONSUMER_LAG, DEAD_LETTERS, HANDLED, RETRIES
from aigym_platform.events.receipts import Receipt, ReceiptLedger
from aigym_platform.events.registry import REGISTRY, Consumer, EventRegistry, EventSpec
from aigym_platform.identity import Identity, Role, TenantId
from aigym_platform.jobs.app import route_task
from aigym_platform.jobs.bridge import JobContext
from aigym_platform.settings import ServiceSettings

log = logging.getLogger(__name__)

Handler = Callable[[UnitOfWork, Event[Any]], Awaitable[None]]
"""A service-layer event handler: works in the given unit of work (never commits it itself)."""


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how late a failing handler is retried before its event is dead-lettered."""

    max_retries: int = 8
    backoff_seconds: float = 1.0
    backoff_max_seconds: float = 300.0

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> RetryPolicy:
        """The policy configured by AIGYM_EVENT_* settings."""
        return cls(
            settings.event_max_retries,
            settings.event_retry_backoff_seconds,
            settings.event_retry_backoff_max_seconds,
        )

    def delay(self, retries_so_far: int) -> float:
        """Seconds before the next attempt: exponential cap, full jitter (never below 10 % of it)."""
        cap = min(self.backoff_max_seconds, self.backoff_seconds * float(2**retries_so_far))
        return cap * (0.1 + 0.9 * random.random())  # noqa: S311 - jitter, not security


class EventProcessor:
    """Applies one consumer's handler to delivered envelopes (the body of its Celery task)."""

    def __init__(
        self, jobs: JobContext, spec: EventSpec, consumer: Consumer, handler: Handler, policy: RetryPolicy
    ) -> None:
        self.jobs, self.spec, self.consumer, self.handler, self.policy = jobs, spec, consumer, handler, policy

    def handle(self, task: Task, wire: str, receipt: str = "") -> str:
        """Apply the event once; retry or dead-letter on failure; confirm the receipt; return the outcome."""
        parsed = Receipt.parse(receipt) if receipt else None
        envelope = decode(wire)
        try:
            event: Event[Any] = open_envelope(envelope, self.spec.payload)
        except ValueError as exc:  # the wrong payload type never heals: dead-letter at once
            outcome = self._dead_letter(envelope, exc, attempts=1)
        else:
            try:
                outcome = self.jobs.run(self._apply(event))
            except Exception as exc:
                retries = task.request.retries
                if retries < self.policy.max_retries:
                    delay = self.policy.delay(retries)
                    RETRIES.labels(self.consumer.handler).inc()
                    log.warning(
                        "event %s (%s) failed in %s, retry %s in %.2fs: %s",
                        event.event_id,
                        event.type,
                        self.consumer.handler,
                        retries + 1,
                        delay,
                        exc,
                    )
                    if parsed is not None:
                        self._receipt_call(lambda ledger: ledger.postpone(parsed, delay + self._grace()))
                    raise task.retry(exc=exc, countdown=delay, max_retries=self.policy.max_retries) from exc
                outcome = self._dead_letter(envelope, exc, attempts=retries + 1)
            else:
                lag = (dt.datetime.now(dt.UTC) - event.occurred_at).total_seconds()
                CONSUMER_LAG.labels(self.consumer.handler).observe(max(0.0, lag))
        HANDLED.labels(self.consumer.handler, outcome).inc()
        if parsed is not None:
            self.jobs.confirmations.confirm(parsed)  # batched: a lost confirmation costs a redelivery
        return outcome

    async def _apply(self, event: Event[Any]) -> str:
        identity = Identity(
            f"service:{self.consumer.service}",
            event.tenant_id,
            frozenset({Role.SERVICE}),
            real_user_id=event.actor or None,
        )
        # The inbox row goes out with BEGIN and the tenant scope: one round trip for all three.
        opening = inbox_statement(
            event.tenant_id, event.event_id, self.consumer.handler, self.spec.event_type
        )
        async with self.jobs.uow(event.tenant_id, identity).open_with(opening) as uow:
            if not inbox_row_added(uow.opening_status):
                return "duplicate"
            await self.handler(uow, event)
            await uow.commit()
        return "applied"

    def _dead_letter(self, envelope: events_pb2.EventEnvelope, exc: BaseException, attempts: int) -> str:
        tenant = TenantId(uuid.UUID(envelope.tenant_id))
        error = f"{type(exc).__name__}: {exc}"

        async def store() -> None:
            async with self.jobs.uow(tenant) as uow:
                await add_dead_letter(
                    uow.session,
                    tenant,
                    uuid.UUID(envelope.event_id),
                    self.consumer.handler,
                    envelope.type,
                    envelope.subject,
                    envelope.SerializeToString(),
                    error,
                    attempts,
                )
                await uow.commit()

        self.jobs.run(store())
        DEAD_LETTERS.labels(self.consumer.handler).inc()
        log.error(
            "event %s (%s) dead-lettered by %s after %s attempts: %s",
            envelope.event_id,
            envelope.type,
            self.consumer.handler,
            attempts,
            error,
        )
        return "dead_lettered"

    def _grace(self) -> float:
        return self.jobs.settings.event_redeliver_after_seconds

    def _receipt_call(self, call: Callable[[ReceiptLedger], None]) -> None:
        # After the commit a lost confirmation only costs a redelivery, which the inbox absorbs.
        try:
            call(ReceiptLedger(self.jobs.redis))
        except Exception:
            log.warning("could not update a delivery receipt in Redis", exc_info=True)


def event_task(
    app: Celery,
    jobs: JobContext,
    spec: EventSpec,
    consumer: Consumer,
    handler: Handler,
    policy: RetryPolicy | None = None,
) -> Task:
    """Register the Celery task that applies `handler` to `spec` events delivered to `consumer`."""
    processor = EventProcessor(
        jobs, spec, consumer, handler, policy or RetryPolicy.from_settings(jobs.settings)
    )

    def run(self: Task, envelope: str, receipt: str = "") -> str:
        return processor.handle(self, envelope, receipt)

    run.__name__ = run.__qualname__ = consumer.handler
    task: Task = app.task(bind=True, name=consumer.task_name, acks_late=True, reject_on_worker_lost=True)(run)
    route_task(app, consumer.task_name, consumer.queue)
    return task


def bind_handlers(
    app: Celery,
    jobs: JobContext,
    handlers: Mapping[str, Handler],
    *,
    registry: EventRegistry = REGISTRY,
    policy: RetryPolicy | None = None,
) -> list[Task]:
    """Register a task per handler the registry lists for `jobs.service` (all needed, none extra)."""
    wanted = registry.consumed_by(jobs.service)
    names = {consumer.handler for _, consumer in wanted}
    if missing := names - set(handlers):
        raise ValueError(f"{jobs.service} has no handler for {sorted(missing)} (named in the event registry)")
    if extra := set(handlers) - names:
        raise ValueError(f"handlers {sorted(extra)} of {jobs.service} are not in the event registry")
    return [
        event_task(app, jobs, spec, consumer, handlers[consumer.handler], policy) for spec, consumer in wanted
    ]
