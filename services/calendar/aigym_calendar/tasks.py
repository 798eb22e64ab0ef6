"""Celery wiring of the calendar service: its event handlers (run by `aigym_platform.jobs.worker`)."""

from __future__ import annotations

from celery import Celery

from aigym_calendar.directory_service import DirectoryHandlers
from aigym_platform.events.consumer import bind_handlers
from aigym_platform.jobs.bridge import JobContext


def register(app: Celery, jobs: JobContext) -> None:
    """Bind every handler the event registry names for the calendar service."""
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
