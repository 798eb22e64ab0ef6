"""Thin job tasks: ids + tenant in, one async service-layer call through the bridge; per-tenant fan-out."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from typing import Any

from celery import Celery, Task

from aigym_platform.identity import TenantId
from aigym_platform.jobs.app import route_task
from aigym_platform.jobs.bridge import JobContext
from aigym_platform.jobs.queues import job_task_name, jobs_queue

log = logging.getLogger(__name__)

TenantJob = Callable[[JobContext, TenantId], Coroutine[Any, Any, None]]
"""A job's service-layer body for one tenant."""


def tenant_job(app: Celery, jobs: JobContext, name: str, body: TenantJob) -> Task:
    """Register `aigym.<service>.jobs.<name>(tenant_id)`: runs `body` for one tenant on the process loop."""

    def run(tenant_id: str) -> None:
        jobs.run(body(jobs, TenantId(uuid.UUID(tenant_id))))

    run.__name__ = run.__qualname__ = name
    task_name = job_task_name(jobs.service, name)
    task: Task = app.task(name=task_name, acks_late=True)(run)
    route_task(app, task_name, jobs_queue(jobs.service))
    return task


@dataclass
class FanOut:
    """What `fan_out_per_tenant` enqueued and which tenants it could not."""

    sent: int = 0
    failed: list[uuid.UUID] = field(default_factory=list)


def fan_out_per_tenant(task: Task, tenants: Iterable[uuid.UUID], **kwargs: object) -> FanOut:
    """Enqueue `task(tenant_id=..., **kwargs)` once per tenant; one tenant's failure never stops the rest."""
    result = FanOut()
    for tenant in tenants:
        try:
            task.apply_async(kwargs={"tenant_id": str(tenant), **kwargs})
        except Exception:
            log.exception("could not enqueue %s for tenant %s", task.name, tenant)
            result.failed.append(tenant)
        else:
            result.sent += 1
    return result
