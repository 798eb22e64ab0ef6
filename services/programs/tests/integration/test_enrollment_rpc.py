"""Enrolment through the real server: admin, self, request-and-approve, batch dry run and retries, lists."""

from __future__ import annotations

import datetime as dt
import uuid

import grpc
import pytest
from google.protobuf import duration_pb2, field_mask_pb2, timestamp_pb2

from aigym.programs.v1 import programs_pb2 as pb
from aigym.programs.v1 import programs_pb2_grpc
from aigym_platform.events.registry import ENROLLMENT_APPROVED, ENROLLMENT_CREATED, ENROLLMENT_WITHDRAWN
from aigym_platform.provisioning import ServiceDatabase
from aigym_platform.testing.database import read_outbox
from aigym_platform.testing.tokens import TokenFactory, bearer

Stub = programs_pb2_grpc.ProgramsServiceStub
STRUCTURE = pb.ProgramStructure(
    nodes=[
        pb.ProgramNode(node_id="root", kind=pb.NODE_KIND_SET, rule=pb.COMPLETION_RULE_ALL_ANY_ORDER),
        pb.ProgramNode(node_id="c1", parent_id="root", kind=pb.NODE_KIND_COURSE, course_id="course-1"),
    ]
)


def ts(value: dt.datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


class World:
    def __init__(self, stub: Stub, tokens: TokenFactory, tenant: uuid.UUID) -> None:
        self.stub, self.tokens, self.tenant = stub, tokens, tenant
        self.admin = bearer(tokens.token(tenant, ["client_admin"], user="admin"))

    def learner(self, user: str) -> tuple[tuple[str, str], ...]:
        return bearer(self.tokens.token(self.tenant, ["learner"], user=user))

    async def program(self, *, self_enrollment: bool = True, publish: bool = True, **fields: object) -> str:
        program = pb.Program(
            title="P",
            visibility=pb.VISIBILITY_PUBLIC,
            self_enrollment_allowed=self_enrollment,
            structure=STRUCTURE,
            **fields,
        )  # type: ignore[arg-type]
        created = await self.stub.CreateProgram(pb.CreateProgramRequest(program=program), metadata=self.admin)
        if publish:
            await self.stub.PublishProgram(
                pb.PublishProgramRequest(program_id=created.program_id), metadata=self.admin
            )
        return str(created.program_id)

    async def enroll(
        self,
        program_id: str,
        learner: str,
        metadata: tuple[tuple[str, str], ...] | None = None,
        **dates: object,
    ) -> pb.Enrollment:
        request = pb.CreateEnrollmentRequest(
            program_id=program_id, enrollment=pb.Enrollment(learner_id=learner, **dates)
        )  # type: ignore[arg-type]
        return await self.stub.CreateEnrollment(request, metadata=metadata or self.admin)


@pytest.fixture
def world(programs_stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID) -> World:
    return World(programs_stub, token_factory, tenant)


async def test_admin_enrolment_is_pinned_and_dated_by_the_program_rules(world: World) -> None:
    program_id = await world.program(
        default_due_offset=duration_pb2.Duration(seconds=30 * 86400),
        default_access_duration=duration_pb2.Duration(seconds=60 * 86400),
    )
    enrollment = await world.enroll(program_id, "ada")
    assert (enrollment.state, enrollment.program_version, enrollment.source) == (
        pb.ENROLLMENT_STATE_ACTIVE,
        1,
        pb.ENROLLMENT_SOURCE_ADMIN,
    )
    start = enrollment.start_time.ToDatetime()
    assert enrollment.due_time.ToDatetime() - start == dt.timedelta(days=30)
    assert enrollment.end_time.ToDatetime() - start == dt.timedelta(days=60)
    with pytest.raises(grpc.aio.AioRpcError) as twice:
        await world.enroll(program_id, "ada")
    assert twice.value.code() == grpc.StatusCode.ALREADY_EXISTS


async def test_absolute_rules_give_every_enrolment_the_same_due_and_end_time(world: World) -> None:
    deadline = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=14)
    cohort_end = deadline + dt.timedelta(days=30)
    program_id = await world.program(default_due_time=ts(deadline), default_end_time=ts(cohort_end))
    program = await world.stub.GetProgram(pb.GetProgramRequest(program_id=program_id), metadata=world.admin)
    assert (program.default_due_time.ToDatetime(dt.UTC), program.default_end_time.ToDatetime(dt.UTC)) == (
        deadline,
        cohort_end,
    )
    for learner in ("ann", "ben"):
        enrollment = await world.enroll(program_id, learner)
        assert (enrollment.due_time.ToDatetime(dt.UTC), enrollment.end_time.ToDatetime(dt.UTC)) == (
            deadline,
            cohort_end,
        )
    with pytest.raises(grpc.aio.AioRpcError) as both:
        await world.stub.UpdateProgram(
            pb.UpdateProgramRequest(
                program=pb.Program(
                    program_id=program_id, default_due_offset=duration_pb2.Duration(seconds=60)
                ),
                update_mask=field_mask_pb2.FieldMask(paths=["default_due_offset"]),
            ),
            metadata=world.admin,
        )
    assert both.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "program.default_due_time" in (both.value.details() or "")


