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
from aigym_progress.domain import (
    EPOCH,
    Completion,
    CourseProgress,
    Ordering,
    ProgressReset,
    ProgressState,
    RosterOrder,
    TimeOnTask,
    evaluate,
)
from aigym_progress.repository import CompletionContext, LockMode, ProgressSnapshot, SqlProgressRepository
from aigym_progress.session_repository import SqlSessionRepository
from aigym_progress.structure import Block, BlockState, BlockType, CourseStructure
from services.progress.tests.fakes import (
    FakeProgressRepository,
    FakeSessionRepository,
    FakeStore,
    FakeUnitOfWork,
)

Transaction = Callable[..., AbstractAsyncContextManager[Any]]
"""`transaction(tenant)` gives the progress repository; `transaction(tenant, sessions=True)` a pair of it
and the session repository on the same transaction."""
T0 = dt.datetime(2026, 11, 3, 10, tzinfo=dt.UTC)
BLOCKS = (
    Block("b1", BlockType.VIDEO, 1.0, required=True),
    Block("b2", BlockType.QUIZ, 2.5, required=True, min_score=0.7),
    Block("b3", BlockType.OTHER, 0.5),
)


@pytest.fixture(params=["postgres", "fake"])
async def transaction(
    request: pytest.FixtureRequest, progress_db: ServiceDatabase
) -> AsyncIterator[Transaction]:
    """Yields `transaction(tenant)`: an async context giving a repository whose writes commit on exit."""
    if request.param == "fake":
        store = FakeStore()

        @asynccontextmanager
        async def fake(tenant: TenantId, *, sessions: bool = False) -> AsyncIterator[Any]:
            async with FakeUnitOfWork(store, tenant, None) as uow:
                repo = FakeProgressRepository(uow.session, tenant)
                yield (repo, FakeSessionRepository(uow.session, tenant)) if sessions else repo
                await uow.commit()

        yield fake
        return
    engine = create_engine(progress_db.app_url, pool_size=2, max_overflow=0)
    make_uow = uow_factory(create_sessionmaker(engine))

    @asynccontextmanager
    async def real(tenant: TenantId, *, sessions: bool = False) -> AsyncIterator[Any]:
        async with make_uow(tenant, None) as uow:
            repo = SqlProgressRepository(uow.session, tenant)
            yield (repo, SqlSessionRepository(uow.session, tenant)) if sessions else repo
            await uow.commit()

    yield real
    await engine.dispose()


async def add_course(transaction: Transaction, tenant: TenantId, course_id: str = "c-1") -> CourseStructure:
    structure = CourseStructure(course_id, 1, BLOCKS, T0, "admin-1")
    async with transaction(tenant) as repo:
        assert await repo.lock_course_for_revision(course_id) == 0
        await repo.add_structure(structure)
    return structure


def progress(
    structure: CourseStructure, learner: str, states: dict[str, BlockState], at: dt.datetime
) -> CourseProgress:
    return evaluate(
        CourseProgress.fresh(learner, structure.course_id, structure), structure, states, at, activity=True
    )


async def test_structures_are_revisioned_per_tenant(transaction: Transaction) -> None:
    tenant, other = TenantId(uuid.uuid4()), TenantId(uuid.uuid4())
    first = await add_course(transaction, tenant)
    second = CourseStructure("c-1", 2, BLOCKS[:1], T0 + dt.timedelta(hours=1), "admin-2")
    async with transaction(tenant) as repo:
        assert await repo.lock_course_for_revision("c-1") == 1
        await repo.add_structure(second)
    async with transaction(tenant) as repo:
        assert await repo.current_revision("c-1", lock=LockMode.SHARE) == 2
        assert await repo.get_structure("c-1", 1) == first
        assert await repo.get_structure("c-1", 2) == second
        assert await repo.get_structure("c-1", 3) is None
        assert await repo.current_revision("c-2") is None
    async with transaction(other) as repo:
        assert await repo.current_revision("c-1") is None
        assert await repo.get_structure("c-1", 1) is None


