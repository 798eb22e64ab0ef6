"""Program progress against the real database: course events through the handler, migration, recompute,
date overrides and prior completions (RPCs through the real in-process server)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from typing import Any

import asyncpg
import grpc
import pytest
from google.protobuf import field_mask_pb2, timestamp_pb2
from pydantic import SecretStr

from aigym.programs.v1 import programs_pb2 as pb
from aigym.programs.v1 import programs_pb2_grpc
from aigym.progress.v1 import events_pb2 as progress_events
from aigym_platform.db import create_sessionmaker, uow_factory
from aigym_platform.events.envelope import Event
from aigym_platform.events.registry import (
    COURSE_COMPLETED,
    ENROLLMENT_COMPLETED,
    ENROLLMENT_DATES_CHANGED,
    ENROLLMENT_MIGRATED,
    MILESTONE_REACHED,
    PROGRESS_RESET,
)
from aigym_platform.identity import TenantId
from aigym_platform.provisioning import ServiceDatabase
from aigym_platform.testing.database import read_outbox
from aigym_platform.testing.tokens import TokenFactory, bearer
from aigym_programs.bootstrap import App
from aigym_programs.progress_service import ProgramProgress
from aigym_programs.recompute import recompute
from aigym_programs.settings import ProgramsSettings

Stub = programs_pb2_grpc.ProgramsServiceStub


def node(node_id: str, parent: str = "", **fields: Any) -> pb.ProgramNode:
    return pb.ProgramNode(node_id=node_id, parent_id=parent, **fields)


def course(node_id: str, parent: str, points: int = 0) -> pb.ProgramNode:
    return node(node_id, parent, kind=pb.NODE_KIND_COURSE, course_id=f"course-{node_id}", points=points)


EVERY_RULE = pb.ProgramStructure(
    nodes=[
        node("root", kind=pb.NODE_KIND_SET, rule=pb.COMPLETION_RULE_ALL_IN_ORDER),
        node("core", "root", kind=pb.NODE_KIND_SET, rule=pb.COMPLETION_RULE_ALL_ANY_ORDER),
        course("c1", "core"),
        course("c2", "core"),
        node("core-done", "root", kind=pb.NODE_KIND_MILESTONE, title="Core done"),
        node("pick", "root", kind=pb.NODE_KIND_SET, rule=pb.COMPLETION_RULE_AT_LEAST_N, required_count=1),
        course("c3", "pick"),
        course("c4", "pick"),
        node("points", "root", kind=pb.NODE_KIND_SET, rule=pb.COMPLETION_RULE_MIN_POINTS, required_points=5),
        course("c5", "points", points=3),
        course("c6", "points", points=2),
        course("c7", "points", points=4),
    ]
)


class World:
    def __init__(self, stub: Stub, tokens: TokenFactory, tenant: uuid.UUID, app: App) -> None:
        self.stub, self.tokens, self.tenant = stub, tokens, tenant
        self.admin = bearer(tokens.token(tenant, ["client_admin"], user="admin"))
        self.units = uow_factory(create_sessionmaker(app.engine))
        self.handler = ProgramProgress()

    async def program(self, structure: pb.ProgramStructure) -> str:
        created = await self.stub.CreateProgram(
            pb.CreateProgramRequest(program=pb.Program(title="P", structure=structure)), metadata=self.admin
        )
        await self.stub.PublishProgram(
            pb.PublishProgramRequest(program_id=created.program_id), metadata=self.admin
        )
        return str(created.program_id)

    async def republish(self, program_id: str, structure: pb.ProgramStructure) -> None:
        """Publish `structure` as the program's next version."""
        await self.stub.UpdateProgram(
            pb.UpdateProgramRequest(
                program=pb.Program(program_id=program_id, structure=structure),
                update_mask=field_mask_pb2.FieldMask(paths=["structure"]),
            ),
            metadata=self.admin,
        )
        await self.stub.PublishProgram(pb.PublishProgramRequest(program_id=program_id), metadata=self.admin)

    async def enroll(self, program_id: str, learner: str) -> pb.Enrollment:
        return await self.stub.CreateEnrollment(
            pb.CreateEnrollmentRequest(program_id=program_id, enrollment=pb.Enrollment(learner_id=learner)),
            metadata=self.admin,
        )

    async def get(self, program_id: str, enrollment_id: str) -> pb.Enrollment:
        return await self.stub.GetEnrollment(
            pb.GetEnrollmentRequest(program_id=program_id, enrollment_id=enrollment_id), metadata=self.admin
        )

    async def deliver(self, event_type: str, learner: str, course_id: str, attempt: int = 0) -> None:
        """What the consumer task does, minus the inbox: run the handler in one unit of work."""
        now = dt.datetime.now(dt.UTC)
        if event_type == COURSE_COMPLETED:
            stamp = timestamp_pb2.Timestamp()
            stamp.FromDatetime(now)
            payload: Any = progress_events.CourseCompleted(
                learner_id=learner, course_id=course_id, completed_at=stamp, attempt=attempt
            )
        else:
            payload = progress_events.ProgressReset(
                learner_id=learner, course_id=course_id, archived_attempt=max(attempt - 1, 0), attempt=attempt
            )
        event = Event(uuid.uuid4(), event_type, TenantId(self.tenant), "progress", now, "s", 1, payload)
        async with self.units(TenantId(self.tenant), None) as uow:
            if event_type == COURSE_COMPLETED:
                await self.handler.record_course_completion(uow, event)
            else:
                await self.handler.record_progress_reset(uow, event)
            await uow.commit()

    async def complete(self, learner: str, *courses: str) -> None:
        for course_id in courses:
            await self.deliver(COURSE_COMPLETED, learner, f"course-{course_id}")


