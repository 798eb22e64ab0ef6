"""The whole suite on one machine (PostgreSQL, Redis, services, Envoy) for `make run` and e2e tests."""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from aigym_platform.devstack.keys import DEV_AUDIENCE, DEV_ISSUER, DevKeys, ensure_dev_keys
from aigym_platform.devstack.ports import free_port
from aigym_platform.devstack.processes import ManagedProcess, ProcessGroup
from aigym_platform.devstack.services import SERVICES, ServiceSpec, target_variable
from aigym_platform.migrations import upgrade
from aigym_platform.provisioning import ServiceDatabase, provision

log = logging.getLogger(__name__)


@dataclass
class StackOptions:
    """Where the stack keeps its data and which ports it uses; empty URLs mean "run it embedded"."""

    data_dir: Path
    gateway_port: int = 8080
    gateway_admin_port: int = 9901
    postgres_port: int = 55432
    redis_port: int = 56379
    database_url: str = ""
    redis_url: str = ""
    smtp_port: int = 0  # the local SMTP sink's port; 0 picks a free one
    smtp_url: str = ""  # an external SMTP server instead of the sink
    database_prefix: str = "aigym"
    service_ports: dict[str, tuple[int, int]] = field(default_factory=dict)  # name -> (grpc, metrics)
    durable: bool = True
    postgres_settings: dict[str, str] = field(default_factory=dict)  # extra server parameters (embedded only)
    prefix_output: bool = True
    log_format: str = "text"
    # Server processes per service, each on its own port behind Envoy's round robin (as pods behind a
    # headless Service): one Python server process uses at most one core; several use more of a machine.
    replicas: int = 1
    service_replicas: dict[str, int] = field(default_factory=dict)  # per-service override of `replicas`


@dataclass
class RunningService:
    """A started service process and where it listens."""

    spec: ServiceSpec
    process: ManagedProcess
    grpc_port: int
    database: ServiceDatabase
    metrics_port: int = 0
    # Further processes of the same service (`StackOptions.replicas` - 1), each with its own port.
    replicas: list[RunningService] = field(default_factory=list)

    @property
    def extra_ports(self) -> tuple[int, ...]:
        """The gRPC ports of the further replicas (the gateway balances over all ports)."""
        return tuple(replica.grpc_port for replica in self.replicas)


