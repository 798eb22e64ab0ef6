"""The programs service's hottest reads as direct reads (`aigym_platform.direct_reads`): one statement on
the process's own asyncpg connections, without a session or the ORM.

"My programs" and an admin's enrolment lists take this path; a manager's list (the directory decides whose
enrolments they see) and an empty admin page (is the program there at all?) take a read unit.
"""

from __future__ import annotations

import datetime as dt
import uuid

from aigym_platform.direct_reads import DirectReader
from aigym_platform.identity import TenantId
from aigym_programs.enrollment import Enrollment
from aigym_programs.enrollment_repository import EnrollmentFilter, enrollment_from_record, list_query


class EnrollmentHotReads:
    """Enrolment lists, read directly."""

    def __init__(self, reader: DirectReader) -> None:
        self._reader = reader

    async def list_enrollments(
        self,
        tenant: TenantId,
        filters: EnrollmentFilter,
        after: tuple[dt.datetime, uuid.UUID] | None,
        limit: int,
    ) -> list[Enrollment]:
        """Like `EnrollmentRepository.list_enrollments`: the same statement, the same enrolments."""
        sql, values = list_query(tenant, filters, after, limit)
        return [enrollment_from_record(row) for row in await self._reader.fetch(tenant, sql, *values)]