async def test_explicit_dates_are_checked(world: World) -> None:
    program_id = await world.program()
    now = dt.datetime.now(dt.UTC)
    with pytest.raises(grpc.aio.AioRpcError) as invalid:
        await world.enroll(program_id, "bo", start_time=ts(now), due_time=ts(now - dt.timedelta(days=1)))
    assert invalid.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "enrollment.due_time" in (invalid.value.details() or "")


async def test_self_enrolment_and_request_and_approve(world: World, programs_db: ServiceDatabase) -> None:
    open_program = await world.program(self_enrollment=True)
    mine = await world.enroll(open_program, "me", world.learner("cy"))
    assert (mine.learner_id, mine.state, mine.source) == (
        "cy",
        pb.ENROLLMENT_STATE_ACTIVE,
        pb.ENROLLMENT_SOURCE_SELF,
    )
    with pytest.raises(grpc.aio.AioRpcError) as other:
        await world.enroll(open_program, "someone-else", world.learner("cy"))
    assert other.value.code() == grpc.StatusCode.PERMISSION_DENIED
    gated = await world.program(self_enrollment=False)
    request = await world.enroll(gated, "me", world.learner("cy"))
    assert request.state == pb.ENROLLMENT_STATE_PENDING_APPROVAL
    with pytest.raises(grpc.aio.AioRpcError) as self_approval:
        await world.stub.ApproveEnrollment(
            pb.ApproveEnrollmentRequest(program_id=gated, enrollment_id=request.enrollment_id),
            metadata=world.learner("cy"),
        )
    assert self_approval.value.code() == grpc.StatusCode.PERMISSION_DENIED
    approved = await world.stub.ApproveEnrollment(
        pb.ApproveEnrollmentRequest(program_id=gated, enrollment_id=request.enrollment_id),
        metadata=world.admin,
    )
    assert approved.state == pb.ENROLLMENT_STATE_ACTIVE
    events = [e for e in await read_outbox(programs_db.app_url, world.tenant) if "enrollment" in e[0]]
    assert [(e[0], e[2].learner_id) for e in events] == [
        (ENROLLMENT_CREATED, "cy"),
        (ENROLLMENT_CREATED, "cy"),
        (ENROLLMENT_APPROVED, "cy"),
    ]
    assert [e[2].state for e in events[:2]] == ["active", "pending_approval"]
    assert (events[2][1], events[2][2].approved_by) == (f"enrollments/{request.enrollment_id}", "admin")


async def test_enrolment_window_and_unpublished_programs(world: World) -> None:
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    not_yet = await world.program(enrollment_open_time=ts(later))
    with pytest.raises(grpc.aio.AioRpcError) as closed:
        await world.enroll(not_yet, "me", world.learner("dee"))
    assert closed.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert (await world.enroll(not_yet, "dee")).state == pb.ENROLLMENT_STATE_ACTIVE  # admins may
    draft = await world.program(publish=False)
    with pytest.raises(grpc.aio.AioRpcError) as unpublished:
        await world.enroll(draft, "dee")
    assert unpublished.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    with pytest.raises(grpc.aio.AioRpcError) as hidden:
        await world.enroll(draft, "me", world.learner("dee"))
    assert hidden.value.code() == grpc.StatusCode.NOT_FOUND


