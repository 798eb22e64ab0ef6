"""Every RPC is counted and timed by status, and its log lines carry tenant, request id and method."""

from __future__ import annotations

import json
import logging
import uuid

import asyncpg
import grpc
import pytest
from prometheus_client import REGISTRY

from aigym.programs.v1 import programs_pb2 as pb
from aigym.programs.v1 import programs_pb2_grpc
from aigym_platform.logs import ContextFilter, JsonFormatter
from aigym_platform.provisioning import ServiceDatabase
from aigym_platform.testing.database import inserts_failing_with_sqlstate
from aigym_platform.testing.tokens import TokenFactory, bearer

SERVICE = "aigym.programs.v1.ProgramsService"


def handled(method: str, code: str) -> float:
    labels = {"grpc_service": SERVICE, "grpc_method": method, "grpc_code": code}
    return REGISTRY.get_sample_value("aigym_grpc_server_handled_total", labels) or 0.0


async def test_rpcs_are_counted_by_status_and_timed(
    programs_stub: programs_pb2_grpc.ProgramsServiceStub, token_factory: TokenFactory
) -> None:
    ok_before, denied_before = handled("Ping", "OK"), handled("Ping", "UNAUTHENTICATED")
    timed_before = (
        REGISTRY.get_sample_value(
            "aigym_grpc_server_handling_seconds_count", {"grpc_service": SERVICE, "grpc_method": "Ping"}
        )
        or 0.0
    )
    await programs_stub.Ping(pb.PingRequest(), metadata=bearer(token_factory.token(uuid.uuid4())))
    with pytest.raises(grpc.aio.AioRpcError):
        await programs_stub.Ping(pb.PingRequest())
    assert handled("Ping", "OK") == ok_before + 1
    assert handled("Ping", "UNAUTHENTICATED") == denied_before + 1
    timed = REGISTRY.get_sample_value(
        "aigym_grpc_server_handling_seconds_count", {"grpc_service": SERVICE, "grpc_method": "Ping"}
    )
    assert timed == timed_before + 2


async def test_log_lines_carry_call_context(
    programs_stub: programs_pb2_grpc.ProgramsServiceStub, token_factory: TokenFactory
) -> None:
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Collect()
    handler.addFilter(ContextFilter())
    logger = logging.getLogger("aigym_platform.interceptors")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    tenant = uuid.uuid4()
    try:
        with pytest.raises(grpc.aio.AioRpcError):
            await programs_stub.GetProgram(
                pb.GetProgramRequest(program_id=str(uuid.uuid4())),
                metadata=(
                    *bearer(token_factory.token(tenant, ["client_admin"])),
                    ("x-request-id", "req-123"),
                ),
            )
    finally:
        logger.removeHandler(handler)
    [record] = [r for r in records if "rpc failed" in r.getMessage()]
    line = json.loads(JsonFormatter().format(record))
    assert line["tenant_id"] == str(tenant)
    assert line["request_id"] == "req-123"
    assert line["rpc"] == f"/{SERVICE}/GetProgram"
    assert line["level"] == "INFO"


async def test_a_dropped_database_connection_answers_unavailable_once_then_recovers(
    programs_stub: programs_pb2_grpc.ProgramsServiceStub,
    token_factory: TokenFactory,
    programs_db: ServiceDatabase,
    postgres: tuple[str, str],
) -> None:
    metadata = bearer(token_factory.token(uuid.uuid4(), ["client_admin"]))
    await programs_stub.ListPrograms(pb.ListProgramsRequest(), metadata=metadata)  # a pooled connection
    admin = await asyncpg.connect(postgres[0])
    try:
        killed = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE usename = $1 AND datname = $2",
            programs_db.app_role,
            programs_db.database,
        )
    finally:
        await admin.close()
    assert killed >= 1
    with pytest.raises(grpc.aio.AioRpcError) as lost:
        await programs_stub.ListPrograms(pb.ListProgramsRequest(), metadata=metadata)
    assert lost.value.code() == grpc.StatusCode.UNAVAILABLE  # retryable, not INTERNAL
    assert "database connection lost" in (lost.value.details() or "")
    for _ in range(3):  # the pool discarded every connection older than the failure
        await programs_stub.ListPrograms(pb.ListProgramsRequest(), metadata=metadata)


async def test_database_failures_answer_a_status_for_what_they_mean_and_never_the_sql(
    programs_stub: programs_pb2_grpc.ProgramsServiceStub,
    token_factory: TokenFactory,
    programs_db: ServiceDatabase,
    postgres: tuple[str, str],
) -> None:
    # A trigger makes the program insert fail with the SQLSTATE its title names; the database's message
    # (which could carry SQL and other tenants' values) must never reach the client.
    metadata = bearer(token_factory.token(uuid.uuid4(), ["client_admin"]))
    answers = {}
    async with inserts_failing_with_sqlstate(postgres[0], programs_db, "programs", "title") as marker:
        for sqlstate in ("40P01", "40001", "23505", "57014", "XX000", "22012"):
            with pytest.raises(grpc.aio.AioRpcError) as failed:
                await programs_stub.CreateProgram(
                    pb.CreateProgramRequest(program=pb.Program(title=f"fail-{sqlstate}")), metadata=metadata
                )
            details = failed.value.details() or ""
            assert marker not in details
            assert "INSERT" not in details
            answers[sqlstate] = failed.value.code()
    assert answers == {
        "40P01": grpc.StatusCode.ABORTED,  # deadlock: retry
        "40001": grpc.StatusCode.ABORTED,  # serialization failure: retry
        "23505": grpc.StatusCode.ABORTED,  # a unique key a concurrent request took: retry
        "57014": grpc.StatusCode.UNAVAILABLE,  # statement timeout
        "XX000": grpc.StatusCode.INTERNAL,
        "22012": grpc.StatusCode.INTERNAL,  # the service's own bug, not the client's
    }
