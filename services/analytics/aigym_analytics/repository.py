"""All SQL of the dashboards and insights: reads of the hourly counters, facts and merged state.

Every query is scoped to the repository's tenant (RLS checks it again). `learners` arguments restrict a
query to a scope's learners; None means the whole tenant.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from aigym_analytics.domain import (
    SLOT_SECONDS,
    Dimension,
    LocalRange,
    Transition,
    fixed_offset,
    transition,
)
from aigym_analytics.rollup_repository import RollupRepository
from aigym_platform.identity import TenantId


@dataclass(frozen=True)
class Day:
    """One local day's counters."""

    date: dt.date
    active_learners: int = 0
    block_activities: int = 0
    block_completions: int = 0
    course_completions: int = 0
    resets: int = 0
    enrollments: int = 0
    program_completions: int = 0
    milestones: int = 0
    time_on_task_seconds: int = 0
    scored: int = 0
    score_sum: float = 0.0


@dataclass(frozen=True)
class EnrollmentView:
    """An enrolment joined with its program's courses and the learner's completed courses among them."""

    enrollment_id: str
    program_id: str
    learner_id: str
    state: str
    enroll_time: dt.datetime | None
    start_time: dt.datetime | None
    due_time: dt.datetime | None
    complete_time: dt.datetime | None
    program_title: str
    course_ids: tuple[str, ...]
    completed_courses: frozenset[str]
    last_activity: dt.datetime | None
    display_name: str


_SUMS = """sum(block_activities), sum(block_completions), sum(course_completions), sum(resets),
    sum(enrollments), sum(program_completions), sum(milestones), sum(time_on_task_seconds), sum(scored),
    sum(score_sum)"""

_FACT_SUMS = f"""count(*) FILTER (WHERE kind = 'block'), count(*) FILTER (WHERE kind = 'block' AND completed),
    count(*) FILTER (WHERE kind = 'course_completed'), count(*) FILTER (WHERE kind = 'reset'),
    count(*) FILTER (WHERE kind = 'enrolled'),
    count(*) FILTER (WHERE kind = 'program_completed') - count(*) FILTER (WHERE kind = 'reopened'),
    count(*) FILTER (WHERE kind = 'milestone'),
    {SLOT_SECONDS} * count(DISTINCT (learner_id,
        date_bin('15 minutes', occur_time, TIMESTAMPTZ '2000-01-01 00:00:00+00')))
        FILTER (WHERE kind = 'block'),
    count(score) FILTER (WHERE kind = 'block'), coalesce(sum(score) FILTER (WHERE kind = 'block'), 0)"""


COUNTERS: tuple[str, ...] = (
    "block_activities",
    "block_completions",
    "course_completions",
    "resets",
    "enrollments",
    "program_completions",
    "milestones",
    "time_on_task_seconds",
    "scored",
)


def _day(date: dt.date, active: int, sums: Sequence[Any]) -> Day:
    counters = {name: int(v or 0) for name, v in zip(COUNTERS, sums[:9], strict=True)}
    return Day(date, active, score_sum=float(sums[9] or 0.0), **counters)


