"""Awards through real PostgreSQL: real-time awards from events (exactly once under redelivery and
concurrency), manual awards and revocation (audited), expiry, a learner's achievements, and Open Badges
credentials that verify with nothing but the public issuer profile and status list."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

import asyncpg
import grpc
import jwt
import pytest
from google.protobuf import duration_pb2, json_format

from aigym.achievements.v1 import achievements_pb2 as pb
from aigym.achievements.v1 import achievements_pb2_grpc
from aigym.events.v1 import admin_pb2, admin_pb2_grpc
from aigym.programs.v1 import events_pb2 as programs_events
from aigym.progress.v1 import events_pb2 as progress_events
from aigym_achievements.award_service import AwardsService
from aigym_achievements.awarding import Awarder
from aigym_achievements.bootstrap import App, awarder_from_settings
from aigym_achievements.openbadges import bit_is_set, decode_bitstring
from aigym_achievements.repository import AchievementsRepository
from aigym_platform.db import UnitOfWorkFactory
from aigym_platform.events.inbox import add_dead_letter
from aigym_platform.events.registry import (
    ACHIEVEMENT_AWARDED,
    ACHIEVEMENT_EXPIRED,
    ACHIEVEMENT_REVOKED,
    BLOCK_COMPLETED,
    ENROLLMENT_COMPLETED,
    LEARNER_UPSERTED,
    MILESTONE_REACHED,
)
from aigym_platform.identity import TenantId
from aigym_platform.provisioning import ServiceDatabase
from aigym_platform.testing.database import read_outbox
from aigym_platform.testing.tokens import TokenFactory, bearer

Stub = achievements_pb2_grpc.AchievementsServiceStub
Metadata = tuple[tuple[str, str], ...]


def as_user(tokens: TokenFactory, tenant: uuid.UUID, role: str, name: str = "") -> Metadata:
    return bearer(tokens.token(tenant, [role], user=name or f"{role}-1"))


async def active_badge(stub: Stub, admin: Metadata, rule: pb.Rule, **fields: Any) -> pb.Badge:
    badge = await stub.CreateBadge(
        pb.CreateBadgeRequest(
            badge=pb.Badge(display_name=fields.pop("display_name", "Badge"), rule=rule, **fields)
        ),
        metadata=admin,
    )
    return await stub.ActivateBadge(pb.ActivateBadgeRequest(badge_id=badge.badge_id), metadata=admin)


def blocks_rule(n: int) -> pb.Rule:
    return pb.Rule(count=pb.CountRule(fact_type=pb.FACT_TYPE_BLOCK_COMPLETED, min_count=n))


def block(learner: str, block_id: str = "b1", completed: bool = True) -> progress_events.BlockCompleted:
    return progress_events.BlockCompleted(
        learner_id=learner, course_id="c1", block_id=block_id, completed=completed
    )


async def awards_of(stub: Stub, admin: Metadata, badge: pb.Badge) -> list[pb.Award]:
    return list((await stub.ListAwards(pb.ListAwardsRequest(badge_id=badge.badge_id), metadata=admin)).awards)


async def test_program_badge_is_awarded_when_the_program_completes_with_the_event_as_evidence(
    stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID, deliver: Any, achievements_db: ServiceDatabase
) -> None:
    admin = as_user(token_factory, tenant, "client_admin")
    badge = await active_badge(
        stub, admin, pb.Rule(program_completed=pb.ProgramCompletedRule()), program_id="prog-1"
    )
    other = programs_events.EnrollmentCompleted(learner_id="ann", program_id="prog-2", enrollment_id="e0")
    await deliver("record_program_completion", ENROLLMENT_COMPLETED, tenant, other)
    assert await awards_of(stub, admin, badge) == []
    event_id = uuid.uuid4()
    payload = programs_events.EnrollmentCompleted(learner_id="ann", program_id="prog-1", enrollment_id="e1")
    await deliver("record_program_completion", ENROLLMENT_COMPLETED, tenant, payload, event_id=event_id)
    (award,) = await awards_of(stub, admin, badge)
    assert (award.learner_id, award.state, award.source, award.period) == (
        "ann",
        pb.AWARD_STATE_ACTIVE,
        pb.AWARD_SOURCE_RULE,
        1,
    )
    assert list(award.evidence_event_ids) == [str(event_id)]
    published = [
        (t, p) for t, _, p in await read_outbox(achievements_db.app_url, tenant) if t == ACHIEVEMENT_AWARDED
    ]
    assert len(published) == 1
    assert published[0][1].award_id == award.award_id


async def test_redelivered_events_award_nothing_twice(
    stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID, deliver: Any, achievements_db: ServiceDatabase
) -> None:
    admin = as_user(token_factory, tenant, "client_admin")
    badge = await active_badge(stub, admin, blocks_rule(1))
    event_id = uuid.uuid4()
    outcomes = [
        await deliver("record_block_completion", BLOCK_COMPLETED, tenant, block("ann"), event_id=event_id)
        for _ in range(3)
    ]
    assert outcomes == ["applied", "duplicate", "duplicate"]
    # A later, different qualifying event does not award the held badge again either.
    await deliver("record_block_completion", BLOCK_COMPLETED, tenant, block("ann", "b2"))
    assert len(await awards_of(stub, admin, badge)) == 1
    awarded = [
        t for t, _, _ in await read_outbox(achievements_db.app_url, tenant) if t == ACHIEVEMENT_AWARDED
    ]
    assert len(awarded) == 1


async def test_concurrent_events_of_one_learner_award_once_and_never_miss(
    stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID, deliver: Any
) -> None:
    admin = as_user(token_factory, tenant, "client_admin")
    two = await active_badge(stub, admin, blocks_rule(2), display_name="Two")
    one = await active_badge(stub, admin, blocks_rule(1), display_name="One")
    # Two events at once: each alone is one block; without the learner lock neither would see two.
    await asyncio.gather(
        *(
            deliver("record_block_completion", BLOCK_COMPLETED, tenant, block("ann", f"b{i}"))
            for i in range(2)
        )
    )
    assert len(await awards_of(stub, admin, two)) == 1
    assert len(await awards_of(stub, admin, one)) == 1


async def test_incomplete_blocks_are_not_facts(
    stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID, deliver: Any
) -> None:
    admin = as_user(token_factory, tenant, "client_admin")
    badge = await active_badge(stub, admin, blocks_rule(1))
    await deliver("record_block_completion", BLOCK_COMPLETED, tenant, block("ann", completed=False))
    assert await awards_of(stub, admin, badge) == []


async def test_streak_uses_the_learners_time_zone_from_the_directory(
    stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID, deliver: Any
) -> None:
    admin = as_user(token_factory, tenant, "client_admin")
    rule = pb.Rule(streak=pb.StreakRule(fact_type=pb.FACT_TYPE_BLOCK_COMPLETED, days=2))
    badge = await active_badge(stub, admin, rule)
    directory = programs_events.LearnerUpserted(
        learner_id="kei", display_name="Kei", time_zone="Asia/Tokyo", active=True
    )
    await deliver("record_learner", LEARNER_UPSERTED, tenant, directory)
    # 14:30 and 15:30 UTC on one UTC day: 23:30 and 00:30 in Tokyo, two consecutive days there.
    first = dt.datetime(2026, 11, 2, 14, 30, tzinfo=dt.UTC)
    for offset, block_id in ((0, "b1"), (1, "b2")):
        payload = block("kei", block_id)
        payload.completed_at.FromDatetime(first + dt.timedelta(hours=offset))
        await deliver("record_block_completion", BLOCK_COMPLETED, tenant, payload)
    assert [a.learner_id for a in await awards_of(stub, admin, badge)] == ["kei"]


async def test_milestone_badge_in_program_scope(
    stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID, deliver: Any
) -> None:
    admin = as_user(token_factory, tenant, "client_admin")
    rule = pb.Rule(milestone_reached=pb.MilestoneRule(node_id="half"))
    badge = await active_badge(stub, admin, rule, program_id="p1")
    for program in ("p2", "p1"):
        payload = programs_events.MilestoneReached(
            learner_id="ann", program_id=program, node_id="half", enrollment_id="e"
        )
        await deliver("record_milestone", MILESTONE_REACHED, tenant, payload)
    (award,) = await awards_of(stub, admin, badge)
    assert len(award.evidence_event_ids) == 1


async def test_manual_award_and_revocation_are_audited_and_revocation_sticks(
    stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID, deliver: Any, achievements_db: ServiceDatabase
) -> None:
    admin = as_user(token_factory, tenant, "client_admin", "admin-7")
    badge = await active_badge(stub, admin, blocks_rule(1))
    with pytest.raises(grpc.aio.AioRpcError) as no_reason:
        await stub.CreateAward(
            pb.CreateAwardRequest(badge_id=badge.badge_id, award=pb.Award(learner_id="bob")), metadata=admin
        )
    assert no_reason.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    manual = await stub.CreateAward(
        pb.CreateAwardRequest(
            badge_id=badge.badge_id, award=pb.Award(learner_id="bob", reason="mentored the cohort")
        ),
        metadata=admin,
    )
    assert (manual.source, manual.awarded_by, manual.reason) == (
        pb.AWARD_SOURCE_MANUAL,
        "admin-7",
        "mentored the cohort",
    )
    with pytest.raises(grpc.aio.AioRpcError) as twice:
        await stub.CreateAward(
            pb.CreateAwardRequest(badge_id=badge.badge_id, award=pb.Award(learner_id="bob", reason="again")),
            metadata=admin,
        )
    assert twice.value.code() == grpc.StatusCode.ALREADY_EXISTS

    revoked = await stub.RevokeAward(
        pb.RevokeAwardRequest(award_id=manual.award_id, reason="awarded in error"), metadata=admin
    )
    assert (revoked.state, revoked.revoke_reason) == (pb.AWARD_STATE_REVOKED, "awarded in error")
    again = await stub.RevokeAward(
        pb.RevokeAwardRequest(award_id=manual.award_id, reason="x"), metadata=admin
    )
    assert again.revoke_reason == "awarded in error"  # revoking twice changes nothing
    # The rule does not award a revoked badge back.
    await deliver("record_block_completion", BLOCK_COMPLETED, tenant, block("bob"))
    assert [a.state for a in await awards_of(stub, admin, badge)] == [pb.AWARD_STATE_REVOKED]

    conn = await asyncpg.connect(achievements_db.app_url)
    try:
        async with conn.transaction():
            await conn.execute("SELECT set_config('app.tenant_id', $1, true)", str(tenant))
            rows = await conn.fetch(
                "SELECT action, actor FROM audit_log WHERE resource_id = $1 ORDER BY seq", manual.award_id
            )
    finally:
        await conn.close()
    assert [(r["action"], r["actor"]) for r in rows] == [
        ("award.create", "admin-7"),
        ("award.revoke", "admin-7"),
    ]
    types = [t for t, _, _ in await read_outbox(achievements_db.app_url, tenant)]
    assert types.count(ACHIEVEMENT_REVOKED) == 1


async def test_credential_verifies_with_the_public_issuer_profile_and_revocation_shows_in_status_list(
    stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID, deliver: Any
) -> None:
    admin = as_user(token_factory, tenant, "client_admin")
    badge = await active_badge(
        stub, admin, blocks_rule(1), display_name="Quick Start", criteria_narrative="Complete a block"
    )
    await deliver("record_block_completion", BLOCK_COMPLETED, tenant, block("ann"))
    (award,) = await awards_of(stub, admin, badge)

    # Everything below uses no token: what any verifier can do.
    credential = await stub.GetCredential(pb.GetCredentialRequest(credential_id=award.credential_id))
    assert credential.status == pb.CREDENTIAL_STATUS_ACTIVE
    header = jwt.get_unverified_header(credential.jwt)
    issuer_url = jwt.decode(credential.jwt, options={"verify_signature": False})["iss"]
    assert issuer_url.endswith(f"/v1/issuers/{tenant}")
    issuer = await stub.GetIssuer(pb.GetIssuerRequest(tenant_id=str(tenant)))
    profile = json_format.MessageToDict(issuer.profile)
    assert profile["id"] == issuer_url
    assert profile["type"] == ["Profile"]
    (method,) = [m for m in profile["verificationMethod"] if m["id"] == header["kid"]]
    assert "d" not in method["publicKeyJwk"]  # the private part is never published
    public_key = jwt.PyJWK(method["publicKeyJwk"]).key
    claims = jwt.decode(credential.jwt, public_key, algorithms=["ES256"], options={"verify_aud": False})
    vc = claims["vc"]
    assert vc["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert vc["credentialSubject"]["achievement"]["name"] == "Quick Start"
    assert vc["credentialSubject"]["achievement"]["criteria"]["narrative"] == "Complete a block"
    assert [e["id"] for e in vc["evidence"]] == [f"urn:uuid:{award.evidence_event_ids[0]}"]
    # A tampered payload fails verification with the same key.
    head, body, signature = credential.jwt.split(".")
    tampered = f"{head}.{body[:-2]}{'A' if body[-2] != 'A' else 'B'}{body[-1]}.{signature}"
    with pytest.raises(jwt.InvalidTokenError):
        jwt.decode(tampered, public_key, algorithms=["ES256"], options={"verify_aud": False})

    (revocation,) = [s for s in vc["credentialStatus"] if s["statusPurpose"] == "revocation"]
    list_id = revocation["statusListCredential"].rsplit("/", 1)[1]
    index = int(revocation["statusListIndex"])

    async def revoked_bit() -> bool:
        status_list = await stub.GetStatusList(pb.GetStatusListRequest(status_list_id=list_id))
        list_claims = jwt.decode(
            status_list.jwt, public_key, algorithms=["ES256"], options={"verify_aud": False}
        )
        subject = list_claims["vc"]["credentialSubject"]
        assert subject["statusPurpose"] == "revocation"
        return bit_is_set(decode_bitstring(subject["encodedList"]), index)

    assert not await revoked_bit()
    await stub.RevokeAward(pb.RevokeAwardRequest(award_id=award.award_id, reason="cheated"), metadata=admin)
    assert await revoked_bit()
    after = await stub.GetCredential(pb.GetCredentialRequest(credential_id=award.credential_id))
    assert after.status == pb.CREDENTIAL_STATUS_REVOKED


async def test_suspension_sets_the_suspension_bit_until_reinstated(
    stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID, deliver: Any
) -> None:
    admin = as_user(token_factory, tenant, "client_admin")
    badge = await active_badge(stub, admin, blocks_rule(1))
    await deliver("record_block_completion", BLOCK_COMPLETED, tenant, block("ann"))
    (award,) = await awards_of(stub, admin, badge)
    credential = await stub.GetCredential(pb.GetCredentialRequest(credential_id=award.credential_id))
    vc = json_format.MessageToDict(credential.credential)["vc"]
    (entry,) = [s for s in vc["credentialStatus"] if s["statusPurpose"] == "suspension"]
    list_id, index = entry["statusListCredential"].rsplit("/", 1)[1], int(entry["statusListIndex"])

    async def suspended() -> bool:
        listed = await stub.GetStatusList(pb.GetStatusListRequest(status_list_id=list_id))
        encoded = json_format.MessageToDict(listed.credential)["vc"]["credentialSubject"]["encodedList"]
        return bit_is_set(decode_bitstring(encoded), index)

    await stub.SuspendAward(
        pb.SuspendAwardRequest(award_id=award.award_id, reason="under review"), metadata=admin
    )
    assert await suspended()
    status = await stub.GetCredential(pb.GetCredentialRequest(credential_id=award.credential_id))
    assert status.status == pb.CREDENTIAL_STATUS_SUSPENDED
    await stub.SuspendAward(
        pb.SuspendAwardRequest(award_id=award.award_id, reason="cleared", reinstate=True), metadata=admin
    )
    assert not await suspended()


async def test_public_endpoints_need_no_token_but_unknown_ids_are_not_found(stub: Stub) -> None:
    for call in (
        stub.GetCredential(pb.GetCredentialRequest(credential_id=str(uuid.uuid4()))),
        stub.GetStatusList(pb.GetStatusListRequest(status_list_id=str(uuid.uuid4()))),
        stub.GetIssuer(pb.GetIssuerRequest(tenant_id=str(uuid.uuid4()))),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as error:
            await call
        assert error.value.code() == grpc.StatusCode.NOT_FOUND


async def test_expiry_job_expires_awards_and_the_badge_can_be_earned_again_from_later_activity(
    stub: Stub,
    token_factory: TokenFactory,
    tenant: uuid.UUID,
    deliver: Any,
    units: UnitOfWorkFactory,
    achievements_app: App,
    achievements_db: ServiceDatabase,
) -> None:
    admin = as_user(token_factory, tenant, "client_admin")
    badge = await active_badge(stub, admin, blocks_rule(1), validity=duration_pb2.Duration(seconds=3600))
    await deliver("record_block_completion", BLOCK_COMPLETED, tenant, block("ann"))
    (award,) = await awards_of(stub, admin, badge)
    assert award.expire_time.ToDatetime(tzinfo=dt.UTC) > dt.datetime.now(dt.UTC)

    base = awarder_from_settings(achievements_app.settings)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
    future = Awarder(base.config, clock=lambda: later)
    service = AwardsService(units, future)
    assert await service.expire_due(TenantId(tenant)) == 1
    assert await service.expire_due(TenantId(tenant)) == 0
    (expired,) = await awards_of(stub, admin, badge)
    assert expired.state == pb.AWARD_STATE_EXPIRED
    types = [t for t, _, _ in await read_outbox(achievements_db.app_url, tenant)]
    assert types.count(ACHIEVEMENT_EXPIRED) == 1
    # The old block does not earn it again; a block after the expiry does (award period 2).
    await deliver("record_block_completion", BLOCK_COMPLETED, tenant, block("ann", "b1-again"))
    assert len(await awards_of(stub, admin, badge)) == 1
    fresh = block("ann", "b2")
    fresh.completed_at.FromDatetime(later + dt.timedelta(minutes=1))
    await deliver("record_block_completion", BLOCK_COMPLETED, tenant, fresh)
    periods = sorted((a.period, a.state) for a in await awards_of(stub, admin, badge))
    assert periods == [(1, pb.AWARD_STATE_EXPIRED), (2, pb.AWARD_STATE_ACTIVE)]


async def test_learner_achievements_show_awards_and_progress(
    stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID, deliver: Any
) -> None:
    admin = as_user(token_factory, tenant, "client_admin")
    one = await active_badge(stub, admin, blocks_rule(1), display_name="One")
    four = await active_badge(stub, admin, blocks_rule(4), display_name="Four")
    await deliver("record_block_completion", BLOCK_COMPLETED, tenant, block("ann"))
    mine = await stub.ListLearnerAchievements(
        pb.ListLearnerAchievementsRequest(learner_id="me"),
        metadata=as_user(token_factory, tenant, "learner", "ann"),
    )
    assert [a.badge_id for a in mine.awards] == [one.badge_id]
    assert mine.badges[one.badge_id].display_name == "One"
    assert [(p.badge.badge_id, p.percent) for p in mine.in_progress] == [(four.badge_id, 25.0)]
    with pytest.raises(grpc.aio.AioRpcError) as other:
        await stub.ListLearnerAchievements(
            pb.ListLearnerAchievementsRequest(learner_id="ann"),
            metadata=as_user(token_factory, tenant, "learner", "bob"),
        )
    assert other.value.code() == grpc.StatusCode.PERMISSION_DENIED
    managed = await stub.ListLearnerAchievements(
        pb.ListLearnerAchievementsRequest(learner_id="ann"),
        metadata=as_user(token_factory, tenant, "manager"),
    )
    assert len(managed.awards) == 1


async def test_dead_letters_of_the_achievements_consumers_are_listed_by_the_admin_rpc(
    achievements_app: App, units: UnitOfWorkFactory, token_factory: TokenFactory, tenant: uuid.UUID
) -> None:
    async with units(TenantId(tenant), None) as uow:
        await add_dead_letter(
            uow.session, tenant, uuid.uuid4(), "record_block_completion", BLOCK_COMPLETED, "s", b"", "boom", 8
        )
        await uow.commit()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{achievements_app.server.port}") as channel:
        admin = admin_pb2_grpc.EventsAdminServiceStub(channel)
        listed = await admin.ListDeadLetters(
            admin_pb2.ListDeadLettersRequest(), metadata=as_user(token_factory, tenant, "client_admin")
        )
    assert [(d.handler, d.error) for d in listed.dead_letters] == [("record_block_completion", "boom")]


async def test_an_older_directory_entry_delivered_late_does_not_replace_a_newer_one(
    units: UnitOfWorkFactory, tenant: uuid.UUID, deliver: Any
) -> None:
    now = dt.datetime.now(dt.UTC)
    newer = programs_events.LearnerUpserted(learner_id="kei", time_zone="Asia/Tokyo", active=True)
    older = programs_events.LearnerUpserted(learner_id="kei", time_zone="Europe/Paris", active=True)
    await deliver("record_learner", LEARNER_UPSERTED, tenant, newer, occurred_at=now)
    await deliver(
        "record_learner", LEARNER_UPSERTED, tenant, older, occurred_at=now - dt.timedelta(minutes=5)
    )
    async with units(TenantId(tenant), None) as uow:
        zones = await AchievementsRepository(uow.session, uow.tenant_id).time_zones(["kei"])
    assert zones == {"kei": "Asia/Tokyo"}
