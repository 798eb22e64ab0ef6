"""Opaque page tokens (AIP-158): a keyset cursor bound to the query's filters so they cannot change."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from aigym_platform.errors import InvalidArgument

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


def page_size(requested: int, *, default: int = DEFAULT_PAGE_SIZE, maximum: int = MAX_PAGE_SIZE) -> int:
    """Apply the default for 0 and cap at `maximum` (negative sizes are rejected by the proto rules)."""
    return default if requested <= 0 else min(requested, maximum)


def _fingerprint(filters: dict[str, Any]) -> str:
    # Typed, so that filters equal only by Python's numeric equality (True == 1 == 1.0) stay distinct.
    try:
        return _fingerprint_of(tuple((name, type(value), value) for name, value in sorted(filters.items())))
    except TypeError:  # an unhashable value: compute it afresh
        return _digest(filters)


@lru_cache(maxsize=1024)
def _fingerprint_of(items: tuple[tuple[str, type, Any], ...]) -> str:
    """Fingerprints of recent filter sets: a page's token is decoded and the next one encoded per request."""
    return _digest({name: value for name, _, value in items})


def _digest(filters: dict[str, Any]) -> str:
    canonical = json.dumps(filters, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Cursor:
    """Position after the last item of a page: the sort key values of that item.

    Read a decoded token's values through the typed accessors: a token a client altered then answers
    INVALID_ARGUMENT on `page_token` instead of failing the call with a server error.
    """

    values: tuple[Any, ...]

    def time(self, index: int) -> dt.datetime:
        """Value `index` as a timezone-aware datetime (written as ISO 8601 text)."""
        value = self._value(index, str)
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            raise _malformed() from None
        if parsed.tzinfo is None:
            raise _malformed()
        return parsed

    def uuid(self, index: int) -> uuid.UUID:
        """Value `index` as a UUID."""
        try:
            return uuid.UUID(self._value(index, str))
        except ValueError:
            raise _malformed() from None

    def text(self, index: int) -> str:
        """Value `index` as text."""
        return str(self._value(index, str))

    def integer(self, index: int) -> int:
        """Value `index` as an integer."""
        return int(self._value(index, int))

    def number(self, index: int) -> float:
        """Value `index` as a number."""
        return float(self._value(index, (int, float)))

    def _value(self, index: int, kind: Any) -> Any:
        value = self.values[index] if index < len(self.values) else None
        if not isinstance(value, kind) or isinstance(value, bool):
            raise _malformed()
        return value


def _malformed() -> InvalidArgument:
    return InvalidArgument.for_field("page_token", "page_token is malformed")


def encode_token(cursor: Cursor, filters: dict[str, Any]) -> str:
    """Serialise a cursor plus the filters' fingerprint into an opaque URL-safe token."""
    raw = json.dumps({"v": list(cursor.values), "f": _fingerprint(filters)}, default=str)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_token(token: str, filters: dict[str, Any]) -> Cursor | None:
    """Parse a page token; None for the first page. INVALID_ARGUMENT if malformed or filters changed."""
    if not token:
        return None
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        values, fingerprint = tuple(data["v"]), data["f"]
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidArgument.for_field("page_token", "page_token is malformed") from exc
    if fingerprint != _fingerprint(filters):
        raise InvalidArgument.for_field("page_token", "page_token was issued for different filters")
    return Cursor(values)
