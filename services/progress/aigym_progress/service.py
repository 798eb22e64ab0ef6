"""Use cases of the progress service. Each owns one unit of work and writes its audit and outbox rows."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy.ext.asyncio import AsyncSession

from aigym.progress.v1 import events_pb2
from aigym_platform.db import TenantUnit, UnitOfWork, UnitOfWorkFactory, database_failure
from aigym_platform.errors import Aborted, DomainError, InvalidArgument, NotFound, PermissionDenied
from aigym_platform.events.registry import BLOCK_COMPLETED, COURSE_COMPLETED, PROGRESS_RESET
from aigym_platform.identity import Identity, Role, TenantId
from aigym_platform.pagination import Cursor, decode_token, encode_token, page_size
from aigym_platform.teams import readable_learner, readable_without_directory
from aigym_platform.timestamps import set_timestamp
from aigym_progress.directory_repository import SqlDirectoryRepository
from aigym_progress.directory_service import DirectoryRepositoryFactory, team_scope
from aigym_progress.domain import (
    EPOCH,
    Completion,
    CompletionInput,
    CourseProgress,
    ProgressReset,
    ProgressState,
    RosterOrder,
    advance,
    evaluate,
    parse_order_by,
    sort_key,
    validate_completion,
    with_blocks,
)
from aigym_progress.hot_reads import ProgressHotReads
from aigym_progress.repository import (
    LockMode,
    ProgressRepository,
    ProgressSnapshot,
    SqlProgressRepository,
)
from aigym_progress.revision_cache import RevisionCache
from aigym_progress.session_repository import SessionRepository, SqlSessionRepository
from aigym_progress.structure import Block, BlockState, CourseStructure, blocks_digest, validate_blocks

RepositoryFactory = Callable[[AsyncSession, TenantId], ProgressRepository]
SessionRepositoryFactory = Callable[[AsyncSession, TenantId], SessionRepository]
Clock = Callable[[], dt.datetime]


def utcnow() -> dt.datetime:
    """The current UTC time (the default clock)."""
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class ProgressPage:
    """One page of course progress and the token of the next page ("" on the last)."""

    progress: list[CourseProgress]
    next_page_token: str


def _stamp(value: dt.datetime) -> Timestamp:
    stamp = Timestamp()
    set_timestamp(stamp, value)
    return stamp


def _subject(learner_id: str, course_id: str) -> str:
    return f"learners/{learner_id}/courses/{course_id}"


def _audit_view(progress: CourseProgress) -> dict[str, object]:
    return {
        "attempt": progress.attempt,
        "revision": progress.course_revision,
        "state": progress.state.value,
        "percent": progress.percent,
        "complete_time": progress.complete_time,
    }


async def _course_exists(repo: ProgressRepository, course_id: str) -> None:
    """NOT_FOUND unless the course has a structure."""
    if await repo.current_revision(course_id) is None:
        raise NotFound(f"course {course_id} not found", reason="COURSE_NOT_FOUND")


def _assembled(
    snapshot: ProgressSnapshot, learner: str, course_id: str, structure: CourseStructure
) -> CourseProgress:
    """The learner's progress with per-block detail (zero progress when nothing was recorded yet)."""
    progress = snapshot.progress or dataclasses.replace(
        CourseProgress.fresh(learner, course_id, structure), time_on_task=snapshot.time_on_task
    )
    return with_blocks(progress, structure, snapshot.states)


