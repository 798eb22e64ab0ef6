"""Badge use cases: definitions and their lifecycle, simulation, tenant settings. Each owns one unit of
work and writes its audit rows in it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from aigym_achievements.awarding import Awarder
from aigym_achievements.domain import (
    Badge,
    BadgeDraft,
    BadgeState,
    TenantSettings,
    check_badge,
    digest,
    new_badge,
)
from aigym_achievements.repository import AchievementsRepository
from aigym_achievements.rules import Outcome, Rule, rule_to_json
from aigym_platform.db import UnitOfWork, UnitOfWorkFactory
from aigym_platform.errors import InvalidArgument, NotFound
from aigym_platform.identity import Identity, Role, TenantId
from aigym_platform.pagination import Cursor, decode_token, encode_token, page_size

log = logging.getLogger(__name__)

BackfillTrigger = Callable[[TenantId], None]
"""Asks the job queue to run a tenant's pending backfills now (the scheduled sweep runs them otherwise)."""


def no_trigger(tenant_id: TenantId) -> None:
    """A trigger that leaves pending backfills to the scheduled sweep."""


@dataclass(frozen=True)
class BadgePage:
    """One page of badges and the token of the next page ("" on the last)."""

    badges: list[Badge]
    next_page_token: str


@dataclass(frozen=True)
class Simulation:
    """Who would earn a badge now."""

    earners: list[tuple[str, Outcome, bool]]
    earner_count: int
    learner_count: int


SETTINGS_FIELDS = frozenset({"leaderboards_enabled", "issuer_name", "issuer_url"})


def _badge_audit(badge: Badge) -> dict[str, object]:
    return {
        "state": badge.state.value,
        "display_name": badge.display_name,
        "rule": digest(rule_to_json(badge.rule)),
        "validity": badge.validity.total_seconds() if badge.validity else None,
        "program_id": badge.program_id,
        "revision": badge.revision,
    }


