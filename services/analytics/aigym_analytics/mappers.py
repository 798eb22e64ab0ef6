"""Proto <-> domain for the analytics service."""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from aigym.analytics.v1 import analytics_pb2 as pb
from aigym_analytics.domain import LocalRange, Scope, ScopeKind
from aigym_analytics.insights import Action, ActionKind, Risk, RiskCode
from aigym_analytics.report_repository import DeliveryRow, StoredReport, StoredRun
from aigym_analytics.report_service import etag_of
from aigym_analytics.reports import (
    DataScope,
    EmptyPolicy,
    Frequency,
    Recipient,
    ReportDefinition,
    ReportFormat,
    ReportType,
    Schedule,
)
from aigym_analytics.repository import Day, EnrollmentView
from aigym_analytics.service import (
    AtRiskResult,
    CourseResult,
    LearnerResult,
    OverviewResult,
    ProgramResult,
    RangeRequest,
    Series,
)
from aigym_platform.errors import InvalidArgument

_SCOPES = {ScopeKind.SELF: pb.SCOPE_SELF, ScopeKind.TEAM: pb.SCOPE_TEAM, ScopeKind.TENANT: pb.SCOPE_TENANT}
_RISKS = {
    RiskCode.BEHIND_PACE: pb.RISK_REASON_CODE_BEHIND_PACE,
    RiskCode.INACTIVE: pb.RISK_REASON_CODE_INACTIVE,
    RiskCode.LOW_SCORES: pb.RISK_REASON_CODE_LOW_SCORES,
    RiskCode.OVERDUE: pb.RISK_REASON_CODE_OVERDUE,
}
_ACTIONS = {
    ActionKind.NEAREST_DEADLINE: pb.RECOMMENDATION_KIND_NEAREST_DEADLINE,
    ActionKind.UNBLOCKS_MOST: pb.RECOMMENDATION_KIND_UNBLOCKS_MOST,
    ActionKind.RESUME: pb.RECOMMENDATION_KIND_RESUME,
}
STATES = ("pending_approval", "active", "completed", "withdrawn")


def _stamp(value: dt.datetime) -> Timestamp:
    out = Timestamp()
    out.FromDatetime(value)
    return out


def range_from_proto(message: pb.DateRange) -> RangeRequest:
    """The requested range as sent."""
    return RangeRequest(message.start_date, message.end_date, message.time_zone)


def range_to_proto(span: LocalRange) -> pb.DateRange:
    """The resolved range."""
    return pb.DateRange(
        start_date=span.start.isoformat(), end_date=span.end.isoformat(), time_zone=span.time_zone
    )


def day_to_proto(day: Day) -> pb.DailyPoint:
    """One day's counters."""
    return pb.DailyPoint(
        date=day.date.isoformat(),
        active_learners=day.active_learners,
        block_activities=day.block_activities,
        block_completions=day.block_completions,
        course_completions=day.course_completions,
        resets=day.resets,
        enrollments=day.enrollments,
        program_completions=day.program_completions,
        milestones=day.milestones,
        time_on_task_seconds=day.time_on_task_seconds,
        average_score=day.score_sum / day.scored if day.scored else 0.0,
        scored_activities=day.scored,
    )


def _states(states: dict[str, int]) -> list[pb.StateCount]:
    return [pb.StateCount(state=s, count=states.get(s, 0)) for s in STATES]


def _series(series: Series) -> tuple[list[pb.DailyPoint], pb.DailyPoint]:
    totals = day_to_proto(series.totals)
    totals.date = ""
    return [day_to_proto(d) for d in series.days], totals


def scope_to_proto(scope: Scope) -> pb.Scope:
    """The scope enum."""
    return _SCOPES[scope.kind]


def overview_to_proto(result: OverviewResult) -> pb.Overview:
    """The overview."""
    points, totals = _series(result.series)
    return pb.Overview(
        scope=scope_to_proto(result.scope),
        range=range_to_proto(result.span),
        points=points,
        totals=totals,
        enrollments_by_state=_states(result.states),
        learners_in_scope=result.learners_in_scope,
    )


