"""One behaviour suite, two implementations: the PostgreSQL repository and the unit tests' fake."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import pytest

from aigym_platform.db import create_engine, create_sessionmaker, uow_factory
from aigym_platform.identity import TenantId
from aigym_platform.provisioning import ServiceDatabase
from aigym_programs.domain import Program, ProgramDraft, ProgramState, ProgramVersion, Visibility
from aigym_programs.repository import ProgramFilter, SqlProgramRepository
from aigym_programs.structure import Node, NodeKind, Rule, Structure
from services.programs.tests.fakes import FakeProgramRepository, FakeStore, FakeUnitOfWork

Transaction = Callable[[TenantId], AbstractAsyncContextManager[Any]]


@pytest.fixture(params=["postgres", "fake"])
async def transaction(
    request: pytest.FixtureRequest, programs_db: ServiceDatabase
) -> AsyncIterator[Transaction]:
    """Yields `transaction(tenant)`: an async context giving a repository whose writes commit on exit."""
    if request.param == "fake":
        store = FakeStore()

        @asynccontextmanager
        async def fake(tenant: TenantId) -> AsyncIterator[Any]:
            async with FakeUnitOfWork(store, tenant, None) as uow:
                yield FakeProgramRepository(uow.session, tenant)
                await uow.commit()

        yield fake
        return
    engine = create_engine(programs_db.app_url, pool_size=2, max_overflow=0)
    make_uow = uow_factory(create_sessionmaker(engine))

    @asynccontextmanager
    async def real(tenant: TenantId) -> AsyncIterator[Any]:
        async with make_uow(tenant, None) as uow:
            yield SqlProgramRepository(uow.session, tenant)
            await uow.commit()

    yield real
    await engine.dispose()


def program(
    title: str, *, minutes: int = 0, tags: tuple[str, ...] = (), request_id: str | None = None
) -> Program:
    when = dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=minutes)
    return Program(
        uuid.uuid4(), ProgramDraft(title=title, tags=tags), ProgramState.DRAFT, 1, when, when, request_id
    )


async def test_add_get_save_remove_round_trip(transaction: Transaction) -> None:
    tenant = TenantId(uuid.uuid4())
    first = program("one", request_id="r-1")
    async with transaction(tenant) as repo:
        await repo.add(first)
    async with transaction(tenant) as repo:
        assert await repo.get(first.program_id) == first
        assert await repo.exists(first.program_id)
        assert not await repo.exists(uuid.uuid4())
        assert await repo.get_by_request_id("r-1") == first
        assert await repo.get_by_request_id("r-2") is None
        changed = dataclasses.replace(
            first, content=ProgramDraft(title="uno", visibility=Visibility.PUBLIC), version=2
        )
        await repo.save(changed)
    async with transaction(tenant) as repo:
        assert await repo.get(first.program_id) == changed
        await repo.remove(first.program_id)
    async with transaction(tenant) as repo:
        assert await repo.get(first.program_id) is None
        assert not await repo.exists(first.program_id)


async def test_rows_are_scoped_to_their_tenant(transaction: Transaction) -> None:
    tenant, other = TenantId(uuid.uuid4()), TenantId(uuid.uuid4())
    mine = program("mine")
    async with transaction(tenant) as repo:
        await repo.add(mine)
    async with transaction(other) as repo:
        assert await repo.get(mine.program_id) is None
        assert not await repo.exists(mine.program_id)
        assert await repo.list_programs(ProgramFilter(), None, 10) == []


async def test_list_orders_newest_first_with_keyset_and_filters(transaction: Transaction) -> None:
    tenant = TenantId(uuid.uuid4())
    items = [program(f"p{i}", minutes=i, tags=("odd",) if i % 2 else ()) for i in range(5)]
    published = dataclasses.replace(
        items[0],
        state=ProgramState.PUBLISHED,
        content=ProgramDraft(title="p0 (edited)", visibility=Visibility.PUBLIC),
        current_version=1,
    )
    snapshot = ProgramVersion(published.program_id, 1, "p0", "", Structure(), published.create_time, "admin")
    published = dataclasses.replace(
        published, published_digest=published.as_published(snapshot).publishable_digest
    )
    async with transaction(tenant) as repo:
        for item in [published, *items[1:]]:
            await repo.add(item)
        await repo.add_version(snapshot)
    async with transaction(tenant) as repo:
        page = await repo.list_programs(ProgramFilter(), None, 2)
        assert [p.content.title for p in page] == ["p4", "p3"]
        rest = await repo.list_programs(ProgramFilter(), (page[-1].create_time, page[-1].program_id), 10)
        assert [p.content.title for p in rest] == ["p2", "p1", "p0 (edited)"]  # managers: the working copy
        assert [p.content.title for p in await repo.list_programs(ProgramFilter(tag="odd"), None, 10)] == [
            "p3",
            "p1",
        ]
        assert [p.content.title for p in await repo.list_programs(ProgramFilter(query="P2"), None, 10)] == [
            "p2"
        ]
        learner_view = await repo.list_programs(ProgramFilter(visible_to_learner=True), None, 10)
        assert [p.content.title for p in learner_view] == ["p0"]  # learners: the published version
        assert not learner_view[0].has_unpublished_changes
        for basic in (False, True):
            found = await repo.list_programs(ProgramFilter(visible_to_learner=True, query="edited"), None, 10)
            assert found == []  # learners search what they see
            found = await repo.list_programs(
                ProgramFilter(visible_to_learner=True, query="p0"), None, 10, basic=basic
            )
            assert [p.content.title for p in found] == ["p0"]
        drafts = await repo.list_programs(ProgramFilter(state=ProgramState.DRAFT), None, 10)
        assert len(drafts) == 4


async def test_a_basic_list_leaves_the_structure_out_and_keeps_the_content_digest(
    transaction: Transaction,
) -> None:
    tenant = TenantId(uuid.uuid4())
    structure = Structure(
        (
            Node("root", NodeKind.SET, rule=Rule.ALL_ANY_ORDER),
            Node("c1", NodeKind.COURSE, parent_id="root", course_id="course-1"),
        )
    )
    draft = dataclasses.replace(program("with structure"), structure=structure)
    unchanged = dataclasses.replace(
        program("published", minutes=1), structure=structure, state=ProgramState.PUBLISHED
    )
    unchanged = dataclasses.replace(unchanged, published_digest=unchanged.publishable_digest)
    async with transaction(tenant) as repo:
        await repo.add(draft)
        await repo.add(unchanged)
    async with transaction(tenant) as repo:
        full = await repo.list_programs(ProgramFilter(), None, 10)
        basic = await repo.list_programs(ProgramFilter(), None, 10, basic=True)
    assert full == [unchanged, draft]
    assert [p.structure for p in basic] == [Structure(), Structure()]
    assert [p.stored_digest for p in basic] == [unchanged.publishable_digest, draft.publishable_digest]
    assert [p.has_unpublished_changes for p in basic] == [False, True]
    assert [dataclasses.replace(p, structure=structure, stored_digest=None) for p in basic] == full
