"""Badge RPCs through a real in-process server and a real PostgreSQL: definitions, validation with field
paths, lifecycle, roles, simulation against backfill, settings."""

from __future__ import annotations

import uuid
from typing import Any

import grpc
import pytest
from google.protobuf import duration_pb2, field_mask_pb2
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from aigym.achievements.v1 import achievements_pb2 as pb
from aigym.achievements.v1 import achievements_pb2_grpc
from aigym.programs.v1 import events_pb2 as programs_events
from aigym.progress.v1 import events_pb2 as progress_events
from aigym_achievements.award_service import AwardsService
from aigym_achievements.bootstrap import App, awarder_from_settings
from aigym_platform.db import UnitOfWorkFactory
from aigym_platform.events.registry import BLOCK_COMPLETED, ENROLLMENT_COMPLETED
from aigym_platform.identity import TenantId
from aigym_platform.testing.tokens import TokenFactory, bearer

Stub = achievements_pb2_grpc.AchievementsServiceStub
Metadata = tuple[tuple[str, str], ...]


def as_user(tokens: TokenFactory, tenant: uuid.UUID, role: str, name: str = "") -> Metadata:
    return bearer(tokens.token(tenant, [role], user=name or f"{role}-1"))


def violations(error: grpc.aio.AioRpcError) -> dict[str, str]:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None
    found: dict[str, str] = {}
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            found.update({v.field: v.description for v in bad.field_violations})
    return found


def count_rule(n: int = 2, course: str = "") -> pb.Rule:
    filters = [pb.AttributeFilter(attribute="course_id", values=[course])] if course else []
    return pb.Rule(count=pb.CountRule(fact_type=pb.FACT_TYPE_BLOCK_COMPLETED, filters=filters, min_count=n))


def program_rule(program: str) -> pb.Rule:
    return pb.Rule(program_completed=pb.ProgramCompletedRule(program_id=program))


async def create(stub: Stub, admin: Metadata, rule: pb.Rule, **fields: Any) -> pb.Badge:
    badge = pb.Badge(display_name=fields.pop("display_name", "Finisher"), rule=rule, **fields)
    return await stub.CreateBadge(pb.CreateBadgeRequest(badge=badge), metadata=admin)


