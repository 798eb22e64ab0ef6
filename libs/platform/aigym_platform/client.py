"""Outgoing gRPC calls between services: identity and the remaining deadline travel with every call."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import grpc

from aigym_platform.identity import TenantId, current_identity_var, deadline_var, request_id_var
from aigym_platform.interceptors import ACT_AS_TENANT_HEADER
from aigym_platform.tokens import SigningKey, mint_service_token

TokenSupplier = Callable[[], str | None]

# Per-request load balancing over a headless Service's pod IPs (`dns:///name:port` targets).
CHANNEL_OPTIONS: tuple[tuple[str, Any], ...] = (
    ("grpc.lb_policy_name", "round_robin"),
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.keepalive_permit_without_calls", 1),
)


class PropagatingClientInterceptor(grpc.aio.UnaryUnaryClientInterceptor):
    """Adds the caller's bearer token, request id and remaining deadline to each outgoing unary call."""

    def __init__(self, token_supplier: TokenSupplier | None = None) -> None:
        self._token_supplier = token_supplier

    async def intercept_unary_unary(
        self, continuation: Callable[..., Any], client_call_details: grpc.aio.ClientCallDetails, request: Any
    ) -> Any:
        """Rewrite the call details, then continue."""
        metadata = grpc.aio.Metadata(*(client_call_details.metadata or ()))
        identity = current_identity_var.get()
        token = self._token_supplier() if self._token_supplier else (identity.token if identity else None)
        if token and not _has(metadata, "authorization"):
            metadata["authorization"] = f"Bearer {token}"
        if (
            identity
            and identity.real_user_id == identity.user_id
            and not _has(metadata, ACT_AS_TENANT_HEADER)
        ):
            metadata[ACT_AS_TENANT_HEADER] = str(identity.tenant_id)  # a platform admin acting in a tenant
        if request_id_var.get() and not _has(metadata, "x-request-id"):
            metadata["x-request-id"] = request_id_var.get()
        details = grpc.aio.ClientCallDetails(
            client_call_details.method,
            remaining_timeout(client_call_details.timeout),
            metadata,
            client_call_details.credentials,
            client_call_details.wait_for_ready,
        )
        return await continuation(details, request)


def _has(metadata: grpc.aio.Metadata, key: str) -> bool:
    return any(name == key for name, _ in metadata)


def remaining_timeout(explicit: float | None) -> float | None:
    """The smaller of an explicit timeout and what is left of the current call's deadline."""
    deadline = deadline_var.get()
    if deadline is None:
        return explicit
    left = max(deadline - time.monotonic(), 0.0)
    return left if explicit is None else min(explicit, left)


class ServiceTokens:
    """Short-lived service tokens per tenant for jobs and service calls, cached until near expiry."""

    REFRESH_BEFORE_SECONDS = 60
    TTL_SECONDS = 300

    def __init__(self, key: SigningKey, *, issuer: str, audience: str, service: str) -> None:
        self._key, self._issuer, self._audience, self._service = key, issuer, audience, service
        self._cache: dict[tuple[TenantId, str | None], tuple[str, float]] = {}
        self._lock = threading.Lock()

    def token_for(self, tenant_id: TenantId, act_for: str | None = None) -> str:
        """A valid token naming `tenant_id` (and the user the job acts for, if any)."""
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get((tenant_id, act_for))
            if cached and cached[1] - self.REFRESH_BEFORE_SECONDS > now:
                return cached[0]
            token = mint_service_token(
                self._key,
                issuer=self._issuer,
                audience=self._audience,
                service=self._service,
                tenant_id=tenant_id,
                act_for=act_for,
            )
            self._cache[(tenant_id, act_for)] = (token, now + self.TTL_SECONDS)
            return token


def service_channel(target: str, *, token_supplier: TokenSupplier | None = None) -> grpc.aio.Channel:
    """An aio channel to another service (`dns:///programs:50051` on Kubernetes) that propagates identity."""
    return grpc.aio.insecure_channel(
        target, options=CHANNEL_OPTIONS, interceptors=[PropagatingClientInterceptor(token_supplier)]
    )
