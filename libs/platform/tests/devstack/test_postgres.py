from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from aigym_platform.devstack.ports import free_port
from aigym_platform.devstack.postgres import EmbeddedPostgres, postgres_bin_dir


def psql(server: EmbeddedPostgres, sql: str) -> str:
    """Run `sql` through the wheel's psql over TCP and return the unaligned output."""
    argv = [
        str(postgres_bin_dir() / "psql"),
        "-X",
        "-At",
        "-v",
        "ON_ERROR_STOP=1",
        server.admin_url,
        "-c",
        sql,
    ]
    result = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=30)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def start(server: EmbeddedPostgres, spawned: set[int]) -> None:
    server.start()
    assert server.pid is not None
    spawned.add(server.pid)


@pytest.fixture(scope="session")
def cluster_template(tmp_path_factory: pytest.TempPathFactory, spawned: set[int]) -> Path:
    """One initdb per session; a cleanly stopped cluster can be copied cold, which is much faster."""
    server = EmbeddedPostgres(tmp_path_factory.mktemp("template") / "pgdata", free_port(), durable=False)
    try:
        start(server, spawned)
    finally:
        server.stop()
    return server.data_dir


@pytest.fixture
def data_dir(tmp_path: Path, cluster_template: Path) -> Path:
    """A private copy of the template cluster (as root, start() gives the copy to the server user)."""
    return shutil.copytree(cluster_template, tmp_path / "pgdata", symlinks=True)


@pytest.fixture
def postgres(data_dir: Path, spawned: set[int]) -> Iterator[EmbeddedPostgres]:
    server = EmbeddedPostgres(data_dir, free_port(), durable=False, settings={"shared_buffers": "48MB"})
    try:
        start(server, spawned)
        yield server
    finally:
        server.stop()


def test_serves_queries_on_localhost_tcp_only(postgres: EmbeddedPostgres) -> None:
    settings = psql(
        postgres,
        "SELECT 1, current_setting('listen_addresses'), current_setting('unix_socket_directories'),"
        " current_setting('max_connections'), current_setting('fsync'), pg_encoding_to_char(encoding),"
        " current_setting('shared_buffers') FROM pg_database WHERE datname = 'postgres'",
    )

    assert settings == "1|127.0.0.1||200|off|UTF8|48MB"
    assert postgres.admin_url == f"postgresql://postgres@127.0.0.1:{postgres.port}/postgres"


def test_rows_survive_a_stop_and_start(postgres: EmbeddedPostgres, spawned: set[int]) -> None:
    table = f"t_{uuid.uuid4().hex}"
    psql(postgres, f"CREATE TABLE {table} (n int); INSERT INTO {table} SELECT generate_series(1, 100)")

    postgres.stop()
    assert not postgres.is_running()
    start(postgres, spawned)

    assert psql(postgres, f"SELECT count(*), sum(n) FROM {table}") == "100|5050"


def test_stop_is_idempotent(data_dir: Path, spawned: set[int]) -> None:
    server = EmbeddedPostgres(data_dir, free_port(), durable=False)
    server.stop()  # never started
    start(server, spawned)

    server.stop()
    server.stop()

    assert not server.is_running()
    assert server.pid is None


def test_restart_after_the_server_was_killed_keeps_committed_rows(
    postgres: EmbeddedPostgres, spawned: set[int]
) -> None:
    table = f"t_{uuid.uuid4().hex}"
    psql(postgres, f"CREATE TABLE {table} (n int); INSERT INTO {table} VALUES (7)")
    assert postgres.pid is not None
    os.kill(postgres.pid, signal.SIGKILL)  # a crash: postmaster.pid and shared memory are left behind
    deadline = time.monotonic() + 5
    while postgres.is_running() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert (postgres.data_dir / "postmaster.pid").exists()

    start(postgres, spawned)

    assert psql(postgres, f"SELECT n FROM {table}") == "7"


def test_stale_lock_file_naming_a_live_unrelated_process_is_ignored(
    postgres: EmbeddedPostgres, spawned: set[int]
) -> None:
    lock_file = postgres.data_dir / "postmaster.pid"
    lines = lock_file.read_text().splitlines()
    postgres.stop()
    with subprocess.Popen(["sleep", "60"]) as unrelated:
        spawned.add(unrelated.pid)
        try:
            # The pid of a killed server now belongs to someone else.
            lock_file.write_text("\n".join([str(unrelated.pid), *lines[1:]]) + "\n")

            start(postgres, spawned)

            assert psql(postgres, "SELECT 1") == "1"
        finally:
            unrelated.kill()


def test_second_server_on_the_same_data_dir_is_refused(postgres: EmbeddedPostgres) -> None:
    intruder = EmbeddedPostgres(postgres.data_dir, free_port(), durable=False)

    with pytest.raises(RuntimeError, match="still run in"):
        intruder.start()

    assert psql(postgres, "SELECT 1") == "1"


def test_busy_port_fails_fast_with_the_server_log(data_dir: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        server = EmbeddedPostgres(data_dir, squatter.getsockname()[1], durable=False)
        started = time.monotonic()

        with pytest.raises(RuntimeError, match="Address already in use"):
            server.start()

        assert time.monotonic() - started < 10
        assert not server.is_running()


def test_refuses_a_non_empty_directory_that_is_not_a_cluster(tmp_path: Path) -> None:
    data_dir = tmp_path / "not-pg"
    data_dir.mkdir()
    (data_dir / "precious.txt").write_text("keep me")

    with pytest.raises(RuntimeError, match="neither empty nor a PostgreSQL data directory"):
        EmbeddedPostgres(data_dir, free_port()).start()

    assert (data_dir / "precious.txt").read_text() == "keep me"


def test_durable_by_default(tmp_path: Path, spawned: set[int]) -> None:
    with EmbeddedPostgres(tmp_path / "pgdata", free_port()) as server:
        assert server.pid is not None
        spawned.add(server.pid)

        assert (
            psql(server, "SELECT current_setting('fsync'), current_setting('synchronous_commit')") == "on|on"
        )

    assert not server.is_running()


@pytest.mark.skipif(os.geteuid() != 0, reason="only root runs the server as another user")
def test_start_recovers_when_a_parent_directory_loses_its_search_bit(
    data_dir: Path, spawned: set[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Simulates another pytest session resetting /tmp/pytest-of-root to 0700 while this one starts a server.
    prepare = EmbeddedPostgres._prepare_data_dir
    calls = []

    def prepare_then_lock_parent(self: EmbeddedPostgres, bin_dir: Path, user: str | None) -> None:
        prepare(self, bin_dir, user)
        calls.append(user)
        if len(calls) == 1:
            data_dir.parent.chmod(0o700)

    monkeypatch.setattr(EmbeddedPostgres, "_prepare_data_dir", prepare_then_lock_parent)
    server = EmbeddedPostgres(data_dir, free_port(), durable=False)
    try:
        start(server, spawned)

        assert len(calls) == 2
        assert psql(server, "SELECT 1") == "1"
    finally:
        server.stop()
