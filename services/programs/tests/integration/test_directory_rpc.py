"""Learner directory through the real server: upserts, imports with dry run and threshold, manager scope."""

from __future__ import annotations

import uuid

import asyncpg
import grpc
import pytest

from aigym.programs.v1 import programs_pb2 as pb
from aigym.programs.v1 import programs_pb2_grpc
from aigym_platform.events.registry import LEARNER_DEACTIVATED, LEARNER_UPSERTED
from aigym_platform.provisioning import ServiceDatabase
from aigym_platform.testing.database import read_outbox
from aigym_platform.testing.tokens import TokenFactory, bearer
from aigym_programs.republish import main as republish_main
from aigym_programs.republish import republish

Stub = programs_pb2_grpc.ProgramsServiceStub


def row(learner_id: str, name: str, manager: str = "", **fields: object) -> pb.LearnerRow:
    learner = pb.Learner(display_name=name, manager_id=manager, **fields)  # type: ignore[arg-type]
    return pb.LearnerRow(learner_id=learner_id, learner=learner)


class Directory:
    def __init__(self, stub: Stub, tokens: TokenFactory, tenant: uuid.UUID) -> None:
        self.stub, self.tokens, self.tenant = stub, tokens, tenant
        self.admin = bearer(tokens.token(tenant, ["client_admin"], user="hr-admin"))

    def as_user(self, user: str, role: str = "learner") -> tuple[tuple[str, str], ...]:
        return bearer(self.tokens.token(self.tenant, [role], user=user))

    async def load(self, rows: list[pb.LearnerRow], **options: object) -> pb.BatchUpsertLearnersResponse:
        request = pb.BatchUpsertLearnersRequest(rows=rows, **options)  # type: ignore[arg-type]
        return await self.stub.BatchUpsertLearners(request, metadata=self.admin)


@pytest.fixture
def directory(programs_stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID) -> Directory:
    return Directory(programs_stub, token_factory, tenant)


ORG = [
    row("ceo", "Chief"),
    row("vp", "Vice", "ceo", teams=["leadership"]),
    row("lead", "Lead", "vp", teams=["eng"]),
    row("dev1", "Dev One", "lead", teams=["eng"], email="Dev1@Example.com", time_zone="Europe/Berlin"),
    row("dev2", "Dev Two", "lead", teams=["eng"]),
    row("sales", "Sales", "ceo", teams=["sales"]),
]


async def test_import_dry_run_apply_and_retry(directory: Directory) -> None:
    dry = await directory.load(ORG, validate_only=True)
    assert (dry.created, dry.applied) == (6, False)
    listed = await directory.stub.ListLearners(pb.ListLearnersRequest(), metadata=directory.admin)
    assert list(listed.learners) == []
    applied = await directory.load(ORG)
    assert (applied.created, applied.changed, applied.applied) == (6, 0, True)
    retry = await directory.load(ORG)
    assert (retry.created, retry.changed, retry.unchanged, retry.applied) == (0, 0, 6, False)
    dev1 = await directory.stub.GetLearner(pb.GetLearnerRequest(learner_id="dev1"), metadata=directory.admin)
    assert (dev1.email, dev1.time_zone, dev1.active) == ("dev1@example.com", "Europe/Berlin", True)
    moved = [*ORG[:4], row("dev2", "Dev Two", "vp", teams=["eng"]), ORG[5]]
    diff = await directory.load(moved, validate_only=True)
    assert [(c.learner_id, c.kind, list(c.changed_fields)) for c in diff.changes] == [
        ("dev2", pb.LEARNER_CHANGE_KIND_CHANGED, ["manager_id"])
    ]


