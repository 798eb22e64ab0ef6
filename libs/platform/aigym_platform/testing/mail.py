"""Test helpers for outbound delivery: a real SMTP sink process and a tiny webhook receiver."""

from __future__ import annotations

import email
import email.message
import email.policy
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from aigym_platform.devstack.ports import LOCALHOST, free_port, port_is_open
from aigym_platform.devstack.processes import ManagedProcess
from aigym_platform.devstack.smtpsink import sink_argv


class SmtpSink:
    """The dev stack's SMTP sink run as a child process; messages are read back from its .eml files."""

    def __init__(self, directory: Path, port: int | None = None) -> None:
        self.directory = directory
        self.port = port or free_port()
        self._process = ManagedProcess(
            "smtp-sink",
            sink_argv(directory, self.port),
            log_file=directory.parent / f"{directory.name}.log",
        )

    @property
    def url(self) -> str:
        """`smtp://127.0.0.1:<port>` for AIGYM_SMTP_URL."""
        return f"smtp://{LOCALHOST}:{self.port}"

    @property
    def pid(self) -> int | None:
        """Pid of the sink process."""
        return self._process.pid

    def start(self, timeout: float = 60.0) -> None:
        """Start the sink and wait until it accepts connections (fail fast, with its log, if it exits)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self._process.start()
        deadline = time.monotonic() + timeout
        while not port_is_open(LOCALHOST, self.port):
            if not self._process.is_running() or time.monotonic() >= deadline:
                self._process.terminate(2.0)
                log = self._process.log_file
                tail = log.read_text(errors="replace")[-2000:] if log is not None and log.exists() else ""
                raise RuntimeError(f"the SMTP sink did not start on port {self.port}:\n{tail}")
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop the sink (SIGTERM, then SIGKILL)."""
        self._process.terminate(5.0)

    def messages(self, to: str | None = None) -> list[email.message.EmailMessage]:
        """Stored messages in arrival order, optionally only those whose envelope names `to`."""
        found = []
        for path in sorted(self.directory.glob("*.eml")):
            with path.open("rb") as handle:
                message = email.message_from_binary_file(handle, policy=email.policy.default)
            assert isinstance(message, email.message.EmailMessage)
            recipients = [r.strip().lower() for r in str(message["X-Sink-Rcpt-To"] or "").split(",")]
            if to is None or to.lower() in recipients:
                found.append(message)
        return found

    def wait_for(
        self, count: int, *, to: str | None = None, timeout: float = 10.0
    ) -> list[email.message.EmailMessage]:
        """Wait until at least `count` messages (for `to`) arrived; return them (TimeoutError otherwise)."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.messages(to)
            if len(found) >= count:
                return found
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{len(found)} of {count} messages arrived for {to or 'anyone'}")
            time.sleep(0.05)


@contextmanager
def smtp_sink(directory: Path) -> Iterator[SmtpSink]:
    """A started `SmtpSink` storing into `directory`, stopped afterwards."""
    sink = SmtpSink(directory)
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()


@dataclass(frozen=True)
class ReceivedRequest:
    """One request a `WebhookReceiver` got."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class WebhookReceiver:
    """An HTTP server on 127.0.0.1 that records every request and answers with scripted status codes.

    `respond_with` (a list of status codes) is consumed one per request; when it is empty the receiver
    answers `default_status`. `respond` may be replaced by a function for anything fancier.
    """

    default_status: int = 204
    respond_with: list[int] = field(default_factory=list)
    requests: list[ReceivedRequest] = field(default_factory=list)
    respond: Callable[[ReceivedRequest], tuple[int, dict[str, str]]] | None = None
    port: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str = "/hook") -> str:
        """URL of `path` on this receiver."""
        return f"http://{LOCALHOST}:{self.port}{path}"

    def answer(self, request: ReceivedRequest) -> tuple[int, dict[str, str]]:
        """Record the request and pick the response status and headers."""
        with self._lock:
            self.requests.append(request)
            if self.respond is not None:
                return self.respond(request)
            status = self.respond_with.pop(0) if self.respond_with else self.default_status
            return status, {}

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedRequest]:
        """Wait until `count` requests arrived; return them."""
        deadline = time.monotonic() + timeout
        while len(self.requests) < count:
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{len(self.requests)} of {count} webhook requests arrived")
            time.sleep(0.02)
        return list(self.requests)


@contextmanager
def webhook_receiver() -> Iterator[WebhookReceiver]:
    """A running `WebhookReceiver` on a free port, shut down afterwards."""
    receiver = WebhookReceiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = ReceivedRequest(
                "POST", self.path, {k.lower(): v for k, v in self.headers.items()}, self.rfile.read(length)
            )
            status, headers = receiver.answer(request)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer((LOCALHOST, 0), Handler)
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, name="webhook-receiver", daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
