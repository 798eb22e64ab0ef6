"""The worker command line: all of a service's queues by default, or a subset for per-queue Deployments."""

from __future__ import annotations

import pytest

from aigym_platform.jobs.queues import events_queue, jobs_queue
from aigym_platform.jobs.worker import main, worker_argv
from aigym_platform.settings import ServiceSettings


def queues_of(argv: list[str]) -> list[str]:
    return argv[argv.index("--queues") + 1].split(",")


def test_worker_consumes_every_queue_of_its_service_by_default() -> None:
    settings = ServiceSettings(service_name="progress")

    assert queues_of(worker_argv(settings)) == [events_queue("progress"), jobs_queue("progress")]


def test_worker_can_consume_one_queue_for_its_own_deployment() -> None:
    settings = ServiceSettings(service_name="progress")

    assert queues_of(worker_argv(settings, queues=[jobs_queue("progress")])) == [jobs_queue("progress")]


def test_worker_refuses_another_services_queue(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--service", "progress", "--tasks", "x.tasks", "--queues", events_queue("programs")])

    assert exited.value.code == 2
    assert "has no queue" in capsys.readouterr().err
