"""Envoy clusters: one HTTP/2, gRPC-health-checked cluster per service, plus the identity provider's JWKS."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from aigym_gateway.envoy_json import Json, duration, socket_address, typed

if TYPE_CHECKING:
    from aigym_gateway.config import GatewayConfig, JwtConfig, UpstreamService

JWKS_CLUSTER = "jwks_idp"
UNROUTED_CLUSTER = "unrouted"
RETRY_BUDGET_PERCENT = 25.0  # of the cluster's active requests that may be retries at once
MIN_RETRY_CONCURRENCY = 32  # ... but never fewer than this many concurrent retries
RESERVED_NAMES = (JWKS_CLUSTER, UNROUTED_CLUSTER, "envoy_admin")  # envoy_admin: stats.STATS_CLUSTER


def all_clusters(cfg: GatewayConfig) -> list[Json]:
    """Return every cluster of the bootstrap: the upstream services, then the JWKS cluster when remote."""
    result = [upstream_cluster(cfg, upstream) for upstream in cfg.upstreams]
    result.append(unrouted_cluster())
    if cfg.jwt.jwks_uri is not None:
        result.append(jwks_cluster(cfg.jwt))
    return result


def upstream_cluster(cfg: GatewayConfig, upstream: UpstreamService) -> Json:
    """Return one service's cluster: HTTP/2 with keepalive, round robin, active gRPC health checks."""
    cluster: Json = {
        "name": upstream.name,
        # STRICT_DNS resolves every A record of a headless Service, so each pod is its own endpoint,
        # load balanced and health-checked on its own.
        "type": "STRICT_DNS" if cfg.dns_discovery else "STATIC",
        "connect_timeout": duration(cfg.connect_timeout_seconds),
        "lb_policy": "ROUND_ROBIN",
        "typed_extension_protocol_options": {
            "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": typed(
                "envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
                explicit_http_config={
                    "http2_protocol_options": {
                        # PINGs find half-open connections (pod killed without FIN) before a request does.
                        "connection_keepalive": {
                            "interval": duration(cfg.upstream_keepalive_interval_seconds),
                            "timeout": duration(cfg.upstream_keepalive_timeout_seconds),
                        },
                    },
                },
            ),
        },
        "load_assignment": {
            "cluster_name": upstream.name,
            "endpoints": [
                {
                    "lb_endpoints": [
                        {"endpoint": {"address": socket_address(upstream.address, port)}}
                        for port in upstream.ports
                    ]
                }
            ],
        },
        # Envoy's default allows 3 concurrent retries per cluster: when a pod dies under load, more reads
        # than that fail at once and the overflow reached clients as 503. A budget scales with traffic.
        "circuit_breakers": {
            "thresholds": [
                {
                    "priority": "DEFAULT",
                    "retry_budget": {
                        "budget_percent": {"value": RETRY_BUDGET_PERCENT},
                        "min_retry_concurrency": MIN_RETRY_CONCURRENCY,
                    },
                }
            ]
        },
        "health_checks": [
            {
                "timeout": duration(cfg.health_check_timeout_seconds),
                "interval": duration(cfg.health_check_interval_seconds),
                # Without traffic Envoy would otherwise check only every 60 s, leaving /healthz stale.
                "no_traffic_interval": duration(cfg.health_check_interval_seconds),
                "unhealthy_threshold": 2,
                "healthy_threshold": 1,
                "grpc_health_check": {"service_name": ""},
            }
        ],
    }
    if cfg.dns_discovery:
        # Re-resolved every 5 s (Envoy's default), so new pods join quickly; the Cluster-level refresh
        # options are deprecated in 1.40 in favour of the DNS cluster extension, whose defaults suffice.
        cluster["dns_lookup_family"] = "V4_PREFERRED"
    return cluster


def unrouted_cluster() -> Json:
    """Return the endpoint-less cluster of the REST catch-all route; a request reaching it gets 503."""
    return {
        "name": UNROUTED_CLUSTER,
        "type": "STATIC",
        "connect_timeout": "1s",
        "load_assignment": {"cluster_name": UNROUTED_CLUSTER, "endpoints": []},
    }


def jwks_cluster(jwt: JwtConfig) -> Json:
    """Return the cluster that fetches the identity provider's JWKS (TLS with SNI for https URLs)."""
    if jwt.jwks_uri is None:
        raise ValueError("jwks_cluster needs a remote jwks_uri")
    parts = urlsplit(jwt.jwks_uri)
    host = parts.hostname or ""
    secure = parts.scheme == "https"
    port = parts.port or (443 if secure else 80)
    cluster: Json = {
        "name": JWKS_CLUSTER,
        # One external name, possibly with many rotating addresses: LOGICAL_DNS keeps one connection target.
        "type": "LOGICAL_DNS",
        "dns_lookup_family": "V4_PREFERRED",
        "connect_timeout": duration(jwt.jwks_fetch_timeout_seconds),
        "lb_policy": "ROUND_ROBIN",
        "load_assignment": {
            "cluster_name": JWKS_CLUSTER,
            "endpoints": [{"lb_endpoints": [{"endpoint": {"address": socket_address(host, port)}}]}],
        },
    }
    if secure:
        cluster["transport_socket"] = {
            "name": "envoy.transport_sockets.tls",
            "typed_config": typed(
                "envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
                sni=host,
                common_tls_context={
                    "validation_context": {
                        "trusted_ca": {"filename": jwt.jwks_ca_file},
                        "match_typed_subject_alt_names": [{"san_type": "DNS", "matcher": {"exact": host}}],
                    },
                },
            ),
        }
    return cluster