def program_to_proto(result: ProgramResult) -> pb.ProgramPerformance:
    """A program's performance."""
    enrolled = result.funnel[0][2] if result.funnel else 0
    points, _ = _series(result.series)
    return pb.ProgramPerformance(
        program_id=result.program_id,
        title=result.title,
        scope=scope_to_proto(result.scope),
        range=range_to_proto(result.span),
        funnel=[
            pb.FunnelStep(key=k, label=label, enrollments=n, ratio=n / enrolled if enrolled else 0.0)
            for k, label, n in result.funnel
        ],
        completion_rate=result.completion_rate,
        median_days_to_complete=result.median_days_to_complete,
        overdue=result.overdue,
        stall_points=[
            pb.StallPoint(
                course_id=s.course_id,
                stalled_learners=s.learners,
                median_idle_days=s.median_idle_days,
            )
            for s in result.stall_points
        ],
        points=points,
        enrollments_by_state=_states(result.states),
    )


def course_to_proto(result: CourseResult) -> pb.CourseEngagement:
    """A course's engagement."""
    points, totals = _series(result.series)
    return pb.CourseEngagement(
        course_id=result.course_id,
        scope=scope_to_proto(result.scope),
        range=range_to_proto(result.span),
        points=points,
        totals=totals,
        blocks=[
            pb.BlockEngagement(block_id=b, activities=a, completions=c, learners=n, average_score=s)
            for b, a, c, n, s in result.blocks
        ],
    )


def _enrollment(view: EnrollmentView, now: dt.datetime) -> pb.EnrollmentSummary:
    total = len(view.course_ids)
    out = pb.EnrollmentSummary(
        enrollment_id=view.enrollment_id,
        program_id=view.program_id,
        program_title=view.program_title,
        state=view.state,
        progress=len(view.completed_courses) / total
        if total
        else (1.0 if view.state == "completed" else 0.0),
        overdue=view.state in ("active", "pending_approval")
        and view.due_time is not None
        and view.due_time < now,
    )
    if view.enroll_time:
        out.enroll_time.CopyFrom(_stamp(view.enroll_time))
    if view.due_time:
        out.due_time.CopyFrom(_stamp(view.due_time))
    if view.complete_time:
        out.complete_time.CopyFrom(_stamp(view.complete_time))
    return out


def learner_to_proto(result: LearnerResult) -> pb.LearnerSummary:
    """A learner's summary."""
    points, totals = _series(result.series)
    out = pb.LearnerSummary(
        learner_id=result.learner_id,
        display_name=result.display_name,
        range=range_to_proto(result.span),
        points=points,
        totals=totals,
        enrollments=[_enrollment(v, result.now) for v in result.enrollments],
        courses_completed=result.courses_completed,
    )
    if result.last_activity:
        out.last_activity_time.CopyFrom(_stamp(result.last_activity))
    return out


def _risk(risk: Risk, name: str) -> pb.AtRiskLearner:
    e = risk.enrollment
    out = pb.AtRiskLearner(
        learner_id=e.learner_id,
        display_name=name,
        enrollment_id=e.enrollment_id,
        program_id=e.program_id,
        risk_score=risk.score,
        reasons=[
            pb.RiskReason(code=_RISKS[r.code], weight=r.weight, explanation=r.explanation)
            for r in risk.reasons
        ],
        progress=e.progress,
    )
    if e.due_time:
        out.due_time.CopyFrom(_stamp(e.due_time))
    return out


def page_token(offset: int | None) -> str:
    """An opaque token for the next page ('' on the last page)."""
    return "" if offset is None else base64.urlsafe_b64encode(f"o:{offset}".encode()).decode()


def offset_from_token(token: str) -> int:
    """The offset a page token stands for (0 for ''); InvalidArgument if it is not one of ours."""
    if not token:
        return 0
    try:
        kind, _, value = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
        if kind != "o":
            raise ValueError(kind)
        return int(value)
    except (ValueError, UnicodeDecodeError):
        raise InvalidArgument.for_field(
            "page_token", "invalid page token", reason="INVALID_PAGE_TOKEN"
        ) from None


def at_risk_to_proto(result: AtRiskResult) -> pb.ListAtRiskLearnersResponse:
    """A page of at-risk learners."""
    return pb.ListAtRiskLearnersResponse(
        learners=[_risk(r, result.extra.get(r.enrollment.enrollment_id, "")) for r in result.risks],
        next_page_token=page_token(result.next_offset),
        scope=scope_to_proto(result.scope),
    )


