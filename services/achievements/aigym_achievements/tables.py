"""SQLAlchemy rows of the achievements service (schema comes only from migrations)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import BigInteger, Boolean, DateTime, Float, Integer, MetaData, String, Text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from aigym_platform.db import NAMING_CONVENTION

TIME = DateTime(timezone=True)


class Base(DeclarativeBase):
    """This service's own metadata: table names may repeat other services' (each has its own database),
    and the test process imports every service's tables."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class BadgeRow(Base):
    """A badge definition; `fact_types` lists what its rule looks at (events of other types skip it)."""

    __tablename__ = "badges"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    badge_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    image_url: Mapped[str] = mapped_column(String(2000))
    criteria_narrative: Mapped[str] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(JSONB)
    rule: Mapped[dict[str, Any]] = mapped_column(JSONB)
    fact_types: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    validity_seconds: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    program_id: Mapped[str] = mapped_column(String(128))
    state: Mapped[str] = mapped_column(String(16))
    create_time: Mapped[dt.datetime] = mapped_column(TIME)
    update_time: Mapped[dt.datetime] = mapped_column(TIME)
    created_by: Mapped[str] = mapped_column(String(200))
    activate_time: Mapped[dt.datetime | None] = mapped_column(TIME, nullable=True)
    archive_time: Mapped[dt.datetime | None] = mapped_column(TIME, nullable=True)
    backfill_state: Mapped[str] = mapped_column(String(16))
    backfill_awarded: Mapped[int] = mapped_column(Integer)
    backfill_finish_time: Mapped[dt.datetime | None] = mapped_column(TIME, nullable=True)
    backfill_error: Mapped[str] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(Integer)


class AwardRow(Base):
    """One award of one badge to one learner in one award period, with its credential."""

    __tablename__ = "awards"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    award_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    badge_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    learner_id: Mapped[str] = mapped_column(String(128))
    period: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))
    award_time: Mapped[dt.datetime] = mapped_column(TIME)
    expire_time: Mapped[dt.datetime | None] = mapped_column(TIME, nullable=True)
    evidence: Mapped[list[str]] = mapped_column(JSONB)
    awarded_by: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    program_id: Mapped[str] = mapped_column(String(128))
    credential_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    credential_jwt: Mapped[str] = mapped_column(Text)
    revocation_list_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    revocation_index: Mapped[int] = mapped_column(Integer)
    suspension_list_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    suspension_index: Mapped[int] = mapped_column(Integer)
    revoke_time: Mapped[dt.datetime | None] = mapped_column(TIME, nullable=True)
    revoke_reason: Mapped[str] = mapped_column(Text)
    revoked_by: Mapped[str] = mapped_column(String(200))
    update_time: Mapped[dt.datetime] = mapped_column(TIME)


class FactRow(Base):
    """A learner's recorded learning event (what rules count); the event id is the evidence."""

    __tablename__ = "facts"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    learner_id: Mapped[str] = mapped_column(String(128))
    fact_type: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[dt.datetime] = mapped_column(TIME)
    attributes: Mapped[dict[str, str]] = mapped_column(JSONB)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)


class LearnerRow(Base):
    """The local copy of a learner's directory entry (time zone for streaks, name for leaderboards)."""

    __tablename__ = "learners"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    learner_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200))
    time_zone: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean)
    update_time: Mapped[dt.datetime] = mapped_column(TIME)


class IssuerKeyRow(Base):
    """A tenant's credential signing key."""

    __tablename__ = "issuer_keys"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    key_id: Mapped[str] = mapped_column(String(300), primary_key=True)
    algorithm: Mapped[str] = mapped_column(String(16))
    private_pem: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSONB)
    create_time: Mapped[dt.datetime] = mapped_column(TIME)


class StatusListRow(Base):
    """A Bitstring Status List of one purpose; entries are handed out in order until it is full."""

    __tablename__ = "status_lists"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    list_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16))
    capacity: Mapped[int] = mapped_column(Integer)
    next_index: Mapped[int] = mapped_column(Integer)
    create_time: Mapped[dt.datetime] = mapped_column(TIME)


class TenantSettingsRow(Base):
    """A tenant's achievements settings."""

    __tablename__ = "tenant_settings"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    leaderboards_enabled: Mapped[bool] = mapped_column(Boolean)
    issuer_name: Mapped[str] = mapped_column(String(200))
    issuer_url: Mapped[str] = mapped_column(String(2000))
    update_time: Mapped[dt.datetime] = mapped_column(TIME)


class PublicIdRow(Base):
    """Ids reachable without a token (credentials, status lists) and their tenant, for the narrow lookup."""

    __tablename__ = "public_ids"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))


class BadgeRevisionRow(Base):
    """A tenant's badge revision: a trigger bumps it in the transaction of every badge write."""

    __tablename__ = "badge_revisions"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger)


class StatusSlotRow(Base):
    """A range [next_index, end_index) of a status list's entries that awards take one by one."""

    __tablename__ = "status_slots"

    tenant_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    slot_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16))
    list_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    next_index: Mapped[int] = mapped_column(Integer)
    end_index: Mapped[int] = mapped_column(Integer)
