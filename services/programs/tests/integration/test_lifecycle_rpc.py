"""Program lifecycle and versions through the real server: publish, archive, restore, clone, versions."""

from __future__ import annotations

import uuid

import asyncpg
import grpc
import pytest
from google.protobuf import field_mask_pb2

from aigym.programs.v1 import programs_pb2 as pb
from aigym.programs.v1 import programs_pb2_grpc
from aigym_platform.events.registry import PROGRAM_ARCHIVED, PROGRAM_PUBLISHED
from aigym_platform.provisioning import ServiceDatabase
from aigym_platform.testing.database import read_outbox
from aigym_platform.testing.tokens import TokenFactory, bearer

Stub = programs_pb2_grpc.ProgramsServiceStub


def two_set_structure() -> pb.ProgramStructure:
    return pb.ProgramStructure(
        nodes=[
            pb.ProgramNode(node_id="root", kind=pb.NODE_KIND_SET, rule=pb.COMPLETION_RULE_ALL_IN_ORDER),
            pb.ProgramNode(
                node_id="basics",
                parent_id="root",
                kind=pb.NODE_KIND_SET,
                rule=pb.COMPLETION_RULE_ALL_ANY_ORDER,
            ),
            pb.ProgramNode(node_id="c1", parent_id="basics", kind=pb.NODE_KIND_COURSE, course_id="course-1"),
            pb.ProgramNode(node_id="m1", parent_id="root", kind=pb.NODE_KIND_MILESTONE, title="Basics done"),
            pb.ProgramNode(
                node_id="extra",
                parent_id="root",
                kind=pb.NODE_KIND_SET,
                rule=pb.COMPLETION_RULE_AT_LEAST_N,
                required_count=1,
            ),
            pb.ProgramNode(node_id="c2", parent_id="extra", kind=pb.NODE_KIND_COURSE, course_id="course-2"),
            pb.ProgramNode(node_id="c3", parent_id="extra", kind=pb.NODE_KIND_COURSE, course_id="course-3"),
        ]
    )


class Admin:
    def __init__(self, stub: Stub, tokens: TokenFactory, tenant: uuid.UUID) -> None:
        self.stub, self.metadata = stub, bearer(tokens.token(tenant, ["client_admin"], user="admin-7"))

    async def create(
        self, title: str = "Onboarding", structure: pb.ProgramStructure | None = None
    ) -> pb.Program:
        program = pb.Program(title=title, visibility=pb.VISIBILITY_PUBLIC, structure=structure)
        return await self.stub.CreateProgram(pb.CreateProgramRequest(program=program), metadata=self.metadata)


@pytest.fixture
def admin(programs_stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID) -> Admin:
    return Admin(programs_stub, token_factory, tenant)


async def test_publish_snapshots_an_immutable_version(
    admin: Admin, programs_db: ServiceDatabase, tenant: uuid.UUID
) -> None:
    draft = await admin.create(structure=two_set_structure())
    assert (draft.current_version, draft.has_unpublished_changes) == (0, True)
    published = await admin.stub.PublishProgram(
        pb.PublishProgramRequest(program_id=draft.program_id), metadata=admin.metadata
    )
    assert (published.state, published.current_version, published.has_unpublished_changes) == (
        pb.PROGRAM_STATE_PUBLISHED,
        1,
        False,
    )
    again = await admin.stub.PublishProgram(
        pb.PublishProgramRequest(program_id=draft.program_id), metadata=admin.metadata
    )
    assert again.current_version == 1  # nothing changed: a retry publishes nothing new
    changed = pb.Program(program_id=draft.program_id, title="Onboarding 2027")
    edited = await admin.stub.UpdateProgram(
        pb.UpdateProgramRequest(program=changed, update_mask=field_mask_pb2.FieldMask(paths=["title"])),
        metadata=admin.metadata,
    )
    assert edited.has_unpublished_changes
    second = await admin.stub.PublishProgram(
        pb.PublishProgramRequest(program_id=draft.program_id), metadata=admin.metadata
    )
    assert second.current_version == 2
    versions = await admin.stub.ListProgramVersions(
        pb.ListProgramVersionsRequest(program_id=draft.program_id, page_size=1), metadata=admin.metadata
    )
    assert [v.version for v in versions.versions] == [2]
    older = await admin.stub.ListProgramVersions(
        pb.ListProgramVersionsRequest(
            program_id=draft.program_id, page_size=1, page_token=versions.next_page_token
        ),
        metadata=admin.metadata,
    )
    assert [(v.version, v.title) for v in older.versions] == [(1, "Onboarding")]
    first = await admin.stub.GetProgramVersion(
        pb.GetProgramVersionRequest(program_id=draft.program_id, version=1), metadata=admin.metadata
    )
    assert first.structure == two_set_structure()
    assert first.published_by == "admin-7"
    published_events = await read_outbox(programs_db.app_url, tenant)
    assert [(e[0], e[1]) for e in published_events] == [
        (PROGRAM_PUBLISHED, f"programs/{draft.program_id}")
    ] * 2  # the retry with nothing new announced nothing
    assert [(e[2].version, e[2].title, list(e[2].course_ids)) for e in published_events] == [
        (1, "Onboarding", ["course-1", "course-2", "course-3"]),
        (2, "Onboarding 2027", ["course-1", "course-2", "course-3"]),
    ]


