"""proto <-> domain conversion for the progress service."""

from __future__ import annotations

import datetime as dt
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from aigym.progress.v1 import progress_pb2
from aigym_platform.errors import InvalidArgument
from aigym_platform.timestamps import set_timestamp
from aigym_progress.domain import Completion, CompletionInput, CourseProgress, ProgressState
from aigym_progress.path import BlockerReason
from aigym_progress.path_service import PathAnswer, WhatIf
from aigym_progress.sessions import EndReason, LearningSession, SessionInput, SessionKind, SessionState
from aigym_progress.structure import Block, BlockType, CourseStructure

_TYPE_TO_PROTO = {
    BlockType.VIDEO: progress_pb2.BLOCK_TYPE_VIDEO,
    BlockType.READING: progress_pb2.BLOCK_TYPE_READING,
    BlockType.QUIZ: progress_pb2.BLOCK_TYPE_QUIZ,
    BlockType.ASSIGNMENT: progress_pb2.BLOCK_TYPE_ASSIGNMENT,
    BlockType.INTERACTIVE: progress_pb2.BLOCK_TYPE_INTERACTIVE,
    BlockType.LIVE_SESSION: progress_pb2.BLOCK_TYPE_LIVE_SESSION,
    BlockType.OTHER: progress_pb2.BLOCK_TYPE_OTHER,
}
_TYPE_FROM_PROTO: dict[int, BlockType] = {v: k for k, v in _TYPE_TO_PROTO.items()}
_STATE_TO_PROTO = {
    ProgressState.NOT_STARTED: progress_pb2.PROGRESS_STATE_NOT_STARTED,
    ProgressState.IN_PROGRESS: progress_pb2.PROGRESS_STATE_IN_PROGRESS,
    ProgressState.COMPLETED: progress_pb2.PROGRESS_STATE_COMPLETED,
}
_STATE_FROM_PROTO: dict[int, ProgressState] = {v: k for k, v in _STATE_TO_PROTO.items()}


def _stamp(value: dt.datetime) -> Timestamp:
    stamp = Timestamp()
    set_timestamp(stamp, value)
    return stamp


def blocks_from_proto(structure: progress_pb2.CourseStructure) -> list[Block]:
    """The blocks of a structure as the client sent them (validated by the domain)."""
    blocks = []
    for i, b in enumerate(structure.blocks):
        if b.type not in _TYPE_FROM_PROTO:
            raise InvalidArgument.for_field(f"structure.blocks[{i}].type", "must be a defined block type")
        blocks.append(
            Block(
                block_id=b.block_id,
                type=_TYPE_FROM_PROTO[b.type],
                weight=b.weight,
                required=b.required,
                min_score=b.min_score if b.HasField("min_score") else None,
            )
        )
    return blocks


def structure_to_proto(structure: CourseStructure) -> progress_pb2.CourseStructure:
    """A structure revision as its API resource."""
    message = progress_pb2.CourseStructure(
        course_id=structure.course_id,
        revision=structure.revision,
        etag=structure.etag,
        created_by=structure.created_by,
        create_time=_stamp(structure.create_time),
    )
    for block in structure.blocks:
        item = message.blocks.add(
            block_id=block.block_id,
            type=_TYPE_TO_PROTO[block.type],
            weight=block.weight,
            required=block.required,
        )
        if block.min_score is not None:
            item.min_score = block.min_score
    return message


def completion_from_proto(message: progress_pb2.Completion) -> CompletionInput:
    """The client-writable fields of a Completion message."""
    return CompletionInput(
        learner_id=message.learner_id,
        course_id=message.course_id,
        block_id=message.block_id,
        value=message.value,
        score=message.score if message.HasField("score") else None,
        request_id=message.request_id,
    )


def completion_to_proto(completion: Completion) -> progress_pb2.Completion:
    """A recorded completion as its API resource."""
    message = progress_pb2.Completion(
        completion_id=str(completion.completion_id),
        learner_id=completion.learner_id,
        course_id=completion.course_id,
        block_id=completion.block_id,
        value=completion.value,
        request_id=completion.request_id or "",
        course_revision=completion.course_revision,
        applied=completion.applied,
        block_completed=completion.block_completed,
        course_completed=completion.course_completed,
        create_time=_stamp(completion.create_time),
        recorded_by=completion.recorded_by,
    )
    if completion.score is not None:
        message.score = completion.score
    return message


