"""The one Celery app factory every service's worker, beat and event relay uses."""

from __future__ import annotations

from typing import Any

from celery import Celery

from aigym_platform.jobs.queues import jobs_queue
from aigym_platform.jobs.transport import TRANSPORT
from aigym_platform.settings import ServiceSettings

REDBEAT_SCHEDULER = "redbeat.RedBeatScheduler"


def redis_options(settings: ServiceSettings) -> dict[str, Any]:
    """Socket options shared by the broker and RedBeat connections (a dead Redis must not hang a call)."""
    return {"socket_timeout": 15, "socket_connect_timeout": 5, "retry_on_timeout": True}


def create_celery_app(settings: ServiceSettings, *, main: str | None = None) -> Celery:
    """A Celery app on the Redis broker of `settings`: JSON only, late acks, prefetch 1, RedBeat for beat."""
    url = settings.redis_url.get_secret_value()
    if not url:
        raise ValueError("AIGYM_REDIS_URL is not set (Celery needs its Redis broker)")
    app = Celery(main or f"aigym.{settings.service_name}", set_as_current=False)
    app.conf.update(
        broker_url=url,
        broker_transport=TRANSPORT,  # kombu's Redis transport, reusing its client objects
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,  # a Redis restart must not end a worker
        broker_transport_options={
            # An unacknowledged message (its worker died) comes back after this long. It must exceed the
            # longest task plus the longest retry countdown, or a healthy task would run twice.
            "visibility_timeout": settings.celery_visibility_timeout_seconds,
            "health_check_interval": 10,
            **redis_options(settings),
        },
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        # Running tasks keep running when the broker connection drops; their late ack still reaches Redis
        # (kombu keeps unacked messages in Redis itself), and effects are idempotent anyway.
        worker_cancel_long_running_tasks_on_connection_loss=False,
        task_default_queue=jobs_queue(settings.service_name),
        task_publish_retry=True,
        task_publish_retry_policy={
            "max_retries": 3,
            "interval_start": 0,
            "interval_step": 0.5,
            "interval_max": 2,
        },
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        task_send_sent_event=False,
        enable_utc=True,
        timezone="UTC",
        beat_scheduler=REDBEAT_SCHEDULER,
        beat_max_loop_interval=settings.beat_max_loop_interval_seconds,
        redbeat_redis_url=url,
        redbeat_redis_options={**redis_options(settings), "retry_period": 30},
        redbeat_key_prefix=settings.beat_key_prefix,
        redbeat_lock_key=f"{settings.beat_key_prefix}:lock",
        redbeat_lock_timeout=settings.beat_lock_timeout_seconds,
    )
    return app


def route_task(app: Celery, task_name: str, queue: str) -> None:
    """Route `task_name` to `queue` (task_routes; the per-task `queue` attribute is deprecated)."""
    routes = dict(app.conf.task_routes or {})
    routes[task_name] = {"queue": queue}
    app.conf.task_routes = routes
