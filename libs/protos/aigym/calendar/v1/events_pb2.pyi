import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SessionScheduled(_message.Message):
    __slots__ = ("event_id", "kind", "title", "start_time", "time_zone", "rrule", "audience", "program_id")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    RRULE_FIELD_NUMBER: _ClassVar[int]
    AUDIENCE_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    kind: str
    title: str
    start_time: _timestamp_pb2.Timestamp
    time_zone: str
    rrule: str
    audience: str
    program_id: str
    def __init__(self, event_id: _Optional[str] = ..., kind: _Optional[str] = ..., title: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., time_zone: _Optional[str] = ..., rrule: _Optional[str] = ..., audience: _Optional[str] = ..., program_id: _Optional[str] = ...) -> None: ...

class SessionChanged(_message.Message):
    __slots__ = ("event_id", "occurrence_id", "fields", "sequence")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRENCE_ID_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    occurrence_id: str
    fields: _containers.RepeatedScalarFieldContainer[str]
    sequence: int
    def __init__(self, event_id: _Optional[str] = ..., occurrence_id: _Optional[str] = ..., fields: _Optional[_Iterable[str]] = ..., sequence: _Optional[int] = ...) -> None: ...

class SessionCancelled(_message.Message):
    __slots__ = ("event_id", "occurrence_id", "following")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRENCE_ID_FIELD_NUMBER: _ClassVar[int]
    FOLLOWING_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    occurrence_id: str
    following: bool
    def __init__(self, event_id: _Optional[str] = ..., occurrence_id: _Optional[str] = ..., following: _Optional[bool] = ...) -> None: ...

class SignupCreated(_message.Message):
    __slots__ = ("event_id", "learner_id", "state")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    learner_id: str
    state: str
    def __init__(self, event_id: _Optional[str] = ..., learner_id: _Optional[str] = ..., state: _Optional[str] = ...) -> None: ...

class ReminderSent(_message.Message):
    __slots__ = ("event_id", "occurrence_id", "learner_id", "channel", "status", "minutes_before")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRENCE_ID_FIELD_NUMBER: _ClassVar[int]
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    MINUTES_BEFORE_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    occurrence_id: str
    learner_id: str
    channel: str
    status: str
    minutes_before: int
    def __init__(self, event_id: _Optional[str] = ..., occurrence_id: _Optional[str] = ..., learner_id: _Optional[str] = ..., channel: _Optional[str] = ..., status: _Optional[str] = ..., minutes_before: _Optional[int] = ...) -> None: ...