class BadgesService:
    """Badge definitions, lifecycle, simulation and settings, independent of gRPC."""

    def __init__(
        self, uow_factory: UnitOfWorkFactory, awarder: Awarder, trigger_backfill: BackfillTrigger = no_trigger
    ) -> None:
        self._uow = uow_factory
        self._awarder = awarder
        self._trigger = trigger_backfill

    def _clock(self) -> dt.datetime:
        return self._awarder.clock()

    @staticmethod
    def _repo(uow: UnitOfWork) -> AchievementsRepository:
        return AchievementsRepository(uow.session, uow.tenant_id, uow.driver)

    async def create_badge(self, identity: Identity, draft: BadgeDraft) -> Badge:
        """Create a draft badge (INVALID_ARGUMENT with field violations for a bad definition or rule)."""
        identity.require(Role.CLIENT_ADMIN)
        badge = new_badge(draft, identity.user_id, self._clock())
        async with self._uow(identity.tenant_id, identity) as uow:
            await self._repo(uow).add_badge(badge)
            await uow.audit("badge.create", "badge", str(badge.badge_id), after=_badge_audit(badge))
            await uow.commit()
        return badge

    async def get_badge(self, identity: Identity, badge_id: uuid.UUID) -> Badge:
        """One badge; learners see only active and archived badges."""
        identity.require(Role.LEARNER)
        async with self._uow(identity.tenant_id, identity) as uow:
            badge = await self._repo(uow).get_badge(badge_id)
        if badge is None or (badge.state is BadgeState.DRAFT and not identity.has_role(Role.MANAGER)):
            raise NotFound(f"badge {badge_id} not found", reason="BADGE_NOT_FOUND")
        return badge

    async def list_badges(
        self,
        identity: Identity,
        *,
        state: BadgeState | None,
        tag: str,
        program_id: str,
        size: int,
        token: str,
    ) -> BadgePage:
        """A page of badges, newest first; learners see only active badges."""
        identity.require(Role.LEARNER)
        if not identity.has_role(Role.MANAGER):
            if state not in (None, BadgeState.ACTIVE):
                raise InvalidArgument.for_field("state", "learners may list active badges only")
            state = BadgeState.ACTIVE
        filters = {"state": state.value if state else "", "tag": tag, "program_id": program_id}
        cursor = decode_token(token, filters)
        limit = page_size(size)
        after = None
        if cursor is not None:
            after = (cursor.time(0), cursor.uuid(1))
        async with self._uow(identity.tenant_id, identity) as uow:
            badges = await self._repo(uow).list_badges(
                state=state, tag=tag, program_id=program_id, after=after, limit=limit + 1
            )
        next_token = ""
        if len(badges) > limit:
            badges = badges[:limit]
            last = badges[-1]
            next_token = encode_token(Cursor((last.create_time.isoformat(), str(last.badge_id))), filters)
        return BadgePage(badges, next_token)

    async def update_badge(
        self, identity: Identity, badge_id: uuid.UUID, draft: BadgeDraft, mask: Sequence[str], etag: str = ""
    ) -> Badge:
        """Apply the masked fields (rule, validity and scope only on drafts)."""
        identity.require(Role.CLIENT_ADMIN)
        async with self._uow(identity.tenant_id, identity) as uow:
            repo = self._repo(uow)
            badge = await self._locked(repo, badge_id)
            badge.check_etag(etag)
            updated = badge.updated(draft, mask, self._clock())
            await repo.save_badge(updated)
            await uow.audit(
                "badge.update",
                "badge",
                str(badge_id),
                before=_badge_audit(badge),
                after=_badge_audit(updated),
            )
            await uow.commit()
        return updated

    async def activate_badge(
        self, identity: Identity, badge_id: uuid.UUID, *, backfill: bool, etag: str = ""
    ) -> Badge:
        """draft -> active; with `backfill` the retroactive awards run as a background job of the tenant."""
        identity.require(Role.CLIENT_ADMIN)
        async with self._uow(identity.tenant_id, identity) as uow:
            repo = self._repo(uow)
            badge = await self._locked(repo, badge_id)
            badge.check_etag(etag)
            active = badge.activate(self._clock(), backfill=backfill)
            await repo.save_badge(active)
            await uow.audit(
                "badge.activate",
                "badge",
                str(badge_id),
                before=_badge_audit(badge),
                after={**_badge_audit(active), "backfill": backfill},
            )
            await uow.commit()
        if backfill:
            try:
                self._trigger(identity.tenant_id)
            except Exception:  # the scheduled sweep runs pending backfills anyway
                log.warning("could not enqueue the backfill of badge %s; the sweep will run it", badge_id)
        return active

    async def archive_badge(self, identity: Identity, badge_id: uuid.UUID, etag: str = "") -> Badge:
        """draft or active -> archived (no new awards; existing awards stay)."""
        identity.require(Role.CLIENT_ADMIN)
        async with self._uow(identity.tenant_id, identity) as uow:
            repo = self._repo(uow)
            badge = await self._locked(repo, badge_id)
            badge.check_etag(etag)
            archived = badge.archive(self._clock())
            await repo.save_badge(archived)
            await uow.audit(
                "badge.archive",
                "badge",
                str(badge_id),
                before=_badge_audit(badge),
                after=_badge_audit(archived),
            )
            await uow.commit()
        return archived

    async def simulate(
        self, identity: Identity, badge_id: uuid.UUID, rule: Rule | None = None, limit: int = 0
    ) -> Simulation:
        """Who satisfies the badge's rule (or a candidate rule) now, awarding nothing."""
        identity.require(Role.CLIENT_ADMIN)
        async with self._uow(identity.tenant_id, identity) as uow:
            repo = self._repo(uow)
            badge = await repo.get_badge(badge_id)
            if badge is None:
                raise NotFound(f"badge {badge_id} not found", reason="BADGE_NOT_FOUND")
            if rule is not None:
                badge = dataclasses.replace(badge, rule=rule)
                check_badge(badge.as_draft(), require_all=True)
            facts = await repo.facts_by_learner()
            zones = await repo.time_zones()
            latest = await repo.latest_awards_of_badge(badge_id)
        earners = self._awarder.simulate(badge, facts, zones, latest)
        return Simulation(earners[: page_size(limit, default=100, maximum=1000)], len(earners), len(facts))

    async def get_settings(self, identity: Identity) -> TenantSettings:
        """The tenant's achievements settings."""
        identity.require(Role.LEARNER)
        async with self._uow(identity.tenant_id, identity) as uow:
            return await self._repo(uow).get_settings()

    async def update_settings(
        self, identity: Identity, values: TenantSettings, mask: Sequence[str]
    ) -> TenantSettings:
        """Apply the masked settings (audited)."""
        identity.require(Role.CLIENT_ADMIN)
        unknown = sorted(set(mask) - SETTINGS_FIELDS)
        if unknown or not mask:
            raise InvalidArgument.for_field(
                "update_mask", f"name one or more of {', '.join(sorted(SETTINGS_FIELDS))}"
            )
        if "issuer_name" in mask and not values.issuer_name.strip():
            raise InvalidArgument.for_field("settings.issuer_name", "must not be empty")
        async with self._uow(identity.tenant_id, identity) as uow:
            repo = self._repo(uow)
            current = await repo.get_settings()
            updated = dataclasses.replace(current, **{name: getattr(values, name) for name in mask})
            await repo.save_settings(updated, self._clock())
            await uow.audit(
                "settings.update",
                "achievement_settings",
                str(identity.tenant_id),
                before=dataclasses.asdict(current),
                after=dataclasses.asdict(updated),
            )
            await uow.commit()
        return updated

    @staticmethod
    async def _locked(repo: AchievementsRepository, badge_id: uuid.UUID) -> Badge:
        badge = await repo.get_badge(badge_id, lock=True)
        if badge is None:
            raise NotFound(f"badge {badge_id} not found", reason="BADGE_NOT_FOUND")
        return badge
