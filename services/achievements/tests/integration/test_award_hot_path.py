"""The consumer's hot path: the per-process cache of active badges sees every badge change at the very
next event (the badge revision), and status-list entries stay unique when awards run at once and when a
list fills up (slots taken with SKIP LOCKED instead of one counter row per list)."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

import jwt
from google.protobuf import field_mask_pb2
from sqlalchemy import text

from aigym.achievements.v1 import achievements_pb2 as pb
from aigym.achievements.v1 import achievements_pb2_grpc
from aigym.progress.v1 import events_pb2 as progress_events
from aigym_achievements.event_handlers import EventHandlers
from aigym_achievements.repository import AchievementsRepository
from aigym_achievements.rules import Fact, FactType
from aigym_platform.db import UnitOfWorkFactory
from aigym_platform.events.registry import BLOCK_COMPLETED
from aigym_platform.identity import TenantId
from aigym_platform.testing.tokens import TokenFactory, bearer

Stub = achievements_pb2_grpc.AchievementsServiceStub
NOW = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
Metadata = tuple[tuple[str, str], ...]


def blocks_rule(n: int) -> pb.Rule:
    return pb.Rule(count=pb.CountRule(fact_type=pb.FACT_TYPE_BLOCK_COMPLETED, min_count=n))


def block(learner: str, block_id: str) -> progress_events.BlockCompleted:
    return progress_events.BlockCompleted(
        learner_id=learner, course_id="c1", block_id=block_id, completed=True
    )


async def draft(stub: Stub, admin: Metadata, rule: pb.Rule, name: str) -> pb.Badge:
    return await stub.CreateBadge(
        pb.CreateBadgeRequest(badge=pb.Badge(display_name=name, rule=rule)), metadata=admin
    )


async def activate(stub: Stub, admin: Metadata, badge: pb.Badge) -> pb.Badge:
    return await stub.ActivateBadge(pb.ActivateBadgeRequest(badge_id=badge.badge_id), metadata=admin)


async def held(units: UnitOfWorkFactory, tenant: uuid.UUID) -> list[tuple[str, str]]:
    """(learner, badge name) of every award in the tenant."""
    async with units(TenantId(tenant), None) as uow:
        rows = await uow.session.execute(
            text(
                "SELECT a.learner_id, b.display_name FROM awards a JOIN badges b USING (tenant_id, badge_id)"
                " ORDER BY a.learner_id, b.display_name"
            )
        )
        return [(learner, name) for learner, name in rows]


async def test_badge_changes_are_seen_by_the_very_next_event(
    stub: Stub,
    token_factory: TokenFactory,
    tenant: uuid.UUID,
    deliver: Any,
    handlers: EventHandlers,
    units: UnitOfWorkFactory,
) -> None:
    admin = bearer(token_factory.token(tenant, ["client_admin"], user="admin-1"))
    first = await activate(stub, admin, await draft(stub, admin, blocks_rule(1), "First"))
    await deliver("record_block_completion", BLOCK_COMPLETED, tenant, block("ann", "b1"))
    assert await held(units, tenant) == [("ann", "First")]
    async with units(TenantId(tenant), None) as uow:
        revision = (await uow.session.execute(text("SELECT revision FROM badge_revisions"))).scalar_one()
    assert revision == 2  # created, activated
    cached = handlers._awarder.catalog.get(tenant, revision)  # the process now holds them
    assert cached is not None
    assert [b.display_name for b in cached.looking_at(FactType.BLOCK_COMPLETED)] == ["First"]

    # Activated between two events of the same process: the second one awards it.
    second = await draft(stub, admin, blocks_rule(2), "Second")
    await deliver("record_block_completion", BLOCK_COMPLETED, tenant, block("bob", "b1"))
    await activate(stub, admin, second)
    await deliver("record_block_completion", BLOCK_COMPLETED, tenant, block("ann", "b2"))
    assert await held(units, tenant) == [("ann", "First"), ("ann", "Second"), ("bob", "First")]

    # Archived: the next event no longer awards it.
    await stub.ArchiveBadge(pb.ArchiveBadgeRequest(badge_id=first.badge_id), metadata=admin)
    await deliver("record_block_completion", BLOCK_COMPLETED, tenant, block("cat", "b1"))
    assert ("cat", "First") not in await held(units, tenant)

    # Renamed while active: the next award's credential carries the new name.
    third = await activate(stub, admin, await draft(stub, admin, blocks_rule(3), "Third"))
    await deliver("record_block_completion", BLOCK_COMPLETED, tenant, block("ann", "b3-warm"))
    await stub.UpdateBadge(
        pb.UpdateBadgeRequest(
            badge=pb.Badge(badge_id=third.badge_id, display_name="Third, renamed"),
            update_mask=field_mask_pb2.FieldMask(paths=["display_name"]),
        ),
        metadata=admin,
    )
    await deliver("record_block_completion", BLOCK_COMPLETED, tenant, block("bob", "b2"))
    await deliver("record_block_completion", BLOCK_COMPLETED, tenant, block("bob", "b3"))
    async with units(TenantId(tenant), None) as uow:
        token = (
            await uow.session.execute(
                text("SELECT credential_jwt FROM awards WHERE learner_id = 'bob' AND badge_id = :badge"),
                {"badge": uuid.UUID(third.badge_id)},
            )
        ).scalar_one()
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["vc"]["credentialSubject"]["achievement"]["name"] == "Third, renamed"


async def status_entries(units: UnitOfWorkFactory, tenant: uuid.UUID) -> list[tuple[Any, ...]]:
    async with units(TenantId(tenant), None) as uow:
        rows = await uow.session.execute(
            text(
                "SELECT revocation_list_id, revocation_index, suspension_list_id, suspension_index"
                " FROM awards ORDER BY award_time"
            )
        )
        return [tuple(row) for row in rows]


async def test_concurrent_awards_get_distinct_status_entries(
    stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID, deliver: Any, units: UnitOfWorkFactory
) -> None:
    admin = bearer(token_factory.token(tenant, ["client_admin"], user="admin-1"))
    await activate(stub, admin, await draft(stub, admin, blocks_rule(1), "One"))
    await activate(stub, admin, await draft(stub, admin, blocks_rule(1), "Also one"))
    learners = [f"learner-{i}" for i in range(12)]
    await asyncio.gather(
        *(deliver("record_block_completion", BLOCK_COMPLETED, tenant, block(x, "b1")) for x in learners)
    )
    entries = await status_entries(units, tenant)
    assert len(entries) == 2 * len(learners)
    assert len({(e[0], e[1]) for e in entries}) == len(entries)  # revocation entries
    assert len({(e[2], e[3]) for e in entries}) == len(entries)  # suspension entries
    async with units(TenantId(tenant), None) as uow:
        slots = (await uow.session.execute(text("SELECT count(*) FROM status_slots"))).scalar_one()
    assert slots >= 2  # one per purpose at least; more when awards overlapped


async def test_status_entries_continue_in_a_new_list_when_the_current_one_is_full(
    stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID, deliver: Any, units: UnitOfWorkFactory
) -> None:
    admin = bearer(token_factory.token(tenant, ["client_admin"], user="admin-1"))
    await activate(stub, admin, await draft(stub, admin, blocks_rule(1), "One"))
    await deliver("record_block_completion", BLOCK_COMPLETED, tenant, block("ann", "b1"))
    ((revocation_list, first_index, _, _),) = await status_entries(units, tenant)
    assert first_index == 0
    # The lists are all but full and every slot's range is used up.
    async with units(TenantId(tenant), None) as uow:
        await uow.session.execute(text("UPDATE status_lists SET next_index = capacity - 1"))
        await uow.session.execute(text("UPDATE status_slots SET next_index = end_index"))
        await uow.commit()
    for learner in ("bob", "cat"):
        await deliver("record_block_completion", BLOCK_COMPLETED, tenant, block(learner, "b1"))
    _, bob, cat = await status_entries(units, tenant)
    assert (bob[0], bob[1]) == (revocation_list, 131_071)  # the list's last entry
    assert cat[0] != revocation_list
    assert cat[1] == 0
    assert len({bob[2], cat[2]}) == 2
    assert (bob[3], cat[3]) == (131_071, 0)
    async with units(TenantId(tenant), None) as uow:
        lists = (await uow.session.execute(text("SELECT count(*) FROM status_lists"))).scalar_one()
        slots = (await uow.session.execute(text("SELECT count(*) FROM status_slots"))).scalar_one()
    assert (lists, slots) == (4, 2)  # exhausted slots are refilled, not added


async def test_an_event_earning_several_badges_signs_each_award_with_its_own_entries(
    stub: Stub, token_factory: TokenFactory, tenant: uuid.UUID, deliver: Any, units: UnitOfWorkFactory
) -> None:
    admin = bearer(token_factory.token(tenant, ["client_admin"], user="admin-1"))
    for name in ("A", "B", "C"):
        await activate(stub, admin, await draft(stub, admin, blocks_rule(1), name))
    await deliver("record_block_completion", BLOCK_COMPLETED, tenant, block("ann", "b1"))
    # Three awards, their entries taken at once: consecutive in one list per purpose.
    first = await status_entries(units, tenant)
    assert sorted(e[1] for e in first) == [0, 1, 2]
    assert sorted(e[3] for e in first) == [0, 1, 2]
    assert len({e[0] for e in first}) == len({e[2] for e in first}) == 1
    # One entry left in each slot: the next event's three awards take theirs one by one.
    async with units(TenantId(tenant), None) as uow:
        await uow.session.execute(text("UPDATE status_slots SET next_index = end_index - 1"))
        await uow.commit()
    await deliver("record_block_completion", BLOCK_COMPLETED, tenant, block("bob", "b1"))
    entries = await status_entries(units, tenant)
    assert len(entries) == 6
    assert len({(e[0], e[1]) for e in entries}) == 6
    assert len({(e[2], e[3]) for e in entries}) == 6
    assert sorted(await held(units, tenant)) == [(x, y) for x in ("ann", "bob") for y in ("A", "B", "C")]
    # Every credential names the entries stored with its award.
    async with units(TenantId(tenant), None) as uow:
        rows = (
            await uow.session.execute(
                text("SELECT credential_jwt, revocation_index, suspension_index FROM awards")
            )
        ).all()
    for token, revocation, suspension in rows:
        claims = jwt.decode(token, options={"verify_signature": False})
        status = {s["statusPurpose"]: int(s["statusListIndex"]) for s in claims["vc"]["credentialStatus"]}
        assert status == {"revocation": revocation, "suspension": suspension}


async def test_a_learners_state_is_read_after_the_lock_so_it_holds_what_the_holder_committed(
    tenant: uuid.UUID, units: UnitOfWorkFactory
) -> None:
    def fact(n: int) -> Fact:
        return Fact(
            str(uuid.uuid4()), FactType.BLOCK_COMPLETED, NOW, {"course_id": "c1", "block_id": f"b{n}"}
        )

    first, second = fact(1), fact(2)
    async with units(TenantId(tenant), None) as holder:
        held_state = await AchievementsRepository(
            holder.session, holder.tenant_id, holder.driver
        ).record_fact_locked("ann", first)
        assert [f.event_id for f in held_state.facts] == [first.event_id]

        async def waiter() -> list[str]:
            async with units(TenantId(tenant), None) as uow:
                repo = AchievementsRepository(uow.session, uow.tenant_id, uow.driver)
                state = await repo.record_fact_locked("ann", second)
                await uow.commit()
                return sorted(f.event_id for f in state.facts)

        waiting = asyncio.ensure_future(waiter())
        await asyncio.sleep(0.3)
        assert not waiting.done()  # blocked on the learner's lock
        await holder.commit()
    assert await waiting == sorted([first.event_id, second.event_id])
