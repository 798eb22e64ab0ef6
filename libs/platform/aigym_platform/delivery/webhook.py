"""Signed webhooks: POST a JSON body with an HMAC signature header; the status code decides retries."""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import http.client
import ipaddress
import json
import socket
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from aigym_platform.delivery.results import DeliveryResult, DeliveryStatus, status_for_http_code
from aigym_platform.delivery.settings import DeliverySettings
from aigym_platform.delivery.signing import SIGNATURE_HEADER, signature_header

DELIVERY_HEADER = "X-AIGym-Delivery"
EVENT_HEADER = "X-AIGym-Event"
_DETAIL_LIMIT = 300


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Redirects are answered as they are (a permanent failure): a signed body is never re-sent elsewhere."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


Resolver = Callable[[str, int], list[str]]


def resolve(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to for a TCP connection, in the resolver's order."""
    return [str(sockaddr[0]) for *_, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


class WebhookSender:
    """POSTs signed JSON to receivers' URLs (http or https).

    Unless private addresses are allowed, the receiver's name is resolved once, every address is checked
    to be public, and the connection goes to those checked addresses (TLS still verifies the name): a name
    that answers differently on the next lookup (DNS rebinding) cannot redirect the request inward.
    """

    def __init__(self, settings: DeliverySettings, *, resolver: Resolver = resolve) -> None:
        self.timeout = settings.webhook_timeout_seconds
        self.user_agent = settings.webhook_user_agent
        self.allow_private_addresses = settings.webhook_allow_private_addresses
        self._resolve = resolver
        self._opener = urllib.request.build_opener(_NoRedirects)

    async def send(
        self,
        url: str,
        payload: Mapping[str, Any] | bytes,
        *,
        secrets: Sequence[str | bytes],
        event_type: str,
        idempotency_key: str | None = None,
    ) -> DeliveryResult:
        """Deliver once without blocking the event loop; never raises for a delivery failure.

        The delivery id header (`X-AIGym-Delivery`) is derived from `idempotency_key` when given, so a
        receiver can drop a retried duplicate. `secrets` sign the body (give two while rotating one).
        """
        return await asyncio.to_thread(
            self.send_blocking,
            url,
            payload,
            secrets=secrets,
            event_type=event_type,
            idempotency_key=idempotency_key,
        )

    def send_blocking(
        self,
        url: str,
        payload: Mapping[str, Any] | bytes,
        *,
        secrets: Sequence[str | bytes],
        event_type: str,
        idempotency_key: str | None = None,
    ) -> DeliveryResult:
        """The same as `send`, in the calling thread."""
        started = time.perf_counter()
        attempted_at = datetime.now(UTC)
        delivery_id = (
            str(uuid.UUID(hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]))
            if idempotency_key is not None
            else str(uuid.uuid4())
        )
        body = payload if isinstance(payload, bytes) else json.dumps(payload, separators=(",", ":")).encode()

        def result(
            status: DeliveryStatus, code: str, detail: str, retry_after: float | None = None
        ) -> DeliveryResult:
            elapsed = (time.perf_counter() - started) * 1000
            return DeliveryResult(
                "webhook",
                url,
                status,
                code,
                detail[:_DETAIL_LIMIT],
                delivery_id,
                attempted_at,
                elapsed,
                retry_after,
            )

        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return result(DeliveryStatus.PERMANENT_FAILURE, "invalid_url", "webhook URLs must be http(s)")
        opener = self._opener
        if not self.allow_private_addresses:
            try:
                addresses = self._resolve(
                    parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
                )
            except OSError as error:
                return result(
                    DeliveryStatus.TRANSIENT_FAILURE, "connection_failed", f"cannot resolve: {error}"
                )
            refused = first_non_global(addresses)
            if refused is not None:
                return result(
                    DeliveryStatus.PERMANENT_FAILURE,
                    "address_not_allowed",
                    f"{parts.hostname} resolves to {refused}, which is not a public address",
                )
            opener = pinned_opener(parts.hostname, addresses)
        request = urllib.request.Request(  # noqa: S310 (scheme checked above)
            url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": self.user_agent,
                SIGNATURE_HEADER: signature_header(secrets, body),
                DELIVERY_HEADER: delivery_id,
                EVENT_HEADER: event_type,
            },
        )
        try:
            with opener.open(request, timeout=self.timeout) as response:
                status_code = response.status
                text = response.read(_DETAIL_LIMIT).decode(errors="replace")
        except urllib.error.HTTPError as error:
            status_code = error.code
            text = error.read(_DETAIL_LIMIT).decode(errors="replace") if error.fp is not None else ""
            retry_after = _retry_after(error.headers.get("Retry-After"))
            return result(
                status_for_http_code(status_code), f"http_{status_code}", text or error.reason, retry_after
            )
        except TimeoutError:
            return result(DeliveryStatus.TRANSIENT_FAILURE, "timeout", f"no answer within {self.timeout}s")
        except urllib.error.URLError as error:
            reason = error.reason
            code = "timeout" if isinstance(reason, TimeoutError) else "connection_failed"
            return result(DeliveryStatus.TRANSIENT_FAILURE, code, str(reason))
        except OSError as error:
            return result(DeliveryStatus.TRANSIENT_FAILURE, "connection_failed", str(error))
        return result(status_for_http_code(status_code), f"http_{status_code}", text)


