"""Route table: gRPC paths (after transcoding) to service clusters; reads retried, writes never."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from aigym_gateway.clusters import UNROUTED_CLUSTER
from aigym_gateway.envoy_json import Json, duration, typed
from aigym_gateway.filters import BUFFER, CORS

if TYPE_CHECKING:
    from aigym_gateway.config import GatewayConfig, UpstreamService

NOT_FOUND_MESSAGE = "no route for this path"
# A read that never reached a service (refused connection or stream) or that it answered UNAVAILABLE is
# safe to repeat; anything else may have had an effect and is left to the caller.
# reset: the upstream died with the request in flight (pod killed); safe to repeat for reads only.
READ_RETRY_ON = "unavailable,connect-failure,refused-stream,reset"


def read_method_regex(upstream: UpstreamService) -> str:
    """Return the RE2 pattern of the gRPC paths of an upstream's read methods (Get*, List*, ...)."""
    services = "|".join(re.escape(service) for service in upstream.grpc_services)
    methods = "|".join(upstream.read_method_prefixes)
    return f"^/({services})/({methods})[A-Za-z0-9_]*$"


# Native gRPC streams pass unbuffered; the services enforce their own message size limit.
_NO_BUFFER = {BUFFER: typed("envoy.extensions.filters.http.buffer.v3.BufferPerRoute", disabled=True)}


def _route_action(cfg: GatewayConfig, upstream: UpstreamService) -> Json:
    timeout = duration(cfg.request_timeout_seconds)
    return {
        "cluster": upstream.name,
        "timeout": timeout,
        # Native gRPC callers may ask for less time via grpc-timeout, never for more.
        "max_stream_duration": {"grpc_timeout_header_max": timeout},
    }


def upstream_routes(cfg: GatewayConfig, upstream: UpstreamService) -> list[Json]:
    """Return an upstream's routes: its read methods with retries first, then all its methods without."""
    routes: list[Json] = []
    if upstream.read_method_prefixes:
        read_action = _route_action(cfg, upstream)
        read_action["retry_policy"] = {
            "retry_on": READ_RETRY_ON,
            "num_retries": cfg.read_retries,
            "retry_back_off": {"base_interval": "0.025s", "max_interval": "0.25s"},
            # Retry on another pod when there is one.
            "retry_host_predicate": [
                {
                    "name": "envoy.retry_host_predicates.previous_hosts",
                    "typed_config": typed(
                        "envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate"
                    ),
                }
            ],
            "host_selection_retry_max_attempts": 3,
        }
        routes.append(
            {
                "name": f"{upstream.name}-reads",
                "match": {"safe_regex": {"regex": read_method_regex(upstream)}, "grpc": {}},
                "route": read_action,
                "typed_per_filter_config": _NO_BUFFER,
            }
        )
    routes += [
        {
            "name": f"{upstream.name}-{service}",
            "match": {"prefix": f"/{service}/", "grpc": {}},
            "route": _route_action(cfg, upstream),
            "typed_per_filter_config": _NO_BUFFER,
        }
        for service in upstream.grpc_services
    ]
    return routes


def cors_policy(cfg: GatewayConfig) -> Json:
    """Return the virtual host's CORS policy (browser origins allowed to call the REST API)."""
    origins = [
        {"safe_regex": {"regex": ".*"}} if origin == "*" else {"exact": origin}
        for origin in cfg.cors_allowed_origins
    ]
    return typed(
        "envoy.extensions.filters.http.cors.v3.CorsPolicy",
        allow_origin_string_match=origins,
        allow_methods="GET, POST, PUT, PATCH, DELETE, OPTIONS",
        allow_headers=", ".join(cfg.cors_allowed_headers),
        expose_headers="x-request-id, grpc-status, grpc-message",
        max_age="600",
    )


def route_config(cfg: GatewayConfig) -> Json:
    """Return the one virtual host: per-upstream gRPC routes, then the REST catch-all and a gRPC 404."""
    routes = [route for upstream in cfg.upstreams for route in upstream_routes(cfg, upstream)]
    routes += [
        {
            "name": "grpc-not-found",
            "match": {"prefix": "/", "grpc": {}},
            # Plain text on purpose: local_reply_config turns it into the google.rpc.Status JSON body.
            "direct_response": {"status": 404, "body": {"inline_string": NOT_FOUND_MESSAGE}},
        },
        {
            # Every REST request matches this route until the transcoder rewrites it to a gRPC path (and
            # clears the route cache) or rejects it with 404. It must be a forwarding route, not a direct
            # response: the CORS filter ignores requests whose route has no route entry.
            "name": "rest-before-transcoding",
            "match": {"prefix": "/"},
            "route": {"cluster": UNROUTED_CLUSTER, "timeout": duration(cfg.request_timeout_seconds)},
        },
    ]
    return {
        "name": "aigym",
        # Fail on a route to a cluster that does not exist instead of answering 404 at run time.
        "validate_clusters": True,
        "virtual_hosts": [
            {
                "name": "aigym",
                "domains": ["*"],
                # Virtual-host level, because filters before the transcoder see the REST path, which only
                # the catch-all route matches.
                "typed_per_filter_config": {CORS: cors_policy(cfg)},
                "routes": routes,
            }
        ],
    }
