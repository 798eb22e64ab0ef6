"""The SQL of the consumer's hot path (an event becoming a fact, its evaluation and awards), written for
few round trips: the fact, the learner lock and everything evaluation reads in one statement, the
status-list entries of all the event's awards in one (taken from slots with SKIP LOCKED so concurrent
awards of a tenant never wait for each other's commit), and the awards with their public ids in one.
Mixed into `AchievementsRepository`."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from typing import Any, Literal

import asyncpg
from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from aigym_achievements.domain import (
    Award,
    AwardState,
    LearnerState,
    Standing,
    StatusEntries,
    TenantSettings,
)
from aigym_achievements.openbadges import STATUS_LIST_SIZE
from aigym_achievements.rules import Fact, FactType
from aigym_achievements.tables import PublicIdRow, StatusListRow, StatusSlotRow
from aigym_platform.identity import TenantId

SLOT_SIZE = 512
"""Entries a slot takes from a status list at a time (the list's counter row is locked only then)."""

PURPOSES = ("revocation", "suspension")

# The hot statements run on the transaction's asyncpg connection (`UnitOfWork.driver`) as prepared
# statements (asyncpg caches them per connection by text): SQLAlchemy's statement and result machinery cost
# more Python time per statement than the round trip. jsonb parameters are JSON text (the engine's codec).
# Migration 0003's function: the fact, the learner's lock, then the reads (in snapshots taken after it).
_RECORD_FACT = "SELECT * FROM achievements_record_fact($1, $2, $3, $4, $5, $6, $7, $8)"

# The learner's transaction lock (the key `achievements_record_fact` locks too).
_LOCK_LEARNER = "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))"

# Facts of the learner of one type and occurrence (`$4`: the attributes naming it): those before `$5` are
# deleted, and how many are at or after `$5` (then the new fact is not recorded).
_REPLACE_EARLIER = """
    WITH same AS (
        SELECT event_id, occurred_at FROM facts
         WHERE tenant_id = $1 AND learner_id = $2 AND fact_type = $3 AND attributes @> $4::jsonb
    ), replaced AS (
        DELETE FROM facts f USING same
         WHERE f.tenant_id = $1 AND f.event_id = same.event_id AND same.occurred_at < $5
    )
    SELECT count(*) FILTER (WHERE occurred_at >= $5) AS later FROM same
"""

# Several awards (one per badge) and their credential ids' public ids, in one statement; the ids of the
# credentials actually added (an award of the same badge and period already there adds nothing).
_ADD_AWARDS = """
    WITH added AS (
        INSERT INTO awards (tenant_id, award_id, badge_id, learner_id, period, state, source, award_time,
                            expire_time, evidence, awarded_by, reason, program_id, credential_id,
                            credential_jwt, revocation_list_id, revocation_index, suspension_list_id,
                            suspension_index, update_time)
        SELECT $1, a.award_id, a.badge_id, a.learner_id, a.period, a.state, a.source, a.award_time,
               a.expire_time, a.evidence::jsonb, a.awarded_by, a.reason, a.program_id, a.credential_id,
               a.credential_jwt, a.revocation_list_id, a.revocation_index, a.suspension_list_id,
               a.suspension_index, $2
          FROM unnest($3::uuid[], $4::uuid[], $5::text[], $6::int[], $7::text[], $8::text[],
                      $9::timestamptz[], $10::timestamptz[], $11::text[], $12::text[], $13::text[],
                      $14::text[], $15::uuid[], $16::text[], $17::uuid[], $18::int[], $19::uuid[],
                      $20::int[])
               AS a(award_id, badge_id, learner_id, period, state, source, award_time, expire_time,
                    evidence, awarded_by, reason, program_id, credential_id, credential_jwt,
                    revocation_list_id, revocation_index, suspension_list_id, suspension_index)
        ON CONFLICT ON CONSTRAINT uq_awards_period DO NOTHING RETURNING credential_id)
    INSERT INTO public_ids (tenant_id, public_id, kind)
    SELECT $1, credential_id, 'credential' FROM added RETURNING public_id
"""


def _take_entries_of(purpose: Literal["revocation", "suspension"]) -> str:
    """The CTE taking `$2` consecutive entries of `purpose` from a slot no other transaction holds."""
    return f"""{purpose} AS (
        UPDATE status_slots s SET next_index = s.next_index + $2
         WHERE s.tenant_id = $1 AND s.slot_id = (
               SELECT slot_id FROM status_slots
                WHERE tenant_id = $1 AND purpose = '{purpose}' AND next_index + $2 <= end_index
                LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING s.list_id, s.next_index - $2 AS first
    )"""  # noqa: S608


# `$2` consecutive entries of each purpose from a slot no other transaction holds that has that many left
# (NULLs: no such slot visible).
_TAKE_ENTRIES = f"""
    WITH {_take_entries_of("revocation")}, {_take_entries_of("suspension")}
    SELECT (SELECT list_id FROM revocation) AS revocation_list, (SELECT first FROM revocation) AS revocation,
           (SELECT list_id FROM suspension) AS suspension_list, (SELECT first FROM suspension) AS suspension
"""  # noqa: S608 (two constant CTEs)

# Refill an exhausted slot nobody holds (so slots do not pile up), else the caller inserts a new one.
_REFILL_SLOT = text(
    """
    UPDATE status_slots s SET list_id = :list, next_index = :next, end_index = :end
     WHERE s.tenant_id = :tenant AND s.slot_id = (
           SELECT slot_id FROM status_slots
            WHERE tenant_id = :tenant AND purpose = :purpose AND next_index >= end_index
            LIMIT 1 FOR UPDATE SKIP LOCKED)
    RETURNING s.slot_id
    """
)


class AwardPathQueries:
    """The hot-path statements of one tenant (the session, its asyncpg connection if known and the tenant
    come from the repository)."""

    _s: AsyncSession
    _t: TenantId
    _driver: asyncpg.Connection | None

    async def _conn(self) -> asyncpg.Connection:
        """The transaction's asyncpg connection (a unit of work's session is always in its transaction)."""
        if self._driver is None:
            connection = await self._s.connection()
            self._driver = (await connection.get_raw_connection()).driver_connection
        return self._driver

    async def record_fact_locked(self, learner_id: str, fact: Fact) -> LearnerState:
        """Record the fact (once per event id), take the learner's transaction lock and read what
        evaluating it needs (see `LearnerState`), in one statement.

        The lock serialises award decisions for one learner until the transaction ends, so concurrent
        events of a learner see each other's facts and never both miss nor both make an award: the reads
        run after the lock is granted, each in a new snapshot (migration 0003's function).
        """
        row = await (await self._conn()).fetchrow(
            _RECORD_FACT,
            self._t,
            uuid.UUID(fact.event_id),
            learner_id,
            fact.fact_type.value,
            fact.occurred_at,
            json.dumps(dict(fact.attributes)),
            fact.score,
            self._lock_key(learner_id),
        )
        assert row is not None
        standings: dict[uuid.UUID, Standing] = {}
        if row["badge_ids"] is not None:
            for badge_id, period, state, expire_time in zip(
                row["badge_ids"], row["periods"], row["states"], row["expire_times"], strict=True
            ):
                standings[badge_id] = Standing(badge_id, period, AwardState(state), expire_time)
        facts: list[Fact] = []
        if row["event_ids"] is not None:
            types = {t.value: t for t in FactType}
            facts = [
                Fact(str(event_id), types[fact_type], occurred_at, attributes, score)
                for event_id, fact_type, occurred_at, attributes, score in zip(
                    row["event_ids"],
                    row["fact_types"],
                    row["times"],
                    json.loads(row["attributes"]),
                    row["scores"],
                    strict=True,
                )
            ]
        issuer_name = row["issuer_name"]
        return LearnerState(
            badge_revision=int(row["badge_revision"]),
            time_zone=row["time_zone"] or "",
            standings=standings,
            facts=facts,
            issuer_name=issuer_name if issuer_name is not None else TenantSettings().issuer_name,
        )

    def _lock_key(self, learner_id: str) -> str:
        return f"aigym.achievements:{self._t}:{learner_id}"

    async def replace_earlier_fact(self, learner_id: str, fact: Fact, occurrence: Sequence[str]) -> bool:
        """Whether `fact` is the learner's latest of its occurrence (the same values of its `occurrence`
        attributes, e.g. one enrolment's completion): True after deleting earlier facts of it, False if a
        fact of it at the same time or later is recorded. Takes the learner's transaction lock first, so
        concurrent facts of one occurrence keep exactly the latest."""
        conn = await self._conn()
        await conn.execute(_LOCK_LEARNER, self._lock_key(learner_id))
        key = {name: fact.attributes[name] for name in occurrence}
        later = await conn.fetchval(
            _REPLACE_EARLIER, self._t, learner_id, fact.fact_type.value, json.dumps(key), fact.occurred_at
        )
        return not later

    async def take_status_entries(self, now: dt.datetime, count: int = 1) -> list[StatusEntries]:
        """`count` pairs of a revocation and a suspension status-list entry for new credentials: unique in
        the tenant and never handed out again once committed (an entry of a rolled-back award may be)."""
        row = await (await self._conn()).fetchrow(_TAKE_ENTRIES, self._t, count)
        assert row is not None
        if row["revocation_list"] is not None and row["suspension_list"] is not None:
            return [
                StatusEntries(
                    row["revocation_list"],
                    row["revocation"] + i,
                    row["suspension_list"],
                    row["suspension"] + i,
                )
                for i in range(count)
            ]
        # One at a time, giving slots new entries as needed (entries taken above stay unused: gaps). Both
        # purposes always in this order: the lists' rows are then locked in one order by every
        # transaction, however many awards it makes.
        taken: list[StatusEntries] = []
        for _ in range(count):
            if count > 1:
                single = await (await self._conn()).fetchrow(_TAKE_ENTRIES, self._t, 1)
                assert single is not None
                if single["revocation_list"] is not None and single["suspension_list"] is not None:
                    taken.append(
                        StatusEntries(
                            single["revocation_list"],
                            single["revocation"],
                            single["suspension_list"],
                            single["suspension"],
                        )
                    )
                    continue
            revocation = await self._new_slot("revocation", now)
            suspension = await self._new_slot("suspension", now)
            taken.append(StatusEntries(revocation[0], revocation[1], suspension[0], suspension[1]))
        return taken

    async def _new_slot(self, purpose: str, now: dt.datetime) -> tuple[uuid.UUID, int]:
        """Give a slot the next SLOT_SIZE entries of the current list (a new list when it is full) and take
        the first. Only here is the list's row locked until commit: once per SLOT_SIZE awards, or when
        more transactions award at once than there are slots."""
        query = (
            select(StatusListRow.list_id, StatusListRow.next_index, StatusListRow.capacity)
            .where(
                StatusListRow.tenant_id == self._t,
                StatusListRow.purpose == purpose,
                StatusListRow.next_index < StatusListRow.capacity,
            )
            .order_by(StatusListRow.create_time.desc())
            .limit(1)
            # NO KEY: slots referencing the list (their foreign key takes KEY SHARE) must not conflict.
            .with_for_update(key_share=True)  # FOR NO KEY UPDATE
        )
        current = (await self._s.execute(query)).one_or_none()
        if current is None:
            list_id, start, capacity = uuid.uuid4(), 0, STATUS_LIST_SIZE
            await self._s.execute(
                insert(StatusListRow).values(
                    tenant_id=self._t,
                    list_id=list_id,
                    purpose=purpose,
                    capacity=capacity,
                    next_index=0,
                    create_time=now,
                )
            )
            await self._s.execute(
                insert(PublicIdRow).values(tenant_id=self._t, public_id=list_id, kind="status_list")
            )
        else:
            list_id, start, capacity = current.list_id, current.next_index, current.capacity
        end = min(start + SLOT_SIZE, capacity)
        await self._s.execute(
            update(StatusListRow)
            .where(StatusListRow.tenant_id == self._t, StatusListRow.list_id == list_id)
            .values(next_index=end)
        )
        values: dict[str, Any] = {"list": list_id, "next": start + 1, "end": end}
        refilled = await self._s.execute(_REFILL_SLOT, {"tenant": self._t, "purpose": purpose, **values})
        if refilled.one_or_none() is None:
            await self._s.execute(
                insert(StatusSlotRow).values(
                    tenant_id=self._t,
                    slot_id=uuid.uuid4(),
                    purpose=purpose,
                    list_id=list_id,
                    next_index=start + 1,
                    end_index=end,
                )
            )
        return list_id, start

    async def add_awards(self, awards: Sequence[Award], now: dt.datetime) -> set[uuid.UUID]:
        """Insert awards (of distinct badges) and make their credential ids publicly resolvable, in one
        statement; the ids of the awards added (a learner's award of the same badge and period already
        there keeps its award out, nothing of it is written)."""
        if not awards:
            return set()
        for award in awards:
            assert award.status is not None
        statuses = [a.status for a in awards if a.status is not None]
        rows = await (await self._conn()).fetch(
            _ADD_AWARDS,
            self._t,
            now,
            [a.award_id for a in awards],
            [a.badge_id for a in awards],
            [a.learner_id for a in awards],
            [a.period for a in awards],
            [a.state.value for a in awards],
            [a.source.value for a in awards],
            [a.award_time for a in awards],
            [a.expire_time for a in awards],
            [json.dumps(list(a.evidence)) for a in awards],
            [a.awarded_by for a in awards],
            [a.reason for a in awards],
            [a.program_id for a in awards],
            [a.credential_id for a in awards],
            [a.credential_jwt for a in awards],
            [s.revocation_list_id for s in statuses],
            [s.revocation_index for s in statuses],
            [s.suspension_list_id for s in statuses],
            [s.suspension_index for s in statuses],
        )
        added = {row["public_id"] for row in rows}
        return {a.award_id for a in awards if a.credential_id in added}
