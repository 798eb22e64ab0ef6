"""Reopened enrolments: the completions an enrolment had and the ones reopening reversed (so its state and
complete time follow from the set of its events in any arrival order), and the `reopened` fact kind

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

`enrollment_reopened` names the `completed_at` of the completion it reverses, so the merged enrolment keeps
both sets of instants: it is completed while a completion is not reversed, at the latest such instant.
Existing completed rows get their one completion here (forced row-level security lifted for the owner
inside this migration's transaction only). The facts check constraint is replaced to admit `reopened`
(NOT VALID: the wider check holds for every existing fact, so none is read).
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from aigym_platform.migration_ops import fill_across_tenants

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TIMES = postgresql.ARRAY(sa.DateTime(timezone=True))
KINDS = ("block", "course_completed", "reset", "enrolled", "program_completed", "milestone", "withdrawn")


def _facts_kinds(kinds: tuple[str, ...], *, widening: bool) -> None:
    """Replace the facts' kind check. Widening it admits every row the old one did, so the new check is
    added NOT VALID: no scan of the (tens of millions of) facts under the table's exclusive lock."""
    listed = ", ".join(f"'{kind}'" for kind in kinds)
    unchecked = " NOT VALID" if widening else ""
    op.execute("ALTER TABLE facts DROP CONSTRAINT ck_facts_ck_facts_kind")
    check = f"CHECK (kind IN ({listed})){unchecked}"
    op.execute(f"ALTER TABLE facts ADD CONSTRAINT ck_facts_ck_facts_kind {check}")


def upgrade() -> None:
    for column in ("completion_times", "reopened_times"):
        op.add_column("enrollments", sa.Column(column, TIMES, nullable=False, server_default=sa.text("'{}'")))
    fill_across_tenants(
        "UPDATE enrollments SET completion_times = ARRAY[complete_time] WHERE complete_time IS NOT NULL",
        "enrollments",
    )
    _facts_kinds((*KINDS, "reopened"), widening=True)


def downgrade() -> None:
    fill_across_tenants("DELETE FROM facts WHERE kind = 'reopened'", "facts")
    _facts_kinds(KINDS, widening=False)
    op.drop_column("enrollments", "reopened_times")
    op.drop_column("enrollments", "completion_times")
