"""SQLAlchemy rows of the analytics service (schema comes only from migrations)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import BigInteger, Boolean, DateTime, Float, Integer, MetaData, String
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from aigym_platform.db import NAMING_CONVENTION

TIME = DateTime(timezone=True)


class Base(DeclarativeBase):
    """The analytics tables' own MetaData: its table names (learners, programs, enrollments) are also
    used by the programs service, and one process may import both (cross-service tests)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class LearnerRow(Base):
    """The analytics copy of a learner directory entry (replaced by each learner_upserted event)."""

    __tablename__ = "learners"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    learner_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(320), default="")
    time_zone: Mapped[str] = mapped_column(String(64), default="")
    manager_id: Mapped[str] = mapped_column(String(128), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    source_time: Mapped[dt.datetime] = mapped_column(TIME)
    active_time: Mapped[dt.datetime] = mapped_column(TIME)


class ProgramRow(Base):
    """A program's latest published version as analytics knows it."""

    __tablename__ = "programs"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    program_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    version: Mapped[int] = mapped_column(Integer, default=0)
    course_ids: Mapped[list[str]] = mapped_column(ARRAY(String(128)), default=list)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)


class EnrollmentRow(Base):
    """An enrolment's current state, merged from its events in any arrival order."""

    __tablename__ = "enrollments"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    enrollment_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    program_id: Mapped[str] = mapped_column(String(128))
    learner_id: Mapped[str] = mapped_column(String(128))
    program_version: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(24))
    enroll_time: Mapped[dt.datetime | None] = mapped_column(TIME)
    start_time: Mapped[dt.datetime | None] = mapped_column(TIME)
    due_time: Mapped[dt.datetime | None] = mapped_column(TIME)
    end_time: Mapped[dt.datetime | None] = mapped_column(TIME)
    dates_time: Mapped[dt.datetime | None] = mapped_column(TIME)
    complete_time: Mapped[dt.datetime | None] = mapped_column(TIME)
    withdraw_time: Mapped[dt.datetime | None] = mapped_column(TIME)
    # completed_at of every enrollment_completed and previous_completed_at of every enrollment_reopened:
    # completed while a completion is not reversed, at the latest such instant (migration 0008).
    completion_times: Mapped[list[dt.datetime]] = mapped_column(ARRAY(TIME), default=list)
    reopened_times: Mapped[list[dt.datetime]] = mapped_column(ARRAY(TIME), default=list)
    milestones: Mapped[list[str]] = mapped_column(ARRAY(String(63)), default=list)


class LearnerCourseRow(Base):
    """A learner's current attempt at a course: completed or not, last activity."""

    __tablename__ = "learner_courses"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    learner_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    course_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    attempt: Mapped[int] = mapped_column(Integer)
    completed: Mapped[bool] = mapped_column(Boolean)
    complete_time: Mapped[dt.datetime | None] = mapped_column(TIME)
    last_activity_time: Mapped[dt.datetime] = mapped_column(TIME)


class FactRow(Base):
    """One raw fact: a learning event reduced to what the aggregates are computed from."""

    __tablename__ = "facts"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    occur_time: Mapped[dt.datetime] = mapped_column(TIME)
    learner_id: Mapped[str] = mapped_column(String(128))
    course_id: Mapped[str] = mapped_column(String(128), default="")
    program_id: Mapped[str] = mapped_column(String(128), default="")
    block_id: Mapped[str] = mapped_column(String(128), default="")
    completed: Mapped[bool] = mapped_column(Boolean, default=False)
    score: Mapped[float | None] = mapped_column(Float)


class ActivitySlotRow(Base):
    """A quarter hour in which a learner had block activity (course '' = in any course)."""

    __tablename__ = "activity_slots"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    learner_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    course_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    slot: Mapped[dt.datetime] = mapped_column(TIME, primary_key=True)


class HourlyStatRow(Base):
    """Counters of one UTC hour for one dimension key (tenant '', a program, a course or a learner)."""

    __tablename__ = "hourly_stats"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    dimension: Mapped[str] = mapped_column(String(8), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    hour: Mapped[dt.datetime] = mapped_column(TIME, primary_key=True)
    block_activities: Mapped[int] = mapped_column(BigInteger, default=0)
    block_completions: Mapped[int] = mapped_column(BigInteger, default=0)
    course_completions: Mapped[int] = mapped_column(BigInteger, default=0)
    resets: Mapped[int] = mapped_column(BigInteger, default=0)
    enrollments: Mapped[int] = mapped_column(BigInteger, default=0)
    program_completions: Mapped[int] = mapped_column(BigInteger, default=0)
    milestones: Mapped[int] = mapped_column(BigInteger, default=0)
    withdrawals: Mapped[int] = mapped_column(BigInteger, default=0)
    time_on_task_seconds: Mapped[int] = mapped_column(BigInteger, default=0)
    scored: Mapped[int] = mapped_column(BigInteger, default=0)
    score_sum: Mapped[float] = mapped_column(Float, default=0.0)
