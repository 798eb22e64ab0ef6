"""A rollout without Kubernetes: real Envoy, real service processes, real PostgreSQL, steady REST load.

Each service is restarted the way a Deployment with maxUnavailable 0 rolls it: start the new process, wait
until it is SERVING and Envoy routes to it, then SIGTERM the old one. The old process reports NOT_SERVING
for AIGYM_SHUTDOWN_DRAIN_SECONDS while still serving (Kubernetes: the preStop sleep) so Envoy's health
checks take it out of rotation before it refuses calls. Two processes cannot share a port (so_reuseport is
off), so the gateway's cluster lists both ports of a service (`UpstreamService.extra_ports`), as a headless
Service lists the old and the new pod. No request may fail.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from aigym_gateway.config import (
    GatewayConfig,
    JwtConfig,
    UpstreamService,
    default_descriptor_path,
    render_yaml,
)
from aigym_platform.devstack.envoy import envoy_process
from aigym_platform.devstack.keys import DEV_AUDIENCE, DEV_ISSUER, DevKeys, ensure_dev_keys
from aigym_platform.devstack.ports import free_port, wait_for_port
from aigym_platform.devstack.processes import ManagedProcess, ProcessGroup
from aigym_platform.devstack.services import SERVICES, ServiceSpec
from aigym_platform.devstack.stack import DevStack, RunningService, StackOptions, wait_serving
from aigym_platform.provisioning import ServiceDatabase
from aigym_platform.testing.database import provision_and_migrate

pytestmark = pytest.mark.e2e

DRAIN_SECONDS = 2.0  # as in Kubernetes; > Envoy's ejection time (2 NOT_SERVING answers 0.25 s apart)
HEALTH_CHECK_SECONDS = 0.25
# A slow answer is not a failed check: on a busy 2-core machine a SERVING process may take longer than the
# interval to answer, and two timeouts would eject the only healthy endpoint.
HEALTH_CHECK_TIMEOUT_SECONDS = 2.0
LOAD_THREADS = 3
MIN_LOAD_SECONDS = 6.0
PACING_SECONDS = 0.02  # per request and thread: steady load that leaves CPU for the new process to start
ROUNDS = 1  # raise to 2 to roll back onto the first port as well (each round costs a service start-up)


@dataclass
class Slot:
    """One service's two ports and the process currently serving on one of them."""

    spec: ServiceSpec
    database: ServiceDatabase
    ports: tuple[int, int]
    current: RunningService | None = None


@dataclass
class Load:
    """Counts of the load generator; `failures` holds a description of every failed request."""

    reads: int = 0
    writes: int = 0
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, response: httpx.Response | None, error: str = "") -> None:
        with self.lock:
            if response is not None and response.status_code == 200:
                if kind == "write":
                    self.writes += 1
                else:
                    self.reads += 1
            else:
                status = response.status_code if response is not None else "no response"
                body = response.text[:200] if response is not None else error
                self.failures.append(f"{kind}: {status} {body}")


