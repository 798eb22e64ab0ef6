"""Prometheus metrics shared by every server: per-RPC count, latency histogram and in-flight gauge."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, start_http_server

RPC_HANDLED = Counter(
    "aigym_grpc_server_handled",
    "RPCs completed, by method and gRPC status code",
    ["grpc_service", "grpc_method", "grpc_code"],
)
RPC_LATENCY = Histogram(
    "aigym_grpc_server_handling_seconds",
    "RPC handling latency",
    ["grpc_service", "grpc_method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
RPC_IN_FLIGHT = Gauge("aigym_grpc_server_in_flight", "RPCs being handled now", ["grpc_service"])


def split_method(full_method: str) -> tuple[str, str]:
    """`/pkg.Service/Method` -> (`pkg.Service`, `Method`)."""
    _, service, method = full_method.split("/", 2) if full_method.count("/") >= 2 else ("", "", full_method)
    return service, method


def start_exporter(port: int, host: str = "0.0.0.0") -> None:
    """Serve /metrics on `port` in a background thread (no-op when port is 0)."""
    if port:
        start_http_server(port, addr=host)
