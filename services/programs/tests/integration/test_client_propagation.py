"""Service-to-service calls carry identity, request id and the remaining deadline (real server, real DB)."""

from __future__ import annotations

import time
import uuid

import grpc
import pytest

from aigym.programs.v1 import programs_pb2 as pb
from aigym.programs.v1 import programs_pb2_grpc
from aigym_platform.client import ServiceTokens, service_channel
from aigym_platform.identity import Identity, Role, TenantId, current_identity_var, deadline_var
from aigym_platform.testing.tokens import SERVICE_ISSUER, TokenFactory
from aigym_programs.bootstrap import App


async def test_caller_identity_is_propagated(programs_app: App, token_factory: TokenFactory) -> None:
    tenant = uuid.uuid4()
    token = token_factory.token(tenant, ["client_admin"], user="propagated-admin")
    current_identity_var.set(
        Identity("propagated-admin", TenantId(tenant), frozenset({Role.CLIENT_ADMIN}), token=token)
    )
    try:
        async with service_channel(f"127.0.0.1:{programs_app.server.port}") as channel:
            stub = programs_pb2_grpc.ProgramsServiceStub(channel)
            created = await stub.CreateProgram(
                pb.CreateProgramRequest(program=pb.Program(title="Via a service"))
            )
            listed = await stub.ListPrograms(pb.ListProgramsRequest())
    finally:
        current_identity_var.set(None)
    assert [p.program_id for p in listed.programs] == [created.program_id]


async def test_remaining_deadline_is_propagated(programs_app: App, token_factory: TokenFactory) -> None:
    token = token_factory.token(uuid.uuid4(), ["client_admin"])
    current_identity_var.set(
        Identity("u", TenantId(uuid.uuid4()), frozenset({Role.CLIENT_ADMIN}), token=token)
    )
    deadline_var.set(time.monotonic() - 1)  # the incoming call's deadline has already passed
    try:
        async with service_channel(f"127.0.0.1:{programs_app.server.port}") as channel:
            stub = programs_pb2_grpc.ProgramsServiceStub(channel)
            with pytest.raises(grpc.aio.AioRpcError) as late:
                await stub.ListPrograms(pb.ListProgramsRequest())
    finally:
        deadline_var.set(None)
        current_identity_var.set(None)
    assert late.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED


async def test_service_tokens_act_inside_one_tenant(programs_app: App, token_factory: TokenFactory) -> None:
    tenant = TenantId(uuid.uuid4())
    tokens = ServiceTokens(
        token_factory.service_key, issuer=SERVICE_ISSUER, audience=token_factory.audience, service="jobs"
    )
    assert tokens.token_for(tenant) == tokens.token_for(tenant)  # cached until near expiry
    async with service_channel(
        f"127.0.0.1:{programs_app.server.port}", token_supplier=lambda: tokens.token_for(tenant)
    ) as channel:
        stub = programs_pb2_grpc.ProgramsServiceStub(channel)
        created = await stub.CreateProgram(pb.CreateProgramRequest(program=pb.Program(title="From a job")))
        fetched = await stub.GetProgram(pb.GetProgramRequest(program_id=created.program_id))
    assert fetched.title == "From a job"
    # The same program is invisible to a user token of another tenant.
    other = token_factory.token(uuid.uuid4(), ["client_admin"])
    async with grpc.aio.insecure_channel(f"127.0.0.1:{programs_app.server.port}") as channel:
        stub = programs_pb2_grpc.ProgramsServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as hidden:
            await stub.GetProgram(
                pb.GetProgramRequest(program_id=created.program_id),
                metadata=(("authorization", f"Bearer {other}"),),
            )
    assert hidden.value.code() == grpc.StatusCode.NOT_FOUND
