"""JWT verification (JWKS file or URL, RS256/ES256) and minting of dev and service tokens."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from aigym_platform.errors import PermissionDenied, Unauthenticated
from aigym_platform.identity import Identity, Role, TenantId, parse_roles, parse_tenant_id
from aigym_platform.settings import ServiceSettings

ALGORITHMS = ("RS256", "ES256")
LEEWAY_SECONDS = 30


class JwksFile:
    """Keys from a JWKS file, re-read when the file changes (key rotation without restart)."""

    def __init__(self, path: str) -> None:
        self._path = Path(path)
        self._mtime = -1.0
        self._keys: dict[str, jwt.PyJWK] = {}
        self._lock = threading.Lock()

    def key(self, kid: str | None) -> jwt.PyJWK:
        """Return the key with `kid` (or the only key when the token has no kid)."""
        with self._lock:
            mtime = self._path.stat().st_mtime
            if mtime != self._mtime:
                data = json.loads(self._path.read_text())
                self._keys = {k.key_id or "": k for k in jwt.PyJWKSet.from_dict(data).keys}
                self._mtime = mtime
            if kid is None and len(self._keys) == 1:
                return next(iter(self._keys.values()))
            if kid is None or kid not in self._keys:
                raise Unauthenticated("token signed by an unknown key")
            return self._keys[kid]


class JwksUrl:
    """Keys from an identity provider's JWKS URL, cached by PyJWT's client."""

    def __init__(self, url: str, cache_seconds: int) -> None:
        self._client = jwt.PyJWKClient(url, cache_keys=True, lifespan=cache_seconds, timeout=5)

    def key(self, kid: str | None) -> jwt.PyJWK:
        """Return the key with `kid`, fetching the JWKS when it is not cached."""
        if kid is None:
            raise Unauthenticated("token has no key id")
        try:
            return self._client.get_signing_key(kid)
        except jwt.PyJWKClientError as exc:
            raise Unauthenticated("token signed by an unknown key") from exc


@dataclass(frozen=True)
class Issuer:
    """One trusted token issuer: where its keys are and which claims carry tenant, user and roles."""

    name: str
    keys: JwksFile | JwksUrl
    audience: str
    claim_tenant: str = "tenant_id"
    claim_user: str = "sub"
    claim_roles: str = "roles"


class TokenVerifier:
    """Verifies bearer tokens (signature, expiry, audience, issuer) and turns them into an Identity.

    Successful verifications are cached for at most CACHE_SECONDS and never past the token's expiry, so a
    client reusing its token pays for the signature check about once a minute, and a key removed from the
    JWKS stops being accepted within that bound.
    """

    CACHE_SECONDS = 60.0
    CACHE_ENTRIES = 10_000

    def __init__(self, issuers: Sequence[Issuer]) -> None:
        self._issuers = {issuer.name: issuer for issuer in issuers}
        self._cache: OrderedDict[tuple[str, str | None], tuple[Identity, float]] = OrderedDict()
        self._cache_lock = threading.Lock()

    def verify(self, token: str, *, act_as_tenant: str | None = None) -> Identity:
        """Return the Identity for a token; Unauthenticated for anything not verifiably valid.

        `act_as_tenant` is the tenant a platform admin names explicitly (metadata key); other callers
        cannot use it.
        """
        key, now = (token, act_as_tenant), time.time()
        with self._cache_lock:
            cached = self._cache.get(key)
            if cached is not None and cached[1] > now:
                self._cache.move_to_end(key)
                return cached[0]
        identity, expires = self._verify(token, act_as_tenant)
        with self._cache_lock:
            self._cache[key] = (identity, min(expires, now + self.CACHE_SECONDS))
            if len(self._cache) > self.CACHE_ENTRIES:
                self._cache.popitem(last=False)
        return identity

    def _verify(self, token: str, act_as_tenant: str | None) -> tuple[Identity, float]:
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise Unauthenticated("malformed bearer token") from exc
        issuer = self._issuers.get(str(unverified.get("iss", "")))
        if issuer is None:
            raise Unauthenticated("token from an untrusted issuer")
        key = issuer.keys.key(header.get("kid"))
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=list(ALGORITHMS),
                audience=issuer.audience,
                issuer=issuer.name,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("token expired") from exc
        except jwt.PyJWTError as exc:
            raise Unauthenticated("invalid bearer token") from exc
        return self._identity(issuer, claims, token, act_as_tenant), float(claims["exp"])

    @staticmethod
    def _identity(issuer: Issuer, claims: dict[str, Any], token: str, act_as_tenant: str | None) -> Identity:
        user = claims.get(issuer.claim_user)
        if not isinstance(user, str) or not user:
            raise Unauthenticated("token names no user")
        raw_roles = claims.get(issuer.claim_roles, [])
        roles = parse_roles(raw_roles if isinstance(raw_roles, list) else str(raw_roles).split())
        real_user = claims.get("act_for")
        if act_as_tenant:
            if Role.PLATFORM_ADMIN not in roles:
                raise PermissionDenied("only a platform admin may act in another tenant")
            return Identity(user, parse_tenant_id(act_as_tenant), roles, real_user_id=user, token=token)
        tenant = parse_tenant_id(claims.get(issuer.claim_tenant))
        return Identity(
            user, tenant, roles, real_user_id=real_user if isinstance(real_user, str) else None, token=token
        )


@dataclass(frozen=True)
class SigningKey:
    """A private key with its key id, able to mint tokens."""

    kid: str
    private_pem: bytes
    algorithm: str = "RS256"

    def mint(
        self,
        *,
        issuer: str,
        audience: str,
        subject: str,
        tenant_id: TenantId | str | None,
        roles: Sequence[str],
        ttl_seconds: int = 3600,
        extra: dict[str, Any] | None = None,
    ) -> str:
        """Sign a JWT with the standard claims plus tenant and roles."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": issuer,
            "aud": audience,
            "sub": subject,
            "iat": now,
            "exp": now + ttl_seconds,
            "jti": uuid.uuid4().hex,
            "roles": list(roles),
        }
        if tenant_id is not None:
            claims["tenant_id"] = str(tenant_id)
        claims.update(extra or {})
        return jwt.encode(claims, self.private_pem, algorithm=self.algorithm, headers={"kid": self.kid})

    def public_jwk(self) -> dict[str, Any]:
        """The public half as a JWK dict (for a JWKS document)."""
        private = serialization.load_pem_private_key(self.private_pem, password=None)
        jwk: dict[str, Any] = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))  # type: ignore[arg-type]
        jwk.update({"kid": self.kid, "alg": self.algorithm, "use": "sig"})
        return jwk

    @classmethod
    def load(cls, path: str | Path) -> SigningKey:
        """Load a PEM private key; the key id is derived from the file name."""
        path = Path(path)
        return cls(kid=path.stem, private_pem=path.read_bytes())


