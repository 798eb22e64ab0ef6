"""The producer side of the transactional outbox: one row per event, written in the caller's transaction.

`UnitOfWork.publish` only builds the row (`outbox_entry`); `UnitOfWork.commit` sends the rows of the
transaction as complete SQL text (`outbox_statements`) in the same simple-query message as COMMIT, so an
event costs no round trip of its own. Its values are inlined only in forms that cannot carry a quote: the
UUIDs in canonical form, the registry's type name (checked against its character set) and the subject and
envelope as hexadecimal digits decoded by the server.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from google.protobuf.message import Message

from aigym_platform.events.envelope import build_envelope
from aigym_platform.events.registry import REGISTRY, EventRegistry
from aigym_platform.events.schema import OUTBOX_TABLE
from aigym_platform.identity import TenantId
from aigym_platform.sql_text import bytes_literal, text_literal, uuid_literal

_NAME = re.compile(r"[A-Za-z0-9_.]+")


@dataclass(frozen=True)
class OutboxEntry:
    """One outbox row, built when the event is published and written with the transaction's COMMIT."""

    tenant_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    subject: str
    envelope: bytes


def outbox_entry(
    tenant_id: TenantId,
    actor: str,
    event_type: str,
    subject: str,
    payload: Message,
    *,
    schema_version: int = 1,
    registry: EventRegistry = REGISTRY,
) -> OutboxEntry:
    """The outbox row of one registered event (KeyError: unknown type; TypeError: wrong payload)."""
    spec = registry.get(event_type)
    if not isinstance(payload, spec.payload):
        raise TypeError(
            f"{event_type} carries {spec.payload.DESCRIPTOR.full_name}, got {payload.DESCRIPTOR.full_name}"
        )
    if not subject:
        raise ValueError("an event needs a subject (the resource it is about)")
    if not _NAME.fullmatch(event_type):
        raise ValueError(f"not a registry name: {event_type!r}")
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
    return OutboxEntry(tenant_id, event_id, event_type, subject, envelope.SerializeToString())


def outbox_statements(entries: Sequence[OutboxEntry]) -> list[str]:
    """One INSERT per entry, in order, as complete SQL text (no parameters).

    Safe to send as a simple query: only registry names (checked again here) and `sql_text` literals are
    inlined, so no value can end its literal, whatever the server's quoting settings.
    """
    statements = []
    for entry in entries:
        if not _NAME.fullmatch(entry.event_type):
            raise ValueError(f"not a registry name: {entry.event_type!r}")
        statements.append(
            f"INSERT INTO {OUTBOX_TABLE} (tenant_id, event_id, event_type, subject, envelope)"  # noqa: S608
            f" VALUES ({uuid_literal(entry.tenant_id)}, {uuid_literal(entry.event_id)}, '{entry.event_type}',"
            f" {text_literal(entry.subject)}, {bytes_literal(entry.envelope)})"
        )
    return statements
