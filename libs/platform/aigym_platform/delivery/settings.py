"""Delivery settings (`AIGYM_SMTP_*`, `AIGYM_WEBHOOK_*`); a service's settings class inherits them."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class DeliverySettings(BaseSettings):
    """Outbound email and webhook configuration.

    `smtp_url` forms: `smtp://host:port` (plain, the dev sink), `smtp+starttls://user:pass@host:587`
    (upgrade with STARTTLS, then log in), `smtps://user:pass@host:465` (implicit TLS). User and password
    are percent-decoded. Empty means email is not configured (the mailer refuses to start).
    """

    model_config = SettingsConfigDict(env_prefix="AIGYM_", extra="ignore")

    smtp_url: SecretStr = Field(default=SecretStr(""), description="SMTP server URL (see class docstring)")
    smtp_from: str = Field(
        default="AI Gym <no-reply@aigym.invalid>", description="From header and envelope sender of emails"
    )
    smtp_timeout_seconds: float = Field(default=10.0, description="Connect and per-command SMTP timeout")
    smtp_helo_name: str = Field(default="", description="Name sent in EHLO (empty: the local host name)")
    webhook_timeout_seconds: float = Field(default=5.0, description="Connect + response timeout of a webhook")
    webhook_user_agent: str = Field(default="aigym-webhooks/1", description="User-Agent of webhook requests")
    webhook_allow_private_addresses: bool = Field(
        default=False,
        description="Deliver webhooks to loopback, private, link-local and other non-global addresses "
        "(off in production: a tenant's webhook URL must not reach the cluster's own network; the dev "
        "stack and tests turn it on for local receivers)",
    )
    webhook_signature_tolerance_seconds: int = Field(
        default=300, description="How old a signature timestamp a receiver accepts (documented for receivers)"
    )
