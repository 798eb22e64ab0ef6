"""Values inlined into complete SQL text: the rows a unit of work sends in COMMIT's simple-query message
(outbox and audit), where there are no bind parameters.

Each literal is built only from characters that cannot end it (hexadecimal digits, a canonical UUID's
digits and dashes), so it is safe whatever the server's quoting settings.
"""

from __future__ import annotations

import uuid


def text_literal(value: str | None) -> str:
    """A text value as an SQL expression of hexadecimal digits (NULL for None)."""
    if value is None:
        return "NULL"
    return f"convert_from(decode('{value.encode().hex()}', 'hex'), 'UTF8')"


def bytes_literal(value: bytes) -> str:
    """A bytea value as an SQL expression of hexadecimal digits."""
    return f"decode('{value.hex()}', 'hex')"


def uuid_literal(value: object) -> str:
    """A UUID (or its text) as a quoted literal in canonical form; ValueError for anything else."""
    return f"'{uuid.UUID(str(value))}'"
