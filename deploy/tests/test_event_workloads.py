"""Workers, relays and beat run exactly what the dev stack runs for the same event registry."""

from __future__ import annotations

from typing import Any

import kubernetes_validate
import pytest

from aigym.events.v1 import events_pb2
from aigym_platform.devstack.eventruntime import event_runtime
from aigym_platform.devstack.services import ServiceSpec
from aigym_platform.events.registry import REGISTRY as REGISTRY_IN_USE
from aigym_platform.events.registry import Consumer, EventRegistry, EventSpec
from deploy import catalogue as c
from deploy.workloads import beat_objects, relay_objects, worker_objects

SPEC = ServiceSpec("eventsvc", "aigym_eventsvc", ("aigym.eventsvc.v1.EventsvcService",), 50061, 9111)
SERVICE = c.DeployedService(SPEC, c.DeployOptions(produces_events=True, has_tasks=True))
REGISTRY = EventRegistry(
    [
        EventSpec(
            event_type="aigym.eventsvc.happened.v1",
            producer="eventsvc",
            payload=events_pb2.ProbeRecorded,
            consumers=(Consumer("eventsvc", "on_happened"),),
            description="a service that produces and consumes events",
        )
    ]
)


def command(objects: list[dict[str, Any]]) -> list[str]:
    [deployment] = [o for o in objects if o["kind"] == "Deployment"]
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    result: list[str] = container["command"]
    return result


@pytest.fixture(scope="module")
def dev_stack_argv() -> dict[str, list[str]]:
    """The dev stack's argv per process, with `python` for its interpreter path."""
    return {p.name: ["python", *p.argv[1:]] for p in event_runtime([SPEC], REGISTRY)}


def test_relay_runs_the_dev_stack_command(dev_stack_argv: dict[str, list[str]]) -> None:
    assert command(relay_objects(SERVICE)) == dev_stack_argv["eventsvc-relay"]


@pytest.mark.parametrize("queue", c.DeployOptions().queues)
def test_each_queue_gets_a_worker_running_the_dev_stack_command_for_that_queue(
    queue: str, dev_stack_argv: dict[str, list[str]]
) -> None:
    worker = command(worker_objects(SERVICE, queue))
    assert worker[:-2] == dev_stack_argv["eventsvc-worker"]
    assert worker[-2:] == ["--queues", SERVICE.queue_name(queue)]


def test_beat_loads_the_schedules_the_dev_stack_loads(dev_stack_argv: dict[str, list[str]]) -> None:
    assert command(beat_objects((SERVICE,))) == dev_stack_argv["beat"]


def test_event_workloads_are_valid_kubernetes_objects() -> None:
    objects = [*relay_objects(SERVICE), *beat_objects((SERVICE,))]
    objects += [obj for queue in c.DeployOptions().queues for obj in worker_objects(SERVICE, queue)]
    for obj in objects:
        kubernetes_validate.validate(obj, "1.33", strict=True)


DEPLOYED = {svc.name: svc for svc in c.deployed_services()}


@pytest.mark.parametrize("service", sorted(REGISTRY_IN_USE.consumers() & DEPLOYED.keys()))
def test_every_consuming_service_has_a_worker_on_its_events_queue(service: str) -> None:
    assert "events" in DEPLOYED[service].options.queues, (
        f"{service} consumes events but deploys no events worker"
    )