@pytest.fixture
def world(programs_stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID, programs_app: App) -> World:
    return World(programs_stub, token_factory, tenant, programs_app)


async def events_of(db: ServiceDatabase, tenant: uuid.UUID, *types: str) -> list[tuple[str, str, Any]]:
    return [e for e in await read_outbox(db.app_url, tenant) if e[0] in types]


async def drift(db: ServiceDatabase, tenant: uuid.UUID) -> None:
    """Corrupt every enrolment's stored progress of the tenant (as a bug or a manual edit would)."""
    conn = await asyncpg.connect(db.app_url)
    try:
        async with conn.transaction():
            await conn.execute("SELECT set_config('app.tenant_id', $1, true)", str(tenant))
            await conn.execute("UPDATE enrollments SET progress = 0, reached_milestones = '{}'")
    finally:
        await conn.close()


async def test_every_set_rule_completes_the_enrollment_once(
    world: World, programs_db: ServiceDatabase
) -> None:
    program_id = await world.program(EVERY_RULE)
    enrollment = await world.enroll(program_id, "ada")
    await world.complete("ada", "c1")
    half_core = await world.get(program_id, enrollment.enrollment_id)
    assert 0 < half_core.progress < 0.25
    assert list(half_core.reached_milestones) == []
    await world.complete("ada", "c2", "c2")  # the second c2 is a repeated fact: nothing changes
    core = await world.get(program_id, enrollment.enrollment_id)
    assert list(core.reached_milestones) == ["core-done"]
    await world.complete("ada", "c4", "c5")  # at least 1 of 2; 3 of 5 points
    partial = await world.get(program_id, enrollment.enrollment_id)
    assert partial.state == pb.ENROLLMENT_STATE_ACTIVE
    assert partial.progress < 1
    await world.complete("ada", "c6")  # 3 + 2 = 5 points: every set is satisfied
    done = await world.get(program_id, enrollment.enrollment_id)
    assert (done.state, done.progress) == (pb.ENROLLMENT_STATE_COMPLETED, 1.0)
    assert sorted(done.completed_course_ids) == [
        "course-c1",
        "course-c2",
        "course-c4",
        "course-c5",
        "course-c6",
    ]
    await world.complete("ada", "c7")  # more than needed: still completed, no second completion event
    events = await events_of(programs_db, world.tenant, MILESTONE_REACHED, ENROLLMENT_COMPLETED)
    assert [(e[0], getattr(e[2], "node_id", "")) for e in events] == [
        (MILESTONE_REACHED, "core-done"),
        (ENROLLMENT_COMPLETED, ""),
    ]
    await world.deliver(PROGRESS_RESET, "ada", "course-c6")  # 3 + 4 points still satisfy the set
    assert (await world.get(program_id, enrollment.enrollment_id)).state == pb.ENROLLMENT_STATE_COMPLETED
    await world.deliver(PROGRESS_RESET, "ada", "course-c1")  # recertification: the core set is open again
    reopened = await world.get(program_id, enrollment.enrollment_id)
    assert reopened.state == pb.ENROLLMENT_STATE_ACTIVE
    assert reopened.progress < 1
    assert not reopened.HasField("complete_time")


