import datetime

from buf.validate import validate_pb2 as _validate_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import empty_pb2 as _empty_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ProgramState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PROGRAM_STATE_UNSPECIFIED: _ClassVar[ProgramState]
    PROGRAM_STATE_DRAFT: _ClassVar[ProgramState]
    PROGRAM_STATE_PUBLISHED: _ClassVar[ProgramState]
    PROGRAM_STATE_ARCHIVED: _ClassVar[ProgramState]

class Visibility(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VISIBILITY_UNSPECIFIED: _ClassVar[Visibility]
    VISIBILITY_PUBLIC: _ClassVar[Visibility]
    VISIBILITY_RESTRICTED: _ClassVar[Visibility]

class NodeKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NODE_KIND_UNSPECIFIED: _ClassVar[NodeKind]
    NODE_KIND_COURSE: _ClassVar[NodeKind]
    NODE_KIND_SET: _ClassVar[NodeKind]
    NODE_KIND_MILESTONE: _ClassVar[NodeKind]

class CompletionRule(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COMPLETION_RULE_UNSPECIFIED: _ClassVar[CompletionRule]
    COMPLETION_RULE_ALL_IN_ORDER: _ClassVar[CompletionRule]
    COMPLETION_RULE_ALL_ANY_ORDER: _ClassVar[CompletionRule]
    COMPLETION_RULE_AT_LEAST_N: _ClassVar[CompletionRule]
    COMPLETION_RULE_MIN_POINTS: _ClassVar[CompletionRule]
PROGRAM_STATE_UNSPECIFIED: ProgramState
PROGRAM_STATE_DRAFT: ProgramState
PROGRAM_STATE_PUBLISHED: ProgramState
PROGRAM_STATE_ARCHIVED: ProgramState
VISIBILITY_UNSPECIFIED: Visibility
VISIBILITY_PUBLIC: Visibility
VISIBILITY_RESTRICTED: Visibility
NODE_KIND_UNSPECIFIED: NodeKind
NODE_KIND_COURSE: NodeKind
NODE_KIND_SET: NodeKind
NODE_KIND_MILESTONE: NodeKind
COMPLETION_RULE_UNSPECIFIED: CompletionRule
COMPLETION_RULE_ALL_IN_ORDER: CompletionRule
COMPLETION_RULE_ALL_ANY_ORDER: CompletionRule
COMPLETION_RULE_AT_LEAST_N: CompletionRule
COMPLETION_RULE_MIN_POINTS: CompletionRule

class Program(_message.Message):
    __slots__ = ("program_id", "title", "description", "tags", "visibility", "self_enrollment_allowed", "state", "create_time", "update_time", "etag", "structure", "current_version", "has_unpublished_changes")
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    VISIBILITY_FIELD_NUMBER: _ClassVar[int]
    SELF_ENROLLMENT_ALLOWED_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    STRUCTURE_FIELD_NUMBER: _ClassVar[int]
    CURRENT_VERSION_FIELD_NUMBER: _ClassVar[int]
    HAS_UNPUBLISHED_CHANGES_FIELD_NUMBER: _ClassVar[int]
    program_id: str
    title: str
    description: str
    tags: _containers.RepeatedScalarFieldContainer[str]
    visibility: Visibility
    self_enrollment_allowed: bool
    state: ProgramState
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    etag: str
    structure: ProgramStructure
    current_version: int
    has_unpublished_changes: bool
    def __init__(self, program_id: _Optional[str] = ..., title: _Optional[str] = ..., description: _Optional[str] = ..., tags: _Optional[_Iterable[str]] = ..., visibility: _Optional[_Union[Visibility, str]] = ..., self_enrollment_allowed: _Optional[bool] = ..., state: _Optional[_Union[ProgramState, str]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., etag: _Optional[str] = ..., structure: _Optional[_Union[ProgramStructure, _Mapping]] = ..., current_version: _Optional[int] = ..., has_unpublished_changes: _Optional[bool] = ...) -> None: ...

class ProgramNode(_message.Message):
    __slots__ = ("node_id", "parent_id", "kind", "title", "course_id", "rule", "required_count", "required_points", "points", "start_delay", "due_offset")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    PARENT_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    COURSE_ID_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_COUNT_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_POINTS_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    START_DELAY_FIELD_NUMBER: _ClassVar[int]
    DUE_OFFSET_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    parent_id: str
    kind: NodeKind
    title: str
    course_id: str
    rule: CompletionRule
    required_count: int
    required_points: int
    points: int
    start_delay: _duration_pb2.Duration
    due_offset: _duration_pb2.Duration
    def __init__(self, node_id: _Optional[str] = ..., parent_id: _Optional[str] = ..., kind: _Optional[_Union[NodeKind, str]] = ..., title: _Optional[str] = ..., course_id: _Optional[str] = ..., rule: _Optional[_Union[CompletionRule, str]] = ..., required_count: _Optional[int] = ..., required_points: _Optional[int] = ..., points: _Optional[int] = ..., start_delay: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., due_offset: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class ProgramStructure(_message.Message):
    __slots__ = ("nodes",)
    NODES_FIELD_NUMBER: _ClassVar[int]
    nodes: _containers.RepeatedCompositeFieldContainer[ProgramNode]
    def __init__(self, nodes: _Optional[_Iterable[_Union[ProgramNode, _Mapping]]] = ...) -> None: ...

class ProgramVersion(_message.Message):
    __slots__ = ("program_id", "version", "title", "description", "structure", "publish_time", "published_by")
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    STRUCTURE_FIELD_NUMBER: _ClassVar[int]
    PUBLISH_TIME_FIELD_NUMBER: _ClassVar[int]
    PUBLISHED_BY_FIELD_NUMBER: _ClassVar[int]
    program_id: str
    version: int
    title: str
    description: str
    structure: ProgramStructure
    publish_time: _timestamp_pb2.Timestamp
    published_by: str
    def __init__(self, program_id: _Optional[str] = ..., version: _Optional[int] = ..., title: _Optional[str] = ..., description: _Optional[str] = ..., structure: _Optional[_Union[ProgramStructure, _Mapping]] = ..., publish_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., published_by: _Optional[str] = ...) -> None: ...

class CreateProgramRequest(_message.Message):
    __slots__ = ("program", "request_id")
    PROGRAM_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    program: Program
    request_id: str
    def __init__(self, program: _Optional[_Union[Program, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class GetProgramRequest(_message.Message):
    __slots__ = ("program_id",)
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    program_id: str
    def __init__(self, program_id: _Optional[str] = ...) -> None: ...

class ListProgramsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "state", "tag", "query")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    TAG_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    state: ProgramState
    tag: str
    query: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., state: _Optional[_Union[ProgramState, str]] = ..., tag: _Optional[str] = ..., query: _Optional[str] = ...) -> None: ...

class ListProgramsResponse(_message.Message):
    __slots__ = ("programs", "next_page_token")
    PROGRAMS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    programs: _containers.RepeatedCompositeFieldContainer[Program]
    next_page_token: str
    def __init__(self, programs: _Optional[_Iterable[_Union[Program, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateProgramRequest(_message.Message):
    __slots__ = ("program", "update_mask")
    PROGRAM_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    program: Program
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, program: _Optional[_Union[Program, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class DeleteProgramRequest(_message.Message):
    __slots__ = ("program_id", "etag")
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    program_id: str
    etag: str
    def __init__(self, program_id: _Optional[str] = ..., etag: _Optional[str] = ...) -> None: ...

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

class PublishProgramRequest(_message.Message):
    __slots__ = ("program_id", "etag")
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    program_id: str
    etag: str
    def __init__(self, program_id: _Optional[str] = ..., etag: _Optional[str] = ...) -> None: ...

class ArchiveProgramRequest(_message.Message):
    __slots__ = ("program_id", "etag")
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    program_id: str
    etag: str
    def __init__(self, program_id: _Optional[str] = ..., etag: _Optional[str] = ...) -> None: ...

class RestoreProgramRequest(_message.Message):
    __slots__ = ("program_id", "etag")
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    program_id: str
    etag: str
    def __init__(self, program_id: _Optional[str] = ..., etag: _Optional[str] = ...) -> None: ...

class CloneProgramRequest(_message.Message):
    __slots__ = ("program_id", "title", "request_id")
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    program_id: str
    title: str
    request_id: str
    def __init__(self, program_id: _Optional[str] = ..., title: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class ListProgramVersionsRequest(_message.Message):
    __slots__ = ("program_id", "page_size", "page_token")
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    program_id: str
    page_size: int
    page_token: str
    def __init__(self, program_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListProgramVersionsResponse(_message.Message):
    __slots__ = ("versions", "next_page_token")
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    versions: _containers.RepeatedCompositeFieldContainer[ProgramVersion]
    next_page_token: str
    def __init__(self, versions: _Optional[_Iterable[_Union[ProgramVersion, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetProgramVersionRequest(_message.Message):
    __slots__ = ("program_id", "version")
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    program_id: str
    version: int
    def __init__(self, program_id: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...
