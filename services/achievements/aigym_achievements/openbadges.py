"""Open Badges 3.0 documents: issuer keys, the issuer Profile, OpenBadgeCredentials and Bitstring Status
List credentials, signed as VC-JWTs (JWS compact, ES256 on P-256). No storage and no gRPC here.

Verifying a credential needs only public data: fetch the issuer profile named by the credential's `iss`,
take the JWK whose `kid` the JWT header names, and check the ES256 signature (see the service README).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import gzip
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

ALGORITHM = "ES256"
# The W3C recommends at least 131,072 entries per list so one credential's index tells a verifier little.
STATUS_LIST_SIZE = 131_072
VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"


@dataclass(frozen=True)
class IssuerKey:
    """A tenant's signing key: private PEM (PKCS#8, optionally encrypted) and the public JWK."""

    key_id: str
    algorithm: str
    private_pem: str
    public_jwk: dict[str, Any]
    create_time: dt.datetime


def generate_key(key_id: str, now: dt.datetime, passphrase: str | None = None) -> IssuerKey:
    """A new P-256 key pair; the private key PEM is encrypted when a passphrase is configured."""
    private = ec.generate_private_key(ec.SECP256R1())
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase.encode())
        if passphrase
        else serialization.NoEncryption()
    )
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(private.public_key()))
    public.update({"kid": key_id, "alg": ALGORITHM, "use": "sig"})
    return IssuerKey(key_id, ALGORITHM, pem.decode(), public, now)


def _private_key(key: IssuerKey, passphrase: str | None) -> ec.EllipticCurvePrivateKey:
    return _load_private_key(key.private_pem, passphrase)


# Loading an encrypted PEM runs its key derivation (deliberately slow); every award signs, so a process
# keeps the keys it loaded (a handful per tenant at most).
@functools.lru_cache(maxsize=1024)
def _load_private_key(pem: str, passphrase: str | None) -> ec.EllipticCurvePrivateKey:
    password = passphrase.encode() if passphrase and "ENCRYPTED" in pem else None
    loaded = serialization.load_pem_private_key(pem.encode(), password=password)
    if not isinstance(loaded, ec.EllipticCurvePrivateKey):
        raise ValueError("issuer key is not an EC key")
    return loaded


def sign(claims: Mapping[str, Any], key: IssuerKey, passphrase: str | None = None) -> str:
    """The claims as a compact JWS with `kid` (VC-JWT)."""
    return jwt.encode(
        dict(claims),
        _private_key(key, passphrase),
        algorithm=ALGORITHM,
        headers={"kid": key.key_id, "typ": "JWT"},
    )


def unverified_claims(token: str) -> dict[str, Any]:
    """The payload of a JWT we issued ourselves (already trusted: it comes from our own storage)."""
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Urls:
    """The public URLs documents point at (the gateway's public base URL)."""

    base: str

    def issuer(self, tenant_id: uuid.UUID) -> str:
        """The issuer profile of a tenant."""
        return f"{self.base}/v1/issuers/{tenant_id}"

    def key_id(self, tenant_id: uuid.UUID, key_number: int = 1) -> str:
        """The verification method id of a tenant's key (the JWT `kid`)."""
        return f"{self.issuer(tenant_id)}#key-{key_number}"

    def credential(self, credential_id: uuid.UUID) -> str:
        """A credential."""
        return f"{self.base}/v1/credentials/{credential_id}"

    def status_list(self, list_id: uuid.UUID) -> str:
        """A status list credential."""
        return f"{self.base}/v1/status-lists/{list_id}"


def issuer_profile(
    urls: Urls, tenant_id: uuid.UUID, name: str, url: str, keys: Iterable[IssuerKey]
) -> dict[str, Any]:
    """The issuer's Open Badges Profile with its public keys as JsonWebKey verification methods."""
    issuer_id = urls.issuer(tenant_id)
    profile: dict[str, Any] = {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": issuer_id,
        "type": ["Profile"],
        "name": name,
        "verificationMethod": [
            {"id": key.key_id, "type": "JsonWebKey", "controller": issuer_id, "publicKeyJwk": key.public_jwk}
            for key in keys
        ],
    }
    if url:
        profile["url"] = url
    return profile


@dataclass(frozen=True)
class AchievementView:
    """The badge facts a credential's Achievement carries."""

    badge_id: uuid.UUID
    name: str
    description: str
    criteria_narrative: str
    image_url: str
    tags: tuple[str, ...]


