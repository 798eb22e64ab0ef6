"""Use cases of the progress service against in-memory fakes (no I/O)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from aigym.progress.v1 import events_pb2
from aigym_platform.errors import Aborted, FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from aigym_platform.events.registry import BLOCK_COMPLETED, COURSE_COMPLETED, PROGRESS_RESET
from aigym_platform.identity import Identity, Role, TenantId
from aigym_progress.domain import Completion, CompletionInput, ProgressState
from aigym_progress.service import ProgressService
from aigym_progress.structure import Block, BlockType
from services.progress.tests.fakes import (
    FakeDirectoryRepository,
    FakeProgressRepository,
    FakeSessionRepository,
    FakeStore,
    FakeUnitOfWork,
)

COURSE = "course-1"
BLOCKS = [
    Block("intro", BlockType.VIDEO, 1.0, required=True),
    Block("quiz", BlockType.QUIZ, 2.0, required=True, min_score=0.8),
    Block("extra", BlockType.READING, 1.0),
]


EARLIER = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


class Clock:
    """A clock that advances one second per reading (activity order is then call order)."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 2, 8, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(seconds=1)
        return self.now


class World:
    """A service on fakes, one tenant and its people."""

    def __init__(self) -> None:
        self.store = FakeStore()
        self.tenant = TenantId(uuid.uuid4())
        self.service = ProgressService(
            lambda tenant, identity: FakeUnitOfWork(self.store, tenant, identity),  # type: ignore[arg-type,return-value]
            FakeProgressRepository,  # type: ignore[arg-type]
            Clock(),
            FakeSessionRepository,  # type: ignore[arg-type]
            FakeDirectoryRepository,  # type: ignore[arg-type]
        )
        self.admin = self.person("admin-1", Role.CLIENT_ADMIN)
        self.manager = self.person("manager-1", Role.MANAGER)
        # manager-1's team: lead-1 and three learners directly, three more through lead-1
        directory = self.store.of(self.tenant).directory
        directory["lead-1"] = ("manager-1", True, EARLIER)
        directory["outsider"] = ("manager-2", True, EARLIER)
        for learner in ("l-1", "l-2", "l-a", "l-b", "l-c", "l-d"):
            manager = "manager-1" if learner in ("l-2", "l-c", "l-d") else "lead-1"
            directory[learner] = (manager, True, EARLIER)

    def person(self, user: str, *roles: Role) -> Identity:
        return Identity(user, self.tenant, frozenset(roles or (Role.LEARNER,)))

    async def course(self, course_id: str = COURSE, blocks: list[Block] = BLOCKS) -> None:
        await self.service.update_structure(self.admin, course_id, blocks)

    async def complete(
        self, who: Identity, block: str, value: float = 1.0, score: float | None = None, **kw: str
    ) -> Completion:
        item = CompletionInput(kw.get("learner", "me"), kw.get("course", COURSE), block, value, score)
        if "request_id" in kw:
            item = CompletionInput(item.learner_id, item.course_id, block, value, score, kw["request_id"])
        return await self.service.record_completion(who, item)

    def events(self, event_type: str) -> list[object]:
        return [e.payload for e in self.store.events if e.event_type == event_type]

    def audit_actions(self) -> list[str]:
        return [action for _, action, _, _ in self.store.audit]


async def test_structure_revisions_are_numbered_stored_and_idempotent() -> None:
    world = World()
    first = await world.service.update_structure(world.admin, COURSE, BLOCKS)
    same = await world.service.update_structure(world.admin, COURSE, BLOCKS, etag=first.etag)
    assert (first.revision, same.revision) == (1, 1)
    second = await world.service.update_structure(world.admin, COURSE, BLOCKS[:2], etag=first.etag)
    assert second.revision == 2
    current = await world.service.get_structure(world.person("l-1"), COURSE)
    assert [b.block_id for b in current.blocks] == ["intro", "quiz"]
    old = await world.service.get_structure(world.person("l-1"), COURSE, revision=1)
    assert [b.block_id for b in old.blocks] == ["intro", "quiz", "extra"]
    assert world.audit_actions() == ["course_structure.update", "course_structure.update"]
    with pytest.raises(Aborted):
        await world.service.update_structure(world.admin, COURSE, BLOCKS, etag=first.etag)
    with pytest.raises(NotFound):
        await world.service.get_structure(world.admin, COURSE, revision=3)
    with pytest.raises(NotFound):
        await world.service.get_structure(world.admin, "other-course")


