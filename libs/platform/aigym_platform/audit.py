"""Append-only, per-tenant hash-chained audit log written in the same transaction as each mutation."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from aigym_platform.sql_text import text_literal, uuid_literal

GENESIS_HASH = "0" * 64
AUDIT_TABLE = "audit_log"


@dataclass(frozen=True)
class AuditEntry:
    """What happened, by whom, to which resource; before/after are stored only as digests."""

    tenant_id: uuid.UUID
    actor: str
    real_actor: str | None
    action: str
    resource_type: str
    resource_id: str
    request_id: str
    before: Any = None
    after: Any = None


def digest(value: Any) -> str | None:
    """SHA-256 of the canonical JSON of a value (None stays None)."""
    if value is None:
        return None
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def chain_hash(prev_hash: str, row: dict[str, Any]) -> str:
    """Hash of one audit row chained to its predecessor's hash."""
    fields = {
        "tenant_id": str(row["tenant_id"]),
        "seq": int(row["seq"]),
        "occurred_at": row["occurred_at"].astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor": row["actor"],
        "real_actor": row["real_actor"],
        "action": row["action"],
        "resource_type": row["resource_type"],
        "resource_id": row["resource_id"],
        "request_id": row["request_id"],
        "before_digest": row["before_digest"],
        "after_digest": row["after_digest"],
    }
    payload = prev_hash + json.dumps(fields, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


async def chain_audits(session: AsyncSession, entries: Sequence[AuditEntry]) -> list[str]:
    """Chain entries of one tenant, in order, under the tenant's advisory lock; return their INSERTs as
    complete SQL text, for the unit of work to send in the same message as COMMIT.

    The lock is held until the transaction ends, so writers of a tenant serialise from here to their
    commit: the unit of work calls this last, right before COMMIT, and the rows go with the COMMIT itself
    (two round trips under the lock: the lock, then the chain head read after it is granted).
    """
    if not entries:
        return []
    tenant = entries[0].tenant_id
    if any(entry.tenant_id != tenant for entry in entries):
        raise ValueError("one audit append covers one tenant")
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended('aigym.audit:' || :tenant, 0))"),
        {"tenant": str(tenant)},
    )
    # After the lock (a statement's snapshot predates it), the chain head and the time in one round trip.
    head = (
        await session.execute(
            text(
                "SELECT clock_timestamp(), last.seq, last.hash FROM (SELECT 1) AS one LEFT JOIN LATERAL"  # noqa: S608
                f" (SELECT seq, hash FROM {AUDIT_TABLE} WHERE tenant_id = :tenant ORDER BY seq DESC LIMIT 1)"
                " AS last ON true"
            ),
            {"tenant": tenant},
        )
    ).one()
    occurred, seq, prev = head[0], (head[1] or 0), (head[2] or GENESIS_HASH)
    statements = []
    for entry in entries:
        seq += 1
        row = {
            "tenant_id": entry.tenant_id,
            "seq": seq,
            "occurred_at": occurred,
            "actor": entry.actor,
            "real_actor": entry.real_actor,
            "action": entry.action,
            "resource_type": entry.resource_type,
            "resource_id": entry.resource_id,
            "request_id": entry.request_id,
            "before_digest": digest(entry.before),
            "after_digest": digest(entry.after),
        }
        row["prev_hash"] = prev
        row["hash"] = prev = chain_hash(prev, row)
        statements.append(_insert_statement(row))
    return statements


def _insert_statement(row: dict[str, Any]) -> str:
    """One audit row's INSERT as complete SQL text. Safe to send as a simple query: the sequence is an
    int, the time an ISO timestamp rendered here, and everything else a `sql_text` literal."""
    occurred = row["occurred_at"].astimezone(dt.UTC).isoformat(timespec="microseconds")
    texts = ", ".join(
        text_literal(row[column])
        for column in (
            "actor",
            "real_actor",
            "action",
            "resource_type",
            "resource_id",
            "request_id",
            "before_digest",
            "after_digest",
            "prev_hash",
            "hash",
        )
    )
    return (
        f"INSERT INTO {AUDIT_TABLE} (tenant_id, seq, occurred_at, actor, real_actor, action,"  # noqa: S608
        " resource_type, resource_id, request_id, before_digest, after_digest, prev_hash, hash)"
        f" VALUES ({uuid_literal(row['tenant_id'])}, {int(row['seq'])}, '{occurred}', {texts})"
    )


@dataclass(frozen=True)
class ChainReport:
    """Result of verifying one tenant's chain: `broken_at` is the first bad seq, None when intact."""

    rows: int
    broken_at: int | None

    @property
    def intact(self) -> bool:
        """True when every row's hash and link verify."""
        return self.broken_at is None


async def verify_chain(session: AsyncSession, tenant_id: uuid.UUID) -> ChainReport:
    """Recompute the tenant's chain in order and report the first row whose hash or link is wrong."""
    result = await session.execute(
        text(f"SELECT * FROM {AUDIT_TABLE} WHERE tenant_id = :tenant ORDER BY seq"),  # noqa: S608
        {"tenant": tenant_id},
    )
    prev, expected_seq, count = GENESIS_HASH, 1, 0
    for mapping in result.mappings():
        row = dict(mapping)
        count += 1
        if row["seq"] != expected_seq or row["prev_hash"] != prev or chain_hash(prev, row) != row["hash"]:
            return ChainReport(rows=count, broken_at=int(row["seq"]))
        prev, expected_seq = row["hash"], expected_seq + 1
    return ChainReport(rows=count, broken_at=None)
