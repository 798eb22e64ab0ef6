"""An optional listener that serves only Envoy's Prometheus stats, so the admin interface stays on loopback.

Prometheus cannot reach an admin interface bound to 127.0.0.1 (and must not reach one bound elsewhere: it
can stop Envoy). This listener forwards exactly `GET /stats/prometheus` to the admin address through a
STATIC cluster and answers everything else 404.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aigym_gateway.envoy_json import Json, socket_address, typed

if TYPE_CHECKING:
    from aigym_gateway.config import GatewayConfig

STATS_CLUSTER = "envoy_admin"
STATS_PATH = "/stats/prometheus"


def stats_listener(cfg: GatewayConfig, port: int) -> Json:
    """Return the `stats` listener on listen_address:port."""
    manager = typed(
        "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
        stat_prefix="stats",
        route_config={
            "name": "stats",
            "virtual_hosts": [
                {
                    "name": "stats",
                    "domains": ["*"],
                    "routes": [
                        {
                            "match": {
                                "path": STATS_PATH,
                                "headers": [{"name": ":method", "string_match": {"exact": "GET"}}],
                            },
                            "route": {"cluster": STATS_CLUSTER, "timeout": "5s"},
                        },
                        {"match": {"prefix": "/"}, "direct_response": {"status": 404}},
                    ],
                }
            ],
        },
        http_filters=[
            {
                "name": "envoy.filters.http.router",
                "typed_config": typed("envoy.extensions.filters.http.router.v3.Router"),
            }
        ],
    )
    return {
        "name": "stats",
        "address": socket_address(cfg.listen_address, port),
        "filter_chains": [
            {"filters": [{"name": "envoy.filters.network.http_connection_manager", "typed_config": manager}]}
        ],
    }


def stats_cluster(cfg: GatewayConfig) -> Json:
    """Return the STATIC cluster that reaches Envoy's own admin interface."""
    return {
        "name": STATS_CLUSTER,
        "type": "STATIC",
        "connect_timeout": "1s",
        "load_assignment": {
            "cluster_name": STATS_CLUSTER,
            "endpoints": [
                {
                    "lb_endpoints": [
                        {"endpoint": {"address": socket_address(cfg.admin_address, cfg.admin_port)}}
                    ]
                }
            ],
        },
    }