async def test_only_admins_define_structures_and_invalid_ones_write_nothing() -> None:
    world = World()
    for who in (world.person("l-1"), world.manager):
        with pytest.raises(PermissionDenied):
            await world.service.update_structure(who, COURSE, BLOCKS)
    with pytest.raises(InvalidArgument) as invalid:
        await world.service.update_structure(world.admin, COURSE, [Block("a", BlockType.VIDEO, 1.0)])
    assert [v.field for v in invalid.value.violations] == ["structure.blocks"]
    assert world.store.tenants.get(world.tenant) is None or not world.store.of(world.tenant).courses
    assert world.store.audit == []


async def test_completion_only_moves_forward() -> None:
    world = World()
    await world.course()
    learner = world.person("l-1")
    first = await world.complete(learner, "intro", 0.6)
    lower = await world.complete(learner, "intro", 0.3)
    assert (first.applied, lower.applied) == (True, False)
    progress = await world.service.get_progress(learner, "me", COURSE)
    intro = progress.blocks[0]
    assert (intro.block_id, intro.value, intro.completed) == ("intro", 0.6, False)
    assert progress.percent == pytest.approx(100 * 0.6 / 4)
    assert progress.state is ProgressState.IN_PROGRESS
    assert len(world.events(BLOCK_COMPLETED)) == 1  # only the write that moved progress forward
    assert world.audit_actions().count("completion.record") == 2


async def test_last_required_block_completes_the_course_in_the_same_transaction() -> None:
    world = World()
    await world.course()
    learner = world.person("l-1")
    assert not (await world.complete(learner, "intro")).course_completed
    failed = await world.complete(learner, "quiz", 1.0, 0.5)
    assert (failed.block_completed, failed.course_completed) == (False, False)
    passed = await world.complete(learner, "quiz", 0.2, 0.9)  # a better score on a retake counts
    assert (passed.applied, passed.block_completed, passed.course_completed) == (True, True, True)
    again = await world.complete(learner, "extra")
    assert not again.course_completed
    (completed,) = world.events(COURSE_COMPLETED)
    assert isinstance(completed, events_pb2.CourseCompleted)
    assert (completed.learner_id, completed.course_id, completed.course_revision) == ("l-1", COURSE, 1)
    assert completed.completed_at.ToDatetime(tzinfo=dt.UTC) == passed.create_time
    progress = await world.service.get_progress(learner, "l-1", COURSE)
    assert (progress.state, progress.complete_time, progress.percent) == (
        ProgressState.COMPLETED,
        passed.create_time,
        100.0,
    )
    block_events = world.events(BLOCK_COMPLETED)
    assert [e.block_id for e in block_events] == ["intro", "quiz", "quiz", "extra"]  # type: ignore[attr-defined]


async def test_request_id_makes_retries_idempotent() -> None:
    world = World()
    await world.course()
    learner = world.person("l-1")
    first = await world.complete(learner, "intro", 1.0, request_id="k-1")
    retry = await world.complete(learner, "intro", 1.0, request_id="k-1")
    assert retry == first
    assert len(world.events(BLOCK_COMPLETED)) == 1
    assert world.audit_actions().count("completion.record") == 1
    with pytest.raises(FailedPrecondition) as reused:
        await world.complete(learner, "quiz", 1.0, request_id="k-1")
    assert reused.value.reason == "REQUEST_ID_REUSED"


async def test_learners_write_only_for_themselves() -> None:
    world = World()
    await world.course()
    learner = world.person("l-1")
    with pytest.raises(PermissionDenied):
        await world.complete(learner, "intro", learner="l-2")
    with pytest.raises(PermissionDenied):
        await world.complete(world.manager, "intro", learner="l-2")
    own = await world.complete(learner, "intro", learner="l-1")
    assert own.learner_id == "l-1"
    by_admin = await world.complete(world.admin, "intro", learner="l-2")
    by_service = await world.complete(world.person("service:calendar", Role.SERVICE), "quiz", learner="l-2")
    assert (by_admin.learner_id, by_admin.recorded_by) == ("l-2", "admin-1")
    assert by_service.learner_id == "l-2"


async def test_unknown_course_or_block_is_a_field_violation() -> None:
    world = World()
    await world.course()
    learner = world.person("l-1")
    with pytest.raises(InvalidArgument) as course:
        await world.complete(learner, "intro", course="nope")
    assert [(v.field, v.reason) for v in course.value.violations] == [
        ("completion.course_id", "UNKNOWN_COURSE")
    ]
    with pytest.raises(InvalidArgument) as block:
        await world.complete(learner, "nope")
    assert [(v.field, v.reason) for v in block.value.violations] == [("completion.block_id", "UNKNOWN_BLOCK")]
    with pytest.raises(InvalidArgument) as value:
        await world.complete(learner, "intro", 1.2)
    assert [v.field for v in value.value.violations] == ["completion.value"]
    assert world.events(BLOCK_COMPLETED) == []


