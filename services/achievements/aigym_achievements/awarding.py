"""Making awards: rule evaluation for one learner, the award itself with its signed credential, and the
events and audit rows that go with it. Used by the event handlers, the backfill job and manual awards;
always inside the caller's unit of work (never commits).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from google.protobuf.timestamp_pb2 import Timestamp

from aigym.achievements.v1 import events_pb2
from aigym_achievements.catalog import ActiveBadges, BadgeCatalog
from aigym_achievements.domain import (
    Award,
    AwardSource,
    AwardState,
    Badge,
    LearnerState,
    Standing,
    StatusEntries,
)
from aigym_achievements.evaluator import LearnerFacts, evaluate_compiled
from aigym_achievements.openbadges import (
    AchievementView,
    CredentialInput,
    IssuerKey,
    Urls,
    generate_key,
    open_badge_claims,
    sign,
)
from aigym_achievements.repository import AchievementsRepository
from aigym_achievements.rules import Context, Fact, FactType, Outcome, evaluate, zone
from aigym_platform.db import UnitOfWork
from aigym_platform.events.registry import ACHIEVEMENT_AWARDED

Clock = Callable[[], dt.datetime]


def utcnow() -> dt.datetime:
    """The current UTC time (the default clock)."""
    return dt.datetime.now(dt.UTC)


def stamp(value: dt.datetime) -> Timestamp:
    """A protobuf Timestamp of an aware datetime."""
    result = Timestamp()
    result.FromDatetime(value)
    return result


def award_subject(learner_id: str, badge_id: uuid.UUID) -> str:
    """The event subject of a learner's badge."""
    return f"learners/{learner_id}/badges/{badge_id}"


@dataclass(frozen=True)
class CredentialConfig:
    """Where public documents live and how stored private keys are protected."""

    urls: Urls
    key_passphrase: str | None = None


def usable_facts(facts: Sequence[Fact], previous: Award | Standing | None) -> list[Fact]:
    """Facts that may earn a new award period: after an expired award only facts later than its expiry."""
    if previous is None or previous.expire_time is None:
        return list(facts)
    return [f for f in facts if f.occurred_at > previous.expire_time]


def next_period(previous: Award | Standing | None) -> int:
    """The award period a new award gets."""
    return previous.period + 1 if previous is not None else 1


