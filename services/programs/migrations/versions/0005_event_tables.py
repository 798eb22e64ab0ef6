"""transactional outbox, consumer inbox and dead letters

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from aigym_platform.events.migration_ops import (
    create_dead_letters,
    create_inbox,
    create_outbox,
    drop_dead_letters,
    drop_inbox,
    drop_outbox,
)

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_outbox()
    create_inbox()
    create_dead_letters()


def downgrade() -> None:
    drop_dead_letters()
    drop_inbox()
    drop_outbox()
