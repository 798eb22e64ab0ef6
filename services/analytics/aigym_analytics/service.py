"""Use cases of the dashboards and insights: scope the caller, read, shape the answer.

Dashboards read in read units (no transaction: each statement is its own snapshot, and a read of the
tenant the pooled connection served last costs only its statements); a dashboard's figures are counted
moments apart, never half-written (every ingestion transaction commits its fact, counters and rollups
together).

Scope: `client_admin` (and service or platform admins naming the tenant) see the tenant; a `manager` sees
the learners who report to them, directly or transitively (the learner directory copy that
`learner_upserted` events maintain); a learner sees only their own data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from aigym_analytics.domain import (
    Dimension,
    LocalRange,
    Scope,
    ScopeKind,
    StallPoint,
    last_stalled_day,
    resolve_range,
    stall_points,
)
from aigym_analytics.insights import (
    DEFAULT_INACTIVE_DAYS,
    LOW_SCORE,
    LOW_SCORE_WINDOW,
    Action,
    OpenEnrollment,
    Risk,
    assess,
    next_actions,
    rank,
)
from aigym_analytics.repository import COUNTERS, AnalyticsRepository, Day, EnrollmentView
from aigym_platform.db import UnitOfWorkFactory
from aigym_platform.errors import InvalidArgument, NotFound, PermissionDenied
from aigym_platform.identity import Identity, Role, TenantId

Clock = Callable[[], dt.datetime]


def utcnow() -> dt.datetime:
    """The current UTC time (the default clock)."""
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class RangeRequest:
    """A requested date range as sent (resolved by the service)."""

    start_date: str = ""
    end_date: str = ""
    time_zone: str = ""


@dataclass(frozen=True)
class Series:
    """Daily points and range totals (active learners distinct over the range)."""

    days: list[Day]
    totals: Day


@dataclass(frozen=True)
class OverviewResult:
    """Overview answer."""

    scope: Scope
    span: LocalRange
    series: Series
    states: dict[str, int]
    learners_in_scope: int


@dataclass(frozen=True)
class ProgramResult:
    """Program performance answer."""

    program_id: str
    title: str
    scope: Scope
    span: LocalRange
    funnel: list[tuple[str, str, int]]
    completion_rate: float
    median_days_to_complete: float
    overdue: int
    stall_points: list[StallPoint]
    series: Series
    states: dict[str, int]


@dataclass(frozen=True)
class CourseResult:
    """Course engagement answer."""

    course_id: str
    scope: Scope
    span: LocalRange
    series: Series
    blocks: list[tuple[str, int, int, int, float]]


@dataclass(frozen=True)
class LearnerResult:
    """Learner summary answer."""

    learner_id: str
    display_name: str
    span: LocalRange
    series: Series
    enrollments: list[EnrollmentView]
    last_activity: dt.datetime | None
    courses_completed: int
    now: dt.datetime


@dataclass(frozen=True)
class AtRiskResult:
    """A page of at-risk enrolments."""

    scope: Scope
    risks: list[Risk]
    next_offset: int | None = None
    extra: dict[str, str] = field(default_factory=dict)


def _totals(days: list[Day], active: int) -> Day:
    counters = {name: sum(getattr(d, name) for d in days) for name in COUNTERS}
    start = days[0].date if days else dt.date.min
    return Day(start, active, score_sum=sum(d.score_sum for d in days), **counters)


def open_enrollment(view: EnrollmentView) -> OpenEnrollment:
    """The insight rules' view of an enrolment."""
    return OpenEnrollment(
        view.enrollment_id,
        view.program_id,
        view.program_title,
        view.learner_id,
        view.start_time,
        view.due_time,
        view.course_ids,
        view.completed_courses,
        view.last_activity,
        view.enroll_time,
    )


