"""Apply or check one service's migrations: `python -m aigym_platform.migrate_cli --service NAME --help`.

Kubernetes runs it twice per service: as the migration Job (owner role, before the rollout) and as an init
container of every service pod (`--check --wait`, app role), so a new pod never serves before the schema it
needs exists. Configuration comes from `AIGYM_*` variables (one typed settings object, below).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import time
from collections.abc import Sequence
from urllib.parse import urlsplit

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from aigym_platform.devstack.services import SERVICES, ServiceSpec
from aigym_platform.logs import configure_logging

# Alembic, SQLAlchemy and asyncpg are imported where used: `--help` and usage errors stay instant.

log = logging.getLogger("aigym_platform.migrate")

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_BEHIND = 3


class MigrateSettings(BaseSettings):
    """What the migration runner reads from the environment."""

    model_config = SettingsConfigDict(env_prefix="AIGYM_", extra="ignore")

    migration_database_url: SecretStr = Field(
        default=SecretStr(""), description="Owner role URL: applies the migrations"
    )
    app_role: str = Field(default="", description="Runtime role the migrations grant table rights to")
    database_url: SecretStr = Field(
        default=SecretStr(""), description="App role URL, enough for --check (else the owner URL is used)"
    )
    admin_database_url: SecretStr = Field(
        default=SecretStr(""), description="Server admin URL, only for --provision (dev clusters)"
    )
    log_format: str = Field(default="json", description="json or text")
    log_level: str = Field(default="INFO", description="Root log level")


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def script_revisions(spec: ServiceSpec) -> tuple[set[str], set[str]]:
    """(head revisions, every revision) of the service's migration scripts in this image."""
    from alembic.script import ScriptDirectory

    from aigym_platform.migrations import alembic_config

    scripts = ScriptDirectory.from_config(alembic_config(spec.migrations_dir, "", ""))
    return set(scripts.get_heads()), {script.revision for script in scripts.walk_revisions()}


async def current_revisions(url: str) -> set[str]:
    """The revision(s) recorded in the database (empty before the first migration)."""
    import asyncpg

    conn = await asyncpg.connect(_plain(url), timeout=10)
    try:
        exists = await conn.fetchval("SELECT to_regclass('public.alembic_version') IS NOT NULL")
        if not exists:
            return set()
        rows = await conn.fetch("SELECT version_num FROM alembic_version")
        return {row["version_num"] for row in rows}
    finally:
        await conn.close()


async def _provision_for(spec: ServiceSpec, settings: MigrateSettings, prefix: str) -> None:
    """Create the service's database and roles (dev only), named as the owner URL expects."""
    from aigym_platform.provisioning import provision, service_database

    admin_url = settings.admin_database_url.get_secret_value()
    owner_url = settings.migration_database_url.get_secret_value()
    if not admin_url:
        raise ValueError("--provision needs AIGYM_ADMIN_DATABASE_URL")
    owner = urlsplit(_plain(owner_url))
    expected = service_database(admin_url, spec.name, prefix=prefix, password=owner.password or "")
    if owner.username != expected.owner_role or owner.path.lstrip("/") != expected.database:
        raise ValueError(
            f"AIGYM_MIGRATION_DATABASE_URL must name role {expected.owner_role} and database "
            f"{expected.database} to be provisioned with --database-prefix {prefix}"
        )
    if settings.app_role != expected.app_role:
        raise ValueError(f"AIGYM_APP_ROLE must be {expected.app_role} with --database-prefix {prefix}")
    await provision(admin_url, spec.name, prefix=prefix, password=owner.password or "")


