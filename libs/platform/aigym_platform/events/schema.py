"""Names of the event tables and the outbox's NOTIFY channel (shared by migrations, relay and consumers)."""

from __future__ import annotations

OUTBOX_TABLE = "event_outbox"
INBOX_TABLE = "event_inbox"
DEAD_LETTER_TABLE = "event_dead_letters"
NOTIFY_CHANNEL = "aigym_outbox"