class AnalyticsRepository:
    """Reads for one tenant."""

    def __init__(self, session: AsyncSession, tenant_id: TenantId) -> None:
        self._session = session
        self._tenant = tenant_id
        self._rollups = RollupRepository(session, tenant_id)

    async def _rows(self, sql: str, **params: Any) -> list[Any]:
        result = await self._session.execute(text(sql), {"tenant": self._tenant, **params})
        return list(result)

    # --- scope ---------------------------------------------------------------------------------------

    async def team_of(self, manager_id: str) -> frozenset[str]:
        """Everyone reporting to `manager_id` directly or through other managers (cycle-safe)."""
        rows = await self._rows(
            """WITH RECURSIVE team(learner_id) AS (
                   SELECT learner_id FROM learners WHERE tenant_id = :tenant AND manager_id = :manager
                   UNION
                   SELECT l.learner_id FROM learners l JOIN team t ON l.manager_id = t.learner_id
                   WHERE l.tenant_id = :tenant
               ) SELECT learner_id FROM team WHERE learner_id <> :manager""",
            manager=manager_id,
        )
        return frozenset(r[0] for r in rows)

    async def active_learner_count(self) -> int:
        """Active learners in the directory copy (the count its triggers keep)."""
        rows = await self._rows(
            "SELECT coalesce(sum(learners), 0) FROM learner_counts WHERE tenant_id = :tenant AND active"
        )
        return int(rows[0][0])

    # --- series ----------------------------------------------------------------------------------------

    async def hourly_series(
        self, dimension: Dimension, keys: Sequence[str], span: LocalRange
    ) -> tuple[list[Day], int]:
        """Local days of the counters of `keys` (summed), with active learners; and distinct active overall.

        Active learners come from the learner rows: of `keys` for the learner dimension, of everyone for
        the tenant dimension.
        """
        params = {
            "dim": dimension.value,
            "keys": list(keys),
            "start": span.utc_start,
            "end": span.utc_end,
            "tz": span.time_zone,
        }
        sums = await self._rows(
            f"""SELECT (hour AT TIME ZONE :tz)::date AS day, {_SUMS} FROM hourly_stats
                WHERE tenant_id = :tenant AND dimension = :dim AND key = ANY(:keys)
                  AND hour >= :start AND hour < :end
                GROUP BY 1""",  # noqa: S608 - constant column list
            **params,
        )
        if dimension in (Dimension.TENANT, Dimension.LEARNER):
            learner_filter = "" if dimension is Dimension.TENANT else "AND key = ANY(:keys)"
            stamp, who = "hour", "key"
            active_sql = f"""FROM hourly_stats WHERE tenant_id = :tenant AND dimension = 'learner'
                  AND block_activities > 0 AND hour >= :start AND hour < :end {learner_filter}"""
        elif dimension is Dimension.COURSE:
            stamp, who = "slot", "learner_id"
            active_sql = """FROM activity_slots WHERE tenant_id = :tenant AND course_id = ANY(:keys)
                  AND slot >= :start AND slot < :end"""
        else:  # a program's learners are active when its enrolment events happen
            stamp, who = "occur_time", "learner_id"
            active_sql = """FROM facts WHERE tenant_id = :tenant AND program_id = ANY(:keys)
                  AND occur_time >= :start AND occur_time < :end"""
        if dimension is Dimension.TENANT:
            active, overall = await self._tenant_active(span, active_sql, params)
        else:
            per_day = await self._rows(
                f"SELECT ({stamp} AT TIME ZONE :tz)::date, count(DISTINCT {who}) {active_sql} GROUP BY 1",
                **params,
            )
            active = {r[0]: int(r[1]) for r in per_day}
            overall = int((await self._rows(f"SELECT count(DISTINCT {who}) {active_sql}", **params))[0][0])
        by_day = {r[0]: _day(r[0], active.get(r[0], 0), r[1:]) for r in sums}
        return _fill(span, by_day, active), overall

    async def _tenant_active(
        self, span: LocalRange, active_sql: str, params: dict[str, Any]
    ) -> tuple[dict[dt.date, int], int]:
        """The tenant's distinct active learners per local day and over the range, from the rollups: a
        day of a fixed whole-hour offset is one row; a daylight saving day between whole-hour offsets is
        its start offset's day plus (or minus) the learners of the one hour it has more (or less) who were
        not active in the rest of it; any other day (a 30-minute shift) and a range the learners'
        first/last hours cannot answer read the learner-hours."""
        regular: list[tuple[int, dt.date]] = []
        transitions: list[tuple[dt.date, Transition]] = []
        irregular: list[dt.date] = []
        for day in span.days():
            offset = fixed_offset(day, span.zone)
            if offset is not None:
                regular.append((offset, day))
            elif (change := transition(day, span.zone)) is not None:
                regular.append((change.offset, day))
                transitions.append((day, change))
            else:
                irregular.append(day)
        active = await self._rollups.active_days(regular)
        for day, change in transitions:
            only = await self._rollups.active_only_in(change.hour, change.rest)
            active[day] = active.get(day, 0) + (only if change.longer else -only)
        for day in irregular:
            one = LocalRange(day, day, span.zone)
            rows = await self._rows(
                f"SELECT count(DISTINCT key) {active_sql}",
                **{**params, "start": one.utc_start, "end": one.utc_end},
            )
            active[day] = int(rows[0][0])
        overall = await self._rollups.active_between(span.utc_start, span.utc_end)
        if overall is None:
            overall = int((await self._rows(f"SELECT count(DISTINCT key) {active_sql}", **params))[0][0])
        return active, overall

    async def fact_series(
        self,
        span: LocalRange,
        learners: Sequence[str],
        *,
        course_id: str | None = None,
        program_id: str | None = None,
    ) -> tuple[list[Day], int]:
        """Local days computed from the raw facts of `learners` (optionally of one course or program)."""
        where = "tenant_id = :tenant AND occur_time >= :start AND occur_time < :end"
        where += " AND learner_id = ANY(:learners)"
        if course_id is not None:
            where += " AND course_id = :course"
        if program_id is not None:
            where += " AND program_id = :program"
        params = {
            "start": span.utc_start,
            "end": span.utc_end,
            "tz": span.time_zone,
            "learners": list(learners),
            "course": course_id,
            "program": program_id,
        }
        rows = await self._rows(
            f"""SELECT (occur_time AT TIME ZONE :tz)::date,
                       count(DISTINCT learner_id) FILTER (WHERE kind = 'block'), {_FACT_SUMS}
                FROM facts WHERE {where} GROUP BY 1""",  # noqa: S608 - constant fragments
            **params,
        )
        overall = await self._rows(
            f"SELECT count(DISTINCT learner_id) FILTER (WHERE kind = 'block') FROM facts WHERE {where}",  # noqa: S608
            **params,
        )
        by_day = {r[0]: _day(r[0], int(r[1]), r[2:]) for r in rows}
        return _fill(span, by_day, {}), int(overall[0][0])

    async def top_blocks(
        self, course_id: str, span: LocalRange, learners: Sequence[str] | None, limit: int = 50
    ) -> list[tuple[str, int, int, int, float]]:
        """(block, activities, completions, learners, mean score) of a course in the range, busiest first."""
        scope = "" if learners is None else "AND learner_id = ANY(:learners)"
        rows = await self._rows(
            f"""SELECT block_id, count(*), count(*) FILTER (WHERE completed), count(DISTINCT learner_id),
                       coalesce(avg(score), 0)
                FROM facts WHERE tenant_id = :tenant AND course_id = :course AND kind = 'block'
                  AND occur_time >= :start AND occur_time < :end {scope}
                GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT :limit""",  # noqa: S608 - constant fragment
            course=course_id,
            start=span.utc_start,
            end=span.utc_end,
            learners=list(learners or []),
            limit=limit,
        )
        return [(r[0], int(r[1]), int(r[2]), int(r[3]), float(r[4])) for r in rows]

    # --- enrolments ----------------------------------------------------------------------------------------

    async def enrollment_states(
        self, learners: Sequence[str] | None, program_id: str | None = None
    ) -> dict[str, int]:
        """Enrolments by state now: of the whole tenant (or program) from the counts the enrolments'
        triggers keep, of a set of learners by counting their enrolments."""
        if learners is None:
            rows = await self._rows(
                """SELECT state, sum(enrollments) FROM enrollment_counts WHERE tenant_id = :tenant
                     AND (CAST(:program AS text) IS NULL OR program_id = :program)
                   GROUP BY 1 HAVING sum(enrollments) > 0""",
                program=program_id,
            )
            return {r[0]: int(r[1]) for r in rows}
        rows = await self._rows(
            """SELECT state, count(*) FROM enrollments WHERE tenant_id = :tenant
                 AND (CAST(:all AS boolean) OR learner_id = ANY(:learners))
                 AND (CAST(:program AS text) IS NULL OR program_id = :program)
               GROUP BY 1""",
            all=learners is None,
            learners=list(learners or []),
            program=program_id,
        )
        return {r[0]: int(r[1]) for r in rows}

    async def program_title(self, program_id: str) -> str | None:
        """The program's title, or None if analytics never heard of it."""
        rows = await self._rows(
            "SELECT title FROM programs WHERE tenant_id = :tenant AND program_id = :program",
            program=program_id,
        )
        if rows:
            return str(rows[0][0])
        known = await self._rows(
            "SELECT 1 FROM enrollments WHERE tenant_id = :tenant AND program_id = :program LIMIT 1",
            program=program_id,
        )
        return "" if known else None

    async def funnel(
        self, program_id: str, span: LocalRange, learners: Sequence[str] | None
    ) -> tuple[dict[str, int], dict[str, int], float]:
        """Over enrolments created in the range (one scan): counts (enrolled; started: worked on a course of
        the program, reached a milestone or completed; completed; withdrawn), learners per milestone, and
        median days to complete of those completed."""
        params = {
            "program": program_id,
            "start": span.utc_start,
            "end": span.utc_end,
            "all": learners is None,
            "learners": list(learners or []),
        }
        rows = await self._rows(
            """WITH scoped AS MATERIALIZED (
                   SELECT e.state, e.milestones, e.enroll_time, e.complete_time, e.learner_id
                   FROM enrollments e WHERE e.tenant_id = :tenant AND e.program_id = :program
                     AND e.enroll_time >= :start AND e.enroll_time < :end
                     AND (CAST(:all AS boolean) OR e.learner_id = ANY(:learners)))
               SELECT count(*),
                   count(*) FILTER (WHERE s.state = 'completed' OR cardinality(s.milestones) > 0 OR EXISTS (
                       SELECT 1 FROM program_starts ps WHERE ps.tenant_id = :tenant
                         AND ps.program_id = :program AND ps.learner_id = s.learner_id)),
                   count(*) FILTER (WHERE s.state = 'completed'),
                   count(*) FILTER (WHERE s.state = 'withdrawn'),
                   coalesce(percentile_cont(0.5) WITHIN GROUP (
                       ORDER BY extract(epoch FROM s.complete_time - s.enroll_time) / 86400)
                       FILTER (WHERE s.state = 'completed'), 0),
                   (SELECT array_agg(ARRAY[m, n::text]) FROM (
                        SELECT m, count(*) AS n FROM scoped, unnest(scoped.milestones) m GROUP BY 1
                    ) AS reached)
               FROM scoped s""",
            **params,
        )
        c = rows[0]
        totals = {"enrolled": int(c[0]), "started": int(c[1]), "completed": int(c[2]), "withdrawn": int(c[3])}
        return totals, {str(m): int(n) for m, n in c[5] or []}, float(c[4])

    async def overdue(self, program_id: str, learners: Sequence[str] | None, now: dt.datetime) -> int:
        """Open enrolments of the program past their due time."""
        rows = await self._rows(
            """SELECT count(*) FROM enrollments WHERE tenant_id = :tenant AND program_id = :program
                 AND state IN ('active', 'pending_approval') AND due_time < :now
                 AND (CAST(:all AS boolean) OR learner_id = ANY(:learners))""",
            program=program_id,
            now=now,
            all=learners is None,
            learners=list(learners or []),
        )
        return int(rows[0][0])

    async def stall_groups(
        self, program_id: str, learners: Sequence[str] | None, last_day: dt.date, today: dt.date
    ) -> dict[str, list[tuple[int, int]]]:
        """Per course: (idle days, learners) of the program's learners of active enrolments who have not
        completed the course and were last active in it on `last_day` or before (UTC days). The whole tenant
        reads the trigger-kept stall buckets; a team joins its learners' rows. One row per course (arrays)."""
        if learners is None:
            groups = """SELECT course_id, :today - last_day AS idle, learners AS n FROM stall_buckets
                        WHERE tenant_id = :tenant AND program_id = :program AND last_day <= :last_day
                          AND learners > 0"""
        else:
            groups = """SELECT lc.course_id,
                               :today - (lc.last_activity_time AT TIME ZONE 'UTC')::date AS idle,
                               count(DISTINCT lc.learner_id) AS n
                        FROM enrollments e
                        JOIN programs p ON p.tenant_id = e.tenant_id AND p.program_id = e.program_id
                        JOIN learner_courses lc ON lc.tenant_id = e.tenant_id AND lc.learner_id = e.learner_id
                          AND lc.course_id = ANY(p.course_ids)
                        WHERE e.tenant_id = :tenant AND e.program_id = :program AND e.state = 'active'
                          AND e.learner_id = ANY(:learners) AND NOT lc.completed
                          AND (lc.last_activity_time AT TIME ZONE 'UTC')::date <= :last_day
                        GROUP BY 1, 2"""
        rows = await self._rows(
            f"SELECT course_id, array_agg(idle), array_agg(n) FROM ({groups}) AS g GROUP BY 1",  # noqa: S608
            program=program_id,
            learners=list(learners or []),
            last_day=last_day,
            today=today,
        )
        return {r[0]: list(zip(r[1], r[2], strict=True)) for r in rows}

    async def enrollment_views(
        self,
        *,
        learners: Sequence[str] | None,
        program_id: str | None = None,
        states: Sequence[str] = ("pending_approval", "active", "completed", "withdrawn"),
    ) -> list[EnrollmentView]:
        """Enrolments with their program's courses, the learner's completed ones and last activity."""
        rows = await self._rows(
            """SELECT e.enrollment_id, e.program_id, e.learner_id, e.state, e.enroll_time, e.start_time,
                      e.due_time, e.complete_time, coalesce(p.title, ''), coalesce(p.course_ids, '{}'),
                      coalesce((SELECT array_agg(lc.course_id) FROM learner_courses lc
                                WHERE lc.tenant_id = e.tenant_id AND lc.learner_id = e.learner_id
                                  AND lc.completed AND lc.course_id = ANY(p.course_ids)), '{}'),
                      (SELECT max(lc.last_activity_time) FROM learner_courses lc
                       WHERE lc.tenant_id = e.tenant_id AND lc.learner_id = e.learner_id),
                      coalesce(l.display_name, '')
               FROM enrollments e
               LEFT JOIN programs p ON p.tenant_id = e.tenant_id AND p.program_id = e.program_id
               LEFT JOIN learners l ON l.tenant_id = e.tenant_id AND l.learner_id = e.learner_id
               WHERE e.tenant_id = :tenant AND e.state = ANY(:states)
                 AND (CAST(:all AS boolean) OR e.learner_id = ANY(:learners))
                 AND (CAST(:program AS text) IS NULL OR e.program_id = :program)
               ORDER BY e.enroll_time DESC NULLS LAST, e.enrollment_id""",
            states=list(states),
            all=learners is None,
            learners=list(learners or []),
            program=program_id,
        )
        return [
            EnrollmentView(
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                r[5],
                r[6],
                r[7],
                r[8],
                tuple(r[9]),
                frozenset(r[10]),
                r[11],
                r[12],
            )
            for r in rows
        ]

    async def learner_courses(self, learner_id: str) -> dict[str, tuple[bool, dt.datetime]]:
        """course -> (completed in the current attempt, last activity) for one learner."""
        rows = await self._rows(
            """SELECT course_id, completed, last_activity_time FROM learner_courses
               WHERE tenant_id = :tenant AND learner_id = :learner""",
            learner=learner_id,
        )
        return {r[0]: (bool(r[1]), r[2]) for r in rows}

    async def display_name(self, learner_id: str) -> str | None:
        """The learner's name from the directory copy (None if unknown)."""
        rows = await self._rows(
            "SELECT display_name FROM learners WHERE tenant_id = :tenant AND learner_id = :learner",
            learner=learner_id,
        )
        return str(rows[0][0]) if rows else None

    async def learner_by_email(self, email: str) -> str | None:
        """The learner with this email in the directory copy (case-insensitive), if any."""
        rows = await self._rows(
            "SELECT learner_id FROM learners"
            " WHERE tenant_id = :tenant AND lower(email) = lower(:email) LIMIT 1",
            email=email,
        )
        return str(rows[0][0]) if rows else None

    async def activity_rows(
        self, span: LocalRange, learners: Sequence[str] | None, limit: int
    ) -> list[tuple[Any, ...]]:
        """Raw facts of the range in time order (time, learner, kind, course, program, block, done, score)."""
        rows = await self._rows(
            """SELECT occur_time, learner_id, kind, course_id, program_id, block_id, completed, score
               FROM facts
               WHERE tenant_id = :tenant AND occur_time >= :start AND occur_time < :end
                 AND (CAST(:all AS boolean) OR learner_id = ANY(:learners))
               ORDER BY occur_time, event_id LIMIT :limit""",
            start=span.utc_start,
            end=span.utc_end,
            all=learners is None,
            learners=list(learners or []),
            limit=limit,
        )
        return [tuple(r) for r in rows]

    async def low_scores(self, learners: Sequence[str], since: dt.datetime, below: float) -> dict[str, int]:
        """learner -> scored block records below `below` since `since`."""
        rows = await self._rows(
            """SELECT learner_id, count(*) FROM facts
               WHERE tenant_id = :tenant AND learner_id = ANY(:learners)
                 AND kind = 'block' AND score < :below AND occur_time >= :since GROUP BY 1""",
            learners=list(learners),
            since=since,
            below=below,
        )
        return {r[0]: int(r[1]) for r in rows}


def _fill(span: LocalRange, by_day: dict[dt.date, Day], active: dict[dt.date, int]) -> list[Day]:
    """One Day per day of the range (zeros where nothing happened)."""
    return [by_day.get(day) or Day(day, active.get(day, 0)) for day in span.days()]
