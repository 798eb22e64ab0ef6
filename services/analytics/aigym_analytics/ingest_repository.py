"""All SQL of ingestion: raw facts, activity slots, hourly counters and the merged state tables.

Every statement is scoped to the repository's tenant (and RLS checks it again). State merges are
commutative (greatest attempt, state ranks, newest source time) so the arrival order of events never
matters.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from aigym_analytics.domain import (
    METRICS,
    SLOT_SECONDS,
    Dimension,
    Fact,
    FactKind,
    deltas,
    dimensions,
    hour_of,
    slot_of,
)
from aigym_platform.identity import TenantId

# Ingestion holds this lock shared; the consistency repair holds it exclusively, so a repair never
# overwrites counters with a snapshot that misses a concurrent ingestion.
# (table, its counts, the counted key, the count column): kept by triggers (migration 0006), checked by
# the consistency check.
ROW_COUNTS = (
    ("enrollments", "enrollment_counts", "tenant_id, program_id, state", "enrollments"),
    ("learners", "learner_counts", "tenant_id, active", "learners"),
)
# The stall buckets of a tenant from scratch: distinct learners of active enrolments per program, course
# of its course list they have not completed, and UTC day of their last activity in it.
STALL_BUCKETS_SQL = """
SELECT pc.program_id, lc.course_id, (lc.last_activity_time AT TIME ZONE 'UTC')::date AS last_day,
       count(*) AS n
FROM (SELECT program_id, unnest(course_ids) AS course_id FROM programs WHERE tenant_id = :tenant) AS pc
JOIN learner_courses lc ON lc.tenant_id = :tenant AND lc.course_id = pc.course_id AND NOT lc.completed
JOIN (SELECT DISTINCT program_id, learner_id FROM enrollments
      WHERE tenant_id = :tenant AND state = 'active') AS m
  ON m.program_id = pc.program_id AND m.learner_id = lc.learner_id
