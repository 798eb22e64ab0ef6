"""Signed webhooks against a real HTTP receiver: signatures verify, status codes classify retries."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest

from aigym_platform.delivery import (
    SIGNATURE_HEADER,
    DeliverySettings,
    DeliveryStatus,
    InvalidSignatureError,
    WebhookSender,
    signature_header,
    verify_signature,
)
from aigym_platform.delivery.webhook import literal_non_public_host, non_global_address, pinned_opener
from aigym_platform.devstack.ports import free_port
from aigym_platform.testing.mail import ReceivedRequest, WebhookReceiver

SECRET = "whsec-test-1"


def sender(timeout: float = 5.0) -> WebhookSender:
    return WebhookSender(DeliverySettings(webhook_timeout_seconds=timeout))


async def test_delivered_webhook_carries_a_verifiable_signature(webhook_server: WebhookReceiver) -> None:
    payload = {"type": "reminder", "occurrence": "2026-12-01T09:00:00+01:00"}

    result = await sender().send(
        webhook_server.url("/in"), payload, secrets=[SECRET], event_type="aigym.calendar.reminder_sent.v1"
    )

    assert (result.status, result.code, result.channel) == (DeliveryStatus.DELIVERED, "http_204", "webhook")
    (request,) = webhook_server.requests
    assert request.path == "/in"
    assert json.loads(request.body) == payload
    assert request.headers["content-type"] == "application/json"
    assert request.headers["x-aigym-event"] == "aigym.calendar.reminder_sent.v1"
    assert request.headers["x-aigym-delivery"] == result.message_id
    stamp = verify_signature(request.headers[SIGNATURE_HEADER.lower()], request.body, [SECRET])
    assert abs(stamp - time.time()) < 60
    with pytest.raises(InvalidSignatureError):
        verify_signature(request.headers[SIGNATURE_HEADER.lower()], request.body + b" ", [SECRET])
    with pytest.raises(InvalidSignatureError):
        verify_signature(request.headers[SIGNATURE_HEADER.lower()], request.body, ["another-secret"])


async def test_rotation_signs_with_old_and_new_secret(webhook_server: WebhookReceiver) -> None:
    await sender().send(webhook_server.url(), b'{"a":1}', secrets=["old", "new"], event_type="t")

    header = webhook_server.requests[0].headers[SIGNATURE_HEADER.lower()]
    assert header.count("v1=") == 2
    verify_signature(header, b'{"a":1}', ["old"])
    verify_signature(header, b'{"a":1}', ["new"])


async def test_idempotency_key_keeps_the_delivery_id(webhook_server: WebhookReceiver) -> None:
    send = sender()
    first = await send.send(webhook_server.url(), {}, secrets=[SECRET], event_type="t", idempotency_key="k1")
    again = await send.send(webhook_server.url(), {}, secrets=[SECRET], event_type="t", idempotency_key="k1")
    other = await send.send(webhook_server.url(), {}, secrets=[SECRET], event_type="t", idempotency_key="k2")

    assert first.message_id == again.message_id != other.message_id


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (200, DeliveryStatus.DELIVERED),
        (202, DeliveryStatus.DELIVERED),
        (400, DeliveryStatus.PERMANENT_FAILURE),
        (401, DeliveryStatus.PERMANENT_FAILURE),
        (404, DeliveryStatus.PERMANENT_FAILURE),
        (410, DeliveryStatus.PERMANENT_FAILURE),
        (408, DeliveryStatus.TRANSIENT_FAILURE),
        (429, DeliveryStatus.TRANSIENT_FAILURE),
        (500, DeliveryStatus.TRANSIENT_FAILURE),
        (503, DeliveryStatus.TRANSIENT_FAILURE),
    ],
)
async def test_status_codes_decide_retry(
    webhook_server: WebhookReceiver, status: int, expected: DeliveryStatus
) -> None:
    webhook_server.respond_with.append(status)

    result = await sender().send(webhook_server.url(), {}, secrets=[SECRET], event_type="t")

    assert (result.status, result.code) == (expected, f"http_{status}")
    assert result.retryable is (expected is DeliveryStatus.TRANSIENT_FAILURE)


async def test_retry_after_hint_is_kept(webhook_server: WebhookReceiver) -> None:
    webhook_server.respond = lambda _request: (503, {"Retry-After": "7"})

    result = await sender().send(webhook_server.url(), {}, secrets=[SECRET], event_type="t")

    assert result.retryable
    assert result.retry_after_seconds == 7.0


async def test_redirects_are_not_followed(webhook_server: WebhookReceiver) -> None:
    webhook_server.respond = lambda request: (
        (302, {"Location": webhook_server.url("/elsewhere")}) if request.path == "/hook" else (204, {})
    )

    result = await sender().send(webhook_server.url(), {}, secrets=[SECRET], event_type="t")

    assert (result.status, result.code) == (DeliveryStatus.PERMANENT_FAILURE, "http_302")
    assert [r.path for r in webhook_server.requests] == ["/hook"]


async def test_slow_receiver_is_a_transient_timeout(webhook_server: WebhookReceiver) -> None:
    def slow(_request: ReceivedRequest) -> tuple[int, dict[str, str]]:
        time.sleep(1.5)
        return 204, {}

    webhook_server.respond = slow

    result = await sender(timeout=0.5).send(webhook_server.url(), {}, secrets=[SECRET], event_type="t")

    assert (result.status, result.code) == (DeliveryStatus.TRANSIENT_FAILURE, "timeout")


async def test_unreachable_receiver_is_transient_and_bad_urls_are_permanent() -> None:
    refused = await sender().send(f"http://127.0.0.1:{free_port()}/x", {}, secrets=[SECRET], event_type="t")
    bad = await sender().send("ftp://example.com/x", {}, secrets=[SECRET], event_type="t")

    assert (refused.status, refused.code) == (DeliveryStatus.TRANSIENT_FAILURE, "connection_failed")
    assert (bad.status, bad.code) == (DeliveryStatus.PERMANENT_FAILURE, "invalid_url")


def test_signature_checks_reject_stale_malformed_and_missing_headers() -> None:
    body = b'{"x":1}'
    old = signature_header([SECRET], body, timestamp=1_000_000)

    assert verify_signature(old, body, [SECRET], now=1_000_100) == 1_000_000
    with pytest.raises(InvalidSignatureError, match="tolerance"):
        verify_signature(old, body, [SECRET], now=1_000_000 + 301)
    for header in (None, "", "garbage", "t=abc,v1=00", "v1=00", "t=1"):
        with pytest.raises(InvalidSignatureError):
            verify_signature(header, body, [SECRET], now=1)
    with pytest.raises(ValueError, match="secret"):
        signature_header([], body)


async def test_non_public_addresses_are_refused_unless_allowed(webhook_server: WebhookReceiver) -> None:
    strict = WebhookSender(DeliverySettings(webhook_allow_private_addresses=False))
    port = webhook_server.url().rsplit(":", 1)[1].split("/", 1)[0]
    targets = [
        webhook_server.url(),  # loopback, where a real receiver listens
        f"http://localhost:{port}/hook",  # a name that resolves to loopback
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata endpoint
        "http://100.64.0.1/hook",  # carrier-grade NAT
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "https://0.0.0.0/hook",
    ]
    for url in targets:
        result = await strict.send(url, {"a": 1}, secrets=[SECRET], event_type="t")
        assert (result.status, result.code) == (DeliveryStatus.PERMANENT_FAILURE, "address_not_allowed"), url
    assert webhook_server.requests == []  # nothing left the sender

    # The same receiver with private addresses allowed (the dev stack and tests) gets the request.
    allowed = WebhookSender(DeliverySettings(webhook_allow_private_addresses=True))
    ok = await allowed.send(webhook_server.url(), {"a": 1}, secrets=[SECRET], event_type="t")
    assert ok.status is DeliveryStatus.DELIVERED
    assert len(webhook_server.requests) == 1


async def test_a_name_is_resolved_once_so_a_rebinding_answer_cannot_turn_the_delivery_inward(
    webhook_server: WebhookReceiver,
) -> None:
    # `localhost` answers with a public address to the check; resolved again when connecting (as before
    # the connection was pinned), it would reach the receiver on loopback.
    lookups: list[str] = []

    def rebinding(host: str, port: int) -> list[str]:
        lookups.append(host)
        return ["93.184.216.34"]

    strict = WebhookSender(
        DeliverySettings(webhook_allow_private_addresses=False, webhook_timeout_seconds=1.0),
        resolver=rebinding,
    )
    port = webhook_server.url().rsplit(":", 1)[1].split("/", 1)[0]
    result = await strict.send(f"http://localhost:{port}/hook", {"a": 1}, secrets=[SECRET], event_type="t")
    assert result.status is DeliveryStatus.TRANSIENT_FAILURE  # the public address does not answer here
    assert lookups == ["localhost"]
    assert webhook_server.requests == []


def test_a_pinned_connection_tries_the_checked_addresses_in_order_and_keeps_the_name(
    webhook_server: WebhookReceiver,
) -> None:
    port = webhook_server.url().rsplit(":", 1)[1].split("/", 1)[0]
    # Nothing listens on 127.0.0.2 (the receiver is bound to 127.0.0.1): the second address is used.
    opener = pinned_opener("hooks.example.test", ["127.0.0.2", "127.0.0.1"])
    request = urllib.request.Request(f"http://hooks.example.test:{port}/hook", data=b"{}", method="POST")
    with opener.open(request, timeout=5) as response:
        assert response.status == 204
    assert webhook_server.requests[0].headers["host"] == f"hooks.example.test:{port}"
    with pytest.raises(urllib.error.URLError):
        pinned_opener("hooks.example.test", ["127.0.0.2"]).open(request, timeout=5)


def test_public_addresses_pass_the_address_check() -> None:
    assert non_global_address("93.184.216.34", 443) is None
    assert non_global_address("2606:2800:220:1:248:1893:25c8:1946", 443) is None
    assert non_global_address("127.0.0.2", 80) == "127.0.0.2"


def test_saved_urls_are_checked_for_literal_local_hosts_without_dns() -> None:
    found = {
        url: literal_non_public_host(url)
        for url in (
            "https://hooks.example.com/x",
            "https://93.184.216.34/x",
            "http://localhost:8080/x",
            "http://API.LOCALHOST./x",
            "http://127.0.0.1/x",
            "http://[::1]/x",
            "http://[::ffff:10.0.0.1]/x",
            "http://169.254.169.254/latest/meta-data",
            "http://224.0.0.1/x",
            "not a url",
        )
    }
    assert found == {
        "https://hooks.example.com/x": None,  # names are resolved and checked at delivery
        "https://93.184.216.34/x": None,
        "http://localhost:8080/x": "localhost",
        "http://API.LOCALHOST./x": "api.localhost",
        "http://127.0.0.1/x": "127.0.0.1",
        "http://[::1]/x": "::1",
        "http://[::ffff:10.0.0.1]/x": "10.0.0.1",
        "http://169.254.169.254/latest/meta-data": "169.254.169.254",
        "http://224.0.0.1/x": "224.0.0.1",
        "not a url": None,
    }