async def test_large_deactivation_is_refused_unless_forced(
    directory: Directory, programs_db: ServiceDatabase
) -> None:
    await directory.load(ORG)
    partial = ORG[:2]
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await directory.load(partial, deactivate_missing=True)
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "deactivate 4 of 6" in (refused.value.details() or "")
    small = await directory.load(ORG[:5], deactivate_missing=True, max_deactivation_percent=20)
    assert [(c.learner_id, c.kind) for c in small.changes] == [("sales", pb.LEARNER_CHANGE_KIND_DEACTIVATED)]
    forced = await directory.load(partial, deactivate_missing=True, force=True)
    assert forced.deactivated == 3
    back = await directory.load(ORG)
    assert back.changed == 4  # reactivations count as changes
    assert {c.kind for c in back.changes} == {pb.LEARNER_CHANGE_KIND_REACTIVATED}
    events = await read_outbox(programs_db.app_url, directory.tenant)
    deactivations = [e[2].learner_id for e in events if e[0] == LEARNER_DEACTIVATED]
    assert deactivations == ["sales", "dev1", "dev2", "lead"]  # nothing for the refused or dry runs
    upserts = [(e[2].learner_id, e[2].active) for e in events if e[0] == LEARNER_UPSERTED]
    assert len(upserts) == 6 + 1 + 3 + 4  # created, small deactivation, forced, reactivated
    assert sorted(upserts[-4:]) == [("dev1", True), ("dev2", True), ("lead", True), ("sales", True)]


async def test_invalid_rows_are_rejected_with_field_violations(directory: Directory) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as zone:
        await directory.load([row("x", "X", time_zone="Mars/Olympus")])
    assert zone.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "rows[0].learner.time_zone" in (zone.value.details() or "")
    with pytest.raises(grpc.aio.AioRpcError) as twice:
        await directory.load([row("x", "X"), row("x", "Y")])
    assert "rows[1].learner_id" in (twice.value.details() or "")
    with pytest.raises(grpc.aio.AioRpcError) as email:
        await directory.load([row("x", "X", email="not-an-email")])
    assert email.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_managers_see_their_direct_and_indirect_reports_only(directory: Directory) -> None:
    await directory.load(ORG)
    vp = directory.as_user("vp", "manager")
    listed = await directory.stub.ListLearners(pb.ListLearnersRequest(), metadata=vp)
    assert [learner.learner_id for learner in listed.learners] == ["dev1", "dev2", "lead"]
    with pytest.raises(grpc.aio.AioRpcError) as peer:
        await directory.stub.GetLearner(pb.GetLearnerRequest(learner_id="sales"), metadata=vp)
    assert peer.value.code() == grpc.StatusCode.NOT_FOUND
    me = await directory.stub.GetLearner(
        pb.GetLearnerRequest(learner_id="me"), metadata=directory.as_user("dev2")
    )
    assert me.display_name == "Dev Two"
    with pytest.raises(grpc.aio.AioRpcError) as learner_list:
        await directory.stub.ListLearners(pb.ListLearnersRequest(), metadata=directory.as_user("dev2"))
    assert learner_list.value.code() == grpc.StatusCode.PERMISSION_DENIED
    eng = await directory.stub.ListLearners(pb.ListLearnersRequest(team="eng"), metadata=directory.admin)
    assert [learner.learner_id for learner in eng.learners] == ["dev1", "dev2", "lead"]


async def published_program(directory: Directory, **fields: object) -> pb.Program:
    structure = pb.ProgramStructure(
        nodes=[
            pb.ProgramNode(node_id="root", kind=pb.NODE_KIND_SET, rule=pb.COMPLETION_RULE_ALL_ANY_ORDER),
            pb.ProgramNode(node_id="c", parent_id="root", kind=pb.NODE_KIND_COURSE, course_id="c"),
        ]
    )
    program = await directory.stub.CreateProgram(
        pb.CreateProgramRequest(program=pb.Program(title="P", structure=structure, **fields)),  # type: ignore[arg-type]
        metadata=directory.admin,
    )
    return await directory.stub.PublishProgram(
        pb.PublishProgramRequest(program_id=program.program_id), metadata=directory.admin
    )


