"""Alembic runner: each service keeps its own history in services/<svc>/migrations, run as the owner role."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from aigym_platform.db import asyncpg_url


def alembic_config(migrations_dir: Path, owner_url: str, app_role: str) -> Config:
    """An in-memory Alembic config for one service's migrations directory."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(migrations_dir / "versions"))
    config.attributes["database_url"] = owner_url
    config.attributes["app_role"] = app_role
    return config


def upgrade(migrations_dir: Path, owner_url: str, app_role: str, revision: str = "head") -> None:
    """Apply migrations up to `revision` (blocking; call via asyncio.to_thread from async code)."""
    command.upgrade(alembic_config(migrations_dir, owner_url, app_role), revision)


def run_env(target_metadata: MetaData) -> None:
    """Body of every service's migrations/env.py: run online migrations on the configured owner URL."""
    url = context.config.attributes["database_url"]

    def do_run(connection: Connection) -> None:
        context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = create_async_engine(asyncpg_url(url), poolclass=pool.NullPool)
        try:
            async with engine.connect() as connection:
                await connection.run_sync(do_run)
        finally:
            await engine.dispose()

    if context.is_offline_mode():
        raise RuntimeError("offline migrations are not supported")
    asyncio.run(run())