async def test_batch_applies_each_item_on_its_own() -> None:
    world = World()
    await world.course()
    items = [
        CompletionInput("l-1", COURSE, "intro", 1.0),
        CompletionInput("l-1", COURSE, "intro", 7.0),
        CompletionInput("l-2", COURSE, "missing", 1.0),
        CompletionInput("l-2", COURSE, "quiz", 1.0, 0.9),
    ]
    results = await world.service.record_completions(world.admin, items)
    assert isinstance(results[0], Completion)
    assert isinstance(results[3], Completion)
    assert isinstance(results[1], InvalidArgument)
    assert [v.field for v in results[1].violations] == ["completions[1].value"]
    assert isinstance(results[2], InvalidArgument)
    assert [v.field for v in results[2].violations] == ["completions[2].block_id"]
    assert len(world.events(BLOCK_COMPLETED)) == 2
    learner_batch = await world.service.record_completions(
        world.person("l-3"),
        [CompletionInput("me", COURSE, "intro", 1.0), CompletionInput("l-9", COURSE, "intro", 1.0)],
    )
    assert isinstance(learner_batch[0], Completion)
    assert isinstance(learner_batch[1], PermissionDenied)


async def test_learners_read_only_themselves_managers_read_rosters() -> None:
    world = World()
    await world.course()
    await world.complete(world.person("l-1"), "intro")
    with pytest.raises(PermissionDenied):
        await world.service.get_progress(world.person("l-2"), "l-1", COURSE)
    with pytest.raises(PermissionDenied):
        await world.service.list_learner_progress(world.person("l-2"), "l-1", None, 10, "")
    with pytest.raises(PermissionDenied):
        await world.service.list_roster(world.person("l-1"), COURSE, None, "", 10, "")
    seen = await world.service.get_progress(world.manager, "l-1", COURSE)
    assert seen.completed_blocks == 1
    untouched = await world.service.get_progress(world.person("l-2"), "me", COURSE)
    assert (untouched.state, untouched.attempt, len(untouched.blocks)) == (ProgressState.NOT_STARTED, 1, 3)
    with pytest.raises(NotFound):
        await world.service.get_progress(world.manager, "l-1", "unknown-course")
    with pytest.raises(NotFound):
        await world.service.list_roster(world.manager, "unknown-course", None, "", 10, "")


async def test_a_manager_reads_their_direct_and_indirect_reports_only() -> None:
    world = World()
    await world.course()
    for learner in ("l-1", "l-2", "outsider"):
        await world.complete(world.admin, "intro", learner=learner)
    lead = world.person("lead-1", Role.MANAGER)
    assert (await world.service.get_progress(world.manager, "l-2", COURSE)).completed_blocks == 1  # direct
    assert (await world.service.get_progress(world.manager, "l-1", COURSE)).completed_blocks == 1  # indirect
    assert (await world.service.get_progress(lead, "l-1", COURSE)).completed_blocks == 1
    for manager, learner in ((world.manager, "outsider"), (lead, "l-2"), (lead, "manager-1")):
        with pytest.raises(PermissionDenied) as refused:
            await world.service.get_progress(manager, learner, COURSE)
        assert refused.value.reason == "LEARNER_OUT_OF_SCOPE"
        with pytest.raises(PermissionDenied):
            await world.service.list_learner_progress(manager, learner, None, 10, "")
    roster = await world.service.list_roster(world.manager, COURSE, None, "", 10, "")
    assert [p.learner_id for p in roster.progress] == ["l-1", "l-2"]
    lead_roster = await world.service.list_roster(lead, COURSE, None, "", 10, "")
    assert [p.learner_id for p in lead_roster.progress] == ["l-1"]
    everyone = await world.service.list_roster(world.admin, COURSE, None, "", 10, "")
    assert [p.learner_id for p in everyone.progress] == ["l-1", "l-2", "outsider"]
    assert (await world.service.get_progress(world.admin, "outsider", COURSE)).completed_blocks == 1


async def test_a_revision_recomputes_progress_and_may_complete_courses() -> None:
    world = World()
    await world.course()
    learner = world.person("l-1")
    await world.complete(learner, "intro")
    await world.complete(learner, "extra")
    before = await world.service.get_progress(learner, "me", COURSE)
    assert before.state is ProgressState.IN_PROGRESS
    await world.service.update_structure(world.admin, COURSE, [BLOCKS[0], BLOCKS[2]])  # the quiz is gone
    after = await world.service.get_progress(learner, "me", COURSE)
    assert (after.state, after.course_revision, after.percent) == (ProgressState.COMPLETED, 2, 100.0)
    (event,) = world.events(COURSE_COMPLETED)
    assert event.course_revision == 2  # type: ignore[attr-defined]
    await world.service.update_structure(world.admin, COURSE, BLOCKS)  # completion is sticky
    again = await world.service.get_progress(learner, "me", COURSE)
    assert (again.state, again.course_revision) == (ProgressState.COMPLETED, 3)
    assert again.percent == pytest.approx(50.0)
    assert len(world.events(COURSE_COMPLETED)) == 1


