"""Settings of the programs service (AIGYM_* environment variables)."""

from __future__ import annotations

from pydantic import Field

from aigym_platform.settings import ServiceSettings


class ProgramsSettings(ServiceSettings):
    """Programs service settings; defaults suit `make run`."""

    service_name: str = Field(default="programs", description="Short service name")
    grpc_port: int = Field(default=50051, description="gRPC port (0 picks a free one)")
