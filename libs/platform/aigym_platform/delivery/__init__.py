"""Outbound notifications: email over SMTP and HMAC-signed webhooks, one result per recipient.

Every send returns `DeliveryResult`s (never raises for a failed delivery) that a service stores as its
delivery log and uses to decide whether to retry: `transient` failures may succeed later, `permanent`
ones will not. See docs/delivery.md.
"""

from aigym_platform.delivery.mail import Attachment, EmailMessage, SmtpMailer
from aigym_platform.delivery.results import DeliveryResult, DeliveryStatus
from aigym_platform.delivery.settings import DeliverySettings
from aigym_platform.delivery.signing import (
    SIGNATURE_HEADER,
    InvalidSignatureError,
    sign_payload,
    signature_header,
    verify_signature,
)
from aigym_platform.delivery.webhook import WebhookSender

__all__ = [
    "SIGNATURE_HEADER",
    "Attachment",
    "DeliveryResult",
    "DeliverySettings",
    "DeliveryStatus",
    "EmailMessage",
    "InvalidSignatureError",
    "SmtpMailer",
    "WebhookSender",
    "sign_payload",
    "signature_header",
    "verify_signature",
]
