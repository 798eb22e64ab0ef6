"""Progress RPCs through a real in-process server and a real PostgreSQL (outbox and audit included)."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

import asyncpg
import grpc
import pytest
from google.rpc import code_pb2, error_details_pb2
from grpc_status import rpc_status

from aigym.progress.v1 import progress_pb2 as pb
from aigym.progress.v1 import progress_pb2_grpc
from aigym_platform.events.registry import BLOCK_COMPLETED, COURSE_COMPLETED, PROGRESS_RESET
from aigym_platform.identity import TenantId
from aigym_platform.provisioning import ServiceDatabase
from aigym_platform.testing.database import inserts_failing_with_sqlstate, read_outbox
from aigym_platform.testing.tokens import SERVICE_ISSUER, TokenFactory, bearer
from aigym_platform.tokens import mint_service_token
from aigym_progress.bootstrap import App
from services.progress.tests.conftest import Directory

Stub = progress_pb2_grpc.ProgressServiceStub
Metadata = tuple[tuple[str, str], ...]
COURSE = "ai-foundations"


def user(tokens: TokenFactory, tenant: uuid.UUID, role: str, name: str) -> Metadata:
    return bearer(tokens.token(tenant, [role], user=name))


def service_token(tokens: TokenFactory, tenant: uuid.UUID) -> Metadata:
    token = mint_service_token(
        tokens.service_key,
        issuer=SERVICE_ISSUER,
        audience=tokens.audience,
        service="programs",
        tenant_id=TenantId(tenant),
    )
    return bearer(token)


def reason(error: grpc.aio.AioRpcError) -> str:
    """The ErrorInfo reason of a failed call."""
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            return info.reason
    return ""


def violations(error: grpc.aio.AioRpcError | Any) -> dict[str, str]:
    status = rpc_status.from_call(error) if isinstance(error, grpc.aio.AioRpcError) else error  # type: ignore[arg-type]
    assert status is not None
    found = {}
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            found.update({v.field: v.reason or v.description for v in bad.field_violations})
    return found


def blocks() -> list[pb.Block]:
    quiz = pb.Block(block_id="quiz", type=pb.BLOCK_TYPE_QUIZ, weight=2, required=True, min_score=0.8)
    return [
        pb.Block(block_id="intro", type=pb.BLOCK_TYPE_VIDEO, weight=1, required=True),
        quiz,
        pb.Block(block_id="extra", type=pb.BLOCK_TYPE_READING, weight=1),
    ]


async def define_course(
    stub: Stub, tokens: TokenFactory, tenant: uuid.UUID, course: str = COURSE
) -> pb.CourseStructure:
    return await stub.UpdateCourseStructure(
        pb.UpdateCourseStructureRequest(course_id=course, structure=pb.CourseStructure(blocks=blocks())),
        metadata=user(tokens, tenant, "client_admin", "admin-1"),
    )


def completion(block: str, value: float = 1.0, learner: str = "me", **kw: Any) -> pb.Completion:
    return pb.Completion(
        learner_id=learner, course_id=kw.pop("course", COURSE), block_id=block, value=value, **kw
    )


async def outbox(db: ServiceDatabase, tenant: uuid.UUID) -> list[tuple[str, str, Any]]:
    """(type, subject, payload) of the tenant's outbox rows, oldest first (as the app role, under RLS)."""
    return await read_outbox(db.app_url, tenant)


async def audit_actions(db: ServiceDatabase, tenant: uuid.UUID) -> list[str]:
    conn = await asyncpg.connect(db.app_url)
    try:
        async with conn.transaction():
            await conn.execute("SELECT set_config('app.tenant_id', $1, true)", str(tenant))
            rows = await conn.fetch("SELECT action FROM audit_log ORDER BY seq")
    finally:
        await conn.close()
    return [row["action"] for row in rows]


