"""Celery wiring of the probe sink: its event handler, a per-tenant job, a fanned-out beat schedule."""

from __future__ import annotations

import json
import os

from celery import Celery

from aigym_platform.events.consumer import bind_handlers
from aigym_platform.identity import TenantId
from aigym_platform.jobs.app import route_task
from aigym_platform.jobs.beat import Schedule
from aigym_platform.jobs.bridge import JobContext
from aigym_platform.jobs.queues import job_task_name, jobs_queue
from aigym_platform.jobs.tasks import fan_out_per_tenant, tenant_job
from probesvc.service import count_probe, record_tick

SERVICE = "eventsink"
TICK_TENANTS_ENV = "PROBE_TICK_TENANTS"


def register(app: Celery, jobs: JobContext) -> None:
    """Bind the sink's handler and jobs to `app` (called by the platform's worker entry point)."""
    bind_handlers(app, jobs, {"count_probe": count_probe})

    async def tick(context: JobContext, tenant: TenantId) -> None:
        async with context.uow(tenant) as unit:
            await record_tick(unit, "tick")
            await unit.commit()

    tick_task = tenant_job(app, jobs, "tick", tick)

    @app.task(name=job_task_name(SERVICE, "fan_out_ticks"))
    def fan_out_ticks(tenants: list[str]) -> int:
        return fan_out_per_tenant(tick_task, tenants).sent

    route_task(app, fan_out_ticks.name, jobs_queue(SERVICE))


SCHEDULES = [
    Schedule(
        name="probe-ticks",
        task=job_task_name(SERVICE, "fan_out_ticks"),
        queue=jobs_queue(SERVICE),
        every_seconds=1.0,
        kwargs={"tenants": json.loads(os.environ.get(TICK_TENANTS_ENV, "[]"))},
    )
]
