"""A local SMTP sink for `make run` and tests: accepts every message and stores it as an .eml file.

Run it with `python -m aigym_platform.devstack.smtpsink --dir DIR --port PORT`. Each accepted message is
written atomically to `DIR/<unix-ns>-<uuid>.eml` with two headers added in front: `X-Sink-Mail-From`
(the envelope sender) and `X-Sink-Rcpt-To` (envelope recipients, comma-separated; Bcc shows up only here).

To exercise failure handling against a real server, recipients whose local part starts with `reject-` are
refused with `550 5.1.1` (permanent) and those starting with `defer-` with `451 4.3.0` (transient).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

log = logging.getLogger("aigym.smtpsink")

REJECT_PREFIX = "reject-"
DEFER_PREFIX = "defer-"


def sink_argv(directory: Path, port: int) -> list[str]:
    """The command line that runs the sink on 127.0.0.1:`port`, storing into `directory`."""
    return [
        sys.executable,
        "-m",
        "aigym_platform.devstack.smtpsink",
        "--dir",
        str(directory),
        "--port",
        str(port),
    ]


class EmlDirectoryHandler:
    """aiosmtpd handler: refuse the test prefixes, store everything else under `directory`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        """Refuse `reject-*` (550) and `defer-*` (451) recipients; accept the rest."""
        local = address.partition("@")[0].lower()
        if local.startswith(REJECT_PREFIX):
            return "550 5.1.1 mailbox unavailable"
        if local.startswith(DEFER_PREFIX):
            return "451 4.3.0 mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """Write the message (with envelope headers) to a new .eml file."""
        content = envelope.original_content or b""
        header = (
            f"X-Sink-Mail-From: {envelope.mail_from}\r\nX-Sink-Rcpt-To: {', '.join(envelope.rcpt_tos)}\r\n"
        ).encode()
        name = f"{time.time_ns()}-{uuid.uuid4().hex}"
        partial = self.directory / f".{name}.partial"
        partial.write_bytes(header + content)
        os.replace(partial, self.directory / f"{name}.eml")
        log.info("stored %s for %s", name, ", ".join(envelope.rcpt_tos))
        return "250 2.0.0 message stored"


async def serve(directory: Path, host: str, port: int, stop: asyncio.Event) -> None:
    """Serve SMTP on host:port until `stop` is set."""
    handler = EmlDirectoryHandler(directory)
    loop = asyncio.get_running_loop()

    def factory() -> Any:
        return SMTP(handler, hostname="aigym-smtp-sink", decode_data=False)

    server = await loop.create_server(factory, host, port)
    log.info("SMTP sink on %s:%s storing into %s", host, port, directory)
    try:
        await stop.wait()
    finally:
        server.close()
        await server.wait_closed()


def main(argv: list[str] | None = None) -> int:
    """CLI entry point (`--help` lists the options)."""
    parser = argparse.ArgumentParser(
        prog="python -m aigym_platform.devstack.smtpsink",
        description="Local SMTP sink: stores every accepted message as an .eml file (never relays).",
    )
    parser.add_argument("--dir", required=True, type=Path, help="directory the .eml files go to")
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=51025, help="port (default 51025)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve(args.dir.resolve(), args.host, args.port, stop)

    asyncio.run(run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
