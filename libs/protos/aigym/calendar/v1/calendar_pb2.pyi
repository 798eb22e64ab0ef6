import datetime

from buf.validate import validate_pb2 as _validate_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.api import httpbody_pb2 as _httpbody_pb2
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

class EventKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EVENT_KIND_UNSPECIFIED: _ClassVar[EventKind]
    EVENT_KIND_SESSION: _ClassVar[EventKind]
    EVENT_KIND_DEADLINE: _ClassVar[EventKind]
    EVENT_KIND_CUSTOM: _ClassVar[EventKind]

class AudienceKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AUDIENCE_KIND_UNSPECIFIED: _ClassVar[AudienceKind]
    AUDIENCE_KIND_TENANT: _ClassVar[AudienceKind]
    AUDIENCE_KIND_PROGRAM: _ClassVar[AudienceKind]
    AUDIENCE_KIND_LEARNERS: _ClassVar[AudienceKind]

class EventState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EVENT_STATE_UNSPECIFIED: _ClassVar[EventState]
    EVENT_STATE_ACTIVE: _ClassVar[EventState]
    EVENT_STATE_CANCELLED: _ClassVar[EventState]

class OccurrenceSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OCCURRENCE_SOURCE_UNSPECIFIED: _ClassVar[OccurrenceSource]
    OCCURRENCE_SOURCE_EVENT: _ClassVar[OccurrenceSource]
    OCCURRENCE_SOURCE_ENROLLMENT: _ClassVar[OccurrenceSource]

class SignupState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SIGNUP_STATE_UNSPECIFIED: _ClassVar[SignupState]
    SIGNUP_STATE_CONFIRMED: _ClassVar[SignupState]
    SIGNUP_STATE_WAITLISTED: _ClassVar[SignupState]

class EditScope(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EDIT_SCOPE_UNSPECIFIED: _ClassVar[EditScope]
    EDIT_SCOPE_THIS_OCCURRENCE: _ClassVar[EditScope]
    EDIT_SCOPE_THIS_AND_FOLLOWING: _ClassVar[EditScope]

class Channel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHANNEL_UNSPECIFIED: _ClassVar[Channel]
    CHANNEL_EMAIL: _ClassVar[Channel]
    CHANNEL_WEBHOOK: _ClassVar[Channel]
EVENT_KIND_UNSPECIFIED: EventKind
EVENT_KIND_SESSION: EventKind
EVENT_KIND_DEADLINE: EventKind
EVENT_KIND_CUSTOM: EventKind
AUDIENCE_KIND_UNSPECIFIED: AudienceKind
AUDIENCE_KIND_TENANT: AudienceKind
AUDIENCE_KIND_PROGRAM: AudienceKind
AUDIENCE_KIND_LEARNERS: AudienceKind
EVENT_STATE_UNSPECIFIED: EventState
EVENT_STATE_ACTIVE: EventState
EVENT_STATE_CANCELLED: EventState
OCCURRENCE_SOURCE_UNSPECIFIED: OccurrenceSource
OCCURRENCE_SOURCE_EVENT: OccurrenceSource
OCCURRENCE_SOURCE_ENROLLMENT: OccurrenceSource
SIGNUP_STATE_UNSPECIFIED: SignupState
SIGNUP_STATE_CONFIRMED: SignupState
SIGNUP_STATE_WAITLISTED: SignupState
EDIT_SCOPE_UNSPECIFIED: EditScope
EDIT_SCOPE_THIS_OCCURRENCE: EditScope
EDIT_SCOPE_THIS_AND_FOLLOWING: EditScope
CHANNEL_UNSPECIFIED: Channel
CHANNEL_EMAIL: Channel
CHANNEL_WEBHOOK: Channel

class Audience(_message.Message):
    __slots__ = ("kind", "program_id", "learner_ids")
    KIND_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    LEARNER_IDS_FIELD_NUMBER: _ClassVar[int]
    kind: AudienceKind
    program_id: str
    learner_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, kind: _Optional[_Union[AudienceKind, str]] = ..., program_id: _Optional[str] = ..., learner_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class Recurrence(_message.Message):
    __slots__ = ("rrule", "exdates", "rdates")
    RRULE_FIELD_NUMBER: _ClassVar[int]
    EXDATES_FIELD_NUMBER: _ClassVar[int]
    RDATES_FIELD_NUMBER: _ClassVar[int]
    rrule: str
    exdates: _containers.RepeatedCompositeFieldContainer[_timestamp_pb2.Timestamp]
    rdates: _containers.RepeatedCompositeFieldContainer[_timestamp_pb2.Timestamp]
    def __init__(self, rrule: _Optional[str] = ..., exdates: _Optional[_Iterable[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]]] = ..., rdates: _Optional[_Iterable[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]]] = ...) -> None: ...

