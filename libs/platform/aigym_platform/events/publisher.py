"""The relay's broker half: publish outbox rows to their consumers' Celery tasks, receipts in the same write.

A batch is one Redis transaction (MULTI ... EXEC, one round trip from the relay's event loop): the ZADD of
its delivery receipts, then one LPUSH per consumer queue carrying that queue's messages in row order. The
messages are Celery task messages (protocol 2, built by Celery's own builder) in the envelope kombu's Redis
transport reads, written here directly instead of through kombu's producer, which would cost a thread hop,
a second round trip for the receipts and kombu's per-message publish path.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import socket
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redis.asyncio
from celery import Celery

from aigym_platform.events.envelope import encode
from aigym_platform.events.metrics import PUBLISH_LATENCY, PUBLISHED, REDELIVERED
from aigym_platform.events.receipts import Receipt, pending_key
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
        client: redis.asyncio.Redis,
        registry: EventRegistry,
        service: str,
        redeliver_after: float,
    ) -> None:
        self.app, self.client, self.registry = app, client, registry
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

    async def publish(self, rows: Sequence[OutboxRow], *, fresh: bool = True) -> list[int]:
        """Publish rows in order, all or nothing: the ids of the published rows (none on a broker error).

        Receipts and messages go in one Redis transaction. If it fails, Redis may still have applied it
        (the reply was lost), so no row counts as published: they are all sent again later, and the
        consumers' inboxes absorb what had already arrived.
        """
        deliveries = [(row, c, self._receipt(row, c)) for row in rows for c in self.consumers_of(row)]
        try:
            await self._send(deliveries)
        except Exception:
            log.warning("broker refused a batch of %s rows; none counts as sent", len(rows), exc_info=True)
            return []
        if fresh:
            now = dt.datetime.now(dt.UTC)
            for row in rows:
                PUBLISHED.labels(self.service, row.event_type).inc()
                PUBLISH_LATENCY.labels(self.service).observe(max(0.0, (now - row.created_at).total_seconds()))
        return [row.id for row in rows]

    async def queue_head_sent_at(self, queue: str) -> float | None:
        """When the next message to be consumed from `queue` was sent (None: the queue is empty).

        Messages are pushed on the left and popped on the right, so every message sent before that one
        has left the queue: its delivery is either applied, in a worker's hands, or lost.
        """
        raw = await self.client.lindex(queue, -1)
        if raw is None:
            return None
        try:
            sent_at = json.loads(raw)["headers"].get(SENT_AT_HEADER)
        except (ValueError, KeyError, TypeError, AttributeError):
            sent_at = None
        return float(sent_at) if sent_at is not None else time.time()  # unknown: assume just sent

    async def redeliver(self, pairs: Sequence[tuple[OutboxRow, Receipt]], reason: str) -> int:
        """Publish single deliveries again (receipt deadline passed); return how many went out."""
        deliveries, gone = [], []
        for row, receipt in pairs:
            consumer = next((c for c in self.consumers_of(row) if c.task_name == receipt.task), None)
            if consumer is None:
                gone.append(str(receipt))  # the consumer left the registry: nothing to redo
            else:
                deliveries.append((row, consumer, receipt))
        try:
            if gone:
                await self.client.zrem(pending_key(self.service), *gone)
            await self._send(deliveries)
        except Exception:
            log.warning("broker refused a redelivery of %s deliveries", len(deliveries), exc_info=True)
            return 0
        REDELIVERED.labels(self.service, reason).inc(len(deliveries))
        return len(deliveries)

    async def republish(self, rows: Sequence[OutboxRow], reason: str) -> int:
        """Publish already-sent rows to every consumer again (the broker may have lost them)."""
        done = set(await self.publish(rows, fresh=False))
        count = sum(len(self.consumers_of(row)) for row in rows if row.id in done)
        REDELIVERED.labels(self.service, reason).inc(count)
        return len(done)

    def _receipt(self, row: OutboxRow, consumer: Consumer) -> Receipt:
        return Receipt(self.service, row.tenant_id, row.id, consumer.task_name)

    async def _send(self, deliveries: Sequence[tuple[OutboxRow, Consumer, Receipt]]) -> None:
        """Receipts (due `redeliver_after` from now) and messages in one MULTI/EXEC; raises on failure."""
        if not deliveries:
            return
        sent_at = time.time()
        deadline = sent_at + self.redeliver_after
        by_queue: dict[str, list[str]] = {}
        for row, consumer, receipt in deliveries:
            by_queue.setdefault(consumer.queue, []).append(self._message(row, consumer, receipt, sent_at))
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.zadd(pending_key(self.service), {str(receipt): deadline for _, _, receipt in deliveries})
            for queue, messages in by_queue.items():
                pipe.lpush(queue, *messages)  # in row order: the first one is popped first
            await pipe.execute()

    def _message(self, row: OutboxRow, consumer: Consumer, receipt: Receipt, sent_at: float) -> str:
        """One task message for `consumer`, as kombu's Redis transport stores it in the queue's list.

        Celery's protocol-2 builder makes the task message (without `send_task`'s per-call routing lookup,
        queue declaration and argument repr of the whole envelope); around it goes the envelope kombu's
        virtual channel would add when publishing to the default exchange with the queue as routing key
        (JSON body, base64 body encoding, persistent, priority 0). Every message of one write carries its
        time as `SENT_AT_HEADER`, the time its receipts' deadlines count from, so the sweeper can tell which
        deliveries are still queued behind the queue's head.
        """
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
        properties: dict[str, Any] = {
            **message.properties,
            "delivery_mode": 2,
            "delivery_info": {"exchange": "", "routing_key": consumer.queue},
            "priority": 0,
            "body_encoding": "base64",
            "delivery_tag": str(uuid.uuid4()),
        }
        return json.dumps(
            {
                "body": base64.b64encode(json.dumps(message.body).encode()).decode("ascii"),
                "content-encoding": "utf-8",
                "content-type": "application/json",
                "headers": {**message.headers, SENT_AT_HEADER: sent_at},
                "properties": properties,
            }
        )
