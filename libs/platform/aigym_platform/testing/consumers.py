"""Deliver events to a service's consumers in tests exactly as its worker applies a Celery task.

`EventProcessor` does what the worker's task does: the inbox row and the handler in one transaction of the
event's tenant, a redelivered event reported as a duplicate. Tests call it directly (own loop, own engine)
instead of going through Redis, with no retries, so a failing handler fails the test.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from google.protobuf.message import Message

from aigym.programs.v1.events_pb2 import LearnerUpserted
from aigym_platform.events.consumer import EventProcessor, Handler, RetryPolicy
from aigym_platform.events.envelope import build_envelope, encode
from aigym_platform.events.registry import LEARNER_UPSERTED, REGISTRY
from aigym_platform.jobs.bridge import JobContext
from aigym_platform.settings import ServiceSettings


def wire_event(
    tenant: uuid.UUID,
    event_type: str,
    payload: Message,
    *,
    subject: str = "test",
    occurred_at: dt.datetime | None = None,
    event_id: uuid.UUID | None = None,
) -> str:
    """An encoded envelope of a new event (random id and now unless given), as the relay sends it."""
    envelope = build_envelope(
        event_id=event_id or uuid.uuid4(),
        event_type=event_type,
        tenant_id=tenant,
        actor="test",
        occurred_at=occurred_at or dt.datetime.now(dt.UTC),
        subject=subject,
        payload=payload,
    )
    return encode(envelope)


class ConsumerFeeder:
    """The consumers of `service` (those whose handler is in `handlers`), applied in-process."""

    def __init__(self, settings: ServiceSettings, service: str, handlers: Mapping[str, Handler]) -> None:
        self.jobs = JobContext(settings)
        self._processors = {
            spec.event_type: EventProcessor(
                self.jobs, spec, consumer, handlers[consumer.handler], RetryPolicy(max_retries=0)
            )
            for spec, consumer in REGISTRY.consumed_by(service)
            if consumer.handler in handlers
        }

    def deliver_wire(self, event_type: str, wire: str) -> str:
        """Apply one encoded envelope; returns applied, duplicate or dead_lettered."""
        task: Any = None  # only read when the handler fails, and then the test must fail anyway
        try:
            return self._processors[event_type].handle(task, wire)
        except AttributeError as exc:  # the handler failed: surface its error, not the missing task's
            raise (exc.__context__ or exc) from None

    def deliver(
        self,
        tenant: uuid.UUID,
        event_type: str,
        payload: Message,
        *,
        subject: str = "test",
        occurred_at: dt.datetime | None = None,
        event_id: uuid.UUID | None = None,
    ) -> str:
        """Build and apply one event; returns applied, duplicate or dead_lettered."""
        wire = wire_event(
            tenant, event_type, payload, subject=subject, occurred_at=occurred_at, event_id=event_id
        )
        return self.deliver_wire(event_type, wire)

    def deliver_all(self, deliveries: list[tuple[str, str]], threads: int = 4) -> list[str]:
        """Apply many (event type, wire) deliveries concurrently, like a worker with `threads` threads."""
        with ThreadPoolExecutor(threads) as pool:
            return list(pool.map(lambda delivery: self.deliver_wire(*delivery), deliveries))

    def close(self) -> None:
        """Dispose of the engine and the loop."""
        self.jobs.close()


class DirectoryFeeder:
    """Programs' `learner_upserted` events for one service's copy of the learner directory (its consumer's
    handler `record_learner_upserted`), e.g. to give tests reporting lines for managers' teams."""

    def __init__(self, settings: ServiceSettings, service: str, handler: Handler) -> None:
        self.feeder = ConsumerFeeder(settings, service, {"record_learner_upserted": handler})

    def deliver(
        self,
        tenant: uuid.UUID,
        learner_id: str,
        manager_id: str = "",
        *,
        occurred_at: dt.datetime | None = None,
        event_id: uuid.UUID | None = None,
    ) -> str:
        """One upsert of the learner's entry (active); returns applied, duplicate or dead_lettered."""
        payload = LearnerUpserted(learner_id=learner_id, manager_id=manager_id, active=True)
        return self.feeder.deliver(
            tenant,
            LEARNER_UPSERTED,
            payload,
            subject=f"learners/{learner_id}",
            occurred_at=occurred_at,
            event_id=event_id,
        )

    def reports(self, tenant: uuid.UUID, lines: dict[str, str]) -> None:
        """Deliver one upsert per `learner: manager` reporting line; each must apply."""
        for learner, manager in lines.items():
            outcome = self.deliver(tenant, learner, manager)
            if outcome != "applied":
                raise AssertionError(f"the upsert of {learner} was {outcome}, not applied")

    def close(self) -> None:
        """Dispose of the engine and the loop."""
        self.feeder.close()
