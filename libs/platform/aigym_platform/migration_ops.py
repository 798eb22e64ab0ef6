"""Operations for Alembic migrations: tenant RLS with the standard policy and the audit log table."""

from __future__ import annotations

from alembic import context, op

from aigym_platform.audit import AUDIT_TABLE

TENANT_EXPRESSION = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"
POLICY_NAME = "tenant_isolation"


def app_role() -> str:
    """The runtime role of the service being migrated (passed by the migration runner)."""
    role = context.config.attributes.get("app_role")
    if not role:
        raise RuntimeError("migrations must be run through aigym_platform.migrations (app_role unset)")
    return str(role)


def enable_tenant_rls(table: str) -> None:
    """ENABLE + FORCE row level security with the one standard tenant policy (USING and WITH CHECK)."""
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY {POLICY_NAME} ON {table} USING (tenant_id = {TENANT_EXPRESSION})"
        f" WITH CHECK (tenant_id = {TENANT_EXPRESSION})"
    )


def grant_app(table: str, privileges: str = "SELECT, INSERT, UPDATE, DELETE") -> None:
    """Grant the runtime role the given privileges on a table."""
    op.execute(f'GRANT {privileges} ON {table} TO "{app_role()}"')


def create_audit_log() -> None:
    """Create the append-only audit table: RLS by tenant, insert/select only, a trigger refusing edits."""
    op.execute(
        f"""
        CREATE TABLE {AUDIT_TABLE} (
            tenant_id uuid NOT NULL,
            seq bigint NOT NULL,
            occurred_at timestamptz NOT NULL,
            actor text NOT NULL,
            real_actor text,
            action text NOT NULL,
            resource_type text NOT NULL,
            resource_id text NOT NULL,
            request_id text NOT NULL DEFAULT '',
            before_digest text,
            after_digest text,
            prev_hash text NOT NULL,
            hash text NOT NULL,
            CONSTRAINT pk_{AUDIT_TABLE} PRIMARY KEY (tenant_id, seq)
        )
        """
    )
    op.execute(
        f"CREATE INDEX ix_{AUDIT_TABLE}_resource ON {AUDIT_TABLE} (tenant_id, resource_type, resource_id)"
    )
    enable_tenant_rls(AUDIT_TABLE)
    op.execute(
        """
        CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END
        $$
        """
    )
    op.execute(
        f"CREATE TRIGGER {AUDIT_TABLE}_append_only BEFORE UPDATE OR DELETE ON {AUDIT_TABLE}"
        " FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()"
    )
    op.execute(
        f"CREATE TRIGGER {AUDIT_TABLE}_no_truncate BEFORE TRUNCATE ON {AUDIT_TABLE}"
        " FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change()"
    )
    op.execute(f'REVOKE ALL ON {AUDIT_TABLE} FROM PUBLIC, "{app_role()}"')
    op.execute(f'GRANT SELECT, INSERT ON {AUDIT_TABLE} TO "{app_role()}"')


def drop_audit_log() -> None:
    """Downgrade counterpart of create_audit_log."""
    op.execute(f"DROP TABLE IF EXISTS {AUDIT_TABLE}")
    op.execute("DROP FUNCTION IF EXISTS audit_log_refuse_change()")


def maintain_row_counts(table: str, counts: str, group_by: tuple[str, ...], count_column: str) -> None:
    """Keep `counts` (key `group_by`, which must start with tenant_id, plus `count_column`) equal to
    `SELECT group_by, count(*) FROM table GROUP BY group_by`, exactly, from every writer of `table`.

    Statement-level AFTER triggers with transition tables add the inserted rows, subtract the deleted
    ones and move the updated ones (an `INSERT ... ON CONFLICT DO UPDATE` fires both the insert and the
    update trigger); a bulk statement makes one upsert per group, not one per row. Groups are upserted in
    key order, so concurrent writers lock counter rows in the same order. The trigger functions run as
    the writer, so the counters are under the tenant policy like any other row. `counts` must exist with
    its primary key on `group_by`.
    """
    keys = ", ".join(group_by)  # identifiers from the migration's code, never input
    upsert = (
        f"INSERT INTO {counts} AS c ({keys}, {count_column}) SELECT {keys}, sum(d) FROM ({{deltas}}) AS x"  # noqa: S608
        f" GROUP BY {keys} HAVING sum(d) <> 0 ORDER BY {keys}"
        f" ON CONFLICT ({keys}) DO UPDATE SET {count_column} = c.{count_column} + excluded.{count_column}"
    )
    variants = {
        "insert": ("REFERENCING NEW TABLE AS new_rows", f"SELECT {keys}, 1 AS d FROM new_rows"),  # noqa: S608
        "delete": ("REFERENCING OLD TABLE AS old_rows", f"SELECT {keys}, -1 AS d FROM old_rows"),  # noqa: S608
        "update": (
            "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
            f"SELECT {keys}, 1 AS d FROM new_rows UNION ALL SELECT {keys}, -1 FROM old_rows",  # noqa: S608
        ),
    }
    for operation, (referencing, deltas) in variants.items():
        function = f"{counts}_on_{operation}"
        op.execute(
            f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"BEGIN\n  {upsert.format(deltas=deltas)};\n  RETURN NULL;\nEND\n$$"
        )
        op.execute(
            f"CREATE TRIGGER {function} AFTER {operation.upper()} ON {table} {referencing}"
            f" FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        )


def drop_row_counts(counts: str, table: str) -> None:
    """Undo `maintain_row_counts` (the triggers and their functions; the counts table is the caller's)."""
    for operation in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS {counts}_on_{operation} ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {counts}_on_{operation}()")


def fill_across_tenants(sql: str, *tables: str) -> None:
    """Run one statement that reads and writes every tenant's rows of `tables` (a backfill a migration owes
    existing data): the tables' FORCE ROW LEVEL SECURITY is lifted for the owner for this statement only,
    inside the migration's transaction, so no other session ever sees it lifted."""
    for table in tables:
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    op.execute(sql)
    for table in tables:
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
