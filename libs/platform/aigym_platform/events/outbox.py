"""The producer side of the transactional outbox: one row per event, written in the caller's transaction."""

from __future__ import annotations

import datetime as dt
import uuid

from google.protobuf.message import Message
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from aigym_platform.events.envelope import build_envelope
from aigym_platform.events.registry import REGISTRY, EventRegistry
from aigym_platform.events.schema import OUTBOX_TABLE
from aigym_platform.identity import TenantId

_INSERT = text(
    f"INSERT INTO {OUTBOX_TABLE} (tenant_id, event_id, event_type, subject, envelope)"  # noqa: S608
    " VALUES (:tenant_id, :event_id, :event_type, :subject, :envelope)"
)


async def write_outbox(
    session: AsyncSession,
    tenant_id: TenantId,
    actor: str,
    event_type: str,
    subject: str,
    payload: Message,
    *,
    schema_version: int = 1,
    registry: EventRegistry = REGISTRY,
) -> str:
    """Insert one outbox row for a registered event type; returns the new event id."""
    spec = registry.get(event_type)
    if not isinstance(payload, spec.payload):
        raise TypeError(
            f"{event_type} carries {spec.payload.DESCRIPTOR.full_name}, got {payload.DESCRIPTOR.full_name}"
        )
    if not subject:
        raise ValueError("an event needs a subject (the resource it is about)")
    event_id = uuid.uuid4()
    envelope = build_envelope(
        event_id=event_id,
        event_type=event_type,
        tenant_id=tenant_id,
        actor=actor,
        occurred_at=dt.datetime.now(dt.UTC),
        subject=subject,
        payload=payload,
        schema_version=schema_version,
    )
    await session.execute(
        _INSERT,
        {
            "tenant_id": tenant_id,
            "event_id": event_id,
            "event_type": event_type,
            "subject": subject,
            "envelope": envelope.SerializeToString(),
        },
    )
    return str(event_id)
