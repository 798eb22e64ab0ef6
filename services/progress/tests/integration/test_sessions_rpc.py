"""Learning sessions through a real in-process server and PostgreSQL; idle closing and the Celery job."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import grpc
import pytest
from celery import Celery
from google.protobuf.json_format import MessageToDict
from pydantic import SecretStr

from aigym.progress.v1 import progress_pb2 as pb
from aigym_platform.db import create_engine, create_sessionmaker, uow_factory
from aigym_platform.events.registry import SESSION_ENDED
from aigym_platform.identity import Identity, Role, TenantId
from aigym_platform.jobs.bridge import JobContext
from aigym_platform.jobs.queues import job_task_name
from aigym_platform.provisioning import ServiceDatabase
from aigym_platform.testing.tokens import TokenFactory
from aigym_progress import tasks
from aigym_progress.session_service import SessionService
from aigym_progress.sessions import IDLE_TIMEOUT, EndReason, SessionInput
from aigym_progress.settings import ProgressSettings
from aigym_progress.xapi import EXT_SESSION
from services.progress.tests.conftest import Directory
from services.progress.tests.integration.test_progress_rpc import (
    COURSE,
    Stub,
    audit_actions,
    define_course,
    outbox,
    user,
    violations,
)


def online(learner: str = "me", **kw: object) -> pb.StartSessionRequest:
    return pb.StartSessionRequest(session=pb.LearningSession(learner_id=learner, course_id=COURSE, **kw))  # type: ignore[arg-type]


def offline(end: dt.datetime, length: dt.timedelta, note: str = "lab") -> pb.StartSessionRequest:
    """The learner's own declaration of an offline session that lasted `length` and ended at `end`."""
    declared = pb.LearningSession(learner_id="me", course_id=COURSE, kind=pb.SESSION_KIND_OFFLINE, note=note)
    declared.start_time.FromDatetime(end - length)
    declared.end_time.FromDatetime(end)
    return pb.StartSessionRequest(session=declared)


async def test_session_lifecycle_feeds_time_on_task_and_events(
    progress_stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID, progress_db: ServiceDatabase
) -> None:
    await define_course(progress_stub, token_factory, tenant)
    learner = user(token_factory, tenant, "learner", "learner-1")
    started = await progress_stub.StartSession(online(request_id="tab-1"), metadata=learner)
    assert (started.state, started.kind, started.learner_id) == (
        pb.SESSION_STATE_OPEN,
        pb.SESSION_KIND_ONLINE,
        "learner-1",
    )
    retry = await progress_stub.StartSession(online(request_id="tab-1"), metadata=learner)
    assert retry.session_id == started.session_id
    second = await progress_stub.StartSession(online(), metadata=learner)
    await asyncio.sleep(1.1)
    beat = await progress_stub.HeartbeatSession(
        pb.HeartbeatSessionRequest(session_id=started.session_id), metadata=learner
    )
    assert beat.heartbeats == 1
    assert beat.active_seconds >= 1
    ended = await progress_stub.EndSession(
        pb.EndSessionRequest(session_id=started.session_id), metadata=learner
    )
    assert (ended.state, ended.end_reason) == (pb.SESSION_STATE_CLOSED, pb.SESSION_END_REASON_ENDED)
    assert ended.time_on_task_algorithm == "tot.v1"
    await progress_stub.EndSession(pb.EndSessionRequest(session_id=second.session_id), metadata=learner)
    progress = await progress_stub.GetCourseProgress(
        pb.GetCourseProgressRequest(learner_id="me", course_id=COURSE), metadata=learner
    )
    # Two overlapping tabs: the figure is their union, i.e. the longer one, not the sum.
    assert progress.time_on_task_seconds == ended.active_seconds
    assert progress.time_on_task_algorithm == "tot.v1"
    events = [e for e in await outbox(progress_db, tenant) if e[0] == SESSION_ENDED]
    assert [e[2].session_id for e in events] == [started.session_id, second.session_id]
    assert events[0][1] == f"learners/learner-1/courses/{COURSE}"
    assert events[0][2].time_on_task_algorithm == "tot.v1"
    listed = await progress_stub.ListSessions(
        pb.ListSessionsRequest(learner_id="me", course_id=COURSE, page_size=1), metadata=learner
    )
    assert len(listed.sessions) == 1
    assert listed.next_page_token
    with pytest.raises(grpc.aio.AioRpcError) as closed:
        await progress_stub.HeartbeatSession(
            pb.HeartbeatSessionRequest(session_id=started.session_id), metadata=learner
        )
    assert closed.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert (await audit_actions(progress_db, tenant)).count("session.end") == 2


