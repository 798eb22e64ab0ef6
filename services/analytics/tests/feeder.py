"""Test helper: build event envelopes and deliver them through the platform's consumer (`EventProcessor`),
exactly as a worker applies a Celery task: inbox row + handler in one transaction of the event's tenant."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import NamedTuple

from google.protobuf.message import Message

from aigym_analytics.ingest_service import Ingestion
from aigym_analytics.settings import AnalyticsSettings
from aigym_platform.testing.consumers import ConsumerFeeder, wire_event


class Delivery(NamedTuple):
    """One encoded envelope and the event type whose analytics handler it goes to."""

    event_type: str
    wire: str


def envelope(
    tenant: uuid.UUID,
    event_type: str,
    payload: Message,
    occurred_at: dt.datetime,
    event_id: uuid.UUID | None = None,
) -> Delivery:
    """A delivery of a new event (random id unless given)."""
    return Delivery(
        event_type, wire_event(tenant, event_type, payload, occurred_at=occurred_at, event_id=event_id)
    )


class Feeder:
    """Applies deliveries with the analytics handlers; `deliver_all` runs them on several threads at once."""

    def __init__(self, settings: AnalyticsSettings) -> None:
        self._consumers = ConsumerFeeder(settings, "analytics", Ingestion().handlers())

    def deliver(self, delivery: Delivery) -> str:
        """Apply one delivery; returns applied, duplicate or dead_lettered."""
        return self._consumers.deliver_wire(delivery.event_type, delivery.wire)

    def deliver_all(self, deliveries: list[Delivery], threads: int = 4) -> list[str]:
        """Apply many deliveries concurrently (like a worker with `threads` threads)."""
        return self._consumers.deliver_all([(d.event_type, d.wire) for d in deliveries], threads)

    def close(self) -> None:
        """Dispose of the engine and the loop."""
        self._consumers.close()
