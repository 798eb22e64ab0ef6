"""Use cases of scheduled reports: definitions (audited), due runs, "run now", output, delivery and retries.

A run claims its schedule slot (unique per report, trigger and slot) and advances the schedule in one
transaction, so however many beats or workers see a report due, each slot runs once. Generating the output
and delivering it happen after that commit; every attempt per recipient is logged, transient failures get a
retry time with exponential backoff (beat picks them up), and one recipient's failure never stops the others.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from aigym_analytics.domain import Dimension, LocalRange, Scope, ScopeKind, parse_zone
from aigym_analytics.insights import LOW_SCORE, LOW_SCORE_WINDOW, assess, rank
from aigym_analytics.rendering import MEDIA_TYPES, Chart, Table, render
from aigym_analytics.report_repository import DeliveryRow, ReportRepository, StoredReport, StoredRun
from aigym_analytics.reports import (
    DataScope,
    EmptyPolicy,
    Recipient,
    ReportDefinition,
    ReportType,
    retry_at,
    validate,
)
from aigym_analytics.repository import AnalyticsRepository
from aigym_analytics.service import Clock, open_enrollment, utcnow
from aigym_platform.db import UnitOfWorkFactory
from aigym_platform.delivery import Attachment, DeliveryResult, DeliveryStatus, EmailMessage
from aigym_platform.errors import Aborted, NotFound
from aigym_platform.identity import Identity, Role, TenantId

log = logging.getLogger(__name__)
WEBHOOK_EVENT = "aigym.analytics.report_delivered.v1"
ACTIVITY_LIMIT = 1_000_000


class Mailer(Protocol):
    """What report delivery needs from `aigym_platform.delivery.SmtpMailer`."""

    async def send(
        self, message: EmailMessage, *, idempotency_key: str | None = None
    ) -> list[DeliveryResult]:
        """Send one email."""


class Hooks(Protocol):
    """What report delivery needs from `aigym_platform.delivery.WebhookSender`."""

    async def send(
        self,
        url: str,
        payload: Mapping[str, Any] | bytes,
        *,
        secrets: Sequence[str | bytes],
        event_type: str,
        idempotency_key: str | None = None,
    ) -> DeliveryResult:
        """Send one webhook."""


@dataclass(frozen=True)
class Output:
    """A rendered run output."""

    filename: str
    content_type: str
    content: bytes
    rows: int


def etag_of(report: StoredReport) -> str:
    """The concurrency token of a definition."""
    return f'W/"{report.revision}"'


class ReportService:
    """Scheduled reports of a tenant."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        mailer: Mailer | None,
        hooks: Hooks | None,
        clock: Clock = utcnow,
        reports: Callable[[AsyncSession, TenantId], ReportRepository] = ReportRepository,
        data: Callable[[AsyncSession, TenantId], AnalyticsRepository] = AnalyticsRepository,
        *,
        allow_private_webhooks: bool = False,
    ) -> None:
        self._uow, self._mailer, self._hooks, self._clock = uow, mailer, hooks, clock
        self._reports, self._data = reports, data
        self._allow_private_webhooks = allow_private_webhooks  # AIGYM_WEBHOOK_ALLOW_PRIVATE_ADDRESSES

    # --- definitions --------------------------------------------------------------------------------------

    @staticmethod
    def _check_owner(identity: Identity, report: StoredReport | None, report_id: uuid.UUID) -> StoredReport:
        if report is None or (
            not identity.has_role(Role.CLIENT_ADMIN) and report.owner_id != identity.user_id
        ):
            raise NotFound(f"report {report_id} not found", reason="REPORT_NOT_FOUND")
        return report

    async def create(self, identity: Identity, definition: ReportDefinition) -> StoredReport:
        """Define a report (manager or admin); its first run is scheduled from now."""
        identity.require(Role.MANAGER)
        validate(definition, allow_private_webhooks=self._allow_private_webhooks)
        now = self._clock()
        async with self._uow(identity.tenant_id, identity) as uow:
            repo = self._reports(uow.session, identity.tenant_id)
            stored = await repo.add(
                uuid.uuid4(),
                identity.user_id,
                sorted(r.value for r in identity.roles),
                definition,
                definition.schedule.next_after(now),
                now,
            )
            await uow.audit("report.create", "report", str(stored.report_id), after=_audit_view(definition))
            await uow.commit()
        return stored

    async def get(self, identity: Identity, report_id: uuid.UUID) -> StoredReport:
        """One report (admins: any; managers: their own)."""
        identity.require(Role.MANAGER)
        async with self._uow(identity.tenant_id, identity) as uow:
            found = await self._reports(uow.session, identity.tenant_id).get(report_id)
        return self._check_owner(identity, found, report_id)

    async def list_reports(
        self, identity: Identity, limit: int, offset: int
    ) -> tuple[list[StoredReport], bool]:
        """A page of reports and whether there are more."""
        identity.require(Role.MANAGER)
        owner = None if identity.has_role(Role.CLIENT_ADMIN) else identity.user_id
        async with self._uow(identity.tenant_id, identity) as uow:
            found = await self._reports(uow.session, identity.tenant_id).list_reports(
                owner, limit + 1, offset
            )
        return found[:limit], len(found) > limit

    async def update(
        self,
        identity: Identity,
        report_id: uuid.UUID,
        change: Callable[[ReportDefinition], ReportDefinition],
        etag: str,
    ) -> StoredReport:
        """Apply `change` to the definition; a stale `etag` is ABORTED; the schedule restarts from now."""
        identity.require(Role.MANAGER)
        now = self._clock()
        async with self._uow(identity.tenant_id, identity) as uow:
            repo = self._reports(uow.session, identity.tenant_id)
            current = self._check_owner(identity, await repo.get(report_id, lock=True), report_id)
            if etag and etag != etag_of(current):
                raise Aborted("the report changed since it was read", reason="ETAG_MISMATCH")
            changed = change(current.definition)
            validate(changed, allow_private_webhooks=self._allow_private_webhooks)
            stored = await repo.update(report_id, changed, changed.schedule.next_after(now), now)
            await uow.audit(
                "report.update",
                "report",
                str(report_id),
                before=_audit_view(current.definition),
                after=_audit_view(changed),
            )
            await uow.commit()
        return stored

    async def delete(self, identity: Identity, report_id: uuid.UUID) -> None:
        """Delete a report; its runs and delivery log stay."""
        identity.require(Role.MANAGER)
        async with self._uow(identity.tenant_id, identity) as uow:
            repo = self._reports(uow.session, identity.tenant_id)
            current = self._check_owner(identity, await repo.get(report_id, lock=True), report_id)
            await repo.delete(report_id, self._clock())
            await uow.audit("report.delete", "report", str(report_id), before=_audit_view(current.definition))
            await uow.commit()

    # --- runs --------------------------------------------------------------------------------------------

    async def run_now(self, identity: Identity, report_id: uuid.UUID) -> StoredRun:
        """Run a report immediately and deliver it."""
        report = await self.get(identity, report_id)
        run_id = uuid.uuid4()
        now = self._clock()
        async with self._uow(identity.tenant_id, identity) as uow:
            await self._reports(uow.session, identity.tenant_id).add_run(
                run_id, report_id, "manual", now, now
            )
            await uow.audit("report.run", "report", str(report_id), after={"run_id": str(run_id)})
            await uow.commit()
        return await self._execute(identity.tenant_id, report, run_id, now)

    async def run_due(self, tenant: TenantId) -> int:
        """Run every report of the tenant whose schedule slot has come (the beat job's body)."""
        now = self._clock()
        claimed: list[tuple[StoredReport, uuid.UUID, dt.datetime]] = []
        async with self._uow(tenant, None) as uow:
            repo = self._reports(uow.session, tenant)
            for report in await repo.due(now):
                slot = report.next_run_time
                assert slot is not None
                run_id = uuid.uuid4()
                if await repo.add_run(run_id, report.report_id, "schedule", slot, now):
                    claimed.append((report, run_id, slot))
                await repo.set_next_run(
                    report.report_id, report.definition.schedule.next_after(max(now, slot))
                )
            await uow.commit()
        for report, run_id, slot in claimed:
            try:
                await self._execute(tenant, report, run_id, slot)
            except Exception:  # one report's failure must not stop the tenant's others
                log.exception("report %s run %s failed", report.report_id, run_id)
        return len(claimed)

    async def due_tenants(self) -> list[uuid.UUID]:
        """Tenants with a report due (ids only)."""
        async with self._uow(TenantId(uuid.UUID(int=0)), None) as uow:
            return await self._reports(uow.session, TenantId(uuid.UUID(int=0))).due_tenants(self._clock())

    async def retry_tenants(self) -> list[uuid.UUID]:
        """Tenants with a delivery retry due (ids only)."""
        async with self._uow(TenantId(uuid.UUID(int=0)), None) as uow:
            return await self._reports(uow.session, TenantId(uuid.UUID(int=0))).retry_tenants(self._clock())

    async def _execute(
        self, tenant: TenantId, report: StoredReport, run_id: uuid.UUID, slot: dt.datetime
    ) -> StoredRun:
        definition = report.definition
        try:
            outputs = await self._outputs(tenant, report, slot)
        except Exception as exc:
            async with self._uow(tenant, None) as uow:
                await self._reports(uow.session, tenant).finish_run(
                    run_id, "failed", 0, "", "", None, str(exc)
                )
                await uow.commit()
            raise
        owner_output = outputs[None]
        empty = all(o.rows == 0 for o in outputs.values())
        state = "skipped_empty" if empty and definition.empty_policy is EmptyPolicy.SKIP else "succeeded"
        async with self._uow(tenant, None) as uow:
            await self._reports(uow.session, tenant).finish_run(
                run_id,
                state,
                owner_output.rows,
                owner_output.filename,
                owner_output.content_type,
                owner_output.content,
            )
            await uow.commit()
        if state == "succeeded":
            for index, recipient in enumerate(definition.recipients):
                output = outputs.get(recipient.email) or owner_output
                await self._deliver(tenant, report, run_id, index, recipient, output, attempt=1)
        async with self._uow(tenant, None) as uow:
            run = await self._reports(uow.session, tenant).run(run_id)
        assert run is not None
        return run

    async def retry_due(self, tenant: TenantId) -> int:
        """Retry every delivery of the tenant whose retry time has come (the beat job's body)."""
        now = self._clock()
        async with self._uow(tenant, None) as uow:
            repo = self._reports(uow.session, tenant)
            due = await repo.due_retries(now)
            work: list[tuple[DeliveryRow, StoredReport, tuple[str, str, bytes]]] = []
            for row in due:
                report_id = await repo.run_report_id(row.run_id)
                report = await repo.definition_any(report_id) if report_id else None
                content = await repo.content(report_id, row.run_id) if report_id else None
                if report and content:
                    work.append((row, report, content))
        for row, report, (filename, media, data) in work:
            recipient = report.definition.recipients[row.recipient_index]
            output = Output(filename, media, data, 0)
            await self._deliver(
                tenant, report, row.run_id, row.recipient_index, recipient, output, row.attempt + 1
            )
        return len(work)

    async def _deliver(
        self,
        tenant: TenantId,
        report: StoredReport,
        run_id: uuid.UUID,
        index: int,
        recipient: Recipient,
        output: Output,
        attempt: int,
    ) -> None:
        key = f"report-run:{run_id}:{index}"
        title = report.definition.title
        if (self._mailer if recipient.email else self._hooks) is None:
            result = DeliveryResult(
                "email" if recipient.email else "webhook",
                recipient.address,
                DeliveryStatus.TRANSIENT_FAILURE,
                "not_configured",
                f"{recipient.channel} delivery is not configured in this process",
                "",
                self._clock(),
                0.0,
            )
        elif recipient.email:
            assert self._mailer is not None
            message = EmailMessage(
                to=(recipient.email,),
                subject=f"[AI Gym] {title}",
                text=f'Your report "{title}" is attached ({output.filename}).',
                attachments=(Attachment(output.filename, output.content, output.content_type.split(";")[0]),),
            )
            result = (await self._mailer.send(message, idempotency_key=key))[0]
        else:
            assert self._hooks is not None
            payload: dict[str, object] = {
                "type": WEBHOOK_EVENT,
                "tenant_id": str(tenant),
                "report_id": str(report.report_id),
                "run_id": str(run_id),
                "title": title,
                "filename": output.filename,
                "content_type": output.content_type,
                "content_base64": base64.b64encode(output.content).decode(),
            }
            result = await self._hooks.send(
                recipient.webhook_url,
                payload,
                secrets=[recipient.webhook_secret],
                event_type=WEBHOOK_EVENT,
                idempotency_key=key,
            )
        now = self._clock()
        next_time = retry_at(attempt, now, result.retry_after_seconds) if result.retryable else None
        row = DeliveryRow(
            run_id,
            index,
            recipient.channel,
            recipient.address,
            attempt,
            result.status.value,
            result.code,
            result.detail[:2000],
            now,
            next_time,
        )
        async with self._uow(tenant, None) as uow:
            await self._reports(uow.session, tenant).add_delivery(row)
            await uow.commit()

    # --- reading runs ------------------------------------------------------------------------------------

    async def runs(
        self, identity: Identity, report_id: uuid.UUID, limit: int, offset: int
    ) -> tuple[list[StoredRun], bool]:
        """A page of a report's runs, newest first, and whether there are more."""
        await self._readable(identity, report_id)
        async with self._uow(identity.tenant_id, identity) as uow:
            found = await self._reports(uow.session, identity.tenant_id).runs(report_id, limit + 1, offset)
        return found[:limit], len(found) > limit

    async def content(
        self, identity: Identity, report_id: uuid.UUID, run_id: uuid.UUID
    ) -> tuple[str, str, bytes]:
        """A run's stored output."""
        await self._readable(identity, report_id)
        async with self._uow(identity.tenant_id, identity) as uow:
            found = await self._reports(uow.session, identity.tenant_id).content(report_id, run_id)
        if found is None:
            raise NotFound(f"run {run_id} has no stored output", reason="RUN_NOT_FOUND")
        return found

    async def deliveries(
        self, identity: Identity, report_id: uuid.UUID, run_id: uuid.UUID
    ) -> list[DeliveryRow]:
        """Every delivery attempt of a run."""
        await self._readable(identity, report_id)
        async with self._uow(identity.tenant_id, identity) as uow:
            repo = self._reports(uow.session, identity.tenant_id)
            if await repo.run_report_id(run_id) != report_id:
                raise NotFound(f"run {run_id} not found", reason="RUN_NOT_FOUND")
            return await repo.deliveries(run_id)

    async def _readable(self, identity: Identity, report_id: uuid.UUID) -> StoredReport:
        identity.require(Role.MANAGER)
        async with self._uow(identity.tenant_id, identity) as uow:
            found = await self._reports(uow.session, identity.tenant_id).definition_any(report_id)
        return self._check_owner(identity, found, report_id)

    # --- output ------------------------------------------------------------------------------------------

    async def _outputs(
        self, tenant: TenantId, report: StoredReport, slot: dt.datetime
    ) -> dict[str | None, Output]:
        """The owner's output (key None) and, for recipient scope, one per email recipient."""
        definition = report.definition
        zone = parse_zone(definition.schedule.time_zone, "report.schedule.time_zone")
        end = slot.astimezone(zone).date() - dt.timedelta(
            days=1
        )  # the period ends with the day before the run
        span = LocalRange(end - dt.timedelta(days=definition.period_days - 1), end, zone)
        outputs: dict[str | None, Output] = {}
        async with self._uow(tenant, None) as uow:
            data = self._data(uow.session, tenant)
            owner_scope = await _scope_of(data, report.owner_id, report.owner_roles)
            outputs[None] = await self._render(data, definition, span, owner_scope, slot)
            if definition.data_scope is DataScope.RECIPIENT:
                for recipient in definition.recipients:
                    if recipient.email:
                        scope = await _scope_for_email(data, recipient.email)
                        outputs[recipient.email] = await self._render(data, definition, span, scope, slot)
        return outputs

    async def _render(
        self,
        data: AnalyticsRepository,
        definition: ReportDefinition,
        span: LocalRange,
        scope: Scope,
        slot: dt.datetime,
    ) -> Output:
        table = await build_table(data, definition, span, scope, slot)
        # Rendering a large report is seconds of CPU: off the event loop, which keeps serving other calls.
        content = await asyncio.to_thread(render, table, definition.format)
        stamp = span.end.isoformat()
        safe = (
            "".join(c if c.isalnum() or c in "-_" else "-" for c in definition.title.lower())[:80] or "report"
        )
        return Output(
            f"{safe}-{stamp}.{definition.format.value}",
            MEDIA_TYPES[definition.format],
            content,
            len(table.rows),
        )