async def test_offline_session_needs_an_admin_and_roles_are_checked(
    progress_stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID
) -> None:
    await define_course(progress_stub, token_factory, tenant)
    learner = user(token_factory, tenant, "learner", "learner-1")
    admin = user(token_factory, tenant, "client_admin", "admin-1")
    end = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    pending = await progress_stub.StartSession(offline(end, dt.timedelta(minutes=45)), metadata=learner)
    assert (pending.state, pending.active_seconds) == (pb.SESSION_STATE_PENDING_APPROVAL, 0)
    with pytest.raises(grpc.aio.AioRpcError) as denied:
        await progress_stub.ApproveSession(
            pb.ApproveSessionRequest(session_id=pending.session_id), metadata=learner
        )
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
    approved = await progress_stub.ApproveSession(
        pb.ApproveSessionRequest(session_id=pending.session_id), metadata=admin
    )
    assert (approved.state, approved.end_reason, approved.decided_by) == (
        pb.SESSION_STATE_CLOSED,
        pb.SESSION_END_REASON_OFFLINE_APPROVED,
        "admin-1",
    )
    assert approved.time_on_task_seconds == 45 * 60
    other = user(token_factory, tenant, "learner", "learner-2")
    with pytest.raises(grpc.aio.AioRpcError) as foreign:
        await progress_stub.ListSessions(pb.ListSessionsRequest(learner_id="learner-1"), metadata=other)
    assert foreign.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.aio.AioRpcError) as stranger:
        await progress_stub.EndSession(pb.EndSessionRequest(session_id=pending.session_id), metadata=other)
    assert stranger.value.code() == grpc.StatusCode.PERMISSION_DENIED
    elsewhere = user(token_factory, uuid.uuid4(), "client_admin", "admin-9")
    with pytest.raises(grpc.aio.AioRpcError) as hidden:
        await progress_stub.ApproveSession(
            pb.ApproveSessionRequest(session_id=pending.session_id), metadata=elsewhere
        )
    assert hidden.value.code() == grpc.StatusCode.NOT_FOUND
    ends_tomorrow = offline(end + dt.timedelta(days=1), dt.timedelta(days=1, minutes=45))
    with pytest.raises(grpc.aio.AioRpcError) as invalid:
        await progress_stub.StartSession(ends_tomorrow, metadata=learner)
    assert invalid.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violations(invalid.value)["session.end_time"] in {"IN_FUTURE", "TOO_LONG"}
    with pytest.raises(grpc.aio.AioRpcError) as unknown:
        await progress_stub.StartSession(
            pb.StartSessionRequest(session=pb.LearningSession(learner_id="me", course_id="nope")),
            metadata=learner,
        )
    assert violations(unknown.value) == {"session.course_id": "UNKNOWN_COURSE"}


