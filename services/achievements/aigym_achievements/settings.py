"""Settings of the achievements service (AIGYM_* environment variables)."""

from __future__ import annotations

from pydantic import Field, SecretStr

from aigym_platform.settings import ServiceSettings


class AchievementsSettings(ServiceSettings):
    """Achievements service settings; defaults suit `make run`."""

    service_name: str = Field(default="achievements", description="Short service name")
    grpc_port: int = Field(default=50053, description="gRPC port (0 picks a free one)")
    public_base_url: str = Field(
        default="http://127.0.0.1:8080",
        description="Public base URL of the gateway (issuer, credential and status list ids live under it)",
    )
    issuer_key_passphrase: SecretStr = Field(
        default=SecretStr(""),
        description="Encrypts the tenants' stored issuer private keys (PKCS#8); empty: stored unencrypted",
    )
