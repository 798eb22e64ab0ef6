"""learner_course_completions: the progress attempt of each entry, and resets kept as entries

A course_completed event of an older attempt that arrives after the course was reset (delivery is at least
once and not ordered) must not bring the course back: each entry now keeps the attempt it was written
for, and a reset keeps an entry (not completed) with the new attempt instead of deleting it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "learner_course_completions", sa.Column("attempt", sa.Integer(), nullable=False, server_default="0")
    )
    op.add_column(
        "learner_course_completions",
        sa.Column("completed", sa.Boolean(), nullable=False, server_default=sa.true()),
    )


def downgrade() -> None:
    op.execute("DELETE FROM learner_course_completions WHERE NOT completed")
    op.drop_column("learner_course_completions", "completed")
    op.drop_column("learner_course_completions", "attempt")
