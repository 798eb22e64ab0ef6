"""Overriding one learner's enrolment dates.

An enrolment's start, due and end times are computed from the program's rules when it is created
(`enrollment.compute_dates`, called by `EnrollmentsService`); an admin may then override them for one
learner, with a reason that is audited.
"""

from __future__ import annotations

import dataclasses
import uuid

from aigym_platform.db import UnitOfWorkFactory
from aigym_platform.errors import NotFound
from aigym_platform.events.registry import ENROLLMENT_DATES_CHANGED
from aigym_platform.identity import Identity, Role
from aigym_programs.enrollment import Enrollment, override_dates
from aigym_programs.enrollment_changes import audit_view
from aigym_programs.enrollment_repository import SqlEnrollmentRepository
from aigym_programs.enrollment_service import EnrollmentRepositoryFactory, EnrollmentRequest
from aigym_programs.events import enrollment_dates_changed, enrollment_subject


class EnrollmentDateOverrides:
    """Per-learner overrides of enrolment dates, independent of gRPC."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        enrollments: EnrollmentRepositoryFactory = SqlEnrollmentRepository,
    ) -> None:
        self._uow = uow_factory
        self._enrollments = enrollments

    async def update_dates(
        self,
        identity: Identity,
        program_id: uuid.UUID,
        enrollment_id: uuid.UUID,
        mask: frozenset[str],
        request: EnrollmentRequest,
        reason: str,
    ) -> Enrollment:
        """Override one learner's dates (the masked ones); audited with the reason and announced."""
        identity.require(Role.CLIENT_ADMIN)
        async with self._uow(identity.tenant_id, identity) as uow:
            repo = self._enrollments(uow.session, uow.tenant_id)
            current = await repo.get(enrollment_id, for_update=True)
            if current is None or current.program_id != program_id:
                raise NotFound(f"enrollment {enrollment_id} not found", reason="ENROLLMENT_NOT_FOUND")
            current.check_open("change the dates of")
            dates = override_dates(current.dates, mask, start=request.start, due=request.due, end=request.end)
            if dates == current.dates:
                return current
            changed = dataclasses.replace(current, dates=dates)
            await repo.save_dates(changed)
            await uow.audit(
                "enrollment.override_dates",
                "enrollment",
                str(enrollment_id),
                before=audit_view(current),
                after={**audit_view(changed), "reason": reason},
            )
            await uow.publish(
                ENROLLMENT_DATES_CHANGED, enrollment_subject(changed), enrollment_dates_changed(changed)
            )
            await uow.commit()
            return changed
