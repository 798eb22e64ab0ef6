"""Celery wiring of the calendar service: event handlers and the reminder job (run by the platform worker).

The beat runs `dispatch_reminders` every minute (SCHEDULES); it enqueues `send_reminders` once per tenant
that has events with reminders, so one tenant's failure never holds up the others.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from celery import Celery
from sqlalchemy.ext.asyncio import AsyncSession

from aigym_calendar.directory_service import DirectoryHandlers
from aigym_calendar.reminder_service import ReminderService
from aigym_calendar.repository import reminder_tenants
from aigym_calendar.settings import CalendarSettings
from aigym_platform.delivery import SmtpMailer, WebhookSender
from aigym_platform.events.consumer import bind_handlers
from aigym_platform.identity import TenantId
from aigym_platform.jobs.app import route_task
from aigym_platform.jobs.beat import Schedule
from aigym_platform.jobs.bridge import JobContext
from aigym_platform.jobs.queues import job_task_name, jobs_queue
from aigym_platform.jobs.tasks import fan_out_per_tenant, tenant_job

SERVICE = "calendar"
DISPATCH = job_task_name(SERVICE, "dispatch_reminders")
SCHEDULES = [
    Schedule("calendar-reminders", task=DISPATCH, queue=jobs_queue(SERVICE), every_seconds=60.0),
]


def reminder_service(jobs: JobContext, settings: CalendarSettings) -> ReminderService:
    """The reminder use cases on the worker's engine (email only when AIGYM_SMTP_URL is set)."""
    mailer = SmtpMailer(settings) if settings.smtp_url.get_secret_value() else None
    return ReminderService(
        jobs.uow,
        mailer,
        WebhookSender(settings),
        lookahead=timedelta(minutes=settings.calendar_reminder_lookahead_minutes),
    )


def register(app: Celery, jobs: JobContext) -> None:
    """Bind every handler the event registry names for the calendar service, and the reminder jobs."""
    handlers = DirectoryHandlers()
    bind_handlers(
        app,
        jobs,
        {
            "record_program_published": handlers.record_program_published,
            "record_enrollment_created": handlers.record_enrollment_created,
            "record_enrollment_approved": handlers.record_enrollment_approved,
            "record_enrollment_withdrawn": handlers.record_enrollment_withdrawn,
            "record_enrollment_dates_changed": handlers.record_enrollment_dates_changed,
            "record_learner_upserted": handlers.record_learner_upserted,
            "record_learner_deactivated": handlers.record_learner_deactivated,
        },
    )
    settings = CalendarSettings()
    reminders: list[ReminderService] = []

    async def send(context: JobContext, tenant: TenantId) -> None:
        if not reminders:
            reminders.append(reminder_service(context, settings))
        await reminders[0].run(tenant)

    per_tenant = tenant_job(app, jobs, "send_reminders", send)

    async def tenants() -> list[uuid.UUID]:
        async with AsyncSession(bind=jobs.engine) as session, session.begin():
            return await reminder_tenants(session)

    def dispatch() -> int:
        return fan_out_per_tenant(per_tenant, jobs.run(tenants())).sent

    dispatch.__name__ = dispatch.__qualname__ = "dispatch_reminders"
    app.task(name=DISPATCH, acks_late=True)(dispatch)
    route_task(app, DISPATCH, jobs_queue(SERVICE))