async def test_learner_completes_a_course_block_by_block(
    progress_stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID, progress_db: ServiceDatabase
) -> None:
    defined = await define_course(progress_stub, token_factory, tenant)
    assert (defined.revision, defined.etag, len(defined.blocks)) == (1, 'W/"1"', 3)
    assert defined.blocks[1].HasField("min_score")
    assert not defined.blocks[0].HasField("min_score")
    learner = user(token_factory, tenant, "learner", "learner-1")
    first = await progress_stub.CreateCompletion(
        pb.CreateCompletionRequest(completion=completion("intro", request_id="r-1")), metadata=learner
    )
    assert (first.learner_id, first.applied, first.block_completed, first.course_completed) == (
        "learner-1",
        True,
        True,
        False,
    )
    assert not first.HasField("score")
    failed = await progress_stub.CreateCompletion(
        pb.CreateCompletionRequest(completion=completion("quiz", score=0.5)), metadata=learner
    )
    assert (failed.block_completed, failed.course_completed, failed.score) == (False, False, 0.5)
    passed = await progress_stub.CreateCompletion(
        pb.CreateCompletionRequest(completion=completion("quiz", 1.0, score=0.85)), metadata=learner
    )
    assert (passed.block_completed, passed.course_completed) == (True, True)
    progress = await progress_stub.GetCourseProgress(
        pb.GetCourseProgressRequest(learner_id="me", course_id=COURSE), metadata=learner
    )
    assert progress.state == pb.PROGRESS_STATE_COMPLETED
    assert progress.percent == pytest.approx(75.0)
    assert (progress.completed_required_blocks, progress.required_blocks) == (2, 2)
    assert (progress.completed_blocks, progress.total_blocks, progress.attempt) == (2, 3, 1)
    assert progress.complete_time == passed.create_time
    assert progress.last_activity_time == passed.create_time
    assert [(b.block_id, b.value, b.completed) for b in progress.blocks] == [
        ("intro", 1.0, True),
        ("quiz", 1.0, True),
        ("extra", 0.0, False),
    ]
    assert progress.blocks[1].score == 0.85
    events = await outbox(progress_db, tenant)
    assert [e[0] for e in events] == [BLOCK_COMPLETED, BLOCK_COMPLETED, BLOCK_COMPLETED, COURSE_COMPLETED]
    assert {e[1] for e in events} == {f"learners/learner-1/courses/{COURSE}"}
    done = events[-1][2]
    assert (done.learner_id, done.course_id, done.course_revision, done.attempt) == (
        "learner-1",
        COURSE,
        1,
        1,
    )
    assert done.completed_at == passed.create_time
    assert events[2][2].score == 0.85
    assert await audit_actions(progress_db, tenant) == ["course_structure.update"] + ["completion.record"] * 3


async def test_retry_with_the_same_request_id_returns_the_first_result(
    progress_stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID, progress_db: ServiceDatabase
) -> None:
    await define_course(progress_stub, token_factory, tenant)
    learner = user(token_factory, tenant, "learner", "learner-1")
    request = pb.CreateCompletionRequest(completion=completion("intro", 0.5, request_id="retry-1"))
    results = await asyncio.gather(
        *(progress_stub.CreateCompletion(request, metadata=learner) for _ in range(4))
    )
    assert len({r.completion_id for r in results}) == 1
    assert len(await outbox(progress_db, tenant)) == 1
    with pytest.raises(grpc.aio.AioRpcError) as reused:
        await progress_stub.CreateCompletion(
            pb.CreateCompletionRequest(completion=completion("intro", 0.9, request_id="retry-1")),
            metadata=learner,
        )
    assert reused.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_concurrent_completions_complete_the_course_exactly_once(
    progress_stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID, progress_db: ServiceDatabase
) -> None:
    await define_course(progress_stub, token_factory, tenant)
    learner = user(token_factory, tenant, "learner", "learner-2")
    writes = [completion("intro"), completion("quiz", score=0.9), completion("extra"), completion("intro")]
    results = await asyncio.gather(
        *(
            progress_stub.CreateCompletion(pb.CreateCompletionRequest(completion=c), metadata=learner)
            for c in writes
        )
    )
    assert sum(r.course_completed for r in results) == 1
    types = [e[0] for e in await outbox(progress_db, tenant)]
    assert types.count(COURSE_COMPLETED) == 1
    assert types.count(BLOCK_COMPLETED) == 3


