from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis as redis_client

from aigym_platform.devstack.ports import free_port
from aigym_platform.devstack.redis import EmbeddedRedis


def client(server: EmbeddedRedis) -> redis_client.Redis:
    return redis_client.Redis.from_url(server.url, socket_timeout=5)


def start(server: EmbeddedRedis, spawned: set[int]) -> None:
    server.start()
    assert server.pid is not None
    spawned.add(server.pid)


@pytest.fixture
def redis(tmp_path: Path, spawned: set[int]) -> Iterator[EmbeddedRedis]:
    server = EmbeddedRedis(tmp_path / "redis", free_port())
    try:
        start(server, spawned)
        yield server
    finally:
        server.stop()


def test_set_and_get(redis: EmbeddedRedis) -> None:
    key, value = f"k-{uuid.uuid4()}", uuid.uuid4().hex.encode()

    with client(redis) as conn:
        conn.set(key, value)
        assert conn.get(key) == value
    assert redis.url == f"redis://127.0.0.1:{redis.port}/0"


def test_data_survives_a_stop_and_start(redis: EmbeddedRedis, spawned: set[int]) -> None:
    key, value = f"k-{uuid.uuid4()}", uuid.uuid4().hex.encode()
    with client(redis) as conn:
        conn.set(key, value)

    redis.stop()
    redis.stop()  # idempotent
    assert not redis.is_running()
    start(redis, spawned)

    with client(redis) as conn:
        assert conn.get(key) == value


def test_data_written_before_a_kill_survives(redis: EmbeddedRedis, spawned: set[int]) -> None:
    key, value = f"k-{uuid.uuid4()}", uuid.uuid4().hex.encode()
    with client(redis) as conn:
        conn.set(key, value)
    # appendfsync everysec: Redis write()s each command to the AOF right away (within one event-loop turn,
    # rarely up to 2 s later while a background fsync is still running) and fsyncs once a second. A SIGKILL
    # of the server keeps what reached the kernel, so wait for the value to be in the file rather than
    # sleeping past the fsync; only an OS crash could lose the unsynced second, which no test here simulates.
    aof = redis.data_dir / "appendonly.aof"
    deadline = time.monotonic() + 5
    while not (aof.exists() and value in aof.read_bytes()):
        assert time.monotonic() < deadline, "value never reached the append-only file"
        time.sleep(0.01)

    redis.kill()
    assert not redis.is_running()
    start(redis, spawned)

    with client(redis) as conn:
        assert conn.get(key) == value


def test_without_appendonly_nothing_is_kept(tmp_path: Path, spawned: set[int]) -> None:
    server = EmbeddedRedis(tmp_path / "redis", free_port(), appendonly=False)
    try:
        start(server, spawned)
        with client(server) as conn:
            conn.set("k", "v")
        server.stop()
        start(server, spawned)

        with client(server) as conn:
            assert conn.get("k") is None
    finally:
        server.stop()


def test_busy_port_fails_fast_with_the_server_log(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        server = EmbeddedRedis(tmp_path / "redis", squatter.getsockname()[1])

        with pytest.raises(RuntimeError, match="Address already in use"):
            server.start(timeout=5)

        assert not server.is_running()


def test_another_redis_on_the_port_is_not_mistaken_for_ours(redis: EmbeddedRedis, tmp_path: Path) -> None:
    second = EmbeddedRedis(tmp_path / "second", redis.port)

    with pytest.raises(RuntimeError):
        second.start(timeout=5)

    assert not second.is_running()
    assert redis.is_running()
