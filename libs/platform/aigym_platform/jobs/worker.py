"""A service's Celery worker: `python -m aigym_platform.jobs.worker --service NAME --tasks MODULE`.

MODULE (normally `aigym_<service>.tasks`) exposes `register(app: Celery, jobs: JobContext) -> None`, which
registers the service's event handlers (`events.consumer.bind_handlers`) and jobs (`jobs.tasks.tenant_job`).
The worker consumes the service's events and jobs queues. Settings come from AIGYM_* variables.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from celery import Celery
from celery.signals import worker_process_init, worker_ready, worker_shutdown

from aigym_platform.heap import settle_heap
from aigym_platform.jobs.app import create_celery_app
from aigym_platform.jobs.bridge import JobContext
from aigym_platform.jobs.queues import service_queues
from aigym_platform.logs import configure_logging
from aigym_platform.metrics import start_exporter
from aigym_platform.settings import ServiceSettings

Register = Callable[[Celery, JobContext], None]


def build_worker(settings: ServiceSettings, tasks_module: str) -> tuple[Celery, JobContext]:
    """The app with the service's tasks registered, and the per-process job context they share."""
    app = create_celery_app(settings)
    jobs = JobContext(settings)
    register: Register = importlib.import_module(tasks_module).register
    register(app, jobs)
    return app, jobs


def worker_argv(
    settings: ServiceSettings, *, loglevel: str = "INFO", queues: Sequence[str] | None = None
) -> list[str]:
    """The `celery worker` arguments: the service's queues (or the given subset of them), pool and
    concurrency, no gossip/mingle."""
    own = service_queues(settings.service_name)
    chosen = tuple(queues) if queues else own
    unknown = sorted(set(chosen) - set(own))
    if unknown:
        raise ValueError(f"{settings.service_name} has no queue {unknown}; its queues are {list(own)}")
    return [
        "worker",
        "--queues",
        ",".join(chosen),
        "--pool",
        settings.celery_pool,
        "--concurrency",
        str(settings.celery_concurrency),
        "--hostname",
        f"{settings.service_name}-{os.getpid()}@%h",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--loglevel",
        loglevel,
    ]


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, build the worker and run it until SIGTERM (warm shutdown)."""
    parser = argparse.ArgumentParser(
        prog="python -m aigym_platform.jobs.worker",
        description="Run a service's Celery worker on its events and jobs queues (Redis broker from "
        "AIGYM_REDIS_URL, database from AIGYM_DATABASE_URL).",
    )
    parser.add_argument("--service", required=True, help="the service whose queues to consume")
    parser.add_argument("--tasks", required=True, help="module with register(app, jobs), e.g. aigym_x.tasks")
    parser.add_argument("--pool", choices=("threads", "prefork", "solo"), help="override AIGYM_CELERY_POOL")
    parser.add_argument("--concurrency", type=int, help="override AIGYM_CELERY_CONCURRENCY")
    parser.add_argument(
        "--queues",
        help="comma-separated subset of the service's queues (default: all of them), so each queue can "
        "run in its own Deployment and scale on its own",
    )
    args = parser.parse_args(argv)
    queues = [q for q in (args.queues or "").split(",") if q]
    update: dict[str, Any] = {"service_name": args.service}
    if args.pool:
        update["celery_pool"] = args.pool
    if args.concurrency:
        update["celery_concurrency"] = args.concurrency
    settings = ServiceSettings().model_copy(update=update)
    try:
        celery_argv = worker_argv(settings, loglevel=settings.log_level, queues=queues)
    except ValueError as exc:
        parser.error(str(exc))
    configure_logging(settings.log_format, settings.log_level)
    start_exporter(settings.metrics_port)
    app, jobs = build_worker(settings, args.tasks)

    def _close(**_: object) -> None:
        jobs.close()

    worker_shutdown.connect(_close, weak=False)

    def _settle_heap(**_: object) -> None:  # the worker (and each prefork child) is ready: see heap.py
        settle_heap(settings.gc_freeze)

    worker_ready.connect(_settle_heap, weak=False)
    worker_process_init.connect(_settle_heap, weak=False)

    app.worker_main(celery_argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