class Awarder:
    """Evaluates badges for learners and makes awards with their credentials."""

    def __init__(self, config: CredentialConfig, clock: Clock = utcnow) -> None:
        self.config = config
        self.clock = clock
        # Keys read back from the database never change, so a process may keep them (a key generated in a
        # transaction is not cached: that transaction may still roll back).
        self._keys: dict[uuid.UUID, IssuerKey] = {}
        self.catalog = BadgeCatalog()

    async def issuer_key(self, repo: AchievementsRepository, tenant_id: uuid.UUID) -> IssuerKey:
        """The tenant's signing key, generated and stored on first use."""
        if (cached := self._keys.get(tenant_id)) is not None:
            return cached
        keys = await repo.issuer_keys()
        if keys:
            self._keys[tenant_id] = keys[-1]
            return keys[-1]
        key = generate_key(self.config.urls.key_id(tenant_id), self.clock(), self.config.key_passphrase)
        if await repo.add_issuer_key(key):
            return key
        return (await repo.issuer_keys())[-1]  # a concurrent first award stored it first

    async def active_badges(
        self, repo: AchievementsRepository, tenant_id: uuid.UUID, revision: int
    ) -> ActiveBadges:
        """The tenant's active badges at `revision` (read by the caller in this transaction): cached per
        process, read again (and parsed) only after a badge write changed the revision."""
        cached = self.catalog.get(tenant_id, revision)
        if cached is not None:
            return cached
        # Read after `revision` was: these badges are at least as new as it (never older), so keying them
        # by it can only make a later event read them again, never miss a change.
        return self.catalog.put(tenant_id, revision, await repo.active_badges())

    async def evaluate_learner(
        self,
        uow: UnitOfWork,
        repo: AchievementsRepository,
        learner_id: str,
        fact_type: FactType,
        state: LearnerState,
    ) -> list[Award]:
        """Award every active badge looking at `fact_type` that the learner's facts now satisfy.

        `state` was read under the learner lock the caller holds, so its facts include every committed and
        this transaction's own; a learner holding, suspended from or revoked from a badge is not awarded it.
        An event that satisfies no new badge ends here, without a statement.
        """
        active = await self.active_badges(repo, uow.tenant_id, state.badge_revision)
        candidates = [
            b
            for b in active.looking_at(fact_type)
            if not ((held := state.standings.get(b.badge_id)) is not None and held.blocks_rule_award)
        ]
        if not candidates:
            return []
        # The learner's facts indexed once: badges looking at the same facts share the work.
        facts = LearnerFacts(state.facts, zone(state.time_zone))
        earned: list[tuple[Badge, int, tuple[str, ...]]] = []
        for badge in candidates:
            previous = state.standings.get(badge.badge_id)
            usable = facts
            if previous is not None and previous.expire_time is not None:
                usable = LearnerFacts(usable_facts(state.facts, previous), facts.time_zone)
            outcome = evaluate_compiled(active.compiled[badge.badge_id], usable)
            if outcome.satisfied:
                earned.append((badge, next_period(previous), outcome.evidence))
        return await self.award_many(
            uow, repo, learner_id, earned, AwardSource.RULE, issuer_name=state.issuer_name
        )

    async def award(
        self,
        uow: UnitOfWork,
        repo: AchievementsRepository,
        badge: Badge,
        learner_id: str,
        period: int,
        source: AwardSource,
        evidence: Sequence[str],
        *,
        actor: str = "system",
        reason: str = "",
        issuer_name: str | None = None,
    ) -> Award | None:
        """Record one award (see `award_many`); None if the learner already has an award of this badge in
        this period."""
        made = await self.award_many(
            uow,
            repo,
            learner_id,
            [(badge, period, tuple(evidence))],
            source,
            actor=actor,
            reason=reason,
            issuer_name=issuer_name,
        )
        return made[0] if made else None

    async def award_many(
        self,
        uow: UnitOfWork,
        repo: AchievementsRepository,
        learner_id: str,
        earned: Sequence[tuple[Badge, int, tuple[str, ...]]],
        source: AwardSource,
        *,
        actor: str = "system",
        reason: str = "",
        issuer_name: str | None = None,
    ) -> list[Award]:
        """Record awards of distinct badges (badge, period, evidence) to one learner, each with its signed
        OpenBadgeCredential, and publish achievement_awarded for each; manual awards are audited too (rule
        and backfill awards are recorded by the award row, its evidence and the event). The awards made, in
        the order asked, without those of a badge and period the learner already has. Two statements
        however many awards: their status entries, then the awards. `issuer_name` is the tenant's setting if
        the caller read it already."""
        if not earned:
            return []
        now = self.clock()
        tenant = uow.tenant_id
        if issuer_name is None:
            issuer_name = (await repo.get_settings()).issuer_name
        key = await self.issuer_key(repo, tenant)
        entries = await repo.take_status_entries(now, len(earned))
        awards = [
            self._signed_award(
                tenant,
                key,
                badge,
                learner_id,
                period,
                source,
                evidence,
                status,
                now,
                actor,
                reason,
                issuer_name,
            )
            for (badge, period, evidence), status in zip(earned, entries, strict=True)
        ]
        added = await repo.add_awards(awards, now)
        made = [award for award in awards if award.award_id in added]
        for award in made:
            await self._announce(uow, award, source, reason)
        return made

    def _signed_award(
        self,
        tenant: uuid.UUID,
        key: IssuerKey,
        badge: Badge,
        learner_id: str,
        period: int,
        source: AwardSource,
        evidence: tuple[str, ...],
        status: StatusEntries,
        now: dt.datetime,
        actor: str,
        reason: str,
        issuer_name: str,
    ) -> Award:
        credential_id = uuid.uuid4()
        expire_time = now + badge.validity if badge.validity is not None else None
        claims = open_badge_claims(
            self.config.urls,
            CredentialInput(
                tenant_id=tenant,
                credential_id=credential_id,
                learner_id=learner_id,
                achievement=AchievementView(
                    badge.badge_id,
                    badge.display_name,
                    badge.description,
                    badge.criteria_narrative,
                    badge.image_url,
                    badge.tags,
                ),
                issuer_name=issuer_name,
                valid_from=now,
                valid_until=expire_time,
                evidence=evidence,
                revocation_list_id=status.revocation_list_id,
                revocation_index=status.revocation_index,
                suspension_list_id=status.suspension_list_id,
                suspension_index=status.suspension_index,
            ),
        )
        return Award(
            award_id=uuid.uuid4(),
            badge_id=badge.badge_id,
            learner_id=learner_id,
            period=period,
            state=AwardState.ACTIVE,
            source=source,
            award_time=now,
            expire_time=expire_time,
            evidence=evidence,
            awarded_by=actor,
            reason=reason,
            credential_id=credential_id,
            program_id=badge.program_id,
            status=status,
            credential_jwt=sign(claims, key, self.config.key_passphrase),
        )

    async def _announce(self, uow: UnitOfWork, award: Award, source: AwardSource, reason: str) -> None:
        """achievement_awarded for a new award (and the audit entry of a manual one)."""
        payload = events_pb2.AchievementAwarded(
            award_id=str(award.award_id),
            badge_id=str(award.badge_id),
            learner_id=award.learner_id,
            period=award.period,
            source=source.value,
            award_time=stamp(award.award_time),
            evidence_event_ids=list(award.evidence),
            program_id=award.program_id,
            credential_id=str(award.credential_id),
        )
        if award.expire_time is not None:
            payload.expire_time.CopyFrom(stamp(award.expire_time))
        await uow.publish(ACHIEVEMENT_AWARDED, award_subject(award.learner_id, award.badge_id), payload)
        if source is not AwardSource.MANUAL:
            return
        await uow.audit(
            "award.create",
            "award",
            str(award.award_id),
            after={
                "badge_id": award.badge_id,
                "learner_id": award.learner_id,
                "period": award.period,
                "source": source.value,
                "evidence": list(award.evidence),
                "reason": reason,
                "credential_id": award.credential_id,
            },
        )

    def simulate(
        self,
        badge: Badge,
        facts_by_learner: dict[str, list[Fact]],
        zones: dict[str, str],
        latest: dict[str, Award],
    ) -> list[tuple[str, Outcome, bool]]:
        """(learner, outcome, already holds it) for each learner whose facts satisfy the badge, by learner."""
        found: list[tuple[str, Outcome, bool]] = []
        for learner_id in sorted(facts_by_learner):
            previous = latest.get(learner_id)
            blocked = previous is not None and previous.blocks_rule_award
            facts = facts_by_learner[learner_id]
            context = Context(zone(zones.get(learner_id, "")), badge.program_id)
            outcome = evaluate(badge.rule, facts if blocked else usable_facts(facts, previous), context)
            if outcome.satisfied:
                found.append((learner_id, outcome, blocked))
        return found
