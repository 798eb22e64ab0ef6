"""Mint tokens in tests with a throwaway key whose JWKS the services under test trust."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from aigym_platform.identity import TenantId
from aigym_platform.tokens import SigningKey, generate_signing_key, write_jwks

TEST_ISSUER = "aigym-test"
TEST_AUDIENCE = "aigym"
SERVICE_ISSUER = "aigym-internal"


@dataclass
class TokenFactory:
    """Signs user and service tokens; `jwks_file`/`service_jwks_file` are what services should trust."""

    user_key: SigningKey
    service_key: SigningKey
    jwks_file: Path
    service_jwks_file: Path
    issuer: str = TEST_ISSUER
    audience: str = TEST_AUDIENCE

    @classmethod
    def create(cls, directory: Path) -> TokenFactory:
        """Generate keys and write both JWKS files into `directory`."""
        user_key, service_key = generate_signing_key("test-user"), generate_signing_key("test-service")
        jwks, service_jwks = directory / "jwks.json", directory / "service-jwks.json"
        write_jwks(jwks, [user_key])
        write_jwks(service_jwks, [service_key])
        return cls(user_key, service_key, jwks, service_jwks)

    def token(
        self,
        tenant: TenantId | uuid.UUID | str | None,
        roles: Sequence[str] = ("learner",),
        *,
        user: str | None = None,
        ttl_seconds: int = 600,
    ) -> str:
        """A user token for `tenant` with `roles` (a random user id unless given)."""
        return self.user_key.mint(
            issuer=self.issuer,
            audience=self.audience,
            subject=user or f"user-{uuid.uuid4().hex[:8]}",
            tenant_id=str(tenant) if tenant is not None else None,
            roles=list(roles),
            ttl_seconds=ttl_seconds,
        )

    def env(self) -> dict[str, str]:
        """AIGYM_* settings that make a service trust this factory's tokens."""
        return {
            "AIGYM_JWT_ISSUER": self.issuer,
            "AIGYM_JWT_AUDIENCE": self.audience,
            "AIGYM_JWKS_FILE": str(self.jwks_file),
            "AIGYM_SERVICE_JWKS_FILE": str(self.service_jwks_file),
        }


def bearer(token: str) -> tuple[tuple[str, str], ...]:
    """gRPC metadata carrying a bearer token."""
    return (("authorization", f"Bearer {token}"),)
