import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ProgramPublished(_message.Message):
    __slots__ = ("program_id", "version", "title", "course_ids")
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    COURSE_IDS_FIELD_NUMBER: _ClassVar[int]
    program_id: str
    version: int
    title: str
    course_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, program_id: _Optional[str] = ..., version: _Optional[int] = ..., title: _Optional[str] = ..., course_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class EnrollmentCreated(_message.Message):
    __slots__ = ("enrollment_id", "program_id", "learner_id", "program_version", "start_time", "due_time", "end_time", "state")
    ENROLLMENT_ID_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_VERSION_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    DUE_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    enrollment_id: str
    program_id: str
    learner_id: str
    program_version: int
    start_time: _timestamp_pb2.Timestamp
    due_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    state: str
    def __init__(self, enrollment_id: _Optional[str] = ..., program_id: _Optional[str] = ..., learner_id: _Optional[str] = ..., program_version: _Optional[int] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., due_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., state: _Optional[str] = ...) -> None: ...

class EnrollmentCompleted(_message.Message):
    __slots__ = ("enrollment_id", "program_id", "learner_id", "program_version", "completed_at")
    ENROLLMENT_ID_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_VERSION_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    enrollment_id: str
    program_id: str
    learner_id: str
    program_version: int
    completed_at: _timestamp_pb2.Timestamp
    def __init__(self, enrollment_id: _Optional[str] = ..., program_id: _Optional[str] = ..., learner_id: _Optional[str] = ..., program_version: _Optional[int] = ..., completed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class EnrollmentReopened(_message.Message):
    __slots__ = ("enrollment_id", "program_id", "learner_id", "program_version", "previous_completed_at", "reopened_at", "reason", "progress")
    ENROLLMENT_ID_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_VERSION_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    REOPENED_AT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    enrollment_id: str
    program_id: str
    learner_id: str
    program_version: int
    previous_completed_at: _timestamp_pb2.Timestamp
    reopened_at: _timestamp_pb2.Timestamp
    reason: str
    progress: float
    def __init__(self, enrollment_id: _Optional[str] = ..., program_id: _Optional[str] = ..., learner_id: _Optional[str] = ..., program_version: _Optional[int] = ..., previous_completed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reopened_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reason: _Optional[str] = ..., progress: _Optional[float] = ...) -> None: ...

class MilestoneReached(_message.Message):
    __slots__ = ("enrollment_id", "program_id", "learner_id", "node_id", "title", "reached_at")
    ENROLLMENT_ID_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    REACHED_AT_FIELD_NUMBER: _ClassVar[int]
    enrollment_id: str
    program_id: str
    learner_id: str
    node_id: str
    title: str
    reached_at: _timestamp_pb2.Timestamp
    def __init__(self, enrollment_id: _Optional[str] = ..., program_id: _Optional[str] = ..., learner_id: _Optional[str] = ..., node_id: _Optional[str] = ..., title: _Optional[str] = ..., reached_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ProgramArchived(_message.Message):
    __slots__ = ("program_id", "version")
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    program_id: str
    version: int
    def __init__(self, program_id: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class EnrollmentApproved(_message.Message):
    __slots__ = ("enrollment_id", "program_id", "learner_id", "approved_by")
    ENROLLMENT_ID_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    APPROVED_BY_FIELD_NUMBER: _ClassVar[int]
    enrollment_id: str
    program_id: str
    learner_id: str
    approved_by: str
    def __init__(self, enrollment_id: _Optional[str] = ..., program_id: _Optional[str] = ..., learner_id: _Optional[str] = ..., approved_by: _Optional[str] = ...) -> None: ...

class EnrollmentWithdrawn(_message.Message):
    __slots__ = ("enrollment_id", "program_id", "learner_id")
    ENROLLMENT_ID_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    enrollment_id: str
    program_id: str
    learner_id: str
    def __init__(self, enrollment_id: _Optional[str] = ..., program_id: _Optional[str] = ..., learner_id: _Optional[str] = ...) -> None: ...

class EnrollmentDatesChanged(_message.Message):
    __slots__ = ("enrollment_id", "program_id", "learner_id", "start_time", "due_time", "end_time")
    ENROLLMENT_ID_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    DUE_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    enrollment_id: str
    program_id: str
    learner_id: str
    start_time: _timestamp_pb2.Timestamp
    due_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, enrollment_id: _Optional[str] = ..., program_id: _Optional[str] = ..., learner_id: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., due_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class EnrollmentMigrated(_message.Message):
    __slots__ = ("enrollment_id", "program_id", "learner_id", "from_version", "to_version", "progress", "completed")
    ENROLLMENT_ID_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_VERSION_FIELD_NUMBER: _ClassVar[int]
    TO_VERSION_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_FIELD_NUMBER: _ClassVar[int]
    enrollment_id: str
    program_id: str
    learner_id: str
    from_version: int
    to_version: int
    progress: float
    completed: bool
    def __init__(self, enrollment_id: _Optional[str] = ..., program_id: _Optional[str] = ..., learner_id: _Optional[str] = ..., from_version: _Optional[int] = ..., to_version: _Optional[int] = ..., progress: _Optional[float] = ..., completed: _Optional[bool] = ...) -> None: ...

class LearnerUpserted(_message.Message):
    __slots__ = ("learner_id", "display_name", "email", "time_zone", "locale", "manager_id", "teams", "active")
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    LOCALE_FIELD_NUMBER: _ClassVar[int]
    MANAGER_ID_FIELD_NUMBER: _ClassVar[int]
    TEAMS_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    learner_id: str
    display_name: str
    email: str
    time_zone: str
    locale: str
    manager_id: str
    teams: _containers.RepeatedScalarFieldContainer[str]
    active: bool
    def __init__(self, learner_id: _Optional[str] = ..., display_name: _Optional[str] = ..., email: _Optional[str] = ..., time_zone: _Optional[str] = ..., locale: _Optional[str] = ..., manager_id: _Optional[str] = ..., teams: _Optional[_Iterable[str]] = ..., active: _Optional[bool] = ...) -> None: ...

class LearnerDeactivated(_message.Message):
    __slots__ = ("learner_id",)
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    learner_id: str
    def __init__(self, learner_id: _Optional[str] = ...) -> None: ...