GROUP BY 1, 2, 3
"""
# Who started which program of a tenant: worked on a course of its current course list.
PROGRAM_STARTS_SQL = """
SELECT DISTINCT pc.program_id, lc.learner_id
FROM (SELECT program_id, unnest(course_ids) AS course_id FROM programs WHERE tenant_id = :tenant) AS pc
JOIN learner_courses lc ON lc.tenant_id = :tenant AND lc.course_id = pc.course_id
"""
TENANT_LOCK = "SELECT pg_advisory_xact_lock_shared(hashtext('aigym.analytics.ingest'), hashtext(:tenant))"
TENANT_LOCK_EXCLUSIVE = "SELECT pg_advisory_xact_lock(hashtext('aigym.analytics.ingest'), hashtext(:tenant))"

_COLUMNS = ", ".join(METRICS)
_EXCLUDED = ", ".join(f"{m} = hourly_stats.{m} + excluded.{m}" for m in METRICS)

# Recomputes every counter row from the facts (time on task from the distinct slots of block facts).
RECOMPUTE_SQL = """
WITH f AS (
    SELECT * FROM facts WHERE tenant_id = :tenant AND occur_time >= :since
), keyed AS (
    SELECT 'tenant' AS dimension, '' AS key, f.* FROM f
    UNION ALL SELECT 'learner', f.learner_id, f.* FROM f
    UNION ALL SELECT 'course', f.course_id, f.* FROM f WHERE f.course_id <> ''
    UNION ALL SELECT 'program', f.program_id, f.* FROM f WHERE f.program_id <> ''
), counted AS (
    SELECT dimension, key, date_trunc('hour', occur_time, 'UTC') AS hour,
        count(*) FILTER (WHERE kind = 'block') AS block_activities,
        count(*) FILTER (WHERE kind = 'block' AND completed) AS block_completions,
        count(*) FILTER (WHERE kind = 'course_completed') AS course_completions,
        count(*) FILTER (WHERE kind = 'reset') AS resets,
        count(*) FILTER (WHERE kind = 'enrolled') AS enrollments,
        count(*) FILTER (WHERE kind = 'program_completed')
            - count(*) FILTER (WHERE kind = 'reopened') AS program_completions,
        count(*) FILTER (WHERE kind = 'milestone') AS milestones,
        count(*) FILTER (WHERE kind = 'withdrawn') AS withdrawals,
        count(score) FILTER (WHERE kind = 'block') AS scored,
        coalesce(sum(score) FILTER (WHERE kind = 'block'), 0) AS score_sum
    FROM keyed GROUP BY 1, 2, 3
), slots AS (
    SELECT DISTINCT learner_id, '' AS course_id,
        date_bin('15 minutes', occur_time, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS slot
    FROM f WHERE kind = 'block'
    UNION
    SELECT DISTINCT learner_id, course_id,
        date_bin('15 minutes', occur_time, TIMESTAMPTZ '2000-01-01 00:00:00+00')
    FROM f WHERE kind = 'block'
), timed AS (
    SELECT d.dimension, d.key, date_trunc('hour', s.slot, 'UTC') AS hour, count(*) * :slot_seconds AS t
    FROM slots s
    CROSS JOIN LATERAL (VALUES ('tenant', '', s.course_id = ''), ('learner', s.learner_id, s.course_id = ''),
                               ('course', s.course_id, s.course_id <> '')) AS d(dimension, key, applies)
    WHERE d.applies
    GROUP BY 1, 2, 3
)
SELECT c.dimension, c.key, c.hour, c.block_activities, c.block_completions, c.course_completions, c.resets,
    c.enrollments, c.program_completions, c.milestones, c.withdrawals,
    coalesce(t.t, 0) AS time_on_task_seconds,
    c.scored, c.score_sum
FROM counted c LEFT JOIN timed t USING (dimension, key, hour)
"""

# Column lists interpolated into SQL below are the constant METRICS names, never input.
STORED_SQL = f"""
SELECT dimension, key, hour, {_COLUMNS} FROM hourly_stats
WHERE tenant_id = :tenant AND hour >= date_trunc('hour', CAST(:since AS timestamptz), 'UTC')
"""  # noqa: S608

StatKey = tuple[str, str, dt.datetime]


class IngestRepository:
    """Writes of the ingestion path for one tenant."""

    def __init__(self, session: AsyncSession, tenant_id: TenantId) -> None:
        self._session = session
        self._tenant = tenant_id

    async def _exec(self, sql: str, **params: Any) -> Any:
        return await self._session.execute(text(sql), {"tenant": self._tenant, **params})

    async def lock_shared(self) -> None:
        """Hold the tenant's ingestion lock (shared) until the transaction ends."""
        await self._exec(TENANT_LOCK, tenant=str(self._tenant))

    async def lock_exclusive(self) -> None:
        """Hold the tenant's ingestion lock exclusively (repairs) until the transaction ends."""
        await self._exec(TENANT_LOCK_EXCLUSIVE, tenant=str(self._tenant))

    async def add_fact(self, event_id: uuid.UUID, fact: Fact) -> bool:
        """Store a raw fact; False if this event's fact is already stored."""
        result = await self._exec(
            """INSERT INTO facts (tenant_id, event_id, kind, occur_time, learner_id, course_id, program_id,
                                  block_id, completed, score)
               VALUES (:tenant, :event_id, :kind, :occur_time, :learner_id, :course_id, :program_id,
                       :block_id, :completed, CAST(:score AS double precision))
               ON CONFLICT (tenant_id, event_id) DO NOTHING RETURNING 1""",
            event_id=event_id,
            kind=fact.kind.value,
            occur_time=fact.occur_time,
            learner_id=fact.learner_id,
            course_id=fact.course_id,
            program_id=fact.program_id,
            block_id=fact.block_id,
            completed=fact.completed,
            score=fact.score,
        )
        return result.first() is not None

    async def add_slots(self, fact: Fact) -> tuple[bool, bool]:
        """Mark the fact's quarter hour active (learner overall, learner in the course); which were new."""
        rows = await self._exec(
            """INSERT INTO activity_slots (tenant_id, learner_id, course_id, slot)
               VALUES (:tenant, :learner, '', :slot), (:tenant, :learner, :course, :slot)
               ON CONFLICT DO NOTHING RETURNING course_id""",
            learner=fact.learner_id,
            course=fact.course_id,
            slot=slot_of(fact.occur_time),
        )
        new = {row[0] for row in rows}
        return "" in new, fact.course_id in new

    async def add_counters(self, fact: Fact, learner_slot_new: bool, course_slot_new: bool) -> bool:
        """Add the fact's counters (and any new slot's time on task) to its hourly rows; True if this was
        the learner-hour's first block activity (the active-learner rollups then count it)."""
        base = deltas(fact)
        rows: list[dict[str, Any]] = []
        for dimension, key in dimensions(fact):
            values = {m: base.get(m, 0) for m in METRICS}
            new_slot = course_slot_new if dimension is Dimension.COURSE else learner_slot_new
            if fact.kind is FactKind.BLOCK and new_slot:
                values["time_on_task_seconds"] = SLOT_SECONDS
            rows.append({"dimension": dimension.value, "key": key, **values})
        placeholders = ", ".join(
            "(:tenant, :dimension{i}, :key{i}, :hour, {vals})".format(
                i=i, vals=", ".join(f":{m}{i}" for m in METRICS)
            )
            for i in range(len(rows))
        )
        params: dict[str, Any] = {"hour": hour_of(fact.occur_time)}
        for i, row in enumerate(rows):
            params.update({f"{name}{i}": value for name, value in row.items()})
        result = await self._exec(
            f"""INSERT INTO hourly_stats (tenant_id, dimension, key, hour, {_COLUMNS})
                VALUES {placeholders}
                ON CONFLICT (tenant_id, dimension, key, hour) DO UPDATE SET {_EXCLUDED}
                RETURNING dimension, block_activities""",  # noqa: S608
            **params,
        )
        after = {row[0]: int(row[1]) for row in result}
        return fact.kind is FactKind.BLOCK and after.get(Dimension.LEARNER.value) == 1

    # --- merged state ---------------------------------------------------------------------------------

    async def merge_learner_course(
        self, learner_id: str, course_id: str, attempt: int, when: dt.datetime, *, completed: bool | None
    ) -> None:
        """Merge block activity (completed None), a completion (True) or a reset (False, new attempt)."""
        await self._exec(
            """INSERT INTO learner_courses AS lc (tenant_id, learner_id, course_id, attempt, completed,
                                                  complete_time, last_activity_time)
               VALUES (:tenant, :learner, :course, :attempt, coalesce(CAST(:completed AS boolean), false),
                       CASE WHEN CAST(:completed AS boolean) THEN CAST(:when AS timestamptz) END,
                       CAST(:when AS timestamptz))
               ON CONFLICT (tenant_id, learner_id, course_id) DO UPDATE SET
                 completed = CASE
                   WHEN excluded.attempt > lc.attempt THEN excluded.completed
                   WHEN excluded.attempt = lc.attempt THEN lc.completed OR excluded.completed
                   ELSE lc.completed END,
                 complete_time = CASE
                   WHEN excluded.attempt > lc.attempt THEN excluded.complete_time
                   WHEN excluded.attempt = lc.attempt THEN coalesce(lc.complete_time, excluded.complete_time)
                   ELSE lc.complete_time END,
                 attempt = GREATEST(lc.attempt, excluded.attempt),
                 last_activity_time = GREATEST(lc.last_activity_time, excluded.last_activity_time)""",
            learner=learner_id,
            course=course_id,
            attempt=attempt,
            completed=completed,
            when=when,
        )

    async def merge_learner(self, values: dict[str, Any], when: dt.datetime) -> None:
        """Replace the learner's directory copy unless a newer change is already stored (profile and the
        active flag are merged separately: a deactivation carries no profile)."""
        await self._exec(
            """INSERT INTO learners AS l (tenant_id, learner_id, display_name, email, time_zone, manager_id,
                                          active, source_time, active_time)
               VALUES (:tenant, :learner_id, :display_name, :email, :time_zone, :manager_id, :active,
                       :when, :when)
               ON CONFLICT (tenant_id, learner_id) DO UPDATE SET
                 display_name = CASE WHEN l.source_time <= excluded.source_time
                                     THEN excluded.display_name ELSE l.display_name END,
                 email = CASE WHEN l.source_time <= excluded.source_time THEN excluded.email ELSE l.email END,
                 time_zone = CASE WHEN l.source_time <= excluded.source_time
                                  THEN excluded.time_zone ELSE l.time_zone END,
                 manager_id = CASE WHEN l.source_time <= excluded.source_time
                                   THEN excluded.manager_id ELSE l.manager_id END,
                 source_time = GREATEST(l.source_time, excluded.source_time),
                 active = CASE WHEN l.active_time < excluded.active_time THEN excluded.active
                               WHEN l.active_time = excluded.active_time THEN l.active AND excluded.active
                               ELSE l.active END,
                 active_time = GREATEST(l.active_time, excluded.active_time)""",
            when=when,
            **values,
        )

    async def deactivate_learner(self, learner_id: str, when: dt.datetime) -> None:
        """Mark a learner inactive unless a newer change of the flag is already stored."""
        await self._exec(
            """INSERT INTO learners AS l (tenant_id, learner_id, active, source_time, active_time)
               VALUES (:tenant, :learner, false, '-infinity', :when)
               ON CONFLICT (tenant_id, learner_id) DO UPDATE SET
                 active = CASE WHEN l.active_time <= excluded.active_time THEN false ELSE l.active END,
                 active_time = GREATEST(l.active_time, excluded.active_time)""",
            learner=learner_id,
            when=when,
        )

    async def merge_program(
        self, program_id: str, version: int, title: str, course_ids: Sequence[str]
    ) -> None:
        """Keep the newest published version's title and courses."""
        await self._exec(
            """INSERT INTO programs AS p (tenant_id, program_id, title, version, course_ids)
               VALUES (:tenant, :program, :title, :version, :courses)
               ON CONFLICT (tenant_id, program_id) DO UPDATE SET
                 title = excluded.title, version = excluded.version, course_ids = excluded.course_ids
               WHERE p.version <= excluded.version""",
            program=program_id,
            title=title,
            version=version,
            courses=list(course_ids),
        )

    async def archive_program(self, program_id: str) -> None:
        """Flag a program archived."""
        await self._exec(
            """INSERT INTO programs (tenant_id, program_id, archived) VALUES (:tenant, :program, true)
               ON CONFLICT (tenant_id, program_id) DO UPDATE SET archived = true""",
            program=program_id,
        )

    async def merge_enrollment(
        self,
        enrollment_id: str,
        program_id: str,
        learner_id: str,
        state: str,
        *,
        program_version: int = 0,
        enroll_time: dt.datetime | None = None,
        withdraw_time: dt.datetime | None = None,
        milestone: str | None = None,
    ) -> None:
        """Merge one enrolment event: the state of highest rank wins, times fill in, milestones accumulate
        (completions and their reversals: `merge_completion`)."""
        await self._exec(
            """INSERT INTO enrollments AS e (tenant_id, enrollment_id, program_id, learner_id,
                                             program_version,
                                             state, enroll_time, withdraw_time, milestones)
               VALUES (:tenant, :enrollment, :program, :learner, :version, :state,
                       CAST(:enroll_time AS timestamptz), CAST(:withdraw_time AS timestamptz),
                       CASE WHEN CAST(:milestone AS text) IS NULL THEN '{}'::varchar[]
                            ELSE ARRAY[CAST(:milestone AS varchar)] END)
               ON CONFLICT (tenant_id, enrollment_id) DO UPDATE SET
                 program_version = GREATEST(e.program_version, excluded.program_version),
                 state = CASE WHEN array_position(:ranks, excluded.state) > array_position(:ranks, e.state)
                              THEN excluded.state ELSE e.state END,
                 enroll_time = coalesce(e.enroll_time, excluded.enroll_time),
                 withdraw_time = coalesce(e.withdraw_time, excluded.withdraw_time),
                 milestones = CASE WHEN excluded.milestones <@ e.milestones THEN e.milestones
                                   ELSE e.milestones || excluded.milestones END""",
            enrollment=enrollment_id,
            program=program_id,
            learner=learner_id,
            version=program_version,
            state=state,
            enroll_time=enroll_time,
            withdraw_time=withdraw_time,
            milestone=milestone,
            ranks=["pending_approval", "active", "completed", "withdrawn"],
        )

    async def merge_completion(
        self,
        enrollment_id: str,
        program_id: str,
        learner_id: str,
        program_version: int,
        completed_at: dt.datetime,
        *,
        reopened: bool,
    ) -> None:
        """Merge a completion (`reopened` False) or the reversal of the completion at `completed_at` (True):
        the enrolment is completed while one of its completions is not reversed, at the latest such instant,
        else active (withdrawn stays withdrawn). Sets of instants, so any arrival order gives one result."""
        await self._exec(
            """INSERT INTO enrollments AS e (tenant_id, enrollment_id, program_id, learner_id,
                                             program_version, state, complete_time, completion_times,
                                             reopened_times)
               VALUES (:tenant, :enrollment, :program, :learner, :version,
                       CASE WHEN :reopened THEN 'active' ELSE 'completed' END,
                       CASE WHEN :reopened THEN NULL ELSE CAST(:at AS timestamptz) END,
                       CASE WHEN :reopened THEN '{}' ELSE ARRAY[CAST(:at AS timestamptz)] END,
                       CASE WHEN :reopened THEN ARRAY[CAST(:at AS timestamptz)] ELSE '{}' END)
               ON CONFLICT (tenant_id, enrollment_id) DO UPDATE SET
                 program_version = GREATEST(e.program_version, excluded.program_version),
                 completion_times = ARRAY(SELECT DISTINCT t
                                          FROM unnest(e.completion_times || excluded.completion_times) t
                                          ORDER BY t),
                 reopened_times = ARRAY(SELECT DISTINCT t
                                        FROM unnest(e.reopened_times || excluded.reopened_times) t
                                        ORDER BY t),
                 complete_time = (SELECT max(t)
                                  FROM unnest(e.completion_times || excluded.completion_times) t
                                  WHERE t <> ALL (e.reopened_times || excluded.reopened_times)),
                 state = CASE WHEN e.state = 'withdrawn' THEN e.state
                              WHEN EXISTS (SELECT
                                           FROM unnest(e.completion_times || excluded.completion_times) t
                                           WHERE t <> ALL (e.reopened_times || excluded.reopened_times))
                              THEN 'completed' ELSE 'active' END""",
            enrollment=enrollment_id,
            program=program_id,
            learner=learner_id,
            version=program_version,
            at=completed_at,
            reopened=reopened,
        )

    async def merge_enrollment_dates(
        self,
        enrollment_id: str,
        program_id: str,
        learner_id: str,
        dates: dict[str, dt.datetime | None],
        when: dt.datetime,
    ) -> None:
        """Set the enrolment's dates unless a newer change of them is already stored."""
        await self._exec(
            """INSERT INTO enrollments AS e (tenant_id, enrollment_id, program_id, learner_id, state,
                                             start_time, due_time, end_time, dates_time)
               VALUES (:tenant, :enrollment, :program, :learner, 'pending_approval',
                       CAST(:start_time AS timestamptz), CAST(:due_time AS timestamptz),
                       CAST(:end_time AS timestamptz), :when)
               ON CONFLICT (tenant_id, enrollment_id) DO UPDATE SET
                 start_time = excluded.start_time, due_time = excluded.due_time, end_time = excluded.end_time,
                 dates_time = excluded.dates_time
               WHERE e.dates_time IS NULL OR e.dates_time <= excluded.dates_time""",
            enrollment=enrollment_id,
            program=program_id,
            learner=learner_id,
            when=when,
            **dates,
        )

    # --- consistency ------------------------------------------------------------------------------------

    async def recomputed_stats(self, since: dt.datetime) -> dict[StatKey, tuple[float, ...]]:
        """Every counter row from `since` recomputed from the raw facts."""
        rows = await self._exec(RECOMPUTE_SQL, since=since, slot_seconds=SLOT_SECONDS)
        return {(r[0], r[1], r[2]): tuple(float(v) for v in r[3:]) for r in rows}

    async def stored_stats(self, since: dt.datetime) -> dict[StatKey, tuple[float, ...]]:
        """Every stored counter row from `since`'s hour."""
        rows = await self._exec(STORED_SQL, since=since)
        return {(r[0], r[1], r[2]): tuple(float(v) for v in r[3:]) for r in rows}

    async def replace_stats(self, key: StatKey, values: tuple[float, ...] | None) -> None:
        """Overwrite one counter row with recomputed values (None: delete it)."""
        dimension, name, hour = key
        if values is None:
            await self._exec(
                "DELETE FROM hourly_stats"
                " WHERE tenant_id = :tenant AND dimension = :d AND key = :k AND hour = :h",
                d=dimension,
                k=name,
                h=hour,
            )
            return
        params = dict(zip(METRICS, values, strict=True))
        await self._exec(
            f"""INSERT INTO hourly_stats (tenant_id, dimension, key, hour, {_COLUMNS})
                VALUES (:tenant, :d, :k, :h, {", ".join(f":{m}" for m in METRICS)})
                ON CONFLICT (tenant_id, dimension, key, hour) DO UPDATE SET
                {", ".join(f"{m} = excluded.{m}" for m in METRICS)}""",  # noqa: S608
            d=dimension,
            k=name,
            h=hour,
            **params,
        )

    # --- retention ---------------------------------------------------------------------------------------

    async def repair_row_counts(self) -> int:
        """Rewrite the counts the triggers keep (enrolments per program and state, directory learners per
        active flag) wherever they differ from a count of the rows; how many counter rows were rewritten."""
        repaired = 0
        for table, counts, keys, column in ROW_COUNTS:
            result = await self._exec(
                f"""WITH want AS (SELECT {keys}, count(*) AS n FROM {table} WHERE tenant_id = :tenant
                                  GROUP BY {keys}),
                         have AS (SELECT {keys}, {column} AS n FROM {counts} WHERE tenant_id = :tenant)
                    INSERT INTO {counts} AS c ({keys}, {column})
                    SELECT {keys}, coalesce(want.n, 0) FROM want FULL JOIN have USING ({keys})
                    WHERE coalesce(want.n, 0) <> coalesce(have.n, 0) ORDER BY {keys}
                    ON CONFLICT ({keys}) DO UPDATE SET {column} = excluded.{column}""",  # noqa: S608 - constants
            )
            repaired += int(result.rowcount or 0)
        return repaired

    async def repair_stall_state(self) -> tuple[int, int]:
        """Rewrite the stall buckets and program starts (kept by triggers, migration 0007) wherever they
        differ from a recomputation; (bucket rows rewritten, start rows added or removed)."""
        buckets = await self._exec(
            f"""WITH want AS ({STALL_BUCKETS_SQL}),
                     have AS (SELECT program_id, course_id, last_day, learners AS n FROM stall_buckets
                              WHERE tenant_id = :tenant)
                INSERT INTO stall_buckets AS b (tenant_id, program_id, course_id, last_day, learners)
                SELECT CAST(:tenant AS uuid), program_id, course_id, last_day, coalesce(want.n, 0)
                FROM want FULL JOIN have USING (program_id, course_id, last_day)
                WHERE coalesce(want.n, 0) <> coalesce(have.n, 0) ORDER BY 2, 3, 4
                ON CONFLICT (tenant_id, program_id, course_id, last_day)
                DO UPDATE SET learners = excluded.learners""",  # noqa: S608 - constant fragment
        )
        starts = await self._exec(
            f"""WITH want AS ({PROGRAM_STARTS_SQL}),
                     have AS (SELECT program_id, learner_id FROM program_starts WHERE tenant_id = :tenant),
                     removed AS (DELETE FROM program_starts ps
                                 USING (SELECT * FROM have EXCEPT SELECT * FROM want) AS extra
                                 WHERE ps.tenant_id = :tenant AND ps.program_id = extra.program_id
                                   AND ps.learner_id = extra.learner_id
                                 RETURNING 1),
                     added AS (INSERT INTO program_starts (tenant_id, program_id, learner_id)
                               SELECT CAST(:tenant AS uuid), program_id, learner_id
                               FROM (SELECT * FROM want EXCEPT SELECT * FROM have) AS missing
                               ORDER BY 2, 3 ON CONFLICT DO NOTHING RETURNING 1)
                SELECT (SELECT count(*) FROM removed) + (SELECT count(*) FROM added)""",  # noqa: S608
        )
        return int(buckets.rowcount or 0), int(starts.scalar_one())

    async def retention_days(self, default: int) -> int:
        """The tenant's raw-fact retention (its setting, else `default`)."""
        result = await self._exec(
            "SELECT fact_retention_days FROM analytics_settings WHERE tenant_id = :tenant"
        )
        row = result.first()
        return int(row[0]) if row else default

    async def set_retention_days(self, days: int, actor: str, now: dt.datetime) -> None:
        """Store the tenant's raw-fact retention."""
        await self._exec(
            """INSERT INTO analytics_settings (tenant_id, fact_retention_days, update_time, updated_by)
               VALUES (:tenant, :days, :now, :actor)
               ON CONFLICT (tenant_id) DO UPDATE SET fact_retention_days = excluded.fact_retention_days,
                 update_time = excluded.update_time, updated_by = excluded.updated_by""",
            days=days,
            now=now,
            actor=actor,
        )

    async def purge_facts(self, before: dt.datetime, limit: int) -> int:
        """Delete up to `limit` raw facts (and their activity slots) older than `before`; how many facts."""
        result = await self._exec(
            """DELETE FROM facts WHERE tenant_id = :tenant AND event_id IN (
                   SELECT event_id FROM facts WHERE tenant_id = :tenant AND occur_time < :before
                   LIMIT :limit)""",
            before=before,
            limit=limit,
        )
        await self._exec(
            "DELETE FROM activity_slots WHERE tenant_id = :tenant AND slot < date_bin('15 minutes', "
            "CAST(:before AS timestamptz), TIMESTAMPTZ '2000-01-01 00:00:00+00')",
            before=before,
        )
        return int(result.rowcount or 0)

    async def drop_empty_stall_buckets(self) -> int:
        """Delete the stall buckets no learner is in any more (the triggers only count down, so every day a
        learner moves on leaves one); how many. Safe beside ingestion without its lock: a bucket counted up
        meanwhile is re-checked under its row lock and kept, and an upsert that meets a deleted bucket
        inserts it anew."""
        result = await self._exec("DELETE FROM stall_buckets WHERE tenant_id = :tenant AND learners = 0")
        return int(result.rowcount or 0)

    async def tenants(self) -> list[uuid.UUID]:
        """Every tenant with analytics (a definer function: ids only, across tenants)."""
        result = await self._session.execute(text("SELECT analytics_tenants()"))
        return [r[0] for r in result]