class DevStack:
    """Starts and stops everything in dependency order; `stop` is safe to call at any point."""

    def __init__(self, options: StackOptions) -> None:
        self.options = options
        self.data_dir = options.data_dir.resolve()
        self.logs_dir = self.data_dir / "logs"
        self.processes = ProcessGroup()
        self.services: dict[str, RunningService] = {}
        self.keys: DevKeys | None = None
        self.admin_url = options.database_url
        self.redis_url = options.redis_url
        self.smtp_url = options.smtp_url
        self.smtp_sink: ManagedProcess | None = None
        self._postgres: object | None = None
        self._redis: object | None = None
        self.envoy: ManagedProcess | None = None

    @property
    def gateway_url(self) -> str:
        """Base URL of the REST gateway."""
        return f"http://127.0.0.1:{self.options.gateway_port}"

    def start(self) -> None:
        """Bring up infrastructure, migrate, start services and the gateway; wait until all are ready."""
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        self.keys = ensure_dev_keys(self.data_dir / "keys")
        self._start_infrastructure()
        databases = asyncio.run(self._provision_all())
        for spec in SERVICES:
            self._start_service(spec, databases[spec.name])
        for running in self.services.values():
            # Generous: on a loaded 2-core machine six Python servers importing at once take minutes.
            for process in (running, *running.replicas):
                wait_serving(process, timeout=180)
        self._start_event_runtime(databases)
        self._start_gateway()

    def stop(self, grace: float = 8.0) -> None:
        """Stop the gateway and services (SIGTERM, then SIGKILL after grace), then Redis and PostgreSQL."""
        self.processes.stop_all(grace)
        for server in (self._redis, self._postgres):
            if server is not None:
                server.stop()  # type: ignore[attr-defined]
        self._redis = self._postgres = None

    def _start_infrastructure(self) -> None:
        from aigym_platform.devstack.postgres import EmbeddedPostgres
        from aigym_platform.devstack.redis import EmbeddedRedis

        if not self.admin_url:
            postgres = EmbeddedPostgres(
                self.data_dir / "postgres",
                self.options.postgres_port,
                durable=self.options.durable,
                log_file=self.logs_dir / "postgres.log",
                settings=self.options.postgres_settings,
            )
            self._postgres = postgres
            postgres.start()
            self.admin_url = postgres.admin_url
            log.info("embedded PostgreSQL on 127.0.0.1:%s", self.options.postgres_port)
        if not self.redis_url:
            redis = EmbeddedRedis(
                self.data_dir / "redis", self.options.redis_port, log_file=self.logs_dir / "redis.log"
            )
            self._redis = redis
            redis.start()
            self.redis_url = redis.url
            log.info("embedded Redis on 127.0.0.1:%s", self.options.redis_port)
        if not self.smtp_url:
            self._start_smtp_sink()

    def _start_smtp_sink(self) -> None:
        """The local SMTP sink: every email the services send lands in <data dir>/mail as an .eml file."""
        from aigym_platform.devstack.ports import free_port, wait_for_port
        from aigym_platform.devstack.smtpsink import sink_argv

        port = self.options.smtp_port or free_port()
        mail_dir = self.data_dir / "mail"
        self.smtp_sink = ManagedProcess(
            "smtp-sink",
            sink_argv(mail_dir, port),
            log_file=self.logs_dir / "smtp-sink.log",
        )
        self.processes.add(self.smtp_sink)
        self.smtp_sink.start()
        wait_for_port("127.0.0.1", port, timeout=30)
        self.smtp_url = f"smtp://127.0.0.1:{port}"
        log.info("SMTP sink on 127.0.0.1:%s (messages in %s)", port, mail_dir)

    async def _provision_all(self) -> dict[str, ServiceDatabase]:
        databases = {}
        for spec in SERVICES:
            db = await provision(self.admin_url, spec.name, prefix=self.options.database_prefix)
            await asyncio.to_thread(upgrade, spec.migrations_dir, db.owner_url, db.app_role)
            databases[spec.name] = db
            log.info("database %s migrated", db.database)
        return databases

    def service_env(
        self, spec: ServiceSpec, db: ServiceDatabase, grpc_port: int, metrics_port: int
    ) -> dict[str, str]:
        """The AIGYM_* environment a service process gets from the stack."""
        assert self.keys is not None
        env = {
            "AIGYM_SERVICE_NAME": spec.name,
            "AIGYM_ENVIRONMENT": "dev",
            "AIGYM_GRPC_HOST": "127.0.0.1",
            "AIGYM_GRPC_PORT": str(grpc_port),
            "AIGYM_METRICS_PORT": str(metrics_port),
            "AIGYM_DATABASE_URL": db.app_url,
            "AIGYM_MIGRATION_DATABASE_URL": db.owner_url,
            "AIGYM_REDIS_URL": self.redis_url,
            "AIGYM_JWT_ISSUER": DEV_ISSUER,
            "AIGYM_JWT_AUDIENCE": DEV_AUDIENCE,
            "AIGYM_JWKS_FILE": str(self.keys.jwks_file),
            "AIGYM_SERVICE_JWKS_FILE": str(self.keys.service_jwks_file),
            "AIGYM_SERVICE_SIGNING_KEY_FILE": str(self.keys.service_key_file),
            "AIGYM_LOG_FORMAT": self.options.log_format,
            "AIGYM_PUBLIC_BASE_URL": f"http://127.0.0.1:{self.options.gateway_port}",
            # Local webhook receivers (tests, a developer's `nc -l`) live on loopback.
            "AIGYM_WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "true",
        }
        if self.smtp_url:
            env["AIGYM_SMTP_URL"] = self.smtp_url
        specs = {s.name: s for s in SERVICES}
        for callee in spec.calls:
            port = self.options.service_ports.get(callee, (specs[callee].grpc_port, 0))[0]
            env[target_variable(callee)] = f"127.0.0.1:{port}"
        return env

    def _start_service(self, spec: ServiceSpec, db: ServiceDatabase) -> RunningService:
        grpc_port, metrics_port = self.options.service_ports.get(
            spec.name, (spec.grpc_port, spec.metrics_port)
        )
        running = self._start_server_process(spec, db, spec.name, grpc_port, metrics_port)
        for index in range(1, max(self.options.service_replicas.get(spec.name, self.options.replicas), 1)):
            running.replicas.append(
                self._start_server_process(
                    spec, db, f"{spec.name}-{index + 1}", free_port(), free_port() if metrics_port else 0
                )
            )
        self.services[spec.name] = running
        return running

    def _start_server_process(
        self, spec: ServiceSpec, db: ServiceDatabase, name: str, grpc_port: int, metrics_port: int
    ) -> RunningService:
        process = ManagedProcess(
            name,
            [sys.executable, "-m", spec.module],
            env=self.service_env(spec, db, grpc_port, metrics_port),
            log_file=None if self.options.prefix_output else self.logs_dir / f"{name}.log",
            prefix_output=self.options.prefix_output,
        )
        self.processes.add(process)
        process.start()
        return RunningService(spec, process, grpc_port, db, metrics_port)

    def _start_event_runtime(self, databases: dict[str, ServiceDatabase]) -> None:
        """Start the outbox relays, Celery workers and the beat the event registry calls for."""
        from aigym_platform.devstack.eventruntime import event_runtime
        from aigym_platform.events.registry import REGISTRY

        specs = {spec.name: spec for spec in SERVICES}
        for item in event_runtime(SERVICES, REGISTRY):
            spec = specs[item.service]
            env = {**self.service_env(spec, databases[spec.name], 0, 0), "AIGYM_SERVICE_NAME": item.service}
            process = ManagedProcess(
                item.name,
                item.argv,
                env=env,
                log_file=None if self.options.prefix_output else self.logs_dir / f"{item.name}.log",
                prefix_output=self.options.prefix_output,
            )
            self.processes.add(process)
            process.start()
            log.info("started %s", item.name)

    def restart_service(self, name: str, grace: float = 8.0, *, replica: int = 0) -> RunningService:
        """Stop one process of a service (its first, or replica number `replica`) and start it again on
        the same port, as a replaced pod; the rest of the stack keeps running. Returns the new process."""
        running = self.services[name]
        old = running if replica == 0 else running.replicas[replica - 1]
        old.process.terminate(grace)
        fresh = self._start_server_process(
            running.spec, running.database, old.process.name, old.grpc_port, old.metrics_port
        )
        if replica == 0:
            fresh.replicas = running.replicas
            self.services[name] = fresh
        else:
            running.replicas[replica - 1] = fresh
        wait_serving(fresh, timeout=60)
        return fresh

    def _start_gateway(self) -> None:
        from aigym_gateway.config import GatewayConfig, JwtConfig, UpstreamService, render_yaml
        from aigym_platform.devstack.envoy import envoy_process
        from aigym_platform.devstack.ports import wait_for_port

        assert self.keys is not None
        import aigym_gateway

        descriptor = Path(aigym_gateway.__file__).parent / "descriptors.binpb"
        config = GatewayConfig(
            upstreams=tuple(
                UpstreamService(
                    r.spec.name, r.spec.grpc_services, "127.0.0.1", r.grpc_port, extra_ports=r.extra_ports
                )
                for r in self.services.values()
            ),
            descriptor_path=str(descriptor),
            jwt=JwtConfig(issuer=DEV_ISSUER, audiences=(DEV_AUDIENCE,), jwks_file=str(self.keys.jwks_file)),
            listen_port=self.options.gateway_port,
            admin_port=self.options.gateway_admin_port,
            public_path_prefixes=tuple(
                prefix for r in self.services.values() for prefix in r.spec.public_path_prefixes
            ),
        )
        path = self.data_dir / "envoy.yaml"
        path.write_text(render_yaml(config))
        self.envoy = envoy_process(path, log_file=self.logs_dir / "envoy.log")
        self.processes.add(self.envoy)
        self.envoy.start()
        wait_for_port("127.0.0.1", self.options.gateway_port, timeout=30)
        wait_gateway_healthy(self.gateway_url, timeout=30)


def wait_serving(running: RunningService, timeout: float) -> None:
    """Block until the service's gRPC health check answers SERVING (fail fast if the process died)."""
    deadline = time.monotonic() + timeout
    address = f"127.0.0.1:{running.grpc_port}"
    with grpc.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            if not running.process.is_running():
                raise RuntimeError(
                    f"{running.spec.name} exited with {running.process.returncode} during start-up"
                )
            try:
                reply = stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=3)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass
            time.sleep(0.1)
    raise TimeoutError(f"{running.spec.name} not SERVING on {address} after {timeout}s")


def wait_gateway_healthy(base_url: str, timeout: float) -> None:
    """Block until GET /healthz answers 200 (every upstream healthy as Envoy sees it)."""
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=1) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise TimeoutError(f"gateway {base_url}/healthz not 200 after {timeout}s")
