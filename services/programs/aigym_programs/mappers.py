"""proto <-> domain conversion for the programs service."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from google.protobuf import duration_pb2

from aigym.programs.v1 import programs_pb2
from aigym_platform.errors import InvalidArgument
from aigym_platform.timestamps import set_timestamp
from aigym_programs.directory import ChangeKind, ImportPlan, LearnerEntry
from aigym_programs.domain import Program, ProgramDraft, ProgramState, ProgramVersion, Visibility
from aigym_programs.enrollment import Enrollment, EnrollmentChange, EnrollmentSource, EnrollmentState
from aigym_programs.enrollment_service import (
    ALREADY_ENROLLED,
    CREATED,
    INVALID,
    WOULD_CREATE,
    BatchResult,
    EnrollmentRequest,
)
from aigym_programs.repository import ProgramFilter
from aigym_programs.structure import Node, NodeKind, Rule, Structure

_STATE_TO_PROTO = {
    ProgramState.DRAFT: programs_pb2.PROGRAM_STATE_DRAFT,
    ProgramState.PUBLISHED: programs_pb2.PROGRAM_STATE_PUBLISHED,
    ProgramState.ARCHIVED: programs_pb2.PROGRAM_STATE_ARCHIVED,
}
_STATE_FROM_PROTO = {v: k for k, v in _STATE_TO_PROTO.items()}
_VISIBILITY_TO_PROTO = {
    Visibility.PUBLIC: programs_pb2.VISIBILITY_PUBLIC,
    Visibility.RESTRICTED: programs_pb2.VISIBILITY_RESTRICTED,
}
_VISIBILITY_FROM_PROTO = {v: k for k, v in _VISIBILITY_TO_PROTO.items()}


_KIND_FROM_PROTO = {
    programs_pb2.NODE_KIND_COURSE: NodeKind.COURSE,
    programs_pb2.NODE_KIND_SET: NodeKind.SET,
    programs_pb2.NODE_KIND_MILESTONE: NodeKind.MILESTONE,
}
_KIND_TO_PROTO = {v: k for k, v in _KIND_FROM_PROTO.items()}
_RULE_FROM_PROTO = {
    programs_pb2.COMPLETION_RULE_ALL_IN_ORDER: Rule.ALL_IN_ORDER,
    programs_pb2.COMPLETION_RULE_ALL_ANY_ORDER: Rule.ALL_ANY_ORDER,
    programs_pb2.COMPLETION_RULE_AT_LEAST_N: Rule.AT_LEAST_N,
    programs_pb2.COMPLETION_RULE_MIN_POINTS: Rule.MIN_POINTS,
}
_RULE_TO_PROTO = {v: k for k, v in _RULE_FROM_PROTO.items()}


def _duration(message: Any, name: str) -> dt.timedelta | None:
    return getattr(message, name).ToTimedelta() if message.HasField(name) else None


def nodes_from_proto(structure: programs_pb2.ProgramStructure) -> list[Node]:
    """Structure nodes as the client sent them (validated by the domain)."""
    return [
        Node(
            node_id=n.node_id,
            kind=_KIND_FROM_PROTO[n.kind],
            parent_id=n.parent_id,
            title=n.title.strip(),
            course_id=n.course_id.strip(),
            rule=_RULE_FROM_PROTO.get(n.rule),
            required_count=n.required_count,
            required_points=n.required_points,
            points=n.points,
            start_delay=_duration(n, "start_delay"),
            due_offset=_duration(n, "due_offset"),
        )
        for n in structure.nodes
    ]


def structure_to_proto(structure: Structure) -> programs_pb2.ProgramStructure:
    """A structure as its API message."""
    message = programs_pb2.ProgramStructure()
    for node in structure.nodes:
        item = message.nodes.add(
            node_id=node.node_id,
            parent_id=node.parent_id,
            kind=_KIND_TO_PROTO[node.kind],
            title=node.title,
            course_id=node.course_id,
            rule=_RULE_TO_PROTO[node.rule] if node.rule else programs_pb2.COMPLETION_RULE_UNSPECIFIED,
            required_count=node.required_count,
            required_points=node.required_points,
            points=node.points,
        )
        for name in ("start_delay", "due_offset"):
            value = getattr(node, name)
            if value is not None:
                duration = duration_pb2.Duration()
                duration.FromTimedelta(value)
                getattr(item, name).CopyFrom(duration)
    return message


def version_to_proto(version: ProgramVersion) -> programs_pb2.ProgramVersion:
    """A published version as its API resource."""
    message = programs_pb2.ProgramVersion(
        program_id=str(version.program_id),
        version=version.version,
        title=version.title,
        description=version.description,
        structure=structure_to_proto(version.structure),
        published_by=version.published_by,
    )
    set_timestamp(message.publish_time, version.publish_time)
    return message


def parse_id(value: str, field: str) -> uuid.UUID:
    """A UUID from a request field; INVALID_ARGUMENT naming the field otherwise."""
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise InvalidArgument.for_field(field, "must be a valid UUID", reason="INVALID_ID") from exc


def _time(message: Any, name: str) -> dt.datetime | None:
    return getattr(message, name).ToDatetime(tzinfo=dt.UTC) if message.HasField(name) else None


def _set_time(message: Any, name: str, value: dt.datetime | None) -> None:
    if value is not None:
        set_timestamp(getattr(message, name), value)


def _set_duration(message: Any, name: str, value: dt.timedelta | None) -> None:
    if value is not None:
        getattr(message, name).FromTimedelta(value)


def draft_from_proto(message: programs_pb2.Program) -> ProgramDraft:
    """The client-writable content of a Program message."""
    return ProgramDraft(
        title=message.title,
        description=message.description,
        tags=tuple(message.tags),
        visibility=_VISIBILITY_FROM_PROTO.get(message.visibility, Visibility.RESTRICTED),
        self_enrollment_allowed=message.self_enrollment_allowed,
        enrollment_open_time=_time(message, "enrollment_open_time"),
        enrollment_close_time=_time(message, "enrollment_close_time"),
        default_due_offset=_duration(message, "default_due_offset"),
        default_access_duration=_duration(message, "default_access_duration"),
        default_due_time=_time(message, "default_due_time"),
        default_end_time=_time(message, "default_end_time"),
    )


def program_to_proto(program: Program, *, with_structure: bool = True) -> programs_pb2.Program:
    """A stored program as its API resource (without `structure` for a BASIC view)."""
    message = programs_pb2.Program(
        program_id=str(program.program_id),
        title=program.content.title,
        description=program.content.description,
        tags=list(program.content.tags),
        visibility=_VISIBILITY_TO_PROTO[program.content.visibility],
        self_enrollment_allowed=program.content.self_enrollment_allowed,
        state=_STATE_TO_PROTO[program.state],
        etag=program.etag,
        structure=structure_to_proto(program.structure) if with_structure else None,
        current_version=program.current_version,
        has_unpublished_changes=program.has_unpublished_changes,
    )
    set_timestamp(message.create_time, program.create_time)
    set_timestamp(message.update_time, program.update_time)
    content = program.content
    _set_time(message, "enrollment_open_time", content.enrollment_open_time)
    _set_time(message, "enrollment_close_time", content.enrollment_close_time)
    _set_duration(message, "default_due_offset", content.default_due_offset)
    _set_duration(message, "default_access_duration", content.default_access_duration)
    _set_time(message, "default_due_time", content.default_due_time)
    _set_time(message, "default_end_time", content.default_end_time)
    return message


_ENROLLMENT_STATE_TO_PROTO = {
    EnrollmentState.PENDING_APPROVAL: programs_pb2.ENROLLMENT_STATE_PENDING_APPROVAL,
    EnrollmentState.ACTIVE: programs_pb2.ENROLLMENT_STATE_ACTIVE,
    EnrollmentState.COMPLETED: programs_pb2.ENROLLMENT_STATE_COMPLETED,
    EnrollmentState.WITHDRAWN: programs_pb2.ENROLLMENT_STATE_WITHDRAWN,
    EnrollmentState.EXPIRED: programs_pb2.ENROLLMENT_STATE_EXPIRED,
}
_ENROLLMENT_STATE_FROM_PROTO: dict[int, EnrollmentState] = {
    v: k for k, v in _ENROLLMENT_STATE_TO_PROTO.items()
}
_SOURCE_TO_PROTO = {
    EnrollmentSource.ADMIN: programs_pb2.ENROLLMENT_SOURCE_ADMIN,
    EnrollmentSource.SELF: programs_pb2.ENROLLMENT_SOURCE_SELF,
    EnrollmentSource.REQUEST: programs_pb2.ENROLLMENT_SOURCE_REQUEST,
    EnrollmentSource.MANAGER: programs_pb2.ENROLLMENT_SOURCE_MANAGER,
}
_OUTCOME_TO_PROTO = {
    CREATED: programs_pb2.BATCH_OUTCOME_CREATED,
    WOULD_CREATE: programs_pb2.BATCH_OUTCOME_WOULD_CREATE,
    ALREADY_ENROLLED: programs_pb2.BATCH_OUTCOME_ALREADY_ENROLLED,
    INVALID: programs_pb2.BATCH_OUTCOME_INVALID,
}


def enrollment_state_from_proto(value: int) -> EnrollmentState | None:
    """A state filter (None for UNSPECIFIED)."""
    return _ENROLLMENT_STATE_FROM_PROTO.get(value)


def enrollment_request_from_proto(message: programs_pb2.Enrollment) -> EnrollmentRequest:
    """The client-writable part of an Enrollment message."""
    return EnrollmentRequest(
        learner_id=message.learner_id.strip(),
        start=_time(message, "start_time"),
        due=_time(message, "due_time"),
        end=_time(message, "end_time"),
    )


def enrollment_to_proto(enrollment: Enrollment, now: dt.datetime | None = None) -> programs_pb2.Enrollment:
    """An enrolment as its API resource (state and overdue as of `now`)."""
    message = programs_pb2.Enrollment()
    fill_enrollment(message, enrollment, now or dt.datetime.now(dt.UTC))
    return message


def fill_enrollment(message: programs_pb2.Enrollment, enrollment: Enrollment, now: dt.datetime) -> None:
    """Write an enrolment (state and overdue as of `now`) into an empty message (an element added to a
    list response is filled in place rather than built and copied in)."""
    message.enrollment_id = str(enrollment.enrollment_id)
    message.program_id = str(enrollment.program_id)
    message.learner_id = enrollment.learner_id
    message.state = _ENROLLMENT_STATE_TO_PROTO[enrollment.effective_state(now)]
    message.program_version = enrollment.program_version
    message.source = _SOURCE_TO_PROTO[enrollment.source]
    message.progress = enrollment.progress
    message.completed_course_ids.extend(enrollment.completed_course_ids)
    message.reached_milestones.extend(enrollment.reached_milestones)
    message.overdue = enrollment.is_overdue(now)
    _set_time(message, "start_time", enrollment.dates.start)
    _set_time(message, "due_time", enrollment.dates.due)
    _set_time(message, "end_time", enrollment.dates.end)
    _set_time(message, "create_time", enrollment.create_time)
    _set_time(message, "complete_time", enrollment.complete_time)


def enrollments_into(target: Any, enrollments: Sequence[Enrollment]) -> None:
    """Add `enrollments` to a list response's repeated field, filled in place, all as of one instant."""
    now = dt.datetime.now(dt.UTC)
    for enrollment in enrollments:
        fill_enrollment(target.add(), enrollment, now)


