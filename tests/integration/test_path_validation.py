"""The path validator against a real programs server: enrolment and rules over gRPC with service tokens."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import grpc
import pytest
import pytest_asyncio
from google.protobuf.duration_pb2 import Duration
from pydantic import SecretStr

from aigym.programs.v1 import events_pb2 as programs_events
from aigym.programs.v1 import programs_pb2 as ppb
from aigym.programs.v1 import programs_pb2_grpc
from aigym.progress.v1 import progress_pb2 as pb
from aigym.progress.v1 import progress_pb2_grpc
from aigym_platform.db import create_engine, create_sessionmaker, uow_factory
from aigym_platform.events.envelope import Event
from aigym_platform.events.registry import LEARNER_UPSERTED
from aigym_platform.identity import TenantId
from aigym_platform.provisioning import ServiceDatabase
from aigym_platform.testing.tokens import TokenFactory, bearer
from aigym_platform.tokens import generate_signing_key
from aigym_programs.bootstrap import App as ProgramsApp
from aigym_programs.bootstrap import build as build_programs
from aigym_programs.settings import ProgramsSettings
from aigym_progress.bootstrap import build as build_progress
from aigym_progress.directory_service import DirectoryHandlers
from aigym_progress.settings import ProgressSettings

Stubs = tuple[programs_pb2_grpc.ProgramsServiceStub, progress_pb2_grpc.ProgressServiceStub]


async def report_to(db: ServiceDatabase, tenant: uuid.UUID, learner: str, manager: str) -> None:
    """Put a reporting line into progress's directory copy, as its learner_upserted consumer does."""
    engine = create_engine(db.app_url, pool_size=1, max_overflow=0)
    try:
        async with uow_factory(create_sessionmaker(engine))(TenantId(tenant), None) as uow:
            payload = programs_events.LearnerUpserted(learner_id=learner, manager_id=manager, active=True)
            now = dt.datetime.now(dt.UTC)
            event = Event(uuid.uuid4(), LEARNER_UPSERTED, TenantId(tenant), "test", now, "l", 1, payload)
            await DirectoryHandlers().record_learner_upserted(uow, event)
            await uow.commit()
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def key_file(token_factory: TokenFactory, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test service signing key as a PEM file (what AIGYM_SERVICE_SIGNING_KEY_FILE names)."""
    path = tmp_path_factory.mktemp("keys") / "test-service.pem"
    path.write_bytes(token_factory.service_key.private_pem)
    return path


def common_settings(token_factory: TokenFactory) -> dict[str, object]:
    """Settings every server of these tests shares (port 0, the test issuer and keys)."""
    return {
        "grpc_port": 0,
        "jwt_issuer": token_factory.issuer,
        "jwt_audience": token_factory.audience,
        "jwks_file": str(token_factory.jwks_file),
        "service_jwks_file": str(token_factory.service_jwks_file),
        "log_format": "text",
    }


@pytest_asyncio.fixture(scope="module")
async def programs_app(
    service_databases: dict[str, ServiceDatabase], token_factory: TokenFactory
) -> AsyncIterator[ProgramsApp]:
    """A programs server on a free port."""
    programs = build_programs(
        ProgramsSettings(
            database_url=SecretStr(service_databases["programs"].app_url),
            **common_settings(token_factory),  # type: ignore[arg-type]
        )
    )
    await programs.start()
    yield programs
    await programs.stop(grace=1)


@asynccontextmanager
async def progress_calling(
    programs: ProgramsApp, database: ServiceDatabase, token_factory: TokenFactory, key_file: Path
) -> AsyncIterator[progress_pb2_grpc.ProgressServiceStub]:
    """A progress server that calls `programs` with service tokens signed by the key in `key_file`."""
    progress = build_progress(
        ProgressSettings(
            database_url=SecretStr(database.app_url),
            programs_target=f"127.0.0.1:{programs.server.port}",
            service_signing_key_file=str(key_file),
            **common_settings(token_factory),  # type: ignore[arg-type]
        )
    )
    await progress.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{progress.server.port}") as channel:
            yield progress_pb2_grpc.ProgressServiceStub(channel)
    finally:
        await progress.stop(grace=1)


@pytest_asyncio.fixture(scope="module")
async def stubs(
    programs_app: ProgramsApp,
    service_databases: dict[str, ServiceDatabase],
    token_factory: TokenFactory,
    key_file: Path,
) -> AsyncIterator[Stubs]:
    """A programs server and a progress server that calls it (service tokens signed by the test key)."""
    async with (
        progress_calling(programs_app, service_databases["progress"], token_factory, key_file) as progress,
        grpc.aio.insecure_channel(f"127.0.0.1:{programs_app.server.port}") as one,
    ):
        yield programs_pb2_grpc.ProgramsServiceStub(one), progress


def node(node_id: str, parent: str, kind: int, **kw: object) -> ppb.ProgramNode:
    return ppb.ProgramNode(node_id=node_id, parent_id=parent, kind=kind, **kw)  # type: ignore[arg-type]


async def setup_program(stubs: Stubs, tokens: TokenFactory, tenant: uuid.UUID, learner: str) -> str:
    """root (in order): intro -> electives (1 of e1, e2) -> final (opens a day after electives)."""
    programs, progress = stubs
    admin = bearer(tokens.token(tenant, ["client_admin"], user="admin-1"))
    for course in ("intro", "e1", "e2", "final"):
        block = pb.Block(block_id="b", type=pb.BLOCK_TYPE_QUIZ, weight=1, required=True, min_score=0.8)
        await progress.UpdateCourseStructure(
            pb.UpdateCourseStructureRequest(course_id=course, structure=pb.CourseStructure(blocks=[block])),
            metadata=admin,
        )
    nodes = [
        node("root", "", ppb.NODE_KIND_SET, rule=ppb.COMPLETION_RULE_ALL_IN_ORDER),
        node("intro", "root", ppb.NODE_KIND_COURSE, course_id="intro", title="Intro"),
        node("electives", "root", ppb.NODE_KIND_SET, rule=ppb.COMPLETION_RULE_AT_LEAST_N, required_count=1),
        node("e1", "electives", ppb.NODE_KIND_COURSE, course_id="e1"),
        node("e2", "electives", ppb.NODE_KIND_COURSE, course_id="e2"),
        node(
            "final",
            "root",
            ppb.NODE_KIND_COURSE,
            course_id="final",
            start_delay=Duration(seconds=86400),
            due_offset=Duration(seconds=30 * 86400),
        ),
    ]
    program = await programs.CreateProgram(
        ppb.CreateProgramRequest(
            program=ppb.Program(title="Path", structure=ppb.ProgramStructure(nodes=nodes))
        ),
        metadata=admin,
    )
    await programs.PublishProgram(ppb.PublishProgramRequest(program_id=program.program_id), metadata=admin)
    await programs.CreateEnrollment(
        ppb.CreateEnrollmentRequest(
            program_id=program.program_id, enrollment=ppb.Enrollment(learner_id=learner)
        ),
        metadata=admin,
    )
    return str(program.program_id)


async def test_validator_reads_rules_and_enrolment_from_programs(
    stubs: Stubs, token_factory: TokenFactory, service_databases: dict[str, ServiceDatabase]
) -> None:
    tenant = uuid.uuid4()
    _, progress = stubs
    program_id = await setup_program(stubs, token_factory, tenant, "learner-1")
    learner = bearer(token_factory.token(tenant, ["learner"], user="learner-1"))

    async def validate(item: str, metadata: object = learner, **kw: object) -> pb.PathValidation:
        request = pb.ValidatePathRequest(program_id=program_id, item_id=item, **kw)  # type: ignore[arg-type]
        return await progress.ValidatePath(request, metadata=metadata)  # type: ignore[arg-type]

    first = await validate("intro")
    assert (first.allowed, first.learner_id, first.program_version) == (True, "learner-1", 1)
    assert [i.node_id for i in first.next_eligible_items] == ["intro"]
    blocked = await validate("e1")
    assert [(b.reason, b.node_id, b.course_id) for b in blocked.blockers] == [
        (pb.PATH_BLOCKER_REASON_UNMET_PREREQUISITE, "intro", "intro")
    ]
    # Done, but the quiz's minimum score is missed: the blocker says so.
    done = pb.Completion(learner_id="me", course_id="intro", block_id="b", value=1, score=0.5)
    await progress.CreateCompletion(pb.CreateCompletionRequest(completion=done), metadata=learner)
    assert [b.reason for b in (await validate("e1")).blockers] == [
        pb.PATH_BLOCKER_REASON_MIN_SCORE_NOT_REACHED
    ]
    done.score = 0.9
    await progress.CreateCompletion(pb.CreateCompletionRequest(completion=done), metadata=learner)
    assert (await validate("e2")).allowed
    waiting = await validate("final")
    assert [b.reason for b in waiting.blockers] == [pb.PATH_BLOCKER_REASON_SET_RULE_NOT_SATISFIED]
    assert (waiting.blockers[0].have, waiting.blockers[0].need) == (0, 1)
    await progress.CreateCompletion(
        pb.CreateCompletionRequest(
            completion=pb.Completion(learner_id="me", course_id="e2", block_id="b", value=1, score=1)
        ),
        metadata=learner,
    )
    later = await validate("final")
    assert [b.reason for b in later.blockers] == [pb.PATH_BLOCKER_REASON_NOT_YET_OPEN]
    opens = later.earliest_open_time.ToDatetime(dt.UTC)
    assert dt.timedelta(hours=23) < opens - dt.datetime.now(dt.UTC) <= dt.timedelta(days=1)
    due = later.item_due_time.ToDatetime(dt.UTC)  # the program's due offset, from the enrolment's start
    assert dt.timedelta(days=29) < due - dt.datetime.now(dt.UTC) <= dt.timedelta(days=30)
    assert not (await validate("intro")).HasField("item_due_time")

    # "What if" (admins): a hypothetical state, evaluated at another time.
    admin = bearer(token_factory.token(tenant, ["client_admin"], user="admin-1"))
    what_if = pb.PathWhatIf(
        ignore_recorded=True, completed_courses=[pb.HypotheticalCompletion(course_id="intro")]
    )
    hypothetical = await validate("e1", admin, learner_id="learner-1", what_if=what_if)
    assert (hypothetical.allowed, hypothetical.hypothetical) == (True, True)
    what_if.evaluate_time.FromDatetime(opens + dt.timedelta(seconds=1))
    what_if.ignore_recorded = False
    assert (await validate("final", admin, learner_id="learner-1", what_if=what_if)).allowed
    with pytest.raises(grpc.aio.AioRpcError) as denied:
        await validate("e1", learner, what_if=what_if)
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED

    # Someone else: not enrolled; another learner's path needs their manager; unknown items are NOT_FOUND.
    stranger = bearer(token_factory.token(tenant, ["learner"], user="learner-2"))
    outsider = await validate("intro", stranger)
    assert [b.reason for b in outsider.blockers] == [pb.PATH_BLOCKER_REASON_NOT_ENROLLED]
    assert outsider.program_version == 1
    with pytest.raises(grpc.aio.AioRpcError) as foreign:
        await validate("intro", stranger, learner_id="learner-1")
    assert foreign.value.code() == grpc.StatusCode.PERMISSION_DENIED
    await report_to(service_databases["progress"], tenant, "learner-1", "boss")
    manager = bearer(token_factory.token(tenant, ["manager"], user="boss"))
    assert (await validate("e1", manager, learner_id="learner-1")).allowed
    with pytest.raises(grpc.aio.AioRpcError) as not_my_team:
        await validate(
            "e1", bearer(token_factory.token(tenant, ["manager"], user="other")), learner_id="learner-1"
        )
    assert not_my_team.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await validate("nope")
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    assumed = pb.PathWhatIf(assume_enrolled=True)
    assert (await validate("intro", admin, learner_id="learner-2", what_if=assumed)).allowed


async def test_programs_of_another_tenant_are_not_found(stubs: Stubs, token_factory: TokenFactory) -> None:
    program_id = await setup_program(stubs, token_factory, uuid.uuid4(), "learner-1")
    elsewhere = bearer(token_factory.token(uuid.uuid4(), ["learner"], user="learner-1"))
    with pytest.raises(grpc.aio.AioRpcError) as hidden:
        await stubs[1].ValidatePath(
            pb.ValidatePathRequest(program_id=program_id, item_id="intro"), metadata=elsewhere
        )
    assert hidden.value.code() == grpc.StatusCode.NOT_FOUND


async def test_a_progress_server_whose_service_key_programs_does_not_trust_is_told_so(
    programs_app: ProgramsApp,
    service_databases: dict[str, ServiceDatabase],
    token_factory: TokenFactory,
    tmp_path: Path,
) -> None:
    # A configuration mistake: no retry mends it, so it must not read as UNAVAILABLE "retry".
    stranger = tmp_path / "stranger.pem"
    stranger.write_bytes(generate_signing_key("stranger").private_pem)
    learner = bearer(token_factory.token(uuid.uuid4(), ["learner"], user="learner-1"))
    async with progress_calling(
        programs_app, service_databases["progress"], token_factory, stranger
    ) as progress:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await progress.ValidatePath(
                pb.ValidatePathRequest(program_id=str(uuid.uuid4()), item_id="intro"), metadata=learner
            )
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "refused this service's token" in (refused.value.details() or "")
