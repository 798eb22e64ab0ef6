"""a later fact of the same occurrence replaces the earlier one: the app role may delete facts

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

A program completion or milestone of one enrolment can be announced again after the enrolment reopened
(a course reset for recertification, a version migration); rules count each such occurrence once, so the
consumer deletes the earlier fact when it records the later one (`AwardPathQueries.replace_earlier_fact`).
"""

from alembic import op

from aigym_platform.migration_ops import app_role

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(f'GRANT DELETE ON facts TO "{app_role()}"')


def downgrade() -> None:
    op.execute(f'REVOKE DELETE ON facts FROM "{app_role()}"')
