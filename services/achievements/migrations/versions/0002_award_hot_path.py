# ruff: noqa: S608 - DDL built from this module's own constant names, never from input
"""the consumer's hot path: a per-tenant badge revision (bumped by a trigger on every badge write, so a
process may cache a tenant's active badges and see any change at the next event) and status-list slots
(ranges of status-list entries that concurrent awards take with SKIP LOCKED instead of queueing on the
list's counter row until commit)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from aigym_platform.migration_ops import app_role, enable_tenant_rls, grant_app

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UUID = postgresql.UUID(as_uuid=True)
BUMP = "achievements_bump_badge_revision()"


def upgrade() -> None:
    # A tenant without a row has revision 0: caches keyed by it are replaced at the tenant's first badge
    # write, which inserts revision 1, so existing tenants need no row.
    op.create_table(
        "badge_revisions",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_badge_revisions"),
    )
    # Runs as the writer (the app role, under the tenant's RLS scope), in the writer's transaction.
    op.execute(
        f"""
        CREATE FUNCTION {BUMP} RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
        BEGIN
            INSERT INTO badge_revisions (tenant_id, revision) VALUES (NEW.tenant_id, 1)
            ON CONFLICT (tenant_id) DO UPDATE SET revision = badge_revisions.revision + 1;
            RETURN NULL;
        END $$"""
    )
    op.execute(
        "CREATE TRIGGER badges_bump_revision AFTER INSERT OR UPDATE ON badges"
        f" FOR EACH ROW EXECUTE FUNCTION {BUMP}"
    )
    # Entries [next_index, end_index) of list `list_id` belong to this slot; an award takes the next one of
    # any slot nobody holds, so concurrent awards of a tenant never wait for each other's commit.
    op.create_table(
        "status_slots",
        sa.Column("tenant_id", UUID, nullable=False),
        sa.Column("slot_id", UUID, nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("list_id", UUID, nullable=False),
        sa.Column("next_index", sa.Integer(), nullable=False),
        sa.Column("end_index", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "slot_id", name="pk_status_slots"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "list_id"],
            ["status_lists.tenant_id", "status_lists.list_id"],
            name="fk_status_slots_list",
        ),
        sa.CheckConstraint("purpose IN ('revocation', 'suspension')", name="ck_status_slots_purpose"),
        sa.CheckConstraint("0 <= next_index AND next_index <= end_index", name="ck_status_slots_range"),
    )
    op.create_index("ix_status_slots_purpose", "status_slots", ["tenant_id", "purpose"])
    for table, privileges in (
        ("badge_revisions", "SELECT, INSERT, UPDATE"),
        ("status_slots", "SELECT, INSERT, UPDATE"),
    ):
        enable_tenant_rls(table)
        op.execute(f'REVOKE ALL ON {table} FROM PUBLIC, "{app_role()}"')
        grant_app(table, privileges)


def downgrade() -> None:
    op.drop_table("status_slots")
    op.execute("DROP TRIGGER badges_bump_revision ON badges")
    op.execute(f"DROP FUNCTION {BUMP}")
    op.drop_table("badge_revisions")
