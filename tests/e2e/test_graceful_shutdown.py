"""SIGTERM to a loaded service process: in-flight calls complete, new calls are refused cleanly."""

from __future__ import annotations

import asyncio
import signal
import sys
import time
import uuid
from dataclasses import dataclass

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from aigym.programs.v1 import programs_pb2 as pb
from aigym.programs.v1 import programs_pb2_grpc
from aigym_platform.devstack.ports import free_port
from aigym_platform.devstack.processes import ManagedProcess
from aigym_platform.devstack.stack import DevStack, RunningService, wait_serving

pytestmark = pytest.mark.e2e

DRAIN_SECONDS = 1.0
GRACE_SECONDS = 5.0
# A call the client starts during the drain reaches the server's handler later: behind up to 15 other calls
# of this load on a busy machine. Calls started in the drain's first half are surely dispatched within it.
SURELY_IN_DRAIN = DRAIN_SECONDS / 2


@dataclass
class Call:
    started: float
    ended: float
    code: grpc.StatusCode


async def _hammer(
    stub: programs_pb2_grpc.ProgramsServiceStub, token: str, stop: asyncio.Event, calls: list[Call]
) -> None:
    metadata = (("authorization", f"Bearer {token}"),)
    while not stop.is_set():
        started = time.monotonic()
        try:
            await stub.ListPrograms(pb.ListProgramsRequest(page_size=50), metadata=metadata, timeout=10)
            code = grpc.StatusCode.OK
        except grpc.aio.AioRpcError as error:
            code = error.code()
        calls.append(Call(started, time.monotonic(), code))
        if code is grpc.StatusCode.UNAVAILABLE:
            return  # refused: like a load balancer, this client moves to another instance


async def test_sigterm_under_load_drains_in_flight_calls(stack: DevStack) -> None:
    running = stack.services["programs"]
    port = free_port()
    env = stack.service_env(running.spec, running.database, port, 0)
    env |= {
        "AIGYM_SHUTDOWN_DRAIN_SECONDS": str(DRAIN_SECONDS),
        "AIGYM_SHUTDOWN_GRACE_SECONDS": str(GRACE_SECONDS),
        "AIGYM_LOG_FORMAT": "text",
    }
    process = ManagedProcess(
        "programs-shutdown",
        [sys.executable, "-m", "aigym_programs"],
        env=env,
        log_file=stack.logs_dir / "programs-shutdown.log",
    )
    process.start()
    try:
        wait_serving(RunningService(running.spec, process, port, running.database), timeout=30)
        assert stack.keys is not None
        token = stack.keys.user_key.mint(
            issuer="aigym-dev",
            audience="aigym",
            subject="load",
            tenant_id=str(uuid.uuid4()),
            roles=["client_admin"],
        )
        calls: list[Call] = []
        stop = asyncio.Event()
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = programs_pb2_grpc.ProgramsServiceStub(channel)
            health = health_pb2_grpc.HealthStub(channel)
            workers = [asyncio.create_task(_hammer(stub, token, stop, calls)) for _ in range(16)]
            await asyncio.sleep(1.0)
            sigterm_at = time.monotonic()
            process.send_signal(signal.SIGTERM, group=False)
            await asyncio.sleep(0.2)
            status = await health.Check(health_pb2.HealthCheckRequest(service=""), timeout=2)
            assert status.status == health_pb2.HealthCheckResponse.NOT_SERVING
            exit_code = await asyncio.to_thread(process.wait, 15)
            stop.set()
            await asyncio.gather(*workers)
        assert exit_code == 0, f"programs exited with {exit_code}"
        codes = {call.code for call in calls}
        odd = [
            (round(c.started - sigterm_at, 3), round(c.ended - sigterm_at, 3), c.code)
            for c in calls
            if c.code not in (grpc.StatusCode.OK, grpc.StatusCode.UNAVAILABLE)
        ]
        assert codes <= {grpc.StatusCode.OK, grpc.StatusCode.UNAVAILABLE}, odd[:20]
        in_flight = [c for c in calls if c.started < sigterm_at < c.ended]
        assert in_flight, "the load did not overlap the signal"
        assert all(c.code is grpc.StatusCode.OK for c in in_flight), [c.code for c in in_flight]
        during_drain = [c for c in calls if sigterm_at < c.started < sigterm_at + SURELY_IN_DRAIN]
        assert during_drain
        assert all(c.code is grpc.StatusCode.OK for c in during_drain), [
            (round(c.started - sigterm_at, 3), round(c.ended - sigterm_at, 3), c.code) for c in during_drain
        ]
        after_exit = [c for c in calls if c.started > sigterm_at + DRAIN_SECONDS + GRACE_SECONDS + 0.5]
        assert all(c.code is grpc.StatusCode.UNAVAILABLE for c in after_exit)
        assert sum(c.code is grpc.StatusCode.OK for c in calls) > 20
    finally:
        process.terminate(2)
