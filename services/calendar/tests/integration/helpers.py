"""Shared helpers of the calendar RPC tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
from google.protobuf.duration_pb2 import Duration
from google.protobuf.field_mask_pb2 import FieldMask
from google.protobuf.timestamp_pb2 import Timestamp
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from aigym.calendar.v1 import calendar_pb2 as pb
from aigym_calendar.directory_service import DirectoryHandlers
from aigym_calendar.settings import CalendarSettings
from aigym_platform.testing.consumers import DirectoryFeeder
from aigym_platform.testing.tokens import TokenFactory, bearer

Metadata = tuple[tuple[str, str], ...]


class Directory(DirectoryFeeder):
    """Delivers `learner_upserted` events to the calendar's consumer exactly as its worker does."""

    def __init__(self, settings: CalendarSettings) -> None:
        super().__init__(settings, "calendar", DirectoryHandlers().record_learner_upserted)


def who(tokens: TokenFactory, tenant: uuid.UUID, role: str, name: str) -> Metadata:
    return bearer(tokens.token(tenant, [role], user=name))


def ts(value: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value.astimezone(UTC))
    return stamp


def when(value: Timestamp) -> datetime:
    return value.ToDatetime(tzinfo=UTC)


def dur(**kwargs: float) -> Duration:
    d = Duration()
    d.FromTimedelta(timedelta(**kwargs))
    return d


def mask(*paths: str) -> FieldMask:
    return FieldMask(paths=list(paths))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def session(
    start: datetime,
    rrule: str = "",
    *,
    zone: str = "Europe/Berlin",
    title: str = "Weekly cohort call",
    audience: pb.Audience | None = None,
    minutes: int = 60,
    **extra: Any,
) -> pb.Event:
    return pb.Event(
        kind=pb.EVENT_KIND_SESSION,
        title=title,
        start_time=ts(start),
        time_zone=zone,
        duration=dur(minutes=minutes),
        recurrence=pb.Recurrence(rrule=rrule),
        audience=audience or pb.Audience(kind=pb.AUDIENCE_KIND_TENANT),
        **extra,
    )


def violations(error: grpc.aio.AioRpcError) -> dict[str, str]:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None
    found = {}
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            found.update({v.field: v.description for v in bad.field_violations})
    return found
