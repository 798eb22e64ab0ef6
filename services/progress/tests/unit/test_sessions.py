"""Learning sessions: the time-on-task algorithm tot.v1 and the session use cases on fakes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

import pytest

from aigym_platform.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from aigym_platform.events.registry import SESSION_ENDED
from aigym_platform.identity import Identity, Role, TenantId
from aigym_progress.service import ProgressService
from aigym_progress.session_service import SessionService
from aigym_progress.sessions import (
    ALGORITHM,
    IDLE_TIMEOUT,
    EndReason,
    Interval,
    SessionInput,
    SessionKind,
    SessionState,
    union_seconds,
)
from aigym_progress.structure import Block, BlockType
from services.progress.tests.fakes import (
    FakeDirectoryRepository,
    FakeProgressRepository,
    FakeSessionRepository,
    FakeStore,
    FakeUnitOfWork,
)

T0 = dt.datetime(2026, 11, 2, 8, tzinfo=dt.UTC)
COURSE = "course-1"


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def span(start: float, end: float) -> Interval:
    return Interval(at(start), at(end))


@pytest.mark.parametrize(
    ("intervals", "seconds"),
    [
        ([], 0),
        ([span(0, 10)], 600),
        ([span(0, 10), span(20, 25)], 900),
        ([span(0, 10), span(5, 15)], 900),  # two tabs overlapping: counted once
        ([span(0, 30), span(5, 10), span(12, 14)], 1800),  # nested
        ([span(0, 10), span(10, 20)], 1200),  # touching
        ([span(0, 10), span(0, 10)], 600),  # duplicates
        ([span(5, 5), span(7, 6)], 0),  # empty and inverted intervals count nothing
        ([span(20, 25), span(0, 10), span(8, 21)], 1500),  # unsorted input, chained overlaps
        ([Interval(T0, T0 + dt.timedelta(seconds=59.9))], 59),  # whole seconds, rounded down
    ],
)
def test_time_on_task_is_the_union_of_intervals(intervals: list[Interval], seconds: int) -> None:
    assert union_seconds(intervals) == seconds


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


class World:
    def __init__(self) -> None:
        self.store = FakeStore()
        self.tenant = TenantId(uuid.uuid4())
        self.clock = Clock()

        def uow(tenant: TenantId, identity: Identity | None) -> FakeUnitOfWork:
            return FakeUnitOfWork(self.store, tenant, identity)

        self.sessions = SessionService(
            uow,
            FakeSessionRepository,  # type: ignore[arg-type]
            FakeProgressRepository,  # type: ignore[arg-type]
            self.clock,
            FakeDirectoryRepository,  # type: ignore[arg-type]
        )
        self.store.of(self.tenant).directory["learner-1"] = ("manager-1", True, self.clock.now)
        self.progress = ProgressService(uow, FakeProgressRepository, self.clock, FakeSessionRepository)  # type: ignore[arg-type]
        self.admin = self.person("admin-1", Role.CLIENT_ADMIN)
        self.learner = self.person("learner-1")

    def person(self, user: str, *roles: Role) -> Identity:
        return Identity(user, self.tenant, frozenset(roles or (Role.LEARNER,)))

    async def course(self) -> None:
        await self.progress.update_structure(self.admin, COURSE, [Block("b1", BlockType.VIDEO, 1, True)])

    def ended(self) -> list[object]:
        return [e.payload for e in self.store.events if e.event_type == SESSION_ENDED]


@pytest.fixture
async def world() -> World:
    w = World()
    await w.course()
    return w


def online(learner: str = "me", **kw: str) -> SessionInput:
    return SessionInput(learner, kw.pop("course", COURSE), **kw)  # type: ignore[arg-type]


def offline(start: float, end: float, learner: str = "me") -> SessionInput:
    return SessionInput(learner, COURSE, SessionKind.OFFLINE, at(start), at(end), note="workshop")


async def test_heartbeats_extend_a_session_and_end_closes_it_with_an_event(world: World) -> None:
    session = await world.sessions.start_session(world.learner, online(request_id="s-1"))
    assert (session.state, session.learner_id, session.active_seconds) == (SessionState.OPEN, "learner-1", 0)
    for _ in range(3):
        world.clock.advance(minutes=2)
        session = await world.sessions.heartbeat(world.learner, str(session.session_id))
    assert (session.heartbeats, session.active_seconds) == (3, 360)
    assert session.time_on_task is not None
    assert session.time_on_task.seconds == 360
    world.clock.advance(minutes=1)
    ended = await world.sessions.end_session(world.learner, str(session.session_id))
    assert (ended.state, ended.end_reason, ended.end_time) == (SessionState.CLOSED, EndReason.ENDED, at(7))
    assert ended.time_on_task is not None
    assert (ended.time_on_task.seconds, ended.time_on_task.algorithm) == (420, ALGORITHM)
    events = world.ended()
    assert len(events) == 1
    assert events[0].end_reason == "ended"  # type: ignore[attr-defined]
    assert events[0].time_on_task_seconds == 420  # type: ignore[attr-defined]
    again = await world.sessions.end_session(world.learner, str(session.session_id))
    assert again.end_time == at(7)
    assert len(world.ended()) == 1  # ending twice changes nothing
    with pytest.raises(FailedPrecondition) as closed:
        await world.sessions.heartbeat(world.learner, str(session.session_id))
    assert closed.value.reason == "SESSION_CLOSED"
    progress = await world.progress.get_progress(world.learner, "me", COURSE)
    assert progress.time_on_task is not None
    assert progress.time_on_task.seconds == 420


async def test_a_late_heartbeat_closes_the_session_at_its_last_signal(world: World) -> None:
    session = await world.sessions.start_session(world.learner, online())
    world.clock.advance(minutes=3)
    await world.sessions.heartbeat(world.learner, str(session.session_id))
    world.clock.advance(seconds=IDLE_TIMEOUT.total_seconds() + 1)
    with pytest.raises(FailedPrecondition) as expired:
        await world.sessions.heartbeat(world.learner, str(session.session_id))
    assert expired.value.reason == "SESSION_EXPIRED"
    [stored] = (await world.sessions.list_sessions(world.learner, "me", COURSE, None, 10, "")).sessions
    assert (stored.state, stored.end_reason, stored.end_time) == (
        SessionState.CLOSED,
        EndReason.IDLE_TIMEOUT,
        at(3),
    )
    assert stored.active_seconds == 180  # the silence does not count
    assert len(world.ended()) == 1


async def test_the_idle_job_closes_only_abandoned_sessions(world: World) -> None:
    abandoned = await world.sessions.start_session(world.learner, online())
    other = world.person("learner-2")
    world.clock.advance(minutes=4)
    alive = await world.sessions.start_session(other, online())
    world.clock.advance(minutes=2)
    await world.sessions.heartbeat(other, str(alive.session_id))
    assert await world.sessions.close_idle_sessions(world.tenant) == 1
    assert await world.sessions.close_idle_sessions(world.tenant) == 0
    mine = (await world.sessions.list_sessions(world.learner, "me", "", None, 10, "")).sessions
    assert [(s.session_id, s.end_reason, s.end_time) for s in mine] == [
        (abandoned.session_id, EndReason.IDLE_TIMEOUT, T0)
    ]
    theirs = (await world.sessions.list_sessions(other, "me", "", None, 10, "")).sessions
    assert theirs[0].state is SessionState.OPEN


async def test_overlapping_tabs_count_once(world: World) -> None:
    first = await world.sessions.start_session(world.learner, online())
    world.clock.advance(minutes=2)
    second = await world.sessions.start_session(world.learner, online())
    world.clock.advance(minutes=2)
    await world.sessions.heartbeat(world.learner, str(first.session_id))
    await world.sessions.heartbeat(world.learner, str(second.session_id))
    world.clock.advance(minutes=2)
    await world.sessions.end_session(world.learner, str(first.session_id))
    world.clock.advance(minutes=2)
    await world.sessions.heartbeat(world.learner, str(second.session_id))
    world.clock.advance(minutes=2)
    ended = await world.sessions.end_session(world.learner, str(second.session_id))
    # first: 0..6 min, second: 2..10 min -> union 0..10 min, although the sessions' own times sum to 14 min.
    assert ended.active_seconds == 480
    assert ended.time_on_task is not None
    assert ended.time_on_task.seconds == 600


async def test_offline_sessions_count_only_once_approved(world: World) -> None:
    world.clock.advance(hours=5)
    pending = await world.sessions.start_session(world.learner, offline(0, 90))
    assert (pending.state, pending.active_seconds) == (SessionState.PENDING_APPROVAL, 0)
    assert world.ended() == []
    with pytest.raises(PermissionDenied):
        await world.sessions.approve_session(world.learner, str(pending.session_id))
    with pytest.raises(FailedPrecondition):
        await world.sessions.end_session(world.learner, str(pending.session_id))
    approved = await world.sessions.approve_session(world.admin, str(pending.session_id))
    assert (approved.state, approved.end_reason, approved.decided_by) == (
        SessionState.CLOSED,
        EndReason.OFFLINE_APPROVED,
        "admin-1",
    )
    assert approved.time_on_task is not None
    assert approved.time_on_task.seconds == 5400
    assert len(world.ended()) == 1
    assert (await world.sessions.approve_session(world.admin, str(pending.session_id))).decide_time == (
        approved.decide_time
    )
    rejected = await world.sessions.start_session(world.learner, offline(60, 120))
    rejected = await world.sessions.reject_session(world.admin, str(rejected.session_id), " not attended ")
    assert (rejected.state, rejected.decision_reason) == (SessionState.REJECTED, "not attended")
    with pytest.raises(FailedPrecondition) as late:
        await world.sessions.approve_session(world.admin, str(rejected.session_id))
    assert late.value.reason == "SESSION_NOT_PENDING"
    progress = await world.progress.get_progress(world.learner, "me", COURSE)
    assert progress.time_on_task is not None
    assert progress.time_on_task.seconds == 5400
    by_admin = await world.sessions.start_session(world.admin, offline(100, 160, learner="learner-1"))
    assert by_admin.state is SessionState.CLOSED
    assert by_admin.time_on_task is not None
    assert by_admin.time_on_task.seconds == 9000  # 0..90 and 100..160 minutes


async def test_rejects_invalid_sessions_with_field_violations(world: World) -> None:
    world.clock.advance(hours=1)
    cases = {
        "session.end_time": offline(10, 5),
        "session.course_id": online(course="bad id"),
    }
    for field, item in cases.items():
        with pytest.raises(InvalidArgument) as error:
            await world.sessions.start_session(world.learner, item)
        assert field in {v.field for v in error.value.violations}
    too_long = SessionInput("me", COURSE, SessionKind.OFFLINE, at(-24 * 60), at(0))
    future = SessionInput("me", COURSE, SessionKind.OFFLINE, at(50), at(120))
    missing = SessionInput("me", COURSE, SessionKind.OFFLINE)
    timed_online = SessionInput("me", COURSE, start_time=at(0))
    reasons = []
    for item in (too_long, future, missing, timed_online):
        with pytest.raises(InvalidArgument) as error:
            await world.sessions.start_session(world.learner, item)
        reasons.append(sorted(v.reason for v in error.value.violations))
    assert reasons == [["TOO_LONG"], ["IN_FUTURE"], ["REQUIRED", "REQUIRED"], ["ONLINE_TIME_GIVEN"]]
    with pytest.raises(InvalidArgument) as unknown:
        await world.sessions.start_session(world.learner, online(course="nope"))
    assert unknown.value.violations[0].reason == "UNKNOWN_COURSE"
    assert world.store.of(world.tenant).sessions == {}


async def test_sessions_of_others_need_roles_and_start_is_idempotent(world: World) -> None:
    with pytest.raises(PermissionDenied):
        await world.sessions.start_session(world.learner, online(learner="learner-2"))
    session = await world.sessions.start_session(world.learner, online(request_id="k"))
    assert (await world.sessions.start_session(world.learner, online(request_id="k"))).session_id == (
        session.session_id
    )
    with pytest.raises(FailedPrecondition) as reused:
        await world.sessions.start_session(
            world.learner, SessionInput("me", COURSE, SessionKind.OFFLINE, at(-30), at(-10), "k")
        )
    assert reused.value.reason == "REQUEST_ID_REUSED"
    # An offline declaration's retry returns it; the same key for another interval is refused, not lost.
    declared = SessionInput("me", COURSE, SessionKind.OFFLINE, at(-30), at(-10), "d", note="workshop")
    first = await world.sessions.start_session(world.learner, declared)
    assert (await world.sessions.start_session(world.learner, declared)).session_id == first.session_id
    for other in (
        dataclasses.replace(declared, end_time=at(-5)),
        dataclasses.replace(declared, note="another workshop"),
    ):
        with pytest.raises(FailedPrecondition) as redeclared:
            await world.sessions.start_session(world.learner, other)
        assert redeclared.value.reason == "REQUEST_ID_REUSED"
    intruder = world.person("learner-2")
    with pytest.raises(PermissionDenied):
        await world.sessions.heartbeat(intruder, str(session.session_id))
    with pytest.raises(PermissionDenied):
        await world.sessions.list_sessions(intruder, "learner-1", "", None, 10, "")
    manager = world.person("manager-1", Role.MANAGER)
    assert len((await world.sessions.list_sessions(manager, "learner-1", "", None, 10, "")).sessions) == 2
    with pytest.raises(PermissionDenied):  # not learner-1's manager
        await world.sessions.list_sessions(
            world.person("manager-2", Role.MANAGER), "learner-1", "", None, 10, ""
        )
    with pytest.raises(NotFound):
        await world.sessions.heartbeat(world.learner, str(uuid.uuid4()))
    admin_beat = await world.sessions.heartbeat(world.admin, str(session.session_id))
    assert admin_beat.heartbeats == 1


async def test_session_lists_page_newest_first(world: World) -> None:
    ids = []
    for _ in range(5):
        ids.append((await world.sessions.start_session(world.learner, online())).session_id)
        world.clock.advance(minutes=1)
    seen, token = [], ""
    while True:
        page = await world.sessions.list_sessions(world.learner, "me", "", None, 2, token)
        seen.extend(s.session_id for s in page.sessions)
        token = page.next_page_token
        if not token:
            break
    assert seen == ids[::-1]
    open_only = await world.sessions.list_sessions(world.learner, "me", COURSE, SessionState.CLOSED, 10, "")
    assert open_only.sessions == []
