"""Logging setup: JSON lines in production, readable lines locally, with tenant/request/rpc from context."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from typing import Any

from aigym_platform.identity import current_identity_var, request_id_var, rpc_method_var

_RESERVED = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


class ContextFilter(logging.Filter):
    """Copy the call context (tenant, user, request id, rpc) onto every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Attach context attributes; never drops a record."""
        identity = current_identity_var.get()
        record.tenant_id = str(identity.tenant_id) if identity else ""
        record.user_id = identity.user_id if identity else ""
        record.request_id = request_id_var.get()
        record.rpc = rpc_method_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with extra fields and exception text."""

    def format(self, record: logging.LogRecord) -> str:
        """Render the record as JSON."""
        payload: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_") and value not in ("", None):
                payload[key] = value
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str)


class TextFormatter(logging.Formatter):
    """Readable single-line format for local runs."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-5s %(name)s %(message)s%(ctx)s")

    def format(self, record: logging.LogRecord) -> str:
        """Render the record with a compact context suffix."""
        parts = [
            f"{k}={getattr(record, k)}" for k in ("rpc", "tenant_id", "request_id") if getattr(record, k, "")
        ]
        record.ctx = (" [" + " ".join(parts) + "]") if parts else ""
        return super().format(record)


def configure_logging(fmt: str = "json", level: str = "INFO") -> None:
    """Install one stderr handler on the root logger with the chosen format and the context filter."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
