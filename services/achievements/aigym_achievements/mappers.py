"""Proto <-> domain conversions of the achievements service."""

from __future__ import annotations

import datetime as dt
from typing import Any

from google.protobuf.duration_pb2 import Duration
from google.protobuf.struct_pb2 import Struct

from aigym.achievements.v1 import achievements_pb2 as pb
from aigym_achievements import rules
from aigym_achievements.awarding import stamp
from aigym_achievements.domain import (
    Award,
    AwardSource,
    AwardState,
    BackfillState,
    Badge,
    BadgeDraft,
    BadgeState,
    TenantSettings,
)

FACT_TYPES = {
    pb.FACT_TYPE_BLOCK_COMPLETED: rules.FactType.BLOCK_COMPLETED,
    pb.FACT_TYPE_COURSE_COMPLETED: rules.FactType.COURSE_COMPLETED,
    pb.FACT_TYPE_MILESTONE_REACHED: rules.FactType.MILESTONE_REACHED,
    pb.FACT_TYPE_PROGRAM_COMPLETED: rules.FactType.PROGRAM_COMPLETED,
}
FACT_TYPES_BACK = {v: k for k, v in FACT_TYPES.items()}
BADGE_STATES = {
    pb.BADGE_STATE_DRAFT: BadgeState.DRAFT,
    pb.BADGE_STATE_ACTIVE: BadgeState.ACTIVE,
    pb.BADGE_STATE_ARCHIVED: BadgeState.ARCHIVED,
}
BADGE_STATES_BACK = {v: k for k, v in BADGE_STATES.items()}
AWARD_STATES = {
    pb.AWARD_STATE_ACTIVE: AwardState.ACTIVE,
    pb.AWARD_STATE_SUSPENDED: AwardState.SUSPENDED,
    pb.AWARD_STATE_REVOKED: AwardState.REVOKED,
    pb.AWARD_STATE_EXPIRED: AwardState.EXPIRED,
}
AWARD_STATES_BACK = {v: k for k, v in AWARD_STATES.items()}
SOURCES_BACK = {
    AwardSource.RULE: pb.AWARD_SOURCE_RULE,
    AwardSource.BACKFILL: pb.AWARD_SOURCE_BACKFILL,
    AwardSource.MANUAL: pb.AWARD_SOURCE_MANUAL,
}
BACKFILL_BACK = {
    BackfillState.NONE: pb.BACKFILL_STATE_UNSPECIFIED,
    BackfillState.PENDING: pb.BACKFILL_STATE_PENDING,
    BackfillState.DONE: pb.BACKFILL_STATE_DONE,
    BackfillState.FAILED: pb.BACKFILL_STATE_FAILED,
}
CREDENTIAL_STATUS = {
    "active": pb.CREDENTIAL_STATUS_ACTIVE,
    "suspended": pb.CREDENTIAL_STATUS_SUSPENDED,
    "revoked": pb.CREDENTIAL_STATUS_REVOKED,
    "expired": pb.CREDENTIAL_STATUS_EXPIRED,
}