class Shifted:
    """A clock `offset` ahead of real time (to play the idle timeout without waiting for it)."""

    def __init__(self, offset: dt.timedelta) -> None:
        self.offset = offset

    def __call__(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self.offset


async def test_a_reset_answers_with_the_time_on_task_a_read_shows(
    progress_stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID
) -> None:
    """Time on task is the learner's in the course across attempts: the reset's answer carries it too."""
    await define_course(progress_stub, token_factory, tenant)
    learner = user(token_factory, tenant, "learner", "learner-1")
    admin = user(token_factory, tenant, "client_admin", "admin-1")
    end = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    pending = await progress_stub.StartSession(offline(end, dt.timedelta(minutes=30)), metadata=learner)
    await progress_stub.ApproveSession(
        pb.ApproveSessionRequest(session_id=pending.session_id), metadata=admin
    )
    reset = pb.ResetCourseProgressRequest(learner_id="learner-1", course_id=COURSE)
    # Nothing recorded yet: the answer is the unchanged progress, with its time on task.
    untouched = await progress_stub.ResetCourseProgress(reset, metadata=admin)
    assert (untouched.attempt, untouched.time_on_task_seconds) == (1, 30 * 60)
    await progress_stub.CreateCompletion(
        pb.CreateCompletionRequest(
            completion=pb.Completion(learner_id="me", course_id=COURSE, block_id="intro", value=1.0)
        ),
        metadata=learner,
    )
    fresh = await progress_stub.ResetCourseProgress(reset, metadata=admin)
    read = await progress_stub.GetCourseProgress(
        pb.GetCourseProgressRequest(learner_id="learner-1", course_id=COURSE), metadata=admin
    )
    assert (fresh.attempt, fresh.time_on_task_seconds, fresh.time_on_task_algorithm) == (2, 30 * 60, "tot.v1")
    assert (read.attempt, read.time_on_task_seconds) == (fresh.attempt, fresh.time_on_task_seconds)


async def test_idle_sessions_close_at_their_last_signal_through_the_job(
    progress_stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID, progress_db: ServiceDatabase
) -> None:
    await define_course(progress_stub, token_factory, tenant)
    learner = user(token_factory, tenant, "learner", "learner-1")
    engine = create_engine(progress_db.app_url, pool_size=2, max_overflow=0)
    uow = uow_factory(create_sessionmaker(engine))
    try:
        # Started "10 minutes ago" through the service's clock; a heartbeat now finds it expired.
        past = SessionService(uow, clock=Shifted(-2 * IDLE_TIMEOUT))
        identity = Identity("learner-1", TenantId(tenant), frozenset({Role.LEARNER}))
        stale = await past.start_session(identity, SessionInput("me", COURSE))
        with pytest.raises(grpc.aio.AioRpcError) as expired:
            await progress_stub.HeartbeatSession(
                pb.HeartbeatSessionRequest(session_id=str(stale.session_id)), metadata=learner
            )
        assert expired.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        abandoned = await past.start_session(identity, SessionInput("me", COURSE))
        assert TenantId(tenant) in await SessionService(uow).idle_tenants()
        # The job, as the worker runs it: the fan-out task finds the tenant, the tenant task closes it.
        settings = ProgressSettings(
            database_url=SecretStr(progress_db.app_url), redis_url=SecretStr("redis://127.0.0.1:1/0")
        )
        jobs = JobContext(settings)
        app = Celery("progress-test", set_as_current=False)
        tasks.register(app, jobs)
        assert set(app.tasks) >= {
            job_task_name("progress", tasks.CLOSE_IDLE),
            job_task_name("progress", tasks.FAN_OUT_IDLE),
        }
        assert [s.task for s in tasks.SCHEDULES] == [job_task_name("progress", tasks.FAN_OUT_IDLE)]
        await asyncio.to_thread(app.tasks[job_task_name("progress", tasks.CLOSE_IDLE)], str(tenant))
        await asyncio.to_thread(jobs.close)
        listed = await progress_stub.ListSessions(pb.ListSessionsRequest(learner_id="me"), metadata=learner)
        assert {(s.session_id, s.end_reason) for s in listed.sessions} == {
            (str(stale.session_id), pb.SESSION_END_REASON_IDLE_TIMEOUT),
            (str(abandoned.session_id), pb.SESSION_END_REASON_IDLE_TIMEOUT),
        }
        assert all(s.end_time == s.start_time for s in listed.sessions)  # closed at the last signal
        assert TenantId(tenant) not in await SessionService(uow).idle_tenants()
        ended = [e for e in await outbox(progress_db, tenant) if e[0] == SESSION_ENDED]
        assert [e[2].end_reason for e in ended] == [EndReason.IDLE_TIMEOUT.value] * 2
    finally:
        await engine.dispose()


async def test_xapi_export_pages_completions_and_sessions_in_time_order(
    progress_stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID, directory: Directory
) -> None:
    await define_course(progress_stub, token_factory, tenant)
    directory.reports(tenant, {"learner-1": "boss"})
    learner = user(token_factory, tenant, "learner", "learner-1")
    session = await progress_stub.StartSession(online(), metadata=learner)
    for block, score in (("intro", None), ("quiz", 0.9)):
        done = pb.Completion(learner_id="me", course_id=COURSE, block_id=block, value=1)
        if score is not None:
            done.score = score
        await progress_stub.CreateCompletion(pb.CreateCompletionRequest(completion=done), metadata=learner)
    # A completion that moves nothing forward (the intro again, lower) is not exported.
    again = pb.Completion(learner_id="me", course_id=COURSE, block_id="intro", value=0.5)
    unchanged = await progress_stub.CreateCompletion(
        pb.CreateCompletionRequest(completion=again), metadata=learner
    )
    assert not unchanged.applied
    await progress_stub.EndSession(pb.EndSessionRequest(session_id=session.session_id), metadata=learner)
    statements, token = [], ""
    while True:
        page = await progress_stub.ListXapiStatements(
            pb.ListXapiStatementsRequest(learner_id="me", page_size=1, page_token=token), metadata=learner
        )
        statements.extend(MessageToDict(s) for s in page.statements)
        token = page.next_page_token
        if not token:
            break
    verbs = [s["verb"]["id"].rsplit("/", 1)[-1] for s in statements]
    assert verbs == ["completed", "completed", "completed", "terminated"]  # intro, quiz, course, session
    assert statements[2]["object"]["id"].endswith(f"/tenants/{tenant}/courses/{COURSE}")
    assert statements[1]["result"]["score"] == {"scaled": 0.9}
    assert statements[3]["context"]["extensions"][EXT_SESSION] == session.session_id
    assert len({s["id"] for s in statements}) == 4
    other = user(token_factory, tenant, "learner", "learner-2")
    with pytest.raises(grpc.aio.AioRpcError) as denied:
        await progress_stub.ListXapiStatements(
            pb.ListXapiStatementsRequest(learner_id="learner-1"), metadata=other
        )
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
    manager = user(token_factory, tenant, "manager", "boss")
    later = pb.ListXapiStatementsRequest(learner_id="learner-1")
    later.since.FromDatetime(dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
    assert list((await progress_stub.ListXapiStatements(later, metadata=manager)).statements) == []


async def test_an_offline_session_approved_after_a_sync_is_in_the_next_sync(
    progress_stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID
) -> None:
    # Declared for yesterday, approved after an LRS synced: its end lies before the sync, its closing after.
    await define_course(progress_stub, token_factory, tenant)
    learner = user(token_factory, tenant, "learner", "learner-1")
    admin = user(token_factory, tenant, "client_admin", "admin-1")
    end = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    pending = await progress_stub.StartSession(offline(end, dt.timedelta(hours=2)), metadata=learner)
    synced = pb.ListXapiStatementsRequest(learner_id="me")
    synced.since.FromDatetime(dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
    assert list((await progress_stub.ListXapiStatements(synced, metadata=learner)).statements) == []
    await progress_stub.ApproveSession(
        pb.ApproveSessionRequest(session_id=pending.session_id), metadata=admin
    )
    [statement] = [
        MessageToDict(s)
        for s in (await progress_stub.ListXapiStatements(synced, metadata=learner)).statements
    ]
    assert statement["context"]["extensions"][EXT_SESSION] == pending.session_id
    assert statement["timestamp"].startswith(end.strftime("%Y-%m-%dT%H:%M"))  # when it happened