async def test_reset_archives_the_attempt_and_starts_over() -> None:
    world = World()
    await world.course()
    learner = world.person("l-1")
    for block, score in (("intro", None), ("quiz", 0.9)):
        await world.complete(learner, block, 1.0, score)
    with pytest.raises(PermissionDenied):
        await world.service.reset_progress(world.manager, "l-1", COURSE)
    fresh = await world.service.reset_progress(world.admin, "l-1", COURSE, " retake ")
    assert (fresh.state, fresh.attempt, fresh.percent, fresh.complete_time) == (
        ProgressState.NOT_STARTED,
        2,
        0.0,
        None,
    )
    rows = world.store.of(world.tenant)
    assert len(rows.blocks) == 2  # archived, not deleted
    assert all(row.archive_time is not None for row in rows.blocks.values())
    (archived,) = rows.resets.values()
    assert (archived.archived.attempt, archived.archived.state, archived.reason) == (
        1,
        ProgressState.COMPLETED,
        "retake",
    )
    (event,) = world.events(PROGRESS_RESET)
    assert isinstance(event, events_pb2.ProgressReset)
    assert (event.archived_attempt, event.attempt, event.was_completed) == (1, 2, True)
    assert "course_progress.reset" in world.audit_actions()
    unchanged = await world.service.reset_progress(world.admin, "l-1", COURSE)  # nothing recorded: no-op
    assert unchanged.attempt == 2
    assert len(world.events(PROGRESS_RESET)) == 1
    lower = await world.complete(learner, "intro", 0.4)  # a new attempt starts from zero
    assert (lower.applied, lower.course_completed) == (True, False)
    progress = await world.service.get_progress(learner, "me", COURSE)
    assert (progress.attempt, progress.state, progress.blocks[0].value) == (2, ProgressState.IN_PROGRESS, 0.4)


async def test_roster_filters_orders_and_pages() -> None:
    world = World()
    await world.course()
    plan = {"l-a": ["intro"], "l-b": ["intro", "extra"], "l-c": [], "l-d": ["intro", "extra"]}
    for learner, blocks in plan.items():
        for block in blocks:
            await world.complete(world.admin, block, learner=learner)
    await world.complete(world.admin, "quiz", 1.0, 0.95, learner="l-d")
    await world.complete(world.admin, "intro", 0.0, learner="l-c")

    async def roster(order: str = "", state: ProgressState | None = None, size: int = 2) -> list[str]:
        seen, token = [], ""
        while True:
            page = await world.service.list_roster(world.manager, COURSE, state, order, size, token)
            seen += [p.learner_id for p in page.progress]
            token = page.next_page_token
            if not token:
                return seen

    assert await roster() == ["l-a", "l-b", "l-c", "l-d"]
    assert await roster("learner_id desc") == ["l-d", "l-c", "l-b", "l-a"]
    assert await roster("percent desc") == ["l-d", "l-b", "l-a", "l-c"]
    assert await roster("percent", size=1) == ["l-c", "l-a", "l-b", "l-d"]
    assert await roster("last_activity_time desc") == ["l-c", "l-d", "l-b", "l-a"]
    assert await roster(state=ProgressState.COMPLETED) == ["l-d"]
    assert await roster(state=ProgressState.IN_PROGRESS) == ["l-a", "l-b", "l-c"]
    first = await world.service.list_roster(world.manager, COURSE, None, "percent", 1, "")
    with pytest.raises(InvalidArgument):
        await world.service.list_roster(world.manager, COURSE, None, "percent desc", 1, first.next_page_token)


async def test_learner_lists_their_courses_most_recent_first() -> None:
    world = World()
    learner = world.person("l-1")
    for course in ("c-1", "c-2", "c-3"):
        await world.course(course)
    for course in ("c-2", "c-1", "c-3", "c-2"):
        await world.complete(learner, "intro", course=course)
    seen, token = [], ""
    while True:
        page = await world.service.list_learner_progress(learner, "me", None, 2, token)
        seen += [p.course_id for p in page.progress]
        token = page.next_page_token
        if not token:
            break
    assert seen == ["c-2", "c-3", "c-1"]
    other = await world.service.list_learner_progress(world.person("l-2"), "me", None, 10, "")
    assert other.progress == []
    managed = await world.service.list_learner_progress(world.manager, "l-1", ProgressState.COMPLETED, 10, "")
    assert managed.progress == []
