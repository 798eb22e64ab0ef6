"""End-to-end delivery receipts in Redis: what the relay sent and no consumer has confirmed yet.

The Redis broker can lose a message that a worker popped and then died holding (kombu moves a message
from the queue to its unacked set in two steps), and a Redis restart can lose the last writes before it.
So, like TCP, the relay records a receipt (a sorted-set member whose score is a redelivery deadline) before
it publishes, the consumer removes the receipt once its effect is committed (or dead-lettered), and the
relay republishes every delivery whose deadline passed. Duplicates are absorbed by the consumer's inbox.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

import redis

KEY_PREFIX = "aigym:events:pending"


def pending_key(producer: str) -> str:
    """The sorted set of unconfirmed deliveries of `producer`'s outbox."""
    return f"{KEY_PREFIX}:{producer}"


@dataclass(frozen=True)
class Receipt:
    """One delivery: outbox row (tenant, id) of `producer` sent to one consumer task."""

    producer: str
    tenant_id: uuid.UUID
    outbox_id: int
    task: str

    def __str__(self) -> str:
        return f"{self.producer}|{self.tenant_id}|{self.outbox_id}|{self.task}"

    @classmethod
    def parse(cls, value: str | bytes) -> Receipt:
        """Inverse of str(receipt); ValueError when malformed."""
        text = value.decode() if isinstance(value, bytes) else value
        producer, tenant, outbox_id, task = text.split("|", 3)
        return cls(producer, uuid.UUID(tenant), int(outbox_id), task)


class ReceiptLedger:
    """The receipts of every producer, kept in one Redis (the broker's)."""

    def __init__(self, client: redis.Redis) -> None:
        self._redis = client

    @property
    def client(self) -> redis.Redis:
        """The Redis connection the receipts live in (the broker's)."""
        return self._redis

    def expect(
        self, receipts: Iterable[Receipt], after_seconds: float, *, sent_at: float | None = None
    ) -> None:
        """Record deliveries about to be sent at `sent_at` (default now), due `after_seconds` later."""
        deadline = (time.time() if sent_at is None else sent_at) + after_seconds
        by_key: dict[str, dict[str, float]] = {}
        for receipt in receipts:
            by_key.setdefault(pending_key(receipt.producer), {})[str(receipt)] = deadline
        if by_key:
            with self._redis.pipeline(transaction=False) as pipe:
                for key, members in by_key.items():
                    pipe.zadd(key, members)  # type: ignore[arg-type,unused-ignore]
                pipe.execute()

    def confirm(self, receipt: Receipt) -> None:
        """The delivery took effect (or was dead-lettered): never redeliver it."""
        self._redis.zrem(pending_key(receipt.producer), str(receipt))

    def postpone(self, receipt: Receipt, after_seconds: float) -> None:
        """Push an unconfirmed delivery's deadline back (a retry is scheduled); no-op if confirmed."""
        self._redis.zadd(pending_key(receipt.producer), {str(receipt): time.time() + after_seconds}, xx=True)

    def due(self, producer: str, limit: int) -> list[tuple[Receipt, float]]:
        """(receipt, deadline) of deliveries of `producer` whose deadline passed, oldest first."""
        raw: list[tuple[bytes, float]] = self._redis.zrangebyscore(  # type: ignore[assignment,unused-ignore]
            pending_key(producer), "-inf", time.time(), start=0, num=limit, withscores=True
        )
        receipts = []
        for value, deadline in raw:
            try:
                receipts.append((Receipt.parse(value), float(deadline)))
            except ValueError:
                self._redis.zrem(pending_key(producer), value)
        return receipts

    def pending(self, producer: str) -> int:
        """How many deliveries of `producer` are unconfirmed."""
        count: int = self._redis.zcard(pending_key(producer))  # type: ignore[assignment,unused-ignore]
        return count
