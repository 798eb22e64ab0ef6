"""The suite's beat: `python -m aigym_platform.jobs.beat --schedules MODULE [...]`, a RedBeat singleton.

Any number of beat processes may run: RedBeat lets only the holder of a Redis lock tick (it renews the
lock at every tick, at least every `beat_max_loop_interval`), the others block until the lock expires
(`beat_lock_timeout`). Each MODULE exposes `SCHEDULES: Sequence[Schedule]`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import redbeat  # noqa: F401 - connects RedBeat's beat_init lock handler before beat starts
from celery import Celery
from celery.schedules import crontab, schedule

from aigym_platform.jobs.app import REDBEAT_SCHEDULER, create_celery_app
from aigym_platform.logs import configure_logging
from aigym_platform.settings import ServiceSettings


@dataclass(frozen=True)
class Schedule:
    """A periodic task: every `every_seconds`, or at `cron` ("m h dom mon dow", UTC)."""

    name: str
    task: str
    queue: str
    every_seconds: float | None = None
    cron: str | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)

    def entry(self) -> dict[str, Any]:
        """The beat_schedule entry."""
        if (self.every_seconds is None) == (self.cron is None):
            raise ValueError(f"schedule {self.name}: give exactly one of every_seconds and cron")
        when: Any
        if self.cron is not None:
            minute, hour, day_of_month, month, day_of_week = self.cron.split()
            when = crontab(minute, hour, day_of_week, day_of_month, month)
        else:
            when = schedule(self.every_seconds)
        return {"task": self.task, "schedule": when, "kwargs": self.kwargs, "options": {"queue": self.queue}}


def build_beat(settings: ServiceSettings, schedules: Iterable[Schedule]) -> Celery:
    """A Celery app whose beat_schedule holds `schedules` (names must be unique)."""
    app = create_celery_app(settings, main="aigym.beat")
    entries: dict[str, Any] = {}
    for item in schedules:
        if item.name in entries:
            raise ValueError(f"schedule {item.name} is defined twice")
        entries[item.name] = item.entry()
    app.conf.beat_schedule = entries
    return app


def load_schedules(modules: Sequence[str]) -> list[Schedule]:
    """The SCHEDULES of every named module (a module without any contributes none)."""
    found: list[Schedule] = []
    for module in modules:
        found.extend(getattr(importlib.import_module(module), "SCHEDULES", ()))
    return found


def main(argv: list[str] | None = None) -> int:
    """Run beat with RedBeat until SIGTERM."""
    parser = argparse.ArgumentParser(
        prog="python -m aigym_platform.jobs.beat",
        description="Run the Celery beat (RedBeat, lock-protected singleton: start as many as you like, "
        "one ticks). Redis from AIGYM_REDIS_URL; lock tuning from AIGYM_BEAT_* settings.",
    )
    parser.add_argument("--schedules", action="append", default=[], help="module with SCHEDULES (repeatable)")
    args = parser.parse_args(argv)
    settings = ServiceSettings().model_copy(update={"service_name": "beat"})
    configure_logging(settings.log_format, settings.log_level)
    app = build_beat(settings, load_schedules(args.schedules))
    beat = app.Beat(
        scheduler=REDBEAT_SCHEDULER,
        max_interval=settings.beat_max_loop_interval_seconds,
        loglevel=settings.log_level,
        quiet=True,
    )
    beat.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
