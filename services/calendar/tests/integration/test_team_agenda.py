"""A manager reads the agendas of their team only; the team comes from the replicated learner directory.

Directory entries arrive as `learner_upserted` events through the platform's real consumer path (inbox row and
handler in one transaction), so redelivery and late, older changes are exercised as a worker meets them.
"""

from __future__ import annotations

import datetime as dt
import uuid

import grpc
import pytest

from aigym.calendar.v1 import calendar_pb2 as pb
from aigym.calendar.v1 import calendar_pb2_grpc
from aigym_platform.testing.tokens import TokenFactory
from services.calendar.tests.integration.helpers import Directory, session, ts, utc, who

Stub = calendar_pb2_grpc.CalendarServiceStub
WINDOW = {"start_time": ts(utc(2026, 6, 1)), "end_time": ts(utc(2026, 7, 1))}


async def agenda_of(stub: Stub, caller: tuple[tuple[str, str], ...], learner: str) -> list[str]:
    """The titles in the learner's agenda as the caller sees it."""
    agenda = await stub.ListAgenda(pb.ListAgendaRequest(learner_id=learner, **WINDOW), metadata=caller)
    return [o.title for o in agenda.occurrences]


async def test_a_manager_reads_the_agendas_of_their_direct_and_indirect_reports_only(
    stub: Stub, tokens: TokenFactory, tenant: uuid.UUID, directory: Directory
) -> None:
    for learner, manager in {
        "lead": "boss",
        "direct": "boss",
        "indirect": "lead",
        "outsider": "else",
    }.items():
        assert directory.deliver(tenant, learner, manager) == "applied"
    admin = who(tokens, tenant, "client_admin", "admin-1")
    await stub.CreateEvent(pb.CreateEventRequest(event=session(utc(2026, 6, 10, 8))), metadata=admin)
    boss, lead = who(tokens, tenant, "manager", "boss"), who(tokens, tenant, "manager", "lead")

    for learner in ("direct", "indirect", "lead"):
        assert await agenda_of(stub, boss, learner) == ["Weekly cohort call"]
    assert await agenda_of(stub, lead, "indirect") == ["Weekly cohort call"]
    assert await agenda_of(stub, boss, "me") == ["Weekly cohort call"]  # their own
    for caller, learner in ((boss, "outsider"), (lead, "direct"), (lead, "boss"), (boss, "unknown")):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await agenda_of(stub, caller, learner)
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert "not in your team" in (refused.value.details() or "")
    with pytest.raises(grpc.aio.AioRpcError) as learner_peeks:
        await agenda_of(stub, who(tokens, tenant, "learner", "direct"), "indirect")
    assert learner_peeks.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert await agenda_of(stub, admin, "outsider") == ["Weekly cohort call"]


async def test_the_calendar_directory_consumer_is_idempotent_and_keeps_the_newest_reporting_line(
    stub: Stub, tokens: TokenFactory, tenant: uuid.UUID, directory: Directory
) -> None:
    admin = who(tokens, tenant, "client_admin", "admin-1")
    await stub.CreateEvent(pb.CreateEventRequest(event=session(utc(2026, 6, 10, 8))), metadata=admin)
    boss, other = who(tokens, tenant, "manager", "boss"), who(tokens, tenant, "manager", "other")

    async def allowed(caller: tuple[tuple[str, str], ...]) -> bool:
        try:
            await agenda_of(stub, caller, "mover")
        except grpc.aio.AioRpcError as error:
            if error.code() != grpc.StatusCode.PERMISSION_DENIED:
                raise
            return False
        return True

    start = dt.datetime.now(dt.UTC)
    first = uuid.uuid4()
    assert directory.deliver(tenant, "mover", "boss", occurred_at=start, event_id=first) == "applied"
    assert directory.deliver(tenant, "mover", "boss", occurred_at=start, event_id=first) == "duplicate"
    assert (await allowed(boss), await allowed(other)) == (True, False)
    later = start + dt.timedelta(minutes=1)
    assert directory.deliver(tenant, "mover", "other", occurred_at=later) == "applied"
    assert (await allowed(boss), await allowed(other)) == (False, True)
    assert directory.deliver(tenant, "mover", "boss", occurred_at=start, event_id=first) == "duplicate"
    stale = start - dt.timedelta(minutes=1)  # an older change arriving late does not win
    assert directory.deliver(tenant, "mover", "boss", occurred_at=stale) == "applied"
    assert (await allowed(boss), await allowed(other)) == (False, True)
