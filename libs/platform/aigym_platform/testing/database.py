"""A real PostgreSQL for tests: external when AIGYM_TEST_DATABASE_URL is set, embedded otherwise."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from google.protobuf.message import Message

from aigym_platform.migrations import upgrade
from aigym_platform.provisioning import ServiceDatabase, provision

TEST_DATABASE_ENV = "AIGYM_TEST_DATABASE_URL"


@contextmanager
def postgres_server(workdir: Path) -> Iterator[tuple[str, str]]:
    """Yield (admin URL, database prefix). External servers get a unique prefix so runs never collide."""
    external = os.environ.get(TEST_DATABASE_ENV, "")
    if external:
        yield external, f"aigymt{uuid.uuid4().hex[:8]}"
        return
    from aigym_platform.devstack.ports import free_port
    from aigym_platform.devstack.postgres import EmbeddedPostgres

    server = EmbeddedPostgres(
        workdir / "pgdata", free_port(), durable=False, log_file=workdir / "postgres.log"
    )
    server.start()
    try:
        yield server.admin_url, "aigym"
    finally:
        server.stop()


async def provision_and_migrate(
    admin_url: str, service: str, migrations_dir: Path, *, prefix: str = "aigym"
) -> ServiceDatabase:
    """Create the service's database and roles, then apply its migrations as the owner role."""
    db = await provision(admin_url, service, prefix=prefix)
    await asyncio.to_thread(upgrade, migrations_dir, db.owner_url, db.app_role)
    return db


async def read_outbox(app_url: str, tenant: uuid.UUID) -> list[tuple[str, str, Message]]:
    """(type, subject, payload) of a tenant's outbox rows, oldest first, read as the app role under RLS."""
    import asyncpg

    from aigym.events.v1 import events_pb2
    from aigym_platform.events.envelope import open_envelope
    from aigym_platform.events.registry import REGISTRY

    conn = await asyncpg.connect(app_url)
    try:
        async with conn.transaction():
            await conn.execute("SELECT set_config('app.tenant_id', $1, true)", str(tenant))
            rows = await conn.fetch("SELECT event_type, subject, envelope FROM event_outbox ORDER BY id")
    finally:
        await conn.close()
    result: list[tuple[str, str, Message]] = []
    for row in rows:
        envelope = events_pb2.EventEnvelope.FromString(row["envelope"])
        payload = open_envelope(envelope, REGISTRY.get(row["event_type"]).payload).payload
        result.append((row["event_type"], row["subject"], payload))
    return result
