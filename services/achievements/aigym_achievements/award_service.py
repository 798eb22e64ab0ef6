"""Award use cases: manual awards, revocation and suspension, earners, a learner's achievements,
leaderboards, and the background jobs (retroactive backfill, expiry). Each owns its unit of work."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import uuid
from dataclasses import dataclass

from aigym.achievements.v1 import events_pb2
from aigym_achievements.awarding import Awarder, award_subject, next_period, stamp, usable_facts
from aigym_achievements.domain import (
    Award,
    AwardSource,
    AwardState,
    BackfillState,
    Badge,
    BadgeState,
)
from aigym_achievements.repository import AchievementsRepository
from aigym_achievements.rules import Context, evaluate, zone
from aigym_platform.db import UnitOfWork, UnitOfWorkFactory
from aigym_platform.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from aigym_platform.events.registry import ACHIEVEMENT_EXPIRED, ACHIEVEMENT_REVOKED
from aigym_platform.identity import Identity, Role, TenantId
from aigym_platform.pagination import Cursor, decode_token, encode_token, page_size

log = logging.getLogger(__name__)
EXPIRY_BATCH = 500


@dataclass(frozen=True)
class AwardPage:
    """One page of awards and the token of the next page ("" on the last)."""

    awards: list[Award]
    next_page_token: str


@dataclass(frozen=True)
class Achievements:
    """A learner's awards, their badges, and progress (0..1) toward the active badges not held."""

    awards: list[Award]
    badges: dict[uuid.UUID, Badge]
    in_progress: list[tuple[Badge, float]]


@dataclass(frozen=True)
class LeaderboardRow:
    """One learner's place on a program leaderboard."""

    rank: int
    learner_id: str
    display_name: str
    badge_count: int


def _learner(identity: Identity, learner_id: str) -> str:
    """Resolve `me`; reading or acting for another learner needs `manager`."""
    if identity.is_self(learner_id):
        return identity.user_id
    identity.require(Role.MANAGER)
    return learner_id


