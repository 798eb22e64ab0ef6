"""The audit log is append-only for the app role, chained per tenant, and tampering is detected."""

from __future__ import annotations

import asyncio
import uuid
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from sqlalchemy import text

from aigym_platform.audit import verify_chain
from aigym_platform.db import create_engine, create_sessionmaker, uow_factory
from aigym_platform.identity import Identity, Role, TenantId
from aigym_platform.provisioning import ServiceDatabase
from aigym_programs.domain import ProgramDraft
from aigym_programs.service import ProgramsService


def _admin_url_for(postgres: tuple[str, str], database: str) -> str:
    parts = urlsplit(postgres[0])
    return urlunsplit(parts._replace(path="/" + database))


async def _create_programs(db: ServiceDatabase, tenant: uuid.UUID, count: int) -> None:
    engine = create_engine(db.app_url, pool_size=5, max_overflow=5)
    try:
        service = ProgramsService(uow_factory(create_sessionmaker(engine)))
        admin = Identity("auditor-test", TenantId(tenant), frozenset({Role.CLIENT_ADMIN}))
        await asyncio.gather(
            *(service.create_program(admin, ProgramDraft(title=f"P{i}")) for i in range(count))
        )
    finally:
        await engine.dispose()


async def _verify(db: ServiceDatabase, tenant: uuid.UUID) -> tuple[int, int | None]:
    engine = create_engine(db.app_url, pool_size=1, max_overflow=0)
    try:
        async with uow_factory(create_sessionmaker(engine))(TenantId(tenant), None) as uow:
            report = await verify_chain(uow.session, tenant)
        return report.rows, report.broken_at
    finally:
        await engine.dispose()


async def test_concurrent_mutations_form_one_intact_chain(
    service_databases: dict[str, ServiceDatabase],
) -> None:
    db, tenant = service_databases["programs"], uuid.uuid4()
    await _create_programs(db, tenant, 12)
    assert await _verify(db, tenant) == (12, None)


async def test_app_role_cannot_edit_or_delete_audit_rows(
    service_databases: dict[str, ServiceDatabase],
) -> None:
    db, tenant = service_databases["programs"], uuid.uuid4()
    await _create_programs(db, tenant, 1)
    conn = await asyncpg.connect(db.app_url)
    try:
        for statement in (
            "UPDATE audit_log SET actor = 'mallory'",
            "DELETE FROM audit_log",
            "TRUNCATE audit_log",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                async with conn.transaction():
                    await conn.execute("SELECT set_config('app.tenant_id', $1, true)", str(tenant))
                    await conn.execute(statement)
    finally:
        await conn.close()
    owner = await asyncpg.connect(db.owner_url)
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
            async with owner.transaction():
                await owner.execute("SELECT set_config('app.tenant_id', $1, true)", str(tenant))
                await owner.execute("UPDATE audit_log SET actor = 'mallory'")
    finally:
        await owner.close()
    assert await _verify(db, tenant) == (1, None)


async def test_verifier_detects_a_tampered_chain(
    postgres: tuple[str, str], service_databases: dict[str, ServiceDatabase]
) -> None:
    db, tenant = service_databases["programs"], uuid.uuid4()
    await _create_programs(db, tenant, 3)
    superuser = await asyncpg.connect(_admin_url_for(postgres, db.database))
    try:
        # Only someone able to bypass the trigger (a superuser) can edit a row; the chain still tells.
        async with superuser.transaction():
            await superuser.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
            await superuser.execute(
                "UPDATE audit_log SET actor = 'mallory' WHERE tenant_id = $1 AND seq = 2", tenant
            )
            await superuser.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
    finally:
        await superuser.close()
    assert await _verify(db, tenant) == (2, 2)


async def test_a_unit_of_work_writes_its_audit_entries_at_commit_and_only_then(
    service_databases: dict[str, ServiceDatabase],
) -> None:
    db, tenant = service_databases["programs"], uuid.uuid4()
    engine = create_engine(db.app_url, pool_size=2, max_overflow=0)
    make_uow = uow_factory(create_sessionmaker(engine))
    identity = Identity("auditor-test", TenantId(tenant), frozenset({Role.CLIENT_ADMIN}))
    try:
        async with make_uow(TenantId(tenant), identity) as uow:
            for n in range(3):
                await uow.audit("thing.touched", "thing", f"t-{n}", after={"n": n})
            # Nothing is written (and the tenant's chain is not locked) before commit.
            assert (await verify_chain(uow.session, tenant)).rows == 0
            await uow.commit()
        async with make_uow(TenantId(tenant), identity) as uow:
            await uow.audit("thing.touched", "thing", "rolled-back")
            # No commit: the entry is dropped with the transaction.
        await _create_programs(db, tenant, 2)
        async with make_uow(TenantId(tenant), None) as uow:
            report = await verify_chain(uow.session, tenant)
            ids = (
                await uow.session.execute(
                    text("SELECT resource_id FROM audit_log WHERE tenant_id = :t ORDER BY seq"), {"t": tenant}
                )
            ).scalars()
            assert list(ids)[:3] == ["t-0", "t-1", "t-2"]
    finally:
        await engine.dispose()
    assert (report.rows, report.broken_at) == (5, None)


async def test_awkward_text_survives_the_audit_rows_sent_with_commit(
    service_databases: dict[str, ServiceDatabase],
) -> None:
    # The rows travel as SQL text in COMMIT's message: quotes, backslashes, semicolons and non-ASCII text
    # must arrive unchanged (and chain), never end a literal.
    db, tenant = service_databases["programs"], uuid.uuid4()
    engine = create_engine(db.app_url, pool_size=1, max_overflow=0)
    make_uow = uow_factory(create_sessionmaker(engine))
    awkward = ["o'brien", "back\\slash'); DELETE FROM audit_log; --", "Zoë 🚀 $$ $tag$", "E'\\x00'"]
    identity = Identity("it's me", TenantId(tenant), frozenset({Role.CLIENT_ADMIN}))
    try:
        async with make_uow(TenantId(tenant), identity) as uow:
            for value in awkward:
                await uow.audit("thing.touched", value, value, before={"v": value}, after=None)
            await uow.commit()
        async with make_uow(TenantId(tenant), None) as uow:
            report = await verify_chain(uow.session, tenant)
            rows = (
                await uow.session.execute(
                    text(
                        "SELECT actor, resource_type, resource_id, real_actor, after_digest"
                        " FROM audit_log WHERE tenant_id = :t ORDER BY seq"
                    ),
                    {"t": tenant},
                )
            ).all()
    finally:
        await engine.dispose()
    assert [tuple(row) for row in rows] == [("it's me", v, v, None, None) for v in awkward]
    assert (report.rows, report.broken_at) == (4, None)
