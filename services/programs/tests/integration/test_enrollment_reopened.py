"""A completed enrolment that reopens is announced (enrollment_reopened), in the transaction that reopens
it, on every path: a course reset (the progress service's event through the worker's consumer path, inbox
included), a version migration and a recompute; and never when nothing reopens."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import asyncpg
import pytest
from google.protobuf import timestamp_pb2
from pydantic import SecretStr

from aigym.programs.v1 import programs_pb2 as pb
from aigym.programs.v1 import programs_pb2_grpc
from aigym.progress.v1 import events_pb2 as progress_events
from aigym_platform.events.registry import (
    COURSE_COMPLETED,
    ENROLLMENT_COMPLETED,
    ENROLLMENT_REOPENED,
    PROGRESS_RESET,
)
from aigym_platform.provisioning import ServiceDatabase
from aigym_platform.testing.consumers import ConsumerFeeder, wire_event
from aigym_platform.testing.tokens import TokenFactory
from aigym_programs.bootstrap import App
from aigym_programs.progress_service import ProgramProgress
from aigym_programs.settings import ProgramsSettings
from services.programs.tests.integration.test_program_progress import (
    EVERY_RULE,
    World,
    course,
    events_of,
    node,
)

TWO_COURSES = pb.ProgramStructure(
    nodes=[
        node("root", kind=pb.NODE_KIND_SET, rule=pb.COMPLETION_RULE_ALL_ANY_ORDER),
        course("c1", "root"),
        course("c2", "root"),
    ]
)


@pytest.fixture
def world(
    programs_stub: programs_pb2_grpc.ProgramsServiceStub,
    token_factory: TokenFactory,
    tenant: uuid.UUID,
    programs_app: App,
) -> World:
    return World(programs_stub, token_factory, tenant, programs_app)


@pytest.fixture(scope="module")
def consumer(programs_db: ServiceDatabase, token_factory: TokenFactory) -> Iterator[ConsumerFeeder]:
    """The programs worker's consumers of progress events (inbox row + handler in one transaction)."""
    settings = ProgramsSettings(
        database_url=SecretStr(programs_db.app_url),
        redis_url=SecretStr("redis://127.0.0.1:1/0"),  # never contacted: the feeder sends no receipts
        jwks_file=str(token_factory.jwks_file),
    )
    handlers = ProgramProgress()
    feeder = ConsumerFeeder(
        settings,
        "programs",
        {
            "record_course_completion": handlers.record_course_completion,
            "record_progress_reset": handlers.record_progress_reset,
        },
    )
    yield feeder
    feeder.close()


def progress_event(tenant: uuid.UUID, learner: str, course_id: str, *, reset: bool, attempt: int) -> str:
    """The wire form of a course completion or reset of `attempt`, as the relay sends it."""
    now = dt.datetime.now(dt.UTC)
    if reset:
        payload: Any = progress_events.ProgressReset(
            learner_id=learner, course_id=course_id, archived_attempt=attempt - 1, attempt=attempt
        )
        return wire_event(tenant, PROGRESS_RESET, payload, occurred_at=now)
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(now)
    payload = progress_events.CourseCompleted(
        learner_id=learner, course_id=course_id, completed_at=stamp, attempt=attempt
    )
    return wire_event(tenant, COURSE_COMPLETED, payload, occurred_at=now)


async def audit_actions(db: ServiceDatabase, tenant: uuid.UUID, enrollment_id: str) -> list[str]:
    conn = await asyncpg.connect(db.app_url)
    try:
        async with conn.transaction():
            await conn.execute("SELECT set_config('app.tenant_id', $1, true)", str(tenant))
            rows = await conn.fetch(
                "SELECT action FROM audit_log WHERE resource_id = $1 ORDER BY seq", enrollment_id
            )
    finally:
        await conn.close()
    return [row["action"] for row in rows]


