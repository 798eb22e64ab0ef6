import datetime

from buf.validate import validate_pb2 as _validate_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.rpc import status_pb2 as _status_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BlockType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BLOCK_TYPE_UNSPECIFIED: _ClassVar[BlockType]
    BLOCK_TYPE_VIDEO: _ClassVar[BlockType]
    BLOCK_TYPE_READING: _ClassVar[BlockType]
    BLOCK_TYPE_QUIZ: _ClassVar[BlockType]
    BLOCK_TYPE_ASSIGNMENT: _ClassVar[BlockType]
    BLOCK_TYPE_INTERACTIVE: _ClassVar[BlockType]
    BLOCK_TYPE_LIVE_SESSION: _ClassVar[BlockType]
    BLOCK_TYPE_OTHER: _ClassVar[BlockType]

class ProgressState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PROGRESS_STATE_UNSPECIFIED: _ClassVar[ProgressState]
    PROGRESS_STATE_NOT_STARTED: _ClassVar[ProgressState]
    PROGRESS_STATE_IN_PROGRESS: _ClassVar[ProgressState]
    PROGRESS_STATE_COMPLETED: _ClassVar[ProgressState]

class SessionKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SESSION_KIND_UNSPECIFIED: _ClassVar[SessionKind]
    SESSION_KIND_ONLINE: _ClassVar[SessionKind]
    SESSION_KIND_OFFLINE: _ClassVar[SessionKind]

class SessionState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SESSION_STATE_UNSPECIFIED: _ClassVar[SessionState]
    SESSION_STATE_OPEN: _ClassVar[SessionState]
    SESSION_STATE_CLOSED: _ClassVar[SessionState]
    SESSION_STATE_PENDING_APPROVAL: _ClassVar[SessionState]
    SESSION_STATE_REJECTED: _ClassVar[SessionState]

class SessionEndReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SESSION_END_REASON_UNSPECIFIED: _ClassVar[SessionEndReason]
    SESSION_END_REASON_ENDED: _ClassVar[SessionEndReason]
    SESSION_END_REASON_IDLE_TIMEOUT: _ClassVar[SessionEndReason]
    SESSION_END_REASON_OFFLINE_APPROVED: _ClassVar[SessionEndReason]

class PathBlockerReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PATH_BLOCKER_REASON_UNSPECIFIED: _ClassVar[PathBlockerReason]
    PATH_BLOCKER_REASON_NOT_ENROLLED: _ClassVar[PathBlockerReason]
    PATH_BLOCKER_REASON_UNMET_PREREQUISITE: _ClassVar[PathBlockerReason]
    PATH_BLOCKER_REASON_SET_RULE_NOT_SATISFIED: _ClassVar[PathBlockerReason]
    PATH_BLOCKER_REASON_NOT_YET_OPEN: _ClassVar[PathBlockerReason]
    PATH_BLOCKER_REASON_CLOSED: _ClassVar[PathBlockerReason]
    PATH_BLOCKER_REASON_MIN_SCORE_NOT_REACHED: _ClassVar[PathBlockerReason]
