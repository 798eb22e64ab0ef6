import datetime

from buf.validate import validate_pb2 as _validate_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BadgeState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BADGE_STATE_UNSPECIFIED: _ClassVar[BadgeState]
    BADGE_STATE_DRAFT: _ClassVar[BadgeState]
    BADGE_STATE_ACTIVE: _ClassVar[BadgeState]
    BADGE_STATE_ARCHIVED: _ClassVar[BadgeState]

class FactType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FACT_TYPE_UNSPECIFIED: _ClassVar[FactType]
    FACT_TYPE_BLOCK_COMPLETED: _ClassVar[FactType]
    FACT_TYPE_COURSE_COMPLETED: _ClassVar[FactType]
    FACT_TYPE_MILESTONE_REACHED: _ClassVar[FactType]
    FACT_TYPE_PROGRAM_COMPLETED: _ClassVar[FactType]

class BackfillState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BACKFILL_STATE_UNSPECIFIED: _ClassVar[BackfillState]
    BACKFILL_STATE_PENDING: _ClassVar[BackfillState]
    BACKFILL_STATE_DONE: _ClassVar[BackfillState]
    BACKFILL_STATE_FAILED: _ClassVar[BackfillState]

class AwardState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AWARD_STATE_UNSPECIFIED: _ClassVar[AwardState]
    AWARD_STATE_ACTIVE: _ClassVar[AwardState]
    AWARD_STATE_SUSPENDED: _ClassVar[AwardState]
    AWARD_STATE_REVOKED: _ClassVar[AwardState]
    AWARD_STATE_EXPIRED: _ClassVar[AwardState]

class AwardSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AWARD_SOURCE_UNSPECIFIED: _ClassVar[AwardSource]
    AWARD_SOURCE_RULE: _ClassVar[AwardSource]
    AWARD_SOURCE_BACKFILL: _ClassVar[AwardSource]
    AWARD_SOURCE_MANUAL: _ClassVar[AwardSource]

class CredentialStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CREDENTIAL_STATUS_UNSPECIFIED: _ClassVar[CredentialStatus]
    CREDENTIAL_STATUS_ACTIVE: _ClassVar[CredentialStatus]
    CREDENTIAL_STATUS_SUSPENDED: _ClassVar[CredentialStatus]
    CREDENTIAL_STATUS_REVOKED: _ClassVar[CredentialStatus]
    CREDENTIAL_STATUS_EXPIRED: _ClassVar[CredentialStatus]
BADGE_STATE_UNSPECIFIED: BadgeState
BADGE_STATE_DRAFT: BadgeState
BADGE_STATE_ACTIVE: BadgeState
BADGE_STATE_ARCHIVED: BadgeState
FACT_TYPE_UNSPECIFIED: FactType
FACT_TYPE_BLOCK_COMPLETED: FactType
FACT_TYPE_COURSE_COMPLETED: FactType
FACT_TYPE_MILESTONE_REACHED: FactType
FACT_TYPE_PROGRAM_COMPLETED: FactType
BACKFILL_STATE_UNSPECIFIED: BackfillState
BACKFILL_STATE_PENDING: BackfillState
BACKFILL_STATE_DONE: BackfillState
BACKFILL_STATE_FAILED: BackfillState
AWARD_STATE_UNSPECIFIED: AwardState
AWARD_STATE_ACTIVE: AwardState
AWARD_STATE_SUSPENDED: AwardState
AWARD_STATE_REVOKED: AwardState
AWARD_STATE_EXPIRED: AwardState
AWARD_SOURCE_UNSPECIFIED: AwardSource
AWARD_SOURCE_RULE: AwardSource
AWARD_SOURCE_BACKFILL: AwardSource
AWARD_SOURCE_MANUAL: AwardSource
CREDENTIAL_STATUS_UNSPECIFIED: CredentialStatus
CREDENTIAL_STATUS_ACTIVE: CredentialStatus
CREDENTIAL_STATUS_SUSPENDED: CredentialStatus
CREDENTIAL_STATUS_REVOKED: CredentialStatus
CREDENTIAL_STATUS_EXPIRED: CredentialStatus

