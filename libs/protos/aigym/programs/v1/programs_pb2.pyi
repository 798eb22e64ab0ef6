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

class ProgramView(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PROGRAM_VIEW_UNSPECIFIED: _ClassVar[ProgramView]
    PROGRAM_VIEW_BASIC: _ClassVar[ProgramView]
    PROGRAM_VIEW_FULL: _ClassVar[ProgramView]

class Visibility(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VISIBILITY_UNSPECIFIED: _ClassVar[Visibility]
    VISIBILITY_PUBLIC: _ClassVar[Visibility]
    VISIBILITY_RESTRICTED: _ClassVar[Visibility]

class EnrollmentState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ENROLLMENT_STATE_UNSPECIFIED: _ClassVar[EnrollmentState]
    ENROLLMENT_STATE_PENDING_APPROVAL: _ClassVar[EnrollmentState]
    ENROLLMENT_STATE_ACTIVE: _ClassVar[EnrollmentState]
    ENROLLMENT_STATE_COMPLETED: _ClassVar[EnrollmentState]
    ENROLLMENT_STATE_WITHDRAWN: _ClassVar[EnrollmentState]
    ENROLLMENT_STATE_EXPIRED: _ClassVar[EnrollmentState]

class EnrollmentSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ENROLLMENT_SOURCE_UNSPECIFIED: _ClassVar[EnrollmentSource]
    ENROLLMENT_SOURCE_ADMIN: _ClassVar[EnrollmentSource]
    ENROLLMENT_SOURCE_SELF: _ClassVar[EnrollmentSource]
    ENROLLMENT_SOURCE_REQUEST: _ClassVar[EnrollmentSource]
    ENROLLMENT_SOURCE_MANAGER: _ClassVar[EnrollmentSource]

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

class BatchOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BATCH_OUTCOME_UNSPECIFIED: _ClassVar[BatchOutcome]
    BATCH_OUTCOME_CREATED: _ClassVar[BatchOutcome]
    BATCH_OUTCOME_WOULD_CREATE: _ClassVar[BatchOutcome]
    BATCH_OUTCOME_ALREADY_ENROLLED: _ClassVar[BatchOutcome]
    BATCH_OUTCOME_INVALID: _ClassVar[BatchOutcome]

class LearnerChangeKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LEARNER_CHANGE_KIND_UNSPECIFIED: _ClassVar[LearnerChangeKind]
    LEARNER_CHANGE_KIND_CREATED: _ClassVar[LearnerChangeKind]
    LEARNER_CHANGE_KIND_CHANGED: _ClassVar[LearnerChangeKind]
    LEARNER_CHANGE_KIND_DEACTIVATED: _ClassVar[LearnerChangeKind]
    LEARNER_CHANGE_KIND_REACTIVATED: _ClassVar[LearnerChangeKind]
PROGRAM_STATE_UNSPECIFIED: ProgramState
PROGRAM_STATE_DRAFT: ProgramState
PROGRAM_STATE_PUBLISHED: ProgramState
PROGRAM_STATE_ARCHIVED: ProgramState
PROGRAM_VIEW_UNSPECIFIED: ProgramView
PROGRAM_VIEW_BASIC: ProgramView
PROGRAM_VIEW_FULL: ProgramView
VISIBILITY_UNSPECIFIED: Visibility
VISIBILITY_PUBLIC: Visibility
VISIBILITY_RESTRICTED: Visibility
ENROLLMENT_STATE_UNSPECIFIED: EnrollmentState
ENROLLMENT_STATE_PENDING_APPROVAL: EnrollmentState
ENROLLMENT_STATE_ACTIVE: EnrollmentState
ENROLLMENT_STATE_COMPLETED: EnrollmentState
ENROLLMENT_STATE_WITHDRAWN: EnrollmentState
ENROLLMENT_STATE_EXPIRED: EnrollmentState
ENROLLMENT_SOURCE_UNSPECIFIED: EnrollmentSource
ENROLLMENT_SOURCE_ADMIN: EnrollmentSource
ENROLLMENT_SOURCE_SELF: EnrollmentSource
ENROLLMENT_SOURCE_REQUEST: EnrollmentSource
ENROLLMENT_SOURCE_MANAGER: EnrollmentSource
NODE_KIND_UNSPECIFIED: NodeKind
NODE_KIND_COURSE: NodeKind
NODE_KIND_SET: NodeKind
NODE_KIND_MILESTONE: NodeKind
COMPLETION_RULE_UNSPECIFIED: CompletionRule
COMPLETION_RULE_ALL_IN_ORDER: CompletionRule
COMPLETION_RULE_ALL_ANY_ORDER: CompletionRule
COMPLETION_RULE_AT_LEAST_N: CompletionRule
COMPLETION_RULE_MIN_POINTS: CompletionRule
BATCH_OUTCOME_UNSPECIFIED: BatchOutcome
BATCH_OUTCOME_CREATED: BatchOutcome
BATCH_OUTCOME_WOULD_CREATE: BatchOutcome
BATCH_OUTCOME_ALREADY_ENROLLED: BatchOutcome
BATCH_OUTCOME_INVALID: BatchOutcome
LEARNER_CHANGE_KIND_UNSPECIFIED: LearnerChangeKind
LEARNER_CHANGE_KIND_CREATED: LearnerChangeKind
LEARNER_CHANGE_KIND_CHANGED: LearnerChangeKind
LEARNER_CHANGE_KIND_DEACTIVATED: LearnerChangeKind
LEARNER_CHANGE_KIND_REACTIVATED: LearnerChangeKind

class Program(_message.Message):
    __slots__ = ("program_id", "title", "description", "tags", "visibility", "self_enrollment_allowed", "state", "create_time", "update_time", "etag", "structure", "current_version", "has_unpublished_changes", "enrollment_open_time", "enrollment_close_time", "default_due_offset", "default_access_duration", "default_due_time", "default_end_time")
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
    ENROLLMENT_OPEN_TIME_FIELD_NUMBER: _ClassVar[int]
    ENROLLMENT_CLOSE_TIME_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_DUE_OFFSET_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_ACCESS_DURATION_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_DUE_TIME_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_END_TIME_FIELD_NUMBER: _ClassVar[int]
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
    enrollment_open_time: _timestamp_pb2.Timestamp
    enrollment_close_time: _timestamp_pb2.Timestamp
    default_due_offset: _duration_pb2.Duration
    default_access_duration: _duration_pb2.Duration
    default_due_time: _timestamp_pb2.Timestamp
    default_end_time: _timestamp_pb2.Timestamp
    def __init__(self, program_id: _Optional[str] = ..., title: _Optional[str] = ..., description: _Optional[str] = ..., tags: _Optional[_Iterable[str]] = ..., visibility: _Optional[_Union[Visibility, str]] = ..., self_enrollment_allowed: _Optional[bool] = ..., state: _Optional[_Union[ProgramState, str]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., etag: _Optional[str] = ..., structure: _Optional[_Union[ProgramStructure, _Mapping]] = ..., current_version: _Optional[int] = ..., has_unpublished_changes: _Optional[bool] = ..., enrollment_open_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., enrollment_close_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., default_due_offset: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., default_access_duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., default_due_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., default_end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Enrollment(_message.Message):
    __slots__ = ("enrollment_id", "program_id", "learner_id", "state", "program_version", "start_time", "due_time", "end_time", "source", "progress", "completed_course_ids", "reached_milestones", "create_time", "complete_time", "overdue")
    ENROLLMENT_ID_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_VERSION_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    DUE_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_COURSE_IDS_FIELD_NUMBER: _ClassVar[int]
    REACHED_MILESTONES_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    COMPLETE_TIME_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_FIELD_NUMBER: _ClassVar[int]
    enrollment_id: str
    program_id: str
    learner_id: str
    state: EnrollmentState
    program_version: int
    start_time: _timestamp_pb2.Timestamp
    due_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    source: EnrollmentSource
    progress: float
    completed_course_ids: _containers.RepeatedScalarFieldContainer[str]
    reached_milestones: _containers.RepeatedScalarFieldContainer[str]
    create_time: _timestamp_pb2.Timestamp
    complete_time: _timestamp_pb2.Timestamp
    overdue: bool
    def __init__(self, enrollment_id: _Optional[str] = ..., program_id: _Optional[str] = ..., learner_id: _Optional[str] = ..., state: _Optional[_Union[EnrollmentState, str]] = ..., program_version: _Optional[int] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., due_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., source: _Optional[_Union[EnrollmentSource, str]] = ..., progress: _Optional[float] = ..., completed_course_ids: _Optional[_Iterable[str]] = ..., reached_milestones: _Optional[_Iterable[str]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., complete_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., overdue: _Optional[bool] = ...) -> None: ...

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
    __slots__ = ("program_id", "view")
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    program_id: str
    view: ProgramView
    def __init__(self, program_id: _Optional[str] = ..., view: _Optional[_Union[ProgramView, str]] = ...) -> None: ...

class ListProgramsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "state", "tag", "query", "view")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    TAG_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    state: ProgramState
    tag: str
    query: str
    view: ProgramView
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., state: _Optional[_Union[ProgramState, str]] = ..., tag: _Optional[str] = ..., query: _Optional[str] = ..., view: _Optional[_Union[ProgramView, str]] = ...) -> None: ...

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

class CreateEnrollmentRequest(_message.Message):
    __slots__ = ("program_id", "enrollment")
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    ENROLLMENT_FIELD_NUMBER: _ClassVar[int]
    program_id: str
    enrollment: Enrollment
    def __init__(self, program_id: _Optional[str] = ..., enrollment: _Optional[_Union[Enrollment, _Mapping]] = ...) -> None: ...

class BatchCreateEnrollmentsRequest(_message.Message):
    __slots__ = ("program_id", "enrollments", "validate_only", "request_id")
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    ENROLLMENTS_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    program_id: str
    enrollments: _containers.RepeatedCompositeFieldContainer[Enrollment]
    validate_only: bool
    request_id: str
    def __init__(self, program_id: _Optional[str] = ..., enrollments: _Optional[_Iterable[_Union[Enrollment, _Mapping]]] = ..., validate_only: _Optional[bool] = ..., request_id: _Optional[str] = ...) -> None: ...

class BatchEnrollmentResult(_message.Message):
    __slots__ = ("index", "learner_id", "outcome", "enrollment", "error")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    ENROLLMENT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    index: int
    learner_id: str
    outcome: BatchOutcome
    enrollment: Enrollment
    error: str
    def __init__(self, index: _Optional[int] = ..., learner_id: _Optional[str] = ..., outcome: _Optional[_Union[BatchOutcome, str]] = ..., enrollment: _Optional[_Union[Enrollment, _Mapping]] = ..., error: _Optional[str] = ...) -> None: ...

class BatchCreateEnrollmentsResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[BatchEnrollmentResult]
    def __init__(self, results: _Optional[_Iterable[_Union[BatchEnrollmentResult, _Mapping]]] = ...) -> None: ...

class GetEnrollmentRequest(_message.Message):
    __slots__ = ("program_id", "enrollment_id")
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    ENROLLMENT_ID_FIELD_NUMBER: _ClassVar[int]
    program_id: str
    enrollment_id: str
    def __init__(self, program_id: _Optional[str] = ..., enrollment_id: _Optional[str] = ...) -> None: ...

class ListEnrollmentsRequest(_message.Message):
    __slots__ = ("program_id", "page_size", "page_token", "state", "overdue_only", "min_progress")
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_ONLY_FIELD_NUMBER: _ClassVar[int]
    MIN_PROGRESS_FIELD_NUMBER: _ClassVar[int]
    program_id: str
    page_size: int
    page_token: str
    state: EnrollmentState
    overdue_only: bool
    min_progress: float
    def __init__(self, program_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., state: _Optional[_Union[EnrollmentState, str]] = ..., overdue_only: _Optional[bool] = ..., min_progress: _Optional[float] = ...) -> None: ...

class ListEnrollmentsResponse(_message.Message):
    __slots__ = ("enrollments", "next_page_token")
    ENROLLMENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    enrollments: _containers.RepeatedCompositeFieldContainer[Enrollment]
    next_page_token: str
    def __init__(self, enrollments: _Optional[_Iterable[_Union[Enrollment, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListLearnerEnrollmentsRequest(_message.Message):
    __slots__ = ("learner_id", "page_size", "page_token", "state")
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    learner_id: str
    page_size: int
    page_token: str
    state: EnrollmentState
    def __init__(self, learner_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., state: _Optional[_Union[EnrollmentState, str]] = ...) -> None: ...

class ListLearnerEnrollmentsResponse(_message.Message):
    __slots__ = ("enrollments", "next_page_token")
    ENROLLMENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    enrollments: _containers.RepeatedCompositeFieldContainer[Enrollment]
    next_page_token: str
    def __init__(self, enrollments: _Optional[_Iterable[_Union[Enrollment, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class WithdrawEnrollmentRequest(_message.Message):
    __slots__ = ("program_id", "enrollment_id")
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    ENROLLMENT_ID_FIELD_NUMBER: _ClassVar[int]
    program_id: str
    enrollment_id: str
    def __init__(self, program_id: _Optional[str] = ..., enrollment_id: _Optional[str] = ...) -> None: ...

class ApproveEnrollmentRequest(_message.Message):
    __slots__ = ("program_id", "enrollment_id")
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    ENROLLMENT_ID_FIELD_NUMBER: _ClassVar[int]
    program_id: str
    enrollment_id: str
    def __init__(self, program_id: _Optional[str] = ..., enrollment_id: _Optional[str] = ...) -> None: ...

class UpdateEnrollmentRequest(_message.Message):
    __slots__ = ("program_id", "enrollment", "update_mask", "reason")
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    ENROLLMENT_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    program_id: str
    enrollment: Enrollment
    update_mask: _field_mask_pb2.FieldMask
    reason: str
    def __init__(self, program_id: _Optional[str] = ..., enrollment: _Optional[_Union[Enrollment, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class EnrollmentChange(_message.Message):
    __slots__ = ("enrollment_id", "learner_id", "from_version", "to_version", "added_course_ids", "removed_course_ids", "progress_before", "progress_after", "completed_before", "completed_after", "milestones_gained", "milestones_lost")
    ENROLLMENT_ID_FIELD_NUMBER: _ClassVar[int]
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_VERSION_FIELD_NUMBER: _ClassVar[int]
    TO_VERSION_FIELD_NUMBER: _ClassVar[int]
    ADDED_COURSE_IDS_FIELD_NUMBER: _ClassVar[int]
    REMOVED_COURSE_IDS_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_BEFORE_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_AFTER_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_BEFORE_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AFTER_FIELD_NUMBER: _ClassVar[int]
    MILESTONES_GAINED_FIELD_NUMBER: _ClassVar[int]
    MILESTONES_LOST_FIELD_NUMBER: _ClassVar[int]
    enrollment_id: str
    learner_id: str
    from_version: int
    to_version: int
    added_course_ids: _containers.RepeatedScalarFieldContainer[str]
    removed_course_ids: _containers.RepeatedScalarFieldContainer[str]
    progress_before: float
    progress_after: float
    completed_before: bool
    completed_after: bool
    milestones_gained: _containers.RepeatedScalarFieldContainer[str]
    milestones_lost: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, enrollment_id: _Optional[str] = ..., learner_id: _Optional[str] = ..., from_version: _Optional[int] = ..., to_version: _Optional[int] = ..., added_course_ids: _Optional[_Iterable[str]] = ..., removed_course_ids: _Optional[_Iterable[str]] = ..., progress_before: _Optional[float] = ..., progress_after: _Optional[float] = ..., completed_before: _Optional[bool] = ..., completed_after: _Optional[bool] = ..., milestones_gained: _Optional[_Iterable[str]] = ..., milestones_lost: _Optional[_Iterable[str]] = ...) -> None: ...

class MigrateEnrollmentsRequest(_message.Message):
    __slots__ = ("program_id", "target_version", "learner_ids", "validate_only", "page_size", "page_token")
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    TARGET_VERSION_FIELD_NUMBER: _ClassVar[int]
    LEARNER_IDS_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    program_id: str
    target_version: int
    learner_ids: _containers.RepeatedScalarFieldContainer[str]
    validate_only: bool
    page_size: int
    page_token: str
    def __init__(self, program_id: _Optional[str] = ..., target_version: _Optional[int] = ..., learner_ids: _Optional[_Iterable[str]] = ..., validate_only: _Optional[bool] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class MigrateEnrollmentsResponse(_message.Message):
    __slots__ = ("target_version", "changes", "applied", "next_page_token")
    TARGET_VERSION_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    APPLIED_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    target_version: int
    changes: _containers.RepeatedCompositeFieldContainer[EnrollmentChange]
    applied: bool
    next_page_token: str
    def __init__(self, target_version: _Optional[int] = ..., changes: _Optional[_Iterable[_Union[EnrollmentChange, _Mapping]]] = ..., applied: _Optional[bool] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class RecomputeEnrollmentsRequest(_message.Message):
    __slots__ = ("program_id", "validate_only", "page_size", "page_token")
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    program_id: str
    validate_only: bool
    page_size: int
    page_token: str
    def __init__(self, program_id: _Optional[str] = ..., validate_only: _Optional[bool] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class RecomputeEnrollmentsResponse(_message.Message):
    __slots__ = ("changes", "examined_count", "applied", "next_page_token")
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    EXAMINED_COUNT_FIELD_NUMBER: _ClassVar[int]
    APPLIED_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    changes: _containers.RepeatedCompositeFieldContainer[EnrollmentChange]
    examined_count: int
    applied: bool
    next_page_token: str
    def __init__(self, changes: _Optional[_Iterable[_Union[EnrollmentChange, _Mapping]]] = ..., examined_count: _Optional[int] = ..., applied: _Optional[bool] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class Learner(_message.Message):
    __slots__ = ("learner_id", "display_name", "email", "time_zone", "locale", "manager_id", "teams", "active", "update_time")
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    LOCALE_FIELD_NUMBER: _ClassVar[int]
    MANAGER_ID_FIELD_NUMBER: _ClassVar[int]
    TEAMS_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    learner_id: str
    display_name: str
    email: str
    time_zone: str
    locale: str
    manager_id: str
    teams: _containers.RepeatedScalarFieldContainer[str]
    active: bool
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, learner_id: _Optional[str] = ..., display_name: _Optional[str] = ..., email: _Optional[str] = ..., time_zone: _Optional[str] = ..., locale: _Optional[str] = ..., manager_id: _Optional[str] = ..., teams: _Optional[_Iterable[str]] = ..., active: _Optional[bool] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class UpsertLearnerRequest(_message.Message):
    __slots__ = ("learner_id", "learner")
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    LEARNER_FIELD_NUMBER: _ClassVar[int]
    learner_id: str
    learner: Learner
    def __init__(self, learner_id: _Optional[str] = ..., learner: _Optional[_Union[Learner, _Mapping]] = ...) -> None: ...

class GetLearnerRequest(_message.Message):
    __slots__ = ("learner_id",)
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    learner_id: str
    def __init__(self, learner_id: _Optional[str] = ...) -> None: ...

class ListLearnersRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "team", "include_inactive", "query")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TEAM_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_INACTIVE_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    team: str
    include_inactive: bool
    query: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., team: _Optional[str] = ..., include_inactive: _Optional[bool] = ..., query: _Optional[str] = ...) -> None: ...

class ListLearnersResponse(_message.Message):
    __slots__ = ("learners", "next_page_token")
    LEARNERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    learners: _containers.RepeatedCompositeFieldContainer[Learner]
    next_page_token: str
    def __init__(self, learners: _Optional[_Iterable[_Union[Learner, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class LearnerRow(_message.Message):
    __slots__ = ("learner_id", "learner")
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    LEARNER_FIELD_NUMBER: _ClassVar[int]
    learner_id: str
    learner: Learner
    def __init__(self, learner_id: _Optional[str] = ..., learner: _Optional[_Union[Learner, _Mapping]] = ...) -> None: ...

class BatchUpsertLearnersRequest(_message.Message):
    __slots__ = ("rows", "deactivate_missing", "max_deactivation_percent", "force", "validate_only")
    ROWS_FIELD_NUMBER: _ClassVar[int]
    DEACTIVATE_MISSING_FIELD_NUMBER: _ClassVar[int]
    MAX_DEACTIVATION_PERCENT_FIELD_NUMBER: _ClassVar[int]
    FORCE_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    rows: _containers.RepeatedCompositeFieldContainer[LearnerRow]
    deactivate_missing: bool
    max_deactivation_percent: int
    force: bool
    validate_only: bool
    def __init__(self, rows: _Optional[_Iterable[_Union[LearnerRow, _Mapping]]] = ..., deactivate_missing: _Optional[bool] = ..., max_deactivation_percent: _Optional[int] = ..., force: _Optional[bool] = ..., validate_only: _Optional[bool] = ...) -> None: ...

class LearnerChange(_message.Message):
    __slots__ = ("learner_id", "kind", "changed_fields")
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    CHANGED_FIELDS_FIELD_NUMBER: _ClassVar[int]
    learner_id: str
    kind: LearnerChangeKind
    changed_fields: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, learner_id: _Optional[str] = ..., kind: _Optional[_Union[LearnerChangeKind, str]] = ..., changed_fields: _Optional[_Iterable[str]] = ...) -> None: ...

class BatchUpsertLearnersResponse(_message.Message):
    __slots__ = ("changes", "created", "changed", "deactivated", "unchanged", "applied")
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    CHANGED_FIELD_NUMBER: _ClassVar[int]
    DEACTIVATED_FIELD_NUMBER: _ClassVar[int]
    UNCHANGED_FIELD_NUMBER: _ClassVar[int]
    APPLIED_FIELD_NUMBER: _ClassVar[int]
    changes: _containers.RepeatedCompositeFieldContainer[LearnerChange]
    created: int
    changed: int
    deactivated: int
    unchanged: int
    applied: bool
    def __init__(self, changes: _Optional[_Iterable[_Union[LearnerChange, _Mapping]]] = ..., created: _Optional[int] = ..., changed: _Optional[int] = ..., deactivated: _Optional[int] = ..., unchanged: _Optional[int] = ..., applied: _Optional[bool] = ...) -> None: ...
