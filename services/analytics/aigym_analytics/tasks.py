"""Celery wiring of the analytics service: its event handlers (run by `aigym_platform.jobs.worker`)."""

from __future__ import annotations

from celery import Celery

from aigym_analytics.ingest_service import Ingestion
from aigym_platform.events.consumer import bind_handlers
from aigym_platform.jobs.bridge import JobContext


def register(app: Celery, jobs: JobContext) -> None:
    """Bind every handler the event registry names for the analytics service."""
    bind_handlers(app, jobs, Ingestion().handlers())