async def test_progress_and_block_states_round_trip_and_archive(transaction: Transaction) -> None:
    tenant = TenantId(uuid.uuid4())
    course = await add_course(transaction, tenant)
    states = {"b1": BlockState("b1", 1.0, None, T0), "b2": BlockState("b2", 0.5, 0.25, T0)}
    saved = progress(course, "l-1", states, T0)
    async with transaction(tenant) as repo:
        await repo.lock_learner_course("l-1", "c-1")
        for state in states.values():
            await repo.save_block_state("l-1", "c-1", 1, state)
        await repo.save_progress(saved)
    async with transaction(tenant) as repo:
        assert await repo.get_progress("l-1", "c-1") == saved
        assert await repo.get_block_states("l-1", "c-1", 1) == states
        better = BlockState("b2", 1.0, 0.75, T0 + dt.timedelta(minutes=5))
        await repo.save_block_state("l-1", "c-1", 1, better)
        assert (await repo.get_block_states("l-1", "c-1", 1))["b2"] == better
        assert await repo.course_block_states("c-1") == {"l-1": {**states, "b2": better}}
        assert await repo.list_course_progress("c-1") == [saved]
    reset_id = uuid.uuid4()
    async with transaction(tenant) as repo:
        assert await repo.archive_attempt("l-1", "c-1", 1, reset_id, T0 + dt.timedelta(hours=1)) == 2
        await repo.add_reset(ProgressReset(reset_id, saved, "why", "admin-1", T0 + dt.timedelta(hours=1)))
        await repo.save_progress(CourseProgress.fresh("l-1", "c-1", course, attempt=2))
    async with transaction(tenant) as repo:
        assert await repo.get_block_states("l-1", "c-1", 1) == {}
        assert await repo.course_block_states("c-1") == {}
        assert (await repo.get_progress("l-1", "c-1")).attempt == 2
        await repo.save_block_state("l-1", "c-1", 2, BlockState("b1", 0.1, None, T0))
        assert await repo.course_block_states("c-1") == {"l-1": {"b1": BlockState("b1", 0.1, None, T0)}}


async def test_completions_are_unique_per_request_id(transaction: Transaction) -> None:
    tenant, other = TenantId(uuid.uuid4()), TenantId(uuid.uuid4())

    def completion(request_id: str | None) -> Completion:
        return Completion(
            uuid.uuid4(), "l-1", "c-1", "b1", 1.0, 0.5, request_id, 1, 1, True, True, False, T0, "l-1"
        )

    first = completion("k-1")
    async with transaction(tenant) as repo:
        assert await repo.add_completion(first)
        assert await repo.add_completion(completion(None))
        assert await repo.add_completion(completion(None))
    async with transaction(tenant) as repo:
        assert await repo.get_completion_by_request_id("k-1") == first
        assert not await repo.add_completion(completion("k-1"))
        assert await repo.get_completion_by_request_id("k-2") is None
    async with transaction(other) as repo:
        assert await repo.get_completion_by_request_id("k-1") is None
        assert await repo.add_completion(completion("k-1"))


async def test_learner_and_roster_listings_order_filter_and_resume(transaction: Transaction) -> None:
    tenant = TenantId(uuid.uuid4())
    courses = [await add_course(transaction, tenant, f"c-{i}") for i in range(3)]
    rows = [
        progress(courses[0], "l-1", {"b1": BlockState("b1", 1.0, None, T0)}, T0 + dt.timedelta(minutes=3)),
        progress(courses[1], "l-1", {"b3": BlockState("b3", 1.0, None, T0)}, T0 + dt.timedelta(minutes=1)),
        progress(courses[2], "l-1", {"b1": BlockState("b1", 0.5, None, T0)}, T0 + dt.timedelta(minutes=2)),
        progress(courses[0], "l-2", {"b2": BlockState("b2", 1.0, 0.9, T0)}, T0 + dt.timedelta(minutes=4)),
        progress(
            courses[0],
            "l-3",
            {"b1": BlockState("b1", 1.0, None, T0), "b2": BlockState("b2", 1.0, 0.8, T0)},
            T0 + dt.timedelta(minutes=5),
        ),
        CourseProgress.fresh("l-4", "c-0", courses[0], attempt=2),
    ]
    async with transaction(tenant) as repo:
        for row in rows:
            await repo.save_progress(row)
    async with transaction(tenant) as repo:
        mine = await repo.list_learner_progress("l-1", None, None, 10)
        assert [p.course_id for p in mine] == ["c-0", "c-2", "c-1"]
        rest = await repo.list_learner_progress("l-1", None, (mine[0].last_activity_time, "c-0"), 10)
        assert [p.course_id for p in rest] == ["c-2", "c-1"]
        assert await repo.list_learner_progress("l-1", ProgressState.COMPLETED, None, 10) == []

        async def roster(ordering: Ordering, state: ProgressState | None = None) -> list[str]:
            return [p.learner_id for p in await repo.list_roster("c-0", state, ordering, None, 10)]

        assert await roster(Ordering()) == ["l-1", "l-2", "l-3", "l-4"]
        assert await roster(Ordering(RosterOrder.LEARNER, True)) == ["l-4", "l-3", "l-2", "l-1"]
        assert await roster(Ordering(RosterOrder.PERCENT, True)) == ["l-3", "l-2", "l-1", "l-4"]
        assert await roster(Ordering(RosterOrder.LAST_ACTIVITY, True)) == ["l-3", "l-2", "l-1", "l-4"]
        assert await roster(Ordering(RosterOrder.LAST_ACTIVITY)) == ["l-4", "l-1", "l-2", "l-3"]
        assert await roster(Ordering(), ProgressState.COMPLETED) == ["l-3"]
        assert await roster(Ordering(), ProgressState.NOT_STARTED) == ["l-4"]
        by_percent = Ordering(RosterOrder.PERCENT, True)
        after_l2 = await repo.list_roster("c-0", None, by_percent, (rows[3].percent, "l-2"), 10)
        assert [p.learner_id for p in after_l2] == ["l-1", "l-4"]
        after_l1 = await repo.list_roster("c-0", None, Ordering(), ("l-1", "l-1"), 2)
        assert [p.learner_id for p in after_l1] == ["l-2", "l-3"]
        by_activity = Ordering(RosterOrder.LAST_ACTIVITY)
        after_l4 = await repo.list_roster("c-0", None, by_activity, (EPOCH, "l-4"), 10)
        assert [p.learner_id for p in after_l4] == ["l-1", "l-2", "l-3"]
        after_l2_recent = await repo.list_roster(
            "c-0", None, Ordering(RosterOrder.LAST_ACTIVITY, True), (rows[3].last_activity_time, "l-2"), 10
        )
        assert [p.learner_id for p in after_l2_recent] == ["l-1", "l-4"]


