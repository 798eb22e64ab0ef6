"""SQLAlchemy rows of the calendar service (schema comes only from migrations)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Boolean, DateTime, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from aigym_platform.db import Base

TZ = DateTime(timezone=True)


class EventRow(Base):
    """A calendar event: one-off or a series kept as rules (DTSTART local + zone, RRULE, EXDATE, RDATE)."""

    __tablename__ = "calendar_events"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    location: Mapped[str] = mapped_column(String(500))
    online_url: Mapped[str] = mapped_column(String(2000))
    start_local: Mapped[dt.datetime] = mapped_column(DateTime(timezone=False))
    time_zone: Mapped[str] = mapped_column(String(64))
    duration_seconds: Mapped[int] = mapped_column(Integer)
    rrule: Mapped[str] = mapped_column(String(1000))
    exdates: Mapped[list[str]] = mapped_column(JSONB)
    rdates: Mapped[list[str]] = mapped_column(JSONB)
    audience_kind: Mapped[str] = mapped_column(String(16))
    audience_program_id: Mapped[str] = mapped_column(String(128))
    capacity: Mapped[int] = mapped_column(Integer)
    waitlist_enabled: Mapped[bool] = mapped_column(Boolean)
    reminder_minutes: Mapped[list[int]] = mapped_column(JSONB)
    state: Mapped[str] = mapped_column(String(16))
    sequence: Mapped[int] = mapped_column(Integer)
    parent_event_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    range_start: Mapped[dt.datetime] = mapped_column(TZ)
    range_end: Mapped[dt.datetime | None] = mapped_column(TZ, nullable=True)
    created_by: Mapped[str] = mapped_column(String(200))
    create_time: Mapped[dt.datetime] = mapped_column(TZ)
    update_time: Mapped[dt.datetime] = mapped_column(TZ)


class EventLearnerRow(Base):
    """A named learner of an event's audience."""

    __tablename__ = "event_learners"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    learner_id: Mapped[str] = mapped_column(String(128), primary_key=True)


class OverrideRow(Base):
    """A per-occurrence change or cancellation (iCalendar RECURRENCE-ID)."""

    __tablename__ = "occurrence_overrides"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    occurrence_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    cancelled: Mapped[bool] = mapped_column(Boolean)
    start_time: Mapped[dt.datetime | None] = mapped_column(TZ, nullable=True)
    duration_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    location: Mapped[str] = mapped_column(String(500))
    online_url: Mapped[str] = mapped_column(String(2000))
    update_time: Mapped[dt.datetime] = mapped_column(TZ)


class SignupRow(Base):
    """A learner's sign-up for an event with a capacity (confirmed or waitlisted)."""

    __tablename__ = "signups"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    learner_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    create_time: Mapped[dt.datetime] = mapped_column(TZ)


class EnrollmentRow(Base):
    """A program enrolment as the programs service announced it (dates shown on the learner's calendar)."""

    __tablename__ = "enrollment_dates"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    enrollment_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    program_id: Mapped[str] = mapped_column(String(128))
    learner_id: Mapped[str] = mapped_column(String(128))
    state: Mapped[str] = mapped_column(String(24))
    start_time: Mapped[dt.datetime | None] = mapped_column(TZ, nullable=True)
    due_time: Mapped[dt.datetime | None] = mapped_column(TZ, nullable=True)
    end_time: Mapped[dt.datetime | None] = mapped_column(TZ, nullable=True)
    sequence: Mapped[int] = mapped_column(Integer)
    update_time: Mapped[dt.datetime] = mapped_column(TZ)


class ProgramRow(Base):
    """A program's title as last published (labels of deadline entries)."""

    __tablename__ = "program_titles"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    program_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    update_time: Mapped[dt.datetime] = mapped_column(TZ)


class LearnerRow(Base):
    """The directory entry of a learner as replicated from the programs service (email, zone, manager)."""

    __tablename__ = "learner_profiles"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    learner_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(300))
    email: Mapped[str] = mapped_column(String(320))
    time_zone: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean)
    update_time: Mapped[dt.datetime] = mapped_column(TZ)
    manager_id: Mapped[str] = mapped_column(String(128), default="")


class SettingsRow(Base):
    """A learner's own calendar settings (zone, reminder channels, quiet hours)."""

    __tablename__ = "calendar_settings"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    learner_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    time_zone: Mapped[str] = mapped_column(String(64))
    channels: Mapped[list[str]] = mapped_column(JSONB)
    webhook_url: Mapped[str] = mapped_column(String(2000))
    webhook_secret: Mapped[str] = mapped_column(String(200))
    quiet_hours_start: Mapped[str] = mapped_column(String(5))
    quiet_hours_end: Mapped[str] = mapped_column(String(5))
    update_time: Mapped[dt.datetime] = mapped_column(TZ)


class FeedRow(Base):
    """A learner's secret iCalendar feed; only the token's SHA-256 is stored."""

    __tablename__ = "feeds"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    feed_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    learner_id: Mapped[str] = mapped_column(String(128))
    token_hash: Mapped[str] = mapped_column(String(64))
    create_time: Mapped[dt.datetime] = mapped_column(TZ)
    rotate_time: Mapped[dt.datetime | None] = mapped_column(TZ, nullable=True)
    revoke_time: Mapped[dt.datetime | None] = mapped_column(TZ, nullable=True)
    last_access_time: Mapped[dt.datetime | None] = mapped_column(TZ, nullable=True)


class ReminderDeliveryRow(Base):
    """One reminder to one learner for one occurrence and offset on one channel: the delivery log."""

    __tablename__ = "reminder_deliveries"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    delivery_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    occurrence_id: Mapped[str] = mapped_column(String(16))
    learner_id: Mapped[str] = mapped_column(String(128))
    minutes_before: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(24))
    attempts: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(200))
    due_time: Mapped[dt.datetime] = mapped_column(TZ)
    sent_time: Mapped[dt.datetime | None] = mapped_column(TZ, nullable=True)
    update_time: Mapped[dt.datetime] = mapped_column(TZ)
    result: Mapped[dict[str, Any]] = mapped_column(JSONB)
