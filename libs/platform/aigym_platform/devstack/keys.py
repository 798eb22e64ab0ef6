"""Dev signing keys kept in the data directory: one for user tokens, one for service tokens."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aigym_platform.tokens import SigningKey, generate_signing_key, write_jwks

DEV_ISSUER = "aigym-dev"
DEV_AUDIENCE = "aigym"


@dataclass(frozen=True)
class DevKeys:
    """Paths and keys the dev stack trusts (user tokens from `make token`, service tokens from jobs)."""

    user_key: SigningKey
    service_key: SigningKey
    jwks_file: Path
    service_jwks_file: Path
    service_key_file: Path


def ensure_dev_keys(directory: Path) -> DevKeys:
    """Load the keys in `directory`, creating them (and their JWKS files) on first use."""
    directory.mkdir(parents=True, exist_ok=True)
    user_pem, service_pem = directory / "dev-user.pem", directory / "dev-service.pem"
    for pem in (user_pem, service_pem):
        if not pem.exists():
            key = generate_signing_key(pem.stem)
            pem.write_bytes(key.private_pem)
            pem.chmod(0o600)
    user_key, service_key = SigningKey.load(user_pem), SigningKey.load(service_pem)
    jwks, service_jwks = directory / "jwks.json", directory / "service-jwks.json"
    write_jwks(jwks, [user_key])
    write_jwks(service_jwks, [service_key])
    return DevKeys(user_key, service_key, jwks, service_jwks, service_pem)