class AnalyticsService:
    """Dashboards and insights over the ingested facts, scoped by the caller's role."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        repository: Callable[[AsyncSession, TenantId], AnalyticsRepository] = AnalyticsRepository,
        clock: Clock = utcnow,
    ) -> None:
        self._uow = uow
        self._repository = repository
        self._clock = clock

    @staticmethod
    async def _scope(identity: Identity, repo: AnalyticsRepository) -> Scope:
        if identity.has_role(Role.CLIENT_ADMIN):
            return Scope(ScopeKind.TENANT)
        if identity.has_role(Role.MANAGER):
            return Scope(ScopeKind.TEAM, await repo.team_of(identity.user_id))
        identity.require(Role.LEARNER)
        return Scope(ScopeKind.SELF, frozenset({identity.user_id}))

    @staticmethod
    def _learners(scope: Scope) -> list[str] | None:
        return None if scope.kind is ScopeKind.TENANT else sorted(scope.learner_ids)

    async def overview(self, identity: Identity, requested: RangeRequest) -> OverviewResult:
        """Daily series and enrolment states for the caller's scope."""
        span = resolve_range(requested.start_date, requested.end_date, requested.time_zone, self._clock())
        async with self._uow(identity.tenant_id, identity).reading() as uow:
            repo = self._repository(uow.session, identity.tenant_id)
            scope = await self._scope(identity, repo)
            if scope.kind is ScopeKind.TENANT:
                days, active = await repo.hourly_series(Dimension.TENANT, [""], span)
                learners_in_scope = await repo.active_learner_count()
            else:
                days, active = await repo.hourly_series(Dimension.LEARNER, sorted(scope.learner_ids), span)
                learners_in_scope = len(scope.learner_ids)
            states = await repo.enrollment_states(self._learners(scope))
        return OverviewResult(scope, span, Series(days, _totals(days, active)), states, learners_in_scope)

    async def program_performance(
        self, identity: Identity, program_id: str, requested: RangeRequest
    ) -> ProgramResult:
        """Funnel, completion rate, median time to complete, overdue, stall points and series of a program."""
        identity.require(Role.MANAGER)
        now = self._clock()
        span = resolve_range(requested.start_date, requested.end_date, requested.time_zone, now)
        async with self._uow(identity.tenant_id, identity).reading() as uow:
            repo = self._repository(uow.session, identity.tenant_id)
            title = await repo.program_title(program_id)
            if title is None:
                raise NotFound(f"program {program_id} has no analytics", reason="PROGRAM_NOT_FOUND")
            scope = await self._scope(identity, repo)
            learners = self._learners(scope)
            totals, milestones, median_days = await repo.funnel(program_id, span, learners)
            overdue = await repo.overdue(program_id, learners, now)
            stall_groups = await repo.stall_groups(
                program_id, learners, last_stalled_day(now), now.astimezone(dt.UTC).date()
            )
            states = await repo.enrollment_states(learners, program_id)
            if learners is None:
                days, active = await repo.hourly_series(Dimension.PROGRAM, [program_id], span)
            else:
                days, active = await repo.fact_series(span, learners, program_id=program_id)
        funnel = [("enrolled", "Enrolled", totals["enrolled"]), ("started", "Started", totals["started"])]
        funnel += [
            (f"milestone:{node}", f"Milestone {node}", count)
            for node, count in sorted(milestones.items(), key=lambda kv: (-kv[1], kv[0]))
        ]
        funnel.append(("completed", "Completed", totals["completed"]))
        base = totals["enrolled"] - totals["withdrawn"]
        rate = totals["completed"] / base if base > 0 else 0.0
        return ProgramResult(
            program_id,
            title,
            scope,
            span,
            funnel,
            rate,
            median_days,
            overdue,
            stall_points(stall_groups),
            Series(days, _totals(days, active)),
            states,
        )

    async def course_engagement(
        self, identity: Identity, course_id: str, requested: RangeRequest
    ) -> CourseResult:
        """Daily series and busiest blocks of a course."""
        identity.require(Role.MANAGER)
        span = resolve_range(requested.start_date, requested.end_date, requested.time_zone, self._clock())
        async with self._uow(identity.tenant_id, identity).reading() as uow:
            repo = self._repository(uow.session, identity.tenant_id)
            scope = await self._scope(identity, repo)
            learners = self._learners(scope)
            if learners is None:
                days, active = await repo.hourly_series(Dimension.COURSE, [course_id], span)
            else:
                days, active = await repo.fact_series(span, learners, course_id=course_id)
            blocks = await repo.top_blocks(course_id, span, learners)
        return CourseResult(course_id, scope, span, Series(days, _totals(days, active)), blocks)

    async def _learner_in_scope(self, identity: Identity, learner_id: str, repo: AnalyticsRepository) -> str:
        learner = identity.user_id if learner_id == "me" else learner_id
        scope = await self._scope(identity, repo)
        if not scope.allows(learner):
            raise PermissionDenied(
                f"learner {learner} is outside your scope ({scope.kind.value})", reason="LEARNER_OUT_OF_SCOPE"
            )
        return learner

    async def learner_summary(
        self, identity: Identity, learner_id: str, requested: RangeRequest
    ) -> LearnerResult:
        """A learner's enrolments, activity series and scores."""
        now = self._clock()
        span = resolve_range(requested.start_date, requested.end_date, requested.time_zone, now)
        async with self._uow(identity.tenant_id, identity).reading() as uow:
            repo = self._repository(uow.session, identity.tenant_id)
            learner = await self._learner_in_scope(identity, learner_id, repo)
            days, active = await repo.hourly_series(Dimension.LEARNER, [learner], span)
            enrollments = await repo.enrollment_views(learners=[learner])
            courses = await repo.learner_courses(learner)
            name = await repo.display_name(learner) or ""
        last = max((when for _, when in courses.values()), default=None)
        completed = sum(1 for done, _ in courses.values() if done)
        return LearnerResult(
            learner, name, span, Series(days, _totals(days, active)), enrollments, last, completed, now
        )

    async def at_risk(
        self, identity: Identity, program_id: str, inactive_days: int, page_size: int, offset: int
    ) -> AtRiskResult:
        """Open enrolments at risk in the caller's scope, ranked, with explained reasons."""
        identity.require(Role.MANAGER)
        if offset < 0:
            raise InvalidArgument.for_field("page_token", "invalid page token", reason="INVALID_PAGE_TOKEN")
        now = self._clock()
        async with self._uow(identity.tenant_id, identity) as uow:
            repo = self._repository(uow.session, identity.tenant_id)
            scope = await self._scope(identity, repo)
            views = await repo.enrollment_views(
                learners=self._learners(scope), program_id=program_id or None, states=("active",)
            )
            learners = sorted({v.learner_id for v in views})
            low = await repo.low_scores(learners, now - LOW_SCORE_WINDOW, LOW_SCORE) if learners else {}
        risks = rank(
            [
                assess(
                    open_enrollment(v), low.get(v.learner_id, 0), now, inactive_days or DEFAULT_INACTIVE_DAYS
                )
                for v in views
            ]
        )
        size = page_size or 50
        page = risks[offset : offset + size]
        names = {v.enrollment_id: v.display_name for v in views}
        more = offset + size if offset + size < len(risks) else None
        return AtRiskResult(scope, page, more, names)

    async def recommendations(self, identity: Identity, learner_id: str) -> list[Action]:
        """Next-best actions for a learner, each with its explanation."""
        now = self._clock()
        async with self._uow(identity.tenant_id, identity) as uow:
            repo = self._repository(uow.session, identity.tenant_id)
            learner = await self._learner_in_scope(identity, learner_id, repo)
            views = await repo.enrollment_views(learners=[learner], states=("active",))
            courses = await repo.learner_courses(learner)
        return next_actions([open_enrollment(v) for v in views], courses, now)
