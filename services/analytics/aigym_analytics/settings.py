"""Settings of the analytics service (AIGYM_* environment variables)."""

from __future__ import annotations

from pydantic import Field

from aigym_platform.delivery import DeliverySettings
from aigym_platform.settings import ServiceSettings


class AnalyticsSettings(ServiceSettings, DeliverySettings):
    """Analytics service settings (AIGYM_SMTP_* / AIGYM_WEBHOOK_* for reports); defaults suit `make run`."""

    service_name: str = Field(default="analytics", description="Short service name")
    grpc_port: int = Field(default=50054, description="gRPC port (0 picks a free one)")