async def test_one_read_gives_revision_progress_block_states_and_time_on_task(
    transaction: Transaction,
) -> None:
    tenant, other = TenantId(uuid.uuid4()), TenantId(uuid.uuid4())
    course = await add_course(transaction, tenant)
    states = {"b1": BlockState("b1", 1.0, None, T0), "b2": BlockState("b2", 0.5, 0.25, T0)}
    saved = progress(course, "l-1", states, T0)
    figure = TimeOnTask(420, "v1")
    async with transaction(tenant, sessions=True) as (repo, sessions):
        for state in states.values():
            await repo.save_block_state("l-1", "c-1", 1, state)
        await repo.save_block_state("l-1", "c-1", 2, BlockState("b3", 1.0, None, T0))  # another attempt
        await repo.save_progress(saved)
        await sessions.save_time_on_task("l-1", "c-1", figure, T0)
        await sessions.save_time_on_task("l-2", "c-1", TimeOnTask(60, "v1"), T0)
    async with transaction(tenant) as repo:
        mine = await repo.read_progress("l-1", "c-1")
        no_row = await repo.read_progress("l-2", "c-1")
        nobody = await repo.read_progress("l-3", "c-1")
        unknown = await repo.read_progress("l-1", "c-9")
        roster = await repo.list_roster("c-1", None, Ordering(), None, 10)
    async with transaction(other) as repo:
        elsewhere = await repo.read_progress("l-1", "c-1")

    assert mine == ProgressSnapshot(1, dataclasses.replace(saved, time_on_task=figure), states, figure)
    assert no_row == ProgressSnapshot(1, None, {}, TimeOnTask(60, "v1"))
    assert nobody == ProgressSnapshot(1, None, {}, None)
    assert unknown is None
    assert elsewhere is None
    assert roster == [dataclasses.replace(saved, time_on_task=figure)]


async def test_recording_a_completion_locks_reads_and_writes_in_three_statements(
    transaction: Transaction,
) -> None:
    tenant = TenantId(uuid.uuid4())
    course = await add_course(transaction, tenant)
    first = BlockState("b1", 1.0, None, T0)
    saved = progress(course, "l-1", {"b1": first}, T0)

    def completion(request_id: str | None, block: str = "b1") -> Completion:
        return Completion(
            uuid.uuid4(), "l-1", "c-1", block, 1.0, None, request_id, 1, 1, True, True, False, T0, "l-1"
        )

    recorded = completion("k-1")
    async with transaction(tenant) as repo:
        unknown = await repo.lock_learner_in_course("l-1", "c-9")
        revision = await repo.lock_learner_in_course("l-1", "c-1")
        empty = await repo.completion_context("l-1", "c-1", "k-1")
        assert await repo.save_completion(saved, first, recorded)
    later = evaluate(saved, course, {"b1": first}, T0 + dt.timedelta(minutes=1), activity=True)
    async with transaction(tenant) as repo:
        context = await repo.completion_context("l-1", "c-1", "k-1")
        without_key = await repo.completion_context("l-1", "c-1", None)
        assert await repo.save_completion(later, None, completion(None, "b2"))  # progress only
        taken = await repo.save_completion(later, None, completion("k-1"))
    async with transaction(tenant) as repo:
        after = await repo.completion_context("l-1", "c-1", None)

    assert unknown is None
    assert revision == 1
    assert empty == CompletionContext(None, {}, None)
    assert context == CompletionContext(saved, {"b1": first}, recorded)
    assert without_key == CompletionContext(saved, {"b1": first}, None)
    assert taken is False
    assert after == CompletionContext(later, {"b1": first}, None)