async def test_writing_for_someone_else_needs_an_admin_or_a_service(
    progress_stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID, directory: Directory
) -> None:
    await define_course(progress_stub, token_factory, tenant)
    directory.reports(tenant, {"victim": "boss", "someone": "boss"})
    for role in ("learner", "manager"):
        with pytest.raises(grpc.aio.AioRpcError) as denied:
            await progress_stub.CreateCompletion(
                pb.CreateCompletionRequest(completion=completion("intro", learner="victim")),
                metadata=user(token_factory, tenant, role, "someone"),
            )
        assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
    by_service = await progress_stub.CreateCompletion(
        pb.CreateCompletionRequest(completion=completion("intro", learner="victim")),
        metadata=service_token(token_factory, tenant),
    )
    assert (by_service.learner_id, by_service.recorded_by) == ("victim", "service:programs")
    with pytest.raises(grpc.aio.AioRpcError) as peek:
        await progress_stub.GetCourseProgress(
            pb.GetCourseProgressRequest(learner_id="victim", course_id=COURSE),
            metadata=user(token_factory, tenant, "learner", "someone"),
        )
    assert peek.value.code() == grpc.StatusCode.PERMISSION_DENIED
    manager_view = await progress_stub.GetCourseProgress(
        pb.GetCourseProgressRequest(learner_id="victim", course_id=COURSE),
        metadata=user(token_factory, tenant, "manager", "boss"),
    )
    assert manager_view.completed_blocks == 1


async def test_bad_input_is_invalid_argument_with_field_violations(
    progress_stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID, progress_db: ServiceDatabase
) -> None:
    await define_course(progress_stub, token_factory, tenant)
    learner = user(token_factory, tenant, "learner", "learner-1")
    cases = [
        (completion("intro", 1.5, score=-0.1), {"completion.value", "completion.score"}),
        (completion("intro", course="unknown-course"), {"completion.course_id"}),
        (completion("nope"), {"completion.block_id"}),
        (completion("intro", course="bad id!"), {"completion.course_id"}),
    ]
    for item, fields in cases:
        with pytest.raises(grpc.aio.AioRpcError) as invalid:
            await progress_stub.CreateCompletion(
                pb.CreateCompletionRequest(completion=item), metadata=learner
            )
        assert invalid.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert set(violations(invalid.value)) == fields
    admin = user(token_factory, tenant, "client_admin", "admin-1")
    bad_structure = pb.CourseStructure(
        blocks=[pb.Block(block_id="a", type=pb.BLOCK_TYPE_VIDEO, weight=1), pb.Block(block_id="a", weight=0)]
    )
    with pytest.raises(grpc.aio.AioRpcError) as rejected:
        await progress_stub.UpdateCourseStructure(
            pb.UpdateCourseStructureRequest(course_id=COURSE, structure=bad_structure), metadata=admin
        )
    assert set(violations(rejected.value)) == {"structure.blocks[1].type", "structure.blocks[1].weight"}
    with pytest.raises(grpc.aio.AioRpcError) as unrequired:
        await progress_stub.UpdateCourseStructure(
            pb.UpdateCourseStructureRequest(
                course_id=COURSE,
                structure=pb.CourseStructure(
                    blocks=[pb.Block(block_id="a", type=pb.BLOCK_TYPE_VIDEO, weight=1)]
                ),
            ),
            metadata=admin,
        )
    assert violations(unrequired.value) == {"structure.blocks": "STRUCTURE_WITHOUT_REQUIRED_BLOCK"}
    assert await outbox(progress_db, tenant) == []