def _check(spec: ServiceSpec, settings: MigrateSettings, wait: float) -> int:
    import asyncpg

    url = settings.database_url.get_secret_value() or settings.migration_database_url.get_secret_value()
    if not url:
        log.error("--check needs AIGYM_DATABASE_URL (or AIGYM_MIGRATION_DATABASE_URL)")
        return EXIT_USAGE
    heads, known = script_revisions(spec)
    deadline = time.monotonic() + wait
    while True:
        try:
            current = asyncio.run(current_revisions(url))
        except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
            current, problem = set(), f"database unreachable: {exc}"
        else:
            problem = f"database at {sorted(current) or 'no revision'}, scripts at {sorted(heads)}"
        if current == heads:
            log.info("%s schema is at head %s", spec.name, sorted(heads))
            return EXIT_OK
        if current - known:
            # Only a newer release writes revisions this image does not know: a rollback. Expand/contract
            # migrations keep the schema usable by this older code, so do not block its pods.
            log.warning("%s schema is ahead of this image (%s): rollback, not waiting", spec.name, problem)
            return EXIT_OK
        if time.monotonic() >= deadline:
            log.error("%s schema not at head: %s", spec.name, problem)
            return EXIT_BEHIND
        log.info("%s waiting for migrations: %s", spec.name, problem)
        time.sleep(min(2.0, max(deadline - time.monotonic(), 0.0)))


def _apply(spec: ServiceSpec, settings: MigrateSettings, revision: str, provision_prefix: str | None) -> int:
    owner_url = settings.migration_database_url.get_secret_value()
    if not owner_url or not settings.app_role:
        log.error("applying migrations needs AIGYM_MIGRATION_DATABASE_URL and AIGYM_APP_ROLE")
        return EXIT_USAGE
    from aigym_platform.migrations import upgrade

    if provision_prefix is not None:
        asyncio.run(_provision_for(spec, settings, provision_prefix))
    before = asyncio.run(current_revisions(owner_url))
    upgrade(spec.migrations_dir, owner_url, settings.app_role, revision)
    after = asyncio.run(current_revisions(owner_url))
    log.info("%s migrated from %s to %s", spec.name, sorted(before) or "an empty schema", sorted(after))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface (the environment variables are listed in the epilog)."""
    parser = argparse.ArgumentParser(
        prog="python -m aigym_platform.migrate_cli",
        description="Apply one service's Alembic migrations as the owner role, or check that its "
        "database is at the head revision.",
        epilog="Environment: AIGYM_MIGRATION_DATABASE_URL (owner role URL, to apply), AIGYM_APP_ROLE "
        "(runtime role the migrations grant rights to), AIGYM_DATABASE_URL (app role URL, for --check), "
        "AIGYM_ADMIN_DATABASE_URL (only for --provision). Exit codes: 0 done or at head, 1 error, 2 bad "
        "usage, 3 not at head (--check).",
    )
    parser.add_argument(
        "--service", required=True, choices=[spec.name for spec in SERVICES], help="whose migrations"
    )
    parser.add_argument("--revision", default="head", help="target revision when applying (default: head)")
    parser.add_argument(
        "--check",
        action="store_true",
        help="apply nothing; exit 0 if the database is at this image's head (or ahead: a rollback), else 3",
    )
    parser.add_argument(
        "--wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="with --check: keep checking this long before giving up (init containers)",
    )
    parser.add_argument(
        "--provision",
        action="store_true",
        help="dev clusters only: first create the database and roles with the admin URL",
    )
    parser.add_argument(
        "--database-prefix", default="aigym", help="name prefix of databases and roles (--provision)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the process exit code."""
    args = build_parser().parse_args(argv)
    settings = MigrateSettings()
    configure_logging(settings.log_format, settings.log_level)
    spec = next(spec for spec in SERVICES if spec.name == args.service)
    try:
        if args.check:
            return _check(spec, settings, args.wait)
        return _apply(spec, settings, args.revision, args.database_prefix if args.provision else None)
    except ValueError as exc:
        log.error("%s", exc)
        return EXIT_USAGE
    except Exception:
        log.exception("migrating %s failed", spec.name)
        return EXIT_ERROR


if __name__ == "__main__":
    raise SystemExit(main())
