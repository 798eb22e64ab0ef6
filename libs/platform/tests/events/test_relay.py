"""The relay on its own (no worker): order per subject, one active relay per service, takeover on death."""

from __future__ import annotations

import asyncio
import base64
import json
import urllib.request
import uuid
from collections import defaultdict
from pathlib import Path

import asyncpg
import pytest
import redis
from probesvc.harness import PRODUCER, EventProcesses, Uows, provision_probe_pair, wait_until
from probesvc.service import record_probe

from aigym.events.v1 import events_pb2
from aigym_platform.devstack.ports import free_port
from aigym_platform.devstack.redis import EmbeddedRedis
from aigym_platform.events.envelope import decode, open_envelope
from aigym_platform.jobs.queues import events_queue

SUBJECTS, PER_SUBJECT = 4, 60


def queued_probes(client: redis.Redis) -> list[events_pb2.ProbeRecorded]:
    """Every probe waiting in the sink's queue, in the order a consumer would receive them."""
    raw = client.lrange(events_queue("eventsink"), 0, -1)
    probes = []
    for message in reversed(raw):  # type: ignore[arg-type]
        body = json.loads(base64.b64decode(json.loads(message)["body"]))
        probes.append(open_envelope(decode(body[0][0]), events_pb2.ProbeRecorded).payload)
    return probes


@pytest.mark.timeout(120)
async def test_one_relay_publishes_in_order_per_subject_and_a_standby_takes_over(
    postgres: tuple[str, str], tmp_path: Path
) -> None:
    admin_url, prefix = postgres
    dbs = await provision_probe_pair(admin_url, f"{prefix}relay")
    server = EmbeddedRedis(tmp_path / "redis", free_port(), appendonly=False)
    server.start()
    metrics_port = free_port()
    processes = EventProcesses(
        dbs, server.url, tmp_path / "logs", AIGYM_LOG_LEVEL="INFO", AIGYM_METRICS_PORT=str(metrics_port)
    )
    uows = Uows(dbs)
    client = redis.Redis.from_url(server.url)
    tenant = uuid.uuid4()
    try:
        first = processes.relay("relay-a")

        async def subject(index: int) -> None:
            for sequence in range(PER_SUBJECT):
                await record_probe(uows.producer, tenant, f"s{index}", sequence=sequence)

        await asyncio.gather(*(subject(i) for i in range(SUBJECTS)))

        async def all_queued() -> bool:
            return len(queued_probes(client)) >= SUBJECTS * PER_SUBJECT

        await wait_until(all_queued, 30, "every probe queued", interval=0.1)
        sequences: dict[str, list[int]] = defaultdict(list)
        for probe in queued_probes(client):
            sequences[probe.counter_id].append(probe.sequence)
        assert {k: v == sorted(v) and len(v) == len(set(v)) for k, v in sequences.items()} == {
            f"s{i}": True for i in range(SUBJECTS)
        }

        metrics = await asyncio.to_thread(_scrape, metrics_port)
        assert (
            'aigym_events_published_total{event_type="aigym.platform.probe_recorded.v1",service="eventprobe"}'
            in metrics
        )
        assert 'aigym_events_outbox_backlog{service="eventprobe"}' in metrics
        assert "aigym_events_publish_latency_seconds_bucket" in metrics

        second = processes.relay("relay-b", AIGYM_METRICS_PORT="0")
        await wait_until(lambda: _logged(tmp_path / "logs" / "relay-b.log", "standing by"), 30, "standby")
        first.kill()
        await record_probe(uows.producer, tenant, "after", sequence=0)

        async def taken_over() -> bool:
            return any(p.counter_id == "after" for p in queued_probes(client))

        await wait_until(taken_over, 30, "the standby publishing", interval=0.1)
        assert second.is_running()
        conn = await asyncpg.connect(dbs[PRODUCER].app_url)
        try:
            assert (await conn.fetchrow("SELECT * FROM event_outbox_backlog()"))["unsent"] == 0
        finally:
            await conn.close()
    finally:
        processes.stop()
        await uows.close()
        server.stop()


def _scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        return str(response.read().decode())


async def _logged(path: Path, text: str) -> bool:
    return await asyncio.to_thread(lambda: path.exists() and text in path.read_text(errors="replace"))


@pytest.mark.timeout(120)
async def test_a_busy_relay_polls_instead_of_listening_and_listens_again_when_commits_stop(
    postgres: tuple[str, str], tmp_path: Path
) -> None:
    admin_url, prefix = postgres
    dbs = await provision_probe_pair(admin_url, f"{prefix}hot")
    server = EmbeddedRedis(tmp_path / "redis", free_port(), appendonly=False)
    server.start()
    # The polling fallback is a minute: every prompt delivery below comes from a NOTIFY or a busy poll.
    processes = EventProcesses(dbs, server.url, tmp_path / "logs", AIGYM_RELAY_POLL_SECONDS="60")
    uows = Uows(dbs)
    client = redis.Redis.from_url(server.url)
    tenant = uuid.uuid4()

    async def queued(count: int) -> bool:
        return len(queued_probes(client)) >= count

    try:
        processes.relay()
        await record_probe(uows.producer, tenant, "first")  # an idle relay is woken by its NOTIFY
        await wait_until(lambda: queued(1), 10, "the first probe queued", interval=0.05)

        async def writer(offset: int) -> None:  # commits faster than the gather interval: the relay polls
            for sequence in range(offset, 300, 4):
                await record_probe(uows.producer, tenant, f"busy{offset}", sequence=sequence)
                await asyncio.sleep(0.005)

        await asyncio.gather(*(writer(i) for i in range(4)))
        await wait_until(lambda: queued(301), 10, "every busy probe queued", interval=0.05)
        await asyncio.sleep(1.5)  # quiet for more than the busy relay's idle polls: it listens again
        await record_probe(uows.producer, tenant, "last")
        waited = await wait_until(lambda: queued(302), 10, "the probe after the quiet spell", interval=0.05)

        assert waited < 2
        assert processes.started[0].is_running()
    finally:
        processes.stop()
        await uows.close()
        server.stop()
