"""Email delivery against the real SMTP sink process (the one `make run` starts)."""

from __future__ import annotations

import uuid

import pytest

from aigym_platform.delivery import Attachment, DeliverySettings, DeliveryStatus, EmailMessage, SmtpMailer
from aigym_platform.delivery.mail import SmtpEndpoint
from aigym_platform.devstack.ports import free_port
from aigym_platform.testing.mail import SmtpSink


def mailer(url: str, timeout: float = 5.0) -> SmtpMailer:
    return SmtpMailer(
        DeliverySettings(smtp_url=url, smtp_from="AI Gym <noreply@aigym.test>", smtp_timeout_seconds=timeout)
    )


def address(prefix: str = "learner") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


async def test_message_with_html_and_attachment_reaches_every_recipient(smtp_sink_server: SmtpSink) -> None:
    first, second = address(), address()
    message = EmailMessage(
        to=(first, second),
        subject="Your session starts soon — Kickoff",
        text="See you at 09:00.",
        html="<p>See you at <b>09:00</b>.</p>",
        attachments=(Attachment("invite.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar"),),
        headers=(("X-AIGym-Reminder", "r-1"),),
    )

    results = await mailer(smtp_sink_server.url).send(message)

    assert [(r.recipient, r.status, r.code, r.channel) for r in results] == [
        (first, DeliveryStatus.DELIVERED, "smtp_250", "email"),
        (second, DeliveryStatus.DELIVERED, "smtp_250", "email"),
    ]
    (stored,) = smtp_sink_server.wait_for(1, to=second)
    assert stored["Subject"] == "Your session starts soon — Kickoff"
    assert stored["Message-ID"] == results[0].message_id == results[1].message_id
    assert stored["X-AIGym-Reminder"] == "r-1"
    assert stored["X-Sink-Mail-From"] == "noreply@aigym.test"
    body = stored.get_body(preferencelist=("html",))
    assert body is not None
    assert "<b>09:00</b>" in body.get_content()
    (attachment,) = list(stored.iter_attachments())
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_content_type() == "text/calendar"
    assert len(smtp_sink_server.messages(to=first)) == 1


async def test_idempotency_key_gives_every_retry_the_same_message_id(smtp_sink_server: SmtpSink) -> None:
    to = address()
    key = f"reminder:{uuid.uuid4()}"
    sender = mailer(smtp_sink_server.url)

    first = await sender.send(EmailMessage(to=(to,), subject="s", text="t"), idempotency_key=key)
    again = await sender.send(EmailMessage(to=(to,), subject="s", text="t"), idempotency_key=key)
    other = await sender.send(EmailMessage(to=(to,), subject="s", text="t"))

    assert first[0].message_id == again[0].message_id != other[0].message_id
    stored = smtp_sink_server.wait_for(3, to=to)
    assert [m["Message-ID"] for m in stored].count(first[0].message_id) == 2


async def test_each_recipient_is_classified_by_the_servers_reply(smtp_sink_server: SmtpSink) -> None:
    ok, rejected, deferred = address(), address("reject"), address("defer")

    results = await mailer(smtp_sink_server.url).send(
        EmailMessage(to=(ok, rejected, deferred), subject="mixed", text="t")
    )

    by_recipient = {r.recipient: r for r in results}
    assert by_recipient[ok].delivered
    assert by_recipient[rejected].status is DeliveryStatus.PERMANENT_FAILURE
    assert by_recipient[rejected].code == "smtp_550"
    assert not by_recipient[rejected].retryable
    assert by_recipient[deferred].status is DeliveryStatus.TRANSIENT_FAILURE
    assert by_recipient[deferred].code == "smtp_451"
    assert by_recipient[deferred].retryable
    (stored,) = smtp_sink_server.wait_for(1, to=ok)
    assert stored["X-Sink-Rcpt-To"] == ok


async def test_all_recipients_refused_yields_one_failure_each(smtp_sink_server: SmtpSink) -> None:
    rejected, deferred = address("reject"), address("defer")

    results = await mailer(smtp_sink_server.url).send(
        EmailMessage(to=(rejected, deferred), subject="x", text="t")
    )

    assert [(r.status, r.code) for r in results] == [
        (DeliveryStatus.PERMANENT_FAILURE, "smtp_550"),
        (DeliveryStatus.TRANSIENT_FAILURE, "smtp_451"),
    ]


async def test_malformed_addresses_fail_permanently_without_reaching_the_server(
    smtp_sink_server: SmtpSink,
) -> None:
    injected = f"{address()}\r\nBcc: victim@example.com"

    results = await mailer(smtp_sink_server.url).send(
        EmailMessage(to=(injected, "no-at-sign"), subject="x", text="t")
    )

    assert [(r.status, r.code) for r in results] == [
        (DeliveryStatus.PERMANENT_FAILURE, "invalid_address")
    ] * 2
    assert smtp_sink_server.messages(to="victim@example.com") == []


async def test_unreachable_server_is_a_transient_failure() -> None:
    results = await mailer(f"smtp://127.0.0.1:{free_port()}", timeout=2).send(
        EmailMessage(to=(address(),), subject="x", text="t")
    )

    assert results[0].status is DeliveryStatus.TRANSIENT_FAILURE
    assert results[0].code in {"connection_failed", "timeout"}
    assert results[0].as_log_row()["status"] == "transient_failure"


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIGYM_SMTP_URL", "smtp+starttls://mailer%40corp:p%3Ass@mail.example.com")
    monkeypatch.setenv("AIGYM_SMTP_FROM", "Academy <academy@corp.example>")

    settings = DeliverySettings()
    endpoint = SmtpEndpoint.parse(settings.smtp_url.get_secret_value())

    assert endpoint == SmtpEndpoint("mail.example.com", 587, "starttls", "mailer@corp", "p:ss")
    assert SmtpEndpoint.parse("smtps://h").port == 465
    assert SmtpEndpoint.parse("smtp://h:2525").security == "plain"
    assert SmtpMailer(settings).sender_address == "academy@corp.example"


@pytest.mark.parametrize("url", ["", "http://mail.example.com", "smtp://"])
def test_mailer_refuses_a_missing_or_foreign_url(url: str) -> None:
    with pytest.raises(ValueError, match="SMTP_URL"):
        SmtpMailer(DeliverySettings(smtp_url=url))
