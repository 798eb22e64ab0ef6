"""What one delivery attempt to one recipient came to: the row of a delivery log and the retry decision."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal

Channel = Literal["email", "webhook"]


class DeliveryStatus(StrEnum):
    """Outcome of one attempt: delivered, or failed in a way a retry may (transient) or cannot fix."""

    DELIVERED = "delivered"
    TRANSIENT_FAILURE = "transient_failure"
    PERMANENT_FAILURE = "permanent_failure"


@dataclass(frozen=True)
class DeliveryResult:
    """One recipient's outcome of one attempt.

    `code` is stable and machine-readable (`smtp_250`, `smtp_550`, `http_503`, `timeout`,
    `connection_failed`, `invalid_address`, ...); `detail` is the server's words, for operators.
    `message_id` is the email's Message-ID or the webhook's delivery id (the same on every retry of one
    logical delivery when the caller passes an idempotency key). `retry_after_seconds` is the receiver's
    Retry-After hint when it gave one.
    """

    channel: Channel
    recipient: str
    status: DeliveryStatus
    code: str
    detail: str
    message_id: str
    attempted_at: datetime
    duration_ms: float
    retry_after_seconds: float | None = None

    @property
    def delivered(self) -> bool:
        """True when the receiving server accepted the message."""
        return self.status is DeliveryStatus.DELIVERED

    @property
    def retryable(self) -> bool:
        """True when a later attempt may succeed (transient failure)."""
        return self.status is DeliveryStatus.TRANSIENT_FAILURE

    def as_log_row(self) -> dict[str, object]:
        """The result as plain JSON-friendly values (a delivery-log row or a structured log line)."""
        return {
            "channel": self.channel,
            "recipient": self.recipient,
            "status": self.status.value,
            "code": self.code,
            "detail": self.detail,
            "message_id": self.message_id,
            "attempted_at": self.attempted_at.isoformat(),
            "duration_ms": round(self.duration_ms, 3),
            "retry_after_seconds": self.retry_after_seconds,
        }


def status_for_smtp_code(code: int) -> DeliveryStatus:
    """RFC 5321 reply classes: 2xx delivered, 4xx transient, 5xx (and anything unexpected) permanent."""
    if 200 <= code < 300:
        return DeliveryStatus.DELIVERED
    if 400 <= code < 500:
        return DeliveryStatus.TRANSIENT_FAILURE
    return DeliveryStatus.PERMANENT_FAILURE


_TRANSIENT_HTTP = frozenset({408, 425, 429})


def status_for_http_code(code: int) -> DeliveryStatus:
    """2xx delivered; 408, 425, 429 and 5xx transient; redirects (never followed) and other 4xx permanent."""
    if 200 <= code < 300:
        return DeliveryStatus.DELIVERED
    if code in _TRANSIENT_HTTP or code >= 500:
        return DeliveryStatus.TRANSIENT_FAILURE
    return DeliveryStatus.PERMANENT_FAILURE