def actions_to_proto(actions: list[Action]) -> pb.ListRecommendationsResponse:
    """Next-best actions."""
    out = pb.ListRecommendationsResponse()
    for a in actions:
        rec = out.recommendations.add(
            kind=_ACTIONS[a.kind],
            course_id=a.course_id,
            program_id=a.program_id,
            explanation=a.explanation,
            score=a.score,
        )
        if a.due_time:
            rec.due_time.CopyFrom(_stamp(a.due_time))
    return out


# --- reports ------------------------------------------------------------------------------------------------

_TYPES = {
    pb.REPORT_TYPE_OVERVIEW: ReportType.OVERVIEW,
    pb.REPORT_TYPE_PROGRAM: ReportType.PROGRAM,
    pb.REPORT_TYPE_AT_RISK: ReportType.AT_RISK,
    pb.REPORT_TYPE_ACTIVITY: ReportType.ACTIVITY,
}
_FORMATS = {
    pb.REPORT_FORMAT_CSV: ReportFormat.CSV,
    pb.REPORT_FORMAT_XLSX: ReportFormat.XLSX,
    pb.REPORT_FORMAT_PDF: ReportFormat.PDF,
}
_FREQUENCIES = {
    pb.FREQUENCY_MANUAL: Frequency.MANUAL,
    pb.FREQUENCY_DAILY: Frequency.DAILY,
    pb.FREQUENCY_WEEKLY: Frequency.WEEKLY,
    pb.FREQUENCY_MONTHLY: Frequency.MONTHLY,
    pb.FREQUENCY_CRON: Frequency.CRON,
}
_SCOPES_IN = {pb.DATA_SCOPE_OWNER: DataScope.OWNER, pb.DATA_SCOPE_RECIPIENT: DataScope.RECIPIENT}
_EMPTY = {pb.EMPTY_POLICY_SEND: EmptyPolicy.SEND, pb.EMPTY_POLICY_SKIP: EmptyPolicy.SKIP}
REPORT_FIELDS = (
    "title",
    "type",
    "program_id",
    "period_days",
    "format",
    "schedule",
    "recipients",
    "data_scope",
    "empty_policy",
)


def _pick(table: dict[Any, Any], value: int, field: str, default: Any = None) -> Any:
    if value in table:
        return table[value]
    if default is not None:
        return default
    raise InvalidArgument.for_field(field, "is required", reason="REQUIRED")


def _schedule(message: pb.ReportSchedule) -> Schedule:
    return Schedule(
        _pick(_FREQUENCIES, message.frequency, "report.schedule.frequency", Frequency.MANUAL),
        message.local_time,
        message.weekday,
        message.month_day,
        message.cron,
        message.time_zone or "UTC",
    )


def report_from_proto(message: pb.Report) -> ReportDefinition:
    """A definition from a create request (every enum required except the defaults named in the proto)."""
    return ReportDefinition(
        title=message.title,
        report_type=_pick(_TYPES, message.type, "report.type"),
        format=_pick(_FORMATS, message.format, "report.format"),
        schedule=_schedule(message.schedule),
        recipients=tuple(Recipient(r.email, r.webhook_url, r.webhook_secret) for r in message.recipients),
        data_scope=_pick(_SCOPES_IN, message.data_scope, "report.data_scope", DataScope.OWNER),
        empty_policy=_pick(_EMPTY, message.empty_policy, "report.empty_policy", EmptyPolicy.SEND),
        program_id=message.program_id,
        period_days=message.period_days or 7,
    )


def report_change(message: pb.Report, paths: list[str]) -> Callable[[ReportDefinition], ReportDefinition]:
    """A function applying the masked fields of `message` to a stored definition."""
    unknown = [p for p in paths if p not in REPORT_FIELDS]
    if unknown:
        raise InvalidArgument.for_field("update_mask", f"unknown fields {unknown}", reason="UNKNOWN_FIELD")
    given = report_from_proto_partial(message)

    def change(current: ReportDefinition) -> ReportDefinition:
        names = {"type": "report_type"}
        updates = {names.get(p, p): given[p] for p in (paths or list(given))}
        if "recipients" in updates:  # a recipient sent without its secret keeps the stored one (same URL)
            stored = {r.webhook_url: r.webhook_secret for r in current.recipients if r.webhook_url}
            updates["recipients"] = tuple(
                Recipient(r.email, r.webhook_url, r.webhook_secret or stored.get(r.webhook_url, ""))
                for r in updates["recipients"]
            )
        return current.with_changes(**updates)

    return change


