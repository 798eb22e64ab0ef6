"""Use case of the path validator: gather the learner's state, then apply the one rule (`validate_path`)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from aigym_platform.db import UnitOfWorkFactory
from aigym_platform.identity import Identity, Role, TenantId
from aigym_platform.teams import readable_learner
from aigym_progress.directory_repository import SqlDirectoryRepository
from aigym_progress.directory_service import DirectoryRepositoryFactory
from aigym_progress.domain import ProgressState
from aigym_progress.path import (
    CourseState,
    EnrollmentStatus,
    EnrollmentView,
    LearnerState,
    PathDecision,
    ProgramTree,
    validate_path,
)
from aigym_progress.programs_client import ProgramsDirectory
from aigym_progress.repository import ProgressRepository, SqlProgressRepository

RepositoryFactory = Callable[[AsyncSession, TenantId], ProgressRepository]
Clock = Callable[[], dt.datetime]
MAX_COURSES = 1000


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class WhatIf:
    """A hypothetical learner state an admin asks about."""

    completed_courses: Sequence[tuple[str, dt.datetime | None]] = ()
    ignore_recorded: bool = False
    evaluate_time: dt.datetime | None = None
    assume_enrolled: bool = False


@dataclass(frozen=True)
class PathAnswer:
    """The validator's decision with what it was computed for."""

    decision: PathDecision
    learner_id: str
    evaluate_time: dt.datetime
    hypothetical: bool


class PathService:
    """May a learner start a program item now: enrolment and rules from programs, progress from here."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        programs: ProgramsDirectory,
        repositories: RepositoryFactory = SqlProgressRepository,
        clock: Clock = _utcnow,
        directory: DirectoryRepositoryFactory = SqlDirectoryRepository,
    ) -> None:
        self._uow = uow_factory
        self._programs = programs
        self._repositories = repositories
        self._clock = clock
        self._directory = directory

    async def validate_path(
        self,
        identity: Identity,
        program_id: str,
        item_id: str,
        learner_id: str = "",
        what_if: WhatIf | None = None,
    ) -> PathAnswer:
        """Evaluate `item_id` of the learner's enrolment in `program_id` (or a hypothetical state, admins)."""
        learner = await self._readable(identity, learner_id or "me")
        if what_if is not None:
            identity.require(Role.CLIENT_ADMIN)
        now = (what_if.evaluate_time if what_if else None) or self._clock()
        tenant = identity.tenant_id
        enrollment = await self._programs.enrollment(tenant, learner, program_id)
        usable = enrollment is not None and enrollment.status in (
            EnrollmentStatus.ACTIVE,
            EnrollmentStatus.COMPLETED,
        )
        if what_if is not None and what_if.assume_enrolled and not usable:
            version = await self._programs.current_version(tenant, program_id)
            enrollment = EnrollmentView(EnrollmentStatus.ACTIVE, version, now)
        version = (
            enrollment.version if enrollment else await self._programs.current_version(tenant, program_id)
        )
        tree = await self._programs.program_version(tenant, program_id, version)
        courses = (
            {}
            if what_if and what_if.ignore_recorded
            else await self._recorded(tenant, identity, learner, tree)
        )
        if what_if is not None:
            for course_id, when in what_if.completed_courses:
                courses[course_id] = CourseState(when or now)
        decision = validate_path(tree, item_id, LearnerState(enrollment, courses), now)
        return PathAnswer(decision, learner, now, what_if is not None)

    async def _recorded(
        self, tenant: TenantId, identity: Identity, learner: str, tree: ProgramTree
    ) -> dict[str, CourseState]:
        """The learner's courses of the tree: completion times; whether only a minimum score is missing."""
        wanted = {n.course_id for n in tree.nodes if n.course_id}
        states: dict[str, CourseState] = {}
        async with self._uow(tenant, identity) as uow:
            repo = self._repositories(uow.session, tenant)
            rows = await repo.list_learner_progress(learner, None, None, MAX_COURSES)
            for progress in rows:
                if progress.course_id not in wanted:
                    continue
                state = CourseState(progress.complete_time)
                if progress.complete_time is None and progress.state is ProgressState.IN_PROGRESS:
                    structure = await repo.get_structure(progress.course_id, progress.course_revision)
                    blocks = await repo.get_block_states(learner, progress.course_id, progress.attempt)
                    if structure is not None:
                        required = [b for b in structure.blocks if b.required]
                        all_done = all(
                            b.block_id in blocks and blocks[b.block_id].value >= 1.0 for b in required
                        )
                        missing_score = any(not b.is_completed(blocks.get(b.block_id)) for b in required)
                        state = dataclasses.replace(state, score_shortfall=all_done and missing_score)
                states[progress.course_id] = state
        return states

    async def _readable(self, identity: Identity, learner_id: str) -> str:
        """The learner whose path is validated: the caller, their team (managers), anyone (admins)."""
        async with self._uow(identity.tenant_id, identity) as uow:
            directory = self._directory(uow.session, uow.tenant_id)
            return await readable_learner(identity, learner_id, directory.reports_to, "learning path")
