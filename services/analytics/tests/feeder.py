"""Test helper: build event envelopes and deliver them through the platform's consumer (`EventProcessor`),
exactly as a worker applies a Celery task: inbox row + handler in one transaction of the event's tenant."""

from __future__ import annotations

import datetime as dt
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from google.protobuf.message import Message

from aigym_analytics.ingest_service import Ingestion
from aigym_analytics.settings import AnalyticsSettings
from aigym_platform.events.consumer import EventProcessor, RetryPolicy
from aigym_platform.events.envelope import build_envelope, encode
from aigym_platform.events.registry import REGISTRY
from aigym_platform.jobs.bridge import JobContext


class Delivery:
    """One encoded envelope and the analytics handler it goes to."""

    def __init__(self, event_type: str, wire: str) -> None:
        self.event_type, self.wire = event_type, wire


def envelope(
    tenant: uuid.UUID,
    event_type: str,
    payload: Message,
    occurred_at: dt.datetime,
    event_id: uuid.UUID | None = None,
) -> Delivery:
    """A delivery of a new event (random id unless given)."""
    built = build_envelope(
        event_id=event_id or uuid.uuid4(),
        event_type=event_type,
        tenant_id=tenant,
        actor="test",
        occurred_at=occurred_at,
        subject="test",
        payload=payload,
    )
    return Delivery(event_type, encode(built))


class Feeder:
    """Applies deliveries with the analytics handlers; `deliver_all` runs them on several threads at once."""

    def __init__(self, settings: AnalyticsSettings) -> None:
        self.jobs = JobContext(settings)
        handlers = Ingestion().handlers()
        self._processors: dict[str, EventProcessor] = {}
        for spec, consumer in REGISTRY.consumed_by("analytics"):
            self._processors[spec.event_type] = EventProcessor(
                self.jobs, spec, consumer, handlers[consumer.handler], RetryPolicy(max_retries=0)
            )

    def deliver(self, delivery: Delivery) -> str:
        """Apply one delivery; returns applied, duplicate or dead_lettered."""
        task: Any = None  # only read on failure, and a failure must fail the test anyway
        try:
            return self._processors[delivery.event_type].handle(task, delivery.wire)
        except AttributeError as exc:  # the handler failed: surface its error, not the missing task's
            raise (exc.__context__ or exc) from None

    def deliver_all(self, deliveries: list[Delivery], threads: int = 4) -> list[str]:
        """Apply many deliveries concurrently (like a worker with `threads` threads)."""
        with ThreadPoolExecutor(threads) as pool:
            return list(pool.map(self.deliver, deliveries))

    def close(self) -> None:
        """Dispose of the engine and the loop."""
        self.jobs.close()
