"""Settings of the calendar service (AIGYM_* environment variables)."""

from __future__ import annotations

from pydantic import Field

from aigym_platform.delivery import DeliverySettings
from aigym_platform.settings import ServiceSettings


class CalendarSettings(ServiceSettings, DeliverySettings):
    """Calendar service settings; defaults suit `make run`."""

    service_name: str = Field(default="calendar", description="Short service name")
    grpc_port: int = Field(default=50055, description="gRPC port (0 picks a free one)")
    public_base_url: str = Field(
        default="http://127.0.0.1:8080",
        description="Public base URL of the gateway; feed URLs are <this>/v1/feeds/<token>/calendar.ics",
    )
    calendar_feed_past_days: int = Field(default=180, description="How far back feeds include events")
    calendar_feed_future_days: int = Field(default=1100, description="How far ahead feeds include events")
    calendar_reminder_lookahead_minutes: int = Field(
        default=1, description="Reminders due within this many minutes are sent by the current run"
    )