async def test_create_get_list_update_activate_archive(
    stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID
) -> None:
    admin = as_user(token_factory, tenant, "client_admin")
    badge = await create(
        stub,
        admin,
        count_rule(3),
        description="Three blocks",
        image_url="https://img.example/b.png",
        tags=["starter"],
        validity=duration_pb2.Duration(seconds=86400),
    )
    assert badge.state == pb.BADGE_STATE_DRAFT
    assert badge.rule == count_rule(3)
    assert badge.validity.seconds == 86400
    fetched = await stub.GetBadge(pb.GetBadgeRequest(badge_id=badge.badge_id), metadata=admin)
    assert fetched == badge

    changed = await stub.UpdateBadge(
        pb.UpdateBadgeRequest(
            badge=pb.Badge(
                badge_id=badge.badge_id, display_name="Renamed", rule=count_rule(5), etag=badge.etag
            ),
            update_mask=field_mask_pb2.FieldMask(paths=["display_name", "rule"]),
        ),
        metadata=admin,
    )
    assert (changed.display_name, changed.rule, changed.description) == (
        "Renamed",
        count_rule(5),
        "Three blocks",
    )
    with pytest.raises(grpc.aio.AioRpcError) as stale:
        await stub.ActivateBadge(
            pb.ActivateBadgeRequest(badge_id=badge.badge_id, etag=badge.etag), metadata=admin
        )
    assert stale.value.code() == grpc.StatusCode.ABORTED

    active = await stub.ActivateBadge(pb.ActivateBadgeRequest(badge_id=badge.badge_id), metadata=admin)
    assert active.state == pb.BADGE_STATE_ACTIVE
    assert active.HasField("activate_time")
    with pytest.raises(grpc.aio.AioRpcError) as frozen:
        await stub.UpdateBadge(
            pb.UpdateBadgeRequest(
                badge=pb.Badge(badge_id=badge.badge_id, rule=count_rule(1)),
                update_mask=field_mask_pb2.FieldMask(paths=["rule"]),
            ),
            metadata=admin,
        )
    assert frozen.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    draft = await create(stub, admin, count_rule(1), display_name="Draft one")

    learner = as_user(token_factory, tenant, "learner", "l-1")
    seen = await stub.ListBadges(pb.ListBadgesRequest(), metadata=learner)
    assert [b.badge_id for b in seen.badges] == [badge.badge_id]  # learners see active badges only
    with pytest.raises(grpc.aio.AioRpcError) as hidden:
        await stub.GetBadge(pb.GetBadgeRequest(badge_id=draft.badge_id), metadata=learner)
    assert hidden.value.code() == grpc.StatusCode.NOT_FOUND

    first = await stub.ListBadges(pb.ListBadgesRequest(page_size=1), metadata=admin)
    second = await stub.ListBadges(
        pb.ListBadgesRequest(page_size=1, page_token=first.next_page_token), metadata=admin
    )
    assert [first.badges[0].badge_id, second.badges[0].badge_id] == [draft.badge_id, badge.badge_id]
    assert second.next_page_token == ""
    tagged = await stub.ListBadges(pb.ListBadgesRequest(tag="starter"), metadata=admin)
    assert [b.badge_id for b in tagged.badges] == [badge.badge_id]

    archived = await stub.ArchiveBadge(pb.ArchiveBadgeRequest(badge_id=badge.badge_id), metadata=admin)
    assert archived.state == pb.BADGE_STATE_ARCHIVED
    with pytest.raises(grpc.aio.AioRpcError) as again:
        await stub.ArchiveBadge(pb.ArchiveBadgeRequest(badge_id=badge.badge_id), metadata=admin)
    assert again.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_invalid_badges_are_rejected_with_field_paths_and_nothing_is_written(
    stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID
) -> None:
    admin = as_user(token_factory, tenant, "client_admin")
    bad_rule = pb.Rule(
        all_of=pb.RuleGroup(
            rules=[
                pb.Rule(
                    count=pb.CountRule(
                        fact_type=pb.FACT_TYPE_COURSE_COMPLETED,
                        filters=[pb.AttributeFilter(attribute="block_id", values=["b1"])],
                        min_count=1,
                    )
                ),
                pb.Rule(n_of_m=pb.NOfMRule(n=3, rules=[count_rule(1)])),
                pb.Rule(milestone_reached=pb.MilestoneRule(node_id="m1")),
            ]
        )
    )
    badge = pb.Badge(display_name=" ", image_url="ftp://x", rule=bad_rule)
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await stub.CreateBadge(pb.CreateBadgeRequest(badge=badge), metadata=admin)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert set(violations(error.value)) == {
        "badge.display_name",
        "badge.image_url",
        "badge.rule.all_of.rules[0].count.filters[0].attribute",
        "badge.rule.all_of.rules[1].n_of_m.n",
        "badge.program_id",
    }
    # Schema rules (the proto's buf.validate) answer with field paths too.
    schema = pb.Badge(
        display_name="x", rule=pb.Rule(count=pb.CountRule(fact_type=pb.FACT_TYPE_BLOCK_COMPLETED))
    )
    with pytest.raises(grpc.aio.AioRpcError) as invalid:
        await stub.CreateBadge(pb.CreateBadgeRequest(badge=schema), metadata=admin)
    assert "badge.rule.count.min_count" in violations(invalid.value)
    listed = await stub.ListBadges(pb.ListBadgesRequest(), metadata=admin)
    assert list(listed.badges) == []


async def test_roles(stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID) -> None:
    learner = as_user(token_factory, tenant, "learner")
    with pytest.raises(grpc.aio.AioRpcError) as denied:
        await create(stub, learner, count_rule())
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.aio.AioRpcError) as anonymous:
        await stub.ListBadges(pb.ListBadgesRequest())
    assert anonymous.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_other_tenants_badges_are_not_found(
    stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID
) -> None:
    badge = await create(stub, as_user(token_factory, tenant, "client_admin"), count_rule())
    other = as_user(token_factory, uuid.uuid4(), "client_admin")
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await stub.GetBadge(pb.GetBadgeRequest(badge_id=badge.badge_id), metadata=other)
    assert error.value.code() == grpc.StatusCode.NOT_FOUND