class ProgressService:
    """Course structures, completions, progress queries and resets, independent of gRPC."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        repositories: RepositoryFactory = SqlProgressRepository,
        clock: Clock = utcnow,
        sessions: SessionRepositoryFactory = SqlSessionRepository,
        directory: DirectoryRepositoryFactory = SqlDirectoryRepository,
        hot_reads: ProgressHotReads | None = None,
    ) -> None:
        self._uow = uow_factory
        self._hot = hot_reads
        self._repositories = repositories
        self._clock = clock
        self._sessions = sessions
        self._directory = directory
        self._structures = RevisionCache()  # committed revisions only (never in update_structure)

    async def _with_time_on_task(
        self, uow: TenantUnit, rows: Sequence[CourseProgress]
    ) -> list[CourseProgress]:
        """The progress rows with the learners' time on task in their courses (one query)."""
        figures = await self._sessions(uow.session, uow.tenant_id).times_on_task(
            [(p.learner_id, p.course_id) for p in rows]
        )
        return [dataclasses.replace(p, time_on_task=figures.get((p.learner_id, p.course_id))) for p in rows]

    def _repo(self, uow: TenantUnit) -> ProgressRepository:
        return self._repositories(uow.session, uow.tenant_id)

    async def update_structure(
        self, identity: Identity, course_id: str, blocks: Sequence[Block], etag: str = ""
    ) -> CourseStructure:
        """Make `blocks` the course's next revision and recompute every learner against it (one transaction).

        Sending the current blocks again returns the current revision and changes nothing.
        """
        identity.require(Role.CLIENT_ADMIN)
        checked = validate_blocks(blocks)
        async with self._uow(identity.tenant_id, identity) as uow:
            repo = self._repo(uow)
            revision = await repo.lock_course_for_revision(course_id)
            current = await repo.get_structure(course_id, revision) if revision else None
            if current is not None:
                current.check_etag(etag)
                if current.digest == blocks_digest(checked):
                    return current
            elif etag:
                raise Aborted(f"course {course_id} has no structure yet", reason="ETAG_MISMATCH")
            structure = CourseStructure(course_id, revision + 1, checked, self._clock(), identity.user_id)
            await repo.add_structure(structure)
            recomputed, completed = await self._recompute(uow, repo, structure)
            await uow.audit(
                "course_structure.update",
                "course",
                course_id,
                before={"revision": revision, "digest": current.digest if current else None},
                after={
                    "revision": structure.revision,
                    "digest": structure.digest,
                    "recomputed": recomputed,
                    "completed": completed,
                },
            )
            await uow.commit()
        return structure

    async def get_structure(self, identity: Identity, course_id: str, revision: int = 0) -> CourseStructure:
        """A course's current structure, or one of its past revisions."""
        identity.require(Role.LEARNER)
        async with self._uow(identity.tenant_id, identity).reading() as uow:
            repo = self._repo(uow)
            number = revision or await repo.current_revision(course_id)
            structure = await self._structures.get(repo, uow.tenant_id, course_id, number) if number else None
        if structure is None:
            what = f"revision {revision} of course {course_id}" if revision else f"course {course_id}"
            raise NotFound(f"{what} not found", reason="COURSE_NOT_FOUND")
        return structure

    async def record_completion(
        self, identity: Identity, item: CompletionInput, *, path: str = "completion"
    ) -> Completion:
        """Record one completion forward-only; complete the course if it finished the last required block.

        State, completion record, events and audit commit together. A retry with the same request id
        returns the first result; a request id reused for another completion is FAILED_PRECONDITION.
        """
        validate_completion(item, path=path)
        learner = self._writer(identity, item.learner_id)
        async with self._uow(identity.tenant_id, identity) as uow:
            repo = self._repo(uow)
            # Lock order (everywhere): the course row (shared here; a revision takes it exclusively), then
            # the learner's progress in the course. One writer per learner and course at a time, so the
            # idempotency check, the forward-only merge and the course completion see every earlier write
            # (read in the next statement, whose snapshot is taken after the locks).
            revision = await repo.lock_learner_in_course(learner, item.course_id)
            if revision is None:
                raise InvalidArgument.for_field(
                    f"{path}.course_id", f"unknown course {item.course_id}", reason="UNKNOWN_COURSE"
                )
            context = await repo.completion_context(learner, item.course_id, item.request_id or None)
            if context.existing is not None:
                context.existing.check_same_request(item, learner)
                return context.existing
            # Committed: the course row is share-locked, so no revision of it is being written.
            structure = await self._structures.get(repo, uow.tenant_id, item.course_id, revision)
            block = structure.block(item.block_id) if structure else None
            if structure is None or block is None:
                raise InvalidArgument.for_field(
                    f"{path}.block_id",
                    f"course {item.course_id} (revision {revision}) has no block {item.block_id}",
                    reason="UNKNOWN_BLOCK",
                )
            now = self._clock()
            previous = context.progress or CourseProgress.fresh(learner, item.course_id, structure)
            states = dict(context.states)
            state, moved = advance(states.get(block.block_id), block.block_id, item.value, item.score, now)
            changed_state = moved or block.block_id not in states
            states[block.block_id] = state
            progress = evaluate(previous, structure, states, now, activity=True)
            completion = Completion(
                completion_id=uuid.uuid4(),
                learner_id=learner,
                course_id=item.course_id,
                block_id=block.block_id,
                value=item.value,
                score=item.score,
                request_id=item.request_id or None,
                course_revision=structure.revision,
                attempt=progress.attempt,
                applied=moved,
                block_completed=block.is_completed(state),
                course_completed=progress.is_completed and not previous.is_completed,
                create_time=now,
                recorded_by=identity.user_id,
            )
            if not await repo.save_completion(progress, state if changed_state else None, completion):
                raise Aborted(
                    f"a concurrent request with request_id {item.request_id} is being recorded; retry",
                    reason="REQUEST_ID_IN_FLIGHT",
                )
            if moved:
                await self._publish_block_completed(uow, completion, state)
            if completion.course_completed:
                await self._publish_course_completed(uow, progress)
            await uow.audit(
                "completion.record",
                "completion",
                str(completion.completion_id),
                before=_audit_view(previous),
                after={**_audit_view(progress), "block_id": block.block_id, "value": state.value},
            )
            await uow.commit()
        return completion

    async def record_completions(
        self, identity: Identity, items: Sequence[CompletionInput]
    ) -> list[Completion | DomainError]:
        """Record each item in its own transaction; an item's domain error is its result, not the batch's,
        and so is a database failure a client may retry (a lost race or connection): the items before it
        are committed, so the caller needs every item's own answer."""
        results: list[Completion | DomainError] = []
        for index, item in enumerate(items):
            try:
                results.append(await self.record_completion(identity, item, path=f"completions[{index}]"))
            except DomainError as error:
                results.append(error)
            except Exception as error:
                failure = database_failure(error)
                if failure is None:
                    raise
                results.append(failure)
        return results

    async def get_progress(self, identity: Identity, learner_id: str, course_id: str) -> CourseProgress:
        """A learner's progress in a course with per-block detail (zero if nothing was recorded yet).

        One statement when the caller reads their own progress (or an admin anyone's) and the revision is
        cached: the revision, progress row, block states and time on task come as one snapshot, read
        directly (`hot_reads`); a manager's read (the directory decides) and an uncached revision take a
        read unit.
        """
        direct = readable_without_directory(identity, learner_id) if self._hot is not None else None
        if self._hot is not None and direct is not None:
            snapshot = await self._hot.read_progress(identity.tenant_id, direct, course_id)
            if snapshot is None:
                raise NotFound(f"course {course_id} not found", reason="COURSE_NOT_FOUND")
            cached = self._structures.peek(identity.tenant_id, course_id, snapshot.revision)
            if cached is not None:
                return _assembled(snapshot, direct, course_id, cached)
        async with self._uow(identity.tenant_id, identity).reading() as uow:
            learner = await self._readable(uow, identity, learner_id)
            repo = self._repo(uow)
            snapshot = await repo.read_progress(learner, course_id)
            structure = (
                await self._structures.get(repo, uow.tenant_id, course_id, snapshot.revision)
                if snapshot
                else None
            )
        if snapshot is None or structure is None:
            raise NotFound(f"course {course_id} not found", reason="COURSE_NOT_FOUND")
        return _assembled(snapshot, learner, course_id, structure)

    async def list_learner_progress(
        self,
        identity: Identity,
        learner_id: str,
        state: ProgressState | None,
        requested_size: int,
        page_token: str,
    ) -> ProgressPage:
        """The learner's courses with progress, most recent activity first."""
        size = page_size(requested_size)
        async with self._uow(identity.tenant_id, identity).reading() as uow:
            learner = await self._readable(uow, identity, learner_id)
            filters = {"learner": learner, "state": state}
            cursor = decode_token(page_token, filters)
            after = (cursor.time(0), cursor.text(1)) if cursor else None
            rows = await self._repo(uow).list_learner_progress(learner, state, after, size + 1)
            rows = await self._with_time_on_task(uow, rows)
        page, token = rows[:size], ""
        if len(rows) > size:
            last = page[-1]
            activity = last.last_activity_time or EPOCH
            token = encode_token(Cursor((activity.isoformat(), last.course_id)), filters)
        return ProgressPage(page, token)

    async def list_roster(
        self,
        identity: Identity,
        course_id: str,
        state: ProgressState | None,
        order_by: str,
        requested_size: int,
        page_token: str,
    ) -> ProgressPage:
        """The course's learners with progress, filtered by state, in the requested order.

        Admins see every learner; a manager only their team (direct and indirect reports), filtered in the
        query so pages stay full and the keyset cursor stays exact.
        """
        team = team_scope(identity)
        ordering = parse_order_by(order_by)
        filters = {"course": course_id, "state": state, "order": ordering.key, "desc": ordering.descending}
        cursor = decode_token(page_token, filters)
        after = None
        if cursor is not None:
            position: dt.datetime | float | str
            if ordering.key is RosterOrder.LAST_ACTIVITY:
                position = cursor.time(0)
            elif ordering.key is RosterOrder.PERCENT:
                position = cursor.number(0)
            else:
                position = cursor.text(0)
            after = (position, cursor.text(1))
        size = page_size(requested_size)
        # Progress rows prove their course exists; only an empty page needs the extra statement.
        if self._hot is not None and team is None:  # an admin's roster: everyone, read directly
            rows = await self._hot.list_roster(
                identity.tenant_id, course_id, state, ordering, after, size + 1
            )
            if not rows:
                async with self._uow(identity.tenant_id, identity).reading() as uow:
                    await _course_exists(self._repo(uow), course_id)
        else:
            async with self._uow(identity.tenant_id, identity).reading() as uow:
                repo = self._repo(uow)
                rows = await repo.list_roster(course_id, state, ordering, after, size + 1, team_of=team)
                if not rows:
                    await _course_exists(repo, course_id)
        page, token = rows[:size], ""
        if len(rows) > size:
            last = page[-1]
            key = sort_key(last, ordering.key)
            value = key.isoformat() if isinstance(key, dt.datetime) else key
            token = encode_token(Cursor((value, last.learner_id)), filters)
        return ProgressPage(page, token)

    async def reset_progress(
        self, identity: Identity, learner_id: str, course_id: str, reason: str = ""
    ) -> CourseProgress:
        """Archive the learner's current attempt and start a new one from zero (admins; audited, evented).

        Progress with nothing recorded is returned unchanged, so a retried reset resets once.
        """
        identity.require(Role.CLIENT_ADMIN)
        learner = identity.user_id if learner_id == "me" else learner_id
        async with self._uow(identity.tenant_id, identity) as uow:
            repo = self._repo(uow)
            revision = await repo.current_revision(course_id, lock=LockMode.SHARE)
            structure = (
                await self._structures.get(repo, uow.tenant_id, course_id, revision) if revision else None
            )
            if structure is None:
                raise NotFound(f"course {course_id} not found", reason="COURSE_NOT_FOUND")
            await repo.lock_learner_course(learner, course_id)
            current = await repo.get_progress(learner, course_id)
            if current is None or current.state is ProgressState.NOT_STARTED:
                (unchanged,) = await self._with_time_on_task(
                    uow, [current or CourseProgress.fresh(learner, course_id, structure)]
                )
                return with_blocks(unchanged, structure, {})
            now, reset_id = self._clock(), uuid.uuid4()
            await repo.archive_attempt(learner, course_id, current.attempt, reset_id, now)
            await repo.add_reset(ProgressReset(reset_id, current, reason.strip(), identity.user_id, now))
            fresh = CourseProgress.fresh(learner, course_id, structure, attempt=current.attempt + 1)
            await repo.save_progress(fresh)
            # Time on task is the learner's in the course, across attempts: a reset keeps it, as reads do.
            (answer,) = await self._with_time_on_task(uow, [fresh])
            await uow.publish(
                PROGRESS_RESET,
                _subject(learner, course_id),
                events_pb2.ProgressReset(
                    learner_id=learner,
                    course_id=course_id,
                    reset_at=_stamp(now),
                    course_revision=structure.revision,
                    archived_attempt=current.attempt,
                    attempt=fresh.attempt,
                    was_completed=current.is_completed,
                    reason=reason.strip(),
                ),
            )
            await uow.audit(
                "course_progress.reset",
                "course_progress",
                _subject(learner, course_id),
                before=_audit_view(current),
                after={**_audit_view(fresh), "reset_id": str(reset_id), "reason": reason.strip()},
            )
            await uow.commit()
        return with_blocks(answer, structure, {})

    async def _recompute(
        self, uow: UnitOfWork, repo: ProgressRepository, structure: CourseStructure
    ) -> tuple[int, int]:
        """Recompute every learner of the course against a new revision; returns (changed, completed)."""
        states = await repo.course_block_states(structure.course_id)
        changed = completed = 0
        for previous in await repo.list_course_progress(structure.course_id):
            progress = evaluate(
                previous, structure, states.get(previous.learner_id, {}), structure.create_time
            )
            if progress == previous:
                continue
            changed += 1
            await repo.save_progress(progress)
            if progress.is_completed and not previous.is_completed:
                completed += 1
                await self._publish_course_completed(uow, progress)
        return changed, completed

    @staticmethod
    async def _publish_block_completed(uow: UnitOfWork, completion: Completion, state: BlockState) -> None:
        payload = events_pb2.BlockCompleted(
            learner_id=completion.learner_id,
            course_id=completion.course_id,
            block_id=completion.block_id,
            value=state.value,
            score=state.score,
            completed=completion.block_completed,
            completed_at=_stamp(completion.create_time),
            course_revision=completion.course_revision,
            attempt=completion.attempt,
            completion_id=str(completion.completion_id),
        )
        await uow.publish(BLOCK_COMPLETED, _subject(completion.learner_id, completion.course_id), payload)

    @staticmethod
    async def _publish_course_completed(uow: UnitOfWork, progress: CourseProgress) -> None:
        assert progress.complete_time is not None
        payload = events_pb2.CourseCompleted(
            learner_id=progress.learner_id,
            course_id=progress.course_id,
            completed_at=_stamp(progress.complete_time),
            course_revision=progress.course_revision,
            attempt=progress.attempt,
            percent=progress.percent,
        )
        await uow.publish(COURSE_COMPLETED, _subject(progress.learner_id, progress.course_id), payload)

    @staticmethod
    def _writer(identity: Identity, learner_id: str) -> str:
        """The learner a completion is for: the caller themselves, or anyone for admins and services."""
        identity.require(Role.LEARNER)
        if identity.is_self(learner_id):
            return identity.user_id
        if not identity.has_role(Role.CLIENT_ADMIN):
            raise PermissionDenied(
                "recording progress for another learner requires the client_admin role or a service token"
            )
        return learner_id

    async def _readable(self, uow: TenantUnit, identity: Identity, learner_id: str) -> str:
        """The learner whose progress is read: learners their own, managers their team's, admins anyone's."""
        directory = self._directory(uow.session, uow.tenant_id)
        return await readable_learner(identity, learner_id, directory.reports_to, "progress")