class AttributeFilter(_message.Message):
    __slots__ = ("attribute", "values")
    ATTRIBUTE_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    attribute: str
    values: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, attribute: _Optional[str] = ..., values: _Optional[_Iterable[str]] = ...) -> None: ...

class CountRule(_message.Message):
    __slots__ = ("fact_type", "filters", "min_count", "within")
    FACT_TYPE_FIELD_NUMBER: _ClassVar[int]
    FILTERS_FIELD_NUMBER: _ClassVar[int]
    MIN_COUNT_FIELD_NUMBER: _ClassVar[int]
    WITHIN_FIELD_NUMBER: _ClassVar[int]
    fact_type: FactType
    filters: _containers.RepeatedCompositeFieldContainer[AttributeFilter]
    min_count: int
    within: _duration_pb2.Duration
    def __init__(self, fact_type: _Optional[_Union[FactType, str]] = ..., filters: _Optional[_Iterable[_Union[AttributeFilter, _Mapping]]] = ..., min_count: _Optional[int] = ..., within: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class StreakRule(_message.Message):
    __slots__ = ("fact_type", "filters", "days")
    FACT_TYPE_FIELD_NUMBER: _ClassVar[int]
    FILTERS_FIELD_NUMBER: _ClassVar[int]
    DAYS_FIELD_NUMBER: _ClassVar[int]
    fact_type: FactType
    filters: _containers.RepeatedCompositeFieldContainer[AttributeFilter]
    days: int
    def __init__(self, fact_type: _Optional[_Union[FactType, str]] = ..., filters: _Optional[_Iterable[_Union[AttributeFilter, _Mapping]]] = ..., days: _Optional[int] = ...) -> None: ...

class MilestoneRule(_message.Message):
    __slots__ = ("program_id", "node_id")
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    program_id: str
    node_id: str
    def __init__(self, program_id: _Optional[str] = ..., node_id: _Optional[str] = ...) -> None: ...

class ProgramCompletedRule(_message.Message):
    __slots__ = ("program_id",)
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    program_id: str
    def __init__(self, program_id: _Optional[str] = ...) -> None: ...

class CourseCompletedRule(_message.Message):
    __slots__ = ("course_id",)
    COURSE_ID_FIELD_NUMBER: _ClassVar[int]
    course_id: str
    def __init__(self, course_id: _Optional[str] = ...) -> None: ...

class MinScoreRule(_message.Message):
    __slots__ = ("min_score", "course_id", "block_id")
    MIN_SCORE_FIELD_NUMBER: _ClassVar[int]
    COURSE_ID_FIELD_NUMBER: _ClassVar[int]
    BLOCK_ID_FIELD_NUMBER: _ClassVar[int]
    min_score: float
    course_id: str
    block_id: str
    def __init__(self, min_score: _Optional[float] = ..., course_id: _Optional[str] = ..., block_id: _Optional[str] = ...) -> None: ...

class RuleGroup(_message.Message):
    __slots__ = ("rules",)
    RULES_FIELD_NUMBER: _ClassVar[int]
    rules: _containers.RepeatedCompositeFieldContainer[Rule]
    def __init__(self, rules: _Optional[_Iterable[_Union[Rule, _Mapping]]] = ...) -> None: ...

class NOfMRule(_message.Message):
    __slots__ = ("n", "rules")
    N_FIELD_NUMBER: _ClassVar[int]
    RULES_FIELD_NUMBER: _ClassVar[int]
    n: int
    rules: _containers.RepeatedCompositeFieldContainer[Rule]
    def __init__(self, n: _Optional[int] = ..., rules: _Optional[_Iterable[_Union[Rule, _Mapping]]] = ...) -> None: ...

class Rule(_message.Message):
    __slots__ = ("count", "streak", "milestone_reached", "program_completed", "course_completed", "min_score", "all_of", "any_of", "n_of_m")
    COUNT_FIELD_NUMBER: _ClassVar[int]
    STREAK_FIELD_NUMBER: _ClassVar[int]
    MILESTONE_REACHED_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_COMPLETED_FIELD_NUMBER: _ClassVar[int]
    COURSE_COMPLETED_FIELD_NUMBER: _ClassVar[int]
    MIN_SCORE_FIELD_NUMBER: _ClassVar[int]
    ALL_OF_FIELD_NUMBER: _ClassVar[int]
    ANY_OF_FIELD_NUMBER: _ClassVar[int]
    N_OF_M_FIELD_NUMBER: _ClassVar[int]
    count: CountRule
    streak: StreakRule
    milestone_reached: MilestoneRule
    program_completed: ProgramCompletedRule
    course_completed: CourseCompletedRule
    min_score: MinScoreRule
    all_of: RuleGroup
    any_of: RuleGroup
    n_of_m: NOfMRule
    def __init__(self, count: _Optional[_Union[CountRule, _Mapping]] = ..., streak: _Optional[_Union[StreakRule, _Mapping]] = ..., milestone_reached: _Optional[_Union[MilestoneRule, _Mapping]] = ..., program_completed: _Optional[_Union[ProgramCompletedRule, _Mapping]] = ..., course_completed: _Optional[_Union[CourseCompletedRule, _Mapping]] = ..., min_score: _Optional[_Union[MinScoreRule, _Mapping]] = ..., all_of: _Optional[_Union[RuleGroup, _Mapping]] = ..., any_of: _Optional[_Union[RuleGroup, _Mapping]] = ..., n_of_m: _Optional[_Union[NOfMRule, _Mapping]] = ...) -> None: ...

class Backfill(_message.Message):
    __slots__ = ("state", "awarded", "finish_time", "error")
    STATE_FIELD_NUMBER: _ClassVar[int]
    AWARDED_FIELD_NUMBER: _ClassVar[int]
    FINISH_TIME_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    state: BackfillState
    awarded: int
    finish_time: _timestamp_pb2.Timestamp
    error: str
    def __init__(self, state: _Optional[_Union[BackfillState, str]] = ..., awarded: _Optional[int] = ..., finish_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., error: _Optional[str] = ...) -> None: ...

class Badge(_message.Message):
    __slots__ = ("badge_id", "display_name", "description", "image_url", "criteria_narrative", "tags", "state", "rule", "validity", "program_id", "create_time", "update_time", "activate_time", "archive_time", "backfill", "etag")
    BADGE_ID_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    IMAGE_URL_FIELD_NUMBER: _ClassVar[int]
    CRITERIA_NARRATIVE_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    VALIDITY_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ACTIVATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ARCHIVE_TIME_FIELD_NUMBER: _ClassVar[int]
    BACKFILL_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    badge_id: str
    display_name: str
    description: str
    image_url: str
    criteria_narrative: str
    tags: _containers.RepeatedScalarFieldContainer[str]
    state: BadgeState
    rule: Rule
    validity: _duration_pb2.Duration
    program_id: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    activate_time: _timestamp_pb2.Timestamp
    archive_time: _timestamp_pb2.Timestamp
    backfill: Backfill
    etag: str
    def __init__(self, badge_id: _Optional[str] = ..., display_name: _Optional[str] = ..., description: _Optional[str] = ..., image_url: _Optional[str] = ..., criteria_narrative: _Optional[str] = ..., tags: _Optional[_Iterable[str]] = ..., state: _Optional[_Union[BadgeState, str]] = ..., rule: _Optional[_Union[Rule, _Mapping]] = ..., validity: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., program_id: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., activate_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., archive_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., backfill: _Optional[_Union[Backfill, _Mapping]] = ..., etag: _Optional[str] = ...) -> None: ...

class Award(_message.Message):
    __slots__ = ("award_id", "badge_id", "learner_id", "state", "source", "period", "award_time", "expire_time", "evidence_event_ids", "awarded_by", "reason", "revoke_time", "revoke_reason", "credential_id")
    AWARD_ID_FIELD_NUMBER: _ClassVar[int]
    BADGE_ID_FIELD_NUMBER: _ClassVar[int]
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    AWARD_TIME_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_EVENT_IDS_FIELD_NUMBER: _ClassVar[int]
    AWARDED_BY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REVOKE_TIME_FIELD_NUMBER: _ClassVar[int]
    REVOKE_REASON_FIELD_NUMBER: _ClassVar[int]
    CREDENTIAL_ID_FIELD_NUMBER: _ClassVar[int]
    award_id: str
    badge_id: str
    learner_id: str
    state: AwardState
    source: AwardSource
    period: int
    award_time: _timestamp_pb2.Timestamp
    expire_time: _timestamp_pb2.Timestamp
    evidence_event_ids: _containers.RepeatedScalarFieldContainer[str]
    awarded_by: str
    reason: str
    revoke_time: _timestamp_pb2.Timestamp
    revoke_reason: str
    credential_id: str
    def __init__(self, award_id: _Optional[str] = ..., badge_id: _Optional[str] = ..., learner_id: _Optional[str] = ..., state: _Optional[_Union[AwardState, str]] = ..., source: _Optional[_Union[AwardSource, str]] = ..., period: _Optional[int] = ..., award_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., evidence_event_ids: _Optional[_Iterable[str]] = ..., awarded_by: _Optional[str] = ..., reason: _Optional[str] = ..., revoke_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., revoke_reason: _Optional[str] = ..., credential_id: _Optional[str] = ...) -> None: ...

class CreateBadgeRequest(_message.Message):
    __slots__ = ("badge",)
    BADGE_FIELD_NUMBER: _ClassVar[int]
    badge: Badge
    def __init__(self, badge: _Optional[_Union[Badge, _Mapping]] = ...) -> None: ...

class GetBadgeRequest(_message.Message):
    __slots__ = ("badge_id",)
    BADGE_ID_FIELD_NUMBER: _ClassVar[int]
    badge_id: str
    def __init__(self, badge_id: _Optional[str] = ...) -> None: ...

class ListBadgesRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "state", "tag", "program_id")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    TAG_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    state: BadgeState
    tag: str
    program_id: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., state: _Optional[_Union[BadgeState, str]] = ..., tag: _Optional[str] = ..., program_id: _Optional[str] = ...) -> None: ...

