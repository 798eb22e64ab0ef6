"""Run the progress service: `python -m aigym_progress` (configured by AIGYM_* environment variables)."""

from __future__ import annotations

import argparse
import asyncio

from aigym_platform.logs import configure_logging
from aigym_platform.metrics import start_exporter
from aigym_progress.bootstrap import build
from aigym_progress.settings import ProgressSettings


async def _serve(settings: ProgressSettings) -> None:
    app = build(settings)
    await app.start()
    try:
        await app.server.serve_until_signalled()
    finally:
        if app.programs_channel is not None:
            await app.programs_channel.close()
        await app.engine.dispose()


def main() -> None:
    """Entry point: parse --help, configure logs and metrics, serve until SIGTERM."""
    parser = argparse.ArgumentParser(
        prog="aigym-progress",
        description="Progress gRPC service. Configuration comes from AIGYM_* environment variables "
        "(see services/progress/README.md).",
    )
    parser.parse_args()
    settings = ProgressSettings()
    configure_logging(settings.log_format, settings.log_level)
    start_exporter(settings.metrics_port)
    asyncio.run(_serve(settings))


if __name__ == "__main__":
    main()
