"""Webhook signatures: HMAC-SHA256 over `<unix timestamp>.<raw body>`, sent as one header.

    X-AIGym-Signature: t=1764201600,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd

A receiver recomputes `hex(hmac_sha256(secret, f"{t}." + body))` on the raw request bytes, compares it in
constant time with any `v1` value (several appear while a secret is being rotated) and rejects timestamps
older than its tolerance (replay protection). `verify_signature` does exactly that; docs/delivery.md shows
the same check in a few lines for receivers written in anything else.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Sequence

SIGNATURE_HEADER = "X-AIGym-Signature"
SCHEME = "v1"


class InvalidSignatureError(ValueError):
    """The signature header is missing, malformed, too old, or matches none of the secrets."""


def sign_payload(secret: str | bytes, timestamp: int, body: bytes) -> str:
    """Hex HMAC-SHA256 of `<timestamp>.<body>` under `secret`."""
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secrets: Sequence[str | bytes], body: bytes, *, timestamp: int | None = None) -> str:
    """The header value: `t=<timestamp>,v1=<sig>` with one `v1` per secret (old and new while rotating)."""
    if not secrets:
        raise ValueError("at least one signing secret is required")
    stamp = int(time.time()) if timestamp is None else timestamp
    return ",".join([f"t={stamp}"] + [f"{SCHEME}={sign_payload(s, stamp, body)}" for s in secrets])


def verify_signature(
    header: str | None,
    body: bytes,
    secrets: Sequence[str | bytes],
    *,
    tolerance_seconds: int = 300,
    now: float | None = None,
) -> int:
    """Check a received header against the raw body; return its timestamp or raise InvalidSignatureError."""
    if not header:
        raise InvalidSignatureError("missing signature header")
    stamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            raise InvalidSignatureError("malformed signature header")
        if key == "t":
            try:
                stamp = int(value)
            except ValueError:
                raise InvalidSignatureError("malformed timestamp") from None
        elif key == SCHEME:
            signatures.append(value)
    if stamp is None or not signatures:
        raise InvalidSignatureError("signature header lacks t= or v1=")
    current = time.time() if now is None else now
    if abs(current - stamp) > tolerance_seconds:
        raise InvalidSignatureError("signature timestamp outside the tolerance")
    for secret in secrets:
        expected = sign_payload(secret, stamp, body)
        if any(hmac.compare_digest(expected, candidate) for candidate in signatures):
            return stamp
    raise InvalidSignatureError("no signature matches")
