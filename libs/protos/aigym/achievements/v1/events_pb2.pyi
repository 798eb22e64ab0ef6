import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AchievementAwarded(_message.Message):
    __slots__ = ("award_id", "badge_id", "learner_id", "period", "source", "award_time", "expire_time", "evidence_event_ids", "program_id", "credential_id")
    AWARD_ID_FIELD_NUMBER: _ClassVar[int]
    BADGE_ID_FIELD_NUMBER: _ClassVar[int]
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    AWARD_TIME_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_EVENT_IDS_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    CREDENTIAL_ID_FIELD_NUMBER: _ClassVar[int]
    award_id: str
    badge_id: str
    learner_id: str
    period: int
    source: str
    award_time: _timestamp_pb2.Timestamp
    expire_time: _timestamp_pb2.Timestamp
    evidence_event_ids: _containers.RepeatedScalarFieldContainer[str]
    program_id: str
    credential_id: str
    def __init__(self, award_id: _Optional[str] = ..., badge_id: _Optional[str] = ..., learner_id: _Optional[str] = ..., period: _Optional[int] = ..., source: _Optional[str] = ..., award_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., evidence_event_ids: _Optional[_Iterable[str]] = ..., program_id: _Optional[str] = ..., credential_id: _Optional[str] = ...) -> None: ...

class AchievementRevoked(_message.Message):
    __slots__ = ("award_id", "badge_id", "learner_id", "reason", "revoke_time")
    AWARD_ID_FIELD_NUMBER: _ClassVar[int]
    BADGE_ID_FIELD_NUMBER: _ClassVar[int]
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REVOKE_TIME_FIELD_NUMBER: _ClassVar[int]
    award_id: str
    badge_id: str
    learner_id: str
    reason: str
    revoke_time: _timestamp_pb2.Timestamp
    def __init__(self, award_id: _Optional[str] = ..., badge_id: _Optional[str] = ..., learner_id: _Optional[str] = ..., reason: _Optional[str] = ..., revoke_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class AchievementExpired(_message.Message):
    __slots__ = ("award_id", "badge_id", "learner_id", "expire_time")
    AWARD_ID_FIELD_NUMBER: _ClassVar[int]
    BADGE_ID_FIELD_NUMBER: _ClassVar[int]
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    award_id: str
    badge_id: str
    learner_id: str
    expire_time: _timestamp_pb2.Timestamp
    def __init__(self, award_id: _Optional[str] = ..., badge_id: _Optional[str] = ..., learner_id: _Optional[str] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
