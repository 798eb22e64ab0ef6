"""The SQL of the consumer's hot path (an event becoming a fact, its evaluation and an award), written for
few round trips: the learner lock and the fact in one statement, everything evaluation reads in one, the
award and its public id in one, and status-list entries taken from slots with SKIP LOCKED so concurrent
awards of a tenant never wait for each other's commit. Mixed into `AchievementsRepository`."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from sqlalchemy import DateTime, bindparam, select, text, update
from sqlalchemy.dialects.postgresql import JSONB, insert
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

TIME = DateTime(timezone=True)
SLOT_SIZE = 512
"""Entries a slot takes from a status list at a time (the list's counter row is locked only then)."""

PURPOSES = ("revocation", "suspension")

# Statements are built once (text with typed parameters): building a Core insert per call cost more
# Python time than its round trip.
_RECORD_FACT = text(
    """
    WITH added AS (
        INSERT INTO facts (tenant_id, event_id, learner_id, fact_type, occurred_at, attributes, score)
        VALUES (:tenant, :event_id, :learner, :fact_type, :occurred_at, :attributes, :score)
        ON CONFLICT DO NOTHING RETURNING event_id)
    SELECT pg_advisory_xact_lock(hashtextextended(:key, 0)) AS locked, (SELECT count(*) FROM added) AS added
    """
).bindparams(bindparam("attributes", type_=JSONB), bindparam("occurred_at", type_=TIME))

_ADD_AWARD = text(
    """
    WITH added AS (
        INSERT INTO awards (tenant_id, award_id, badge_id, learner_id, period, state, source, award_time,
                            expire_time, evidence, awarded_by, reason, program_id, credential_id,
                            credential_jwt, revocation_list_id, revocation_index, suspension_list_id,
                            suspension_index, update_time)
        VALUES (:tenant, :award_id, :badge_id, :learner_id, :period, :state, :source, :award_time,
                :expire_time, :evidence, :awarded_by, :reason, :program_id, :credential_id,
                :credential_jwt, :revocation_list_id, :revocation_index, :suspension_list_id,
                :suspension_index, :update_time)
        ON CONFLICT ON CONSTRAINT uq_awards_period DO NOTHING RETURNING credential_id)
    INSERT INTO public_ids (tenant_id, public_id, kind)
    SELECT :tenant, credential_id, 'credential' FROM added RETURNING public_id
    """
).bindparams(
    bindparam("evidence", type_=JSONB),
    bindparam("award_time", type_=TIME),
    bindparam("expire_time", type_=TIME),
    bindparam("update_time", type_=TIME),
)

_LEARNER_STATE = text(
    """
    SELECT
      coalesce((SELECT revision FROM badge_revisions WHERE tenant_id = :tenant), 0) AS badge_revision,
      (SELECT time_zone FROM learners WHERE tenant_id = :tenant AND learner_id = :learner) AS time_zone,
      (SELECT issuer_name FROM tenant_settings WHERE tenant_id = :tenant) AS issuer_name,
      (SELECT json_agg(json_build_array(badge_id, period, state, expire_time))
         FROM (SELECT DISTINCT ON (badge_id) badge_id, period, state, expire_time
                 FROM awards WHERE tenant_id = :tenant AND learner_id = :learner
                ORDER BY badge_id, period DESC) latest)::text AS standings,
      (SELECT json_agg(json_build_array(event_id, fact_type, occurred_at, attributes, score)
                       ORDER BY occurred_at, event_id)
         FROM facts WHERE tenant_id = :tenant AND learner_id = :learner)::text AS facts
    """
)

# One entry of each purpose from a slot no other transaction holds (NULLs: no such slot visible).
_TAKE_ENTRIES = text(
    """
    WITH revocation AS (
        UPDATE status_slots s SET next_index = s.next_index + 1
         WHERE s.tenant_id = :tenant AND s.slot_id = (
               SELECT slot_id FROM status_slots
                WHERE tenant_id = :tenant AND purpose = 'revocation' AND next_index < end_index
                LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING s.list_id, s.next_index - 1 AS entry
    ), suspension AS (
        UPDATE status_slots s SET next_index = s.next_index + 1
         WHERE s.tenant_id = :tenant AND s.slot_id = (
               SELECT slot_id FROM status_slots
                WHERE tenant_id = :tenant AND purpose = 'suspension' AND next_index < end_index
                LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING s.list_id, s.next_index - 1 AS entry
    )
    SELECT (SELECT list_id FROM revocation) AS revocation_list, (SELECT entry FROM revocation) AS revocation,
           (SELECT list_id FROM suspension) AS suspension_list, (SELECT entry FROM suspension) AS suspension
    """
)

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


def _utc(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value).astimezone(dt.UTC) if value is not None else None


def _standings(raw: str | None) -> dict[uuid.UUID, Standing]:
    found: dict[uuid.UUID, Standing] = {}
    for badge_id, period, state, expire_time in json.loads(raw) if raw else ():
        standing = Standing(uuid.UUID(badge_id), int(period), AwardState(state), _utc(expire_time))
        found[standing.badge_id] = standing
    return found


def _facts(raw: str | None) -> list[Fact]:
    facts: list[Fact] = []
    for event_id, fact_type, occurred_at, attributes, score in json.loads(raw) if raw else ():
        when = _utc(occurred_at)
        assert when is not None
        facts.append(Fact(event_id, FactType(fact_type), when, attributes, score))
    return facts


class AwardPathQueries:
    """The hot-path statements of one tenant (the session and tenant come from the repository)."""

    _s: AsyncSession
    _t: TenantId

    async def record_fact_locked(self, learner_id: str, fact: Fact) -> bool:
        """Take the learner's transaction lock and record the fact (once per event id) in one statement;
        False if the fact was recorded before.

        The lock serialises award decisions for one learner until the transaction ends, so concurrent
        events of a learner see each other's facts and never both miss nor both make an award. Reads that
        must see every fact committed before the lock come in later statements (a statement's snapshot is
        taken when it starts).
        """
        params = {
            "tenant": self._t,
            "event_id": uuid.UUID(fact.event_id),
            "learner": learner_id,
            "fact_type": fact.fact_type.value,
            "occurred_at": fact.occurred_at,
            "attributes": dict(fact.attributes),
            "score": fact.score,
            "key": f"aigym.achievements:{self._t}:{learner_id}",
        }
        row = (await self._s.execute(_RECORD_FACT, params)).one()
        return bool(row.added)

    async def learner_state(self, learner_id: str) -> LearnerState:
        """What evaluating an event of the learner reads, in one statement (see `LearnerState`)."""
        row = (await self._s.execute(_LEARNER_STATE, {"tenant": self._t, "learner": learner_id})).one()
        return LearnerState(
            badge_revision=int(row.badge_revision),
            time_zone=row.time_zone or "",
            standings=_standings(row.standings),
            facts=_facts(row.facts),
            issuer_name=row.issuer_name if row.issuer_name is not None else TenantSettings().issuer_name,
        )

    async def take_status_entries(self, now: dt.datetime) -> StatusEntries:
        """A revocation and a suspension status-list entry for a new credential: unique in the tenant and
        never handed out again once committed (an entry of a rolled-back award may be)."""
        row = (await self._s.execute(_TAKE_ENTRIES, {"tenant": self._t})).one()
        if row.revocation_list is not None and row.suspension_list is not None:
            return StatusEntries(row.revocation_list, row.revocation, row.suspension_list, row.suspension)
        # Both purposes, always in this order: the lists' rows are then locked in one order by every
        # transaction, however many awards it makes (an entry taken above stays unused: a gap, never reused).
        revocation = await self._new_slot("revocation", now)
        suspension = await self._new_slot("suspension", now)
        return StatusEntries(revocation[0], revocation[1], suspension[0], suspension[1])

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

    async def add_award(self, award: Award, now: dt.datetime) -> bool:
        """Insert an award and make its credential id publicly resolvable, in one statement; False if the
        learner already has an award of this badge and period (nothing is written then)."""
        assert award.status is not None
        params = {
            "tenant": self._t,
            "award_id": award.award_id,
            "badge_id": award.badge_id,
            "learner_id": award.learner_id,
            "period": award.period,
            "state": award.state.value,
            "source": award.source.value,
            "award_time": award.award_time,
            "expire_time": award.expire_time,
            "evidence": list(award.evidence),
            "awarded_by": award.awarded_by,
            "reason": award.reason,
            "program_id": award.program_id,
            "credential_id": award.credential_id,
            "credential_jwt": award.credential_jwt,
            "revocation_list_id": award.status.revocation_list_id,
            "revocation_index": award.status.revocation_index,
            "suspension_list_id": award.status.suspension_list_id,
            "suspension_index": award.status.suspension_index,
            "update_time": now,
        }
        return (await self._s.execute(_ADD_AWARD, params)).scalar_one_or_none() is not None
