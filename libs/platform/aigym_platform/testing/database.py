"""A real PostgreSQL for tests: external when AIGYM_TEST_DATABASE_URL is set, embedded otherwise."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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
