from __future__ import annotations

import os
import time
import urllib.request
from pathlib import Path

from aigym_platform.devstack.envoy import envoy_binary, envoy_process
from aigym_platform.devstack.ports import free_port, wait_for_port
from aigym_platform.devstack.processes import ProcessGroup


def admin_only_config(path: Path, port: int) -> Path:
    path.write_text(
        f"admin:\n  address:\n    socket_address: {{address: 127.0.0.1, port_value: {port}}}\n"
        "static_resources: {}\n"
    )
    return path


def wait_ready(admin_port: int, timeout: float = 20.0) -> None:
    """Wait for the admin /ready endpoint: the admin port opens before Envoy installs its SIGTERM handler."""
    wait_for_port("127.0.0.1", admin_port, timeout=timeout)
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{admin_port}/ready", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        assert time.monotonic() < deadline, f"Envoy on admin port {admin_port} never became ready"
        time.sleep(0.01)


def test_envoy_binary_is_executable() -> None:
    assert os.access(envoy_binary(), os.X_OK)


def test_several_envoys_run_at_once_and_exit_cleanly(tmp_path: Path, spawned: set[int]) -> None:
    ports = [free_port() for _ in range(3)]
    group = ProcessGroup(
        [
            envoy_process(admin_only_config(tmp_path / "a.yaml", ports[0]), log_file=tmp_path / "a.log"),
            envoy_process(admin_only_config(tmp_path / "b.yaml", ports[1]), log_file=tmp_path / "b.log"),
            envoy_process(
                admin_only_config(tmp_path / "c.yaml", ports[2]),
                log_file=tmp_path / "c.log",
                base_id=os.getpid(),
            ),
        ]
    )
    try:
        group.start_all()
        spawned.update(process.pid for process in group.processes if process.pid is not None)
        for port in ports:
            wait_ready(port)
        assert all(process.is_running() for process in group.processes)
    finally:
        group.stop_all(grace=5.0)

    assert [process.returncode for process in group.processes] == [0, 0, 0]