async def test_a_reset_that_reopens_a_completed_enrolment_announces_it_once(
    world: World, programs_db: ServiceDatabase, consumer: ConsumerFeeder
) -> None:
    program_id = await world.program(EVERY_RULE)
    enrollment = await world.enroll(program_id, "ada")
    for course_id in ("c1", "c2", "c4", "c5", "c6", "c7"):
        wire = progress_event(world.tenant, "ada", f"course-{course_id}", reset=False, attempt=1)
        assert consumer.deliver_wire(COURSE_COMPLETED, wire) == "applied"
    done = await world.get(program_id, enrollment.enrollment_id)
    assert done.state == pb.ENROLLMENT_STATE_COMPLETED
    (completed,) = await events_of(programs_db, world.tenant, ENROLLMENT_COMPLETED)
    assert completed[2].completed_at == done.complete_time

    # A reset the enrolment still satisfies its rules without (c5 + c7 points) reopens nothing.
    wire = progress_event(world.tenant, "ada", "course-c6", reset=True, attempt=2)
    assert consumer.deliver_wire(PROGRESS_RESET, wire) == "applied"
    assert await events_of(programs_db, world.tenant, ENROLLMENT_REOPENED) == []

    # Recertification: c1 is reset, the core set is open again.
    reset = progress_event(world.tenant, "ada", "course-c1", reset=True, attempt=2)
    assert consumer.deliver_wire(PROGRESS_RESET, reset) == "applied"
    reopened = await world.get(program_id, enrollment.enrollment_id)
    assert reopened.state == pb.ENROLLMENT_STATE_ACTIVE
    (announced,) = await events_of(programs_db, world.tenant, ENROLLMENT_REOPENED)
    _, subject, payload = announced
    assert subject == f"enrollments/{enrollment.enrollment_id}"
    assert (payload.enrollment_id, payload.program_id, payload.learner_id, payload.program_version) == (
        enrollment.enrollment_id,
        program_id,
        "ada",
        1,
    )
    assert payload.previous_completed_at == done.complete_time  # the completion it reverses
    assert (payload.reason, payload.progress) == ("progress_reset", pytest.approx(reopened.progress))
    assert payload.reopened_at.ToDatetime(tzinfo=dt.UTC) > done.complete_time.ToDatetime(tzinfo=dt.UTC)

    # Redelivery of the reset, a repeated reset and a reset of a course of the open enrolment: no more.
    assert consumer.deliver_wire(PROGRESS_RESET, reset) == "duplicate"
    for course_id in ("c1", "c2"):
        wire = progress_event(world.tenant, "ada", f"course-{course_id}", reset=True, attempt=2)
        assert consumer.deliver_wire(PROGRESS_RESET, wire) == "applied"
    assert len(await events_of(programs_db, world.tenant, ENROLLMENT_REOPENED)) == 1

    # Completing it again is a new completion, announced once.
    for course_id in ("c1", "c2"):
        wire = progress_event(world.tenant, "ada", f"course-{course_id}", reset=False, attempt=2)
        assert consumer.deliver_wire(COURSE_COMPLETED, wire) == "applied"
    again = await world.get(program_id, enrollment.enrollment_id)
    assert again.state == pb.ENROLLMENT_STATE_COMPLETED
    history = await events_of(programs_db, world.tenant, ENROLLMENT_COMPLETED, ENROLLMENT_REOPENED)
    assert [e[0] for e in history] == [ENROLLMENT_COMPLETED, ENROLLMENT_REOPENED, ENROLLMENT_COMPLETED]
    assert history[2][2].completed_at == again.complete_time
    assert await audit_actions(programs_db, world.tenant, enrollment.enrollment_id) == [
        "enrollment.create",
        "enrollment.complete",
        "enrollment.reopen",
        "enrollment.complete",
    ]


async def test_a_migration_that_reopens_a_completed_enrolment_announces_it(
    world: World, programs_db: ServiceDatabase
) -> None:
    program_id = await world.program(TWO_COURSES)
    finished = await world.enroll(program_id, "bo")
    starting = await world.enroll(program_id, "cy")
    await world.complete("bo", "c1", "c2")
    await world.complete("cy", "c1")
    done = await world.get(program_id, finished.enrollment_id)
    await world.republish(program_id, pb.ProgramStructure(nodes=[*TWO_COURSES.nodes, course("c3", "root")]))

    dry = pb.MigrateEnrollmentsRequest(program_id=program_id, validate_only=True)
    await world.stub.MigrateEnrollments(dry, metadata=world.admin)
    assert await events_of(programs_db, world.tenant, ENROLLMENT_REOPENED) == []  # a dry run: nothing
    applied = await world.stub.MigrateEnrollments(
        pb.MigrateEnrollmentsRequest(program_id=program_id), metadata=world.admin
    )
    assert len(applied.changes) == 2
    (announced,) = await events_of(programs_db, world.tenant, ENROLLMENT_REOPENED)  # bo only: cy was open
    payload = announced[2]
    assert (payload.enrollment_id, payload.program_version, payload.reason) == (
        finished.enrollment_id,
        2,
        "version_migration",
    )
    assert payload.previous_completed_at == done.complete_time
    assert (await world.get(program_id, starting.enrollment_id)).state == pb.ENROLLMENT_STATE_ACTIVE
    await world.stub.MigrateEnrollments(
        pb.MigrateEnrollmentsRequest(program_id=program_id), metadata=world.admin
    )
    assert len(await events_of(programs_db, world.tenant, ENROLLMENT_REOPENED)) == 1  # a retry: nothing new
    assert "enrollment.reopen" in await audit_actions(programs_db, world.tenant, finished.enrollment_id)


async def test_a_recompute_that_reopens_a_completed_enrolment_announces_it(
    world: World, programs_db: ServiceDatabase
) -> None:
    program_id = await world.program(TWO_COURSES)
    enrollment = await world.enroll(program_id, "di")
    await world.complete("di", "c1", "c2")
    done = await world.get(program_id, enrollment.enrollment_id)
    assert done.state == pb.ENROLLMENT_STATE_COMPLETED
    # The ledger is repaired by hand (a completion that should never have counted is taken out).
    conn = await asyncpg.connect(programs_db.app_url)
    try:
        async with conn.transaction():
            await conn.execute("SELECT set_config('app.tenant_id', $1, true)", str(world.tenant))
            await conn.execute(
                "UPDATE learner_course_completions SET completed = false WHERE course_id = 'course-c2'"
            )
    finally:
        await conn.close()
    dry = pb.RecomputeEnrollmentsRequest(program_id=program_id, validate_only=True)
    assert len((await world.stub.RecomputeEnrollments(dry, metadata=world.admin)).changes) == 1
    assert await events_of(programs_db, world.tenant, ENROLLMENT_REOPENED) == []
    applied = pb.RecomputeEnrollmentsRequest(program_id=program_id)
    await world.stub.RecomputeEnrollments(applied, metadata=world.admin)
    assert (await world.get(program_id, enrollment.enrollment_id)).state == pb.ENROLLMENT_STATE_ACTIVE
    (announced,) = await events_of(programs_db, world.tenant, ENROLLMENT_REOPENED)
    assert (announced[2].reason, announced[2].previous_completed_at) == ("recompute", done.complete_time)
    await world.stub.RecomputeEnrollments(applied, metadata=world.admin)
    assert len(await events_of(programs_db, world.tenant, ENROLLMENT_REOPENED)) == 1
