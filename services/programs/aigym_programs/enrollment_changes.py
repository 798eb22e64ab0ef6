"""Steps shared by the use cases that change one enrolment (withdraw, approve, override dates): who may
see it, locking it for a change, saving a state change with its audit record, and the audited fields."""

from __future__ import annotations

import dataclasses
import uuid

from aigym_platform.db import UnitOfWork
from aigym_platform.errors import NotFound, PermissionDenied
from aigym_platform.identity import Identity
from aigym_programs.directory_repository import DirectoryRepository
from aigym_programs.directory_service import team_scope
from aigym_programs.enrollment import Enrollment, EnrollmentState
from aigym_programs.enrollment_repository import EnrollmentRepository


def audit_view(enrollment: Enrollment) -> dict[str, object]:
    """The audited fields of an enrolment (the before and after of its audit records)."""
    return {
        "learner_id": enrollment.learner_id,
        "program_id": str(enrollment.program_id),
        "state": enrollment.state.value,
        "program_version": enrollment.program_version,
        "start": enrollment.dates.start,
        "due": enrollment.dates.due,
        "end": enrollment.dates.end,
    }


def may_see(identity: Identity, enrollment: Enrollment, scope: frozenset[str] | None) -> bool:
    """True if `identity` may see the enrolment: their own, or a learner within their `team_scope`."""
    return enrollment.learner_id == identity.user_id or scope is None or enrollment.learner_id in scope


async def locked_for_change(
    repo: EnrollmentRepository,
    directory: DirectoryRepository,
    identity: Identity,
    program_id: uuid.UUID,
    enrollment_id: uuid.UUID,
    action: str,
    *,
    self_allowed: bool,
) -> Enrollment:
    """The enrolment locked for `action`: NOT_FOUND unless it is the program's and `identity` may see it,
    PERMISSION_DENIED unless they are an admin, the learner's manager or (if `self_allowed`) the learner."""
    current = await repo.get(enrollment_id, for_update=True)
    scope = await team_scope(directory, identity)
    if current is None or current.program_id != program_id or not may_see(identity, current, scope):
        raise NotFound(f"enrollment {enrollment_id} not found", reason="ENROLLMENT_NOT_FOUND")
    # Admins act on everyone, managers on their team (the scope), learners only on themselves.
    in_team = scope is None or current.learner_id in scope
    if not in_team and not (self_allowed and current.learner_id == identity.user_id):
        raise PermissionDenied(f"only an admin or the learner's manager may {action} this enrolment")
    return current


async def save_state_change(
    uow: UnitOfWork, repo: EnrollmentRepository, current: Enrollment, target: EnrollmentState, action: str
) -> Enrollment:
    """`current` (which must be open) moved to `target`: saved and audited as `enrollment.<action>`."""
    current.check_open(action)
    changed = dataclasses.replace(current, state=target)
    await repo.save_state(changed)
    await uow.audit(
        f"enrollment.{action}",
        "enrollment",
        str(current.enrollment_id),
        before=audit_view(current),
        after=audit_view(changed),
    )
    return changed