class Event(_message.Message):
    __slots__ = ("event_id", "kind", "title", "description", "location", "online_url", "start_time", "time_zone", "duration", "recurrence", "audience", "capacity", "waitlist_enabled", "reminder_minutes", "state", "sequence", "etag", "parent_event_id", "signup_count", "waitlist_count", "created_by", "create_time", "update_time", "overrides")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    ONLINE_URL_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    RECURRENCE_FIELD_NUMBER: _ClassVar[int]
    AUDIENCE_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_FIELD_NUMBER: _ClassVar[int]
    WAITLIST_ENABLED_FIELD_NUMBER: _ClassVar[int]
    REMINDER_MINUTES_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    PARENT_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    SIGNUP_COUNT_FIELD_NUMBER: _ClassVar[int]
    WAITLIST_COUNT_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    OVERRIDES_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    kind: EventKind
    title: str
    description: str
    location: str
    online_url: str
    start_time: _timestamp_pb2.Timestamp
    time_zone: str
    duration: _duration_pb2.Duration
    recurrence: Recurrence
    audience: Audience
    capacity: int
    waitlist_enabled: bool
    reminder_minutes: _containers.RepeatedScalarFieldContainer[int]
    state: EventState
    sequence: int
    etag: str
    parent_event_id: str
    signup_count: int
    waitlist_count: int
    created_by: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    overrides: _containers.RepeatedCompositeFieldContainer[OccurrenceOverride]
    def __init__(self, event_id: _Optional[str] = ..., kind: _Optional[_Union[EventKind, str]] = ..., title: _Optional[str] = ..., description: _Optional[str] = ..., location: _Optional[str] = ..., online_url: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., time_zone: _Optional[str] = ..., duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., recurrence: _Optional[_Union[Recurrence, _Mapping]] = ..., audience: _Optional[_Union[Audience, _Mapping]] = ..., capacity: _Optional[int] = ..., waitlist_enabled: _Optional[bool] = ..., reminder_minutes: _Optional[_Iterable[int]] = ..., state: _Optional[_Union[EventState, str]] = ..., sequence: _Optional[int] = ..., etag: _Optional[str] = ..., parent_event_id: _Optional[str] = ..., signup_count: _Optional[int] = ..., waitlist_count: _Optional[int] = ..., created_by: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., overrides: _Optional[_Iterable[_Union[OccurrenceOverride, _Mapping]]] = ...) -> None: ...

class OccurrenceOverride(_message.Message):
    __slots__ = ("occurrence_id", "cancelled", "start_time", "duration", "title", "description", "location", "online_url")
    OCCURRENCE_ID_FIELD_NUMBER: _ClassVar[int]
    CANCELLED_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    ONLINE_URL_FIELD_NUMBER: _ClassVar[int]
    occurrence_id: str
    cancelled: bool
    start_time: _timestamp_pb2.Timestamp
    duration: _duration_pb2.Duration
    title: str
    description: str
    location: str
    online_url: str
    def __init__(self, occurrence_id: _Optional[str] = ..., cancelled: _Optional[bool] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., title: _Optional[str] = ..., description: _Optional[str] = ..., location: _Optional[str] = ..., online_url: _Optional[str] = ...) -> None: ...