def _duration(value: Duration) -> dt.timedelta:
    return dt.timedelta(seconds=value.seconds, microseconds=value.nanos // 1000)


def _to_duration(value: dt.timedelta) -> Duration:
    result = Duration()
    result.FromTimedelta(value)
    return result


def _filters(items: Any) -> tuple[rules.Filter, ...]:
    return tuple(rules.Filter(f.attribute, tuple(f.values)) for f in items)


def rule_from_proto(rule: pb.Rule) -> rules.Rule:
    """The domain rule of a proto rule (schema rules were checked by the interceptor)."""
    kind = rule.WhichOneof("kind")
    if kind == "count":
        c = rule.count
        within = _duration(c.within) if c.HasField("within") else None
        return rules.Count(FACT_TYPES[c.fact_type], _filters(c.filters), c.min_count, within)
    if kind == "streak":
        s = rule.streak
        return rules.Streak(FACT_TYPES[s.fact_type], _filters(s.filters), s.days)
    if kind == "milestone_reached":
        return rules.MilestoneReached(rule.milestone_reached.program_id, rule.milestone_reached.node_id)
    if kind == "program_completed":
        return rules.ProgramCompleted(rule.program_completed.program_id)
    if kind == "course_completed":
        return rules.CourseCompleted(rule.course_completed.course_id)
    if kind == "min_score":
        m = rule.min_score
        return rules.MinScore(m.min_score, m.course_id, m.block_id)
    if kind == "all_of":
        return rules.AllOf(tuple(rule_from_proto(r) for r in rule.all_of.rules))
    if kind == "any_of":
        return rules.AnyOf(tuple(rule_from_proto(r) for r in rule.any_of.rules))
    if kind == "n_of_m":
        return rules.NOfM(rule.n_of_m.n, tuple(rule_from_proto(r) for r in rule.n_of_m.rules))
    raise ValueError("rule has no kind")  # the proto's oneof rule makes this unreachable


def _filters_to_proto(filters: tuple[rules.Filter, ...]) -> list[pb.AttributeFilter]:
    return [pb.AttributeFilter(attribute=f.attribute, values=list(f.values)) for f in filters]


def rule_to_proto(rule: rules.Rule) -> pb.Rule:
    """The proto of a domain rule."""
    match rule:
        case rules.Count(fact_type, filters, min_count, within, _):
            count = pb.CountRule(
                fact_type=FACT_TYPES_BACK[fact_type], filters=_filters_to_proto(filters), min_count=min_count
            )
            if within is not None:
                count.within.CopyFrom(_to_duration(within))
            return pb.Rule(count=count)
        case rules.Streak(fact_type, filters, days):
            return pb.Rule(
                streak=pb.StreakRule(
                    fact_type=FACT_TYPES_BACK[fact_type], filters=_filters_to_proto(filters), days=days
                )
            )
        case rules.MilestoneReached(program_id, node_id):
            return pb.Rule(milestone_reached=pb.MilestoneRule(program_id=program_id, node_id=node_id))
        case rules.ProgramCompleted(program_id):
            return pb.Rule(program_completed=pb.ProgramCompletedRule(program_id=program_id))
        case rules.CourseCompleted(course_id):
            return pb.Rule(course_completed=pb.CourseCompletedRule(course_id=course_id))
        case rules.MinScore(min_score, course_id, block_id):
            return pb.Rule(
                min_score=pb.MinScoreRule(min_score=min_score, course_id=course_id, block_id=block_id)
            )
        case rules.AllOf(children):
            return pb.Rule(all_of=pb.RuleGroup(rules=[rule_to_proto(r) for r in children]))
        case rules.AnyOf(children):
            return pb.Rule(any_of=pb.RuleGroup(rules=[rule_to_proto(r) for r in children]))
        case rules.NOfM(n, children):
            return pb.Rule(n_of_m=pb.NOfMRule(n=n, rules=[rule_to_proto(r) for r in children]))
    raise TypeError(f"unknown rule {rule!r}")


def draft_from_proto(badge: pb.Badge) -> BadgeDraft:
    """The editable fields of a proto badge."""
    return BadgeDraft(
        display_name=badge.display_name,
        description=badge.description,
        image_url=badge.image_url,
        criteria_narrative=badge.criteria_narrative,
        tags=tuple(badge.tags),
        rule=rule_from_proto(badge.rule) if badge.HasField("rule") else None,
        validity=_duration(badge.validity) if badge.HasField("validity") else None,
        program_id=badge.program_id,
    )


def badge_to_proto(badge: Badge) -> pb.Badge:
    """The proto of a badge."""
    message = pb.Badge(
        badge_id=str(badge.badge_id),
        display_name=badge.display_name,
        description=badge.description,
        image_url=badge.image_url,
        criteria_narrative=badge.criteria_narrative,
        tags=list(badge.tags),
        state=BADGE_STATES_BACK[badge.state],
        rule=rule_to_proto(badge.rule),
        program_id=badge.program_id,
        create_time=stamp(badge.create_time),
        update_time=stamp(badge.update_time),
        etag=badge.etag,
    )
    if badge.validity is not None:
        message.validity.CopyFrom(_to_duration(badge.validity))
    if badge.activate_time:
        message.activate_time.CopyFrom(stamp(badge.activate_time))
    if badge.archive_time:
        message.archive_time.CopyFrom(stamp(badge.archive_time))
    if badge.backfill_state is not BackfillState.NONE:
        message.backfill.state = BACKFILL_BACK[badge.backfill_state]
        message.backfill.awarded = badge.backfill_awarded
        message.backfill.error = badge.backfill_error
        if badge.backfill_finish_time:
            message.backfill.finish_time.CopyFrom(stamp(badge.backfill_finish_time))
    return message


def award_to_proto(award: Award) -> pb.Award:
    """The proto of an award."""
    message = pb.Award(
        award_id=str(award.award_id),
        badge_id=str(award.badge_id),
        learner_id=award.learner_id,
        state=AWARD_STATES_BACK[award.state],
        source=SOURCES_BACK[award.source],
        period=award.period,
        award_time=stamp(award.award_time),
        evidence_event_ids=list(award.evidence),
        awarded_by=award.awarded_by,
        reason=award.reason,
        revoke_reason=award.revoke_reason,
        credential_id=str(award.credential_id),
    )
    if award.expire_time:
        message.expire_time.CopyFrom(stamp(award.expire_time))
    if award.revoke_time:
        message.revoke_time.CopyFrom(stamp(award.revoke_time))
    return message


def settings_to_proto(settings: TenantSettings) -> pb.AchievementSettings:
    """The proto of a tenant's settings."""
    return pb.AchievementSettings(
        leaderboards_enabled=settings.leaderboards_enabled,
        issuer_name=settings.issuer_name,
        issuer_url=settings.issuer_url,
    )


def settings_from_proto(settings: pb.AchievementSettings) -> TenantSettings:
    """The domain settings of a proto (masked fields are picked by the service)."""
    return TenantSettings(settings.leaderboards_enabled, settings.issuer_name, settings.issuer_url)


def struct(value: dict[str, Any]) -> Struct:
    """A JSON object as a protobuf Struct."""
    result = Struct()
    result.update(value)
    return result
