"""All SQL of the achievements service; every query runs in a tenant-scoped unit of work (RLS again)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import asyncpg
from sqlalchemy import func, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import distinct_on, insert
from sqlalchemy.ext.asyncio import AsyncSession

from aigym_achievements.award_repository import AwardPathQueries
from aigym_achievements.domain import (
    Award,
    AwardSource,
    AwardState,
    BackfillState,
    Badge,
    BadgeState,
    StatusEntries,
    TenantSettings,
)
from aigym_achievements.openbadges import IssuerKey
from aigym_achievements.rules import Fact, FactType, fact_types, rule_from_json, rule_to_json
from aigym_achievements.tables import (
    AwardRow,
    BadgeRow,
    FactRow,
    IssuerKeyRow,
    LearnerRow,
    PublicIdRow,
    StatusListRow,
    TenantSettingsRow,
)
from aigym_platform.identity import TenantId


def _badge(row: BadgeRow) -> Badge:
    return Badge(
        badge_id=row.badge_id,
        display_name=row.display_name,
        description=row.description,
        image_url=row.image_url,
        criteria_narrative=row.criteria_narrative,
        tags=tuple(row.tags),
        rule=rule_from_json(row.rule),
        validity=dt.timedelta(seconds=row.validity_seconds) if row.validity_seconds is not None else None,
        program_id=row.program_id,
        state=BadgeState(row.state),
        create_time=row.create_time,
        update_time=row.update_time,
        created_by=row.created_by,
        activate_time=row.activate_time,
        archive_time=row.archive_time,
        backfill_state=BackfillState(row.backfill_state),
        backfill_awarded=row.backfill_awarded,
        backfill_finish_time=row.backfill_finish_time,
        backfill_error=row.backfill_error,
        revision=row.revision,
    )


def _badge_values(badge: Badge) -> dict[str, Any]:
    return {
        "display_name": badge.display_name,
        "description": badge.description,
        "image_url": badge.image_url,
        "criteria_narrative": badge.criteria_narrative,
        "tags": list(badge.tags),
        "rule": rule_to_json(badge.rule),
        "fact_types": sorted(t.value for t in fact_types(badge.rule)),
        "validity_seconds": int(badge.validity.total_seconds()) if badge.validity is not None else None,
        "program_id": badge.program_id,
        "state": badge.state.value,
        "update_time": badge.update_time,
        "activate_time": badge.activate_time,
        "archive_time": badge.archive_time,
        "backfill_state": badge.backfill_state.value,
        "backfill_awarded": badge.backfill_awarded,
        "backfill_finish_time": badge.backfill_finish_time,
        "backfill_error": badge.backfill_error,
        "revision": badge.revision,
    }


def _award(row: AwardRow) -> Award:
    return Award(
        award_id=row.award_id,
        badge_id=row.badge_id,
        learner_id=row.learner_id,
        period=row.period,
        state=AwardState(row.state),
        source=AwardSource(row.source),
        award_time=row.award_time,
        expire_time=row.expire_time,
        evidence=tuple(row.evidence),
        awarded_by=row.awarded_by,
        reason=row.reason,
        credential_id=row.credential_id,
        revoke_time=row.revoke_time,
        revoke_reason=row.revoke_reason,
        revoked_by=row.revoked_by,
        program_id=row.program_id,
        status=StatusEntries(
            row.revocation_list_id, row.revocation_index, row.suspension_list_id, row.suspension_index
        ),
        credential_jwt=row.credential_jwt,
    )


def _fact(row: FactRow) -> Fact:
    return Fact(str(row.event_id), FactType(row.fact_type), row.occurred_at, dict(row.attributes), row.score)


class AchievementsRepository(AwardPathQueries):
    """Badges, awards, facts, learners, keys, status lists and settings of one tenant."""

    def __init__(
        self, session: AsyncSession, tenant_id: TenantId, driver: asyncpg.Connection | None = None
    ) -> None:
        """`driver`: the unit of work's asyncpg connection (`UnitOfWork.driver`), if the caller has it."""
        self._s = session
        self._t = tenant_id
        self._driver = driver

    # --- badges -------------------------------------------------------------------------------------------

    async def add_badge(self, badge: Badge) -> None:
        """Insert a new badge."""
        await self._s.execute(
            insert(BadgeRow).values(
                tenant_id=self._t,
                badge_id=badge.badge_id,
                create_time=badge.create_time,
                created_by=badge.created_by,
                **_badge_values(badge),
            )
        )

    async def get_badge(self, badge_id: uuid.UUID, *, lock: bool = False) -> Badge | None:
        """One badge (locked for update if asked), or None."""
        query = select(BadgeRow).where(BadgeRow.tenant_id == self._t, BadgeRow.badge_id == badge_id)
        if lock:
            query = query.with_for_update()
        row = (await self._s.execute(query)).scalar_one_or_none()
        return _badge(row) if row else None

    async def save_badge(self, badge: Badge) -> None:
        """Store a changed badge."""
        await self._s.execute(
            update(BadgeRow)
            .where(BadgeRow.tenant_id == self._t, BadgeRow.badge_id == badge.badge_id)
            .values(**_badge_values(badge))
        )

    async def list_badges(
        self,
        *,
        state: BadgeState | None,
        tag: str,
        program_id: str,
        after: tuple[dt.datetime, uuid.UUID] | None,
        limit: int,
    ) -> list[Badge]:
        """A page of badges, newest first (keyset on create_time, badge_id)."""
        query = select(BadgeRow).where(BadgeRow.tenant_id == self._t)
        if state is not None:
            query = query.where(BadgeRow.state == state.value)
        if tag:
            query = query.where(BadgeRow.tags.contains([tag]))
        if program_id:
            query = query.where(BadgeRow.program_id == program_id)
        if after is not None:
            query = query.where(tuple_(BadgeRow.create_time, BadgeRow.badge_id) < tuple_(*after))
        query = query.order_by(BadgeRow.create_time.desc(), BadgeRow.badge_id.desc()).limit(limit)
        return [_badge(row) for row in (await self._s.execute(query)).scalars()]

    async def active_badges(self, fact_type: FactType | None = None) -> list[Badge]:
        """Active badges, only those whose rule looks at `fact_type` if given."""
        query = select(BadgeRow).where(
            BadgeRow.tenant_id == self._t, BadgeRow.state == BadgeState.ACTIVE.value
        )
        if fact_type is not None:
            query = query.where(BadgeRow.fact_types.contains([fact_type.value]))
        return [
            _badge(row) for row in (await self._s.execute(query.order_by(BadgeRow.create_time))).scalars()
        ]

    async def pending_backfills(self) -> list[Badge]:
        """Active badges whose backfill has not run yet."""
        query = select(BadgeRow).where(
            BadgeRow.tenant_id == self._t,
            BadgeRow.backfill_state == BackfillState.PENDING.value,
            BadgeRow.state == BadgeState.ACTIVE.value,
        )
        return [
            _badge(row) for row in (await self._s.execute(query.with_for_update(skip_locked=True))).scalars()
        ]

    # --- facts and learners -------------------------------------------------------------------------------

    async def lock_learner(self, learner_id: str) -> None:
        """Serialise award decisions for one learner until the transaction ends (so concurrent events of
        the same learner see each other's facts and never both miss nor both make an award)."""
        key = self._lock_key(learner_id)
        await self._s.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key})

    async def add_fact(self, learner_id: str, fact: Fact) -> bool:
        """Record a fact once (by event id); False if it was recorded before."""
        result = await self._s.execute(
            insert(FactRow)
            .values(
                tenant_id=self._t,
                event_id=uuid.UUID(fact.event_id),
                learner_id=learner_id,
                fact_type=fact.fact_type.value,
                occurred_at=fact.occurred_at,
                attributes=dict(fact.attributes),
                score=fact.score,
            )
            .on_conflict_do_nothing()
            .returning(FactRow.event_id)
        )
        return result.scalar_one_or_none() is not None

    async def learner_facts(self, learner_id: str) -> list[Fact]:
        """Every recorded fact of a learner, oldest first."""
        query = (
            select(FactRow)
            .where(FactRow.tenant_id == self._t, FactRow.learner_id == learner_id)
            .order_by(FactRow.occurred_at, FactRow.event_id)
        )
        return [_fact(row) for row in (await self._s.execute(query)).scalars()]

    async def facts_by_learner(self) -> dict[str, list[Fact]]:
        """Every recorded fact of the tenant, by learner (simulation and backfill)."""
        query = (
            select(FactRow)
            .where(FactRow.tenant_id == self._t)
            .order_by(FactRow.learner_id, FactRow.occurred_at)
        )
        found: dict[str, list[Fact]] = {}
        for row in (await self._s.execute(query)).scalars():
            found.setdefault(row.learner_id, []).append(_fact(row))
        return found

    async def upsert_learner(
        self, learner_id: str, display_name: str, time_zone: str, active: bool, now: dt.datetime
    ) -> None:
        """Replace the local copy of a learner's directory entry unless a newer one is stored (`now` is the
        event's time: deliveries may arrive out of order)."""
        values = {
            "display_name": display_name,
            "time_zone": time_zone or "UTC",
            "active": active,
            "update_time": now,
        }
        statement = insert(LearnerRow).values(tenant_id=self._t, learner_id=learner_id, **values)
        await self._s.execute(
            statement.on_conflict_do_update(
                index_elements=["tenant_id", "learner_id"],
                set_=values,
                where=LearnerRow.update_time <= statement.excluded.update_time,
            )
        )

    async def deactivate_learner(self, learner_id: str, now: dt.datetime) -> None:
        """Mark a learner inactive (their awards stay)."""
        await self._s.execute(
            update(LearnerRow)
            .where(LearnerRow.tenant_id == self._t, LearnerRow.learner_id == learner_id)
            .values(active=False, update_time=now)
        )

    async def time_zones(self, learner_ids: list[str] | None = None) -> dict[str, str]:
        """Known learners' IANA time zones (all, or those named)."""
        query = select(LearnerRow.learner_id, LearnerRow.time_zone).where(LearnerRow.tenant_id == self._t)
        if learner_ids is not None:
            query = query.where(LearnerRow.learner_id.in_(learner_ids))
        return {row.learner_id: row.time_zone for row in await self._s.execute(query)}

    # --- awards -------------------------------------------------------------------------------------------

    async def latest_awards(self, learner_id: str) -> dict[uuid.UUID, Award]:
        """The learner's latest award (highest period) of every badge they were ever awarded."""
        query = (
            select(AwardRow)
            .where(AwardRow.tenant_id == self._t, AwardRow.learner_id == learner_id)
            .order_by(AwardRow.badge_id, AwardRow.period.desc())
            .ext(distinct_on(AwardRow.badge_id))
        )
        return {row.badge_id: _award(row) for row in (await self._s.execute(query)).scalars()}

    async def latest_awards_of_badge(self, badge_id: uuid.UUID) -> dict[str, Award]:
        """Every learner's latest award of one badge."""
        query = (
            select(AwardRow)
            .where(AwardRow.tenant_id == self._t, AwardRow.badge_id == badge_id)
            .order_by(AwardRow.learner_id, AwardRow.period.desc())
            .ext(distinct_on(AwardRow.learner_id))
        )
        return {row.learner_id: _award(row) for row in (await self._s.execute(query)).scalars()}

    async def get_award(self, award_id: uuid.UUID, *, lock: bool = False) -> Award | None:
        """One award (locked if asked), or None."""
        query = select(AwardRow).where(AwardRow.tenant_id == self._t, AwardRow.award_id == award_id)
        if lock:
            query = query.with_for_update()
        row = (await self._s.execute(query)).scalar_one_or_none()
        return _award(row) if row else None

    async def award_by_credential(self, credential_id: uuid.UUID) -> Award | None:
        """The award a credential was issued for, or None."""
        query = select(AwardRow).where(AwardRow.tenant_id == self._t, AwardRow.credential_id == credential_id)
        row = (await self._s.execute(query)).scalar_one_or_none()
        return _award(row) if row else None

    async def save_award_state(self, award: Award, now: dt.datetime) -> None:
        """Store an award's state change (revocation, suspension, expiry)."""
        await self._s.execute(
            update(AwardRow)
            .where(AwardRow.tenant_id == self._t, AwardRow.award_id == award.award_id)
            .values(
                state=award.state.value,
                revoke_time=award.revoke_time,
                revoke_reason=award.revoke_reason,
                revoked_by=award.revoked_by,
                update_time=now,
            )
        )

    async def list_awards(
        self,
        badge_id: uuid.UUID,
        *,
        state: AwardState | None,
        after: tuple[dt.datetime, uuid.UUID] | None,
        limit: int,
    ) -> list[Award]:
        """A page of a badge's awards, newest first."""
        query = select(AwardRow).where(AwardRow.tenant_id == self._t, AwardRow.badge_id == badge_id)
        if state is not None:
            query = query.where(AwardRow.state == state.value)
        if after is not None:
            query = query.where(tuple_(AwardRow.award_time, AwardRow.award_id) < tuple_(*after))
        query = query.order_by(AwardRow.award_time.desc(), AwardRow.award_id.desc()).limit(limit)
        return [_award(row) for row in (await self._s.execute(query)).scalars()]

    async def learner_awards(self, learner_id: str) -> list[Award]:
        """Every award of a learner, newest first."""
        query = (
            select(AwardRow)
            .where(AwardRow.tenant_id == self._t, AwardRow.learner_id == learner_id)
            .order_by(AwardRow.award_time.desc(), AwardRow.award_id.desc())
        )
        return [_award(row) for row in (await self._s.execute(query)).scalars()]

    async def due_awards(self, now: dt.datetime, limit: int) -> list[Award]:
        """Held or suspended awards past their expiry time, locked (skipping rows another sweep holds)."""
        query = (
            select(AwardRow)
            .where(
                AwardRow.tenant_id == self._t,
                AwardRow.state.in_([AwardState.ACTIVE.value, AwardState.SUSPENDED.value]),
                AwardRow.expire_time <= now,
            )
            .order_by(AwardRow.expire_time)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [_award(row) for row in (await self._s.execute(query)).scalars()]

    async def leaderboard(self, program_id: str, limit: int) -> list[tuple[str, str, int]]:
        """(learner, display name, active awards of the program's badges), most first."""
        count = func.count().label("badges")
        query = (
            select(AwardRow.learner_id, func.coalesce(LearnerRow.display_name, "").label("name"), count)
            .outerjoin(
                LearnerRow,
                (LearnerRow.tenant_id == AwardRow.tenant_id) & (LearnerRow.learner_id == AwardRow.learner_id),
            )
            .where(
                AwardRow.tenant_id == self._t,
                AwardRow.program_id == program_id,
                AwardRow.state == AwardState.ACTIVE.value,
            )
            .group_by(AwardRow.learner_id, LearnerRow.display_name)
            .order_by(count.desc(), AwardRow.learner_id)
            .limit(limit)
        )
        return [(row.learner_id, row.name, int(row.badges)) for row in await self._s.execute(query)]

    # --- keys, status lists, settings, public ids ---------------------------------------------------------

    async def issuer_keys(self) -> list[IssuerKey]:
        """The tenant's signing keys, oldest first."""
        query = (
            select(IssuerKeyRow).where(IssuerKeyRow.tenant_id == self._t).order_by(IssuerKeyRow.create_time)
        )
        return [
            IssuerKey(row.key_id, row.algorithm, row.private_pem, dict(row.public_jwk), row.create_time)
            for row in (await self._s.execute(query)).scalars()
        ]

    async def add_issuer_key(self, key: IssuerKey) -> bool:
        """Store a key unless one with its id exists (a concurrent first award made it); True if stored."""
        result = await self._s.execute(
            insert(IssuerKeyRow)
            .values(
                tenant_id=self._t,
                key_id=key.key_id,
                algorithm=key.algorithm,
                private_pem=key.private_pem,
                public_jwk=key.public_jwk,
                create_time=key.create_time,
            )
            .on_conflict_do_nothing()
            .returning(IssuerKeyRow.key_id)
        )
        return result.scalar_one_or_none() is not None

    async def status_list_purpose(self, list_id: uuid.UUID) -> str | None:
        """The purpose of a status list, or None if the tenant has no such list."""
        query = select(StatusListRow.purpose).where(
            StatusListRow.tenant_id == self._t, StatusListRow.list_id == list_id
        )
        return (await self._s.execute(query)).scalar_one_or_none()

    async def set_status_indices(self, list_id: uuid.UUID, purpose: str) -> list[int]:
        """Entries of a status list whose bit is set: revoked awards (revocation), suspended (suspension)."""
        if purpose == "revocation":
            query = select(AwardRow.revocation_index).where(
                AwardRow.tenant_id == self._t,
                AwardRow.revocation_list_id == list_id,
                AwardRow.state == AwardState.REVOKED.value,
            )
        else:
            query = select(AwardRow.suspension_index).where(
                AwardRow.tenant_id == self._t,
                AwardRow.suspension_list_id == list_id,
                AwardRow.state == AwardState.SUSPENDED.value,
            )
        return list((await self._s.execute(query)).scalars())

    async def add_public_id(self, public_id: uuid.UUID, kind: str) -> None:
        """Make an id resolvable to this tenant by the public lookup."""
        await self._s.execute(insert(PublicIdRow).values(tenant_id=self._t, public_id=public_id, kind=kind))

    async def get_settings(self) -> TenantSettings:
        """The tenant's settings (defaults if never set)."""
        query = select(TenantSettingsRow).where(TenantSettingsRow.tenant_id == self._t)
        row = (await self._s.execute(query)).scalar_one_or_none()
        if row is None:
            return TenantSettings()
        return TenantSettings(row.leaderboards_enabled, row.issuer_name, row.issuer_url)

    async def save_settings(self, settings: TenantSettings, now: dt.datetime) -> None:
        """Insert or replace the tenant's settings."""
        values = {
            "leaderboards_enabled": settings.leaderboards_enabled,
            "issuer_name": settings.issuer_name,
            "issuer_url": settings.issuer_url,
            "update_time": now,
        }
        await self._s.execute(
            insert(TenantSettingsRow)
            .values(tenant_id=self._t, **values)
            .on_conflict_do_update(index_elements=["tenant_id"], set_=values)
        )


async def public_tenant(session: AsyncSession, public_id: uuid.UUID, kind: str) -> uuid.UUID | None:
    """The tenant of a public credential or status list id (SECURITY DEFINER lookup), or None."""
    result = await session.execute(
        text("SELECT achievements_public_tenant(:id, :kind)"), {"id": public_id, "kind": kind}
    )
    value = result.scalar_one_or_none()
    return value if isinstance(value, uuid.UUID) else (uuid.UUID(str(value)) if value else None)


async def due_tenants(session: AsyncSession, now: dt.datetime) -> list[uuid.UUID]:
    """Tenants with awards past their expiry or a pending backfill (SECURITY DEFINER lookup)."""
    result = await session.execute(text("SELECT achievements_due_tenants(:now)"), {"now": now})
    return [value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)) for value in result.scalars()]
