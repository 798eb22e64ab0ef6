"""Pure parts of the event path and job runtime: envelope, registry, retry policy, receipts, schedules."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import multiprocessing
import os
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import kombu
import pytest
import redis
import redis.asyncio as aioredis
from pydantic import SecretStr

from aigym.events.v1 import events_pb2
from aigym_platform.events.consumer import RetryPolicy, bind_handlers
from aigym_platform.events.envelope import Event, build_envelope, decode, encode, open_envelope
from aigym_platform.events.inbox import inbox_row_added, inbox_statement
from aigym_platform.events.publisher import OutboxRow, Publisher
from aigym_platform.events.receipts import ConfirmationBatcher, Receipt, ReceiptLedger, pending_key
from aigym_platform.events.registry import (
    PROBE_RECORDED,
    REGISTRY,
    Consumer,
    EventRegistry,
    EventSpec,
    catalogue_markdown,
)
from aigym_platform.jobs.app import create_celery_app
from aigym_platform.jobs.beat import Schedule, build_beat
from aigym_platform.jobs.bridge import AsyncBridge, JobContext
from aigym_platform.jobs.transport import RECEIPTED_HEADER, Transport
from aigym_platform.settings import ServiceSettings

DOCS = Path(__file__).resolve().parents[4] / "docs" / "events.md"


def test_envelope_survives_the_wire_with_its_typed_payload() -> None:
    event_id, tenant = uuid.uuid4(), uuid.uuid4()
    when = dt.datetime(2026, 11, 26, 12, 0, 0, 123456, tzinfo=dt.UTC)
    envelope = build_envelope(
        event_id=event_id,
        event_type=PROBE_RECORDED,
        tenant_id=tenant,
        actor="user-1",
        occurred_at=when,
        subject="counters/a",
        payload=events_pb2.ProbeRecorded(counter_id="a", amount=3),
        schema_version=2,
    )

    event = open_envelope(decode(encode(envelope)), events_pb2.ProbeRecorded)

    assert event == Event(
        event_id,
        PROBE_RECORDED,
        tenant,
        "user-1",
        when,
        "counters/a",
        2,
        events_pb2.ProbeRecorded(counter_id="a", amount=3),
    )
    with pytest.raises(ValueError, match=r"expected aigym\.events\.v1\.EventEnvelope"):
        open_envelope(envelope, events_pb2.EventEnvelope)


def test_registry_rejects_malformed_types_and_duplicates() -> None:
    spec = EventSpec("aigym.x.thing_done.v1", "x", events_pb2.ProbeRecorded, (Consumer("y", "h"),), "d")
    registry = EventRegistry([spec])

    with pytest.raises(ValueError, match="does not match"):
        EventSpec("x.thing", "x", events_pb2.ProbeRecorded, (), "d")
    with pytest.raises(ValueError, match="already registered"):
        registry.register(spec)
    with pytest.raises(ValueError, match="twice"):
        EventSpec(
            "aigym.x.other.v1", "x", events_pb2.ProbeRecorded, (Consumer("y", "h"), Consumer("y", "h")), "d"
        )
    assert registry.produced_by("x") == [spec]
    assert registry.consumed_by("y") == [(spec, Consumer("y", "h"))]
    assert (registry.producers(), registry.consumers()) == ({"x"}, {"y"})
    assert Consumer("y", "h").task_name == "aigym.y.events.h"
    assert Consumer("y", "h").queue == "aigym.y.events"


def test_docs_table_lists_exactly_the_registry() -> None:
    text = DOCS.read_text()
    start, end = text.index("<!-- registry:start -->"), text.index("<!-- registry:end -->")

    assert text[start:end].split("\n", 1)[1].strip() == catalogue_markdown(REGISTRY)


@pytest.mark.parametrize("retries", range(10))
def test_retry_delay_is_exponential_with_jitter_and_capped(retries: int) -> None:
    policy = RetryPolicy(max_retries=10, backoff_seconds=0.5, backoff_max_seconds=60)
    cap = min(60.0, 0.5 * 2**retries)

    delays = [policy.delay(retries) for _ in range(200)]

    assert all(0.1 * cap <= d <= cap for d in delays)
    assert len(set(delays)) > 100  # jittered, not fixed


async def _where() -> tuple[int, int, int]:
    return os.getpid(), threading.get_ident(), id(asyncio.get_running_loop())


def test_bridge_runs_inline_on_one_loop_per_thread_and_makes_a_new_one_after_fork() -> None:
    bridge = AsyncBridge()

    first, again = bridge.run(_where()), bridge.run(_where())
    with ThreadPoolExecutor(1) as pool:
        other_thread = pool.submit(bridge.run, _where()).result()
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    child = context.Process(target=lambda: results.put(bridge.run(_where(), timeout=10)))
    child.start()
    in_child = results.get(timeout=20)
    child.join(10)

    assert first == again
    assert first[:2] == (os.getpid(), threading.get_ident())  # inline: no hand-off to another thread
    assert other_thread[1] != first[1]
    assert other_thread[2] != first[2]
    assert in_child[0] != first[0]
    bridge.close()


def test_bridge_gives_an_ended_threads_loop_to_the_next_thread() -> None:
    bridge = AsyncBridge()

    loops = set()
    for _ in range(5):  # short-lived threads one after another, as a test's executor makes them
        thread = threading.Thread(target=lambda: loops.add(bridge.run(_where())[2]))
        thread.start()
        thread.join()

    assert len(loops) == 1
    bridge.close()


async def test_bridge_called_from_a_running_loop_uses_its_own_loop_thread() -> None:
    bridge = AsyncBridge()

    pid, thread, loop = bridge.run(_where())

    assert pid == os.getpid()
    assert thread != threading.get_ident()
    assert loop != id(asyncio.get_running_loop())
    bridge.close()


def test_bridge_passes_on_the_coroutines_exception_and_timeout() -> None:
    bridge = AsyncBridge()

    async def fail() -> None:
        raise LookupError("boom")

    with pytest.raises(LookupError, match="boom"):
        bridge.run(fail())
    with pytest.raises(TimeoutError):
        bridge.run(asyncio.sleep(5), timeout=0.05)
    assert bridge.run(_where())[1] == threading.get_ident()  # the loop survives both
    bridge.close()


def test_receipt_round_trips_through_its_text_form() -> None:
    receipt = Receipt("producer", uuid.uuid4(), 42, "aigym.sink.events.handle")

    assert Receipt.parse(str(receipt)) == receipt
    assert Receipt.parse(str(receipt).encode()) == receipt
    with pytest.raises(ValueError, match="not enough values"):
        Receipt.parse("nonsense")


def test_inbox_statement_inlines_only_uuids_and_registry_names() -> None:
    tenant, event = uuid.uuid4(), uuid.uuid4()

    sql = inbox_statement(tenant, event, "count_probe", PROBE_RECORDED)

    assert f"VALUES ('{tenant}', '{event}', 'count_probe', '{PROBE_RECORDED}')" in sql
    with pytest.raises(ValueError, match="not a registry name"):
        inbox_statement(tenant, event, "x'); DROP TABLE event_inbox; --", PROBE_RECORDED)
    assert inbox_row_added("INSERT 0 1")
    assert not inbox_row_added("INSERT 0 0")
    with pytest.raises(ValueError, match="not the status"):
        inbox_row_added("SELECT 1")


def test_confirmations_leave_in_batches_and_wake_a_parked_flusher(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    ledger = ReceiptLedger(client)
    producer = f"p{uuid.uuid4().hex[:8]}"
    receipts = [Receipt(producer, uuid.uuid4(), n, "aigym.sink.events.handle") for n in range(5)]
    ledger.expect(receipts, 60)
    batcher = ConfirmationBatcher(ledger, gather_seconds=0.02)

    for receipt in receipts[:4]:
        batcher.confirm(receipt)
    _wait_for(lambda: client.zcard(pending_key(producer)) == 1, 2)
    _wait_for(lambda: batcher._parked, 3)  # idle: the flusher parks ...
    batcher.confirm(receipts[4])  # ... and the next confirmation wakes it
    _wait_for(lambda: client.zcard(pending_key(producer)) == 0, 2)
    batcher.close()


def _wait_for(condition: Callable[[], object], within: float) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


def test_channels_reuse_their_client(redis_url: str) -> None:
    app = create_celery_app(ServiceSettings(service_name="eventsink", redis_url=SecretStr(redis_url)))

    with app.producer_or_acquire() as producer:
        assert producer.channel._create_client() is producer.channel._create_client()


def test_receipted_messages_skip_kombu_s_unacked_set_and_go_back_when_a_consumer_stops(
    redis_url: str,
) -> None:
    queue = f"aigym.t{uuid.uuid4().hex[:8]}.events"
    client = redis.Redis.from_url(redis_url)
    with kombu.Connection(redis_url, transport=Transport) as connection:
        with connection.Producer() as producer:
            for n, headers in ((1, {RECEIPTED_HEADER: time.time()}), (2, {})):
                producer.publish({"n": n}, exchange="", routing_key=queue, headers=headers, serializer="json")
        received: list[kombu.Message] = []
        channel = connection.channel()
        consumer = kombu.Consumer(channel, [kombu.Queue(queue)], callbacks=[lambda _, m: received.append(m)])
        consumer.consume()
        while len(received) < 2:
            connection.drain_events(timeout=2)
        receipted, plain = sorted(received, key=lambda m: m.payload["n"])
        in_redis = [bool(client.hexists("unacked", m.delivery_tag)) for m in (receipted, plain)]
        plain.ack()
        receipted.reject(requeue=True)  # back at the front of the queue, read again
        connection.drain_events(timeout=2)
        again = received[2]
        unacked_after = client.hexists("unacked", plain.delivery_tag)
        channel.close()  # the message still held goes back to its queue, as kombu does for its own

    assert in_redis == [False, True]
    assert not unacked_after
    assert again.payload == {"n": 1}
    assert [json.loads(m)["headers"].keys() >= {RECEIPTED_HEADER} for m in client.lrange(queue, 0, -1)] == [
        True
    ]


async def test_publisher_sends_receipts_and_celery_task_messages_in_row_order(redis_url: str) -> None:
    name = f"t{uuid.uuid4().hex[:8]}"
    consumers = (Consumer(f"{name}a", "h"), Consumer(f"{name}b", "h"))
    spec = EventSpec(f"aigym.{name}.thing_done.v1", name, events_pb2.ProbeRecorded, consumers, "d")
    app = create_celery_app(ServiceSettings(service_name=name, redis_url=SecretStr(redis_url)))
    client = redis.Redis.from_url(redis_url)
    publisher = Publisher(app, aioredis.Redis.from_url(redis_url), EventRegistry([spec]), name, 30)
    now = dt.datetime.now(dt.UTC)
    rows = [OutboxRow(n, uuid.uuid4(), spec.event_type, "s", bytes([n]), now) for n in (7, 8)]

    before = time.time()
    assert await publisher.publish(rows) == [7, 8]
    await publisher.client.aclose()
    app.send_task(consumers[0].task_name, args=["x", "y"], queue=consumers[0].queue)  # kombu's own way

    deadlines = dict(client.zrange(pending_key(name), 0, -1, withscores=True))
    assert {Receipt.parse(r) for r in deadlines} == {
        Receipt(name, r.tenant_id, r.id, c.task_name) for r in rows for c in consumers
    }
    assert all(before + 30 <= d <= time.time() + 30 for d in deadlines.values())
    with kombu.Connection(redis_url, transport=Transport) as connection:
        channel = connection.default_channel
        for consumer in consumers:
            raw = [json.loads(m) for m in reversed(client.lrange(consumer.queue, 0, -1))]  # popped first
            ours = [channel.Message(m, channel=channel) for m in raw if RECEIPTED_HEADER in m["headers"]]
            assert [(m.headers["task"], m.decode()[0]) for m in ours] == [
                (
                    consumer.task_name,
                    [encode(row.envelope), str(Receipt(name, row.tenant_id, row.id, consumer.task_name))],
                )
                for row in rows
            ]
            assert all(m.properties["correlation_id"] == m.headers["id"] for m in ours)
            kombus = [m for m in raw if RECEIPTED_HEADER not in m["headers"]]
            for theirs in kombus:  # the same envelope as a message kombu published
                assert set(raw[0]) == set(theirs)
                assert set(raw[0]["properties"]) == set(theirs["properties"])
                assert set(raw[0]["headers"]) == set(theirs["headers"]) | {RECEIPTED_HEADER}
            assert len(kombus) == (1 if consumer is consumers[0] else 0)


def settings(service: str) -> ServiceSettings:
    return ServiceSettings(service_name=service, redis_url=SecretStr("redis://127.0.0.1:1/0"))


async def _noop(*_: object) -> None:
    return None


def test_bind_handlers_requires_exactly_the_registered_handlers() -> None:
    app, jobs = create_celery_app(settings("eventsink")), JobContext(settings("eventsink"))

    with pytest.raises(ValueError, match="no handler"):
        bind_handlers(app, jobs, {})
    with pytest.raises(ValueError, match="not in the event registry"):
        bind_handlers(app, jobs, {"count_probe": _noop, "extra": _noop})
    (task,) = bind_handlers(app, jobs, {"count_probe": _noop})
    assert task.name == "aigym.eventsink.events.count_probe"
    assert app.conf.task_acks_late
    assert app.conf.task_reject_on_worker_lost
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.accept_content == ["json"]


def test_schedules_need_exactly_one_timing_and_unique_names() -> None:
    every = Schedule("a", "t", "q", every_seconds=60)
    cron = Schedule("b", "t", "q", cron="0 6 * * 1")

    app = build_beat(settings("beat"), [every, cron])

    assert set(app.conf.beat_schedule) == {"a", "b"}
    assert app.conf.beat_schedule["a"]["options"] == {"queue": "q"}
    with pytest.raises(ValueError, match="exactly one"):
        Schedule("c", "t", "q").entry()
    with pytest.raises(ValueError, match="twice"):
        build_beat(settings("beat"), [every, every])


def test_dev_stack_runs_a_relay_per_producer_a_worker_per_consumer_and_one_beat() -> None:
    from aigym_platform.devstack.eventruntime import event_runtime
    from aigym_platform.devstack.services import ServiceSpec

    services = [
        ServiceSpec("progress", "aigym_progress", (), 1, 2),
        ServiceSpec("achievements", "aigym_achievements", (), 3, 4),
        ServiceSpec("calendar", "aigym_calendar", (), 5, 6),
    ]
    registry = EventRegistry(
        [
            EventSpec(
                "aigym.progress.block_completed.v1",
                "progress",
                events_pb2.ProbeRecorded,
                (Consumer("achievements", "award"), Consumer("progress", "roll_up")),
                "d",
            )
        ]
    )

    runtime = {p.name: p.argv[2:] for p in event_runtime(services, registry)}

    assert runtime == {
        "progress-relay": ("aigym_platform.events.relay", "--service", "progress"),
        "progress-worker": (
            "aigym_platform.jobs.worker",
            "--service",
            "progress",
            "--tasks",
            "aigym_progress.tasks",
        ),
        "achievements-worker": (
            "aigym_platform.jobs.worker",
            "--service",
            "achievements",
            "--tasks",
            "aigym_achievements.tasks",
        ),
        "beat": (
            "aigym_platform.jobs.beat",
            "--schedules",
            "aigym_progress.tasks",
            "--schedules",
            "aigym_achievements.tasks",
        ),
    }
    assert event_runtime(services, EventRegistry()) == []
