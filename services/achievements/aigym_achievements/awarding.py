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
from aigym_achievements.domain import Award, AwardSource, AwardState, Badge, StatusEntries
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


def usable_facts(facts: Sequence[Fact], previous: Award | None) -> list[Fact]:
    """Facts that may earn a new award period: after an expired award only facts later than its expiry."""
    if previous is None or previous.expire_time is None:
        return list(facts)
    return [f for f in facts if f.occurred_at > previous.expire_time]


def next_period(previous: Award | None) -> int:
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

    async def evaluate_learner(
        self, uow: UnitOfWork, repo: AchievementsRepository, learner_id: str, fact_type: FactType
    ) -> list[Award]:
        """Award every active badge looking at `fact_type` that the learner's facts now satisfy.

        The caller holds the learner lock, so the facts read here include every committed and this
        transaction's own; a learner holding, suspended from or revoked from a badge is not awarded it.
        """
        badges = await repo.active_badges(fact_type)
        if not badges:
            return []
        latest = await repo.latest_awards(learner_id)
        candidates = [
            b for b in badges if not (b.badge_id in latest and latest[b.badge_id].blocks_rule_award)
        ]
        if not candidates:
            return []
        facts = await repo.learner_facts(learner_id)
        time_zone = zone((await repo.time_zones([learner_id])).get(learner_id, ""))
        made: list[Award] = []
        for badge in candidates:
            previous = latest.get(badge.badge_id)
            outcome = evaluate(
                badge.rule, usable_facts(facts, previous), Context(time_zone, badge.program_id)
            )
            if outcome.satisfied:
                award = await self.award(
                    uow, repo, badge, learner_id, next_period(previous), AwardSource.RULE, outcome.evidence
                )
                if award is not None:
                    made.append(award)
        return made

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
    ) -> Award | None:
        """Record one award with its signed OpenBadgeCredential and publish achievement_awarded; manual
        awards are audited too (rule and backfill awards are recorded by the award row, its evidence and the
        event). None if the learner already has an award of this badge in this period."""
        now = self.clock()
        tenant = uow.tenant_id
        settings = await repo.get_settings()
        key = await self.issuer_key(repo, tenant)
        revocation = await repo.allocate_status_index("revocation", now)
        suspension = await repo.allocate_status_index("suspension", now)
        status = StatusEntries(revocation[0], revocation[1], suspension[0], suspension[1])
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
                issuer_name=settings.issuer_name,
                valid_from=now,
                valid_until=expire_time,
                evidence=tuple(evidence),
                revocation_list_id=status.revocation_list_id,
                revocation_index=status.revocation_index,
                suspension_list_id=status.suspension_list_id,
                suspension_index=status.suspension_index,
            ),
        )
        award = Award(
            award_id=uuid.uuid4(),
            badge_id=badge.badge_id,
            learner_id=learner_id,
            period=period,
            state=AwardState.ACTIVE,
            source=source,
            award_time=now,
            expire_time=expire_time,
            evidence=tuple(evidence),
            awarded_by=actor,
            reason=reason,
            credential_id=credential_id,
            program_id=badge.program_id,
            status=status,
            credential_jwt=sign(claims, key, self.config.key_passphrase),
        )
        if not await repo.add_award(award, now):
            return None
        await repo.add_public_id(credential_id, "credential")
        payload = events_pb2.AchievementAwarded(
            award_id=str(award.award_id),
            badge_id=str(badge.badge_id),
            learner_id=learner_id,
            period=period,
            source=source.value,
            award_time=stamp(now),
            evidence_event_ids=list(evidence),
            program_id=badge.program_id,
            credential_id=str(credential_id),
        )
        if expire_time is not None:
            payload.expire_time.CopyFrom(stamp(expire_time))
        await uow.publish(ACHIEVEMENT_AWARDED, award_subject(learner_id, badge.badge_id), payload)
        if source is not AwardSource.MANUAL:
            return award
        await uow.audit(
            "award.create",
            "award",
            str(award.award_id),
            after={
                "badge_id": badge.badge_id,
                "learner_id": learner_id,
                "period": period,
                "source": source.value,
                "evidence": list(evidence),
                "reason": reason,
                "credential_id": credential_id,
            },
        )
        return award

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