async def test_a_deactivated_learner_gets_no_new_enrolment(directory: Directory) -> None:
    await directory.load(ORG)
    await directory.stub.UpsertLearner(
        pb.UpsertLearnerRequest(learner_id="dev2", learner=pb.Learner(display_name="Dev Two", active=False)),
        metadata=directory.admin,
    )
    program = await published_program(directory)
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await directory.stub.CreateEnrollment(
            pb.CreateEnrollmentRequest(
                program_id=program.program_id, enrollment=pb.Enrollment(learner_id="dev2")
            ),
            metadata=directory.admin,
        )
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "deactivated" in (refused.value.details() or "")
    rows = [pb.Enrollment(learner_id=i) for i in ("dev1", "dev2", "newcomer")]
    batch = await directory.stub.BatchCreateEnrollments(
        pb.BatchCreateEnrollmentsRequest(program_id=program.program_id, enrollments=rows),
        metadata=directory.admin,
    )
    assert [r.outcome for r in batch.results] == [
        pb.BATCH_OUTCOME_CREATED,
        pb.BATCH_OUTCOME_INVALID,
        pb.BATCH_OUTCOME_CREATED,  # not (yet) in the directory: the import may come later
    ]
    assert "deactivated" in batch.results[1].error


async def test_manager_sees_only_their_teams_enrollments(directory: Directory) -> None:
    await directory.load(ORG)
    program = await published_program(directory)
    await directory.stub.BatchCreateEnrollments(
        pb.BatchCreateEnrollmentsRequest(
            program_id=program.program_id,
            enrollments=[pb.Enrollment(learner_id=i) for i in ("dev1", "sales")],
        ),
        metadata=directory.admin,
    )
    lead = directory.as_user("lead", "manager")
    team = await directory.stub.ListEnrollments(
        pb.ListEnrollmentsRequest(program_id=program.program_id), metadata=lead
    )
    assert [e.learner_id for e in team.enrollments] == ["dev1"]
    with pytest.raises(grpc.aio.AioRpcError) as other_team:
        await directory.stub.ListLearnerEnrollments(
            pb.ListLearnerEnrollmentsRequest(learner_id="sales"), metadata=lead
        )
    assert other_team.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_managers_enrol_approve_and_withdraw_their_team_only(
    directory: Directory, programs_db: ServiceDatabase
) -> None:
    await directory.load(ORG)
    program = await published_program(directory, visibility=pb.VISIBILITY_PUBLIC)
    restricted = await published_program(directory)
    lead, vp, sales = (directory.as_user(u, "manager") for u in ("lead", "vp", "sales"))

    def enrol(learner: str, target: pb.Program = program, **fields: object) -> pb.CreateEnrollmentRequest:
        enrollment = pb.Enrollment(learner_id=learner, **fields)  # type: ignore[arg-type]
        return pb.CreateEnrollmentRequest(program_id=target.program_id, enrollment=enrollment)

    assigned = await directory.stub.CreateEnrollment(enrol("dev1"), metadata=lead)
    assert (assigned.state, assigned.source) == (pb.ENROLLMENT_STATE_ACTIVE, pb.ENROLLMENT_SOURCE_MANAGER)
    refusals = [
        (enrol("sales"), lead),  # reports to the CEO, not to the lead
        (enrol("dev2", due_time=assigned.due_time), lead),  # date overrides are an admin's
        (enrol("dev1"), directory.as_user("dev2")),  # a learner enrols only themselves
    ]
    for request, caller in refusals:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await directory.stub.CreateEnrollment(request, metadata=caller)
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.aio.AioRpcError) as admins_only:  # restricted programs are assigned by admins
        await directory.stub.CreateEnrollment(enrol("dev2", restricted), metadata=lead)
    assert admins_only.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "restricted" in (admins_only.value.details() or "")

    requested = await directory.stub.CreateEnrollment(enrol("me"), metadata=directory.as_user("dev2"))
    assert requested.state == pb.ENROLLMENT_STATE_PENDING_APPROVAL
    approve = pb.ApproveEnrollmentRequest(
        program_id=program.program_id, enrollment_id=requested.enrollment_id
    )
    with pytest.raises(grpc.aio.AioRpcError) as other_team:
        await directory.stub.ApproveEnrollment(approve, metadata=sales)
    assert other_team.value.code() == grpc.StatusCode.NOT_FOUND  # not theirs to see
    approved = await directory.stub.ApproveEnrollment(approve, metadata=vp)  # an indirect report
    assert approved.state == pb.ENROLLMENT_STATE_ACTIVE

    withdraw = pb.WithdrawEnrollmentRequest(
        program_id=program.program_id, enrollment_id=assigned.enrollment_id
    )
    with pytest.raises(grpc.aio.AioRpcError) as outsider:
        await directory.stub.WithdrawEnrollment(withdraw, metadata=sales)
    assert outsider.value.code() == grpc.StatusCode.NOT_FOUND
    withdrawn = await directory.stub.WithdrawEnrollment(withdraw, metadata=lead)
    assert withdrawn.state == pb.ENROLLMENT_STATE_WITHDRAWN
    conn = await asyncpg.connect(programs_db.app_url)
    try:
        async with conn.transaction():
            await conn.execute("SELECT set_config('app.tenant_id', $1, true)", str(directory.tenant))
            audited = await conn.fetch(
                "SELECT action, actor FROM audit_log WHERE resource_type = 'enrollment'"
            )
    finally:
        await conn.close()
    actions = {(r["action"], r["actor"]) for r in audited}
    assert {("enrollment.approve", "vp"), ("enrollment.withdraw", "lead")} <= actions


