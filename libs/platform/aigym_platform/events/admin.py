"""The dead-letter admin RPC (`aigym.events.v1.EventsAdminService`) every consuming service serves.

A thin gRPC face of `DeadLetters` (the same methods the `deadletters` CLI calls), always inside the
caller's tenant and for `client_admin`s. The Celery app that replays letters is created on the first replay,
so a server without a broker configured still lists them.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

import grpc
from celery import Celery
from google.protobuf import timestamp_pb2

from aigym.events.v1 import admin_pb2, admin_pb2_grpc
from aigym_platform.db import UnitOfWorkFactory
from aigym_platform.errors import FailedPrecondition, NotFound, Unavailable
from aigym_platform.events.deadletters import DeadLetters
from aigym_platform.events.inbox import DeadLetter
from aigym_platform.identity import Role, current_identity
from aigym_platform.jobs.app import create_celery_app
from aigym_platform.pagination import Cursor, decode_token, encode_token, page_size
from aigym_platform.server import Registration
from aigym_platform.settings import ServiceSettings

Context = grpc.aio.ServicerContext[Any, Any]
SERVICE_FULL_NAME = "aigym.events.v1.EventsAdminService"


def _timestamp(value: dt.datetime | None) -> timestamp_pb2.Timestamp | None:
    if value is None:
        return None
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


def dead_letter_to_proto(letter: DeadLetter) -> admin_pb2.DeadLetter:
    """A dead letter as its API message (the envelope itself stays inside the service)."""
    return admin_pb2.DeadLetter(
        dead_letter_id=letter.id,
        event_id=str(letter.event_id),
        handler=letter.handler,
        event_type=letter.event_type,
        subject=letter.subject,
        error=letter.error,
        attempts=letter.attempts,
        state=letter.state,
        dead_time=_timestamp(letter.dead_at),
        replay_time=_timestamp(letter.replayed_at),
    )


class EventsAdminServicer(admin_pb2_grpc.EventsAdminServiceServicer):  # type: ignore[misc]
    """Lists and replays the serving service's dead letters."""

    def __init__(self, settings: ServiceSettings, uow: UnitOfWorkFactory) -> None:
        self._settings = settings
        self._uow = uow

    @functools.cached_property
    def _broker(self) -> Celery:
        try:
            return create_celery_app(self._settings)
        except ValueError as error:
            raise Unavailable(str(error), reason="BROKER_NOT_CONFIGURED") from error

    def _letters(self, *, replaying: bool) -> DeadLetters:
        app = self._broker if replaying else None
        return DeadLetters(self._settings.service_name, self._uow, app)

    async def ListDeadLetters(
        self, request: admin_pb2.ListDeadLettersRequest, context: Context
    ) -> admin_pb2.ListDeadLettersResponse:
        """One page of the tenant's dead letters, oldest first."""
        identity = current_identity()
        identity.require(Role.CLIENT_ADMIN)
        state = None if request.state == "all" else (request.state or "dead")
        fingerprint = {"state": state}
        cursor = decode_token(request.page_token, fingerprint)
        size = page_size(request.page_size, default=50, maximum=500)
        after = cursor.integer(0) if cursor else 0
        letters = await self._letters(replaying=False).list(identity.tenant_id, state=state)
        remaining = [letter for letter in letters if letter.id > after]
        page = remaining[:size]
        token = encode_token(Cursor((page[-1].id,)), fingerprint) if len(remaining) > size else ""
        return admin_pb2.ListDeadLettersResponse(
            dead_letters=[dead_letter_to_proto(letter) for letter in page], next_page_token=token
        )

    async def ReplayDeadLetter(
        self, request: admin_pb2.ReplayDeadLetterRequest, context: Context
    ) -> admin_pb2.DeadLetter:
        """Send one dead letter to its handler again (audited)."""
        identity = current_identity()
        identity.require(Role.CLIENT_ADMIN)
        letters = self._letters(replaying=True)
        replayed = await letters.replay(identity.tenant_id, request.dead_letter_id, identity=identity)
        if replayed is not None:
            return dead_letter_to_proto(replayed)
        known = [
            d for d in await letters.list(identity.tenant_id, state=None) if d.id == request.dead_letter_id
        ]
        if known:
            raise FailedPrecondition(
                f"dead letter {request.dead_letter_id} was already replayed", reason="ALREADY_REPLAYED"
            )
        raise NotFound(f"dead letter {request.dead_letter_id} not found", reason="DEAD_LETTER_NOT_FOUND")


def events_admin_registration(settings: ServiceSettings, uow: UnitOfWorkFactory) -> Registration:
    """The admin service, ready to add to a consuming service's GrpcServer."""
    return Registration(
        SERVICE_FULL_NAME,
        EventsAdminServicer(settings, uow),
        admin_pb2_grpc.add_EventsAdminServiceServicer_to_server,
    )
