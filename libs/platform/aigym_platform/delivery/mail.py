"""Email over SMTP: one message, one `DeliveryResult` per recipient (RFC 5321 reply classes decide retry)."""

from __future__ import annotations

import asyncio
import email.message
import email.policy
import email.utils
import hashlib
import smtplib
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import unquote, urlsplit

from aigym_platform.delivery.results import DeliveryResult, DeliveryStatus, status_for_smtp_code
from aigym_platform.delivery.settings import DeliverySettings

_SCHEMES = {"smtp": (25, "plain"), "smtp+starttls": (587, "starttls"), "smtps": (465, "tls")}


@dataclass(frozen=True)
class Attachment:
    """A file attached to an email (reports, .ics invitations)."""

    filename: str
    content: bytes
    media_type: str = "application/octet-stream"


@dataclass(frozen=True)
class EmailMessage:
    """What to send. Each address in `to` gets its own result; send one message per person for privacy."""

    to: tuple[str, ...]
    subject: str
    text: str
    html: str | None = None
    attachments: tuple[Attachment, ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    reply_to: str | None = None


@dataclass(frozen=True)
class SmtpEndpoint:
    """A parsed `AIGYM_SMTP_URL`."""

    host: str
    port: int
    security: str  # plain | starttls | tls
    username: str
    password: str

    @classmethod
    def parse(cls, url: str) -> SmtpEndpoint:
        """Parse `smtp://`, `smtp+starttls://` or `smtps://` URLs; raise ValueError on anything else."""
        parts = urlsplit(url)
        if parts.scheme not in _SCHEMES or not parts.hostname:
            raise ValueError("AIGYM_SMTP_URL must look like smtp://host:port, smtp+starttls:// or smtps://")
        default_port, security = _SCHEMES[parts.scheme]
        return cls(
            host=parts.hostname,
            port=parts.port or default_port,
            security=security,
            username=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
        )


class SmtpMailer:
    """Sends `EmailMessage`s through the configured SMTP server (one connection per message)."""

    def __init__(self, settings: DeliverySettings) -> None:
        url = settings.smtp_url.get_secret_value()
        if not url:
            raise ValueError("email delivery is not configured: set AIGYM_SMTP_URL")
        self.endpoint = SmtpEndpoint.parse(url)
        self.sender = settings.smtp_from
        self.timeout = settings.smtp_timeout_seconds
        self.helo_name = settings.smtp_helo_name or None
        _, self.sender_address = email.utils.parseaddr(self.sender)
        if "@" not in self.sender_address:
            raise ValueError("AIGYM_SMTP_FROM must contain an address")

    async def send(
        self, message: EmailMessage, *, idempotency_key: str | None = None
    ) -> list[DeliveryResult]:
        """Send without blocking the event loop; never raises for a delivery failure (see the results).

        With an `idempotency_key` the Message-ID is derived from it, so a retry of the same logical
        delivery carries the same Message-ID and receiving systems can drop the duplicate.
        """
        return await asyncio.to_thread(self.send_blocking, message, idempotency_key=idempotency_key)

    def send_blocking(
        self, message: EmailMessage, *, idempotency_key: str | None = None
    ) -> list[DeliveryResult]:
        """The same as `send`, in the calling thread."""
        started = time.perf_counter()
        attempted_at = datetime.now(UTC)
        message_id = self._message_id(idempotency_key)

        def result(recipient: str, status: DeliveryStatus, code: str, detail: str) -> DeliveryResult:
            elapsed = (time.perf_counter() - started) * 1000
            return DeliveryResult("email", recipient, status, code, detail, message_id, attempted_at, elapsed)

        results: dict[str, DeliveryResult] = {}
        valid: list[str] = []
        for address in message.to:
            if _valid_address(address):
                valid.append(address)
            else:
                results[address] = result(
                    address, DeliveryStatus.PERMANENT_FAILURE, "invalid_address", "not a deliverable address"
                )
        if valid:
            mime = self._build(message, valid, message_id)
            for recipient, (status, code, detail) in self._transmit(mime, valid).items():
                results[recipient] = result(recipient, status, code, detail)
        return [results[address] for address in message.to]

    def _transmit(self, mime: email.message.EmailMessage, recipients: Sequence[str]) -> dict[str, _Outcome]:
        """Talk SMTP; map every failure to a per-recipient outcome."""
        endpoint = self.endpoint
        try:
            client = self._connect()
            try:
                if endpoint.security == "starttls":
                    client.starttls(context=ssl.create_default_context())
                if endpoint.username:
                    client.login(endpoint.username, endpoint.password)
                refused = client.send_message(mime, self.sender_address, list(recipients))
            finally:
                try:
                    client.quit()
                except (smtplib.SMTPException, OSError):
                    client.close()
        except smtplib.SMTPRecipientsRefused as error:
            return {r: _refusal(*error.recipients[r]) for r in recipients}
        except smtplib.SMTPAuthenticationError as error:
            return dict.fromkeys(recipients, _config_failure(error))
        except smtplib.SMTPNotSupportedError as error:
            return dict.fromkeys(recipients, _config_failure(error))
        except smtplib.SMTPResponseException as error:  # sender refused, data refused, connect refused
            return dict.fromkeys(recipients, _refusal(error.smtp_code, error.smtp_error))
        except (TimeoutError, smtplib.SMTPServerDisconnected, OSError) as error:
            code = "timeout" if isinstance(error, TimeoutError) else "connection_failed"
            return dict.fromkeys(recipients, (DeliveryStatus.TRANSIENT_FAILURE, code, str(error) or code))
        outcomes: dict[str, _Outcome] = {}
        for recipient in recipients:
            if recipient in refused:
                outcomes[recipient] = _refusal(*refused[recipient])
            else:
                outcomes[recipient] = (DeliveryStatus.DELIVERED, "smtp_250", "accepted")
        return outcomes

    def _connect(self) -> smtplib.SMTP:
        endpoint = self.endpoint
        if endpoint.security == "tls":
            return smtplib.SMTP_SSL(
                endpoint.host,
                endpoint.port,
                local_hostname=self.helo_name,
                timeout=self.timeout,
                context=ssl.create_default_context(),
            )
        return smtplib.SMTP(endpoint.host, endpoint.port, local_hostname=self.helo_name, timeout=self.timeout)

    def _message_id(self, idempotency_key: str | None) -> str:
        domain = self.sender_address.rpartition("@")[2]
        if idempotency_key is None:
            return email.utils.make_msgid(domain=domain)
        digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]
        return f"<{digest}@{domain}>"

    def _build(
        self, message: EmailMessage, recipients: Sequence[str], message_id: str
    ) -> email.message.EmailMessage:
        mime = email.message.EmailMessage(policy=email.policy.SMTP)
        mime["From"] = self.sender
        mime["To"] = ", ".join(recipients)
        mime["Subject"] = message.subject
        mime["Date"] = email.utils.formatdate(localtime=False)
        mime["Message-ID"] = message_id
        if message.reply_to:
            mime["Reply-To"] = message.reply_to
        for name, value in message.headers:
            mime[name] = value
        mime.set_content(message.text)
        if message.html is not None:
            mime.add_alternative(message.html, subtype="html")
        for attachment in message.attachments:
            maintype, _, subtype = attachment.media_type.partition("/")
            mime.add_attachment(
                attachment.content,
                maintype=maintype,
                subtype=subtype or "octet-stream",
                filename=attachment.filename,
            )
        return mime


_Outcome = tuple[DeliveryStatus, str, str]


def _refusal(code: int, response: bytes | str) -> _Outcome:
    detail = response.decode(errors="replace") if isinstance(response, bytes) else str(response)
    return status_for_smtp_code(code), f"smtp_{code}", detail


def _config_failure(error: Exception) -> _Outcome:
    """Our side is misconfigured (login refused, no STARTTLS): not the recipient's fault; retry later."""
    return DeliveryStatus.TRANSIENT_FAILURE, "smtp_configuration", str(error)


def _valid_address(address: str) -> bool:
    if any(char in address for char in "\r\n\0") or address.count("@") != 1:
        return False
    local, _, domain = address.partition("@")
    return bool(local) and "." in domain.strip(".") and " " not in address