def report_from_proto_partial(message: pb.Report) -> dict[str, Any]:
    """The fields a PATCH body carries (non-default values only)."""
    out: dict[str, Any] = {}
    if message.title:
        out["title"] = message.title
    if message.type:
        out["type"] = _pick(_TYPES, message.type, "report.type")
    if message.program_id:
        out["program_id"] = message.program_id
    if message.period_days:
        out["period_days"] = message.period_days
    if message.format:
        out["format"] = _pick(_FORMATS, message.format, "report.format")
    if message.HasField("schedule"):
        out["schedule"] = _schedule(message.schedule)
    if message.recipients:
        out["recipients"] = tuple(
            Recipient(r.email, r.webhook_url, r.webhook_secret) for r in message.recipients
        )
    if message.data_scope:
        out["data_scope"] = _pick(_SCOPES_IN, message.data_scope, "report.data_scope")
    if message.empty_policy:
        out["empty_policy"] = _pick(_EMPTY, message.empty_policy, "report.empty_policy")
    return out


def report_to_proto(report: StoredReport) -> pb.Report:
    """A stored definition (webhook secrets never leave the service)."""
    d = report.definition
    s = d.schedule
    out = pb.Report(
        report_id=str(report.report_id),
        title=d.title,
        type={v: k for k, v in _TYPES.items()}[d.report_type],
        program_id=d.program_id,
        period_days=d.period_days,
        format={v: k for k, v in _FORMATS.items()}[d.format],
        schedule=pb.ReportSchedule(
            frequency={v: k for k, v in _FREQUENCIES.items()}[s.frequency],
            local_time=s.local_time,
            weekday=s.weekday,
            month_day=s.month_day,
            cron=s.cron,
            time_zone=s.time_zone,
        ),
        recipients=[pb.Recipient(email=r.email, webhook_url=r.webhook_url) for r in d.recipients],
        data_scope={v: k for k, v in _SCOPES_IN.items()}[d.data_scope],
        empty_policy={v: k for k, v in _EMPTY.items()}[d.empty_policy],
        owner_id=report.owner_id,
        etag=etag_of(report),
    )
    out.create_time.CopyFrom(_stamp(report.create_time))
    out.update_time.CopyFrom(_stamp(report.update_time))
    if report.next_run_time:
        out.next_run_time.CopyFrom(_stamp(report.next_run_time))
    return out


def run_to_proto(run: StoredRun) -> pb.ReportRun:
    """A run."""
    out = pb.ReportRun(
        run_id=str(run.run_id),
        report_id=str(run.report_id),
        trigger=run.trigger,
        state=run.state,
        row_count=run.row_count,
        filename=run.filename,
        content_type=run.content_type,
        error=run.error,
        delivered=run.delivered,
        retrying=run.retrying,
        failed=run.failed,
    )
    out.scheduled_time.CopyFrom(_stamp(run.scheduled_time))
    out.create_time.CopyFrom(_stamp(run.create_time))
    return out


def delivery_to_proto(row: DeliveryRow) -> pb.ReportDelivery:
    """One delivery attempt."""
    out = pb.ReportDelivery(
        channel=row.channel,
        recipient=row.recipient,
        attempt=row.attempt,
        status=row.status,
        code=row.code,
        detail=row.detail,
    )
    out.attempt_time.CopyFrom(_stamp(row.attempt_time))
    if row.next_attempt_time:
        out.next_attempt_time.CopyFrom(_stamp(row.next_attempt_time))
    return out


def parse_uuid(value: str, field: str) -> uuid.UUID:
    """A UUID path parameter (the proto validates the format; this converts)."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidArgument.for_field(field, "must be a UUID", reason="INVALID_UUID") from None
