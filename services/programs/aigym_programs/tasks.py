"""Celery wiring of the programs service: its event handlers (run by `aigym_platform.jobs.worker`)."""

from __future__ import annotations

from celery import Celery

from aigym_platform.events.consumer import bind_handlers
from aigym_platform.jobs.bridge import JobContext
from aigym_programs.progress_service import ProgramProgress


def register(app: Celery, jobs: JobContext) -> None:
    """Bind every handler the event registry names for the programs service."""
    progress = ProgramProgress()
    bind_handlers(
        app,
        jobs,
        {
            "record_course_completion": progress.record_course_completion,
            "record_progress_reset": progress.record_progress_reset,
        },
    )