async def test_publishing_an_empty_program_is_a_failed_precondition(admin: Admin) -> None:
    draft = await admin.create()
    with pytest.raises(grpc.aio.AioRpcError) as empty:
        await admin.stub.PublishProgram(
            pb.PublishProgramRequest(program_id=draft.program_id), metadata=admin.metadata
        )
    assert empty.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_archive_restore_and_delete_rules(
    admin: Admin, programs_db: ServiceDatabase, tenant: uuid.UUID
) -> None:
    draft = await admin.create(structure=two_set_structure())
    with pytest.raises(grpc.aio.AioRpcError) as not_published:
        await admin.stub.ArchiveProgram(
            pb.ArchiveProgramRequest(program_id=draft.program_id), metadata=admin.metadata
        )
    assert not_published.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    await admin.stub.PublishProgram(
        pb.PublishProgramRequest(program_id=draft.program_id), metadata=admin.metadata
    )
    archived = await admin.stub.ArchiveProgram(
        pb.ArchiveProgramRequest(program_id=draft.program_id), metadata=admin.metadata
    )
    assert archived.state == pb.PROGRAM_STATE_ARCHIVED
    with pytest.raises(grpc.aio.AioRpcError) as frozen:
        await admin.stub.UpdateProgram(
            pb.UpdateProgramRequest(
                program=pb.Program(program_id=draft.program_id, title="x"),
                update_mask=field_mask_pb2.FieldMask(paths=["title"]),
            ),
            metadata=admin.metadata,
        )
    assert frozen.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    with pytest.raises(grpc.aio.AioRpcError) as kept:
        await admin.stub.DeleteProgram(
            pb.DeleteProgramRequest(program_id=draft.program_id), metadata=admin.metadata
        )
    assert kept.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    restored = await admin.stub.RestoreProgram(
        pb.RestoreProgramRequest(program_id=draft.program_id), metadata=admin.metadata
    )
    assert restored.state == pb.PROGRAM_STATE_PUBLISHED
    events = await read_outbox(programs_db.app_url, tenant)
    assert [(e[0], e[1]) for e in events] == [
        (PROGRAM_PUBLISHED, f"programs/{draft.program_id}"),
        (PROGRAM_ARCHIVED, f"programs/{draft.program_id}"),
    ]  # the refused archive of the draft announced nothing
    assert (events[1][2].program_id, events[1][2].version) == (draft.program_id, 1)


async def test_clone_copies_structure_into_a_new_draft_once(admin: Admin) -> None:
    source = await admin.create("Leadership", two_set_structure())
    request = pb.CloneProgramRequest(program_id=source.program_id, request_id="clone-1")
    first = await admin.stub.CloneProgram(request, metadata=admin.metadata)
    again = await admin.stub.CloneProgram(request, metadata=admin.metadata)
    assert first.program_id == again.program_id != source.program_id
    assert (first.title, first.state, first.structure) == (
        "Copy of Leadership",
        pb.PROGRAM_STATE_DRAFT,
        two_set_structure(),
    )


async def test_invalid_structures_are_rejected_with_field_violations(admin: Admin) -> None:
    structure = two_set_structure()
    structure.nodes[4].required_count = 5  # more than the two children
    structure.nodes[6].course_id = "course-2"  # duplicate course
    with pytest.raises(grpc.aio.AioRpcError) as invalid:
        await admin.create(structure=structure)
    assert invalid.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    details = invalid.value.details() or ""
    assert "program.structure.nodes[4].required_count" in details
    assert "program.structure.nodes[6].course_id" in details


async def test_versions_are_for_managers_and_admins(
    admin: Admin, programs_stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID
) -> None:
    draft = await admin.create(structure=two_set_structure())
    await admin.stub.PublishProgram(
        pb.PublishProgramRequest(program_id=draft.program_id), metadata=admin.metadata
    )
    learner = bearer(token_factory.token(tenant, ["learner"]))
    with pytest.raises(grpc.aio.AioRpcError) as denied:
        await programs_stub.ListProgramVersions(
            pb.ListProgramVersionsRequest(program_id=draft.program_id), metadata=learner
        )
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await programs_stub.GetProgramVersion(
            pb.GetProgramVersionRequest(program_id=draft.program_id, version=9), metadata=admin.metadata
        )
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND


