"""Settings of the progress service (AIGYM_* environment variables)."""

from __future__ import annotations

from pydantic import Field

from aigym_platform.settings import ServiceSettings


class ProgressSettings(ServiceSettings):
    """Progress service settings; defaults suit `make run`."""

    service_name: str = Field(default="progress", description="Short service name")
    grpc_port: int = Field(default=50052, description="gRPC port (0 picks a free one)")
    xapi_home_page: str = Field(
        default="https://aigym.example",
        description="xAPI export: homePage of learner accounts (the platform's URL)",
    )
    xapi_activity_base: str = Field(
        default="https://aigym.example/xapi",
        description="xAPI export: base IRI of course and block activity ids",
    )
    programs_target: str = Field(
        default="127.0.0.1:50051",
        description="gRPC target of the programs service (path validator), e.g. dns:///programs:50051",
    )
