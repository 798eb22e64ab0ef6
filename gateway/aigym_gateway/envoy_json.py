"""Helpers for writing Envoy's proto-JSON by hand: typed_config blocks, durations, socket addresses."""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]


def typed(type_name: str, **fields: Any) -> Json:
    """Return a typed_config body: `{"@type": "type.googleapis.com/<type_name>", **fields}`."""
    return {"@type": f"type.googleapis.com/{type_name}", **fields}


def duration(seconds: float) -> str:
    """Format seconds as a protobuf Duration string ("15s", "0.25s") as Envoy's YAML loader expects."""
    text = f"{seconds:.3f}".rstrip("0").rstrip(".")
    return f"{text}s"


def socket_address(address: str, port: int) -> Json:
    """Return an Envoy `Address` holding one TCP socket address."""
    return {"socket_address": {"address": address, "port_value": port}}