async def test_batch_reports_a_result_per_item(
    progress_stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID, directory: Directory
) -> None:
    await define_course(progress_stub, token_factory, tenant)
    directory.reports(tenant, {"l-1": "boss", "l-2": "boss", "l-3": "boss", "l-4": "boss"})
    response = await progress_stub.BatchCreateCompletions(
        pb.BatchCreateCompletionsRequest(
            completions=[
                completion("intro", learner="l-1"),
                completion("intro", 3.0, learner="l-2"),
                completion("missing", learner="l-3"),
                completion("quiz", learner="l-4", score=0.9),
            ]
        ),
        metadata=user(token_factory, tenant, "client_admin", "admin-1"),
    )
    assert [r.index for r in response.results] == [0, 1, 2, 3]
    assert [r.status.code for r in response.results] == [
        code_pb2.OK,
        code_pb2.INVALID_ARGUMENT,
        code_pb2.INVALID_ARGUMENT,
        code_pb2.OK,
    ]
    assert violations(response.results[1].status) == {"completions[1].value": "VALUE_OUT_OF_RANGE"}
    assert violations(response.results[2].status) == {"completions[2].block_id": "UNKNOWN_BLOCK"}
    assert response.results[3].completion.learner_id == "l-4"
    assert not response.results[1].HasField("completion")
    roster = await progress_stub.ListCourseRoster(
        pb.ListCourseRosterRequest(course_id=COURSE), metadata=user(token_factory, tenant, "manager", "boss")
    )
    assert [p.learner_id for p in roster.progress] == ["l-1", "l-4"]
    with pytest.raises(grpc.aio.AioRpcError) as empty:
        await progress_stub.BatchCreateCompletions(
            pb.BatchCreateCompletionsRequest(),
            metadata=user(token_factory, tenant, "client_admin", "admin-1"),
        )
    assert empty.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_roster_and_learner_lists_page_filter_and_order(
    progress_stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID, directory: Directory
) -> None:
    await define_course(progress_stub, token_factory, tenant)
    directory.reports(tenant, {"l-a": "boss", "l-b": "boss", "l-c": "boss"})
    await define_course(progress_stub, token_factory, tenant, "second-course")
    admin = user(token_factory, tenant, "client_admin", "admin-1")
    plan = [("l-a", "intro", 1.0), ("l-b", "intro", 0.5), ("l-c", "extra", 1.0), ("l-a", "extra", 1.0)]
    for learner, block, value in plan:
        await progress_stub.CreateCompletion(
            pb.CreateCompletionRequest(completion=completion(block, value, learner=learner)), metadata=admin
        )
    for block in ("intro", "quiz"):
        done = completion(block, learner="l-a", course="second-course", score=0.9)
        await progress_stub.CreateCompletion(pb.CreateCompletionRequest(completion=done), metadata=admin)
    manager = user(token_factory, tenant, "manager", "boss")
    seen, token = [], ""
    while True:
        page = await progress_stub.ListCourseRoster(
            pb.ListCourseRosterRequest(
                course_id=COURSE, order_by="percent desc", page_size=1, page_token=token
            ),
            metadata=manager,
        )
        seen += [(p.learner_id, p.percent) for p in page.progress]
        token = page.next_page_token
        if not token:
            break
    assert seen == [("l-a", 50.0), ("l-c", 25.0), ("l-b", 12.5)]
    recent = await progress_stub.ListCourseRoster(
        pb.ListCourseRosterRequest(course_id=COURSE, order_by="last_activity_time desc"), metadata=manager
    )
    assert [p.learner_id for p in recent.progress] == ["l-a", "l-c", "l-b"]
    assert all(len(p.blocks) == 0 for p in recent.progress)
    with pytest.raises(grpc.aio.AioRpcError) as bad_order:
        await progress_stub.ListCourseRoster(
            pb.ListCourseRosterRequest(course_id=COURSE, order_by="score"), metadata=manager
        )
    assert violations(bad_order.value) == {"order_by": "INVALID_ORDER_BY"}
    with pytest.raises(grpc.aio.AioRpcError) as learner_roster:
        await progress_stub.ListCourseRoster(
            pb.ListCourseRosterRequest(course_id=COURSE),
            metadata=user(token_factory, tenant, "learner", "l-a"),
        )
    assert learner_roster.value.code() == grpc.StatusCode.PERMISSION_DENIED
    mine = await progress_stub.ListLearnerProgress(
        pb.ListLearnerProgressRequest(learner_id="me"), metadata=user(token_factory, tenant, "learner", "l-a")
    )
    assert [p.course_id for p in mine.progress] == ["second-course", COURSE]
    completed = await progress_stub.ListLearnerProgress(
        pb.ListLearnerProgressRequest(learner_id="l-a", state=pb.PROGRESS_STATE_COMPLETED), metadata=manager
    )
    assert [p.course_id for p in completed.progress] == ["second-course"]