def progress_to_proto(progress: CourseProgress) -> progress_pb2.CourseProgress:
    """A learner's course progress as its API message (with blocks when the domain object has them)."""
    message = progress_pb2.CourseProgress()
    fill_progress(message, progress)
    return message


def fill_progress(message: progress_pb2.CourseProgress, progress: CourseProgress) -> None:
    """Write a learner's course progress into an empty message (an element added to a response's repeated
    field is filled in place: building messages and copying them in costs a roster page a copy each)."""
    message.learner_id = progress.learner_id
    message.course_id = progress.course_id
    message.course_revision = progress.course_revision
    message.state = _STATE_TO_PROTO[progress.state]
    message.percent = progress.percent
    message.completed_blocks = progress.completed_blocks
    message.total_blocks = progress.total_blocks
    message.completed_required_blocks = progress.completed_required_blocks
    message.required_blocks = progress.required_blocks
    message.attempt = progress.attempt
    if progress.time_on_task is not None:
        message.time_on_task_seconds = progress.time_on_task.seconds
        message.time_on_task_algorithm = progress.time_on_task.algorithm
    if progress.start_time is not None:
        set_timestamp(message.start_time, progress.start_time)
    if progress.last_activity_time is not None:
        set_timestamp(message.last_activity_time, progress.last_activity_time)
    if progress.complete_time is not None:
        set_timestamp(message.complete_time, progress.complete_time)
    for view in progress.blocks:
        block = message.blocks.add(block_id=view.block_id, value=view.value, completed=view.completed)
        if view.score is not None:
            block.score = view.score
        if view.update_time is not None:
            set_timestamp(block.update_time, view.update_time)


def state_from_proto(state: int) -> ProgressState | None:
    """A state filter (UNSPECIFIED: any state)."""
    return _STATE_FROM_PROTO.get(state)


_KIND_TO_PROTO = {
    SessionKind.ONLINE: progress_pb2.SESSION_KIND_ONLINE,
    SessionKind.OFFLINE: progress_pb2.SESSION_KIND_OFFLINE,
}
_SESSION_STATE_TO_PROTO = {
    SessionState.OPEN: progress_pb2.SESSION_STATE_OPEN,
    SessionState.CLOSED: progress_pb2.SESSION_STATE_CLOSED,
    SessionState.PENDING_APPROVAL: progress_pb2.SESSION_STATE_PENDING_APPROVAL,
    SessionState.REJECTED: progress_pb2.SESSION_STATE_REJECTED,
}
_SESSION_STATE_FROM_PROTO: dict[int, SessionState] = {v: k for k, v in _SESSION_STATE_TO_PROTO.items()}
_END_REASON_TO_PROTO = {
    EndReason.ENDED: progress_pb2.SESSION_END_REASON_ENDED,
    EndReason.IDLE_TIMEOUT: progress_pb2.SESSION_END_REASON_IDLE_TIMEOUT,
    EndReason.OFFLINE_APPROVED: progress_pb2.SESSION_END_REASON_OFFLINE_APPROVED,
}


def session_from_proto(message: progress_pb2.LearningSession) -> SessionInput:
    """The client-writable fields of a LearningSession (kind unset: online)."""
    kind = SessionKind.OFFLINE if message.kind == progress_pb2.SESSION_KIND_OFFLINE else SessionKind.ONLINE
    return SessionInput(
        learner_id=message.learner_id,
        course_id=message.course_id,
        kind=kind,
        start_time=message.start_time.ToDatetime(dt.UTC) if message.HasField("start_time") else None,
        end_time=message.end_time.ToDatetime(dt.UTC) if message.HasField("end_time") else None,
        request_id=message.request_id,
        note=message.note,
    )


