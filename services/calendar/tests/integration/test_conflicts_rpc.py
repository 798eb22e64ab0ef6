"""CheckConflicts: which audience members already have something when a proposed event would take place;
and what a manager sees and does of others' calendars there and in sign-ups (their team only)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from datetime import datetime

import grpc
import pytest

from aigym.calendar.v1 import calendar_pb2 as pb
from aigym.calendar.v1 import calendar_pb2_grpc
from aigym_platform.testing.tokens import TokenFactory
from services.calendar.tests.integration.helpers import Directory, Metadata, session, utc, when, who

Stub = calendar_pb2_grpc.CalendarServiceStub


def learners(*ids: str) -> pb.Audience:
    return pb.Audience(kind=pb.AUDIENCE_KIND_LEARNERS, learner_ids=list(ids))


async def conflicts_of(
    stub: Stub, caller: Metadata, **request: object
) -> tuple[list[tuple[str, datetime, str]], int, bool]:
    """(learner, proposed start, existing title) per conflict; the learners checked; truncated."""
    answer = await stub.CheckConflicts(pb.CheckConflictsRequest(**request), metadata=caller)  # type: ignore[arg-type]
    found = [(c.learner_id, when(c.proposed_start_time), c.existing.title) for c in answer.conflicts]
    return found, answer.learners_checked, answer.truncated


async def test_conflicts_are_the_audience_members_with_an_overlapping_occurrence(
    stub: Stub, tokens: TokenFactory, tenant: uuid.UUID
) -> None:
    admin = who(tokens, tenant, "client_admin", "admin-1")
    # Wednesdays 10, 17 and 24 June, 08:00-09:00 in Berlin (06:00-07:00 UTC), for ada and bo.
    standup = await stub.CreateEvent(
        pb.CreateEventRequest(
            event=session(
                utc(2026, 6, 10, 6), "FREQ=WEEKLY;COUNT=3", title="Standup", audience=learners("ada", "bo")
            )
        ),
        metadata=admin,
    )
    overlapping = session(utc(2026, 6, 17, 6, 30), minutes=30, audience=learners("ada", "bo", "cy"))

    found, checked, truncated = await conflicts_of(stub, admin, event=overlapping)
    assert found == [("ada", utc(2026, 6, 17, 6, 30), "Standup"), ("bo", utc(2026, 6, 17, 6, 30), "Standup")]
    assert (checked, truncated) == (3, False)

    right_after = session(utc(2026, 6, 17, 7), audience=learners("ada", "bo"))  # touching is no overlap
    assert (await conflicts_of(stub, admin, event=right_after))[0] == []

    series = session(utc(2026, 6, 10, 6, 30), "FREQ=WEEKLY;COUNT=3", audience=learners("ada", "bo"))
    found, _, truncated = await conflicts_of(stub, admin, event=series)
    assert (len(found), truncated) == (6, False)
    assert {start for _, start, _ in found} == {utc(2026, 6, d, 6, 30) for d in (10, 17, 24)}
    found, _, truncated = await conflicts_of(stub, admin, event=series, max_conflicts=4)
    assert (len(found), truncated) == (4, True)

    # An existing event's own occurrences are not its conflicts.
    assert (await conflicts_of(stub, admin, event_id=standup.event_id))[0] == []


async def test_only_managers_check_conflicts_and_an_unknown_event_is_not_found(
    stub: Stub, tokens: TokenFactory, tenant: uuid.UUID
) -> None:
    proposed = session(utc(2026, 6, 17, 6), audience=learners("ada"))
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await conflicts_of(stub, who(tokens, tenant, "learner", "ada"), event=proposed)
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await conflicts_of(stub, who(tokens, tenant, "manager", "boss"), event_id=str(uuid.uuid4()))
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND


async def test_a_manager_sees_conflicts_and_sign_ups_of_their_team_only(
    stub: Stub, tokens: TokenFactory, tenant: uuid.UUID, directory: Directory
) -> None:
    for learner, manager in {"direct": "boss", "indirect": "direct", "outsider": "else"}.items():
        assert directory.deliver(tenant, learner, manager) == "applied"
    admin, boss = who(tokens, tenant, "client_admin", "admin-1"), who(tokens, tenant, "manager", "boss")
    everyone = learners("direct", "indirect", "outsider")
    await stub.CreateEvent(
        pb.CreateEventRequest(event=session(utc(2026, 6, 10, 6), title="Existing", audience=everyone)),
        metadata=admin,
    )
    proposed = session(utc(2026, 6, 10, 6), audience=everyone)

    found, checked, _ = await conflicts_of(stub, boss, event=proposed)
    assert ([learner for learner, _, _ in found], checked) == (["direct", "indirect"], 2)
    found, checked, _ = await conflicts_of(stub, admin, event=proposed)
    assert ([learner for learner, _, _ in found], checked) == (["direct", "indirect", "outsider"], 3)

    async def signed_up(creator: Metadata) -> str:
        event = await stub.CreateEvent(
            pb.CreateEventRequest(event=session(utc(2026, 6, 11, 6), capacity=10)), metadata=creator
        )
        for learner in ("outsider", "direct", "indirect"):
            await stub.CreateSignup(
                pb.CreateSignupRequest(event_id=event.event_id, learner_id="me"),
                metadata=who(tokens, tenant, "learner", learner),
            )
        return event.event_id

    async def listed(event_id: str, caller: Metadata) -> list[str]:
        page = await stub.ListSignups(pb.ListSignupsRequest(event_id=event_id), metadata=caller)
        return [signup.learner_id for signup in page.signups]

    admins_event, boss_event = await signed_up(admin), await signed_up(boss)
    assert await listed(admins_event, boss) == ["direct", "indirect"]
    assert await listed(admins_event, admin) == ["outsider", "direct", "indirect"]
    # The event's creator sees everyone who signed up for it.
    assert await listed(boss_event, boss) == ["outsider", "direct", "indirect"]
    assert await listed(boss_event, who(tokens, tenant, "manager", "direct")) == ["indirect"]

    async def status(call: Awaitable[object]) -> grpc.StatusCode:
        try:
            await call
        except grpc.aio.AioRpcError as error:
            return error.code()
        return grpc.StatusCode.OK

    def sign_up(event_id: str, caller: Metadata, learner: str) -> Awaitable[grpc.StatusCode]:
        request = pb.CreateSignupRequest(event_id=event_id, learner_id=learner)
        return status(stub.CreateSignup(request, metadata=caller))

    def withdraw(event_id: str, caller: Metadata, learner: str) -> Awaitable[grpc.StatusCode]:
        request = pb.DeleteSignupRequest(event_id=event_id, learner_id=learner)
        return status(stub.DeleteSignup(request, metadata=caller))

    another = (
        await stub.CreateEvent(
            pb.CreateEventRequest(event=session(utc(2026, 6, 12, 6), capacity=10)), metadata=admin
        )
    ).event_id
    assert await sign_up(another, boss, "outsider") == grpc.StatusCode.PERMISSION_DENIED
    assert await sign_up(another, boss, "indirect") == grpc.StatusCode.OK
    assert await sign_up(another, admin, "outsider") == grpc.StatusCode.OK
    assert await withdraw(another, boss, "outsider") == grpc.StatusCode.PERMISSION_DENIED
    assert await withdraw(another, boss, "indirect") == grpc.StatusCode.OK
    assert await listed(another, admin) == ["outsider"]
    # On an event they created, a manager signs up and withdraws anyone.
    assert await withdraw(boss_event, boss, "outsider") == grpc.StatusCode.OK
    assert await sign_up(boss_event, boss, "outsider") == grpc.StatusCode.OK
