"""Run the calendar service: `python -m aigym_calendar` (configured by AIGYM_* environment variables)."""

from __future__ import annotations

import argparse
import asyncio

from aigym_calendar.bootstrap import build
from aigym_calendar.settings import CalendarSettings
from aigym_platform.logs import configure_logging
from aigym_platform.metrics import start_exporter


async def _serve(settings: CalendarSettings) -> None:
    app = build(settings)
    await app.start()
    try:
        await app.server.serve_until_signalled()
    finally:
        await app.engine.dispose()


def main() -> None:
    """Entry point: parse --help, configure logs and metrics, serve until SIGTERM."""
    parser = argparse.ArgumentParser(
        prog="aigym-calendar",
        description="Calendar gRPC service. Configuration comes from AIGYM_* environment variables "
        "(see services/calendar/README.md).",
    )
    parser.parse_args()
    settings = CalendarSettings()
    configure_logging(settings.log_format, settings.log_level)
    start_exporter(settings.metrics_port)
    asyncio.run(_serve(settings))


if __name__ == "__main__":
    main()
