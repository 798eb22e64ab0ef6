"""The HTTP filter chain of the ingress listener, in the order requests pass through it.

Order and why:
1. CORS: answers preflights and decorates every response, including errors from the filters below.
2. header_mutation: drops client-sent identity headers before anything could trust them.
3. jwt_authn: verifies the bearer token at the edge (the services verify it again).
4. local rate limit: counts only requests that passed authentication, so a flood of junk tokens cannot
   drain the one shared bucket for real users; before the transcoder, the costly part.
5. health_check: `GET /healthz` answered by Envoy from upstream cluster health (never passed through).
6. buffer: enforces max_request_bytes on REST bodies (413). The transcoder's own max_request_body_size
   bounds only the bytes it holds at once, so a larger body streamed in chunks would pass it. Disabled
   per route for native gRPC calls, whose streams must not be buffered.
7. grpc_json_transcoder: REST/JSON -> gRPC; from here on the path is the gRPC path.
8. grpc_stats: per-method gRPC metrics.
9. router.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aigym_gateway.clusters import JWKS_CLUSTER
from aigym_gateway.envoy_json import Json, duration, typed

if TYPE_CHECKING:
    from aigym_gateway.config import GatewayConfig, JwtConfig

HEALTH_PATH = "/healthz"
JWT_PROVIDER = "aigym"

CORS = "envoy.filters.http.cors"
HEADER_MUTATION = "envoy.filters.http.header_mutation"
JWT_AUTHN = "envoy.filters.http.jwt_authn"
LOCAL_RATELIMIT = "envoy.filters.http.local_ratelimit"
HEALTH_CHECK = "envoy.filters.http.health_check"
BUFFER = "envoy.filters.http.buffer"
TRANSCODER = "envoy.filters.http.grpc_json_transcoder"
GRPC_STATS = "envoy.filters.http.grpc_stats"
ROUTER = "envoy.filters.http.router"

_PERCENT_100 = {"numerator": 100, "denominator": "HUNDRED"}


def http_filters(cfg: GatewayConfig) -> list[Json]:
    """Return the ordered HTTP filter chain (see the module docstring for the order's reasons)."""
    return [
        {"name": CORS, "typed_config": typed("envoy.extensions.filters.http.cors.v3.Cors")},
        {"name": HEADER_MUTATION, "typed_config": header_mutation(cfg)},
        {"name": JWT_AUTHN, "typed_config": jwt_authn(cfg)},
        {"name": LOCAL_RATELIMIT, "typed_config": local_rate_limit(cfg)},
        {"name": HEALTH_CHECK, "typed_config": health_check(cfg)},
        {
            "name": BUFFER,
            "typed_config": typed(
                "envoy.extensions.filters.http.buffer.v3.Buffer", max_request_bytes=cfg.max_request_bytes
            ),
        },
        {"name": TRANSCODER, "typed_config": transcoder(cfg)},
        {
            "name": GRPC_STATS,
            "typed_config": typed(
                "envoy.extensions.filters.http.grpc_stats.v3.FilterConfig",
                stats_for_all_methods=True,
                replace_dots_in_grpc_service_name=True,
                enable_upstream_stats=True,
            ),
        },
        {"name": ROUTER, "typed_config": typed("envoy.extensions.filters.http.router.v3.Router")},
    ]


# Set by the transcoder; a client copy would forge the access log and the error-body choice. Envoy
# sanitises x-envoy-original-path at the edge but not x-envoy-original-method.
TRANSCODER_HEADERS = ("x-envoy-original-path", "x-envoy-original-method")


def stripped_headers(cfg: GatewayConfig) -> list[str]:
    """Return the request headers clients may never send: identity, JWT payload and transcoder headers."""
    names = list(cfg.stripped_identity_headers)
    # On public paths a missing token is allowed, so a forged payload header would otherwise pass through.
    if cfg.jwt.forward_payload_header is not None:
        names.append(cfg.jwt.forward_payload_header)
    names += TRANSCODER_HEADERS
    return list(dict.fromkeys(names))


def header_mutation(cfg: GatewayConfig) -> Json:
    """Return the header_mutation config removing client-sent identity headers from every request."""
    return typed(
        "envoy.extensions.filters.http.header_mutation.v3.HeaderMutation",
        mutations={"request_mutations": [{"remove": name} for name in stripped_headers(cfg)]},
    )


def jwt_provider(jwt: JwtConfig) -> Json:
    """Return the jwt_authn provider for the configured issuer (local or remote, cached JWKS)."""
    provider: Json = {
        "issuer": jwt.issuer,
        "audiences": list(jwt.audiences),
        # Services verify the token again, so the Authorization header must reach them unchanged.
        "forward": True,
        "require_expiration": True,
        "clock_skew_seconds": jwt.clock_skew_seconds,
    }
    if jwt.jwks_file is not None:
        provider["local_jwks"] = {"filename": jwt.jwks_file}
    else:
        provider["remote_jwks"] = {
            "http_uri": {
                "uri": jwt.jwks_uri,
                "cluster": JWKS_CLUSTER,
                "timeout": duration(jwt.jwks_fetch_timeout_seconds),
            },
            "cache_duration": duration(jwt.jwks_cache_seconds),
            # Fetch at startup and refresh in the background instead of on the first request.
            "async_fetch": {"fast_listener": False},
            "retry_policy": {
                "num_retries": 3,
                "retry_back_off": {"base_interval": "0.5s", "max_interval": "5s"},
            },
        }
    if jwt.forward_payload_header is not None:
        provider["forward_payload_header"] = jwt.forward_payload_header
    return provider


def jwt_authn(cfg: GatewayConfig) -> Json:
    """Return the jwt_authn config: a token is required everywhere but /healthz and the public prefixes."""
    token_if_present = {
        "requires_any": {"requirements": [{"provider_name": JWT_PROVIDER}, {"allow_missing": {}}]}
    }
    rules: list[Json] = [{"match": {"path": HEALTH_PATH}, "requires": token_if_present}]
    rules += [
        {"match": {"prefix": prefix}, "requires": token_if_present} for prefix in cfg.public_path_prefixes
    ]
    rules.append({"match": {"prefix": "/"}, "requires": {"provider_name": JWT_PROVIDER}})
    return typed(
        "envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication",
        providers={JWT_PROVIDER: jwt_provider(cfg.jwt)},
        rules=rules,
        # Preflights carry no Authorization header; CORS answers them before this filter when allowed.
        bypass_cors_preflight=True,
    )


def local_rate_limit(cfg: GatewayConfig) -> Json:
    """Return the local rate limit: one token bucket for the whole gateway, 429 / RESOURCE_EXHAUSTED."""
    return typed(
        "envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit",
        stat_prefix="http_local_rate_limiter",
        token_bucket={
            "max_tokens": cfg.rate_limit_burst,
            "tokens_per_fill": cfg.rate_limit_tokens_per_second,
            "fill_interval": "1s",
        },
        filter_enabled={"runtime_key": "aigym.local_rate_limit.enabled", "default_value": _PERCENT_100},
        filter_enforced={"runtime_key": "aigym.local_rate_limit.enforced", "default_value": _PERCENT_100},
        status={"code": "TooManyRequests"},
        rate_limited_as_resource_exhausted=True,
    )


def health_check(cfg: GatewayConfig) -> Json:
    """Return the health_check config: `GET /healthz` is 200 only while every upstream is healthy enough."""
    return typed(
        "envoy.extensions.filters.http.health_check.v3.HealthCheck",
        pass_through_mode=False,
        headers=[
            {"name": ":path", "string_match": {"exact": HEALTH_PATH}},
            {"name": ":method", "string_match": {"exact": "GET"}},
        ],
        cluster_min_healthy_percentages={
            upstream.name: {"value": cfg.healthz_min_healthy_percent} for upstream in cfg.upstreams
        },
    )


def transcoder(cfg: GatewayConfig) -> Json:
    """Return the REST -> gRPC transcoder for every upstream service, with google.rpc.Status errors."""
    return typed(
        "envoy.extensions.filters.http.grpc_json_transcoder.v3.GrpcJsonTranscoder",
        proto_descriptor=cfg.descriptor_path,
        services=[service for upstream in cfg.upstreams for service in upstream.grpc_services],
        print_options={
            "add_whitespace": False,
            "always_print_primitive_fields": False,
            "always_print_enums_as_ints": False,
            "preserve_proto_field_names": False,
        },
        convert_grpc_status=True,
        request_validation_options={
            "reject_unknown_method": True,
            "reject_unknown_query_parameters": True,
        },
        max_request_body_size=cfg.max_request_bytes,
    )
