"""Typed gateway settings and the one template that renders them to an Envoy v3 bootstrap.

The same `GatewayConfig` renders the local config (STATIC clusters on 127.0.0.1, JWKS file) and the
Kubernetes config (STRICT_DNS clusters on headless Services, remote JWKS of the identity provider).
`render` is pure: it reads no files and no environment, so tests can assert on its output directly.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from aigym_gateway import clusters, listener, stats
from aigym_gateway.envoy_json import Json, typed

_CLUSTER_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
_GRPC_SERVICE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$")
_METHOD_PREFIX = re.compile(r"^[A-Z][A-Za-z0-9_]*$")
_HEADER_NAME = re.compile(r"^[a-z0-9!#$%&'*+.^_`|~-]+$")


def default_descriptor_path() -> str:
    """Return the path of the FileDescriptorSet shipped in this package (built by `make protos`)."""
    return str(Path(__file__).resolve().parent / "descriptors.binpb")


def _check_port(port: int, what: str) -> None:
    if not 0 < port < 65536:
        raise ValueError(f"{what} must be a TCP port (1-65535), got {port}")


@dataclass(frozen=True)
class UpstreamService:
    """One gRPC service process behind the gateway (one Envoy cluster)."""

    name: str  # "programs" -> cluster name
    grpc_services: tuple[str, ...]  # ("aigym.programs.v1.ProgramsService",)
    address: str  # "127.0.0.1" locally, "programs.aigym.svc.cluster.local" on k8s
    port: int
    read_method_prefixes: tuple[str, ...] = ("Get", "List", "BatchGet", "Search")  # retried on UNAVAILABLE
    # More ports of the same address, each its own endpoint: a second local process of the service (a
    # rolling restart on one machine, where two servers cannot share a port).
    extra_ports: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if not _CLUSTER_NAME.match(self.name) or self.name in clusters.RESERVED_NAMES:
            raise ValueError(
                f"upstream name {self.name!r} must be a short lower-case cluster name (not reserved)"
            )
        if not self.grpc_services:
            raise ValueError(f"upstream {self.name!r} names no gRPC service")
        for service in self.grpc_services:
            if not _GRPC_SERVICE.match(service):
                raise ValueError(f"{service!r} is not a fully qualified gRPC service name")
        for prefix in self.read_method_prefixes:
            if not _METHOD_PREFIX.match(prefix):
                raise ValueError(f"read method prefix {prefix!r} must be a capitalised method name prefix")
        if not self.address:
            raise ValueError(f"upstream {self.name!r} has no address")
        _check_port(self.port, f"port of upstream {self.name!r}")
        for port in self.extra_ports:
            _check_port(port, f"extra port of upstream {self.name!r}")
        if len(set(self.ports)) != len(self.ports):
            raise ValueError(f"upstream {self.name!r} lists a port twice: {self.ports}")

    @property
    def ports(self) -> tuple[int, ...]:
        """Every port of this upstream's address: `port` first, then `extra_ports`."""
        return (self.port, *self.extra_ports)


@dataclass(frozen=True)
class JwtConfig:
    """The identity provider whose tokens the gateway accepts (exactly one of jwks_file / jwks_uri)."""

    issuer: str
    audiences: tuple[str, ...]
    jwks_file: str | None = None  # local JWKS file (dev)
    jwks_uri: str | None = None  # remote JWKS (identity provider) -> remote_jwks with its own cluster, cached
    forward_payload_header: str | None = None
    jwks_cache_seconds: int = 300
    jwks_fetch_timeout_seconds: float = 5.0
    jwks_ca_file: str = "/etc/ssl/certs/ca-certificates.crt"  # trusted CAs for an https jwks_uri
    clock_skew_seconds: int = 30

    def __post_init__(self) -> None:
        if not self.issuer:
            raise ValueError("jwt issuer must not be empty")
        if not self.audiences or not all(self.audiences):
            raise ValueError("jwt audiences must name at least one audience")
        if (self.jwks_file is None) == (self.jwks_uri is None):
            raise ValueError("set exactly one of jwks_file and jwks_uri")
        if self.jwks_uri is not None:
            parts = urlsplit(self.jwks_uri)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"jwks_uri must be an http(s) URL, got {self.jwks_uri!r}")
        if self.forward_payload_header is not None and not _HEADER_NAME.match(self.forward_payload_header):
            raise ValueError(f"{self.forward_payload_header!r} is not a lower-case header name")
        if self.jwks_cache_seconds <= 0 or self.jwks_fetch_timeout_seconds <= 0:
            raise ValueError("jwks cache and fetch timeout must be positive")


