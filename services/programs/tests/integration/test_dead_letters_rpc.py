"""The dead-letter admin RPC on the programs server: list and replay within the caller's tenant, audited."""

from __future__ import annotations

import uuid

import asyncpg
import grpc
import pytest
import redis

from aigym.events.v1 import admin_pb2, admin_pb2_grpc
from aigym_platform.db import create_sessionmaker, uow_factory
from aigym_platform.events.inbox import add_dead_letter
from aigym_platform.events.registry import COURSE_COMPLETED
from aigym_platform.identity import TenantId
from aigym_platform.jobs.queues import events_queue
from aigym_platform.provisioning import ServiceDatabase
from aigym_platform.testing.tokens import TokenFactory, bearer
from aigym_programs.bootstrap import App


async def dead_letters(app: App, tenant: uuid.UUID, count: int) -> None:
    units = uow_factory(create_sessionmaker(app.engine))
    async with units(TenantId(tenant), None) as uow:
        for i in range(count):
            await add_dead_letter(
                uow.session,
                tenant,
                uuid.uuid4(),
                "record_course_completion",
                COURSE_COMPLETED,
                f"learners/l{i}",
                b"",
                f"boom {i}",
                8,
            )
        await uow.commit()


async def test_admins_list_and_replay_their_tenants_dead_letters(
    programs_app: App, token_factory: TokenFactory, redis_url: str, programs_db: ServiceDatabase
) -> None:
    tenant, other = uuid.uuid4(), uuid.uuid4()
    await dead_letters(programs_app, tenant, 3)
    await dead_letters(programs_app, other, 1)
    admin = bearer(token_factory.token(tenant, ["client_admin"], user="ops"))
    async with grpc.aio.insecure_channel(f"127.0.0.1:{programs_app.server.port}") as channel:
        stub = admin_pb2_grpc.EventsAdminServiceStub(channel)
        first = await stub.ListDeadLetters(admin_pb2.ListDeadLettersRequest(page_size=2), metadata=admin)
        assert [d.error for d in first.dead_letters] == ["boom 0", "boom 1"]
        rest = await stub.ListDeadLetters(
            admin_pb2.ListDeadLettersRequest(page_size=2, page_token=first.next_page_token), metadata=admin
        )
        assert ([d.error for d in rest.dead_letters], rest.next_page_token) == (["boom 2"], "")

        queue = redis.Redis.from_url(redis_url)
        queued = queue.llen(events_queue("programs"))
        target = first.dead_letters[0]
        replayed = await stub.ReplayDeadLetter(
            admin_pb2.ReplayDeadLetterRequest(dead_letter_id=target.dead_letter_id), metadata=admin
        )
        assert (replayed.state, replayed.HasField("replay_time")) == ("replayed", True)
        assert queue.llen(events_queue("programs")) == queued + 1  # sent to the handler's queue
        with pytest.raises(grpc.aio.AioRpcError) as twice:
            await stub.ReplayDeadLetter(
                admin_pb2.ReplayDeadLetterRequest(dead_letter_id=target.dead_letter_id), metadata=admin
            )
        assert twice.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        dead = await stub.ListDeadLetters(admin_pb2.ListDeadLettersRequest(), metadata=admin)
        assert len(dead.dead_letters) == 2
        everything = await stub.ListDeadLetters(admin_pb2.ListDeadLettersRequest(state="all"), metadata=admin)
        assert len(everything.dead_letters) == 3

        foreign = await stub.ListDeadLetters(
            admin_pb2.ListDeadLettersRequest(state="all"),
            metadata=bearer(token_factory.token(other, ["client_admin"])),
        )
        assert [d.error for d in foreign.dead_letters] == ["boom 0"]
        with pytest.raises(grpc.aio.AioRpcError) as hidden:
            await stub.ReplayDeadLetter(
                admin_pb2.ReplayDeadLetterRequest(dead_letter_id=foreign.dead_letters[0].dead_letter_id),
                metadata=admin,
            )
        assert hidden.value.code() == grpc.StatusCode.NOT_FOUND  # another tenant's letter does not exist
        with pytest.raises(grpc.aio.AioRpcError) as learner:
            await stub.ListDeadLetters(
                admin_pb2.ListDeadLettersRequest(), metadata=bearer(token_factory.token(tenant, ["learner"]))
            )
        assert learner.value.code() == grpc.StatusCode.PERMISSION_DENIED
        with pytest.raises(grpc.aio.AioRpcError) as bad:
            await stub.ListDeadLetters(admin_pb2.ListDeadLettersRequest(state="lost"), metadata=admin)
        assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT

    conn = await asyncpg.connect(programs_db.app_url)
    try:
        async with conn.transaction():
            await conn.execute("SELECT set_config('app.tenant_id', $1, true)", str(tenant))
            audited = await conn.fetch(
                "SELECT action, actor FROM audit_log WHERE resource_type = 'dead_letter'"
            )
    finally:
        await conn.close()
    assert [(row["action"], row["actor"]) for row in audited] == [("dead_letter.replay", "ops")]