class Occurrence(_message.Message):
    __slots__ = ("occurrence_id", "event_id", "kind", "title", "description", "location", "online_url", "start_time", "end_time", "local_start", "local_end", "original_start_time", "overridden", "source", "program_id", "enrollment_id", "signup_state", "event_time_zone")
    OCCURRENCE_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    ONLINE_URL_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    LOCAL_START_FIELD_NUMBER: _ClassVar[int]
    LOCAL_END_FIELD_NUMBER: _ClassVar[int]
    ORIGINAL_START_TIME_FIELD_NUMBER: _ClassVar[int]
    OVERRIDDEN_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    ENROLLMENT_ID_FIELD_NUMBER: _ClassVar[int]
    SIGNUP_STATE_FIELD_NUMBER: _ClassVar[int]
    EVENT_TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    occurrence_id: str
    event_id: str
    kind: EventKind
    title: str
    description: str
    location: str
    online_url: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    local_start: str
    local_end: str
    original_start_time: _timestamp_pb2.Timestamp
    overridden: bool
    source: OccurrenceSource
    program_id: str
    enrollment_id: str
    signup_state: SignupState
    event_time_zone: str
    def __init__(self, occurrence_id: _Optional[str] = ..., event_id: _Optional[str] = ..., kind: _Optional[_Union[EventKind, str]] = ..., title: _Optional[str] = ..., description: _Optional[str] = ..., location: _Optional[str] = ..., online_url: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., local_start: _Optional[str] = ..., local_end: _Optional[str] = ..., original_start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., overridden: _Optional[bool] = ..., source: _Optional[_Union[OccurrenceSource, str]] = ..., program_id: _Optional[str] = ..., enrollment_id: _Optional[str] = ..., signup_state: _Optional[_Union[SignupState, str]] = ..., event_time_zone: _Optional[str] = ...) -> None: ...

class OccurrenceChange(_message.Message):
    __slots__ = ("start_time", "duration", "title", "description", "location", "online_url")
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    ONLINE_URL_FIELD_NUMBER: _ClassVar[int]
    start_time: _timestamp_pb2.Timestamp
    duration: _duration_pb2.Duration
    title: str
    description: str
    location: str
    online_url: str
    def __init__(self, start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., title: _Optional[str] = ..., description: _Optional[str] = ..., location: _Optional[str] = ..., online_url: _Optional[str] = ...) -> None: ...