class AwardsService:
    """Awards and the jobs that make or end them, independent of gRPC and Celery."""

    def __init__(self, uow_factory: UnitOfWorkFactory, awarder: Awarder) -> None:
        self._uow = uow_factory
        self._awarder = awarder

    def _clock(self) -> dt.datetime:
        return self._awarder.clock()

    @staticmethod
    def _repo(uow: UnitOfWork) -> AchievementsRepository:
        return AchievementsRepository(uow.session, uow.tenant_id, uow.driver)

    async def award_manually(
        self, identity: Identity, badge_id: uuid.UUID, learner_id: str, reason: str
    ) -> Award:
        """Award an active badge by hand with a reason (audited); ALREADY_EXISTS if the learner holds it."""
        identity.require(Role.CLIENT_ADMIN)
        violations = []
        if not learner_id.strip():
            violations.append(InvalidArgument.for_field("award.learner_id", "name the learner"))
        if not reason.strip():
            violations.append(InvalidArgument.for_field("award.reason", "a manual award needs a reason"))
        if violations:
            raise InvalidArgument(
                "; ".join(v.message for v in violations), violations=[v.violations[0] for v in violations]
            )
        async with self._uow(identity.tenant_id, identity) as uow:
            repo = self._repo(uow)
            badge = await repo.get_badge(badge_id)
            if badge is None:
                raise NotFound(f"badge {badge_id} not found", reason="BADGE_NOT_FOUND")
            if badge.state is not BadgeState.ACTIVE:
                raise FailedPrecondition(
                    f"only an active badge can be awarded; this one is {badge.state.value}",
                    reason="BADGE_NOT_ACTIVE",
                )
            await repo.lock_learner(learner_id)
            previous = (await repo.latest_awards(learner_id)).get(badge_id)
            if previous is not None and previous.state in (AwardState.ACTIVE, AwardState.SUSPENDED):
                raise AlreadyExists(
                    f"learner {learner_id} holds badge {badge_id} already (award {previous.award_id})",
                    reason="AWARD_EXISTS",
                )
            award = await self._awarder.award(
                uow,
                repo,
                badge,
                learner_id,
                next_period(previous),
                AwardSource.MANUAL,
                (),
                actor=identity.user_id,
                reason=reason.strip(),
            )
            assert award is not None  # the learner lock rules out a concurrent award of this period
            await uow.commit()
        return award

    async def list_awards(
        self, identity: Identity, badge_id: uuid.UUID, state: AwardState | None, size: int, token: str
    ) -> AwardPage:
        """A page of a badge's awards (its earners), newest first."""
        identity.require(Role.MANAGER)
        filters = {"badge_id": str(badge_id), "state": state.value if state else ""}
        cursor = decode_token(token, filters)
        limit = page_size(size)
        after = None
        if cursor is not None:
            after = (cursor.time(0), cursor.uuid(1))
        async with self._uow(identity.tenant_id, identity) as uow:
            repo = self._repo(uow)
            if await repo.get_badge(badge_id) is None:
                raise NotFound(f"badge {badge_id} not found", reason="BADGE_NOT_FOUND")
            awards = await repo.list_awards(badge_id, state=state, after=after, limit=limit + 1)
        next_token = ""
        if len(awards) > limit:
            awards = awards[:limit]
            last = awards[-1]
            next_token = encode_token(Cursor((last.award_time.isoformat(), str(last.award_id))), filters)
        return AwardPage(awards, next_token)

    async def revoke(self, identity: Identity, award_id: uuid.UUID, reason: str) -> Award:
        """Revoke an award with a reason (audited, achievement_revoked); a revoked award is returned as is."""
        identity.require(Role.CLIENT_ADMIN)
        async with self._uow(identity.tenant_id, identity) as uow:
            repo = self._repo(uow)
            award = await self._locked(repo, award_id)
            if award.state is AwardState.REVOKED:
                return award
            now = self._clock()
            revoked = dataclasses.replace(
                award,
                state=AwardState.REVOKED,
                revoke_time=now,
                revoke_reason=reason,
                revoked_by=identity.user_id,
            )
            await repo.save_award_state(revoked, now)
            payload = events_pb2.AchievementRevoked(
                award_id=str(award_id),
                badge_id=str(award.badge_id),
                learner_id=award.learner_id,
                reason=reason,
                revoke_time=stamp(now),
            )
            await uow.publish(ACHIEVEMENT_REVOKED, award_subject(award.learner_id, award.badge_id), payload)
            await uow.audit(
                "award.revoke",
                "award",
                str(award_id),
                before={"state": award.state.value},
                after={"state": "revoked", "reason": reason},
            )
            await uow.commit()
        return revoked

    async def suspend(
        self, identity: Identity, award_id: uuid.UUID, reason: str, *, reinstate: bool
    ) -> Award:
        """Suspend an active award, or lift a suspension (audited); the suspension status list follows."""
        identity.require(Role.CLIENT_ADMIN)
        async with self._uow(identity.tenant_id, identity) as uow:
            repo = self._repo(uow)
            award = await self._locked(repo, award_id)
            wanted_from = AwardState.SUSPENDED if reinstate else AwardState.ACTIVE
            if award.state is not wanted_from:
                raise FailedPrecondition(
                    f"award {award_id} is {award.state.value}; only a {wanted_from.value} award can be "
                    + ("reinstated" if reinstate else "suspended"),
                    reason="AWARD_STATE",
                )
            now = self._clock()
            changed = dataclasses.replace(
                award,
                state=AwardState.ACTIVE if reinstate else AwardState.SUSPENDED,
                revoke_reason="" if reinstate else reason,
            )
            await repo.save_award_state(changed, now)
            await uow.audit(
                "award.reinstate" if reinstate else "award.suspend",
                "award",
                str(award_id),
                before={"state": award.state.value},
                after={"state": changed.state.value, "reason": reason},
            )
            await uow.commit()
        return changed

    async def learner_achievements(self, identity: Identity, learner_id: str) -> Achievements:
        """A learner's awards and progress toward the active badges they do not hold."""
        learner = _learner(identity, learner_id)
        async with self._uow(identity.tenant_id, identity) as uow:
            repo = self._repo(uow)
            awards = await repo.learner_awards(learner)
            badges = {b.badge_id: b for b in await repo.active_badges()}
            for award in awards:
                if award.badge_id not in badges and (badge := await repo.get_badge(award.badge_id)):
                    badges[badge.badge_id] = badge
            latest = await repo.latest_awards(learner)
            facts = await repo.learner_facts(learner)
            time_zone = zone((await repo.time_zones([learner])).get(learner, ""))
        in_progress: list[tuple[Badge, float]] = []
        for badge in badges.values():
            previous = latest.get(badge.badge_id)
            if badge.state is not BadgeState.ACTIVE or (previous is not None and previous.blocks_rule_award):
                continue
            outcome = evaluate(
                badge.rule, usable_facts(facts, previous), Context(time_zone, badge.program_id)
            )
            in_progress.append((badge, outcome.progress))
        in_progress.sort(key=lambda item: (-item[1], item[0].display_name))
        held = {a.badge_id for a in awards}
        return Achievements(awards, {k: v for k, v in badges.items() if k in held}, in_progress)

    async def leaderboard(self, identity: Identity, program_id: str, size: int) -> list[LeaderboardRow]:
        """A program's leaderboard (FAILED_PRECONDITION unless the tenant opted in)."""
        identity.require(Role.LEARNER)
        async with self._uow(identity.tenant_id, identity) as uow:
            repo = self._repo(uow)
            if not (await repo.get_settings()).leaderboards_enabled:
                raise FailedPrecondition(
                    "leaderboards are not enabled for this organisation", reason="LEADERBOARDS_DISABLED"
                )
            rows = await repo.leaderboard(program_id, page_size(size, default=10, maximum=100))
        board: list[LeaderboardRow] = []
        for position, (learner_id, name, count) in enumerate(rows, start=1):
            rank = board[-1].rank if board and board[-1].badge_count == count else position
            board.append(LeaderboardRow(rank, learner_id, name, count))
        return board

    # --- jobs ---------------------------------------------------------------------------------------------

    async def run_backfills(self, tenant_id: TenantId) -> int:
        """Award every pending backfill's badge to the learners whose history satisfies it; return awards."""
        total = 0
        while True:
            async with self._uow(tenant_id, None) as uow:
                repo = self._repo(uow)
                pending = await repo.pending_backfills()
                if not pending:
                    return total
                badge = pending[0]
                try:
                    made = await self._backfill(uow, repo, badge)
                except Exception as exc:
                    log.exception("backfill of badge %s failed", badge.badge_id)
                    await uow.session.rollback()
                    await self._fail_backfill(tenant_id, badge.badge_id, f"{type(exc).__name__}: {exc}")
                    continue
                await uow.commit()
                total += made

    async def _backfill(self, uow: UnitOfWork, repo: AchievementsRepository, badge: Badge) -> int:
        facts = await repo.facts_by_learner()
        zones = await repo.time_zones()
        latest = await repo.latest_awards_of_badge(badge.badge_id)
        made = 0
        for learner_id, outcome, blocked in self._awarder.simulate(badge, facts, zones, latest):
            if blocked:
                continue
            award = await self._awarder.award(
                uow,
                repo,
                badge,
                learner_id,
                next_period(latest.get(learner_id)),
                AwardSource.BACKFILL,
                outcome.evidence,
            )
            made += award is not None
        done = dataclasses.replace(
            badge,
            backfill_state=BackfillState.DONE,
            backfill_awarded=made,
            backfill_finish_time=self._clock(),
        )
        await repo.save_badge(done)
        await uow.audit("badge.backfill", "badge", str(badge.badge_id), after={"awarded": made})
        return made

    async def _fail_backfill(self, tenant_id: TenantId, badge_id: uuid.UUID, error: str) -> None:
        async with self._uow(tenant_id, None) as uow:
            repo = self._repo(uow)
            badge = await repo.get_badge(badge_id, lock=True)
            if badge is not None and badge.backfill_state is BackfillState.PENDING:
                await repo.save_badge(
                    dataclasses.replace(
                        badge,
                        backfill_state=BackfillState.FAILED,
                        backfill_error=error[:1000],
                        backfill_finish_time=self._clock(),
                    )
                )
                await uow.commit()

    async def expire_due(self, tenant_id: TenantId) -> int:
        """Expire the tenant's awards past their expiry time (achievement_expired each); return how many."""
        total = 0
        while True:
            async with self._uow(tenant_id, None) as uow:
                repo = self._repo(uow)
                now = self._clock()
                due = await repo.due_awards(now, EXPIRY_BATCH)
                for award in due:
                    expired = dataclasses.replace(award, state=AwardState.EXPIRED)
                    await repo.save_award_state(expired, now)
                    assert award.expire_time is not None
                    payload = events_pb2.AchievementExpired(
                        award_id=str(award.award_id),
                        badge_id=str(award.badge_id),
                        learner_id=award.learner_id,
                        expire_time=stamp(award.expire_time),
                    )
                    await uow.publish(
                        ACHIEVEMENT_EXPIRED, award_subject(award.learner_id, award.badge_id), payload
                    )
                    await uow.audit(
                        "award.expire", "award", str(award.award_id), before={"state": award.state.value}
                    )
                await uow.commit()
            total += len(due)
            if len(due) < EXPIRY_BATCH:
                return total

    @staticmethod
    async def _locked(repo: AchievementsRepository, award_id: uuid.UUID) -> Award:
        award = await repo.get_award(award_id, lock=True)
        if award is None:
            raise NotFound(f"award {award_id} not found", reason="AWARD_NOT_FOUND")
        return award
