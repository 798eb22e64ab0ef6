"""A completed enrolment that programs reopens (a course reset for recertification, a version migration) and
that is completed again: the badge already awarded stays valid (achievements does not consume
enrollment_reopened; an issued credential is not revoked by a reset), the re-completion awards no second
badge and rules count the enrolment's completion and milestones once (the later fact replaces the earlier
one), in any arrival order; an expired badge is renewed by the re-completion (recertification)."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

from google.protobuf import duration_pb2

from aigym.achievements.v1 import achievements_pb2 as pb
from aigym.achievements.v1 import achievements_pb2_grpc
from aigym.programs.v1 import events_pb2 as programs_events
from aigym_achievements.award_service import AwardsService
from aigym_achievements.awarding import Awarder
from aigym_achievements.bootstrap import App, awarder_from_settings
from aigym_platform.db import UnitOfWorkFactory
from aigym_platform.events.registry import (
    ACHIEVEMENT_AWARDED,
    ENROLLMENT_COMPLETED,
    ENROLLMENT_REOPENED,
    MILESTONE_REACHED,
    REGISTRY,
)
from aigym_platform.identity import TenantId
from aigym_platform.provisioning import ServiceDatabase
from aigym_platform.testing.database import read_outbox
from aigym_platform.testing.tokens import TokenFactory
from services.achievements.tests.integration.test_awards import active_badge, as_user, awards_of

Stub = achievements_pb2_grpc.AchievementsServiceStub
T0 = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)


def at(days: float) -> dt.datetime:
    return T0 + dt.timedelta(days=days)


def completed(enrollment: str, program: str, when: dt.datetime) -> programs_events.EnrollmentCompleted:
    payload = programs_events.EnrollmentCompleted(
        learner_id="ann", program_id=program, enrollment_id=enrollment, program_version=1
    )
    payload.completed_at.FromDatetime(when)
    return payload


def milestone(enrollment: str, program: str, when: dt.datetime) -> programs_events.MilestoneReached:
    payload = programs_events.MilestoneReached(
        learner_id="ann", program_id=program, enrollment_id=enrollment, node_id="half", title="Half way"
    )
    payload.reached_at.FromDatetime(when)
    return payload


def count_rule(fact_type: Any, n: int) -> pb.Rule:
    return pb.Rule(count=pb.CountRule(fact_type=fact_type, min_count=n))


async def test_a_recompletion_after_a_reopen_awards_nothing_twice_and_counts_once(
    stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID, deliver: Any, achievements_db: ServiceDatabase
) -> None:
    admin = as_user(token_factory, tenant, "client_admin")
    graduate = await active_badge(
        stub, admin, pb.Rule(program_completed=pb.ProgramCompletedRule()), program_id="p1", display_name="G"
    )
    two_programs = await active_badge(
        stub, admin, count_rule(pb.FACT_TYPE_PROGRAM_COMPLETED, 2), display_name="Two programs"
    )
    two_milestones = await active_badge(
        stub, admin, count_rule(pb.FACT_TYPE_MILESTONE_REACHED, 2), display_name="Two milestones"
    )
    await deliver("record_milestone", MILESTONE_REACHED, tenant, milestone("e1", "p1", at(1)))
    first = uuid.uuid4()
    await deliver(
        "record_program_completion",
        ENROLLMENT_COMPLETED,
        tenant,
        completed("e1", "p1", at(2)),
        event_id=first,
    )
    (award,) = await awards_of(stub, admin, graduate)
    assert list(award.evidence_event_ids) == [str(first)]

    # The enrolment reopens (recertification): achievements does not consume that event, the award stays.
    assert ENROLLMENT_REOPENED not in {spec.event_type for spec, _ in REGISTRY.consumed_by("achievements")}
    # Completed again: the same milestone and the same enrolment's completion, announced anew.
    await deliver("record_milestone", MILESTONE_REACHED, tenant, milestone("e1", "p1", at(4)))
    again = uuid.uuid4()
    payload = completed("e1", "p1", at(5))
    await deliver("record_program_completion", ENROLLMENT_COMPLETED, tenant, payload, event_id=again)
    # A completion of the attempt before arriving late is no fact either (the later one stands).
    await deliver("record_program_completion", ENROLLMENT_COMPLETED, tenant, completed("e1", "p1", at(3)))

    assert await awards_of(stub, admin, graduate) == [award]  # no second award, the first unchanged
    credential = await stub.GetCredential(pb.GetCredentialRequest(credential_id=award.credential_id))
    assert credential.status == pb.CREDENTIAL_STATUS_ACTIVE
    assert await awards_of(stub, admin, two_programs) == []  # one enrolment completed: one completion
    assert await awards_of(stub, admin, two_milestones) == []
    mine = await stub.ListLearnerAchievements(
        pb.ListLearnerAchievementsRequest(learner_id="me"),
        metadata=as_user(token_factory, tenant, "learner", "ann"),
    )
    assert sorted((p.badge.display_name, p.percent) for p in mine.in_progress) == [
        ("Two milestones", 50.0),
        ("Two programs", 50.0),
    ]

    # Another enrolment's completion and milestone are a second of each; the evidence is the later fact.
    await deliver("record_milestone", MILESTONE_REACHED, tenant, milestone("e2", "p2", at(6)))
    other = uuid.uuid4()
    await deliver(
        "record_program_completion",
        ENROLLMENT_COMPLETED,
        tenant,
        completed("e2", "p2", at(7)),
        event_id=other,
    )
    (both,) = await awards_of(stub, admin, two_programs)
    assert list(both.evidence_event_ids) == [str(again), str(other)]
    assert len(await awards_of(stub, admin, two_milestones)) == 1
    awarded = [
        t for t, _, _ in await read_outbox(achievements_db.app_url, tenant) if t == ACHIEVEMENT_AWARDED
    ]
    assert len(awarded) == 3


async def test_a_recertification_renews_an_expired_badge_and_still_counts_the_enrolment_once(
    stub: Stub,
    token_factory: TokenFactory,
    tenant: uuid.UUID,
    deliver: Any,
    units: UnitOfWorkFactory,
    achievements_app: App,
) -> None:
    admin = as_user(token_factory, tenant, "client_admin")
    certified = await active_badge(
        stub,
        admin,
        pb.Rule(program_completed=pb.ProgramCompletedRule()),
        program_id="p1",
        display_name="Certified",
        validity=duration_pb2.Duration(seconds=3600),
    )
    two_programs = await active_badge(
        stub, admin, count_rule(pb.FACT_TYPE_PROGRAM_COMPLETED, 2), display_name="Two programs"
    )
    now = dt.datetime.now(dt.UTC)
    await deliver("record_program_completion", ENROLLMENT_COMPLETED, tenant, completed("e1", "p1", now))
    base = awarder_from_settings(achievements_app.settings)
    later = now + dt.timedelta(hours=2)
    assert (
        await AwardsService(units, Awarder(base.config, clock=lambda: later)).expire_due(TenantId(tenant))
        == 1
    )

    # Reopened by a reset and completed again after the expiry: the certificate is renewed (period 2).
    renewal = completed("e1", "p1", later + dt.timedelta(minutes=1))
    await deliver("record_program_completion", ENROLLMENT_COMPLETED, tenant, renewal)
    periods = sorted((a.period, a.state) for a in await awards_of(stub, admin, certified))
    assert periods == [(1, pb.AWARD_STATE_EXPIRED), (2, pb.AWARD_STATE_ACTIVE)]
    assert await awards_of(stub, admin, two_programs) == []


async def test_concurrent_completions_of_one_enrolment_keep_exactly_the_latest(
    stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID, deliver: Any
) -> None:
    admin = as_user(token_factory, tenant, "client_admin")
    two_programs = await active_badge(
        stub, admin, count_rule(pb.FACT_TYPE_PROGRAM_COMPLETED, 2), display_name="Two programs"
    )
    latest = uuid.uuid4()
    await asyncio.gather(
        deliver("record_program_completion", ENROLLMENT_COMPLETED, tenant, completed("e1", "p1", at(2))),
        deliver(
            "record_program_completion",
            ENROLLMENT_COMPLETED,
            tenant,
            completed("e1", "p1", at(5)),
            event_id=latest,
        ),
    )
    assert await awards_of(stub, admin, two_programs) == []
    await deliver("record_program_completion", ENROLLMENT_COMPLETED, tenant, completed("e2", "p2", at(6)))
    (award,) = await awards_of(stub, admin, two_programs)
    assert award.evidence_event_ids[0] == str(latest)