class Signup(_message.Message):
    __slots__ = ("event_id", "learner_id", "state", "waitlist_position", "create_time")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    WAITLIST_POSITION_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    learner_id: str
    state: SignupState
    waitlist_position: int
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, event_id: _Optional[str] = ..., learner_id: _Optional[str] = ..., state: _Optional[_Union[SignupState, str]] = ..., waitlist_position: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Feed(_message.Message):
    __slots__ = ("feed_id", "learner_id", "url", "token", "create_time", "rotate_time", "last_access_time")
    FEED_ID_FIELD_NUMBER: _ClassVar[int]
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ROTATE_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_ACCESS_TIME_FIELD_NUMBER: _ClassVar[int]
    feed_id: str
    learner_id: str
    url: str
    token: str
    create_time: _timestamp_pb2.Timestamp
    rotate_time: _timestamp_pb2.Timestamp
    last_access_time: _timestamp_pb2.Timestamp
    def __init__(self, feed_id: _Optional[str] = ..., learner_id: _Optional[str] = ..., url: _Optional[str] = ..., token: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., rotate_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_access_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CalendarSettings(_message.Message):
    __slots__ = ("learner_id", "time_zone", "channels", "webhook_url", "webhook_secret", "webhook_secret_set", "quiet_hours_start", "quiet_hours_end", "email", "update_time")
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    CHANNELS_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_URL_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_SECRET_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_SECRET_SET_FIELD_NUMBER: _ClassVar[int]
    QUIET_HOURS_START_FIELD_NUMBER: _ClassVar[int]
    QUIET_HOURS_END_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    learner_id: str
    time_zone: str
    channels: _containers.RepeatedScalarFieldContainer[Channel]
    webhook_url: str
    webhook_secret: str
    webhook_secret_set: bool
    quiet_hours_start: str
    quiet_hours_end: str
    email: str
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, learner_id: _Optional[str] = ..., time_zone: _Optional[str] = ..., channels: _Optional[_Iterable[_Union[Channel, str]]] = ..., webhook_url: _Optional[str] = ..., webhook_secret: _Optional[str] = ..., webhook_secret_set: _Optional[bool] = ..., quiet_hours_start: _Optional[str] = ..., quiet_hours_end: _Optional[str] = ..., email: _Optional[str] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateEventRequest(_message.Message):
    __slots__ = ("event", "request_id")
    EVENT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    event: Event
    request_id: str
    def __init__(self, event: _Optional[_Union[Event, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class GetEventRequest(_message.Message):
    __slots__ = ("event_id",)
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    def __init__(self, event_id: _Optional[str] = ...) -> None: ...

class ListEventsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "kind", "program_id", "show_cancelled")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_ID_FIELD_NUMBER: _ClassVar[int]
    SHOW_CANCELLED_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    kind: EventKind
    program_id: str
    show_cancelled: bool
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., kind: _Optional[_Union[EventKind, str]] = ..., program_id: _Optional[str] = ..., show_cancelled: _Optional[bool] = ...) -> None: ...

class ListEventsResponse(_message.Message):
    __slots__ = ("events", "next_page_token")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[Event]
    next_page_token: str
    def __init__(self, events: _Optional[_Iterable[_Union[Event, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateEventRequest(_message.Message):
    __slots__ = ("event", "update_mask")
    EVENT_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    event: Event
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, event: _Optional[_Union[Event, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class DeleteEventRequest(_message.Message):
    __slots__ = ("event_id", "etag")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    etag: str
    def __init__(self, event_id: _Optional[str] = ..., etag: _Optional[str] = ...) -> None: ...

class CancelOccurrenceRequest(_message.Message):
    __slots__ = ("event_id", "occurrence_id", "scope")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRENCE_ID_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    occurrence_id: str
    scope: EditScope
    def __init__(self, event_id: _Optional[str] = ..., occurrence_id: _Optional[str] = ..., scope: _Optional[_Union[EditScope, str]] = ...) -> None: ...

class UpdateOccurrenceRequest(_message.Message):
    __slots__ = ("event_id", "occurrence_id", "occurrence", "update_mask", "scope")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRENCE_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRENCE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    occurrence_id: str
    occurrence: OccurrenceChange
    update_mask: _field_mask_pb2.FieldMask
    scope: EditScope
    def __init__(self, event_id: _Optional[str] = ..., occurrence_id: _Optional[str] = ..., occurrence: _Optional[_Union[OccurrenceChange, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., scope: _Optional[_Union[EditScope, str]] = ...) -> None: ...

class UpdateOccurrenceResponse(_message.Message):
    __slots__ = ("event", "new_event")
    EVENT_FIELD_NUMBER: _ClassVar[int]
    NEW_EVENT_FIELD_NUMBER: _ClassVar[int]
    event: Event
    new_event: Event
    def __init__(self, event: _Optional[_Union[Event, _Mapping]] = ..., new_event: _Optional[_Union[Event, _Mapping]] = ...) -> None: ...

class CreateSignupRequest(_message.Message):
    __slots__ = ("event_id", "learner_id")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    learner_id: str
    def __init__(self, event_id: _Optional[str] = ..., learner_id: _Optional[str] = ...) -> None: ...

class DeleteSignupRequest(_message.Message):
    __slots__ = ("event_id", "learner_id")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    learner_id: str
    def __init__(self, event_id: _Optional[str] = ..., learner_id: _Optional[str] = ...) -> None: ...

class ListSignupsRequest(_message.Message):
    __slots__ = ("event_id", "page_size", "page_token")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    page_size: int
    page_token: str
    def __init__(self, event_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListSignupsResponse(_message.Message):
    __slots__ = ("signups", "next_page_token")
    SIGNUPS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    signups: _containers.RepeatedCompositeFieldContainer[Signup]
    next_page_token: str
    def __init__(self, signups: _Optional[_Iterable[_Union[Signup, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListAgendaRequest(_message.Message):
    __slots__ = ("learner_id", "start_time", "end_time", "time_zone", "page_size", "page_token", "show_cancelled")
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SHOW_CANCELLED_FIELD_NUMBER: _ClassVar[int]
    learner_id: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    time_zone: str
    page_size: int
    page_token: str
    show_cancelled: bool
    def __init__(self, learner_id: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., time_zone: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., show_cancelled: _Optional[bool] = ...) -> None: ...

class ListAgendaResponse(_message.Message):
    __slots__ = ("occurrences", "next_page_token", "time_zone")
    OCCURRENCES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    occurrences: _containers.RepeatedCompositeFieldContainer[Occurrence]
    next_page_token: str
    time_zone: str
    def __init__(self, occurrences: _Optional[_Iterable[_Union[Occurrence, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., time_zone: _Optional[str] = ...) -> None: ...

class CheckConflictsRequest(_message.Message):
    __slots__ = ("event", "event_id", "end_time", "max_conflicts")
    EVENT_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    MAX_CONFLICTS_FIELD_NUMBER: _ClassVar[int]
    event: Event
    event_id: str
    end_time: _timestamp_pb2.Timestamp
    max_conflicts: int
    def __init__(self, event: _Optional[_Union[Event, _Mapping]] = ..., event_id: _Optional[str] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., max_conflicts: _Optional[int] = ...) -> None: ...

class Conflict(_message.Message):
    __slots__ = ("learner_id", "proposed_start_time", "proposed_end_time", "existing")
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    PROPOSED_START_TIME_FIELD_NUMBER: _ClassVar[int]
    PROPOSED_END_TIME_FIELD_NUMBER: _ClassVar[int]
    EXISTING_FIELD_NUMBER: _ClassVar[int]
    learner_id: str
    proposed_start_time: _timestamp_pb2.Timestamp
    proposed_end_time: _timestamp_pb2.Timestamp
    existing: Occurrence
    def __init__(self, learner_id: _Optional[str] = ..., proposed_start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., proposed_end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., existing: _Optional[_Union[Occurrence, _Mapping]] = ...) -> None: ...

class CheckConflictsResponse(_message.Message):
    __slots__ = ("conflicts", "learners_checked", "truncated")
    CONFLICTS_FIELD_NUMBER: _ClassVar[int]
    LEARNERS_CHECKED_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    conflicts: _containers.RepeatedCompositeFieldContainer[Conflict]
    learners_checked: int
    truncated: bool
    def __init__(self, conflicts: _Optional[_Iterable[_Union[Conflict, _Mapping]]] = ..., learners_checked: _Optional[int] = ..., truncated: _Optional[bool] = ...) -> None: ...

class CreateFeedRequest(_message.Message):
    __slots__ = ("learner_id",)
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    learner_id: str
    def __init__(self, learner_id: _Optional[str] = ...) -> None: ...

class ListFeedsRequest(_message.Message):
    __slots__ = ("learner_id",)
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    learner_id: str
    def __init__(self, learner_id: _Optional[str] = ...) -> None: ...

class ListFeedsResponse(_message.Message):
    __slots__ = ("feeds",)
    FEEDS_FIELD_NUMBER: _ClassVar[int]
    feeds: _containers.RepeatedCompositeFieldContainer[Feed]
    def __init__(self, feeds: _Optional[_Iterable[_Union[Feed, _Mapping]]] = ...) -> None: ...

class RotateFeedRequest(_message.Message):
    __slots__ = ("learner_id", "feed_id")
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    FEED_ID_FIELD_NUMBER: _ClassVar[int]
    learner_id: str
    feed_id: str
    def __init__(self, learner_id: _Optional[str] = ..., feed_id: _Optional[str] = ...) -> None: ...

class DeleteFeedRequest(_message.Message):
    __slots__ = ("learner_id", "feed_id")
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    FEED_ID_FIELD_NUMBER: _ClassVar[int]
    learner_id: str
    feed_id: str
    def __init__(self, learner_id: _Optional[str] = ..., feed_id: _Optional[str] = ...) -> None: ...

class GetFeedCalendarRequest(_message.Message):
    __slots__ = ("feed_token",)
    FEED_TOKEN_FIELD_NUMBER: _ClassVar[int]
    feed_token: str
    def __init__(self, feed_token: _Optional[str] = ...) -> None: ...

class GetEventCalendarRequest(_message.Message):
    __slots__ = ("event_id",)
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    def __init__(self, event_id: _Optional[str] = ...) -> None: ...

class GetCalendarSettingsRequest(_message.Message):
    __slots__ = ("learner_id",)
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    learner_id: str
    def __init__(self, learner_id: _Optional[str] = ...) -> None: ...

class UpdateCalendarSettingsRequest(_message.Message):
    __slots__ = ("learner_id", "settings")
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    learner_id: str
    settings: CalendarSettings
    def __init__(self, learner_id: _Optional[str] = ..., settings: _Optional[_Union[CalendarSettings, _Mapping]] = ...) -> None: ...

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