@dataclass(frozen=True)
class CredentialInput:
    """Everything one OpenBadgeCredential states."""

    tenant_id: uuid.UUID
    credential_id: uuid.UUID
    learner_id: str
    achievement: AchievementView
    issuer_name: str
    valid_from: dt.datetime
    valid_until: dt.datetime | None
    evidence: tuple[str, ...]
    revocation_list_id: uuid.UUID
    revocation_index: int
    suspension_list_id: uuid.UUID
    suspension_index: int


def subject_id(tenant_id: uuid.UUID, learner_id: str) -> str:
    """The credential subject's id: the learner within the tenant."""
    return f"urn:aigym:{tenant_id}:learner:{learner_id}"


def open_badge_claims(urls: Urls, data: CredentialInput) -> dict[str, Any]:
    """The JWT claims of an OpenBadgeCredential (`vc` holds the credential, as OB 3.0's VC-JWT form)."""
    a = data.achievement
    achievement: dict[str, Any] = {
        "id": f"urn:uuid:{a.badge_id}",
        "type": ["Achievement"],
        "name": a.name,
        "description": a.description or a.name,
        "criteria": {"narrative": a.criteria_narrative or a.description or a.name},
    }
    if a.image_url:
        achievement["image"] = {"id": a.image_url, "type": "Image"}
    if a.tags:
        achievement["tag"] = list(a.tags)
    issuer_id = urls.issuer(data.tenant_id)
    credential: dict[str, Any] = {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": urls.credential(data.credential_id),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer_id, "type": ["Profile"], "name": data.issuer_name},
        "name": a.name,
        "validFrom": _iso(data.valid_from),
        "credentialSubject": {
            "id": subject_id(data.tenant_id, data.learner_id),
            "type": ["AchievementSubject"],
            "achievement": achievement,
        },
        "credentialStatus": [
            _status_entry(urls, "revocation", data.revocation_list_id, data.revocation_index),
            _status_entry(urls, "suspension", data.suspension_list_id, data.suspension_index),
        ],
    }
    if data.evidence:
        credential["evidence"] = [
            {"id": f"urn:uuid:{event}", "type": ["Evidence"]} for event in data.evidence
        ]
    claims: dict[str, Any] = {
        "iss": issuer_id,
        "jti": credential["id"],
        "sub": credential["credentialSubject"]["id"],
        "nbf": int(data.valid_from.timestamp()),
        "iat": int(data.valid_from.timestamp()),
        "vc": credential,
    }
    if data.valid_until is not None:
        credential["validUntil"] = _iso(data.valid_until)
        claims["exp"] = int(data.valid_until.timestamp())
    return claims


def _status_entry(urls: Urls, purpose: str, list_id: uuid.UUID, index: int) -> dict[str, Any]:
    list_url = urls.status_list(list_id)
    return {
        "id": f"{list_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }


def encode_bitstring(set_indices: Iterable[int], size: int = STATUS_LIST_SIZE) -> str:
    """The Bitstring Status List `encodedList`: multibase base64url (prefix `u`) of the GZIP'd bits, index 0
    being the most significant bit of the first byte."""
    bits = bytearray(size // 8)
    for index in set_indices:
        if not 0 <= index < size:
            raise ValueError(f"status index {index} outside 0..{size - 1}")
        bits[index // 8] |= 0x80 >> (index % 8)
    packed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).decode().rstrip("=")


def decode_bitstring(encoded: str) -> bytes:
    """The raw bits of an `encodedList` (the inverse of `encode_bitstring`)."""
    if not encoded.startswith("u"):
        raise ValueError("encodedList must be multibase base64url (prefix 'u')")
    body = encoded[1:]
    return gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def bit_is_set(bits: bytes, index: int) -> bool:
    """Whether entry `index` of a decoded status list is set."""
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def status_list_claims(
    urls: Urls, tenant_id: uuid.UUID, list_id: uuid.UUID, purpose: str, encoded: str, now: dt.datetime
) -> dict[str, Any]:
    """The JWT claims of a BitstringStatusListCredential."""
    list_url = urls.status_list(list_id)
    issuer_id = urls.issuer(tenant_id)
    credential = {
        "@context": [VC_CONTEXT],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_id,
        "validFrom": _iso(now),
        "credentialSubject": {
            "id": f"{list_url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": encoded,
        },
    }
    return {
        "iss": issuer_id,
        "jti": list_url,
        "iat": int(now.timestamp()),
        "nbf": int(now.timestamp()),
        "vc": credential,
    }