BLOCK_TYPE_UNSPECIFIED: BlockType
BLOCK_TYPE_VIDEO: BlockType
BLOCK_TYPE_READING: BlockType
BLOCK_TYPE_QUIZ: BlockType
BLOCK_TYPE_ASSIGNMENT: BlockType
BLOCK_TYPE_INTERACTIVE: BlockType
BLOCK_TYPE_LIVE_SESSION: BlockType
BLOCK_TYPE_OTHER: BlockType
PROGRESS_STATE_UNSPECIFIED: ProgressState
PROGRESS_STATE_NOT_STARTED: ProgressState
PROGRESS_STATE_IN_PROGRESS: ProgressState
PROGRESS_STATE_COMPLETED: ProgressState
SESSION_KIND_UNSPECIFIED: SessionKind
SESSION_KIND_ONLINE: SessionKind
SESSION_KIND_OFFLINE: SessionKind
SESSION_STATE_UNSPECIFIED: SessionState
SESSION_STATE_OPEN: SessionState
SESSION_STATE_CLOSED: SessionState
SESSION_STATE_PENDING_APPROVAL: SessionState
SESSION_STATE_REJECTED: SessionState
SESSION_END_REASON_UNSPECIFIED: SessionEndReason
SESSION_END_REASON_ENDED: SessionEndReason
SESSION_END_REASON_IDLE_TIMEOUT: SessionEndReason
SESSION_END_REASON_OFFLINE_APPROVED: SessionEndReason
PATH_BLOCKER_REASON_UNSPECIFIED: PathBlockerReason
PATH_BLOCKER_REASON_NOT_ENROLLED: PathBlockerReason
PATH_BLOCKER_REASON_UNMET_PREREQUISITE: PathBlockerReason
PATH_BLOCKER_REASON_SET_RULE_NOT_SATISFIED: PathBlockerReason
PATH_BLOCKER_REASON_NOT_YET_OPEN: PathBlockerReason
PATH_BLOCKER_REASON_CLOSED: PathBlockerReason
PATH_BLOCKER_REASON_MIN_SCORE_NOT_REACHED: PathBlockerReason

class Block(_message.Message):
    __slots__ = ("block_id", "type", "weight", "required", "min_score")
    BLOCK_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_FIELD_NUMBER: _ClassVar[int]
    MIN_SCORE_FIELD_NUMBER: _ClassVar[int]
    block_id: str
    type: BlockType
    weight: float
    required: bool
    min_score: float
    def __init__(self, block_id: _Optional[str] = ..., type: _Optional[_Union[BlockType, str]] = ..., weight: _Optional[float] = ..., required: _Optional[bool] = ..., min_score: _Optional[float] = ...) -> None: ...

class CourseStructure(_message.Message):
    __slots__ = ("course_id", "revision", "blocks", "etag", "create_time", "created_by")
    COURSE_ID_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    BLOCKS_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    course_id: str
    revision: int
    blocks: _containers.RepeatedCompositeFieldContainer[Block]
    etag: str
    create_time: _timestamp_pb2.Timestamp
    created_by: str
    def __init__(self, course_id: _Optional[str] = ..., revision: _Optional[int] = ..., blocks: _Optional[_Iterable[_Union[Block, _Mapping]]] = ..., etag: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_by: _Optional[str] = ...) -> None: ...

class Completion(_message.Message):
    __slots__ = ("completion_id", "learner_id", "course_id", "block_id", "value", "score", "request_id", "course_revision", "applied", "block_completed", "course_completed", "create_time", "recorded_by")
    COMPLETION_ID_FIELD_NUMBER: _ClassVar[int]
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    COURSE_ID_FIELD_NUMBER: _ClassVar[int]
    BLOCK_ID_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    COURSE_REVISION_FIELD_NUMBER: _ClassVar[int]
    APPLIED_FIELD_NUMBER: _ClassVar[int]
    BLOCK_COMPLETED_FIELD_NUMBER: _ClassVar[int]
    COURSE_COMPLETED_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    RECORDED_BY_FIELD_NUMBER: _ClassVar[int]
    completion_id: str
    learner_id: str
    course_id: str
    block_id: str
    value: float
    score: float
    request_id: str
    course_revision: int
    applied: bool
    block_completed: bool
    course_completed: bool
    create_time: _timestamp_pb2.Timestamp
    recorded_by: str
    def __init__(self, completion_id: _Optional[str] = ..., learner_id: _Optional[str] = ..., course_id: _Optional[str] = ..., block_id: _Optional[str] = ..., value: _Optional[float] = ..., score: _Optional[float] = ..., request_id: _Optional[str] = ..., course_revision: _Optional[int] = ..., applied: _Optional[bool] = ..., block_completed: _Optional[bool] = ..., course_completed: _Optional[bool] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., recorded_by: _Optional[str] = ...) -> None: ...

