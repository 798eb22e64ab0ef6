"""SQLAlchemy rows of the programs service (schema comes only from migrations)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import BigInteger, Boolean, DateTime, Float, Integer, String, Text, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from aigym_platform.db import Base


class ProgramRow(Base):
    """One program of one tenant."""

    __tablename__ = "programs"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    program_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(40)), default=list)
    visibility: Mapped[str] = mapped_column(String(16))
    self_enrollment_allowed: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer, default=1)
    create_request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    create_time: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    update_time: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    structure: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    current_version: Mapped[int] = mapped_column(Integer, default=0)
    published_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # `publishable_digest` of the stored content, so a BASIC read knows `has_unpublished_changes` without
    # loading the structure (NULL on rows written before migration 0007: those read their structure).
    draft_digest: Mapped[str | None] = mapped_column(String(64), nullable=True)
    enrollment_open_time: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    enrollment_close_time: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    default_due_seconds: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    default_access_seconds: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # Absolute rules (migration 0010).
    default_due_time: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    default_end_time: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ProgramVersionRow(Base):
    """One immutable published version of a program."""

    __tablename__ = "program_versions"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    program_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    structure: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    publish_time: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    published_by: Mapped[str] = mapped_column(String(200))


class EnrollmentRow(Base):
    """One learner's enrolment in one program."""

    __tablename__ = "enrollments"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    enrollment_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    program_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    learner_id: Mapped[str] = mapped_column(String(128))
    state: Mapped[str] = mapped_column(String(20))
    program_version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(10))
    start_time: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    due_time: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    end_time: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    completed_course_ids: Mapped[list[str]] = mapped_column(ARRAY(String(128)), default=list)
    reached_milestones: Mapped[list[str]] = mapped_column(ARRAY(String(63)), default=list)
    create_time: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    complete_time: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # The idempotency key of the batch upload that created it (migration 0008), if it had one.
    create_request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)


class LearnerRow(Base):
    """One person of the tenant's learner directory."""

    __tablename__ = "learners"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    learner_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), default="")
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    locale: Mapped[str] = mapped_column(String(35), default="")
    manager_id: Mapped[str] = mapped_column(String(128), default="")
    teams: Mapped[list[str]] = mapped_column(ARRAY(String(100)), default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    update_time: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class LearnerCourseCompletionRow(Base):
    """A learner's standing in a course as the progress service's events tell it: completed in `attempt`,
    or (`completed` false) reset, starting `attempt` (migration 0009)."""

    __tablename__ = "learner_course_completions"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    learner_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    course_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    completed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    completed: Mapped[bool] = mapped_column(Boolean, default=True)
