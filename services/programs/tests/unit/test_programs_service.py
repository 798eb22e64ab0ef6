"""Use cases of the programs service against in-memory fakes (no I/O)."""

from __future__ import annotations

import dataclasses
import uuid

import pytest

from aigym_platform.errors import Aborted, FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from aigym_platform.identity import Identity, Role, TenantId
from aigym_programs.domain import ProgramDraft, ProgramState, Visibility
from aigym_programs.repository import ProgramFilter
from aigym_programs.service import ProgramsService
from aigym_programs.structure import Node, NodeKind, Rule
from services.programs.tests.fakes import FakeProgramRepository, FakeStore, FakeUnitOfWork


def make_service(store: FakeStore) -> ProgramsService:
    return ProgramsService(
        lambda tenant, identity: FakeUnitOfWork(store, tenant, identity),  # type: ignore[arg-type,return-value]
        FakeProgramRepository,  # type: ignore[arg-type]
    )


def person(tenant: uuid.UUID, *roles: Role) -> Identity:
    return Identity(f"user-{uuid.uuid4().hex[:6]}", TenantId(tenant), frozenset(roles))


async def test_create_normalises_and_audits() -> None:
    store, tenant = FakeStore(), uuid.uuid4()
    program = await make_service(store).create_program(
        person(tenant, Role.CLIENT_ADMIN), ProgramDraft(title="  A   B ", tags=("X", "x", " y "))
    )
    assert (program.content.title, program.content.tags, program.state) == (
        "A B",
        ("x", "y"),
        ProgramState.DRAFT,
    )
    assert store.audit == [(TenantId(tenant), "program.create", "program", str(program.program_id))]


async def test_blank_title_is_a_field_violation_and_nothing_is_written() -> None:
    store, tenant = FakeStore(), uuid.uuid4()
    with pytest.raises(InvalidArgument) as error:
        await make_service(store).create_program(person(tenant, Role.CLIENT_ADMIN), ProgramDraft(title=" \t"))
    assert [v.field for v in error.value.violations] == ["program.title"]
    assert store.programs == {}
    assert store.audit == []


async def test_roles_are_enforced() -> None:
    service, tenant = make_service(FakeStore()), uuid.uuid4()
    for roles in ((Role.LEARNER,), (Role.MANAGER,)):
        with pytest.raises(PermissionDenied):
            await service.create_program(person(tenant, *roles), ProgramDraft(title="t"))
    created = await service.create_program(person(tenant, Role.PLATFORM_ADMIN), ProgramDraft(title="t"))
    manager_view = await service.get_program(person(tenant, Role.MANAGER), created.program_id)
    assert manager_view.program_id == created.program_id
    with pytest.raises(NotFound):  # a learner does not see drafts, and is not told they exist
        await service.get_program(person(tenant, Role.LEARNER), created.program_id)


async def test_update_checks_mask_and_etag() -> None:
    service, tenant = make_service(FakeStore()), uuid.uuid4()
    admin = person(tenant, Role.CLIENT_ADMIN)
    created = await service.create_program(admin, ProgramDraft(title="old", visibility=Visibility.PUBLIC))
    updated = await service.update_program(
        admin, created.program_id, ProgramDraft(title="new"), ["title"], created.etag
    )
    assert (updated.content.title, updated.content.visibility, updated.version) == (
        "new",
        Visibility.PUBLIC,
        2,
    )
    with pytest.raises(Aborted):
        await service.update_program(
            admin, created.program_id, ProgramDraft(title="x"), ["title"], created.etag
        )
    with pytest.raises(InvalidArgument):
        await service.update_program(admin, created.program_id, ProgramDraft(title="x"), ["state"], "")
    with pytest.raises(InvalidArgument):
        await service.update_program(admin, created.program_id, ProgramDraft(title="x"), [], "")


async def test_only_drafts_can_be_deleted() -> None:
    store, tenant = FakeStore(), uuid.uuid4()
    service, admin = make_service(store), person(tenant, Role.CLIENT_ADMIN)
    created = await service.create_program(admin, ProgramDraft(title="t"))
    tenant_rows = store.programs[TenantId(tenant)]
    tenant_rows[created.program_id] = dataclasses.replace(created, state=ProgramState.PUBLISHED)
    with pytest.raises(FailedPrecondition):
        await service.delete_program(admin, created.program_id)
    tenant_rows[created.program_id] = created
    await service.delete_program(admin, created.program_id)
    with pytest.raises(NotFound):
        await service.get_program(admin, created.program_id)


async def test_learners_list_only_the_public_catalogue() -> None:
    store, tenant = FakeStore(), uuid.uuid4()
    service, admin = make_service(store), person(tenant, Role.CLIENT_ADMIN)
    tree = [
        Node("root", NodeKind.SET, rule=Rule.ALL_ANY_ORDER),
        Node("c", NodeKind.COURSE, "root", course_id="c"),
    ]
    draft = await service.create_program(
        admin, ProgramDraft(title="draft", visibility=Visibility.PUBLIC), structure=tree
    )
    await service.publish_program(admin, draft.program_id)
    await service.create_program(admin, ProgramDraft(title="hidden"))
    page = await service.list_programs(person(tenant, Role.LEARNER), ProgramFilter(), 10, "")
    assert [p.content.title for p in page.programs] == ["draft"]
