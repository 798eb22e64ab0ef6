"""Course structures: the course row (its current revision, locked by writers) and its revisions."""

from __future__ import annotations

import enum
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from aigym_platform.identity import TenantId
from aigym_progress.structure import CourseStructure, blocks_from_json, blocks_to_json
from aigym_progress.tables import CourseRevisionRow, CourseRow


class LockMode(enum.Enum):
    """How a read of a course row locks it: completions share it, structure revisions take it alone."""

    NONE = "none"
    SHARE = "share"
    UPDATE = "update"


class CourseStructures(Protocol):
    """Courses and their structure revisions."""

    async def current_revision(self, course_id: str, *, lock: LockMode = LockMode.NONE) -> int | None:
        """The course's current structure revision, or None for an unknown course."""

    async def lock_course_for_revision(self, course_id: str) -> int:
        """Lock the course row for a new revision (creating it if new); return its current revision or 0."""

    async def get_structure(self, course_id: str, revision: int) -> CourseStructure | None:
        """One revision of a course's structure, or None."""

    async def add_structure(self, structure: CourseStructure) -> None:
        """Insert a new revision and make it the course's current one."""


class SqlCourseStructures:
    """PostgreSQL implementation of CourseStructures; one part of SqlProgressRepository (which holds the
    session and tenant)."""

    _session: AsyncSession
    _tenant: TenantId

    async def current_revision(self, course_id: str, *, lock: LockMode = LockMode.NONE) -> int | None:
        """The course's current structure revision, or None for an unknown course."""
        stmt = select(CourseRow.current_revision).where(
            CourseRow.tenant_id == self._tenant, CourseRow.course_id == course_id
        )
        if lock is not LockMode.NONE:
            stmt = stmt.with_for_update(read=lock is LockMode.SHARE)
        revision = (await self._session.execute(stmt)).scalar_one_or_none()
        return revision or None

    async def lock_course_for_revision(self, course_id: str) -> int:
        """Lock the course row for a new revision (creating it if new); return its current revision or 0."""
        await self._session.execute(
            insert(CourseRow)
            .values(tenant_id=self._tenant, course_id=course_id, current_revision=0)
            .on_conflict_do_nothing()
        )
        return await self.current_revision(course_id, lock=LockMode.UPDATE) or 0

    async def get_structure(self, course_id: str, revision: int) -> CourseStructure | None:
        """One revision of a course's structure, or None."""
        row = await self._session.get(CourseRevisionRow, (self._tenant, course_id, revision))
        if row is None:
            return None
        return CourseStructure(
            row.course_id, row.revision, blocks_from_json(row.blocks), row.create_time, row.created_by
        )

    async def add_structure(self, structure: CourseStructure) -> None:
        """Insert a new revision and make it the course's current one."""
        self._session.add(
            CourseRevisionRow(
                tenant_id=self._tenant,
                course_id=structure.course_id,
                revision=structure.revision,
                blocks=blocks_to_json(structure.blocks),
                digest=structure.digest,
                create_time=structure.create_time,
                created_by=structure.created_by,
            )
        )
        await self._session.flush()
        await self._session.execute(
            update(CourseRow)
            .where(CourseRow.tenant_id == self._tenant, CourseRow.course_id == structure.course_id)
            .values(current_revision=structure.revision, update_time=structure.create_time)
        )