async def test_the_catalogue_lists_programs_without_their_structure_unless_full_is_asked(
    admin: Admin, programs_db: ServiceDatabase, tenant: uuid.UUID
) -> None:
    await admin.create("Draft", two_set_structure())
    unchanged = await admin.create("Unchanged", two_set_structure())
    edited = await admin.create("Edited", two_set_structure())
    for program in (unchanged, edited):
        await admin.stub.PublishProgram(
            pb.PublishProgramRequest(program_id=program.program_id), metadata=admin.metadata
        )
    smaller = pb.ProgramStructure(nodes=list(two_set_structure().nodes)[:3])
    await admin.stub.UpdateProgram(
        pb.UpdateProgramRequest(
            program=pb.Program(program_id=edited.program_id, structure=smaller),
            update_mask=field_mask_pb2.FieldMask(paths=["structure"]),
        ),
        metadata=admin.metadata,
    )
    expected = {"Draft": True, "Unchanged": False, "Edited": True}

    async def listed(view: int) -> list[pb.Program]:
        page = await admin.stub.ListPrograms(pb.ListProgramsRequest(view=view), metadata=admin.metadata)  # type: ignore[arg-type]
        return list(page.programs)

    basic = await listed(pb.PROGRAM_VIEW_UNSPECIFIED)
    assert {p.title: p.has_unpublished_changes for p in basic} == expected
    assert not any(p.HasField("structure") for p in basic)
    assert basic == await listed(pb.PROGRAM_VIEW_BASIC)
    full = await listed(pb.PROGRAM_VIEW_FULL)
    assert {p.title: p.has_unpublished_changes for p in full} == expected
    assert {p.title: len(p.structure.nodes) for p in full} == {"Draft": 7, "Unchanged": 7, "Edited": 3}
    for brief, whole in zip(basic, full, strict=True):
        whole.ClearField("structure")
        assert brief == whole

    one = pb.GetProgramRequest(program_id=edited.program_id)
    assert len((await admin.stub.GetProgram(one, metadata=admin.metadata)).structure.nodes) == 3
    one.view = pb.PROGRAM_VIEW_BASIC
    assert not (await admin.stub.GetProgram(one, metadata=admin.metadata)).HasField("structure")

    # Rows written before the stored digest existed (NULL) bring their structure along to compute it.
    owner = await asyncpg.connect(programs_db.owner_url)
    try:
        async with owner.transaction():
            await owner.execute("SELECT set_config('app.tenant_id', $1, true)", str(tenant))
            await owner.execute("UPDATE programs SET draft_digest = NULL")
    finally:
        await owner.close()
    legacy = await listed(pb.PROGRAM_VIEW_BASIC)
    assert {p.title: p.has_unpublished_changes for p in legacy} == expected
    assert legacy == basic


async def test_learners_read_the_published_version_and_the_programs_they_are_enrolled_in(
    admin: Admin, token_factory: TokenFactory, tenant: uuid.UUID
) -> None:
    learner = bearer(token_factory.token(tenant, ["learner"], user="lea"))
    public = await admin.create("Onboarding", two_set_structure())
    await admin.stub.PublishProgram(
        pb.PublishProgramRequest(program_id=public.program_id), metadata=admin.metadata
    )
    await admin.stub.UpdateProgram(
        pb.UpdateProgramRequest(
            program=pb.Program(program_id=public.program_id, title="Onboarding 2027 (draft)"),
            update_mask=field_mask_pb2.FieldMask(paths=["title"]),
        ),
        metadata=admin.metadata,
    )
    one = pb.GetProgramRequest(program_id=public.program_id)
    seen = await admin.stub.GetProgram(one, metadata=learner)
    assert (seen.title, len(seen.structure.nodes), seen.has_unpublished_changes) == ("Onboarding", 7, False)
    working = await admin.stub.GetProgram(one, metadata=admin.metadata)
    assert (working.title, working.has_unpublished_changes) == ("Onboarding 2027 (draft)", True)
    catalogue = await admin.stub.ListPrograms(pb.ListProgramsRequest(), metadata=learner)
    assert [(p.title, p.has_unpublished_changes) for p in catalogue.programs] == [("Onboarding", False)]

    inner = await admin.stub.CreateProgram(
        pb.CreateProgramRequest(
            program=pb.Program(
                title="Inner circle", visibility=pb.VISIBILITY_RESTRICTED, structure=two_set_structure()
            )
        ),
        metadata=admin.metadata,
    )
    await admin.stub.PublishProgram(
        pb.PublishProgramRequest(program_id=inner.program_id), metadata=admin.metadata
    )
    hidden = pb.GetProgramRequest(program_id=inner.program_id)
    with pytest.raises(grpc.aio.AioRpcError) as not_yet:
        await admin.stub.GetProgram(hidden, metadata=learner)
    assert not_yet.value.code() == grpc.StatusCode.NOT_FOUND
    await admin.stub.CreateEnrollment(
        pb.CreateEnrollmentRequest(program_id=inner.program_id, enrollment=pb.Enrollment(learner_id="lea")),
        metadata=admin.metadata,
    )
    assert (await admin.stub.GetProgram(hidden, metadata=learner)).title == "Inner circle"
    await admin.stub.ArchiveProgram(
        pb.ArchiveProgramRequest(program_id=inner.program_id), metadata=admin.metadata
    )
    assert (await admin.stub.GetProgram(hidden, metadata=learner)).state == pb.PROGRAM_STATE_ARCHIVED
