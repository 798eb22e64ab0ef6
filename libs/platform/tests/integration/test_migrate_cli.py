"""The migration runner Kubernetes uses (Job and init container), against the real PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import uuid

import asyncpg
import pytest

from aigym_platform import migrate_cli
from aigym_platform.devstack.services import SERVICES
from aigym_platform.provisioning import ServiceDatabase, provision, service_database


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> pytest.MonkeyPatch:
    """Run the CLI in-process (Alembic imported once) with a clean AIGYM_* environment, logs captured."""
    for name in list(os.environ):
        if name.startswith("AIGYM_"):
            monkeypatch.delenv(name)
    monkeypatch.setattr(migrate_cli, "configure_logging", lambda *_: None)
    caplog.set_level(logging.INFO, logger="aigym_platform.migrate")
    return monkeypatch


@pytest.fixture
def fresh_database(postgres: tuple[str, str]) -> ServiceDatabase:
    """A provisioned but unmigrated programs database under a unique prefix."""
    admin_url, prefix = postgres
    return asyncio.run(provision(admin_url, "programs", prefix=f"{prefix}mc{uuid.uuid4().hex[:6]}"))


def test_help_runs_as_a_module_and_names_the_environment_it_reads() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "aigym_platform.migrate_cli", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0
    for name in ("AIGYM_MIGRATION_DATABASE_URL", "AIGYM_APP_ROLE", "--check", "--service", "--wait"):
        assert name in result.stdout


def test_applies_migrations_as_owner_once_and_app_role_sees_head(
    cli: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, fresh_database: ServiceDatabase
) -> None:
    db = fresh_database
    cli.setenv("AIGYM_DATABASE_URL", db.app_url)
    assert migrate_cli.main(["--service", "programs", "--check"]) == migrate_cli.EXIT_BEHIND

    cli.setenv("AIGYM_MIGRATION_DATABASE_URL", db.owner_url)
    cli.setenv("AIGYM_APP_ROLE", db.app_role)
    assert migrate_cli.main(["--service", "programs"]) == 0
    assert migrate_cli.main(["--service", "programs", "--check", "--wait", "5"]) == 0
    assert migrate_cli.main(["--service", "programs"]) == 0  # a second run changes nothing

    messages = [r.getMessage() for r in caplog.records]
    heads, _ = migrate_cli.script_revisions(next(s for s in SERVICES if s.name == "programs"))
    assert f"programs migrated from an empty schema to {sorted(heads)}" in messages
    assert f"programs migrated from {sorted(heads)} to {sorted(heads)}" in messages

    async def programs_table() -> tuple[str, bool]:
        conn = await asyncpg.connect(db.app_url)
        try:
            owner = await conn.fetchval("SELECT tableowner FROM pg_tables WHERE tablename = 'programs'")
            can_write = await conn.fetchval("SELECT has_table_privilege('programs', 'INSERT')")
            return owner, can_write
        finally:
            await conn.close()

    assert asyncio.run(programs_table()) == (db.owner_role, True)


def test_check_lets_an_older_image_start_on_a_newer_schema(
    cli: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, fresh_database: ServiceDatabase
) -> None:
    db = fresh_database
    cli.setenv("AIGYM_MIGRATION_DATABASE_URL", db.owner_url)
    cli.setenv("AIGYM_APP_ROLE", db.app_role)
    assert migrate_cli.main(["--service", "programs"]) == 0

    async def pretend_a_newer_release_migrated() -> None:
        conn = await asyncpg.connect(db.owner_url)
        try:
            await conn.execute("UPDATE alembic_version SET version_num = 'from_a_newer_release'")
        finally:
            await conn.close()

    asyncio.run(pretend_a_newer_release_migrated())
    cli.setenv("AIGYM_DATABASE_URL", db.app_url)

    assert migrate_cli.main(["--service", "programs", "--check"]) == 0
    assert any("ahead of this image" in r.getMessage() for r in caplog.records)


def test_check_gives_up_after_wait_when_nobody_migrates(
    cli: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, fresh_database: ServiceDatabase
) -> None:
    cli.setenv("AIGYM_DATABASE_URL", fresh_database.app_url)

    assert migrate_cli.main(["--service", "programs", "--check", "--wait", "0.3"]) == migrate_cli.EXIT_BEHIND
    assert any("waiting for migrations" in r.getMessage() for r in caplog.records)


def test_provision_creates_database_and_roles_for_dev_clusters(
    cli: pytest.MonkeyPatch, postgres: tuple[str, str]
) -> None:
    admin_url, prefix = postgres
    dev_prefix = f"{prefix}dv{uuid.uuid4().hex[:6]}"
    db = service_database(admin_url, "programs", prefix=dev_prefix)
    cli.setenv("AIGYM_ADMIN_DATABASE_URL", admin_url)
    cli.setenv("AIGYM_MIGRATION_DATABASE_URL", db.owner_url)
    cli.setenv("AIGYM_APP_ROLE", db.app_role)

    assert migrate_cli.main(["--service", "programs", "--provision", "--database-prefix", dev_prefix]) == 0

    cli.setenv("AIGYM_DATABASE_URL", db.app_url)
    assert migrate_cli.main(["--service", "programs", "--check"]) == 0


def test_refuses_to_provision_roles_the_urls_do_not_name(
    cli: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, postgres: tuple[str, str]
) -> None:
    admin_url, prefix = postgres
    db = service_database(admin_url, "programs", prefix=f"{prefix}x{uuid.uuid4().hex[:6]}")
    cli.setenv("AIGYM_ADMIN_DATABASE_URL", admin_url)
    cli.setenv("AIGYM_MIGRATION_DATABASE_URL", db.owner_url)
    cli.setenv("AIGYM_APP_ROLE", db.app_role)

    assert migrate_cli.main(["--service", "programs", "--provision"]) == migrate_cli.EXIT_USAGE
    assert any("must name role" in r.getMessage() for r in caplog.records)


def test_applying_without_owner_url_or_app_role_is_a_usage_error(cli: pytest.MonkeyPatch) -> None:
    assert migrate_cli.main(["--service", "programs"]) == migrate_cli.EXIT_USAGE


def test_unknown_service_is_rejected(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        migrate_cli.main(["--service", "nope"])

    assert exited.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