async def test_simulation_matches_what_activation_then_awards(
    stub: Stub,
    token_factory: TokenFactory,
    tenant: uuid.UUID,
    deliver: Any,
    units: UnitOfWorkFactory,
    achievements_app: App,
) -> None:
    admin = as_user(token_factory, tenant, "client_admin")
    # History recorded before the badge exists: ann 2 blocks, bob 1, cid 3 of another course, dan 2.
    for learner, n, course in (("ann", 2, "c1"), ("bob", 1, "c1"), ("cid", 3, "c2"), ("dan", 2, "c1")):
        for i in range(n):
            payload = progress_events.BlockCompleted(
                learner_id=learner, course_id=course, block_id=f"b{i}", completed=True
            )
            assert await deliver("record_block_completion", BLOCK_COMPLETED, tenant, payload) == "applied"
    badge = await create(stub, admin, count_rule(2, "c1"))
    simulated = await stub.SimulateBadge(pb.SimulateBadgeRequest(badge_id=badge.badge_id), metadata=admin)
    assert [e.learner_id for e in simulated.earners] == ["ann", "dan"]
    assert (simulated.earner_count, simulated.learner_count) == (2, 4)
    assert all(len(e.evidence_event_ids) == 2 for e in simulated.earners)
    candidate = await stub.SimulateBadge(
        pb.SimulateBadgeRequest(badge_id=badge.badge_id, rule=count_rule(1)), metadata=admin
    )
    assert [e.learner_id for e in candidate.earners] == ["ann", "bob", "cid", "dan"]

    active = await stub.ActivateBadge(
        pb.ActivateBadgeRequest(badge_id=badge.badge_id, backfill=True), metadata=admin
    )
    assert active.backfill.state == pb.BACKFILL_STATE_PENDING
    # The backfill job runs in the worker; here its service call runs as the tenant's sweep would run it.
    service = AwardsService(units, awarder_from_settings(achievements_app.settings))
    assert await service.run_backfills(TenantId(tenant)) == 2
    assert await service.run_backfills(TenantId(tenant)) == 0  # done once
    awards = await stub.ListAwards(pb.ListAwardsRequest(badge_id=badge.badge_id), metadata=admin)
    assert sorted(a.learner_id for a in awards.awards) == ["ann", "dan"]
    assert {a.source for a in awards.awards} == {pb.AWARD_SOURCE_BACKFILL}
    by_learner = {e.learner_id: list(e.evidence_event_ids) for e in simulated.earners}
    assert {a.learner_id: list(a.evidence_event_ids) for a in awards.awards} == by_learner
    done = await stub.GetBadge(pb.GetBadgeRequest(badge_id=badge.badge_id), metadata=admin)
    assert (done.backfill.state, done.backfill.awarded) == (pb.BACKFILL_STATE_DONE, 2)
    after = await stub.SimulateBadge(pb.SimulateBadgeRequest(badge_id=badge.badge_id), metadata=admin)
    assert all(e.already_awarded for e in after.earners)


async def test_settings_and_leaderboards_are_opt_in(
    stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID, deliver: Any
) -> None:
    admin = as_user(token_factory, tenant, "client_admin")
    learner = as_user(token_factory, tenant, "learner", "ann")
    badge = await create(stub, admin, program_rule(""), program_id="prog-1")
    await stub.ActivateBadge(pb.ActivateBadgeRequest(badge_id=badge.badge_id), metadata=admin)
    for name in ("ann", "bob"):
        payload = programs_events.EnrollmentCompleted(learner_id=name, program_id="prog-1", enrollment_id="e")
        await deliver("record_program_completion", ENROLLMENT_COMPLETED, tenant, payload)
    with pytest.raises(grpc.aio.AioRpcError) as off:
        await stub.GetLeaderboard(pb.GetLeaderboardRequest(program_id="prog-1"), metadata=learner)
    assert off.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    with pytest.raises(grpc.aio.AioRpcError) as denied:
        await stub.UpdateAchievementSettings(
            pb.UpdateAchievementSettingsRequest(
                settings=pb.AchievementSettings(leaderboards_enabled=True),
                update_mask=field_mask_pb2.FieldMask(paths=["leaderboards_enabled"]),
            ),
            metadata=learner,
        )
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
    updated = await stub.UpdateAchievementSettings(
        pb.UpdateAchievementSettingsRequest(
            settings=pb.AchievementSettings(leaderboards_enabled=True, issuer_name="Acme Academy"),
            update_mask=field_mask_pb2.FieldMask(paths=["leaderboards_enabled", "issuer_name"]),
        ),
        metadata=admin,
    )
    assert updated.leaderboards_enabled
    assert updated.issuer_name == "Acme Academy"
    board = await stub.GetLeaderboard(pb.GetLeaderboardRequest(program_id="prog-1"), metadata=learner)
    assert [(e.rank, e.learner_id, e.badge_count) for e in board.entries] == [(1, "ann", 1), (1, "bob", 1)]