def generate_signing_key(kid: str | None = None) -> SigningKey:
    """A fresh 2048-bit RSA signing key (dev stack and tests)."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return SigningKey(kid=kid or uuid.uuid4().hex[:12], private_pem=pem)


def write_jwks(path: Path, keys: Sequence[SigningKey]) -> None:
    """Write the public halves of `keys` as a JWKS document."""
    path.write_text(json.dumps({"keys": [k.public_jwk() for k in keys]}, indent=2))


def mint_service_token(
    key: SigningKey,
    *,
    issuer: str,
    audience: str,
    service: str,
    tenant_id: TenantId,
    act_for: str | None = None,
) -> str:
    """A short-lived token for a job or service-to-service call acting inside one tenant."""
    extra = {"act_for": act_for} if act_for else None
    return key.mint(
        issuer=issuer,
        audience=audience,
        subject=f"service:{service}",
        tenant_id=tenant_id,
        roles=[Role.SERVICE.value],
        ttl_seconds=300,
        extra=extra,
    )


def verifier_from_settings(settings: ServiceSettings) -> TokenVerifier:
    """Trust the identity provider (JWKS file or URL) and, when configured, the internal service issuer."""
    if settings.jwks_url:
        user_keys: JwksFile | JwksUrl = JwksUrl(settings.jwks_url, settings.jwks_cache_seconds)
    elif settings.jwks_file:
        user_keys = JwksFile(settings.jwks_file)
    else:
        raise ValueError("set AIGYM_JWKS_URL or AIGYM_JWKS_FILE: services never accept unverified tokens")
    issuers = [
        Issuer(
            settings.jwt_issuer,
            user_keys,
            settings.jwt_audience,
            claim_tenant=settings.claim_tenant,
            claim_user=settings.claim_user,
            claim_roles=settings.claim_roles,
        )
    ]
    if settings.service_jwks_file:
        issuers.append(
            Issuer(settings.service_token_issuer, JwksFile(settings.service_jwks_file), settings.jwt_audience)
        )
    return TokenVerifier(issuers)