async def test_a_manager_reads_their_direct_and_indirect_reports_only(
    progress_stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID, directory: Directory
) -> None:
    await define_course(progress_stub, token_factory, tenant)
    # boss -> lead -> l-indirect-*, boss -> l-direct; outsider reports to someone else
    directory.reports(
        tenant,
        {
            "lead": "boss",
            "l-direct": "boss",
            "l-indirect-1": "lead",
            "l-indirect-2": "lead",
            "outsider": "other-boss",
        },
    )
    admin = user(token_factory, tenant, "client_admin", "admin-1")
    for learner in ("l-direct", "l-indirect-1", "l-indirect-2", "outsider", "lead"):
        await progress_stub.CreateCompletion(
            pb.CreateCompletionRequest(completion=completion("intro", learner=learner)), metadata=admin
        )
    boss = user(token_factory, tenant, "manager", "boss")
    for learner in ("l-direct", "l-indirect-1", "lead"):
        seen = await progress_stub.GetCourseProgress(
            pb.GetCourseProgressRequest(learner_id=learner, course_id=COURSE), metadata=boss
        )
        assert (seen.learner_id, seen.completed_blocks) == (learner, 1)
    refused = [
        progress_stub.GetCourseProgress(
            pb.GetCourseProgressRequest(learner_id="outsider", course_id=COURSE), metadata=boss
        ),
        progress_stub.ListLearnerProgress(
            pb.ListLearnerProgressRequest(learner_id="outsider"), metadata=boss
        ),
        progress_stub.ListSessions(pb.ListSessionsRequest(learner_id="outsider"), metadata=boss),
        progress_stub.ListXapiStatements(pb.ListXapiStatementsRequest(learner_id="outsider"), metadata=boss),
    ]
    for call in refused:
        with pytest.raises(grpc.aio.AioRpcError) as denied:
            await call
        assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert reason(denied.value) == "LEARNER_OUT_OF_SCOPE"
        assert "not in your team" in (denied.value.details() or "")
    seen_by_boss, token = [], ""
    while True:  # one per page: the team filter is in the query, so keyset pages stay exact
        page = await progress_stub.ListCourseRoster(
            pb.ListCourseRosterRequest(course_id=COURSE, page_size=1, page_token=token), metadata=boss
        )
        assert len(page.progress) == 1
        seen_by_boss += [p.learner_id for p in page.progress]
        token = page.next_page_token
        if not token:
            break
    assert seen_by_boss == ["l-direct", "l-indirect-1", "l-indirect-2", "lead"]
    lead = user(token_factory, tenant, "manager", "lead")
    lead_roster = await progress_stub.ListCourseRoster(
        pb.ListCourseRosterRequest(course_id=COURSE), metadata=lead
    )
    assert [p.learner_id for p in lead_roster.progress] == ["l-indirect-1", "l-indirect-2"]
    with pytest.raises(
        grpc.aio.AioRpcError
    ) as upward:  # a lead does not see their own manager's other reports
        await progress_stub.GetCourseProgress(
            pb.GetCourseProgressRequest(learner_id="l-direct", course_id=COURSE), metadata=lead
        )
    assert upward.value.code() == grpc.StatusCode.PERMISSION_DENIED
    everyone = await progress_stub.ListCourseRoster(
        pb.ListCourseRosterRequest(course_id=COURSE), metadata=admin
    )
    assert [p.learner_id for p in everyone.progress] == [
        "l-direct",
        "l-indirect-1",
        "l-indirect-2",
        "lead",
        "outsider",
    ]
    outsider = await progress_stub.GetCourseProgress(
        pb.GetCourseProgressRequest(learner_id="outsider", course_id=COURSE), metadata=admin
    )
    assert outsider.completed_blocks == 1


