"""The outbox relay: one long-running process per producing service (`python -m ... --service NAME`).

It connects as the service's app role. Reading across tenants goes only through the SECURITY DEFINER
functions of `events.migration_ops` (claim, mark sent, fetch, backlog), owned by the owner role; the app
role still sees outbox rows of one tenant at a time when it touches the table itself. Of several relays of
one service only the holder of a PostgreSQL advisory lock works (the others wait as hot standbys), so rows
are published in outbox order, which is commit order for writes to one subject. The relay is woken by
LISTEN/NOTIFY, polls as a fallback, marks rows sent only after the broker accepted every delivery, and
republishes (see `events.receipts`) deliveries no consumer confirmed in time, plus everything sent just
before a Redis restart it detects (Redis AOF with `appendfsync everysec` may lose the last ~2 s of writes).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import signal
import sys
import time
from typing import Any

import asyncpg
import redis
import redis.asyncio

from aigym_platform.events.metrics import OUTBOX_BACKLOG, OUTBOX_OLDEST_AGE, PENDING_RECEIPTS
from aigym_platform.events.publisher import OutboxRow, Publisher
from aigym_platform.events.receipts import ReceiptLedger
from aigym_platform.events.registry import REGISTRY, EventRegistry
from aigym_platform.events.schema import NOTIFY_CHANNEL
from aigym_platform.heap import settle_heap
from aigym_platform.jobs.app import create_celery_app
from aigym_platform.logs import configure_logging
from aigym_platform.metrics import start_exporter
from aigym_platform.settings import ServiceSettings

log = logging.getLogger("aigym.events.relay")

LEADER_LOCK_SQL = "SELECT pg_try_advisory_lock(hashtext('aigym.events.relay'))"
# Redis may reply to a write and only append it to its AOF up to 2 s later (fsync in progress).
BROKER_LOSS_WINDOW = dt.timedelta(seconds=3)
BROKER_CHECK_SECONDS = 1.0
METRICS_SECONDS = 2.0
PURGE_SECONDS = 600.0
DRAIN_SLICE_SECONDS = 1.0  # housekeeping (broker check, redelivery sweep) runs at least this often
# A relay whose drain found several rows (commits arrive faster than the gather interval) polls every gather
# interval instead of being notified of each commit, until this many polls in a row found none.
HOT_ROWS = 2
HOT_IDLE_POLLS = 10


def plain_url(url: str) -> str:
    """asyncpg wants postgresql://, settings may hold the SQLAlchemy form."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


