"""Celery wiring of the progress service: directory events, the idle-session job and its beat schedule.

Beat runs `fan_out_idle_sessions` every minute; it asks the database which tenants have open sessions silent
for longer than the idle timeout (ids only) and enqueues `close_idle_sessions(tenant_id)` once per tenant,
so one tenant's failure never stops the others. `learner_upserted` events from programs keep the local
directory copy that scopes a manager's reads to their team.
"""

from __future__ import annotations

from celery import Celery

from aigym_platform.events.consumer import bind_handlers
from aigym_platform.identity import TenantId
from aigym_platform.jobs.app import route_task
from aigym_platform.jobs.beat import Schedule
from aigym_platform.jobs.bridge import JobContext
from aigym_platform.jobs.queues import job_task_name, jobs_queue
from aigym_platform.jobs.tasks import fan_out_per_tenant, tenant_job
from aigym_progress.directory_service import DirectoryHandlers
from aigym_progress.session_service import SessionService

SERVICE = "progress"
CLOSE_IDLE = "close_idle_sessions"
FAN_OUT_IDLE = "fan_out_idle_sessions"


async def close_idle_sessions(jobs: JobContext, tenant: TenantId) -> None:
    """The per-tenant job: close the tenant's abandoned sessions (publishing session_ended)."""
    await SessionService(jobs.uow).close_idle_sessions(tenant)


def register(app: Celery, jobs: JobContext) -> None:
    """Register the directory event handlers, the idle-session job and its fan-out (platform worker)."""
    bind_handlers(app, jobs, {"record_learner_upserted": DirectoryHandlers().record_learner_upserted})
    close_task = tenant_job(app, jobs, CLOSE_IDLE, close_idle_sessions)

    @app.task(name=job_task_name(SERVICE, FAN_OUT_IDLE), acks_late=True)  # type: ignore[untyped-decorator]
    def fan_out_idle_sessions() -> int:
        tenants = jobs.run(SessionService(jobs.uow).idle_tenants())
        return fan_out_per_tenant(close_task, tenants).sent

    route_task(app, fan_out_idle_sessions.name, jobs_queue(SERVICE))


SCHEDULES = [
    Schedule(
        name="progress-close-idle-sessions",
        task=job_task_name(SERVICE, FAN_OUT_IDLE),
        queue=jobs_queue(SERVICE),
        every_seconds=60.0,
    )
]
