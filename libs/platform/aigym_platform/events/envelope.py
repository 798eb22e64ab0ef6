"""Build, serialize and read `aigym.events.v1.EventEnvelope` (the wire form is base64 of the proto bytes)."""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Generic, TypeVar

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from aigym.events.v1 import events_pb2
from aigym_platform.identity import TenantId

P = TypeVar("P", bound=Message)


@dataclass(frozen=True)
class Event(Generic[P]):
    """An event as a handler sees it: envelope fields plus the unpacked, typed payload."""

    event_id: uuid.UUID
    type: str
    tenant_id: TenantId
    actor: str
    occurred_at: dt.datetime
    subject: str
    schema_version: int
    payload: P


def build_envelope(
    *,
    event_id: uuid.UUID,
    event_type: str,
    tenant_id: uuid.UUID,
    actor: str,
    occurred_at: dt.datetime,
    subject: str,
    payload: Message,
    schema_version: int = 1,
) -> events_pb2.EventEnvelope:
    """An envelope with the payload packed into its `Any` field."""
    envelope = events_pb2.EventEnvelope(
        event_id=str(event_id),
        type=event_type,
        tenant_id=str(tenant_id),
        actor=actor,
        subject=subject,
        schema_version=schema_version,
    )
    stamp = Timestamp()
    stamp.FromDatetime(occurred_at.astimezone(dt.UTC))
    envelope.occurred_at.CopyFrom(stamp)
    envelope.payload.Pack(payload)
    return envelope


def encode(envelope: events_pb2.EventEnvelope | bytes) -> str:
    """The task argument form of an envelope: base64 text (Celery's JSON serializer carries no bytes)."""
    raw = envelope if isinstance(envelope, bytes) else envelope.SerializeToString()
    return base64.b64encode(raw).decode("ascii")


def decode(wire: str) -> events_pb2.EventEnvelope:
    """Parse the task argument form back into an envelope."""
    return events_pb2.EventEnvelope.FromString(base64.b64decode(wire, validate=True))


def open_envelope(envelope: events_pb2.EventEnvelope, payload_type: type[P]) -> Event[P]:
    """Unpack the payload as `payload_type`; ValueError if the envelope carries another type."""
    payload = payload_type()
    if not envelope.payload.Unpack(payload):
        raise ValueError(
            f"event {envelope.event_id} ({envelope.type}) carries {envelope.payload.type_url}, "
            f"expected {payload_type.DESCRIPTOR.full_name}"
        )
    return Event(
        event_id=uuid.UUID(envelope.event_id),
        type=envelope.type,
        tenant_id=TenantId(uuid.UUID(envelope.tenant_id)),
        actor=envelope.actor,
        occurred_at=envelope.occurred_at.ToDatetime(tzinfo=dt.UTC),
        subject=envelope.subject,
        schema_version=envelope.schema_version,
        payload=payload,
    )