@dataclass(frozen=True)
class GatewayConfig:
    """Everything that differs between gateway deployments; the rest of the config is fixed policy."""

    upstreams: tuple[UpstreamService, ...]
    descriptor_path: str  # FileDescriptorSet built with --include_imports (incl. google/rpc/error_details)
    jwt: JwtConfig
    listen_address: str = "127.0.0.1"
    listen_port: int = 8080
    admin_address: str = "127.0.0.1"
    admin_port: int = 9901
    dns_discovery: bool = False  # True -> STRICT_DNS clusters (k8s headless Services), False -> STATIC
    cors_allowed_origins: tuple[str, ...] = ("http://localhost:3000",)
    rate_limit_tokens_per_second: int = 5000  # a gateway-wide safety valve, not a per-client quota
    rate_limit_burst: int = 10000
    request_timeout_seconds: float = 15.0
    max_request_bytes: int = 1_048_576
    public_path_prefixes: tuple[str, ...] = ()  # REST paths that need no token (e.g. "/v1/feeds/")
    stripped_identity_headers: tuple[str, ...] = (
        "x-tenant-id",
        "x-user-id",
        "x-user-roles",
        "x-aigym-identity",
    )
    # Additions (defaults keep the behaviour the interface describes).
    cors_allowed_headers: tuple[str, ...] = (
        "authorization",
        "content-type",
        "x-request-id",
        "x-aigym-tenant",
        "grpc-timeout",
    )
    connect_timeout_seconds: float = 1.0
    health_check_interval_seconds: float = 5.0
    health_check_timeout_seconds: float = 1.0
    upstream_keepalive_interval_seconds: float = 30.0  # HTTP/2 PING to services; they must permit it
    upstream_keepalive_timeout_seconds: float = 10.0
    read_retries: int = 2
    healthz_min_healthy_percent: float = 100.0  # per upstream cluster, for GET /healthz to answer 200
    max_downstream_connections: int = 10_000
    stats_port: int | None = None  # a listener serving only GET /stats/prometheus (admin stays on loopback)
    node_id: str = "aigym-gateway"

    def __post_init__(self) -> None:
        if not self.upstreams:
            raise ValueError("the gateway needs at least one upstream")
        names = [upstream.name for upstream in self.upstreams]
        if len(set(names)) != len(names):
            raise ValueError(f"upstream names must be unique: {names}")
        services = [service for upstream in self.upstreams for service in upstream.grpc_services]
        if len(set(services)) != len(services):
            raise ValueError(f"a gRPC service is served by two upstreams: {services}")
        if not self.descriptor_path:
            raise ValueError("descriptor_path must not be empty")
        _check_port(self.listen_port, "listen_port")
        _check_port(self.admin_port, "admin_port")
        if self.stats_port is not None:
            _check_port(self.stats_port, "stats_port")
            if self.stats_port in (self.listen_port, self.admin_port):
                raise ValueError("stats_port must differ from listen_port and admin_port")
        for address in (self.listen_address, self.admin_address):
            _require_ip(address, "listen and admin addresses")
        if not self.dns_discovery:
            for upstream in self.upstreams:
                _require_ip(upstream.address, f"address of upstream {upstream.name!r} (STATIC cluster)")
        if (
            self.rate_limit_tokens_per_second <= 0
            or self.rate_limit_burst < self.rate_limit_tokens_per_second
        ):
            raise ValueError("rate limit needs tokens_per_second > 0 and burst >= tokens_per_second")
        if self.request_timeout_seconds <= 0 or self.max_request_bytes <= 0:
            raise ValueError("request timeout and max request bytes must be positive")
        for prefix in self.public_path_prefixes:
            if not prefix.startswith("/") or prefix == "/":
                raise ValueError(f"public path prefix {prefix!r} must start with '/' and not be '/' itself")
        for header in (*self.stripped_identity_headers, *self.cors_allowed_headers):
            if not _HEADER_NAME.match(header):
                raise ValueError(f"{header!r} is not a lower-case header name")
        if self.read_retries < 0:
            raise ValueError("read_retries must not be negative")
        if not 0.0 <= self.healthz_min_healthy_percent <= 100.0:
            raise ValueError("healthz_min_healthy_percent must be between 0 and 100")


def _require_ip(address: str, what: str) -> None:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        raise ValueError(f"{what} must be an IP address, got {address!r}") from None


def render(cfg: GatewayConfig) -> Json:
    """Render the Envoy v3 bootstrap (a plain dict ready for YAML or JSON) for one gateway deployment."""
    return {
        "node": {"id": cfg.node_id, "cluster": cfg.node_id},
        "admin": {
            "address": {"socket_address": {"address": cfg.admin_address, "port_value": cfg.admin_port}},
        },
        "static_resources": {
            "listeners": [listener.ingress_listener(cfg)]
            + ([stats.stats_listener(cfg, cfg.stats_port)] if cfg.stats_port is not None else []),
            "clusters": clusters.all_clusters(cfg)
            + ([stats.stats_cluster(cfg)] if cfg.stats_port is not None else []),
        },
        "overload_manager": {
            "resource_monitors": [
                {
                    "name": "envoy.resource_monitors.global_downstream_max_connections",
                    "typed_config": typed(
                        "envoy.extensions.resource_monitors.downstream_connections.v3.DownstreamConnectionsConfig",
                        max_active_downstream_connections=cfg.max_downstream_connections,
                    ),
                }
            ]
        },
    }


def render_yaml(cfg: GatewayConfig) -> str:
    """Render the bootstrap as YAML text (keys in template order, no anchors) for `envoy -c`."""
    # The JSON round trip gives every shared sub-dict its own copy, so PyYAML writes no &id/*id aliases.
    plain = json.loads(json.dumps(render(cfg)))
    text: str = yaml.safe_dump(plain, sort_keys=False, default_flow_style=False, width=120)
    return text