async def test_the_directory_consumer_is_idempotent_and_keeps_the_newest_reporting_line(
    progress_stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID, directory: Directory
) -> None:
    await define_course(progress_stub, token_factory, tenant)
    await progress_stub.CreateCompletion(
        pb.CreateCompletionRequest(completion=completion("intro", learner="mover")),
        metadata=user(token_factory, tenant, "client_admin", "admin-1"),
    )
    boss, other = (user(token_factory, tenant, "manager", name) for name in ("boss", "other-boss"))

    async def roster(manager: Metadata) -> list[str]:
        page = await progress_stub.ListCourseRoster(
            pb.ListCourseRosterRequest(course_id=COURSE), metadata=manager
        )
        return [p.learner_id for p in page.progress]

    start = dt.datetime.now(dt.UTC)
    first, moved = uuid.uuid4(), uuid.uuid4()
    assert directory.deliver(tenant, "mover", "boss", occurred_at=start, event_id=first) == "applied"
    assert directory.deliver(tenant, "mover", "boss", occurred_at=start, event_id=first) == "duplicate"
    assert (await roster(boss), await roster(other)) == (["mover"], [])
    later = start + dt.timedelta(minutes=1)
    assert directory.deliver(tenant, "mover", "other-boss", occurred_at=later, event_id=moved) == "applied"
    assert (await roster(boss), await roster(other)) == ([], ["mover"])
    # A redelivery of the first event, and an older change arriving late, leave the newest line in place.
    assert directory.deliver(tenant, "mover", "boss", occurred_at=start, event_id=first) == "duplicate"
    stale = start - dt.timedelta(minutes=1)
    assert directory.deliver(tenant, "mover", "boss", occurred_at=stale) == "applied"
    assert (await roster(boss), await roster(other)) == ([], ["mover"])
    with pytest.raises(grpc.aio.AioRpcError) as denied:
        await progress_stub.GetCourseProgress(
            pb.GetCourseProgressRequest(learner_id="mover", course_id=COURSE), metadata=boss
        )
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_revision_and_reset(
    progress_stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID, progress_db: ServiceDatabase
) -> None:
    defined = await define_course(progress_stub, token_factory, tenant)
    admin = user(token_factory, tenant, "client_admin", "admin-1")
    learner = user(token_factory, tenant, "learner", "l-1")
    await progress_stub.CreateCompletion(
        pb.CreateCompletionRequest(completion=completion("intro")), metadata=learner
    )
    revised = await progress_stub.UpdateCourseStructure(
        pb.UpdateCourseStructureRequest(
            course_id=COURSE, structure=pb.CourseStructure(blocks=blocks()[:1], etag=defined.etag)
        ),
        metadata=admin,
    )
    assert revised.revision == 2
    with pytest.raises(grpc.aio.AioRpcError) as stale:
        await progress_stub.UpdateCourseStructure(
            pb.UpdateCourseStructureRequest(
                course_id=COURSE, structure=pb.CourseStructure(blocks=blocks(), etag=defined.etag)
            ),
            metadata=admin,
        )
    assert stale.value.code() == grpc.StatusCode.ABORTED
    old = await progress_stub.GetCourseStructure(
        pb.GetCourseStructureRequest(course_id=COURSE, revision=1), metadata=learner
    )
    assert len(old.blocks) == 3
    completed = await progress_stub.GetCourseProgress(
        pb.GetCourseProgressRequest(learner_id="me", course_id=COURSE), metadata=learner
    )
    assert (completed.state, completed.course_revision) == (pb.PROGRESS_STATE_COMPLETED, 2)
    with pytest.raises(grpc.aio.AioRpcError) as not_admin:
        await progress_stub.ResetCourseProgress(
            pb.ResetCourseProgressRequest(learner_id="l-1", course_id=COURSE), metadata=learner
        )
    assert not_admin.value.code() == grpc.StatusCode.PERMISSION_DENIED
    fresh = await progress_stub.ResetCourseProgress(
        pb.ResetCourseProgressRequest(learner_id="l-1", course_id=COURSE, reason="new cohort"), metadata=admin
    )
    assert (fresh.state, fresh.attempt, fresh.percent) == (pb.PROGRESS_STATE_NOT_STARTED, 2, 0.0)
    assert not fresh.HasField("complete_time")
    events = await outbox(progress_db, tenant)
    assert [e[0] for e in events] == [BLOCK_COMPLETED, COURSE_COMPLETED, PROGRESS_RESET]
    reset = events[-1][2]
    assert (reset.archived_attempt, reset.attempt, reset.was_completed, reset.reason) == (
        1,
        2,
        True,
        "new cohort",
    )
    conn = await asyncpg.connect(progress_db.app_url)
    try:
        async with conn.transaction():
            await conn.execute("SELECT set_config('app.tenant_id', $1, true)", str(tenant))
            archived = await conn.fetch("SELECT attempt, archive_time, reset_id FROM block_progress")
            snapshot = await conn.fetchrow("SELECT attempt, state, reason FROM progress_resets")
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute("DELETE FROM block_progress")
    finally:
        await conn.close()
    assert [(r["attempt"], r["archive_time"] is not None, r["reset_id"] is not None) for r in archived] == [
        (1, True, True)
    ]
    assert dict(snapshot) == {"attempt": 1, "state": "completed", "reason": "new cohort"}
    assert (await audit_actions(progress_db, tenant))[-1] == "course_progress.reset"


