"""Per-service database provisioning: one database, an owner role (migrations) and an app role (runtime)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServiceDatabase:
    """Names and URLs of one service's database and roles."""

    service: str
    database: str
    owner_role: str
    app_role: str
    owner_url: str
    app_url: str


def service_database(
    admin_url: str, service: str, *, prefix: str = "aigym", password: str = ""
) -> ServiceDatabase:
    """Derive the database, role names and connection URLs of `service` from the server admin URL."""
    parts = urlsplit(admin_url)
    database = f"{prefix}_{service}"
    owner, app = f"{prefix}_{service}_owner", f"{prefix}_{service}_app"

    def url_for(role: str) -> str:
        credentials = quote(role) + (":" + quote(password, safe="") if password else "")
        host = parts.hostname or "127.0.0.1"
        netloc = f"{credentials}@{host}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit(("postgresql", netloc, "/" + database, parts.query, ""))

    return ServiceDatabase(service, database, owner, app, url_for(owner), url_for(app))


def _plain_url(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def _ensure_role(conn: asyncpg.Connection, role: str, password: str) -> None:
    exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
    verb = "ALTER" if exists else "CREATE"
    options = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS"
    if password:
        escaped = password.replace("'", "''")
        options += f" PASSWORD '{escaped}'"
    await conn.execute(f'{verb} ROLE "{role}" WITH {options}')


async def provision(
    admin_url: str, service: str, *, prefix: str = "aigym", password: str = ""
) -> ServiceDatabase:
    """Create (idempotently) the service's roles, database and schema grants; return its URLs."""
    db = service_database(admin_url, service, prefix=prefix, password=password)
    conn = await asyncpg.connect(_plain_url(admin_url))
    try:
        await _ensure_role(conn, db.owner_role, password)
        await _ensure_role(conn, db.app_role, password)
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", db.database):
            await conn.execute(f'CREATE DATABASE "{db.database}" OWNER "{db.owner_role}"')
            log.info("created database %s", db.database)
    finally:
        await conn.close()
    parts = urlsplit(_plain_url(admin_url))
    conn = await asyncpg.connect(urlunsplit(parts._replace(path="/" + db.database)))
    try:
        await conn.execute(f'REVOKE ALL ON DATABASE "{db.database}" FROM PUBLIC')
        await conn.execute(f'GRANT CONNECT, TEMPORARY ON DATABASE "{db.database}" TO "{db.app_role}"')
        await conn.execute(f'ALTER SCHEMA public OWNER TO "{db.owner_role}"')
        await conn.execute("REVOKE ALL ON SCHEMA public FROM PUBLIC")
        await conn.execute(f'GRANT USAGE ON SCHEMA public TO "{db.app_role}"')
        await conn.execute(
            f'ALTER DEFAULT PRIVILEGES FOR ROLE "{db.owner_role}" IN SCHEMA public'
            f' GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "{db.app_role}"'
        )
        await conn.execute(
            f'ALTER DEFAULT PRIVILEGES FOR ROLE "{db.owner_role}" IN SCHEMA public'
            f' GRANT USAGE, SELECT ON SEQUENCES TO "{db.app_role}"'
        )
    finally:
        await conn.close()
    return db