def literal_non_public_host(url: str) -> str | None:
    """For checks when a webhook URL is saved (no DNS lookup): the URL's host when it is `localhost` or an
    IP address that is not globally routable, else None. Names are checked again, resolved, at delivery."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return host
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address) if not address.is_global or address.is_multicast else None


def non_global_address(host: str, port: int) -> str | None:
    """The first address `host` resolves to that is not globally routable (loopback, private, link-local
    such as a cloud metadata endpoint, shared, reserved), or None when all are public."""
    return first_non_global(resolve(host, port))


def first_non_global(addresses: Sequence[str]) -> str | None:
    """The first of `addresses` that is not globally routable, or None when all are public."""
    for text in addresses:
        address = ipaddress.ip_address(text.split("%", 1)[0])  # an IPv6 zone id is not part of the address
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if not address.is_global or address.is_multicast:
            return str(address)
    return None


def pinned_opener(host: str, addresses: Sequence[str]) -> urllib.request.OpenerDirector:
    """An opener (redirects not followed) whose connections to `host` go to `addresses`, tried in order,
    instead of resolving the name again; the Host header, TLS SNI and certificate check keep the name.

    Connections to any other host (a proxy from the environment) are made as usual: through a proxy the
    proxy resolves the name, so egress must then be restricted there (or by a NetworkPolicy).
    """
    name = host.rstrip(".").lower()
    checked = tuple(addresses)

    def create_connection(
        address: tuple[str, int], timeout: float | None = None, source_address: tuple[str, int] | None = None
    ) -> socket.socket:
        target, port = address
        if target.rstrip(".").lower() != name:
            return socket.create_connection(address, timeout, source_address)
        failure: OSError = OSError(f"{host} has no address")
        for ip in checked:
            try:
                return socket.create_connection((ip, port), timeout, source_address)
            except OSError as error:
                failure = error
        raise failure

    def pinned(connection: http.client.HTTPConnection) -> http.client.HTTPConnection:
        # http.client opens its socket through this attribute (HTTPS wraps the result with SNI = the name).
        connection._create_connection = create_connection  # type: ignore[attr-defined]
        return connection

    class Http(urllib.request.HTTPHandler):
        def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(lambda *a, **kw: pinned(http.client.HTTPConnection(*a, **kw)), req)

    class Https(urllib.request.HTTPSHandler):
        def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(
                lambda *a, **kw: pinned(http.client.HTTPSConnection(*a, **kw)),
                req,
                context=self._context,  # type: ignore[attr-defined]
            )

    return urllib.request.build_opener(_NoRedirects, Http, Https)


def _retry_after(value: str | None) -> float | None:
    """Retry-After in seconds, from delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