class Rollout:
    """The pieces of the dev stack this test drives by hand."""

    def __init__(self, data_dir: Path, admin_url: str, prefix: str) -> None:
        self.data_dir = data_dir
        self.keys: DevKeys = ensure_dev_keys(data_dir / "keys")
        self.helper = DevStack(StackOptions(data_dir=data_dir))
        self.helper.keys = self.keys
        self.processes = ProcessGroup()
        self.admin_port = free_port()
        self.gateway_port = free_port()
        self.slots: dict[str, Slot] = {}
        for spec in SERVICES:  # one at a time: Alembic's context is process-global
            database = asyncio.run(
                provision_and_migrate(admin_url, spec.name, spec.migrations_dir, prefix=prefix)
            )
            self.slots[spec.name] = Slot(spec, database, (free_port(), free_port()))

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    def start_service(self, slot: Slot, port: int) -> RunningService:
        """Start a process of the service on `port` (`wait_serving` tells when it serves)."""
        env = self.helper.service_env(slot.spec, slot.database, port, 0)
        env.update(
            AIGYM_SHUTDOWN_DRAIN_SECONDS=str(DRAIN_SECONDS),
            AIGYM_SHUTDOWN_GRACE_SECONDS="5",
            AIGYM_LOG_LEVEL="WARNING",
        )
        process = ManagedProcess(
            f"{slot.spec.name}-{port}",
            [sys.executable, "-m", slot.spec.module],
            env=env,
            log_file=self.data_dir / "logs" / f"{slot.spec.name}-{port}.log",
        )
        self.processes.add(process)
        process.start()
        running = RunningService(slot.spec, process, port, slot.database)
        return running

    def start_gateway(self) -> None:
        """Envoy with both ports of every service in its cluster, checking health every 0.25 s."""
        upstreams = tuple(
            UpstreamService(
                slot.spec.name,
                slot.spec.grpc_services,
                "127.0.0.1",
                slot.ports[0],
                extra_ports=slot.ports[1:],
            )
            for slot in self.slots.values()
        )
        config = GatewayConfig(
            upstreams=upstreams,
            descriptor_path=default_descriptor_path(),
            jwt=JwtConfig(issuer=DEV_ISSUER, audiences=(DEV_AUDIENCE,), jwks_file=str(self.keys.jwks_file)),
            listen_port=self.gateway_port,
            admin_port=self.admin_port,
            health_check_interval_seconds=HEALTH_CHECK_SECONDS,
            health_check_timeout_seconds=HEALTH_CHECK_TIMEOUT_SECONDS,
            rate_limit_tokens_per_second=100_000,
            rate_limit_burst=100_000,
        )
        path = self.data_dir / "envoy.yaml"
        path.write_text(render_yaml(config))
        envoy = envoy_process(path, log_file=self.data_dir / "logs" / "envoy.log")
        self.processes.add(envoy)
        envoy.start()
        wait_for_port("127.0.0.1", self.gateway_port, timeout=30)

    def host_stats(self, cluster: str, port: int) -> dict[str, object]:
        """Envoy's view of one endpoint: health flags and request counters (admin /clusters)."""
        url = f"http://127.0.0.1:{self.admin_port}/clusters?format=json"
        with urllib.request.urlopen(url, timeout=2) as response:
            statuses = json.load(response)["cluster_statuses"]
        [status] = [s for s in statuses if s["name"] == cluster]
        for host in status.get("host_statuses", []):
            if host["address"]["socket_address"]["port_value"] == port:
                stats = {s["name"]: int(s.get("value", 0)) for s in host.get("stats", [])}
                return {"health": host["health_status"], **stats}
        raise LookupError(f"{cluster} has no endpoint on port {port}")

    def wait_routed(self, cluster: str, port: int, *, healthy: bool, timeout: float = 30) -> None:
        """Block until Envoy's active health check sees the endpoint healthy (or not)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            health = self.host_stats(cluster, port)["health"]
            assert isinstance(health, dict)
            is_healthy = health.get("eds_health_status") == "HEALTHY" and not health.get(
                "failed_active_health_check"
            )
            if is_healthy == healthy:
                return
            time.sleep(0.05)
        raise TimeoutError(f"Envoy never saw {cluster}:{port} {'healthy' if healthy else 'unhealthy'}")


@pytest.fixture(scope="module")
def rollout(postgres: tuple[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rollout]:
    """Every service on its first port behind a real Envoy, each with its own migrated database."""
    admin_url, prefix = postgres
    stack = Rollout(tmp_path_factory.mktemp("rollout"), admin_url, f"{prefix}ro{uuid.uuid4().hex[:6]}")
    try:
        for slot in stack.slots.values():
            slot.current = stack.start_service(slot, slot.ports[0])
        for slot in stack.slots.values():
            assert slot.current is not None
            wait_serving(slot.current, timeout=60)
        stack.start_gateway()
        for slot in stack.slots.values():
            stack.wait_routed(slot.spec.name, slot.ports[0], healthy=True)
        yield stack
    finally:
        stack.processes.stop_all(grace=8)


def generate_load(base_url: str, keys: DevKeys, load: Load, stop: threading.Event) -> None:
    """Writes and reads of one tenant through REST until `stop`: create, get, list, in turn."""
    tenant = uuid.uuid4()
    token = keys.user_key.mint(
        issuer=DEV_ISSUER,
        audience=DEV_AUDIENCE,
        subject="rollout",
        tenant_id=str(tenant),
        roles=["client_admin"],
    )
    headers = {"authorization": f"Bearer {token}"}
    created: list[str] = []
    with httpx.Client(base_url=base_url, headers=headers, timeout=10) as client:
        for step in itertools.count():
            if stop.is_set():
                return
            kind = ("write", "get", "list")[step % 3]
            try:
                if kind == "write":
                    response = client.post("/v1/programs", json={"title": f"Rollout {step}"})
                    if response.status_code == 200:
                        created.append(response.json()["programId"])
                elif kind == "get" and created:
                    response = client.get(f"/v1/programs/{created[-1]}")
                else:
                    response = client.get("/v1/programs", params={"pageSize": 5})
            except httpx.HTTPError as exc:
                load.record(kind, None, repr(exc))
            else:
                load.record(kind, response)
            stop.wait(PACING_SECONDS)


def test_rolling_restart_under_load_fails_no_request(rollout: Rollout) -> None:
    load, stop = Load(), threading.Event()
    workers = [
        threading.Thread(
            target=generate_load, args=(rollout.gateway_url, rollout.keys, load, stop), daemon=True
        )
        for _ in range(LOAD_THREADS)
    ]
    started = time.monotonic()
    for worker in workers:
        worker.start()
    try:
        for round_number in range(ROUNDS):
            # Every service is replaced one process at a time; only the new processes' start-up (seconds of
            # imports) overlaps, as the Deployments of different services roll independently.
            old = {name: slot.current for name, slot in rollout.slots.items()}
            new_port = {name: slot.ports[(round_number + 1) % 2] for name, slot in rollout.slots.items()}
            for name, slot in rollout.slots.items():
                slot.current = rollout.start_service(slot, new_port[name])
            for name, slot in rollout.slots.items():
                previous, fresh = old[name], slot.current
                assert previous is not None
                assert fresh is not None
                wait_serving(fresh, timeout=60)
                rollout.wait_routed(name, new_port[name], healthy=True)
                previous.process.send_signal(15)  # SIGTERM, as the kubelet sends after preStop
                rollout.wait_routed(name, previous.grpc_port, healthy=False)
                exit_code = previous.process.wait(timeout=DRAIN_SECONDS + 30)
                assert exit_code == 0, f"old {name} process did not stop gracefully"
        while time.monotonic() - started < MIN_LOAD_SECONDS:
            time.sleep(0.1)
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=15)

    assert load.failures == [], f"{len(load.failures)} failed: {load.failures[:5]}"
    assert load.writes > 20
    assert load.reads > 40
    programs = rollout.slots["programs"]  # the service the REST load exercises: old and new process served it
    for port in programs.ports:
        assert int(str(rollout.host_stats("programs", port)["rq_success"])) > 0, f"port {port} served nothing"