async def test_republishing_announces_every_learner_as_they_are_now_in_audited_batches(
    directory: Directory, programs_db: ServiceDatabase, capsys: pytest.CaptureFixture[str]
) -> None:
    await directory.load(ORG)
    await directory.load([*ORG[:5], row("sales", "Sales", "vp", teams=["sales"])])  # sales moved under vp
    await directory.stub.UpsertLearner(
        pb.UpsertLearnerRequest(learner_id="dev2", learner=pb.Learner(display_name="Dev Two", active=False)),
        metadata=directory.admin,
    )
    before = len(await read_outbox(programs_db.app_url, directory.tenant))

    announced = await republish(programs_db.app_url, [directory.tenant], batch_size=4)

    events = (await read_outbox(programs_db.app_url, directory.tenant))[before:]
    assert announced == 6
    assert [(kind, subject) for kind, subject, _ in events] == [
        (LEARNER_UPSERTED, f"learners/{learner}") for learner in sorted(r.learner_id for r in ORG)
    ]
    now = {payload.learner_id: (payload.manager_id, payload.active) for _, _, payload in events}
    assert (now["sales"], now["dev2"], now["dev1"]) == (("vp", True), ("", False), ("lead", True))
    progress = capsys.readouterr().err.splitlines()
    assert [line.rsplit(": ", 1)[1] for line in progress] == ["4 learners", "6 learners"]
    conn = await asyncpg.connect(programs_db.app_url)
    try:
        async with conn.transaction():
            await conn.execute("SELECT set_config('app.tenant_id', $1, true)", str(directory.tenant))
            batches = await conn.fetch(
                "SELECT resource_id FROM audit_log WHERE action = 'learner.republish' ORDER BY seq"
            )
    finally:
        await conn.close()
    assert [b["resource_id"] for b in batches] == ["ceo..lead", "sales..vp"]


def test_the_republish_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as ended:
        republish_main(["--help"])
    assert ended.value.code == 0
    assert "learner_upserted" in capsys.readouterr().out


async def test_a_put_without_active_keeps_the_learner_active(directory: Directory) -> None:
    put = await directory.stub.UpsertLearner(
        pb.UpsertLearnerRequest(learner_id="ann", learner=pb.Learner(display_name="Ann")),
        metadata=directory.admin,
    )
    assert put.HasField("active")
    assert put.active
    renamed = await directory.stub.UpsertLearner(
        pb.UpsertLearnerRequest(learner_id="ann", learner=pb.Learner(display_name="Ann B.")),
        metadata=directory.admin,
    )
    assert (renamed.display_name, renamed.active) == ("Ann B.", True)
    gone = await directory.stub.UpsertLearner(
        pb.UpsertLearnerRequest(learner_id="ann", learner=pb.Learner(display_name="Ann B.", active=False)),
        metadata=directory.admin,
    )
    assert gone.HasField("active")
    assert not gone.active
