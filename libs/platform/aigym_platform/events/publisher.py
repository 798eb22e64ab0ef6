"""The relay's synchronous half: publish outbox rows to their consumers' Celery tasks, receipts first.

The relay's Celery app lets kombu batch publishes (`create_celery_app(..., batch_publish=True)`): a batch
is written to Redis in one pipeline instead of one round trip (and one client object) per message.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import socket
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from celery import Celery

from aigym_platform.events.envelope import encode
from aigym_platform.events.metrics import PUBLISH_LATENCY, PUBLISHED, REDELIVERED
from aigym_platform.events.receipts import Receipt, ReceiptLedger
from aigym_platform.events.registry import Consumer, EventRegistry
from aigym_platform.jobs.transport import RECEIPTED_HEADER

log = logging.getLogger(__name__)

SENT_AT_HEADER = RECEIPTED_HEADER


@dataclass(frozen=True)
class OutboxRow:
    """One outbox row as the relay's definer functions return it."""

    id: int
    tenant_id: uuid.UUID
    event_type: str
    subject: str
    envelope: bytes
    created_at: dt.datetime

    @classmethod
    def from_record(cls, record: Any) -> OutboxRow:
        """Build from an asyncpg record of event_outbox_claim/fetch/sent_since."""
        return cls(
            record["id"],
            record["tenant_id"],
            record["event_type"],
            record["subject"],
            bytes(record["envelope"]),
            record["created_at"],
        )


class Publisher:
    """Sends each row to every consumer the registry lists for its type, in row order."""

    def __init__(
        self,
        app: Celery,
        ledger: ReceiptLedger,
        registry: EventRegistry,
        service: str,
        redeliver_after: float,
    ) -> None:
        self.app, self.ledger, self.registry = app, ledger, registry
        self.service, self.redeliver_after = service, redeliver_after
        self._origin = f"{service}-relay@{socket.gethostname()}"

    def queue_of(self, receipt: Receipt) -> str:
        """The queue a receipt's delivery went to (its consumer's events queue)."""
        for spec in self.registry:
            for consumer in spec.consumers:
                if consumer.task_name == receipt.task:
                    return consumer.queue
        return receipt.task.rsplit(".", 1)[0]

    def consumers_of(self, row: OutboxRow) -> tuple[Consumer, ...]:
        """The consumers of the row's event type (none, with a warning, for an unknown type)."""
        if row.event_type not in self.registry:
            log.warning(
                "outbox row %s has unregistered event type %s: nothing to send", row.id, row.event_type
            )
            return ()
        return self.registry.get(row.event_type).consumers

    def publish(self, rows: Sequence[OutboxRow], *, fresh: bool = True) -> list[int]:
        """Publish rows in order, all or nothing: the ids of the published rows (none on a broker error).

        Receipts go first (one pipeline), then every message of the batch in a second pipeline (kombu's
        publish batch): two Redis round trips per batch, whatever its size. A failed pipeline may have
        delivered part of the batch, so then no row counts as published: they are all sent again later,
        and consumers' inboxes absorb what had already arrived.
        """
        deliveries = [(row, c, self._receipt(row, c)) for row in rows for c in self.consumers_of(row)]
        sent_at = time.time()
        try:
            self.ledger.expect((r for _, _, r in deliveries), self.redeliver_after, sent_at=sent_at)
            with self.app.producer_or_acquire() as producer, producer.batch(max_size=len(deliveries) + 1):
                for row, consumer, receipt in deliveries:
                    self._send(producer, row, consumer, receipt, sent_at)
        except Exception:
            log.warning("broker refused a batch of %s rows; none counts as sent", len(rows), exc_info=True)
            return []
        if fresh:
            now = dt.datetime.now(dt.UTC)
            for row in rows:
                PUBLISHED.labels(self.service, row.event_type).inc()
                PUBLISH_LATENCY.labels(self.service).observe(max(0.0, (now - row.created_at).total_seconds()))
        return [row.id for row in rows]

    def queue_head_sent_at(self, queue: str) -> float | None:
        """When the next message to be consumed from `queue` was sent (None: the queue is empty).

        kombu pushes on the left and pops on the right, so every message sent before that one has left the
        queue: its delivery is either applied, in a worker's hands, or lost.
        """
        raw = self.ledger.client.lindex(queue, -1)
        if raw is None:
            return None
        try:
            sent_at = json.loads(raw)["headers"].get(SENT_AT_HEADER)
        except (ValueError, KeyError, TypeError, AttributeError):
            sent_at = None
        return float(sent_at) if sent_at is not None else time.time()  # unknown: assume just sent

    def redeliver(self, pairs: Sequence[tuple[OutboxRow, Receipt]], reason: str) -> int:
        """Publish single deliveries again (receipt deadline passed); return how many went out."""
        sent, sent_at = 0, time.time()
        try:
            self.ledger.expect((receipt for _, receipt in pairs), self.redeliver_after, sent_at=sent_at)
            with self.app.producer_or_acquire() as producer:
                for row, receipt in pairs:
                    consumer = next((c for c in self.consumers_of(row) if c.task_name == receipt.task), None)
                    if consumer is None:
                        self.ledger.confirm(receipt)  # the consumer left the registry: nothing to redo
                        continue
                    self._send(producer, row, consumer, receipt, sent_at)
                    sent += 1
        except Exception:
            log.warning("broker refused a redelivery; %s of %s sent", sent, len(pairs), exc_info=True)
        REDELIVERED.labels(self.service, reason).inc(sent)
        return sent

    def republish(self, rows: Sequence[OutboxRow], reason: str) -> int:
        """Publish already-sent rows to every consumer again (the broker may have lost them)."""
        done = set(self.publish(rows, fresh=False))
        count = sum(len(self.consumers_of(row)) for row in rows if row.id in done)
        REDELIVERED.labels(self.service, reason).inc(count)
        return len(done)

    def _receipt(self, row: OutboxRow, consumer: Consumer) -> Receipt:
        return Receipt(self.service, row.tenant_id, row.id, consumer.task_name)

    def _send(
        self, producer: Any, row: OutboxRow, consumer: Consumer, receipt: Receipt, sent_at: float
    ) -> None:
        # The task message is built by Celery's own protocol-2 builder and published straight to the
        # consumer's queue (direct routing on the default exchange, as `send_task` would choose), without
        # `send_task`'s per-call routing lookup, queue declaration (a Redis list needs none) and argument
        # repr of the whole envelope. Every message of one batch carries the batch's timestamp, the one
        # its receipts' deadlines count from, so the sweeper can tell which deliveries are still queued
        # behind the queue's head.
        task_id = str(uuid.uuid4())
        message = self.app.amqp.as_task_v2(
            task_id,
            consumer.task_name,
            args=[encode(row.envelope), str(receipt)],
            argsrepr=f"['<envelope of outbox row {row.id}>', {str(receipt)!r}]",
            kwargsrepr="{}",
            origin=self._origin,
            ignore_result=True,  # no result backend (task_ignore_result)
        )
        producer.publish(
            message.body,
            exchange="",
            routing_key=consumer.queue,
            serializer="json",
            headers={**message.headers, SENT_AT_HEADER: sent_at},
            delivery_mode=2,
            declare=[],
            **message.properties,
        )
