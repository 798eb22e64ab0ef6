"""Row level security of every tenant table of every service, enumerated from the live schemas."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import pytest

from aigym_platform.devstack.services import SERVICES
from aigym_platform.provisioning import ServiceDatabase

TENANT_TABLES = """
    SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind = 'r'
      AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id')
    ORDER BY c.relname
"""


async def _connect(url: str) -> asyncpg.Connection:
    return await asyncpg.connect(url)


@pytest.mark.parametrize("service", [s.name for s in SERVICES])
async def test_every_tenant_table_is_isolated_by_rls(
    service: str, service_databases: dict[str, ServiceDatabase], seeders: dict[str, Any]
) -> None:
    db = service_databases[service]
    tenant, other = uuid.uuid4(), uuid.uuid4()
    await seeders[service](db, tenant)
    conn = await _connect(db.app_url)
    try:
        role = await conn.fetchrow("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        assert role is not None
        assert not role["rolsuper"]
        assert not role["rolbypassrls"]
        tables = await conn.fetch(TENANT_TABLES)
        assert tables, f"{service} has no tenant tables"
        policies = {
            r["tablename"]: r
            for r in await conn.fetch(
                # The policies that apply to this (app) role; owner-only policies let SECURITY DEFINER
                # functions read across tenants and do not concern it.
                "SELECT tablename, qual, with_check FROM pg_policies WHERE schemaname='public'"
                " AND (roles @> ARRAY['public']::name[] OR roles @> ARRAY[current_user]::name[])"
            )
        }
        for table in tables:
            name = table["relname"]
            assert table["relrowsecurity"], f"{name}: RLS not enabled"
            assert table["relforcerowsecurity"], f"{name}: RLS not forced"
            assert "app.tenant_id" in (policies[name]["qual"] or ""), f"{name}: no tenant USING clause"
            assert "app.tenant_id" in (policies[name]["with_check"] or ""), f"{name}: no tenant WITH CHECK"
            # No tenant set: nothing is visible.
            assert await conn.fetchval(f"SELECT count(*) FROM {name}") == 0, name
            async with conn.transaction():
                await conn.execute("SELECT set_config('app.tenant_id', $1, true)", str(tenant))
                seen = await conn.fetchval(f"SELECT count(*) FROM {name}")
                assert seen > 0, f"{name}: the {service} seeder must leave a row in every tenant table"
                foreign = await conn.fetchval(f"SELECT count(*) FROM {name} WHERE tenant_id <> $1", tenant)
                assert foreign == 0
            # Another tenant set: the seeded rows stay invisible.
            async with conn.transaction():
                await conn.execute("SELECT set_config('app.tenant_id', $1, true)", str(other))
                assert await conn.fetchval(f"SELECT count(*) FROM {name} WHERE tenant_id = $1", tenant) == 0
            # Tenant set, but the row names another tenant: the policy's WITH CHECK refuses it.
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
                async with conn.transaction():
                    await conn.execute("SELECT set_config('app.tenant_id', $1, true)", str(tenant))
                    await conn.execute(f"INSERT INTO {name} (tenant_id) VALUES ($1)", other)
        # The pooled connection keeps no tenant after the transactions ended (set_config is local).
        assert await conn.fetchval("SELECT current_setting('app.tenant_id', true)") in (None, "")
    finally:
        await conn.close()