async def test_other_tenants_see_nothing(
    progress_stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID
) -> None:
    await define_course(progress_stub, token_factory, tenant)
    await progress_stub.CreateCompletion(
        pb.CreateCompletionRequest(completion=completion("intro")),
        metadata=user(token_factory, tenant, "learner", "l-1"),
    )
    stranger_admin = user(token_factory, uuid.uuid4(), "client_admin", "admin-x")
    for call in (
        progress_stub.GetCourseStructure(
            pb.GetCourseStructureRequest(course_id=COURSE), metadata=stranger_admin
        ),
        progress_stub.GetCourseProgress(
            pb.GetCourseProgressRequest(learner_id="l-1", course_id=COURSE), metadata=stranger_admin
        ),
        progress_stub.ListCourseRoster(pb.ListCourseRosterRequest(course_id=COURSE), metadata=stranger_admin),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as hidden:
            await call
        assert hidden.value.code() == grpc.StatusCode.NOT_FOUND
    listed = await progress_stub.ListLearnerProgress(
        pb.ListLearnerProgressRequest(learner_id="l-1"), metadata=stranger_admin
    )
    assert list(listed.progress) == []
    with pytest.raises(grpc.aio.AioRpcError) as unknown:
        await progress_stub.CreateCompletion(
            pb.CreateCompletionRequest(completion=completion("intro", learner="l-1")), metadata=stranger_admin
        )
    assert violations(unknown.value) == {"completion.course_id": "UNKNOWN_COURSE"}


async def test_ping_echoes_the_verified_caller(
    progress_stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID
) -> None:
    reply = await progress_stub.Ping(pb.PingRequest(), metadata=user(token_factory, tenant, "learner", "l-9"))
    assert (reply.service, reply.user_id, reply.tenant_id, list(reply.roles)) == (
        "progress",
        "l-9",
        str(tenant),
        ["learner"],
    )
    with pytest.raises(grpc.aio.AioRpcError) as anonymous:
        await progress_stub.Ping(pb.PingRequest())
    assert anonymous.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_direct_reads_and_read_units_return_the_same_progress(
    progress_stub: Stub,
    progress_app: App,
    token_factory: TokenFactory,
    tenant: uuid.UUID,
    directory: Directory,
) -> None:
    await define_course(progress_stub, token_factory, tenant)
    directory.reports(tenant, {"ana": "boss"})
    ana = user(token_factory, tenant, "learner", "ana")
    await progress_stub.CreateCompletion(
        pb.CreateCompletionRequest(completion=completion("intro")), metadata=ana
    )
    await progress_stub.CreateCompletion(
        pb.CreateCompletionRequest(completion=completion("quiz", score=0.9)), metadata=ana
    )
    mine = pb.GetCourseProgressRequest(learner_id="me", course_id=COURSE)
    hers = pb.GetCourseProgressRequest(learner_id="ana", course_id=COURSE)

    first = await progress_stub.GetCourseProgress(mine, metadata=ana)  # revision not cached: a read unit
    direct = await progress_stub.GetCourseProgress(mine, metadata=ana)  # cached: one direct statement
    by_admin = await progress_stub.GetCourseProgress(
        hers, metadata=user(token_factory, tenant, "client_admin", "admin-1")
    )
    by_manager = await progress_stub.GetCourseProgress(  # the directory decides: a read unit
        hers, metadata=user(token_factory, tenant, "manager", "boss")
    )
    other_tenant = user(token_factory, uuid.uuid4(), "client_admin", "admin-1")
    with pytest.raises(grpc.aio.AioRpcError) as elsewhere:
        await progress_stub.GetCourseProgress(hers, metadata=other_tenant)
    await define_course(progress_stub, token_factory, tenant, "other-course")
    untouched = await progress_stub.GetCourseProgress(
        pb.GetCourseProgressRequest(learner_id="me", course_id="other-course"), metadata=ana
    )
    untouched_again = await progress_stub.GetCourseProgress(
        pb.GetCourseProgressRequest(learner_id="me", course_id="other-course"), metadata=ana
    )

    assert direct.completed_blocks == 2
    assert [b.completed for b in direct.blocks] == [True, True, False]
    assert first == direct == by_admin == by_manager
    assert elsewhere.value.code() == grpc.StatusCode.NOT_FOUND
    assert untouched == untouched_again
    assert untouched.completed_blocks == 0
    assert progress_app.reader.open_connections >= 1


async def test_an_admin_s_direct_roster_pages_match_a_manager_s_read_unit_pages(
    progress_stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID, directory: Directory
) -> None:
    await define_course(progress_stub, token_factory, tenant)
    learners = [f"r-{i}" for i in range(7)]
    directory.reports(tenant, {learner: "boss" for learner in learners})  # the boss's team is everyone
    admin = user(token_factory, tenant, "client_admin", "admin-1")
    plan = [("intro", 1.0), ("extra", 0.5), ("quiz", 1.0)]
    for i, learner in enumerate(learners):
        for block, value in plan[: i % 4]:
            item = completion(block, value, learner=learner, score=0.9 if block == "quiz" else None)
            await progress_stub.CreateCompletion(pb.CreateCompletionRequest(completion=item), metadata=admin)
    manager = user(token_factory, tenant, "manager", "boss")

    async def walk(caller: Metadata, order_by: str, state: int) -> list[pb.CourseProgress]:
        entries, token = [], ""
        while True:
            page = await progress_stub.ListCourseRoster(
                pb.ListCourseRosterRequest(
                    course_id=COURSE, order_by=order_by, state=state, page_size=2, page_token=token
                ),
                metadata=caller,
            )
            entries += list(page.progress)
            token = page.next_page_token
            if not token:
                return entries

    orders = [
        "",
        "learner_id desc",
        "percent",
        "percent desc",
        "last_activity_time",
        "last_activity_time desc",
    ]
    for order_by in orders:
        for state in (pb.PROGRESS_STATE_UNSPECIFIED, pb.PROGRESS_STATE_IN_PROGRESS):
            direct = await walk(admin, order_by, state)
            assert direct == await walk(manager, order_by, state), (order_by, state)
            assert direct, (order_by, state)
    everyone = await walk(admin, "percent desc", pb.PROGRESS_STATE_UNSPECIFIED)
    assert [p.percent for p in everyone] == sorted((p.percent for p in everyone), reverse=True)
    with pytest.raises(grpc.aio.AioRpcError) as unknown:
        await progress_stub.ListCourseRoster(
            pb.ListCourseRosterRequest(course_id="no-such-course"), metadata=admin
        )
    assert unknown.value.code() == grpc.StatusCode.NOT_FOUND


async def test_a_batch_item_that_loses_a_race_is_its_own_retryable_result(
    progress_stub: Stub,
    token_factory: TokenFactory,
    tenant: uuid.UUID,
    progress_db: ServiceDatabase,
    postgres: tuple[str, str],
) -> None:
    # A trigger makes one item's insert fail as a deadlock would; the items around it are committed, so
    # the caller must learn each item's fate, not one error for the call.
    await define_course(progress_stub, token_factory, tenant)
    async with inserts_failing_with_sqlstate(postgres[0], progress_db, "completions", "request_id") as marker:
        response = await progress_stub.BatchCreateCompletions(
            pb.BatchCreateCompletionsRequest(
                completions=[
                    completion("intro", learner="r-1"),
                    completion("intro", learner="r-2", request_id="fail-40P01"),
                    completion("intro", learner="r-3"),
                ]
            ),
            metadata=user(token_factory, tenant, "client_admin", "admin-1"),
        )
    assert [r.status.code for r in response.results] == [code_pb2.OK, code_pb2.ABORTED, code_pb2.OK]
    assert marker not in response.results[1].status.message
    roster = await progress_stub.ListCourseRoster(
        pb.ListCourseRosterRequest(course_id=COURSE),
        metadata=user(token_factory, tenant, "client_admin", "a"),
    )
    assert [p.learner_id for p in roster.progress] == ["r-1", "r-3"]
