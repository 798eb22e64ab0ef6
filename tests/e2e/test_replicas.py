"""Two processes of one service behind Envoy: both take traffic, and reads survive one being SIGKILLed."""

from __future__ import annotations

import re
import threading
import uuid

import httpx
import pytest

from aigym_platform.devstack.stack import DevStack, wait_gateway_healthy
from tests.e2e.conftest import Tokens

pytestmark = pytest.mark.e2e


def _requests_per_port(stack: DevStack, cluster: str) -> dict[int, int]:
    """Envoy's per-endpoint request counters of `cluster` (admin `/clusters`, text format)."""
    text = httpx.get(f"http://127.0.0.1:{stack.options.gateway_admin_port}/clusters", timeout=5).text
    pattern = re.compile(rf"^{cluster}::127\.0\.0\.1:(\d+)::rq_total::(\d+)$", re.MULTILINE)
    return {int(port): int(count) for port, count in pattern.findall(text)}


def test_two_programs_processes_share_reads_and_survive_a_sigkill(
    stack: DevStack, gateway: httpx.Client, tokens: Tokens
) -> None:
    running = stack.services["programs"]
    assert len(running.replicas) == 1, "the e2e stack runs programs as two processes"
    replica = running.replicas[0]
    ports = {running.grpc_port, replica.grpc_port}
    admin = tokens.headers(uuid.uuid4(), "client_admin")
    created = gateway.post("/v1/programs", json={"title": "Replicated"}, headers=admin)
    assert created.status_code == 200, created.text
    path = f"/v1/programs/{created.json()['programId']}"

    before = _requests_per_port(stack, "programs")
    assert set(before) == ports, before
    for _ in range(40):
        assert gateway.get(path, headers=admin).status_code == 200
    after = _requests_per_port(stack, "programs")
    # Round robin over both endpoints: each process answered part of the 40 reads.
    assert all(after[port] - before[port] >= 10 for port in ports), (before, after)

    # SIGKILL one process while reads keep flowing: Envoy retries a failed read on the other host.
    statuses: list[int] = []
    failures: list[str] = []
    stop = threading.Event()

    def read_loop() -> None:
        with httpx.Client(base_url=stack.gateway_url, timeout=10) as client:
            while not stop.is_set():
                response = client.get(path, headers=admin)
                statuses.append(response.status_code)
                if response.status_code != 200:
                    failures.append(f"{response.status_code} {dict(response.headers)} {response.text[:200]}")

    readers = [threading.Thread(target=read_loop) for _ in range(4)]
    for reader in readers:
        reader.start()
    try:
        while len(statuses) < 40:
            stop.wait(0.01)
        replica.process.kill()
        killed_at = len(statuses)
        while len(statuses) < killed_at + 80:
            stop.wait(0.01)
    finally:
        stop.set()
        for reader in readers:
            reader.join()
        stack.restart_service("programs", replica=1)  # a replacement "pod" on the same port
        wait_gateway_healthy(stack.gateway_url, timeout=30)  # Envoy sees it healthy again
    retries = httpx.get(
        f"http://127.0.0.1:{stack.options.gateway_admin_port}/stats?filter=cluster.programs.upstream_rq_retry",
        timeout=5,
    ).text
    assert statuses.count(200) == len(statuses), (failures[:2], retries)
    assert gateway.get(path, headers=admin).status_code == 200