class Relay:
    """Publishes one service's outbox; `run` returns when `stop` is set."""

    def __init__(self, settings: ServiceSettings, registry: EventRegistry = REGISTRY) -> None:
        self.settings = settings
        self.service = settings.service_name
        url = settings.redis_url.get_secret_value()
        # Housekeeping (broker checks, receipts due) on a blocking client in a thread; publishing, the hot
        # path, on an asyncio client from the loop itself.
        self.redis = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=3)
        self.ledger = ReceiptLedger(self.redis)
        self.app = create_celery_app(settings, main=f"aigym.{self.service}.relay")
        self.publisher = Publisher(
            self.app,
            redis.asyncio.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=3),
            registry,
            self.service,
            settings.event_redeliver_after_seconds,
        )
        self._wake = asyncio.Event()
        self._run_id: str | None = None
        self._run_id_seen_at: dt.datetime | None = None
        self._next: dict[str, float] = {}
        self.is_leader = False

    async def run(self, stop: asyncio.Event) -> None:
        """Work (reconnecting after database errors) until `stop` is set."""
        try:
            while not stop.is_set():
                try:
                    await self._session(stop)
                except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                    self.is_leader = False
                    log.warning("relay lost its database connection (%s); reconnecting", exc)
                    await _wait(stop, 1.0)
        finally:
            await self.publisher.client.aclose()

    async def _session(self, stop: asyncio.Event) -> None:
        conn: asyncpg.Connection = await asyncpg.connect(
            plain_url(self.settings.database_url.get_secret_value())
        )
        try:
            while not await conn.fetchval(LEADER_LOCK_SQL):
                log.info("another relay of %s holds the lock; standing by", self.service)
                if await _wait(stop, max(self.settings.relay_poll_seconds, 1.0)):
                    return
            self.is_leader = True
            log.info("relay of %s is active", self.service)
            await conn.add_listener(NOTIFY_CHANNEL, self._notified)
            last = await conn.fetchval("SELECT event_outbox_last_sent()")
            if last is not None:  # sent just before the previous relay stopped: the broker may have lost it
                await self._resend_since(conn, last - BROKER_LOSS_WINDOW, "relay_start")
            await self._work(conn, stop)
        finally:
            self.is_leader = False
            await conn.close()

    async def _work(self, conn: asyncpg.Connection, stop: asyncio.Event) -> None:
        """Drain the outbox whenever rows may be waiting, until `stop` is set.

        Idle, the relay LISTENs and sleeps until a commit's NOTIFY (or the polling fallback); after a
        notification it waits `relay_gather_seconds` so one batch carries the commits that follow. When a
        drain finds several rows (commits come faster than that interval) it stops listening (UNLISTEN)
        and polls every gather interval instead: at a steady rate every commit would otherwise wake both
        the relay and its database session to deliver a notification the next poll makes redundant. After
        `HOT_IDLE_POLLS` empty polls in a row it listens again and claims once more (a row committed just
        before LISTEN took effect sent its notification unheard).
        """
        gather = self.settings.relay_gather_seconds
        listening, empty_polls = True, 0
        while not stop.is_set():
            self._wake.clear()
            # First, so the backlog gauges exist as soon as the relay is active; then also between drains
            # under sustained load.
            await self._housekeeping(conn)
            published, more = await self._drain(conn)
            if more:
                continue
            if published >= HOT_ROWS and listening and gather > 0:
                await conn.remove_listener(NOTIFY_CHANNEL, self._notified)
                listening, empty_polls = False, 0
            elif not listening:
                empty_polls = 0 if published else empty_polls + 1
                if empty_polls >= HOT_IDLE_POLLS:
                    await conn.add_listener(NOTIFY_CHANNEL, self._notified)
                    listening = True
                    continue  # claim again: rows committed before LISTEN took effect notified no one
            if not listening:
                await _wait(stop, gather)
                continue
            await _wait(stop, self.settings.relay_poll_seconds, self._wake)
            if self._wake.is_set() and gather > 0:
                # Commits arrive one by one; a short wait lets the next batch carry several of them.
                await _wait(stop, gather)

    def _notified(self, *_: Any) -> None:
        self._wake.set()

    async def _drain(self, conn: asyncpg.Connection) -> tuple[int, bool]:
        """Publish unsent rows batch by batch: how many were published, and whether rows are left after
        the time slice (~1 s).

        A batch shorter than the batch size ends the drain: every row committed before its claim is in it,
        and a row committed after the claim sends a NOTIFY, which sets the wake-up flag cleared before the
        drain began (so the relay does not spend a query on an empty claim after every batch).
        """
        until = time.monotonic() + DRAIN_SLICE_SECONDS
        batch_size = self.settings.relay_batch_size
        published = 0
        while True:
            records = await conn.fetch("SELECT * FROM event_outbox_claim($1)", batch_size)
            if not records:
                return published, False
            rows = [OutboxRow.from_record(r) for r in records]
            done = await self.publisher.publish(rows)
            if done:
                await conn.fetchval("SELECT event_outbox_mark_sent($1::bigint[])", done)
                published += len(done)
            if len(done) < len(rows):
                await asyncio.sleep(0.5)  # broker trouble: back off, the rest stays unsent (in order)
                return published, False
            if len(records) < batch_size:
                return published, False
            if time.monotonic() > until:
                return published, True

    async def _housekeeping(self, conn: asyncpg.Connection) -> None:
        if self._due("broker", BROKER_CHECK_SECONDS):
            await self._check_broker(conn)
        if self._due("sweep", max(0.5, self.settings.event_redeliver_after_seconds / 4)):
            await self._sweep(conn)
        if self._due("metrics", METRICS_SECONDS):
            unsent, oldest = await conn.fetchrow("SELECT * FROM event_outbox_backlog()")
            OUTBOX_BACKLOG.labels(self.service).set(unsent)
            age = 0.0 if oldest is None else (dt.datetime.now(dt.UTC) - oldest).total_seconds()
            OUTBOX_OLDEST_AGE.labels(self.service).set(max(0.0, age))
        if self._due("purge", PURGE_SECONDS):
            retention = dt.timedelta(hours=self.settings.outbox_retention_hours)
            purged = await conn.fetchval("SELECT event_outbox_purge($1)", retention)
            if purged:
                log.info("purged %s sent outbox rows older than %s", purged, retention)

    def _due(self, name: str, every: float) -> bool:
        now = time.monotonic()
        if now < self._next.get(name, 0.0):
            return False
        self._next[name] = now + every
        return True

    async def _check_broker(self, conn: asyncpg.Connection) -> None:
        """Notice a Redis restart (new run_id) and republish what was sent shortly before it."""
        db_now: dt.datetime = await conn.fetchval("SELECT now()")
        try:
            info = await asyncio.to_thread(self.redis.info, "server")
            run_id = str(info["run_id"])  # type: ignore[index,unused-ignore]
            pending = await asyncio.to_thread(self.ledger.pending, self.service)
        except redis.RedisError:
            return
        PENDING_RECEIPTS.labels(self.service).set(pending)
        if self._run_id is not None and run_id != self._run_id and self._run_id_seen_at is not None:
            log.warning("Redis restarted (run_id changed); republishing what it may have lost")
            await self._resend_since(conn, self._run_id_seen_at - BROKER_LOSS_WINDOW, "broker_restart")
        self._run_id, self._run_id_seen_at = run_id, db_now

    async def _resend_since(self, conn: asyncpg.Connection, since: dt.datetime, reason: str) -> None:
        after, total = 0, 0
        while True:
            records = await conn.fetch(
                "SELECT * FROM event_outbox_sent_since($1, $2, $3)",
                since,
                after,
                self.settings.relay_batch_size,
            )
            if not records:
                break
            rows = [OutboxRow.from_record(r) for r in records]
            total += await self.publisher.republish(rows, reason)
            after = rows[-1].id
        if total:
            log.info("republished %s outbox rows sent since %s (%s)", total, since.isoformat(), reason)

    async def _sweep(self, conn: asyncpg.Connection) -> None:
        """Redeliver deliveries whose receipt deadline passed without a consumer confirming them.

        A delivery still waiting in its queue behind a backlog is not lost: only those sent before the
        message now at the head of their queue (or with the queue empty) are published again.
        """
        redeliver_after = self.settings.event_redeliver_after_seconds
        try:
            due = await asyncio.to_thread(self.ledger.due, self.service, self.settings.relay_batch_size)
            heads = {
                queue: await self.publisher.queue_head_sent_at(queue)
                for queue in {self.publisher.queue_of(receipt) for receipt, _ in due}
            }
        except redis.RedisError:
            return
        lost = [
            receipt
            for receipt, deadline in due
            if (head := heads[self.publisher.queue_of(receipt)]) is None or deadline - redeliver_after < head
        ]
        if not lost:
            return
        records = await conn.fetch(
            "SELECT * FROM event_outbox_fetch($1::uuid[], $2::bigint[])",
            [r.tenant_id for r in lost],
            [r.outbox_id for r in lost],
        )
        rows = {(row.tenant_id, row.id): row for row in map(OutboxRow.from_record, records)}
        pairs = []
        for receipt in lost:
            row = rows.get((receipt.tenant_id, receipt.outbox_id))
            if row is None:
                log.error("receipt %s names a purged outbox row; dropping it", receipt)
                await asyncio.to_thread(self.ledger.confirm, receipt)
            else:
                pairs.append((row, receipt))
        sent = await self.publisher.redeliver(pairs, "unconfirmed")
        log.info("redelivered %s unconfirmed deliveries", sent)