async def _scope_of(data: AnalyticsRepository, user: str, roles: Sequence[str]) -> Scope:
    if {"client_admin", "platform_admin", "service"} & set(roles):
        return Scope(ScopeKind.TENANT)
    if "manager" in roles:
        return Scope(ScopeKind.TEAM, await data.team_of(user))
    return Scope(ScopeKind.SELF, frozenset({user}))


async def _scope_for_email(data: AnalyticsRepository, email: str) -> Scope:
    learner = await data.learner_by_email(email)
    if learner is None:
        return Scope(ScopeKind.SELF, frozenset())  # unknown recipients see nothing
    return Scope(ScopeKind.TEAM, await data.team_of(learner) | {learner})


async def build_table(
    data: AnalyticsRepository, definition: ReportDefinition, span: LocalRange, scope: Scope, now: dt.datetime
) -> Table:
    """The rows of a report for a scope and period."""
    learners = None if scope.kind is ScopeKind.TENANT else sorted(scope.learner_ids)
    subtitle = (
        f"{span.start.isoformat()} .. {span.end.isoformat()} ({span.time_zone}), scope {scope.kind.value}"
    )
    kind = definition.report_type
    if kind is ReportType.OVERVIEW:
        if learners is None:
            days, _ = await data.hourly_series(Dimension.TENANT, [""], span)
        else:
            days, _ = await data.hourly_series(Dimension.LEARNER, learners, span)
        columns = [
            "date",
            "active_learners",
            "block_activities",
            "block_completions",
            "course_completions",
            "enrollments",
            "program_completions",
            "time_on_task_minutes",
            "average_score",
        ]
        rows = [
            [
                d.date,
                d.active_learners,
                d.block_activities,
                d.block_completions,
                d.course_completions,
                d.enrollments,
                d.program_completions,
                d.time_on_task_seconds // 60,
                round(d.score_sum / d.scored, 4) if d.scored else "",
            ]
            for d in days
        ]
        chart = Chart(
            "line", "date", ("active_learners", "course_completions"), "Active learners and completions"
        )
        return Table(definition.title, columns, rows, chart, subtitle)
    if kind is ReportType.PROGRAM:
        totals, milestones, median_days = await data.funnel(definition.program_id, span, learners)
        overdue = await data.overdue(definition.program_id, learners, now)
        rows = [["enrolled", totals["enrolled"]], ["started", totals["started"]]]
        rows += [[f"milestone {m}", n] for m, n in sorted(milestones.items(), key=lambda kv: (-kv[1], kv[0]))]
        rows += [
            ["completed", totals["completed"]],
            ["withdrawn", totals["withdrawn"]],
            ["overdue now", overdue],
            ["median days to complete", round(median_days, 2)],
        ]
        chart = Chart("bar", "step", ("enrollments",), "Funnel")
        funnel_rows = [r for r in rows if r[0] not in ("withdrawn", "overdue now", "median days to complete")]
        table = Table(definition.title, ["step", "enrollments"], rows, None, subtitle)
        table.chart = chart if funnel_rows else None
        return table
    if kind is ReportType.AT_RISK:
        views = await data.enrollment_views(learners=learners, states=("active",))
        ids = sorted({v.learner_id for v in views})
        low = await data.low_scores(ids, now - LOW_SCORE_WINDOW, LOW_SCORE) if ids else {}
        risks = rank([assess(open_enrollment(v), low.get(v.learner_id, 0), now, 14) for v in views])
        names = {v.enrollment_id: v.display_name for v in views}
        rows = [
            [
                r.enrollment.learner_id,
                names.get(r.enrollment.enrollment_id, ""),
                r.enrollment.program_id,
                r.score,
                round(r.enrollment.progress, 4),
                "; ".join(x.explanation for x in r.reasons),
            ]
            for r in risks
        ]
        return Table(
            definition.title,
            ["learner_id", "name", "program_id", "risk_score", "progress", "reasons"],
            rows,
            None,
            subtitle,
        )
    activity = await data.activity_rows(span, learners, ACTIVITY_LIMIT)
    columns = ["time", "learner_id", "kind", "course_id", "program_id", "block_id", "completed", "score"]
    return Table(definition.title, columns, activity, None, subtitle)


def _audit_view(definition: ReportDefinition) -> dict[str, object]:
    """A definition as audited (webhook secrets left out)."""
    return {
        "title": definition.title,
        "type": definition.report_type.value,
        "format": definition.format.value,
        "schedule": definition.schedule.frequency.value,
        "recipients": [r.address for r in definition.recipients],
        "data_scope": definition.data_scope.value,
    }
