import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BlockCompleted(_message.Message):
    __slots__ = ("learner_id", "course_id", "block_id", "value", "score", "completed", "completed_at", "course_revision", "attempt", "completion_id")
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    COURSE_ID_FIELD_NUMBER: _ClassVar[int]
    BLOCK_ID_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    COURSE_REVISION_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    COMPLETION_ID_FIELD_NUMBER: _ClassVar[int]
    learner_id: str
    course_id: str
    block_id: str
    value: float
    score: float
    completed: bool
    completed_at: _timestamp_pb2.Timestamp
    course_revision: int
    attempt: int
    completion_id: str
    def __init__(self, learner_id: _Optional[str] = ..., course_id: _Optional[str] = ..., block_id: _Optional[str] = ..., value: _Optional[float] = ..., score: _Optional[float] = ..., completed: _Optional[bool] = ..., completed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., course_revision: _Optional[int] = ..., attempt: _Optional[int] = ..., completion_id: _Optional[str] = ...) -> None: ...

class CourseCompleted(_message.Message):
    __slots__ = ("learner_id", "course_id", "completed_at", "course_revision", "attempt", "percent")
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    COURSE_ID_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    COURSE_REVISION_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    PERCENT_FIELD_NUMBER: _ClassVar[int]
    learner_id: str
    course_id: str
    completed_at: _timestamp_pb2.Timestamp
    course_revision: int
    attempt: int
    percent: float
    def __init__(self, learner_id: _Optional[str] = ..., course_id: _Optional[str] = ..., completed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., course_revision: _Optional[int] = ..., attempt: _Optional[int] = ..., percent: _Optional[float] = ...) -> None: ...

class ProgressReset(_message.Message):
    __slots__ = ("learner_id", "course_id", "reset_at", "course_revision", "archived_attempt", "attempt", "was_completed", "reason")
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    COURSE_ID_FIELD_NUMBER: _ClassVar[int]
    RESET_AT_FIELD_NUMBER: _ClassVar[int]
    COURSE_REVISION_FIELD_NUMBER: _ClassVar[int]
    ARCHIVED_ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    WAS_COMPLETED_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    learner_id: str
    course_id: str
    reset_at: _timestamp_pb2.Timestamp
    course_revision: int
    archived_attempt: int
    attempt: int
    was_completed: bool
    reason: str
    def __init__(self, learner_id: _Optional[str] = ..., course_id: _Optional[str] = ..., reset_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., course_revision: _Optional[int] = ..., archived_attempt: _Optional[int] = ..., attempt: _Optional[int] = ..., was_completed: _Optional[bool] = ..., reason: _Optional[str] = ...) -> None: ...

class SessionEnded(_message.Message):
    __slots__ = ("learner_id", "course_id", "session_id", "kind", "start_time", "end_time", "end_reason", "active_seconds", "time_on_task_seconds", "time_on_task_algorithm")
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    COURSE_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    END_REASON_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    TIME_ON_TASK_SECONDS_FIELD_NUMBER: _ClassVar[int]
    TIME_ON_TASK_ALGORITHM_FIELD_NUMBER: _ClassVar[int]
    learner_id: str
    course_id: str
    session_id: str
    kind: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    end_reason: str
    active_seconds: int
    time_on_task_seconds: int
    time_on_task_algorithm: str
    def __init__(self, learner_id: _Optional[str] = ..., course_id: _Optional[str] = ..., session_id: _Optional[str] = ..., kind: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_reason: _Optional[str] = ..., active_seconds: _Optional[int] = ..., time_on_task_seconds: _Optional[int] = ..., time_on_task_algorithm: _Optional[str] = ...) -> None: ...