def session_to_proto(session: LearningSession) -> progress_pb2.LearningSession:
    """A learning session as its API resource."""
    message = progress_pb2.LearningSession(
        session_id=str(session.session_id),
        learner_id=session.learner_id,
        course_id=session.course_id,
        kind=_KIND_TO_PROTO[session.kind],
        start_time=_stamp(session.start_time),
        request_id=session.request_id or "",
        note=session.note,
        state=_SESSION_STATE_TO_PROTO[session.state],
        last_signal_time=_stamp(session.last_signal_time),
        heartbeats=session.heartbeats,
        active_seconds=session.active_seconds,
        time_on_task_algorithm=session.algorithm,
        created_by=session.created_by,
        decided_by=session.decided_by or "",
        decision_reason=session.decision_reason,
    )
    if session.end_reason is not None:
        message.end_reason = _END_REASON_TO_PROTO[session.end_reason]
    if session.end_time is not None:
        message.end_time.CopyFrom(_stamp(session.end_time))
    if session.decide_time is not None:
        message.decide_time.CopyFrom(_stamp(session.decide_time))
    if session.time_on_task is not None:
        message.time_on_task_seconds = session.time_on_task.seconds
        message.time_on_task_algorithm = session.time_on_task.algorithm
    return message


def session_state_from_proto(state: int) -> SessionState | None:
    """A session state filter (UNSPECIFIED: any state)."""
    return _SESSION_STATE_FROM_PROTO.get(state)


_BLOCKER_TO_PROTO = {
    BlockerReason.NOT_ENROLLED: progress_pb2.PATH_BLOCKER_REASON_NOT_ENROLLED,
    BlockerReason.UNMET_PREREQUISITE: progress_pb2.PATH_BLOCKER_REASON_UNMET_PREREQUISITE,
    BlockerReason.SET_RULE_NOT_SATISFIED: progress_pb2.PATH_BLOCKER_REASON_SET_RULE_NOT_SATISFIED,
    BlockerReason.NOT_YET_OPEN: progress_pb2.PATH_BLOCKER_REASON_NOT_YET_OPEN,
    BlockerReason.CLOSED: progress_pb2.PATH_BLOCKER_REASON_CLOSED,
    BlockerReason.MIN_SCORE_NOT_REACHED: progress_pb2.PATH_BLOCKER_REASON_MIN_SCORE_NOT_REACHED,
}


def what_if_from_proto(request: progress_pb2.ValidatePathRequest) -> WhatIf | None:
    """The hypothetical state of a ValidatePath request (None when the request has none)."""
    if not request.HasField("what_if"):
        return None
    what_if = request.what_if
    return WhatIf(
        completed_courses=[
            (c.course_id, c.complete_time.ToDatetime(dt.UTC) if c.HasField("complete_time") else None)
            for c in what_if.completed_courses
        ],
        ignore_recorded=what_if.ignore_recorded,
        evaluate_time=what_if.evaluate_time.ToDatetime(dt.UTC) if what_if.HasField("evaluate_time") else None,
        assume_enrolled=what_if.assume_enrolled,
    )


def path_to_proto(answer: PathAnswer) -> progress_pb2.PathValidation:
    """The validator's answer as its API message."""
    decision = answer.decision
    message = progress_pb2.PathValidation(
        allowed=decision.allowed,
        completed=decision.completed,
        learner_id=answer.learner_id,
        program_version=decision.version,
        evaluate_time=_stamp(answer.evaluate_time),
        hypothetical=answer.hypothetical,
    )
    for blocker in decision.blockers:
        item = message.blockers.add(
            reason=_BLOCKER_TO_PROTO[blocker.reason],
            node_id=blocker.node_id,
            course_id=blocker.course_id,
            message=blocker.message,
            have=blocker.have,
            need=blocker.need,
        )
        if blocker.open_time is not None:
            item.open_time.CopyFrom(_stamp(blocker.open_time))
    if decision.earliest_open_time is not None:
        message.earliest_open_time.CopyFrom(_stamp(decision.earliest_open_time))
    if decision.due_time is not None:
        message.item_due_time.CopyFrom(_stamp(decision.due_time))
    for node in decision.next_eligible:
        message.next_eligible_items.add(node_id=node.node_id, course_id=node.course_id, title=node.title)
    return message


def statements_to_proto(
    statements: list[dict[str, Any]], token: str
) -> progress_pb2.ListXapiStatementsResponse:
    """xAPI statements (JSON objects) as the list response."""
    response = progress_pb2.ListXapiStatementsResponse(next_page_token=token)
    for statement in statements:
        response.statements.add().update(statement)
    return response
