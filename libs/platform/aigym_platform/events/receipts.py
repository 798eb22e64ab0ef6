"""End-to-end delivery receipts in Redis: what the relay sent and no consumer has confirmed yet.

The Redis broker can lose a message that a worker popped and then died holding (kombu moves a message
from the queue to its unacked set in two steps), and a Redis restart can lose the last writes before it.
So, like TCP, the relay records a receipt (a sorted-set member whose score is a redelivery deadline) before
it publishes, the consumer removes the receipt once its effect is committed (or dead-lettered), and the
relay republishes every delivery whose deadline passed. Duplicates are absorbed by the consumer's inbox.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

import redis

log = logging.getLogger(__name__)

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
        self.confirm_many([receipt])

    def confirm_many(self, receipts: Iterable[Receipt]) -> None:
        """Confirm several deliveries in one round trip."""
        by_key: dict[str, list[str]] = {}
        for receipt in receipts:
            by_key.setdefault(pending_key(receipt.producer), []).append(str(receipt))
        if len(by_key) == 1:
            [(key, members)] = by_key.items()
            self._redis.zrem(key, *members)
        elif by_key:
            with self._redis.pipeline(transaction=False) as pipe:
                for key, members in by_key.items():
                    pipe.zrem(key, *members)
                pipe.execute()

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


class ConfirmationBatcher:
    """Confirms a worker's receipts in batches from a background thread instead of one round trip each.

    `confirm` only queues the receipt; the flush thread removes what is queued every `gather_seconds`
    with one ZREM per producer (nothing is sent when nothing is queued). After a second without
    confirmations the thread parks until the next one, so an idle worker does not wake it; a busy one
    never pays for a wake-up. Confirming is not part of the effect's transaction anyway: a confirmation
    lost to a crash (or a Redis error, logged) only lets the relay redeliver after the receipt's
    deadline, and the consumer's inbox turns that into a duplicate. A forked child starts with an empty
    queue and its own thread; `close` flushes what is left.
    """

    IDLE_ROUNDS_BEFORE_PARKING = 20

    def __init__(self, ledger: ReceiptLedger, gather_seconds: float = 0.05) -> None:
        self._ledger, self._gather = ledger, gather_seconds
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._queued: list[Receipt] = []
        self._pid: int | None = None
        self._parked = False
        self._closed = False

    def confirm(self, receipt: Receipt) -> None:
        """Queue one confirmation (flushed within about `gather_seconds`)."""
        with self._lock:
            if self._pid != os.getpid():  # first use, or a forked child: the parent's thread is not here
                self._queued, self._pid, self._parked = [], os.getpid(), False
                self._wake = threading.Event()
                threading.Thread(target=self._run, name="aigym-receipts", daemon=True).start()
            self._queued.append(receipt)
            if self._parked:
                self._parked = False
                self._wake.set()

    def flush(self) -> int:
        """Send every queued confirmation now; return how many there were."""
        with self._lock:
            batch, self._queued = self._queued, []
        if batch:
            try:
                self._ledger.confirm_many(batch)
            except Exception:
                log.warning("could not confirm %s delivery receipts in Redis", len(batch), exc_info=True)
        return len(batch)

    def close(self) -> None:
        """Flush and stop the thread (worker shutdown)."""
        self._closed = True
        self._wake.set()
        self.flush()

    def _run(self) -> None:
        idle = 0
        while not self._closed:
            if idle >= self.IDLE_ROUNDS_BEFORE_PARKING:
                with self._lock:
                    self._parked = not self._queued
                    if self._parked:
                        self._wake.clear()
                if self._parked:
                    self._wake.wait()
                idle = 0
            time.sleep(self._gather)
            idle = 0 if self.flush() else idle + 1
