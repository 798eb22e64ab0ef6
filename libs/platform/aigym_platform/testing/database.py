"""A real PostgreSQL for tests: external when AIGYM_TEST_DATABASE_URL is set, embedded otherwise."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
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


@asynccontextmanager
async def inserts_failing_with_sqlstate(
    admin_url: str, database: ServiceDatabase, table: str, column: str
) -> AsyncIterator[str]:
    """While open, an INSERT into `table` whose text `column` reads `fail-<SQLSTATE>` fails with that
    SQLSTATE and a message containing the yielded marker (a test checks it never reaches a client).

    A trigger installed by the superuser `admin_url` (the server's, any database) in `database`, dropped on
    exit; other rows insert as usual.
    """
    parts = urlsplit(admin_url)
    superuser = await asyncpg.connect(urlunsplit(parts._replace(path="/" + database.database)))
    marker = f"secret-{uuid.uuid4().hex[:8]}"
    await superuser.execute(
        f"""CREATE FUNCTION test_fail_insert() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF NEW.{column} LIKE 'fail-%' THEN
                RAISE EXCEPTION '{marker} %', NEW.tenant_id USING ERRCODE = substr(NEW.{column}, 6);
              END IF;
              RETURN NEW;
            END $$;
            CREATE TRIGGER test_fail_insert BEFORE INSERT ON {table}
              FOR EACH ROW EXECUTE FUNCTION test_fail_insert()"""
    )
    try:
        yield marker
    finally:
        await superuser.execute(f"DROP TRIGGER test_fail_insert ON {table}; DROP FUNCTION test_fail_insert()")
        await superuser.close()
