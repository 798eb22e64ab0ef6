"""Celery wiring of the analytics service: its event handlers and the scheduled-report jobs.

Beat runs two fan-outs every minute: tenants with a report due get `run_due_reports(tenant_id)`, tenants
with a delivery retry due get `retry_report_deliveries(tenant_id)`; and one nightly: every tenant with
analytics gets `maintain_analytics(tenant_id)` (raw-fact retention, then the consistency check). One
tenant's failure never stops the others (the platform's per-tenant fan-out).
"""

from __future__ import annotations

from celery import Celery

from aigym_analytics.bootstrap import report_service
from aigym_analytics.ingest_service import Ingestion
from aigym_analytics.maintenance import Maintenance
from aigym_analytics.report_service import ReportService
from aigym_analytics.settings import AnalyticsSettings
from aigym_platform.events.consumer import bind_handlers
from aigym_platform.identity import TenantId
from aigym_platform.jobs.app import route_task
from aigym_platform.jobs.beat import Schedule
from aigym_platform.jobs.bridge import JobContext
from aigym_platform.jobs.queues import job_task_name, jobs_queue
from aigym_platform.jobs.tasks import fan_out_per_tenant, tenant_job

SERVICE = "analytics"
RUN_DUE = "run_due_reports"
RETRY_DUE = "retry_report_deliveries"
FAN_OUT_RUNS = "fan_out_due_reports"
FAN_OUT_RETRIES = "fan_out_report_retries"
MAINTAIN = "maintain_analytics"
FAN_OUT_MAINTENANCE = "fan_out_maintenance"


def register(app: Celery, jobs: JobContext) -> None:
    """Bind every event handler the registry names for analytics, and the report jobs."""
    bind_handlers(app, jobs, Ingestion().handlers())
    settings = AnalyticsSettings()  # the delivery settings (AIGYM_SMTP_*, AIGYM_WEBHOOK_*) of this process
    holder: dict[str, ReportService] = {}

    def reports() -> ReportService:
        if "service" not in holder:  # built on first use, in the worker process (after fork)
            holder["service"] = report_service(settings, jobs.uow)
        return holder["service"]

    async def run_due(jobs: JobContext, tenant: TenantId) -> None:
        await reports().run_due(tenant)

    async def retry_due(jobs: JobContext, tenant: TenantId) -> None:
        await reports().retry_due(tenant)

    run_task = tenant_job(app, jobs, RUN_DUE, run_due)
    retry_task = tenant_job(app, jobs, RETRY_DUE, retry_due)

    @app.task(name=job_task_name(SERVICE, FAN_OUT_RUNS), acks_late=True)  # type: ignore[untyped-decorator]
    def fan_out_due_reports() -> int:
        return fan_out_per_tenant(run_task, jobs.run(reports().due_tenants())).sent

    @app.task(name=job_task_name(SERVICE, FAN_OUT_RETRIES), acks_late=True)  # type: ignore[untyped-decorator]
    def fan_out_report_retries() -> int:
        return fan_out_per_tenant(retry_task, jobs.run(reports().retry_tenants())).sent

    async def maintain(jobs: JobContext, tenant: TenantId) -> None:
        maintenance = Maintenance(jobs.uow)
        await maintenance.purge(tenant)
        await maintenance.check_consistency(tenant)

    maintain_task = tenant_job(app, jobs, MAINTAIN, maintain)

    @app.task(name=job_task_name(SERVICE, FAN_OUT_MAINTENANCE), acks_late=True)  # type: ignore[untyped-decorator]
    def fan_out_maintenance() -> int:
        return fan_out_per_tenant(maintain_task, jobs.run(Maintenance(jobs.uow).tenants())).sent

    route_task(app, fan_out_maintenance.name, jobs_queue(SERVICE))
    route_task(app, fan_out_due_reports.name, jobs_queue(SERVICE))
    route_task(app, fan_out_report_retries.name, jobs_queue(SERVICE))


SCHEDULES = [
    Schedule(  # retention, then the consistency check of the last two days, per tenant, nightly (UTC)
        name="analytics-maintenance",
        task=job_task_name(SERVICE, FAN_OUT_MAINTENANCE),
        queue=jobs_queue(SERVICE),
        cron="17 3 * * *",
    ),
    Schedule(
        name="analytics-due-reports",
        task=job_task_name(SERVICE, FAN_OUT_RUNS),
        queue=jobs_queue(SERVICE),
        every_seconds=60.0,
    ),
    Schedule(
        name="analytics-report-retries",
        task=job_task_name(SERVICE, FAN_OUT_RETRIES),
        queue=jobs_queue(SERVICE),
        every_seconds=60.0,
    ),
]
