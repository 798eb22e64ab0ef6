"""gRPC server bootstrap shared by every service: health, reflection, interceptors, graceful SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from aigym_platform.heap import settle_heap
from aigym_platform.interceptors import PlatformServerInterceptor
from aigym_platform.settings import ServiceSettings
from aigym_platform.tokens import TokenVerifier

log = logging.getLogger(__name__)

# Envoy pings upstream connections; allow it (defaults answer frequent pings with GOAWAY too_many_pings).
KEEPALIVE_OPTIONS: tuple[tuple[str, int], ...] = (
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.min_ping_interval_without_data_ms", 5_000),
    ("grpc.http2.max_ping_strikes", 0),
    ("grpc.keepalive_time_ms", 60_000),
    ("grpc.keepalive_timeout_ms", 20_000),
)


# After refusing new calls, how long no call may arrive before the server is closed for good.
QUIET_SECONDS = 0.1


@dataclass(frozen=True)
class Registration:
    """One gRPC service to serve: its full name, servicer and generated `add_*_to_server` function."""

    full_name: str
    servicer: object
    add_to_server: Callable[[Any, grpc.aio.Server], None]


class GrpcServer:
    """An aio server with the platform interceptor, health and reflection; stops gracefully on SIGTERM."""

    def __init__(
        self,
        settings: ServiceSettings,
        verifier: TokenVerifier,
        registrations: Sequence[Registration],
        *,
        public_methods: Collection[str] = (),
    ) -> None:
        self._settings = settings
        self._registrations = registrations
        self.health = health.aio.HealthServicer()
        options = [
            ("grpc.so_reuseport", 0),
            ("grpc.max_receive_message_length", settings.max_message_bytes),
            ("grpc.max_send_message_length", settings.max_message_bytes),
            *KEEPALIVE_OPTIONS,
        ]
        self._interceptor = interceptor = PlatformServerInterceptor(
            verifier,
            default_deadline_seconds=settings.default_deadline_seconds,
            public_methods=public_methods,
        )
        self.server = grpc.aio.server(interceptors=[interceptor], options=options)
        self.port = 0
        self._stopping: asyncio.Event | None = None

    async def start(self) -> int:
        """Bind, register services, mark them SERVING; return the bound port (useful with port 0)."""
        for registration in self._registrations:
            registration.add_to_server(registration.servicer, self.server)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        names = [r.full_name for r in self._registrations]
        reflection.enable_server_reflection(
            [*names, health.SERVICE_NAME, reflection.SERVICE_NAME], self.server
        )
        address = f"{self._settings.grpc_host}:{self._settings.grpc_port}"
        self.port = self.server.add_insecure_port(address)
        if self.port == 0:
            raise RuntimeError(f"could not bind {address}")
        await self.server.start()
        if frozen := settle_heap(self._settings.gc_freeze):
            log.info("froze %d startup objects out of the garbage collector's reach", frozen)
        for name in ["", *names]:
            await self.health.set(name, health_pb2.HealthCheckResponse.SERVING)
        log.info("serving %s on %s:%s", ", ".join(names), self._settings.grpc_host, self.port)
        return self.port

    async def stop(self, grace: float | None = None, *, drain: float = 0.0) -> None:
        """Graceful stop in three steps: report NOT_SERVING and keep serving `drain` seconds (load balancers
        move away); then answer new calls UNAVAILABLE (retryable) while in-flight calls finish; then close
        the server, cancelling whatever is still running after `grace` seconds in total."""
        await self.health.enter_graceful_shutdown()
        if drain > 0:
            log.info("draining for %.1fs before refusing new calls", drain)
            await asyncio.sleep(drain)
        grace = self._settings.shutdown_grace_seconds if grace is None else grace
        started = asyncio.get_running_loop().time()
        admission = self._interceptor.admission
        admission.closing = True
        if not await admission.wait_quiet(QUIET_SECONDS, grace):
            log.warning("%s calls still running after %.1fs grace", admission.in_flight, grace)
        remaining = max(grace - (asyncio.get_running_loop().time() - started), 0.0)
        await self.server.stop(remaining)
        log.info("server stopped")

    async def serve_until_signalled(self) -> None:
        """Run until SIGTERM/SIGINT, then stop gracefully."""
        loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._stopping.set)
        await self._stopping.wait()
        log.info("shutdown signal received; draining")
        await self.stop(drain=self._settings.shutdown_drain_seconds)
