"""All SQL of the active-learner rollups: kept at ingestion, read by the tenant overview, rebuilt by backfill.

`active_learner_days` holds, for each whole-hour UTC offset from -12 to +14 and each local day of that
offset, how many distinct learners had block activity (a learner-hour counts toward the local day its
start falls in, as the hourly counters do). `learner_activity` holds each learner's first and last hour
with block activity. Both change only when a learner-hour gets its first block record, which the hourly
counter upsert reports; the learner's advisory lock makes the "is this the learner's first hour of that
local day" check exact under concurrent ingestion (the later transaction waits and then sees the earlier
one's committed hour). Both are pure functions of the set of active learner-hours, so redelivery (which
never re-adds counters) and arrival order cannot change them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from aigym_analytics.domain import MAX_OFFSET, MIN_OFFSET, first_in_day
from aigym_platform.identity import TenantId

# Per learner (any tenant: a collision only serialises two learners' first hours a little).
LEARNER_LOCK = "SELECT pg_advisory_xact_lock(hashtext('aigym.analytics.learner'), hashtext(:learner))"

# The learner-hours with block activity, from the raw facts or from the hourly counters (which outlive
# the facts' retention: the backfill reads these).
HOURS_FROM_FACTS = """SELECT DISTINCT learner_id, date_trunc('hour', occur_time, 'UTC') AS hour FROM facts
    WHERE tenant_id = :tenant AND kind = 'block'"""
HOURS_FROM_COUNTERS = """SELECT key AS learner_id, hour FROM hourly_stats
    WHERE tenant_id = :tenant AND dimension = 'learner' AND block_activities > 0"""

# Constant fragments only (offset bounds and the two learner-hour queries above), never input.
_DAYS_SQL = f"""WITH h AS ({{hours}})
SELECT o, ((h.hour AT TIME ZONE 'UTC') + o * INTERVAL '1 hour')::date AS day, count(DISTINCT h.learner_id)
FROM h CROSS JOIN generate_series({MIN_OFFSET}, {MAX_OFFSET}) AS o GROUP BY 1, 2"""  # noqa: S608
_ACTIVITY_SQL = """WITH h AS ({hours}) SELECT learner_id, min(hour), max(hour) FROM h GROUP BY 1"""
REBUILD_DAYS_SQL = (
    "INSERT INTO active_learner_days (tenant_id, utc_offset, day, learners) "  # noqa: S608
    f"SELECT :tenant, * FROM ({_DAYS_SQL.format(hours=HOURS_FROM_COUNTERS)}) AS d"
)
REBUILD_ACTIVITY_SQL = (
    "INSERT INTO learner_activity (tenant_id, learner_id, first_hour, last_hour) "  # noqa: S608
    f"SELECT :tenant, * FROM ({_ACTIVITY_SQL.format(hours=HOURS_FROM_COUNTERS)}) AS a"
)

DayKey = tuple[int, dt.date]

# Days whose first hour (in UTC) is at or after :since, for the windowed check; `day - o hours` is the
# day's start as a UTC timestamp.
_DAYS_SINCE = "(day - utc_offset * INTERVAL '1 hour') >= (CAST(:since AS timestamptz) AT TIME ZONE 'UTC')"
_RECOMPUTED_DAYS_SINCE = (
    "SELECT utc_offset, day, learners FROM ("  # noqa: S608 - constant fragments
    + _DAYS_SQL.format(hours=HOURS_FROM_COUNTERS + " AND hour >= :since")
    + f") AS d(utc_offset, day, learners) WHERE {_DAYS_SINCE}"
)


class RollupRepository:
    """The active-learner rollups of one tenant."""

    def __init__(self, session: AsyncSession, tenant_id: TenantId) -> None:
        self._session = session
        self._tenant = tenant_id

    async def _exec(self, sql: str, **params: Any) -> Any:
        return await self._session.execute(text(sql), {"tenant": self._tenant, **params})

    # --- ingestion --------------------------------------------------------------------------------------

    async def add_active_hour(self, learner_id: str, hour: dt.datetime) -> None:
        """Count a learner-hour's first block activity into the rollups (call once per new learner-hour)."""
        await self._exec(LEARNER_LOCK, learner=learner_id)
        rows = await self._exec(
            """SELECT hour FROM hourly_stats
               WHERE tenant_id = :tenant AND dimension = 'learner' AND key = :learner AND block_activities > 0
                 AND hour > CAST(:hour AS timestamptz) - INTERVAL '24 hours'
                 AND hour < CAST(:hour AS timestamptz) + INTERVAL '24 hours' AND hour <> :hour""",
            learner=learner_id,
            hour=hour,
        )
        days = sorted(first_in_day(hour, [r[0] for r in rows]))  # sorted: one row-lock order for everyone
        if days:
            values = ", ".join(f"(:tenant, :o{i}, :d{i}, 1)" for i in range(len(days)))
            params: dict[str, Any] = {}
            for i, (offset, day) in enumerate(days):
                params[f"o{i}"], params[f"d{i}"] = offset, day
            await self._exec(
                f"""INSERT INTO active_learner_days AS a (tenant_id, utc_offset, day, learners)
                    VALUES {values}
                    ON CONFLICT (tenant_id, utc_offset, day) DO UPDATE SET learners = a.learners + 1""",  # noqa: S608
                **params,
            )
        await self._exec(
            """INSERT INTO learner_activity AS a (tenant_id, learner_id, first_hour, last_hour)
               VALUES (:tenant, :learner, :hour, :hour)
               ON CONFLICT (tenant_id, learner_id) DO UPDATE SET
                 first_hour = LEAST(a.first_hour, excluded.first_hour),
                 last_hour = GREATEST(a.last_hour, excluded.last_hour)""",
            learner=learner_id,
            hour=hour,
        )

    # --- dashboards ---------------------------------------------------------------------------------------

    async def active_days(self, wanted: Sequence[tuple[int, dt.date]]) -> dict[dt.date, int]:
        """Distinct active learners of local days, each under its fixed offset (days without a row: none).

        Reads the offsets' rows over the days' span (two offsets of a zone with daylight saving: two index
        ranges) and keeps the wanted pairs."""
        if not wanted:
            return {}
        rows = await self._exec(
            """SELECT utc_offset, day, learners FROM active_learner_days
               WHERE tenant_id = :tenant AND utc_offset = ANY(CAST(:offsets AS smallint[]))
                 AND day >= :first AND day <= :last""",
            offsets=sorted({offset for offset, _ in wanted}),
            first=min(day for _, day in wanted),
            last=max(day for _, day in wanted),
        )
        keep = set(wanted)
        return {r[1]: int(r[2]) for r in rows if (r[0], r[1]) in keep}

    async def active_only_in(
        self, hours: tuple[dt.datetime, dt.datetime], rest: tuple[dt.datetime, dt.datetime]
    ) -> int:
        """Learners with block activity in the `hours` window and none in the `rest` window: each of the
        window's learner-hours probes the learner's hours in `rest` (index order: tenant, dimension,
        learner, hour), a few hundred probes instead of counting a whole day's learner-hours."""
        rows = await self._exec(
            """SELECT count(DISTINCT x.key) FILTER (WHERE (
                   SELECT true FROM hourly_stats y
                   WHERE y.tenant_id = x.tenant_id AND y.dimension = 'learner' AND y.key = x.key
                     AND y.hour >= :rest_start AND y.hour < :rest_end AND y.block_activities > 0
                   LIMIT 1) IS NULL)
               FROM hourly_stats x
               WHERE x.tenant_id = :tenant AND x.dimension = 'learner' AND x.block_activities > 0
                 AND x.hour >= :start AND x.hour < :end""",
            start=hours[0],
            end=hours[1],
            rest_start=rest[0],
            rest_end=rest[1],
        )
        return int(rows.scalar_one())

    async def active_between(self, start: dt.datetime, end: dt.datetime) -> int | None:
        """Distinct learners with block activity in [start, end) when the learners' first/last hours
        answer it exactly (no activity from `end` on: last >= start; or none before `start`: first < end);
        None otherwise. One round trip."""
        rows = await self._exec(
            """SELECT CASE
                 WHEN NOT EXISTS (SELECT 1 FROM learner_activity
                                  WHERE tenant_id = :tenant AND last_hour >= :end)
                 THEN (SELECT count(*) FROM learner_activity
                       WHERE tenant_id = :tenant AND last_hour >= :start)
                 WHEN NOT EXISTS (SELECT 1 FROM learner_activity
                                  WHERE tenant_id = :tenant AND first_hour < :start)
                 THEN (SELECT count(*) FROM learner_activity
                       WHERE tenant_id = :tenant AND first_hour < :end)
               END""",
            start=start,
            end=end,
        )
        count = rows.scalar_one()
        return None if count is None else int(count)

    # --- consistency ------------------------------------------------------------------------------------

    async def repair_since(self, since: dt.datetime) -> int:
        """Rewrite the rollup rows that learner-hours from `since` determine (days starting at or after
        `since`; learners active since) where they differ from the hourly counters; how many rows."""
        recomputed = await self._exec(_RECOMPUTED_DAYS_SINCE, since=since)
        stored = await self._exec(
            f"SELECT utc_offset, day, learners FROM active_learner_days WHERE tenant_id = :tenant AND {_DAYS_SINCE}",  # noqa: S608,E501
            since=since,
        )
        want = {(r[0], r[1]): int(r[2]) for r in recomputed}
        have = {(r[0], r[1]): int(r[2]) for r in stored}
        fixes = 0
        for (offset, day), count in {**{k: 0 for k in have}, **want}.items():
            if have.get((offset, day)) == (count or None):
                continue
            fixes += 1
            await self._exec(
                "DELETE FROM active_learner_days WHERE tenant_id = :tenant AND utc_offset = :o AND day = :d",
                o=offset,
                d=day,
            )
            if count:
                await self._exec(
                    "INSERT INTO active_learner_days (tenant_id, utc_offset, day, learners)"
                    " VALUES (:tenant, :o, :d, :n)",
                    o=offset,
                    d=day,
                    n=count,
                )
        spans = await self._exec(
            # Per learner active in the window, the first and last active hour of their whole history:
            # each an index probe at one end of the learner's rows, not a scan of the history.
            """SELECT k.key,
                      (SELECT min(h.hour) FROM hourly_stats h WHERE h.tenant_id = :tenant
                         AND h.dimension = 'learner' AND h.key = k.key AND h.block_activities > 0),
                      (SELECT max(h.hour) FROM hourly_stats h WHERE h.tenant_id = :tenant
                         AND h.dimension = 'learner' AND h.key = k.key AND h.block_activities > 0)
               FROM (SELECT DISTINCT key FROM hourly_stats WHERE tenant_id = :tenant AND dimension = 'learner'
                       AND block_activities > 0 AND hour >= :since) AS k""",
            since=since,
        )
        want_spans = {r[0]: (r[1], r[2]) for r in spans}
        stored_spans = await self._exec(
            """SELECT learner_id, first_hour, last_hour FROM learner_activity
               WHERE tenant_id = :tenant AND (last_hour >= :since OR learner_id = ANY(:learners))""",
            since=since,
            learners=list(want_spans),
        )
        have_spans = {r[0]: (r[1], r[2]) for r in stored_spans}
        for learner in have_spans.keys() | want_spans.keys():
            if have_spans.get(learner) == want_spans.get(learner):
                continue
            fixes += 1
            await self._exec(
                "DELETE FROM learner_activity WHERE tenant_id = :tenant AND learner_id = :learner",
                learner=learner,
            )
            if learner in want_spans:
                first, last = want_spans[learner]
                await self._exec(
                    "INSERT INTO learner_activity (tenant_id, learner_id, first_hour, last_hour)"
                    " VALUES (:tenant, :learner, :first, :last)",
                    learner=learner,
                    first=first,
                    last=last,
                )
        return fixes

    # --- recomputation and backfill ------------------------------------------------------------------------

    async def recomputed(
        self, hours_sql: str
    ) -> tuple[dict[DayKey, int], dict[str, tuple[dt.datetime, ...]]]:
        """Both rollups computed from scratch from a learner-hours query (HOURS_FROM_FACTS or _COUNTERS)."""
        days = await self._exec(_DAYS_SQL.format(hours=hours_sql))
        activity = await self._exec(_ACTIVITY_SQL.format(hours=hours_sql))
        return {(r[0], r[1]): int(r[2]) for r in days}, {r[0]: (r[1], r[2]) for r in activity}

    async def stored(self) -> tuple[dict[DayKey, int], dict[str, tuple[dt.datetime, ...]]]:
        """Both rollups as stored."""
        days = await self._exec(
            "SELECT utc_offset, day, learners FROM active_learner_days WHERE tenant_id = :tenant"
        )
        activity = await self._exec(
            "SELECT learner_id, first_hour, last_hour FROM learner_activity WHERE tenant_id = :tenant"
        )
        return {(r[0], r[1]): int(r[2]) for r in days}, {r[0]: (r[1], r[2]) for r in activity}

    async def rebuild(self) -> tuple[int, int]:
        """Replace both rollups with a recomputation from the hourly counters; (day rows, learner rows)."""
        await self._exec("DELETE FROM active_learner_days WHERE tenant_id = :tenant")
        await self._exec("DELETE FROM learner_activity WHERE tenant_id = :tenant")
        days = await self._exec(REBUILD_DAYS_SQL)
        learners = await self._exec(REBUILD_ACTIVITY_SQL)
        return int(days.rowcount or 0), int(learners.rowcount or 0)