class ListBadgesResponse(_message.Message):
    __slots__ = ("badges", "next_page_token")
    BADGES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    badges: _containers.RepeatedCompositeFieldContainer[Badge]
    next_page_token: str
    def __init__(self, badges: _Optional[_Iterable[_Union[Badge, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateBadgeRequest(_message.Message):
    __slots__ = ("badge", "update_mask")
    BADGE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    badge: Badge
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, badge: _Optional[_Union[Badge, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class ActivateBadgeRequest(_message.Message):
    __slots__ = ("badge_id", "backfill", "etag")
    BADGE_ID_FIELD_NUMBER: _ClassVar[int]
    BACKFILL_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    badge_id: str
    backfill: bool
    etag: str
    def __init__(self, badge_id: _Optional[str] = ..., backfill: _Optional[bool] = ..., etag: _Optional[str] = ...) -> None: ...

class ArchiveBadgeRequest(_message.Message):
    __slots__ = ("badge_id", "etag")
    BADGE_ID_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    badge_id: str
    etag: str
    def __init__(self, badge_id: _Optional[str] = ..., etag: _Optional[str] = ...) -> None: ...

class SimulateBadgeRequest(_message.Message):
    __slots__ = ("badge_id", "rule", "page_size")
    BADGE_ID_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    badge_id: str
    rule: Rule
    page_size: int
    def __init__(self, badge_id: _Optional[str] = ..., rule: _Optional[_Union[Rule, _Mapping]] = ..., page_size: _Optional[int] = ...) -> None: ...

class SimulatedAward(_message.Message):
    __slots__ = ("learner_id", "evidence_event_ids", "already_awarded")
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_EVENT_IDS_FIELD_NUMBER: _ClassVar[int]
    ALREADY_AWARDED_FIELD_NUMBER: _ClassVar[int]
    learner_id: str
    evidence_event_ids: _containers.RepeatedScalarFieldContainer[str]
    already_awarded: bool
    def __init__(self, learner_id: _Optional[str] = ..., evidence_event_ids: _Optional[_Iterable[str]] = ..., already_awarded: _Optional[bool] = ...) -> None: ...

class SimulateBadgeResponse(_message.Message):
    __slots__ = ("earners", "earner_count", "learner_count")
    EARNERS_FIELD_NUMBER: _ClassVar[int]
    EARNER_COUNT_FIELD_NUMBER: _ClassVar[int]
    LEARNER_COUNT_FIELD_NUMBER: _ClassVar[int]
    earners: _containers.RepeatedCompositeFieldContainer[SimulatedAward]
    earner_count: int
    learner_count: int
    def __init__(self, earners: _Optional[_Iterable[_Union[SimulatedAward, _Mapping]]] = ..., earner_count: _Optional[int] = ..., learner_count: _Optional[int] = ...) -> None: ...

class CreateAwardRequest(_message.Message):
    __slots__ = ("badge_id", "award")
    BADGE_ID_FIELD_NUMBER: _ClassVar[int]
    AWARD_FIELD_NUMBER: _ClassVar[int]
    badge_id: str
    award: Award
    def __init__(self, badge_id: _Optional[str] = ..., award: _Optional[_Union[Award, _Mapping]] = ...) -> None: ...

class ListAwardsRequest(_message.Message):
    __slots__ = ("badge_id", "page_size", "page_token", "state")
    BADGE_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    badge_id: str
    page_size: int
    page_token: str
    state: AwardState
    def __init__(self, badge_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., state: _Optional[_Union[AwardState, str]] = ...) -> None: ...

class ListAwardsResponse(_message.Message):
    __slots__ = ("awards", "next_page_token")
    AWARDS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    awards: _containers.RepeatedCompositeFieldContainer[Award]
    next_page_token: str
    def __init__(self, awards: _Optional[_Iterable[_Union[Award, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class RevokeAwardRequest(_message.Message):
    __slots__ = ("award_id", "reason")
    AWARD_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    award_id: str
    reason: str
    def __init__(self, award_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class SuspendAwardRequest(_message.Message):
    __slots__ = ("award_id", "reason", "reinstate")
    AWARD_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REINSTATE_FIELD_NUMBER: _ClassVar[int]
    award_id: str
    reason: str
    reinstate: bool
    def __init__(self, award_id: _Optional[str] = ..., reason: _Optional[str] = ..., reinstate: _Optional[bool] = ...) -> None: ...

class ListLearnerAchievementsRequest(_message.Message):
    __slots__ = ("learner_id",)
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    learner_id: str
    def __init__(self, learner_id: _Optional[str] = ...) -> None: ...

class BadgeProgress(_message.Message):
    __slots__ = ("badge", "percent")
    BADGE_FIELD_NUMBER: _ClassVar[int]
    PERCENT_FIELD_NUMBER: _ClassVar[int]
    badge: Badge
    percent: float
    def __init__(self, badge: _Optional[_Union[Badge, _Mapping]] = ..., percent: _Optional[float] = ...) -> None: ...

class ListLearnerAchievementsResponse(_message.Message):
    __slots__ = ("awards", "badges", "in_progress")
    class BadgesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: Badge
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[Badge, _Mapping]] = ...) -> None: ...
    AWARDS_FIELD_NUMBER: _ClassVar[int]
    BADGES_FIELD_NUMBER: _ClassVar[int]
    IN_PROGRESS_FIELD_NUMBER: _ClassVar[int]
    awards: _containers.RepeatedCompositeFieldContainer[Award]
    badges: _containers.MessageMap[str, Badge]
    in_progress: _containers.RepeatedCompositeFieldContainer[BadgeProgress]
    def __init__(self, awards: _Optional[_Iterable[_Union[Award, _Mapping]]] = ..., badges: _Optional[_Mapping[str, Badge]] = ..., in_progress: _Optional[_Iterable[_Union[BadgeProgress, _Mapping]]] = ...) -> None: ...

class GetLeaderboardRequest(_message.Message):
    __slots__ = ("program_id", "page_size")
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    program_id: str
    page_size: int
    def __init__(self, program_id: _Optional[str] = ..., page_size: _Optional[int] = ...) -> None: ...

class LeaderboardEntry(_message.Message):
    __slots__ = ("rank", "learner_id", "display_name", "badge_count")
    RANK_FIELD_NUMBER: _ClassVar[int]
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    BADGE_COUNT_FIELD_NUMBER: _ClassVar[int]
    rank: int
    learner_id: str
    display_name: str
    badge_count: int
    def __init__(self, rank: _Optional[int] = ..., learner_id: _Optional[str] = ..., display_name: _Optional[str] = ..., badge_count: _Optional[int] = ...) -> None: ...

class Leaderboard(_message.Message):
    __slots__ = ("program_id", "entries")
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    program_id: str
    entries: _containers.RepeatedCompositeFieldContainer[LeaderboardEntry]
    def __init__(self, program_id: _Optional[str] = ..., entries: _Optional[_Iterable[_Union[LeaderboardEntry, _Mapping]]] = ...) -> None: ...

class AchievementSettings(_message.Message):
    __slots__ = ("leaderboards_enabled", "issuer_name", "issuer_url")
    LEADERBOARDS_ENABLED_FIELD_NUMBER: _ClassVar[int]
    ISSUER_NAME_FIELD_NUMBER: _ClassVar[int]
    ISSUER_URL_FIELD_NUMBER: _ClassVar[int]
    leaderboards_enabled: bool
    issuer_name: str
    issuer_url: str
    def __init__(self, leaderboards_enabled: _Optional[bool] = ..., issuer_name: _Optional[str] = ..., issuer_url: _Optional[str] = ...) -> None: ...

class GetAchievementSettingsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class UpdateAchievementSettingsRequest(_message.Message):
    __slots__ = ("settings", "update_mask")
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    settings: AchievementSettings
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, settings: _Optional[_Union[AchievementSettings, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class GetCredentialRequest(_message.Message):
    __slots__ = ("credential_id",)
    CREDENTIAL_ID_FIELD_NUMBER: _ClassVar[int]
    credential_id: str
    def __init__(self, credential_id: _Optional[str] = ...) -> None: ...

class Credential(_message.Message):
    __slots__ = ("credential_id", "jwt", "credential", "status")
    CREDENTIAL_ID_FIELD_NUMBER: _ClassVar[int]
    JWT_FIELD_NUMBER: _ClassVar[int]
    CREDENTIAL_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    credential_id: str
    jwt: str
    credential: _struct_pb2.Struct
    status: CredentialStatus
    def __init__(self, credential_id: _Optional[str] = ..., jwt: _Optional[str] = ..., credential: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., status: _Optional[_Union[CredentialStatus, str]] = ...) -> None: ...

class GetStatusListRequest(_message.Message):
    __slots__ = ("status_list_id",)
    STATUS_LIST_ID_FIELD_NUMBER: _ClassVar[int]
    status_list_id: str
    def __init__(self, status_list_id: _Optional[str] = ...) -> None: ...

class StatusList(_message.Message):
    __slots__ = ("status_list_id", "status_purpose", "jwt", "credential")
    STATUS_LIST_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_PURPOSE_FIELD_NUMBER: _ClassVar[int]
    JWT_FIELD_NUMBER: _ClassVar[int]
    CREDENTIAL_FIELD_NUMBER: _ClassVar[int]
    status_list_id: str
    status_purpose: str
    jwt: str
    credential: _struct_pb2.Struct
    def __init__(self, status_list_id: _Optional[str] = ..., status_purpose: _Optional[str] = ..., jwt: _Optional[str] = ..., credential: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class GetIssuerRequest(_message.Message):
    __slots__ = ("tenant_id",)
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    def __init__(self, tenant_id: _Optional[str] = ...) -> None: ...

class Issuer(_message.Message):
    __slots__ = ("issuer_id", "profile", "jwks")
    ISSUER_ID_FIELD_NUMBER: _ClassVar[int]
    PROFILE_FIELD_NUMBER: _ClassVar[int]
    JWKS_FIELD_NUMBER: _ClassVar[int]
    issuer_id: str
    profile: _struct_pb2.Struct
    jwks: _struct_pb2.Struct
    def __init__(self, issuer_id: _Optional[str] = ..., profile: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., jwks: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

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