async def test_migration_dry_run_reports_then_applies_page_by_page(
    world: World, programs_db: ServiceDatabase
) -> None:
    v1 = pb.ProgramStructure(
        nodes=[
            node("root", kind=pb.NODE_KIND_SET, rule=pb.COMPLETION_RULE_ALL_ANY_ORDER),
            course("c1", "root"),
            course("c2", "root"),
        ]
    )
    program_id = await world.program(v1)
    finished = await world.enroll(program_id, "bo")
    starting = await world.enroll(program_id, "cy")
    await world.complete("bo", "c1", "c2")
    await world.complete("cy", "c3")  # not in v1, but it counts once cy is on v2
    v2 = pb.ProgramStructure(nodes=[*v1.nodes[:2], course("c3", "root")])  # c2 replaced by c3
    await world.republish(program_id, v2)

    request = pb.MigrateEnrollmentsRequest(program_id=program_id, validate_only=True)
    dry = await world.stub.MigrateEnrollments(request, metadata=world.admin)
    assert (dry.target_version, dry.applied, dry.next_page_token) == (2, False, "")
    by_learner = {change.learner_id: change for change in dry.changes}
    bo, cy = by_learner["bo"], by_learner["cy"]
    assert (list(bo.added_course_ids), list(bo.removed_course_ids)) == (["course-c3"], ["course-c2"])
    assert (bo.completed_before, bo.completed_after, bo.progress_before) == (True, False, 1.0)
    assert bo.progress_after == pytest.approx(0.5)
    assert (cy.progress_before, cy.progress_after) == (0.0, pytest.approx(0.5))
    unchanged = await world.get(program_id, finished.enrollment_id)
    assert (unchanged.program_version, unchanged.state) == (1, pb.ENROLLMENT_STATE_COMPLETED)

    request = pb.MigrateEnrollmentsRequest(program_id=program_id, page_size=1)
    first = await world.stub.MigrateEnrollments(request, metadata=world.admin)
    assert (len(first.changes), first.applied, bool(first.next_page_token)) == (1, True, True)
    request.page_token = first.next_page_token
    second = await world.stub.MigrateEnrollments(request, metadata=world.admin)
    assert (len(second.changes), second.next_page_token) == (1, "")
    again = await world.stub.MigrateEnrollments(
        pb.MigrateEnrollmentsRequest(program_id=program_id), metadata=world.admin
    )
    assert list(again.changes) == []  # everyone is on v2 already: a retry changes nothing
    for enrollment in (finished, starting):
        moved = await world.get(program_id, enrollment.enrollment_id)
        assert (moved.program_version, moved.state, moved.progress) == (2, pb.ENROLLMENT_STATE_ACTIVE, 0.5)
    migrated = await events_of(programs_db, world.tenant, ENROLLMENT_MIGRATED)
    assert sorted((e[2].learner_id, e[2].from_version, e[2].to_version) for e in migrated) == [
        ("bo", 1, 2),
        ("cy", 1, 2),
    ]
    with pytest.raises(grpc.aio.AioRpcError) as future:
        await world.stub.MigrateEnrollments(
            pb.MigrateEnrollmentsRequest(program_id=program_id, target_version=3), metadata=world.admin
        )
    assert future.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.aio.AioRpcError) as learner:
        await world.stub.MigrateEnrollments(
            pb.MigrateEnrollmentsRequest(program_id=program_id),
            metadata=bearer(world.tokens.token(world.tenant, ["learner"], user="bo")),
        )
    assert learner.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_recompute_repairs_drift_and_a_dry_run_writes_nothing(
    world: World, programs_db: ServiceDatabase
) -> None:
    program_id = await world.program(EVERY_RULE)
    enrollment = await world.enroll(program_id, "di")
    await world.complete("di", "c1", "c2")
    healthy = await world.get(program_id, enrollment.enrollment_id)
    await drift(programs_db, world.tenant)
    request = pb.RecomputeEnrollmentsRequest(program_id=program_id, validate_only=True)
    dry = await world.stub.RecomputeEnrollments(request, metadata=world.admin)
    assert (dry.examined_count, len(dry.changes), dry.applied) == (1, 1, False)
    assert (dry.changes[0].progress_before, list(dry.changes[0].milestones_gained)) == (0.0, ["core-done"])
    assert (await world.get(program_id, enrollment.enrollment_id)).progress == 0
    applied = await world.stub.RecomputeEnrollments(
        pb.RecomputeEnrollmentsRequest(program_id=program_id), metadata=world.admin
    )
    assert (len(applied.changes), applied.applied) == (1, True)
    repaired = await world.get(program_id, enrollment.enrollment_id)
    assert (repaired.progress, list(repaired.reached_milestones)) == (healthy.progress, ["core-done"])
    clean = await world.stub.RecomputeEnrollments(request, metadata=world.admin)
    assert (clean.examined_count, list(clean.changes)) == (1, [])


