"""Which event/job processes the dev stack runs: a relay per producer, a worker per consumer, one beat."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass

from aigym_platform.devstack.services import ServiceSpec
from aigym_platform.events.registry import EventRegistry


@dataclass(frozen=True)
class RuntimeProcess:
    """One process to start: its display name, the service whose settings it gets, and its argv."""

    name: str
    service: str
    argv: tuple[str, ...]


def event_runtime(services: Sequence[ServiceSpec], registry: EventRegistry) -> list[RuntimeProcess]:
    """Relays of producing services, workers of consuming ones or ones with jobs (module `<pkg>.tasks`),
    and one beat."""
    processes: list[RuntimeProcess] = []
    tasks_modules: list[str] = []
    producers, consumers = registry.producers(), registry.consumers()
    for spec in services:
        argv: tuple[str, ...]
        if spec.name in producers:
            argv = (sys.executable, "-m", "aigym_platform.events.relay", "--service", spec.name)
            processes.append(RuntimeProcess(f"{spec.name}-relay", spec.name, argv))
        if spec.name in consumers or spec.jobs:
            module = f"{spec.module}.tasks"
            tasks_modules.append(module)
            argv = (
                sys.executable,
                "-m",
                "aigym_platform.jobs.worker",
                "--service",
                spec.name,
                "--tasks",
                module,
            )
            processes.append(RuntimeProcess(f"{spec.name}-worker", spec.name, argv))
    if tasks_modules:
        schedules = [arg for module in tasks_modules for arg in ("--schedules", module)]
        beat = (sys.executable, "-m", "aigym_platform.jobs.beat", *schedules)
        processes.append(RuntimeProcess("beat", services[0].name, beat))
    return processes