async def test_batch_dry_run_then_retried_upload_creates_nothing_twice(
    world: World, programs_db: ServiceDatabase
) -> None:
    program_id = await world.program()
    now = dt.datetime.now(dt.UTC)
    rows = [
        pb.Enrollment(learner_id="e1"),
        pb.Enrollment(learner_id="e2"),
        pb.Enrollment(learner_id="e1"),
        pb.Enrollment(learner_id="e3", start_time=ts(now), end_time=ts(now - dt.timedelta(days=1))),
    ]
    request = pb.BatchCreateEnrollmentsRequest(program_id=program_id, enrollments=rows, validate_only=True)
    dry = await world.stub.BatchCreateEnrollments(request, metadata=world.admin)
    assert [r.outcome for r in dry.results] == [
        pb.BATCH_OUTCOME_WOULD_CREATE,
        pb.BATCH_OUTCOME_WOULD_CREATE,
        pb.BATCH_OUTCOME_ALREADY_ENROLLED,
        pb.BATCH_OUTCOME_INVALID,
    ]
    assert "end_time" in dry.results[3].error
    listed = await world.stub.ListEnrollments(
        pb.ListEnrollmentsRequest(program_id=program_id), metadata=world.admin
    )
    assert list(listed.enrollments) == []
    request.validate_only = False
    first = await world.stub.BatchCreateEnrollments(request, metadata=world.admin)
    assert [r.outcome for r in first.results] == [
        pb.BATCH_OUTCOME_CREATED,
        pb.BATCH_OUTCOME_CREATED,
        pb.BATCH_OUTCOME_ALREADY_ENROLLED,
        pb.BATCH_OUTCOME_INVALID,
    ]
    retry = await world.stub.BatchCreateEnrollments(request, metadata=world.admin)
    assert [r.outcome for r in retry.results][:3] == [pb.BATCH_OUTCOME_ALREADY_ENROLLED] * 3
    assert retry.results[0].enrollment.enrollment_id == first.results[0].enrollment.enrollment_id
    listed = await world.stub.ListEnrollments(
        pb.ListEnrollmentsRequest(program_id=program_id), metadata=world.admin
    )
    assert sorted(e.learner_id for e in listed.enrollments) == ["e1", "e2"]
    created = [e for e in await read_outbox(programs_db.app_url, world.tenant) if e[0] == ENROLLMENT_CREATED]
    assert [(e[2].learner_id, e[2].program_id, e[2].state) for e in created] == [
        ("e1", program_id, "active"),
        ("e2", program_id, "active"),
    ]  # one event per enrolment created: none for the dry run, the duplicate row or the retry
    assert created[0][1] == f"enrollments/{first.results[0].enrollment.enrollment_id}"


async def test_lists_withdraw_and_visibility(world: World, programs_db: ServiceDatabase) -> None:
    program_id = await world.program(default_due_offset=duration_pb2.Duration(seconds=1))
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=10)
    overdue = await world.enroll(program_id, "fay", start_time=ts(past))
    await world.enroll(program_id, "gus")
    mine = await world.stub.ListLearnerEnrollments(
        pb.ListLearnerEnrollmentsRequest(learner_id="me"), metadata=world.learner("fay")
    )
    assert [e.enrollment_id for e in mine.enrollments] == [overdue.enrollment_id]
    assert mine.enrollments[0].overdue
    with pytest.raises(grpc.aio.AioRpcError) as nosy:
        await world.stub.ListLearnerEnrollments(
            pb.ListLearnerEnrollmentsRequest(learner_id="gus"), metadata=world.learner("fay")
        )
    assert nosy.value.code() == grpc.StatusCode.PERMISSION_DENIED
    late = await world.stub.ListEnrollments(
        pb.ListEnrollmentsRequest(program_id=program_id, overdue_only=True), metadata=world.admin
    )
    assert [e.learner_id for e in late.enrollments] == ["fay"]
    with pytest.raises(grpc.aio.AioRpcError) as foreign:
        await world.stub.GetEnrollment(
            pb.GetEnrollmentRequest(program_id=program_id, enrollment_id=overdue.enrollment_id),
            metadata=world.learner("gus"),
        )
    assert foreign.value.code() == grpc.StatusCode.NOT_FOUND
    withdrawn = await world.stub.WithdrawEnrollment(
        pb.WithdrawEnrollmentRequest(program_id=program_id, enrollment_id=overdue.enrollment_id),
        metadata=world.learner("fay"),
    )
    assert withdrawn.state == pb.ENROLLMENT_STATE_WITHDRAWN
    again = await world.enroll(program_id, "fay")  # a withdrawn enrolment does not block a new one
    assert again.enrollment_id != overdue.enrollment_id
    retried = await world.stub.WithdrawEnrollment(
        pb.WithdrawEnrollmentRequest(program_id=program_id, enrollment_id=overdue.enrollment_id),
        metadata=world.admin,
    )
    assert retried.state == pb.ENROLLMENT_STATE_WITHDRAWN
    withdrawals = [
        e for e in await read_outbox(programs_db.app_url, world.tenant) if e[0] == ENROLLMENT_WITHDRAWN
    ]
    assert [(e[1], e[2].learner_id) for e in withdrawals] == [(f"enrollments/{overdue.enrollment_id}", "fay")]


