"""kombu's Redis transport, trimmed of per-message bookkeeping the platform does not need.

1. **One reusable client object per channel.** kombu builds a new `redis.Redis` object (on the channel's
   shared connection pool) for every call it makes outside its consuming connection: the unacked-set
   update when a worker receives a task, the one at the acknowledgement, each publish. With redis-py 8
   building that object (its response-callback tables) costs more CPU than the Redis command itself. A
   client holds no connection of its own (every command borrows one from the pool) and is safe to share
   between threads, so this channel makes one per pool and rebuilds it when kombu replaces the pool (after
   a fork or a connection reset).
2. **No unacked set for receipted messages.** kombu emulates acknowledgements in Redis: a worker that
   receives a message writes it to an unacked hash and index (one MULTI round trip) and removes it at the
   ack (another), so that a message held by a worker that died is put back after the visibility timeout.
   Messages the event relay publishes carry `RECEIPTED_HEADER` and a delivery receipt, which already
   guarantees that (`events.receipts`: the relay redelivers every delivery no consumer confirmed, after
   `AIGYM_EVENT_REDELIVER_AFTER_SECONDS` instead of the visibility timeout, and also the ones kombu
   itself loses between popping a message and recording it). For those messages the acknowledgement
   state is kept in the worker's memory only, which saves two Redis round trips per event; a worker that
   stops cleanly still pushes what it holds back to the queue, as kombu does. Every other message (jobs,
   dead-letter replays, beat) keeps kombu's Redis bookkeeping.

Selected with Celery's `broker_transport` (see `jobs.app`); the broker URL stays `redis://...`.
"""

from __future__ import annotations

from typing import Any

from kombu.transport import redis as kombu_redis
from kombu.transport import virtual

RECEIPTED_HEADER = "aigym_sent_at"
"""Header of every message the event relay publishes with a delivery receipt; its value is the time the
message's batch was sent (Unix seconds), which the relay's redelivery sweep compares with its deadlines."""


class QoS(kombu_redis.QoS):
    """kombu's Redis acknowledgement emulation, kept in memory only for receipted messages."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[no-untyped-call]
        self._in_memory: set[Any] = set()  # delivery tags of receipted messages not yet acked

    def append(self, message: Any, delivery_tag: Any) -> None:
        """Record a received message: receipted ones only in memory, others in Redis too."""
        if RECEIPTED_HEADER in (message.headers or {}):
            self._in_memory.add(delivery_tag)
            virtual.QoS.append(self, message, delivery_tag)  # type: ignore[no-untyped-call]
            return
        super().append(message, delivery_tag)  # type: ignore[no-untyped-call]

    def ack(self, delivery_tag: Any) -> None:
        """Forget an acknowledged message (in Redis too unless it was kept in memory only)."""
        if delivery_tag in self._in_memory:
            self._in_memory.discard(delivery_tag)
            virtual.QoS.ack(self, delivery_tag)  # type: ignore[no-untyped-call]
            return
        super().ack(delivery_tag)  # type: ignore[no-untyped-call]

    def reject(self, delivery_tag: Any, requeue: bool = False) -> None:
        """Forget a rejected message, pushing it back to the front of its queue if `requeue`."""
        if delivery_tag in self._in_memory:
            if requeue:
                self._push_back(self._delivered[delivery_tag], leftmost=True)
            self._in_memory.discard(delivery_tag)
            virtual.QoS.ack(self, delivery_tag)  # type: ignore[no-untyped-call]
            return
        super().reject(delivery_tag, requeue=requeue)  # type: ignore[no-untyped-call]

    def restore_unacked(self, client: Any = None) -> None:
        """Put every message still held back in its queue (a stopping worker; kombu calls this once)."""
        for tag in [t for t in self._delivered if t in self._in_memory]:
            message = self._delivered.pop(tag)
            self._in_memory.discard(tag)
            self._push_back(message, client=client)
        super().restore_unacked(client)  # type: ignore[no-untyped-call]

    def _push_back(self, message: Any, *, leftmost: bool = False, client: Any = None) -> None:
        delivery = message.delivery_info
        with self.channel.conn_or_acquire(client) as redis_client:
            pipe = redis_client.pipeline()
            self.channel._do_restore_message(
                message._raw, delivery["exchange"], delivery["routing_key"], pipe, leftmost
            )
            pipe.execute()


class Channel(kombu_redis.Channel):
    """A Redis channel whose synchronous client object is made once per connection pool."""

    QoS = QoS
    _aigym_client: tuple[Any, Any] | None = None

    def _create_client(self, asynchronous: bool = False) -> Any:
        if asynchronous:
            return super()._create_client(asynchronous=True)  # type: ignore[no-untyped-call]
        pool = self.pool
        cached = self._aigym_client
        if cached is None or cached[0] is not pool:
            cached = self._aigym_client = (pool, super()._create_client())  # type: ignore[no-untyped-call]
        return cached[1]


class Transport(kombu_redis.Transport):
    """The Redis transport with `Channel` above."""

    Channel = Channel


TRANSPORT = f"{__name__}:Transport"
"""The value of Celery's `broker_transport` that selects this transport."""
