"""Celery wiring of the achievements service: event handlers, the per-tenant sweep (pending backfills,
expiries) and the beat schedule that fans it out (run by `aigym_platform.jobs.worker` / `.beat`)."""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from celery import Celery

from aigym_achievements.award_service import AwardsService
from aigym_achievements.bootstrap import SWEEP_JOB, awarder_from_settings
from aigym_achievements.event_handlers import EventHandlers
from aigym_achievements.public_service import NO_TENANT
from aigym_achievements.repository import due_tenants
from aigym_achievements.settings import AchievementsSettings
from aigym_platform.events.consumer import bind_handlers
from aigym_platform.identity import TenantId
from aigym_platform.jobs.app import route_task
from aigym_platform.jobs.beat import Schedule
from aigym_platform.jobs.bridge import JobContext
from aigym_platform.jobs.queues import job_task_name, jobs_queue
from aigym_platform.jobs.tasks import fan_out_per_tenant, tenant_job

log = logging.getLogger(__name__)
SERVICE = "achievements"
SCHEDULE_JOB = "schedule_sweeps"
SWEEP_EVERY_SECONDS = 60.0

SCHEDULES = [
    Schedule(
        name="achievements-sweep",
        task=job_task_name(SERVICE, SCHEDULE_JOB),
        queue=jobs_queue(SERVICE),
        every_seconds=SWEEP_EVERY_SECONDS,
    )
]
"""Every minute: find tenants with expired awards or pending backfills and run one sweep per tenant."""


def register(app: Celery, jobs: JobContext) -> None:
    """Bind every handler the event registry names for achievements, the sweep job and its scheduler."""
    awarder = awarder_from_settings(AchievementsSettings())
    handlers = EventHandlers(awarder)
    bind_handlers(
        app,
        jobs,
        {
            "record_block_completion": handlers.record_block_completion,
            "record_course_completion": handlers.record_course_completion,
            "record_milestone": handlers.record_milestone,
            "record_program_completion": handlers.record_program_completion,
            "record_learner": handlers.record_learner,
        },
    )

    async def sweep(context: JobContext, tenant_id: TenantId) -> None:
        service = AwardsService(context.uow, awarder)
        awarded = await service.run_backfills(tenant_id)
        expired = await service.expire_due(tenant_id)
        log.info("sweep of tenant %s: %s backfill awards, %s expiries", tenant_id, awarded, expired)

    sweep_task = tenant_job(app, jobs, SWEEP_JOB, sweep)

    async def tenants() -> list[uuid.UUID]:
        async with jobs.uow(NO_TENANT) as uow:
            return await due_tenants(uow.session, dt.datetime.now(dt.UTC))

    def schedule_sweeps() -> int:
        return fan_out_per_tenant(sweep_task, jobs.run(tenants())).sent

    name = job_task_name(SERVICE, SCHEDULE_JOB)
    app.task(name=name, acks_late=True)(schedule_sweeps)
    route_task(app, name, jobs_queue(SERVICE))
