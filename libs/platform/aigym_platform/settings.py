"""Typed settings read from `AIGYM_*` environment variables (one object per process, built in bootstrap)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Settings every service process shares; a service subclasses it to add its own."""

    model_config = SettingsConfigDict(env_prefix="AIGYM_", extra="ignore")

    service_name: str = Field(default="service", description="Short service name (programs, progress, ...)")
    environment: Literal["dev", "test", "prod"] = Field(default="dev", description="Deployment environment")
    grpc_host: str = Field(default="127.0.0.1", description="Address the gRPC server binds")
    grpc_port: int = Field(default=50051, description="gRPC port (0 picks a free one)")
    metrics_port: int = Field(
        default=0, description="Prometheus /metrics port (0 disables the HTTP exporter)"
    )
    max_message_bytes: int = Field(default=4 * 1024 * 1024, description="Largest gRPC message accepted")
    shutdown_grace_seconds: float = Field(default=10.0, description="In-flight grace after SIGTERM")
    shutdown_drain_seconds: float = Field(
        default=0.0,
        description="After SIGTERM, keep serving while reporting NOT_SERVING for this long so load balancers "
        "stop routing here first (Kubernetes uses a preStop sleep instead)",
    )
    default_deadline_seconds: float = Field(
        default=15.0, description="Deadline applied when a call carries none (REST without timeout header)"
    )
    log_format: Literal["json", "text"] = Field(
        default="json", description="json in production, text locally"
    )
    log_level: str = Field(default="INFO", description="Root log level")
    gc_freeze: bool = Field(
        default=True,
        description="Once serving, move every object startup built out of the cyclic garbage collector's "
        "reach (gc.freeze): a full collection then walks only newer objects and stalls the event loop for "
        "well under a millisecond instead of tens (aigym_python_gc_pause_seconds shows the pauses)",
    )

    database_url: SecretStr = Field(
        default=SecretStr(""), description="Runtime URL (app role, no BYPASSRLS) of this service's database"
    )
    migration_database_url: SecretStr = Field(
        default=SecretStr(""), description="URL of the owner role that runs migrations"
    )
    db_pool_size: int = Field(default=10, description="SQLAlchemy pool size per process")
    db_max_overflow: int = Field(default=10, description="Extra connections allowed above the pool size")
    db_session_scopes: bool = Field(
        default=False,
        description="Opt-in: read units keep the tenant scope at session level on pooled connections (one "
        "round trip per read instead of three; a departure from the transaction-local-scope rule, never "
        "behind a transaction-mode connection pooler)",
    )

    redis_url: SecretStr = Field(
        default=SecretStr(""), description="Redis URL: Celery broker, RedBeat schedule/lock, event receipts"
    )
    celery_pool: Literal["threads", "prefork", "solo"] = Field(
        default="threads", description="Celery worker pool (threads: one process, one event loop, one engine)"
    )
    celery_concurrency: int = Field(default=8, description="Tasks one worker process runs at once")
    celery_visibility_timeout_seconds: int = Field(
        default=3600,
        description="Redis broker visibility timeout: an unacknowledged message is redelivered after this "
        "long; must exceed the longest task runtime plus the longest retry countdown",
    )
    beat_max_loop_interval_seconds: float = Field(
        default=5.0, description="Longest beat sleep between ticks (each tick renews the beat lock)"
    )
    beat_lock_timeout_seconds: int = Field(
        default=30, description="RedBeat lock TTL: a dead beat's successor takes over after at most this long"
    )
    beat_key_prefix: str = Field(default="aigym:beat", description="Redis key prefix of RedBeat's schedule")
    relay_batch_size: int = Field(default=500, description="Outbox rows the relay publishes per batch")
    relay_poll_seconds: float = Field(
        default=1.0, description="Outbox polling interval when no NOTIFY arrives (fallback)"
    )
    relay_gather_seconds: float = Field(
        default=0.025,
        ge=0.0,
        description="After a NOTIFY the relay waits this long for more commits, so one batch carries them "
        "all (claim, receipts and mark once per batch instead of once per row)",
    )
    event_redeliver_after_seconds: float = Field(
        default=30.0,
        description="A delivery no consumer has confirmed after this long is published again (end-to-end "
        "acknowledgement; covers messages a killed worker or broker lost)",
    )
    outbox_retention_hours: float = Field(
        default=168.0, description="How long sent outbox rows are kept (redelivery needs them)"
    )
    event_max_retries: int = Field(
        default=8, description="Retries of a failing event handler before dead-letter"
    )
    event_retry_backoff_seconds: float = Field(
        default=1.0, description="First retry delay; doubles each retry, with full jitter"
    )
    event_retry_backoff_max_seconds: float = Field(default=300.0, description="Longest retry delay")

    jwt_issuer: str = Field(default="aigym-dev", description="Expected `iss` of user tokens")
    jwt_audience: str = Field(default="aigym", description="Expected `aud` of every token")
    jwks_file: str = Field(default="", description="Path of a JWKS file with the identity provider's keys")
    jwks_url: str = Field(default="", description="URL of the identity provider's JWKS (cached)")
    jwks_cache_seconds: int = Field(default=300, description="How long fetched JWKS keys are cached")
    claim_tenant: str = Field(default="tenant_id", description="Claim holding the tenant UUID")
    claim_user: str = Field(default="sub", description="Claim holding the user id")
    claim_roles: str = Field(default="roles", description="Claim holding the list of roles")
    service_token_issuer: str = Field(default="aigym-internal", description="`iss` of service tokens")
    service_signing_key_file: str = Field(
        default="", description="PEM private key that mints service tokens (jobs, service-to-service)"
    )
    service_jwks_file: str = Field(default="", description="JWKS with the public keys of service tokens")
