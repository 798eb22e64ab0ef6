"""SQL of the consumer side: the inbox (idempotency) and the dead-letter table, always inside one tenant."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from aigym_platform.events.schema import DEAD_LETTER_TABLE, INBOX_TABLE


@dataclass(frozen=True)
class DeadLetter:
    """An event whose handler exhausted its retries (or could not read it)."""

    tenant_id: uuid.UUID
    id: int
    event_id: uuid.UUID
    handler: str
    event_type: str
    subject: str
    envelope: bytes
    error: str
    attempts: int
    state: str
    dead_at: dt.datetime
    replayed_at: dt.datetime | None


_NAME = re.compile(r"[A-Za-z0-9_.]+")


def inbox_statement(tenant_id: uuid.UUID, event_id: uuid.UUID, handler: str, event_type: str) -> str:
    """The inbox insert as complete SQL text, to go out with the unit of work's BEGIN in one round trip
    (`UnitOfWork.open_with`); its status says whether the row is new (`inbox_row_added`).

    Only values that cannot carry a quote are inlined: the UUIDs in canonical form and the registry's
    handler and type names (checked against their character set; anything else is a ValueError).
    """
    for name in (handler, event_type):
        if not _NAME.fullmatch(name):
            raise ValueError(f"not a registry name: {name!r}")
    return (
        f"INSERT INTO {INBOX_TABLE} (tenant_id, event_id, handler, event_type)"  # noqa: S608
        f" VALUES ('{uuid.UUID(str(tenant_id))}', '{uuid.UUID(str(event_id))}', '{handler}', '{event_type}')"
        " ON CONFLICT DO NOTHING"
    )


def inbox_row_added(status: str) -> bool:
    """Whether `inbox_statement` inserted its row (False: the handler already applied the event)."""
    if not status.startswith("INSERT "):
        raise ValueError(f"not the status of the inbox insert: {status!r}")
    return status.rsplit(" ", 1)[1] == "1"


async def record_in_inbox(
    session: AsyncSession, tenant_id: uuid.UUID, event_id: uuid.UUID, handler: str, event_type: str
) -> bool:
    """Insert the inbox row; False if this handler already applied the event (a redelivery)."""
    result = await session.execute(
        text(
            f"INSERT INTO {INBOX_TABLE} (tenant_id, event_id, handler, event_type)"  # noqa: S608
            " VALUES (:tenant, :event, :handler, :type) ON CONFLICT DO NOTHING RETURNING 1"
        ),
        {"tenant": tenant_id, "event": event_id, "handler": handler, "type": event_type},
    )
    return result.first() is not None


async def add_dead_letter(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    event_id: uuid.UUID,
    handler: str,
    event_type: str,
    subject: str,
    envelope: bytes,
    error: str,
    attempts: int,
) -> None:
    """Store (or, after a failed replay, refresh) the dead letter of one event and handler."""
    await session.execute(
        text(
            f"INSERT INTO {DEAD_LETTER_TABLE} AS d"  # noqa: S608
            " (tenant_id, event_id, handler, event_type, subject, envelope, error, attempts)"
            " VALUES (:tenant, :event, :handler, :type, :subject, :envelope, :error, :attempts)"
            " ON CONFLICT (tenant_id, event_id, handler) DO UPDATE SET state = 'dead',"
            " error = EXCLUDED.error, attempts = d.attempts + EXCLUDED.attempts,"
            " dead_at = now(), replayed_at = NULL"
        ),
        {
            "tenant": tenant_id,
            "event": event_id,
            "handler": handler,
            "type": event_type,
            "subject": subject,
            "envelope": envelope,
            "error": error[:4000],
            "attempts": attempts,
        },
    )


async def list_dead_letters(session: AsyncSession, *, state: str | None = "dead") -> list[DeadLetter]:
    """The current tenant's dead letters (RLS scopes the query), oldest first."""
    query = f"SELECT * FROM {DEAD_LETTER_TABLE}"  # noqa: S608
    params: dict[str, object] = {}
    if state is not None:
        query += " WHERE state = :state"
        params["state"] = state
    result = await session.execute(text(query + " ORDER BY id"), params)
    return [DeadLetter(**row) for row in result.mappings()]


async def mark_replayed(session: AsyncSession, dead_letter_id: int) -> DeadLetter | None:
    """Flag one dead letter of the current tenant as replayed; None if absent or not dead."""
    result = await session.execute(
        text(
            f"UPDATE {DEAD_LETTER_TABLE} SET state = 'replayed', replayed_at = now()"  # noqa: S608
            " WHERE id = :id AND state = 'dead' RETURNING *"
        ),
        {"id": dead_letter_id},
    )
    row = result.mappings().first()
    return DeadLetter(**row) if row is not None else None


async def dead_letter_tenants(session: AsyncSession) -> list[uuid.UUID]:
    """Tenants that have dead letters (the one cross-tenant read: ids only, via a definer function)."""
    result = await session.execute(text("SELECT event_dead_letter_tenants()"))
    return [row[0] for row in result]