def batch_result_to_proto(result: BatchResult) -> programs_pb2.BatchEnrollmentResult:
    """One batch row's result."""
    message = programs_pb2.BatchEnrollmentResult(
        index=result.index,
        learner_id=result.learner_id,
        outcome=_OUTCOME_TO_PROTO[result.outcome],
        error=result.error,
    )
    if result.enrollment is not None:
        message.enrollment.CopyFrom(enrollment_to_proto(result.enrollment))
    return message


def filter_from_proto(request: programs_pb2.ListProgramsRequest) -> ProgramFilter:
    """Listing filters from a ListProgramsRequest."""
    return ProgramFilter(
        state=_STATE_FROM_PROTO.get(request.state),
        tag=request.tag.strip().lower() or None,
        query=request.query.strip() or None,
    )


def learner_from_proto(learner_id: str, message: programs_pb2.Learner) -> LearnerEntry:
    """A directory entry from a Learner message and its id."""
    return LearnerEntry(
        learner_id=learner_id.strip(),
        display_name=message.display_name,
        email=message.email,
        time_zone=message.time_zone,
        locale=message.locale,
        manager_id=message.manager_id,
        teams=tuple(message.teams),
        active=message.active if message.HasField("active") else True,
    )


def learner_to_proto(entry: LearnerEntry) -> programs_pb2.Learner:
    """A directory entry as its API resource."""
    message = programs_pb2.Learner(
        learner_id=entry.learner_id,
        display_name=entry.display_name,
        email=entry.email,
        time_zone=entry.time_zone,
        locale=entry.locale,
        manager_id=entry.manager_id,
        teams=list(entry.teams),
        active=entry.active,
    )
    _set_time(message, "update_time", entry.update_time)
    return message