async def test_recompute_command_reports_then_fixes(
    world: World, programs_db: ServiceDatabase, capsys: pytest.CaptureFixture[str]
) -> None:
    program_id = await world.program(EVERY_RULE)
    for learner in ("gil", "hal", "ivy"):
        await world.enroll(program_id, learner)
        await world.complete(learner, "c1")
    await drift(programs_db, world.tenant)
    settings = ProgramsSettings(database_url=SecretStr(programs_db.app_url))
    program, tenant = uuid.UUID(program_id), world.tenant
    assert await recompute(settings, tenant, program, apply=False, batch=2) == 3
    out, err = capsys.readouterr()
    assert sorted(json.loads(line)["learner_id"] for line in out.splitlines()) == ["gil", "hal", "ivy"]
    assert "examined 2 enrolments" in err
    assert "done: 3 examined, 3 would fix" in err
    assert await recompute(settings, tenant, program, apply=True, batch=2) == 3
    assert await recompute(settings, tenant, program, apply=False, batch=2) == 0


async def test_date_overrides_are_validated_audited_and_announced(
    world: World, programs_db: ServiceDatabase
) -> None:
    program_id = await world.program(EVERY_RULE)
    enrollment = await world.enroll(program_id, "ed")
    due = timestamp_pb2.Timestamp()
    due.FromDatetime(dt.datetime.now(dt.UTC) + dt.timedelta(days=14))

    def patch(mask: list[str], **fields: Any) -> pb.UpdateEnrollmentRequest:
        body = pb.Enrollment(enrollment_id=enrollment.enrollment_id, **fields)
        return pb.UpdateEnrollmentRequest(
            program_id=program_id,
            enrollment=body,
            update_mask=field_mask_pb2.FieldMask(paths=mask),
            reason="parental leave",
        )

    changed = await world.stub.UpdateEnrollment(patch(["due_time"], due_time=due), metadata=world.admin)
    assert changed.due_time == due
    same = await world.stub.UpdateEnrollment(patch(["due_time"], due_time=due), metadata=world.admin)
    assert same.due_time == due  # a retry changes nothing and announces nothing
    with pytest.raises(grpc.aio.AioRpcError) as bad_mask:
        await world.stub.UpdateEnrollment(patch(["learner_id"]), metadata=world.admin)
    assert bad_mask.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "update_mask" in (bad_mask.value.details() or "")
    early = timestamp_pb2.Timestamp()
    early.FromDatetime(dt.datetime.now(dt.UTC) - dt.timedelta(days=30))
    with pytest.raises(grpc.aio.AioRpcError) as backwards:
        await world.stub.UpdateEnrollment(patch(["due_time"], due_time=early), metadata=world.admin)
    assert backwards.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "due_time" in (backwards.value.details() or "")
    with pytest.raises(grpc.aio.AioRpcError) as learner:
        await world.stub.UpdateEnrollment(
            patch(["due_time"], due_time=due),
            metadata=bearer(world.tokens.token(world.tenant, ["learner"], user="ed")),
        )
    assert learner.value.code() == grpc.StatusCode.PERMISSION_DENIED
    announced = await events_of(programs_db, world.tenant, ENROLLMENT_DATES_CHANGED)
    assert [(e[2].learner_id, e[2].due_time) for e in announced] == [("ed", due)]
    conn = await asyncpg.connect(programs_db.app_url)
    try:
        async with conn.transaction():
            await conn.execute("SELECT set_config('app.tenant_id', $1, true)", str(world.tenant))
            actions = await conn.fetch(
                "SELECT action, after_digest FROM audit_log WHERE resource_id = $1 ORDER BY seq",
                enrollment.enrollment_id,
            )
    finally:
        await conn.close()
    assert [row["action"] for row in actions] == ["enrollment.create", "enrollment.override_dates"]