async def _wait(stop: asyncio.Event, seconds: float, wake: asyncio.Event | None = None) -> bool:
    """Sleep until `stop` (returns True), `wake` or the timeout (returns False)."""
    waiters = [asyncio.ensure_future(stop.wait())]
    if wake is not None:
        waiters.append(asyncio.ensure_future(wake.wait()))
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
    return stop.is_set()


async def serve(settings: ServiceSettings) -> None:
    """Run the relay until SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await Relay(settings).run(stop)


def main(argv: list[str] | None = None) -> int:
    """`python -m aigym_platform.events.relay --service NAME`."""
    parser = argparse.ArgumentParser(
        prog="python -m aigym_platform.events.relay",
        description="Publish one service's transactional outbox to its consumers (Celery on Redis). "
        "Reads AIGYM_DATABASE_URL (the service's app role), AIGYM_REDIS_URL and the other AIGYM_RELAY_* / "
        "AIGYM_EVENT_* settings from the environment. Several relays may run: one works, the others wait.",
    )
    parser.add_argument("--service", required=True, help="the producing service (its outbox database)")
    parser.add_argument("--metrics-port", type=int, default=None, help="serve /metrics here (0: off)")
    args = parser.parse_args(argv)
    settings = ServiceSettings(service_name=args.service)
    if args.metrics_port is not None:
        settings = settings.model_copy(update={"metrics_port": args.metrics_port})
    configure_logging(settings.log_format, settings.log_level)
    start_exporter(settings.metrics_port)
    settle_heap(settings.gc_freeze)  # everything imported: see heap.py
    asyncio.run(serve(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