async def test_listing_enrolments_of_an_unknown_program_is_not_found_and_of_an_empty_one_is_empty(
    world: World, programs_stub: Stub, token_factory: TokenFactory
) -> None:
    empty = await world.program()
    elsewhere = World(programs_stub, token_factory, uuid.uuid4())
    foreign = await elsewhere.program()
    await elsewhere.enroll(foreign, "ada")

    listed = await world.stub.ListEnrollments(
        pb.ListEnrollmentsRequest(program_id=empty), metadata=world.admin
    )
    missing = {}
    for program_id in (str(uuid.uuid4()), foreign):  # unknown, and another tenant's (with enrolments)
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await world.stub.ListEnrollments(
                pb.ListEnrollmentsRequest(program_id=program_id), metadata=world.admin
            )
        missing[program_id] = caught.value.code()

    assert (list(listed.enrollments), listed.next_page_token) == ([], "")
    assert set(missing.values()) == {grpc.StatusCode.NOT_FOUND}


async def test_a_retried_upload_with_a_key_creates_nothing_twice_even_after_a_withdrawal(
    world: World, programs_db: ServiceDatabase
) -> None:
    program_id = await world.program()
    rows = [pb.Enrollment(learner_id="k1"), pb.Enrollment(learner_id="k2")]
    request = pb.BatchCreateEnrollmentsRequest(program_id=program_id, enrollments=rows, request_id="upload-7")
    first = await world.stub.BatchCreateEnrollments(request, metadata=world.admin)
    assert [r.outcome for r in first.results] == [pb.BATCH_OUTCOME_CREATED] * 2
    await world.stub.WithdrawEnrollment(
        pb.WithdrawEnrollmentRequest(
            program_id=program_id, enrollment_id=first.results[0].enrollment.enrollment_id
        ),
        metadata=world.admin,
    )

    for validate_only in (True, False):
        request.validate_only = validate_only
        retry = await world.stub.BatchCreateEnrollments(request, metadata=world.admin)
        assert [r.outcome for r in retry.results] == [pb.BATCH_OUTCOME_ALREADY_ENROLLED] * 2
        assert [r.enrollment.enrollment_id for r in retry.results] == [
            r.enrollment.enrollment_id for r in first.results
        ]
        assert retry.results[0].enrollment.state == pb.ENROLLMENT_STATE_WITHDRAWN
    created = [e for e in await read_outbox(programs_db.app_url, world.tenant) if e[0] == ENROLLMENT_CREATED]
    assert [e[2].learner_id for e in created] == ["k1", "k2"]

    # Another upload (another key, or none) enrols the withdrawn learner anew.
    request.request_id = "upload-8"
    other = await world.stub.BatchCreateEnrollments(request, metadata=world.admin)
    assert [r.outcome for r in other.results] == [pb.BATCH_OUTCOME_CREATED, pb.BATCH_OUTCOME_ALREADY_ENROLLED]