_CHANGE_TO_PROTO = {
    ChangeKind.CREATED: programs_pb2.LEARNER_CHANGE_KIND_CREATED,
    ChangeKind.CHANGED: programs_pb2.LEARNER_CHANGE_KIND_CHANGED,
    ChangeKind.DEACTIVATED: programs_pb2.LEARNER_CHANGE_KIND_DEACTIVATED,
    ChangeKind.REACTIVATED: programs_pb2.LEARNER_CHANGE_KIND_REACTIVATED,
}


def import_plan_to_proto(plan: ImportPlan, applied: bool) -> programs_pb2.BatchUpsertLearnersResponse:
    """The diff report of a directory import."""
    return programs_pb2.BatchUpsertLearnersResponse(
        changes=[
            programs_pb2.LearnerChange(
                learner_id=c.entry.learner_id,
                kind=_CHANGE_TO_PROTO[c.kind],
                changed_fields=list(c.changed_fields),
            )
            for c in plan.changes
        ],
        created=plan.count(ChangeKind.CREATED),
        changed=plan.count(ChangeKind.CHANGED) + plan.count(ChangeKind.REACTIVATED),
        deactivated=plan.count(ChangeKind.DEACTIVATED),
        unchanged=plan.unchanged,
        applied=applied,
    )


def enrollment_change_to_proto(change: EnrollmentChange) -> programs_pb2.EnrollmentChange:
    """What a migration or recompute does to one enrolment."""
    return programs_pb2.EnrollmentChange(
        enrollment_id=str(change.after.enrollment_id),
        learner_id=change.after.learner_id,
        from_version=change.before.program_version,
        to_version=change.after.program_version,
        added_course_ids=sorted(change.added_course_ids),
        removed_course_ids=sorted(change.removed_course_ids),
        progress_before=change.before.progress,
        progress_after=change.after.progress,
        completed_before=change.before.complete_time is not None,
        completed_after=change.after.complete_time is not None,
        milestones_gained=sorted(change.milestones_gained),
        milestones_lost=sorted(change.milestones_lost),
    )