class BlockProgress(_message.Message):
    __slots__ = ("block_id", "value", "score", "completed", "update_time")
    BLOCK_ID_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    block_id: str
    value: float
    score: float
    completed: bool
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, block_id: _Optional[str] = ..., value: _Optional[float] = ..., score: _Optional[float] = ..., completed: _Optional[bool] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CourseProgress(_message.Message):
    __slots__ = ("learner_id", "course_id", "course_revision", "state", "percent", "completed_blocks", "total_blocks", "completed_required_blocks", "required_blocks", "attempt", "start_time", "last_activity_time", "complete_time", "blocks", "time_on_task_seconds", "time_on_task_algorithm")
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    COURSE_ID_FIELD_NUMBER: _ClassVar[int]
    COURSE_REVISION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PERCENT_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_BLOCKS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_BLOCKS_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_REQUIRED_BLOCKS_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_BLOCKS_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_ACTIVITY_TIME_FIELD_NUMBER: _ClassVar[int]
    COMPLETE_TIME_FIELD_NUMBER: _ClassVar[int]
    BLOCKS_FIELD_NUMBER: _ClassVar[int]
    TIME_ON_TASK_SECONDS_FIELD_NUMBER: _ClassVar[int]
    TIME_ON_TASK_ALGORITHM_FIELD_NUMBER: _ClassVar[int]
    learner_id: str
    course_id: str
    course_revision: int
    state: ProgressState
    percent: float
    completed_blocks: int
    total_blocks: int
    completed_required_blocks: int
    required_blocks: int
    attempt: int
    start_time: _timestamp_pb2.Timestamp
    last_activity_time: _timestamp_pb2.Timestamp
    complete_time: _timestamp_pb2.Timestamp
    blocks: _containers.RepeatedCompositeFieldContainer[BlockProgress]
    time_on_task_seconds: int
    time_on_task_algorithm: str
    def __init__(self, learner_id: _Optional[str] = ..., course_id: _Optional[str] = ..., course_revision: _Optional[int] = ..., state: _Optional[_Union[ProgressState, str]] = ..., percent: _Optional[float] = ..., completed_blocks: _Optional[int] = ..., total_blocks: _Optional[int] = ..., completed_required_blocks: _Optional[int] = ..., required_blocks: _Optional[int] = ..., attempt: _Optional[int] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_activity_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., complete_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., blocks: _Optional[_Iterable[_Union[BlockProgress, _Mapping]]] = ..., time_on_task_seconds: _Optional[int] = ..., time_on_task_algorithm: _Optional[str] = ...) -> None: ...

class UpdateCourseStructureRequest(_message.Message):
    __slots__ = ("course_id", "structure")
    COURSE_ID_FIELD_NUMBER: _ClassVar[int]
    STRUCTURE_FIELD_NUMBER: _ClassVar[int]
    course_id: str
    structure: CourseStructure
    def __init__(self, course_id: _Optional[str] = ..., structure: _Optional[_Union[CourseStructure, _Mapping]] = ...) -> None: ...

class GetCourseStructureRequest(_message.Message):
    __slots__ = ("course_id", "revision")
    COURSE_ID_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    course_id: str
    revision: int
    def __init__(self, course_id: _Optional[str] = ..., revision: _Optional[int] = ...) -> None: ...

class CreateCompletionRequest(_message.Message):
    __slots__ = ("completion",)
    COMPLETION_FIELD_NUMBER: _ClassVar[int]
    completion: Completion
    def __init__(self, completion: _Optional[_Union[Completion, _Mapping]] = ...) -> None: ...

class BatchCreateCompletionsRequest(_message.Message):
    __slots__ = ("completions",)
    COMPLETIONS_FIELD_NUMBER: _ClassVar[int]
    completions: _containers.RepeatedCompositeFieldContainer[Completion]
    def __init__(self, completions: _Optional[_Iterable[_Union[Completion, _Mapping]]] = ...) -> None: ...

class BatchCompletionResult(_message.Message):
    __slots__ = ("index", "completion", "status")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    COMPLETION_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    index: int
    completion: Completion
    status: _status_pb2.Status
    def __init__(self, index: _Optional[int] = ..., completion: _Optional[_Union[Completion, _Mapping]] = ..., status: _Optional[_Union[_status_pb2.Status, _Mapping]] = ...) -> None: ...

class BatchCreateCompletionsResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[BatchCompletionResult]
    def __init__(self, results: _Optional[_Iterable[_Union[BatchCompletionResult, _Mapping]]] = ...) -> None: ...

class GetCourseProgressRequest(_message.Message):
    __slots__ = ("learner_id", "course_id")
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    COURSE_ID_FIELD_NUMBER: _ClassVar[int]
    learner_id: str
    course_id: str
    def __init__(self, learner_id: _Optional[str] = ..., course_id: _Optional[str] = ...) -> None: ...

class ListLearnerProgressRequest(_message.Message):
    __slots__ = ("learner_id", "page_size", "page_token", "state")
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    learner_id: str
    page_size: int
    page_token: str
    state: ProgressState
    def __init__(self, learner_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., state: _Optional[_Union[ProgressState, str]] = ...) -> None: ...

class ListLearnerProgressResponse(_message.Message):
    __slots__ = ("progress", "next_page_token")
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    progress: _containers.RepeatedCompositeFieldContainer[CourseProgress]
    next_page_token: str
    def __init__(self, progress: _Optional[_Iterable[_Union[CourseProgress, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListCourseRosterRequest(_message.Message):
    __slots__ = ("course_id", "page_size", "page_token", "state", "order_by")
    COURSE_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ORDER_BY_FIELD_NUMBER: _ClassVar[int]
    course_id: str
    page_size: int
    page_token: str
    state: ProgressState
    order_by: str
    def __init__(self, course_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., state: _Optional[_Union[ProgressState, str]] = ..., order_by: _Optional[str] = ...) -> None: ...

class ListCourseRosterResponse(_message.Message):
    __slots__ = ("progress", "next_page_token")
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    progress: _containers.RepeatedCompositeFieldContainer[CourseProgress]
    next_page_token: str
    def __init__(self, progress: _Optional[_Iterable[_Union[CourseProgress, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ResetCourseProgressRequest(_message.Message):
    __slots__ = ("learner_id", "course_id", "reason")
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    COURSE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    learner_id: str
    course_id: str
    reason: str
    def __init__(self, learner_id: _Optional[str] = ..., course_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class LearningSession(_message.Message):
    __slots__ = ("session_id", "learner_id", "course_id", "kind", "start_time", "end_time", "request_id", "note", "state", "end_reason", "last_signal_time", "heartbeats", "active_seconds", "time_on_task_seconds", "time_on_task_algorithm", "created_by", "decided_by", "decide_time", "decision_reason")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    COURSE_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    END_REASON_FIELD_NUMBER: _ClassVar[int]
    LAST_SIGNAL_TIME_FIELD_NUMBER: _ClassVar[int]
    HEARTBEATS_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    TIME_ON_TASK_SECONDS_FIELD_NUMBER: _ClassVar[int]
    TIME_ON_TASK_ALGORITHM_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    DECIDED_BY_FIELD_NUMBER: _ClassVar[int]
    DECIDE_TIME_FIELD_NUMBER: _ClassVar[int]
    DECISION_REASON_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    learner_id: str
    course_id: str
    kind: SessionKind
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    request_id: str
    note: str
    state: SessionState
    end_reason: SessionEndReason
    last_signal_time: _timestamp_pb2.Timestamp
    heartbeats: int
    active_seconds: int
    time_on_task_seconds: int
    time_on_task_algorithm: str
    created_by: str
    decided_by: str
    decide_time: _timestamp_pb2.Timestamp
    decision_reason: str
    def __init__(self, session_id: _Optional[str] = ..., learner_id: _Optional[str] = ..., course_id: _Optional[str] = ..., kind: _Optional[_Union[SessionKind, str]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., request_id: _Optional[str] = ..., note: _Optional[str] = ..., state: _Optional[_Union[SessionState, str]] = ..., end_reason: _Optional[_Union[SessionEndReason, str]] = ..., last_signal_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., heartbeats: _Optional[int] = ..., active_seconds: _Optional[int] = ..., time_on_task_seconds: _Optional[int] = ..., time_on_task_algorithm: _Optional[str] = ..., created_by: _Optional[str] = ..., decided_by: _Optional[str] = ..., decide_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., decision_reason: _Optional[str] = ...) -> None: ...

class StartSessionRequest(_message.Message):
    __slots__ = ("session",)
    SESSION_FIELD_NUMBER: _ClassVar[int]
    session: LearningSession
    def __init__(self, session: _Optional[_Union[LearningSession, _Mapping]] = ...) -> None: ...

class HeartbeatSessionRequest(_message.Message):
    __slots__ = ("session_id",)
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    def __init__(self, session_id: _Optional[str] = ...) -> None: ...

class EndSessionRequest(_message.Message):
    __slots__ = ("session_id",)
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    def __init__(self, session_id: _Optional[str] = ...) -> None: ...

class ApproveSessionRequest(_message.Message):
    __slots__ = ("session_id",)
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    def __init__(self, session_id: _Optional[str] = ...) -> None: ...

class RejectSessionRequest(_message.Message):
    __slots__ = ("session_id", "reason")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    reason: str
    def __init__(self, session_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ListSessionsRequest(_message.Message):
    __slots__ = ("learner_id", "course_id", "state", "page_size", "page_token")
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    COURSE_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    learner_id: str
    course_id: str
    state: SessionState
    page_size: int
    page_token: str
    def __init__(self, learner_id: _Optional[str] = ..., course_id: _Optional[str] = ..., state: _Optional[_Union[SessionState, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListSessionsResponse(_message.Message):
    __slots__ = ("sessions", "next_page_token")
    SESSIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    sessions: _containers.RepeatedCompositeFieldContainer[LearningSession]
    next_page_token: str
    def __init__(self, sessions: _Optional[_Iterable[_Union[LearningSession, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class PathBlocker(_message.Message):
    __slots__ = ("reason", "node_id", "course_id", "message", "open_time", "have", "need")
    REASON_FIELD_NUMBER: _ClassVar[int]
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    COURSE_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    OPEN_TIME_FIELD_NUMBER: _ClassVar[int]
    HAVE_FIELD_NUMBER: _ClassVar[int]
    NEED_FIELD_NUMBER: _ClassVar[int]
    reason: PathBlockerReason
    node_id: str
    course_id: str
    message: str
    open_time: _timestamp_pb2.Timestamp
    have: int
    need: int
    def __init__(self, reason: _Optional[_Union[PathBlockerReason, str]] = ..., node_id: _Optional[str] = ..., course_id: _Optional[str] = ..., message: _Optional[str] = ..., open_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., have: _Optional[int] = ..., need: _Optional[int] = ...) -> None: ...

class EligibleItem(_message.Message):
    __slots__ = ("node_id", "course_id", "title")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    COURSE_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    course_id: str
    title: str
    def __init__(self, node_id: _Optional[str] = ..., course_id: _Optional[str] = ..., title: _Optional[str] = ...) -> None: ...

class HypotheticalCompletion(_message.Message):
    __slots__ = ("course_id", "complete_time")
    COURSE_ID_FIELD_NUMBER: _ClassVar[int]
    COMPLETE_TIME_FIELD_NUMBER: _ClassVar[int]
    course_id: str
    complete_time: _timestamp_pb2.Timestamp
    def __init__(self, course_id: _Optional[str] = ..., complete_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class PathWhatIf(_message.Message):
    __slots__ = ("completed_courses", "ignore_recorded", "evaluate_time", "assume_enrolled")
    COMPLETED_COURSES_FIELD_NUMBER: _ClassVar[int]
    IGNORE_RECORDED_FIELD_NUMBER: _ClassVar[int]
    EVALUATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ASSUME_ENROLLED_FIELD_NUMBER: _ClassVar[int]
    completed_courses: _containers.RepeatedCompositeFieldContainer[HypotheticalCompletion]
    ignore_recorded: bool
    evaluate_time: _timestamp_pb2.Timestamp
    assume_enrolled: bool
    def __init__(self, completed_courses: _Optional[_Iterable[_Union[HypotheticalCompletion, _Mapping]]] = ..., ignore_recorded: _Optional[bool] = ..., evaluate_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., assume_enrolled: _Optional[bool] = ...) -> None: ...

class ValidatePathRequest(_message.Message):
    __slots__ = ("program_id", "item_id", "learner_id", "what_if")
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    WHAT_IF_FIELD_NUMBER: _ClassVar[int]
    program_id: str
    item_id: str
    learner_id: str
    what_if: PathWhatIf
    def __init__(self, program_id: _Optional[str] = ..., item_id: _Optional[str] = ..., learner_id: _Optional[str] = ..., what_if: _Optional[_Union[PathWhatIf, _Mapping]] = ...) -> None: ...

class PathValidation(_message.Message):
    __slots__ = ("allowed", "blockers", "earliest_open_time", "next_eligible_items", "completed", "learner_id", "program_version", "evaluate_time", "hypothetical", "item_due_time")
    ALLOWED_FIELD_NUMBER: _ClassVar[int]
    BLOCKERS_FIELD_NUMBER: _ClassVar[int]
    EARLIEST_OPEN_TIME_FIELD_NUMBER: _ClassVar[int]
    NEXT_ELIGIBLE_ITEMS_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_FIELD_NUMBER: _ClassVar[int]
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_VERSION_FIELD_NUMBER: _ClassVar[int]
    EVALUATE_TIME_FIELD_NUMBER: _ClassVar[int]
    HYPOTHETICAL_FIELD_NUMBER: _ClassVar[int]
    ITEM_DUE_TIME_FIELD_NUMBER: _ClassVar[int]
    allowed: bool
    blockers: _containers.RepeatedCompositeFieldContainer[PathBlocker]
    earliest_open_time: _timestamp_pb2.Timestamp
    next_eligible_items: _containers.RepeatedCompositeFieldContainer[EligibleItem]
    completed: bool
    learner_id: str
    program_version: int
    evaluate_time: _timestamp_pb2.Timestamp
    hypothetical: bool
    item_due_time: _timestamp_pb2.Timestamp
    def __init__(self, allowed: _Optional[bool] = ..., blockers: _Optional[_Iterable[_Union[PathBlocker, _Mapping]]] = ..., earliest_open_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., next_eligible_items: _Optional[_Iterable[_Union[EligibleItem, _Mapping]]] = ..., completed: _Optional[bool] = ..., learner_id: _Optional[str] = ..., program_version: _Optional[int] = ..., evaluate_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., hypothetical: _Optional[bool] = ..., item_due_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListXapiStatementsRequest(_message.Message):
    __slots__ = ("learner_id", "page_size", "page_token", "since")
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    learner_id: str
    page_size: int
    page_token: str
    since: _timestamp_pb2.Timestamp
    def __init__(self, learner_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListXapiStatementsResponse(_message.Message):
    __slots__ = ("statements", "next_page_token")
    STATEMENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    statements: _containers.RepeatedCompositeFieldContainer[_struct_pb2.Struct]
    next_page_token: str
    def __init__(self, statements: _Optional[_Iterable[_Union[_struct_pb2.Struct, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class PingRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class PingResponse(_message.Message):
    __slots__ = ("service", "user_id", "tenant_id", "roles", "server_time")
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    ROLES_FIELD_NUMBER: _ClassVar[int]
    SERVER_TIME_FIELD_NUMBER: _ClassVar[int]
    service: str
    user_id: str
    tenant_id: str
    roles: _containers.RepeatedScalarFieldContainer[str]
    server_time: _timestamp_pb2.Timestamp
    def __init__(self, service: _Optional[str] = ..., user_id: _Optional[str] = ..., tenant_id: _Optional[str] = ..., roles: _Optional[_Iterable[str]] = ..., server_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