async def test_courses_completed_before_enrolment_count_at_once(
    world: World, programs_db: ServiceDatabase
) -> None:
    program_id = await world.program(EVERY_RULE)
    await world.complete("fi", "c1", "c2", "c3", "c5", "c6")
    enrollment = await world.enroll(program_id, "fi")
    assert (enrollment.state, enrollment.progress) == (pb.ENROLLMENT_STATE_COMPLETED, 1.0)
    assert list(enrollment.reached_milestones) == ["core-done"]
    completed = await events_of(programs_db, world.tenant, ENROLLMENT_COMPLETED)
    assert [e[2].learner_id for e in completed] == ["fi"]


async def test_an_approval_counts_the_courses_completed_while_the_request_waited(
    world: World, programs_db: ServiceDatabase
) -> None:
    created = await world.stub.CreateProgram(
        pb.CreateProgramRequest(
            program=pb.Program(title="On request", structure=EVERY_RULE, visibility=pb.VISIBILITY_PUBLIC)
        ),
        metadata=world.admin,
    )
    program_id = created.program_id
    await world.stub.PublishProgram(pb.PublishProgramRequest(program_id=program_id), metadata=world.admin)
    requested = await world.stub.CreateEnrollment(
        pb.CreateEnrollmentRequest(program_id=program_id, enrollment=pb.Enrollment(learner_id="me")),
        metadata=bearer(world.tokens.token(world.tenant, ["learner"], user="gus")),
    )
    assert requested.state == pb.ENROLLMENT_STATE_PENDING_APPROVAL
    await world.complete("gus", "c1", "c2", "c3", "c5", "c6")
    waiting = await world.get(program_id, requested.enrollment_id)
    assert (waiting.state, waiting.progress) == (pb.ENROLLMENT_STATE_PENDING_APPROVAL, 0.0)
    approved = await world.stub.ApproveEnrollment(
        pb.ApproveEnrollmentRequest(program_id=program_id, enrollment_id=requested.enrollment_id),
        metadata=world.admin,
    )
    assert (approved.state, approved.progress) == (pb.ENROLLMENT_STATE_COMPLETED, 1.0)
    assert await world.get(program_id, requested.enrollment_id) == approved
    completed = await events_of(programs_db, world.tenant, ENROLLMENT_COMPLETED)
    assert [e[2].learner_id for e in completed] == ["gus"]


async def test_a_single_enrolment_and_a_batch_with_the_same_learner_do_not_deadlock(
    world: World, programs_db: ServiceDatabase
) -> None:
    program_id = await world.program(EVERY_RULE)
    rows = [pb.Enrollment(learner_id=f"l{i:04d}") for i in range(400)]
    for _ in range(3):
        batch = world.stub.BatchCreateEnrollments(
            pb.BatchCreateEnrollmentsRequest(program_id=program_id, enrollments=rows), metadata=world.admin
        )
        # The batch locks every learner first and inserts in order; singles for its last rows come meanwhile.
        singles = [world.enroll(program_id, row.learner_id) for row in rows[-3:]]
        outcomes = await asyncio.gather(batch, *singles, return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, grpc.aio.AioRpcError):
                assert outcome.code() == grpc.StatusCode.ALREADY_EXISTS, outcome.details()
        rows = [pb.Enrollment(learner_id=f"{r.learner_id}x") for r in rows]


async def test_a_late_completion_of_an_attempt_before_a_reset_does_not_bring_the_course_back(
    world: World, programs_db: ServiceDatabase
) -> None:
    program_id = await world.program(EVERY_RULE)
    enrollment = await world.enroll(program_id, "hal")
    for course_id in ("c1", "c2", "c3", "c5", "c6"):
        await world.deliver(COURSE_COMPLETED, "hal", f"course-{course_id}", attempt=1)
    assert (await world.get(program_id, enrollment.enrollment_id)).state == pb.ENROLLMENT_STATE_COMPLETED
    await world.deliver(PROGRESS_RESET, "hal", "course-c1", attempt=2)  # recertification
    reopened = await world.get(program_id, enrollment.enrollment_id)
    assert reopened.state == pb.ENROLLMENT_STATE_ACTIVE
    # Delivery is at least once and unordered: attempt 1's completion may come again after the reset.
    await world.deliver(COURSE_COMPLETED, "hal", "course-c1", attempt=1)
    assert await world.get(program_id, enrollment.enrollment_id) == reopened
    await world.deliver(PROGRESS_RESET, "hal", "course-c1", attempt=2)  # redelivered reset: nothing new
    await world.deliver(COURSE_COMPLETED, "hal", "course-c1", attempt=2)
    assert (await world.get(program_id, enrollment.enrollment_id)).state == pb.ENROLLMENT_STATE_COMPLETED
