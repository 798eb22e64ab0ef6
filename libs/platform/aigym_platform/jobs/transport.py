"""kombu's Redis transport with one reusable client object per channel for its own bookkeeping calls.

kombu builds a new `redis.Redis` object (on the channel's shared connection pool) for every call it makes
outside its consuming connection: the unacked-set update when a worker receives a task, the one at the
acknowledgement, each publish. With redis-py 8 building that object (its response-callback tables) costs
more CPU than the Redis command itself, twice per event on a worker. A client holds no connection of its
own (every command borrows one from the pool) and is safe to share between threads, so this channel makes
one per pool and rebuilds it when kombu replaces the pool (after a fork or a connection reset). Selected
with Celery's `broker_transport` (see `jobs.app`); the broker URL stays `redis://...`.
"""

from __future__ import annotations

from typing import Any

from kombu.transport import redis as kombu_redis


class Channel(kombu_redis.Channel):
    """A Redis channel whose synchronous client object is made once per connection pool."""

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
