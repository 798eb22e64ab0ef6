import datetime

from buf.validate import validate_pb2 as _validate_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.api import httpbody_pb2 as _httpbody_pb2
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

class Scope(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SCOPE_UNSPECIFIED: _ClassVar[Scope]
    SCOPE_SELF: _ClassVar[Scope]
    SCOPE_TEAM: _ClassVar[Scope]
    SCOPE_TENANT: _ClassVar[Scope]

class RiskReasonCode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RISK_REASON_CODE_UNSPECIFIED: _ClassVar[RiskReasonCode]
    RISK_REASON_CODE_BEHIND_PACE: _ClassVar[RiskReasonCode]
    RISK_REASON_CODE_INACTIVE: _ClassVar[RiskReasonCode]
    RISK_REASON_CODE_LOW_SCORES: _ClassVar[RiskReasonCode]
    RISK_REASON_CODE_OVERDUE: _ClassVar[RiskReasonCode]

class RecommendationKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RECOMMENDATION_KIND_UNSPECIFIED: _ClassVar[RecommendationKind]
    RECOMMENDATION_KIND_NEAREST_DEADLINE: _ClassVar[RecommendationKind]
    RECOMMENDATION_KIND_UNBLOCKS_MOST: _ClassVar[RecommendationKind]
    RECOMMENDATION_KIND_RESUME: _ClassVar[RecommendationKind]

class ReportType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REPORT_TYPE_UNSPECIFIED: _ClassVar[ReportType]
    REPORT_TYPE_OVERVIEW: _ClassVar[ReportType]
    REPORT_TYPE_PROGRAM: _ClassVar[ReportType]
    REPORT_TYPE_AT_RISK: _ClassVar[ReportType]
    REPORT_TYPE_ACTIVITY: _ClassVar[ReportType]

class ReportFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REPORT_FORMAT_UNSPECIFIED: _ClassVar[ReportFormat]
    REPORT_FORMAT_CSV: _ClassVar[ReportFormat]
    REPORT_FORMAT_XLSX: _ClassVar[ReportFormat]
    REPORT_FORMAT_PDF: _ClassVar[ReportFormat]

class Frequency(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FREQUENCY_UNSPECIFIED: _ClassVar[Frequency]
    FREQUENCY_MANUAL: _ClassVar[Frequency]
    FREQUENCY_DAILY: _ClassVar[Frequency]
    FREQUENCY_WEEKLY: _ClassVar[Frequency]
    FREQUENCY_MONTHLY: _ClassVar[Frequency]
    FREQUENCY_CRON: _ClassVar[Frequency]

class DataScope(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DATA_SCOPE_UNSPECIFIED: _ClassVar[DataScope]
    DATA_SCOPE_OWNER: _ClassVar[DataScope]
    DATA_SCOPE_RECIPIENT: _ClassVar[DataScope]

class EmptyPolicy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EMPTY_POLICY_UNSPECIFIED: _ClassVar[EmptyPolicy]
    EMPTY_POLICY_SEND: _ClassVar[EmptyPolicy]
    EMPTY_POLICY_SKIP: _ClassVar[EmptyPolicy]
SCOPE_UNSPECIFIED: Scope
SCOPE_SELF: Scope
SCOPE_TEAM: Scope
SCOPE_TENANT: Scope
RISK_REASON_CODE_UNSPECIFIED: RiskReasonCode
RISK_REASON_CODE_BEHIND_PACE: RiskReasonCode
RISK_REASON_CODE_INACTIVE: RiskReasonCode
RISK_REASON_CODE_LOW_SCORES: RiskReasonCode
RISK_REASON_CODE_OVERDUE: RiskReasonCode
RECOMMENDATION_KIND_UNSPECIFIED: RecommendationKind
RECOMMENDATION_KIND_NEAREST_DEADLINE: RecommendationKind
RECOMMENDATION_KIND_UNBLOCKS_MOST: RecommendationKind
RECOMMENDATION_KIND_RESUME: RecommendationKind
REPORT_TYPE_UNSPECIFIED: ReportType
REPORT_TYPE_OVERVIEW: ReportType
REPORT_TYPE_PROGRAM: ReportType
REPORT_TYPE_AT_RISK: ReportType
REPORT_TYPE_ACTIVITY: ReportType
REPORT_FORMAT_UNSPECIFIED: ReportFormat
REPORT_FORMAT_CSV: ReportFormat
REPORT_FORMAT_XLSX: ReportFormat
REPORT_FORMAT_PDF: ReportFormat
FREQUENCY_UNSPECIFIED: Frequency
FREQUENCY_MANUAL: Frequency
FREQUENCY_DAILY: Frequency
FREQUENCY_WEEKLY: Frequency
FREQUENCY_MONTHLY: Frequency
FREQUENCY_CRON: Frequency
DATA_SCOPE_UNSPECIFIED: DataScope
DATA_SCOPE_OWNER: DataScope
DATA_SCOPE_RECIPIENT: DataScope
EMPTY_POLICY_UNSPECIFIED: EmptyPolicy
EMPTY_POLICY_SEND: EmptyPolicy
EMPTY_POLICY_SKIP: EmptyPolicy

class DateRange(_message.Message):
    __slots__ = ("start_date", "end_date", "time_zone")
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    start_date: str
    end_date: str
    time_zone: str
    def __init__(self, start_date: _Optional[str] = ..., end_date: _Optional[str] = ..., time_zone: _Optional[str] = ...) -> None: ...

class DailyPoint(_message.Message):
    __slots__ = ("date", "active_learners", "block_activities", "block_completions", "course_completions", "resets", "enrollments", "program_completions", "milestones", "time_on_task_seconds", "average_score", "scored_activities")
    DATE_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_LEARNERS_FIELD_NUMBER: _ClassVar[int]
    BLOCK_ACTIVITIES_FIELD_NUMBER: _ClassVar[int]
    BLOCK_COMPLETIONS_FIELD_NUMBER: _ClassVar[int]
    COURSE_COMPLETIONS_FIELD_NUMBER: _ClassVar[int]
    RESETS_FIELD_NUMBER: _ClassVar[int]
    ENROLLMENTS_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_COMPLETIONS_FIELD_NUMBER: _ClassVar[int]
    MILESTONES_FIELD_NUMBER: _ClassVar[int]
    TIME_ON_TASK_SECONDS_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_SCORE_FIELD_NUMBER: _ClassVar[int]
    SCORED_ACTIVITIES_FIELD_NUMBER: _ClassVar[int]
    date: str
    active_learners: int
    block_activities: int
    block_completions: int
    course_completions: int
    resets: int
    enrollments: int
    program_completions: int
    milestones: int
    time_on_task_seconds: int
    average_score: float
    scored_activities: int
    def __init__(self, date: _Optional[str] = ..., active_learners: _Optional[int] = ..., block_activities: _Optional[int] = ..., block_completions: _Optional[int] = ..., course_completions: _Optional[int] = ..., resets: _Optional[int] = ..., enrollments: _Optional[int] = ..., program_completions: _Optional[int] = ..., milestones: _Optional[int] = ..., time_on_task_seconds: _Optional[int] = ..., average_score: _Optional[float] = ..., scored_activities: _Optional[int] = ...) -> None: ...

class StateCount(_message.Message):
    __slots__ = ("state", "count")
    STATE_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    state: str
    count: int
    def __init__(self, state: _Optional[str] = ..., count: _Optional[int] = ...) -> None: ...

class GetOverviewRequest(_message.Message):
    __slots__ = ("range",)
    RANGE_FIELD_NUMBER: _ClassVar[int]
    range: DateRange
    def __init__(self, range: _Optional[_Union[DateRange, _Mapping]] = ...) -> None: ...

class Overview(_message.Message):
    __slots__ = ("scope", "range", "points", "totals", "enrollments_by_state", "learners_in_scope")
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    RANGE_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    TOTALS_FIELD_NUMBER: _ClassVar[int]
    ENROLLMENTS_BY_STATE_FIELD_NUMBER: _ClassVar[int]
    LEARNERS_IN_SCOPE_FIELD_NUMBER: _ClassVar[int]
    scope: Scope
    range: DateRange
    points: _containers.RepeatedCompositeFieldContainer[DailyPoint]
    totals: DailyPoint
    enrollments_by_state: _containers.RepeatedCompositeFieldContainer[StateCount]
    learners_in_scope: int
    def __init__(self, scope: _Optional[_Union[Scope, str]] = ..., range: _Optional[_Union[DateRange, _Mapping]] = ..., points: _Optional[_Iterable[_Union[DailyPoint, _Mapping]]] = ..., totals: _Optional[_Union[DailyPoint, _Mapping]] = ..., enrollments_by_state: _Optional[_Iterable[_Union[StateCount, _Mapping]]] = ..., learners_in_scope: _Optional[int] = ...) -> None: ...

class GetProgramPerformanceRequest(_message.Message):
    __slots__ = ("program_id", "range")
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    RANGE_FIELD_NUMBER: _ClassVar[int]
    program_id: str
    range: DateRange
    def __init__(self, program_id: _Optional[str] = ..., range: _Optional[_Union[DateRange, _Mapping]] = ...) -> None: ...

class FunnelStep(_message.Message):
    __slots__ = ("key", "label", "enrollments", "ratio")
    KEY_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    ENROLLMENTS_FIELD_NUMBER: _ClassVar[int]
    RATIO_FIELD_NUMBER: _ClassVar[int]
    key: str
    label: str
    enrollments: int
    ratio: float
    def __init__(self, key: _Optional[str] = ..., label: _Optional[str] = ..., enrollments: _Optional[int] = ..., ratio: _Optional[float] = ...) -> None: ...

class StallPoint(_message.Message):
    __slots__ = ("course_id", "stalled_learners", "median_idle_days")
    COURSE_ID_FIELD_NUMBER: _ClassVar[int]
    STALLED_LEARNERS_FIELD_NUMBER: _ClassVar[int]
    MEDIAN_IDLE_DAYS_FIELD_NUMBER: _ClassVar[int]
    course_id: str
    stalled_learners: int
    median_idle_days: float
    def __init__(self, course_id: _Optional[str] = ..., stalled_learners: _Optional[int] = ..., median_idle_days: _Optional[float] = ...) -> None: ...

class ProgramPerformance(_message.Message):
    __slots__ = ("program_id", "title", "scope", "range", "funnel", "completion_rate", "median_days_to_complete", "overdue", "stall_points", "points", "enrollments_by_state")
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    RANGE_FIELD_NUMBER: _ClassVar[int]
    FUNNEL_FIELD_NUMBER: _ClassVar[int]
    COMPLETION_RATE_FIELD_NUMBER: _ClassVar[int]
    MEDIAN_DAYS_TO_COMPLETE_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_FIELD_NUMBER: _ClassVar[int]
    STALL_POINTS_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    ENROLLMENTS_BY_STATE_FIELD_NUMBER: _ClassVar[int]
    program_id: str
    title: str
    scope: Scope
    range: DateRange
    funnel: _containers.RepeatedCompositeFieldContainer[FunnelStep]
    completion_rate: float
    median_days_to_complete: float
    overdue: int
    stall_points: _containers.RepeatedCompositeFieldContainer[StallPoint]
    points: _containers.RepeatedCompositeFieldContainer[DailyPoint]
    enrollments_by_state: _containers.RepeatedCompositeFieldContainer[StateCount]
    def __init__(self, program_id: _Optional[str] = ..., title: _Optional[str] = ..., scope: _Optional[_Union[Scope, str]] = ..., range: _Optional[_Union[DateRange, _Mapping]] = ..., funnel: _Optional[_Iterable[_Union[FunnelStep, _Mapping]]] = ..., completion_rate: _Optional[float] = ..., median_days_to_complete: _Optional[float] = ..., overdue: _Optional[int] = ..., stall_points: _Optional[_Iterable[_Union[StallPoint, _Mapping]]] = ..., points: _Optional[_Iterable[_Union[DailyPoint, _Mapping]]] = ..., enrollments_by_state: _Optional[_Iterable[_Union[StateCount, _Mapping]]] = ...) -> None: ...

class GetCourseEngagementRequest(_message.Message):
    __slots__ = ("course_id", "range")
    COURSE_ID_FIELD_NUMBER: _ClassVar[int]
    RANGE_FIELD_NUMBER: _ClassVar[int]
    course_id: str
    range: DateRange
    def __init__(self, course_id: _Optional[str] = ..., range: _Optional[_Union[DateRange, _Mapping]] = ...) -> None: ...

class BlockEngagement(_message.Message):
    __slots__ = ("block_id", "activities", "completions", "learners", "average_score")
    BLOCK_ID_FIELD_NUMBER: _ClassVar[int]
    ACTIVITIES_FIELD_NUMBER: _ClassVar[int]
    COMPLETIONS_FIELD_NUMBER: _ClassVar[int]
    LEARNERS_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_SCORE_FIELD_NUMBER: _ClassVar[int]
    block_id: str
    activities: int
    completions: int
    learners: int
    average_score: float
    def __init__(self, block_id: _Optional[str] = ..., activities: _Optional[int] = ..., completions: _Optional[int] = ..., learners: _Optional[int] = ..., average_score: _Optional[float] = ...) -> None: ...

class CourseEngagement(_message.Message):
    __slots__ = ("course_id", "scope", "range", "points", "totals", "blocks")
    COURSE_ID_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    RANGE_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    TOTALS_FIELD_NUMBER: _ClassVar[int]
    BLOCKS_FIELD_NUMBER: _ClassVar[int]
    course_id: str
    scope: Scope
    range: DateRange
    points: _containers.RepeatedCompositeFieldContainer[DailyPoint]
    totals: DailyPoint
    blocks: _containers.RepeatedCompositeFieldContainer[BlockEngagement]
    def __init__(self, course_id: _Optional[str] = ..., scope: _Optional[_Union[Scope, str]] = ..., range: _Optional[_Union[DateRange, _Mapping]] = ..., points: _Optional[_Iterable[_Union[DailyPoint, _Mapping]]] = ..., totals: _Optional[_Union[DailyPoint, _Mapping]] = ..., blocks: _Optional[_Iterable[_Union[BlockEngagement, _Mapping]]] = ...) -> None: ...

class GetLearnerSummaryRequest(_message.Message):
    __slots__ = ("learner_id", "range")
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    RANGE_FIELD_NUMBER: _ClassVar[int]
    learner_id: str
    range: DateRange
    def __init__(self, learner_id: _Optional[str] = ..., range: _Optional[_Union[DateRange, _Mapping]] = ...) -> None: ...

class EnrollmentSummary(_message.Message):
    __slots__ = ("enrollment_id", "program_id", "program_title", "state", "progress", "enroll_time", "due_time", "complete_time", "overdue")
    ENROLLMENT_ID_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_TITLE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    ENROLL_TIME_FIELD_NUMBER: _ClassVar[int]
    DUE_TIME_FIELD_NUMBER: _ClassVar[int]
    COMPLETE_TIME_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_FIELD_NUMBER: _ClassVar[int]
    enrollment_id: str
    program_id: str
    program_title: str
    state: str
    progress: float
    enroll_time: _timestamp_pb2.Timestamp
    due_time: _timestamp_pb2.Timestamp
    complete_time: _timestamp_pb2.Timestamp
    overdue: bool
    def __init__(self, enrollment_id: _Optional[str] = ..., program_id: _Optional[str] = ..., program_title: _Optional[str] = ..., state: _Optional[str] = ..., progress: _Optional[float] = ..., enroll_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., due_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., complete_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., overdue: _Optional[bool] = ...) -> None: ...

class LearnerSummary(_message.Message):
    __slots__ = ("learner_id", "display_name", "range", "points", "totals", "enrollments", "last_activity_time", "courses_completed")
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    RANGE_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    TOTALS_FIELD_NUMBER: _ClassVar[int]
    ENROLLMENTS_FIELD_NUMBER: _ClassVar[int]
    LAST_ACTIVITY_TIME_FIELD_NUMBER: _ClassVar[int]
    COURSES_COMPLETED_FIELD_NUMBER: _ClassVar[int]
    learner_id: str
    display_name: str
    range: DateRange
    points: _containers.RepeatedCompositeFieldContainer[DailyPoint]
    totals: DailyPoint
    enrollments: _containers.RepeatedCompositeFieldContainer[EnrollmentSummary]
    last_activity_time: _timestamp_pb2.Timestamp
    courses_completed: int
    def __init__(self, learner_id: _Optional[str] = ..., display_name: _Optional[str] = ..., range: _Optional[_Union[DateRange, _Mapping]] = ..., points: _Optional[_Iterable[_Union[DailyPoint, _Mapping]]] = ..., totals: _Optional[_Union[DailyPoint, _Mapping]] = ..., enrollments: _Optional[_Iterable[_Union[EnrollmentSummary, _Mapping]]] = ..., last_activity_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., courses_completed: _Optional[int] = ...) -> None: ...

class RiskReason(_message.Message):
    __slots__ = ("code", "weight", "explanation")
    CODE_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    EXPLANATION_FIELD_NUMBER: _ClassVar[int]
    code: RiskReasonCode
    weight: float
    explanation: str
    def __init__(self, code: _Optional[_Union[RiskReasonCode, str]] = ..., weight: _Optional[float] = ..., explanation: _Optional[str] = ...) -> None: ...

class AtRiskLearner(_message.Message):
    __slots__ = ("learner_id", "display_name", "enrollment_id", "program_id", "risk_score", "reasons", "progress", "due_time")
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    ENROLLMENT_ID_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    RISK_SCORE_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    DUE_TIME_FIELD_NUMBER: _ClassVar[int]
    learner_id: str
    display_name: str
    enrollment_id: str
    program_id: str
    risk_score: float
    reasons: _containers.RepeatedCompositeFieldContainer[RiskReason]
    progress: float
    due_time: _timestamp_pb2.Timestamp
    def __init__(self, learner_id: _Optional[str] = ..., display_name: _Optional[str] = ..., enrollment_id: _Optional[str] = ..., program_id: _Optional[str] = ..., risk_score: _Optional[float] = ..., reasons: _Optional[_Iterable[_Union[RiskReason, _Mapping]]] = ..., progress: _Optional[float] = ..., due_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListAtRiskLearnersRequest(_message.Message):
    __slots__ = ("program_id", "inactive_days", "page_size", "page_token")
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    INACTIVE_DAYS_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    program_id: str
    inactive_days: int
    page_size: int
    page_token: str
    def __init__(self, program_id: _Optional[str] = ..., inactive_days: _Optional[int] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListAtRiskLearnersResponse(_message.Message):
    __slots__ = ("learners", "next_page_token", "scope")
    LEARNERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    learners: _containers.RepeatedCompositeFieldContainer[AtRiskLearner]
    next_page_token: str
    scope: Scope
    def __init__(self, learners: _Optional[_Iterable[_Union[AtRiskLearner, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., scope: _Optional[_Union[Scope, str]] = ...) -> None: ...

class Recommendation(_message.Message):
    __slots__ = ("kind", "course_id", "program_id", "explanation", "score", "due_time")
    KIND_FIELD_NUMBER: _ClassVar[int]
    COURSE_ID_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    EXPLANATION_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    DUE_TIME_FIELD_NUMBER: _ClassVar[int]
    kind: RecommendationKind
    course_id: str
    program_id: str
    explanation: str
    score: float
    due_time: _timestamp_pb2.Timestamp
    def __init__(self, kind: _Optional[_Union[RecommendationKind, str]] = ..., course_id: _Optional[str] = ..., program_id: _Optional[str] = ..., explanation: _Optional[str] = ..., score: _Optional[float] = ..., due_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListRecommendationsRequest(_message.Message):
    __slots__ = ("learner_id",)
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    learner_id: str
    def __init__(self, learner_id: _Optional[str] = ...) -> None: ...

class ListRecommendationsResponse(_message.Message):
    __slots__ = ("recommendations",)
    RECOMMENDATIONS_FIELD_NUMBER: _ClassVar[int]
    recommendations: _containers.RepeatedCompositeFieldContainer[Recommendation]
    def __init__(self, recommendations: _Optional[_Iterable[_Union[Recommendation, _Mapping]]] = ...) -> None: ...

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

class GetChartRequest(_message.Message):
    __slots__ = ("chart", "range", "program_id")
    CHART_FIELD_NUMBER: _ClassVar[int]
    RANGE_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    chart: str
    range: DateRange
    program_id: str
    def __init__(self, chart: _Optional[str] = ..., range: _Optional[_Union[DateRange, _Mapping]] = ..., program_id: _Optional[str] = ...) -> None: ...

class ReportSchedule(_message.Message):
    __slots__ = ("frequency", "local_time", "weekday", "month_day", "cron", "time_zone")
    FREQUENCY_FIELD_NUMBER: _ClassVar[int]
    LOCAL_TIME_FIELD_NUMBER: _ClassVar[int]
    WEEKDAY_FIELD_NUMBER: _ClassVar[int]
    MONTH_DAY_FIELD_NUMBER: _ClassVar[int]
    CRON_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    frequency: Frequency
    local_time: str
    weekday: int
    month_day: int
    cron: str
    time_zone: str
    def __init__(self, frequency: _Optional[_Union[Frequency, str]] = ..., local_time: _Optional[str] = ..., weekday: _Optional[int] = ..., month_day: _Optional[int] = ..., cron: _Optional[str] = ..., time_zone: _Optional[str] = ...) -> None: ...

class Recipient(_message.Message):
    __slots__ = ("email", "webhook_url", "webhook_secret")
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_URL_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_SECRET_FIELD_NUMBER: _ClassVar[int]
    email: str
    webhook_url: str
    webhook_secret: str
    def __init__(self, email: _Optional[str] = ..., webhook_url: _Optional[str] = ..., webhook_secret: _Optional[str] = ...) -> None: ...

class Report(_message.Message):
    __slots__ = ("report_id", "title", "type", "program_id", "period_days", "format", "schedule", "recipients", "data_scope", "empty_policy", "owner_id", "next_run_time", "create_time", "update_time", "etag")
    REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    PERIOD_DAYS_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    RECIPIENTS_FIELD_NUMBER: _ClassVar[int]
    DATA_SCOPE_FIELD_NUMBER: _ClassVar[int]
    EMPTY_POLICY_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    NEXT_RUN_TIME_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    report_id: str
    title: str
    type: ReportType
    program_id: str
    period_days: int
    format: ReportFormat
    schedule: ReportSchedule
    recipients: _containers.RepeatedCompositeFieldContainer[Recipient]
    data_scope: DataScope
    empty_policy: EmptyPolicy
    owner_id: str
    next_run_time: _timestamp_pb2.Timestamp
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    etag: str
    def __init__(self, report_id: _Optional[str] = ..., title: _Optional[str] = ..., type: _Optional[_Union[ReportType, str]] = ..., program_id: _Optional[str] = ..., period_days: _Optional[int] = ..., format: _Optional[_Union[ReportFormat, str]] = ..., schedule: _Optional[_Union[ReportSchedule, _Mapping]] = ..., recipients: _Optional[_Iterable[_Union[Recipient, _Mapping]]] = ..., data_scope: _Optional[_Union[DataScope, str]] = ..., empty_policy: _Optional[_Union[EmptyPolicy, str]] = ..., owner_id: _Optional[str] = ..., next_run_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., etag: _Optional[str] = ...) -> None: ...

class CreateReportRequest(_message.Message):
    __slots__ = ("report",)
    REPORT_FIELD_NUMBER: _ClassVar[int]
    report: Report
    def __init__(self, report: _Optional[_Union[Report, _Mapping]] = ...) -> None: ...

class ListReportsRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListReportsResponse(_message.Message):
    __slots__ = ("reports", "next_page_token")
    REPORTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    reports: _containers.RepeatedCompositeFieldContainer[Report]
    next_page_token: str
    def __init__(self, reports: _Optional[_Iterable[_Union[Report, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetReportRequest(_message.Message):
    __slots__ = ("report_id",)
    REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    report_id: str
    def __init__(self, report_id: _Optional[str] = ...) -> None: ...

class UpdateReportRequest(_message.Message):
    __slots__ = ("report_id", "report", "update_mask")
    REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    REPORT_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    report_id: str
    report: Report
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, report_id: _Optional[str] = ..., report: _Optional[_Union[Report, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class DeleteReportRequest(_message.Message):
    __slots__ = ("report_id",)
    REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    report_id: str
    def __init__(self, report_id: _Optional[str] = ...) -> None: ...

class RunReportRequest(_message.Message):
    __slots__ = ("report_id",)
    REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    report_id: str
    def __init__(self, report_id: _Optional[str] = ...) -> None: ...

class ReportRun(_message.Message):
    __slots__ = ("run_id", "report_id", "trigger", "scheduled_time", "state", "row_count", "filename", "content_type", "error", "create_time", "delivered", "retrying", "failed")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_FIELD_NUMBER: _ClassVar[int]
    SCHEDULED_TIME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ROW_COUNT_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_FIELD_NUMBER: _ClassVar[int]
    RETRYING_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    report_id: str
    trigger: str
    scheduled_time: _timestamp_pb2.Timestamp
    state: str
    row_count: int
    filename: str
    content_type: str
    error: str
    create_time: _timestamp_pb2.Timestamp
    delivered: int
    retrying: int
    failed: int
    def __init__(self, run_id: _Optional[str] = ..., report_id: _Optional[str] = ..., trigger: _Optional[str] = ..., scheduled_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., state: _Optional[str] = ..., row_count: _Optional[int] = ..., filename: _Optional[str] = ..., content_type: _Optional[str] = ..., error: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., delivered: _Optional[int] = ..., retrying: _Optional[int] = ..., failed: _Optional[int] = ...) -> None: ...

class ListReportRunsRequest(_message.Message):
    __slots__ = ("report_id", "page_size", "page_token")
    REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    report_id: str
    page_size: int
    page_token: str
    def __init__(self, report_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListReportRunsResponse(_message.Message):
    __slots__ = ("runs", "next_page_token")
    RUNS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    runs: _containers.RepeatedCompositeFieldContainer[ReportRun]
    next_page_token: str
    def __init__(self, runs: _Optional[_Iterable[_Union[ReportRun, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetReportRunContentRequest(_message.Message):
    __slots__ = ("report_id", "run_id")
    REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    report_id: str
    run_id: str
    def __init__(self, report_id: _Optional[str] = ..., run_id: _Optional[str] = ...) -> None: ...

class ReportDelivery(_message.Message):
    __slots__ = ("channel", "recipient", "attempt", "status", "code", "detail", "attempt_time", "next_attempt_time")
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    RECIPIENT_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_TIME_FIELD_NUMBER: _ClassVar[int]
    NEXT_ATTEMPT_TIME_FIELD_NUMBER: _ClassVar[int]
    channel: str
    recipient: str
    attempt: int
    status: str
    code: str
    detail: str
    attempt_time: _timestamp_pb2.Timestamp
    next_attempt_time: _timestamp_pb2.Timestamp
    def __init__(self, channel: _Optional[str] = ..., recipient: _Optional[str] = ..., attempt: _Optional[int] = ..., status: _Optional[str] = ..., code: _Optional[str] = ..., detail: _Optional[str] = ..., attempt_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., next_attempt_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListReportDeliveriesRequest(_message.Message):
    __slots__ = ("report_id", "run_id")
    REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    report_id: str
    run_id: str
    def __init__(self, report_id: _Optional[str] = ..., run_id: _Optional[str] = ...) -> None: ...

class ListReportDeliveriesResponse(_message.Message):
    __slots__ = ("deliveries",)
    DELIVERIES_FIELD_NUMBER: _ClassVar[int]
    deliveries: _containers.RepeatedCompositeFieldContainer[ReportDelivery]
    def __init__(self, deliveries: _Optional[_Iterable[_Union[ReportDelivery, _Mapping]]] = ...) -> None: ...

class AnalyticsSettings(_message.Message):
    __slots__ = ("fact_retention_days",)
    FACT_RETENTION_DAYS_FIELD_NUMBER: _ClassVar[int]
    fact_retention_days: int
    def __init__(self, fact_retention_days: _Optional[int] = ...) -> None: ...

class GetAnalyticsSettingsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class UpdateAnalyticsSettingsRequest(_message.Message):
    __slots__ = ("settings",)
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    settings: AnalyticsSettings
    def __init__(self, settings: _Optional[_Union[AnalyticsSettings, _Mapping]] = ...) -> None: ...
