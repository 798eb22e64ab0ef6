"""Names of the Celery queues and tasks of each service (no Celery import: the registry uses these too)."""

from __future__ import annotations


def events_queue(service: str) -> str:
    """The queue of the events `service` consumes (its worker always listens to it)."""
    return f"aigym.{service}.events"


def jobs_queue(service: str) -> str:
    """The queue of `service`'s scheduled and background jobs (kept apart so jobs never delay events)."""
    return f"aigym.{service}.jobs"


def service_queues(service: str) -> tuple[str, ...]:
    """Every queue a worker of `service` consumes."""
    return (events_queue(service), jobs_queue(service))


def event_task_name(service: str, handler: str) -> str:
    """Celery task name of one event handler of `service`."""
    return f"aigym.{service}.events.{handler}"


def job_task_name(service: str, job: str) -> str:
    """Celery task name of one job of `service`."""
    return f"aigym.{service}.jobs.{job}"
