"""SQLAlchemy rows of the progress service (schema comes only from migrations)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import BigInteger, Boolean, DateTime, Float, Integer, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from aigym_platform.db import Base


class CourseRow(Base):
    """A course known to progress: which structure revision is current."""

    __tablename__ = "courses"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    course_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    current_revision: Mapped[int] = mapped_column(Integer, default=0)
    create_time: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    update_time: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CourseRevisionRow(Base):
    """One immutable revision of a course's ordered blocks."""

    __tablename__ = "course_revisions"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    course_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, primary_key=True)
    blocks: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    digest: Mapped[str] = mapped_column(String(64))
    create_time: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(200))


class CourseProgressRow(Base):
    """A learner's progress in a course (current attempt), kept computed for rosters and lists."""

    __tablename__ = "course_progress"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    learner_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    course_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    attempt: Mapped[int] = mapped_column(Integer)
    course_revision: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    percent: Mapped[float] = mapped_column(Float)
    completed_blocks: Mapped[int] = mapped_column(Integer)
    total_blocks: Mapped[int] = mapped_column(Integer)
    completed_required_blocks: Mapped[int] = mapped_column(Integer)
    required_blocks: Mapped[int] = mapped_column(Integer)
    start_time: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_activity_time: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    complete_time: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    update_time: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class BlockProgressRow(Base):
    """A learner's best value and score in one block of one attempt; archived (never deleted) on reset."""

    __tablename__ = "block_progress"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    learner_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    course_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    attempt: Mapped[int] = mapped_column(Integer, primary_key=True)
    block_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[float] = mapped_column(Float)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    update_time: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    archive_time: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    reset_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)


class CompletionRow(Base):
    """One recorded completion (append-only) and its outcome; the idempotency record of its request id."""

    __tablename__ = "completions"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    completion_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    learner_id: Mapped[str] = mapped_column(String(128))
    course_id: Mapped[str] = mapped_column(String(128))
    block_id: Mapped[str] = mapped_column(String(128))
    value: Mapped[float] = mapped_column(Float)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    course_revision: Mapped[int] = mapped_column(Integer)
    attempt: Mapped[int] = mapped_column(Integer)
    applied: Mapped[bool] = mapped_column(Boolean)
    block_completed: Mapped[bool] = mapped_column(Boolean)
    course_completed: Mapped[bool] = mapped_column(Boolean)
    create_time: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    recorded_by: Mapped[str] = mapped_column(String(200))


class ProgressResetRow(Base):
    """An archived attempt: the course progress as it stood when an admin reset it."""

    __tablename__ = "progress_resets"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    reset_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    learner_id: Mapped[str] = mapped_column(String(128))
    course_id: Mapped[str] = mapped_column(String(128))
    attempt: Mapped[int] = mapped_column(Integer)
    course_revision: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    percent: Mapped[float] = mapped_column(Float)
    completed_blocks: Mapped[int] = mapped_column(Integer)
    total_blocks: Mapped[int] = mapped_column(Integer)
    completed_required_blocks: Mapped[int] = mapped_column(Integer)
    required_blocks: Mapped[int] = mapped_column(Integer)
    start_time: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_activity_time: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    complete_time: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    reset_by: Mapped[str] = mapped_column(String(200))
    reset_time: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class LearningSessionRow(Base):
    """A learning session (online or offline); never deleted."""

    __tablename__ = "learning_sessions"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    session_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    learner_id: Mapped[str] = mapped_column(String(128))
    course_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(24))
    start_time: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_signal_time: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    end_time: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    end_reason: Mapped[str | None] = mapped_column(String(24), nullable=True)
    heartbeats: Mapped[int] = mapped_column(Integer)
    active_seconds: Mapped[int] = mapped_column(Integer)
    algorithm: Mapped[str] = mapped_column(String(16))
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    note: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    decided_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    decide_time: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    decision_reason: Mapped[str] = mapped_column(Text)
    # When it became closed (the export pages by it; migration 0004), set by the repository.
    close_time: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class TimeOnTaskRow(Base):
    """A learner's time on task in a course (all sessions merged) and the algorithm that computed it."""

    __tablename__ = "time_on_task"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    learner_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    course_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    seconds: Mapped[int] = mapped_column(BigInteger)
    algorithm: Mapped[str] = mapped_column(String(16))
    update_time: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class DirectoryLearnerRow(Base):
    """A learner's entry of the programs directory as replicated here: who their manager is."""

    __tablename__ = "directory_learners"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    learner_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    manager_id: Mapped[str] = mapped_column(String(128), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    update_time: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
