"""The ingress listener: HTTP connection manager, JSON access log and JSON error bodies for local replies."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aigym_gateway.envoy_json import Json, socket_address, typed
from aigym_gateway.filters import HEALTH_PATH, http_filters
from aigym_gateway.routes import route_config

if TYPE_CHECKING:
    from aigym_gateway.config import GatewayConfig

# HTTP status of a reply Envoy makes itself -> google.rpc.Code of its JSON body (google.rpc.code mapping).
HTTP_TO_GRPC_CODE: dict[int, int] = {
    400: 3,  # INVALID_ARGUMENT (bad path, unknown query parameter)
    401: 16,  # UNAUTHENTICATED (missing or invalid token)
    403: 7,  # PERMISSION_DENIED
    404: 5,  # NOT_FOUND (unknown route or method)
    405: 12,  # UNIMPLEMENTED
    408: 4,  # DEADLINE_EXCEEDED (request headers/body too slow)
    413: 3,  # INVALID_ARGUMENT (body over max_request_bytes: retrying the same body cannot succeed)
    414: 3,
    429: 8,  # RESOURCE_EXHAUSTED (rate limited)
    431: 3,
    500: 13,  # INTERNAL
    501: 12,  # UNIMPLEMENTED
    502: 14,  # UNAVAILABLE (upstream reset / protocol error)
    503: 14,  # UNAVAILABLE (no healthy upstream, overflow)
    504: 4,  # DEADLINE_EXCEEDED (route timeout)
}
UNKNOWN_CODE = 2  # any other error status Envoy might produce
UNHEALTHY_MESSAGE = "not every upstream service is healthy"

ACCESS_LOG_FORMAT: Json = {
    "start_time": "%START_TIME%",
    "method": "%REQ(X-ENVOY-ORIGINAL-METHOD?:METHOD)%",
    "path": "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%",
    "grpc_path": "%REQ(:PATH)%",
    "protocol": "%PROTOCOL%",
    "response_code": "%RESPONSE_CODE%",
    "grpc_status": "%GRPC_STATUS(NUMBER)%",
    "response_flags": "%RESPONSE_FLAGS%",
    "response_code_details": "%RESPONSE_CODE_DETAILS%",
    "duration_ms": "%DURATION%",
    "upstream_service_time_ms": "%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%",
    "request_id": "%REQ(X-REQUEST-ID)%",
    "upstream_cluster": "%UPSTREAM_CLUSTER%",
    "upstream_host": "%UPSTREAM_HOST%",
    "bytes_received": "%BYTES_RECEIVED%",
    "bytes_sent": "%BYTES_SENT%",
    "downstream_address": "%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%",
    "user_agent": "%REQ(USER-AGENT)%",
}


def _status_is(op: str, status: int) -> Json:
    # The runtime key is mandatory in the proto; nothing sets it, so the default always applies.
    value = {"default_value": status, "runtime_key": f"aigym.local_reply.{op.lower()}_{status}"}
    return {"status_code_filter": {"comparison": {"op": op, "value": value}}}


def _header_filter(name: str, **matcher: Any) -> Json:
    return {"header_filter": {"header": {"name": name, **matcher}}}


# Native gRPC callers get their error in grpc-status / grpc-message, which a JSON body would garble. A
# transcoded REST call also has a gRPC content type by the time the router fails, but keeps the
# x-envoy-original-path header the transcoder set.
_NOT_NATIVE_GRPC = {
    "or_filter": {
        "filters": [
            _header_filter(
                "content-type",
                string_match={"prefix": "application/grpc"},
                invert_match=True,
                treat_missing_header_as_empty=True,
            ),
            _header_filter("x-envoy-original-path", present_match=True),
        ]
    }
}


def _mapper(op: str, status: int, code: int, *, extra: Json | None = None, body: str | None = None) -> Json:
    filters = [_status_is(op, status), _NOT_NATIVE_GRPC]
    if extra is not None:
        filters.append(extra)
    mapper: Json = {
        "filter": {"and_filter": {"filters": filters}},
        "body_format_override": {
            "json_format": {"code": code, "message": "%LOCAL_REPLY_BODY%", "details": []},
            "content_type": "application/json",
        },
    }
    if body is not None:
        mapper["body"] = {"inline_string": body}
    return mapper


def local_reply_config() -> Json:
    """Return mappers that turn every error Envoy answers itself into a google.rpc.Status JSON body."""
    # The health check filter answers 503 with an empty body; say why.
    health = _header_filter(":path", string_match={"exact": HEALTH_PATH})
    mappers = [_mapper("EQ", 503, HTTP_TO_GRPC_CODE[503], extra=health, body=UNHEALTHY_MESSAGE)]
    mappers += [_mapper("EQ", status, code) for status, code in HTTP_TO_GRPC_CODE.items()]
    mappers.append(_mapper("GE", 400, UNKNOWN_CODE))
    return {"mappers": mappers}


def access_log() -> list[Json]:
    """Return the JSON access log to stdout, one line per request."""
    return [
        {
            "name": "envoy.access_loggers.stdout",
            "typed_config": typed(
                "envoy.extensions.access_loggers.stream.v3.StdoutAccessLog",
                log_format={"json_format": ACCESS_LOG_FORMAT},
            ),
        }
    ]


def connection_manager(cfg: GatewayConfig) -> Json:
    """Return the HTTP connection manager (HTTP/1.1 and h2c from browsers and gRPC callers)."""
    return typed(
        "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
        stat_prefix="ingress_http",
        codec_type="AUTO",
        # The gateway is the edge: the peer address is the client, x-forwarded-for is appended to.
        use_remote_address=True,
        generate_request_id=True,
        preserve_external_request_id=True,
        always_set_request_id_in_response=True,
        # JWT rules match path prefixes: normalise first so "/v1/feeds/../programs" cannot skip them.
        normalize_path=True,
        merge_slashes=True,
        path_with_escaped_slashes_action="REJECT_REQUEST",
        common_http_protocol_options={
            "headers_with_underscores_action": "DROP_HEADER",
            "idle_timeout": "300s",
        },
        http2_protocol_options={
            "max_concurrent_streams": 100,
            "initial_stream_window_size": 65536,
            "initial_connection_window_size": 1048576,
        },
        request_headers_timeout="10s",
        stream_idle_timeout="300s",
        access_log=access_log(),
        local_reply_config=local_reply_config(),
        route_config=route_config(cfg),
        http_filters=http_filters(cfg),
    )


def ingress_listener(cfg: GatewayConfig) -> Json:
    """Return the one HTTP listener on listen_address:listen_port."""
    return {
        "name": "ingress",
        "address": socket_address(cfg.listen_address, cfg.listen_port),
        "filter_chains": [
            {
                "filters": [
                    {
                        "name": "envoy.filters.network.http_connection_manager",
                        "typed_config": connection_manager(cfg),
                    }
                ]
            }
        ],
    }
