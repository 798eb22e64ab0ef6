"""Build the active-learner rollups of existing tenants: `python -m aigym_analytics.backfill --help`.

Ingestion keeps the rollups from migration 0005 on; tenants with data from before need this once (a
migration cannot do it: the tenant policy applies to the owner role too). Each tenant is rebuilt from its
hourly counters in one transaction under its ingestion lock (events wait a moment), so running it again,
or while events arrive, is safe. Connects with AIGYM_DATABASE_URL (the app role), like the service.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid

from aigym_analytics.maintenance import Maintenance
from aigym_analytics.settings import AnalyticsSettings
from aigym_platform.db import create_engine, create_sessionmaker, uow_factory
from aigym_platform.identity import TenantId


async def backfill(database_url: str, tenants: list[uuid.UUID]) -> int:
    """Rebuild the rollups of `tenants` (all tenants with analytics if empty), printing progress."""
    engine = create_engine(database_url, pool_size=1, max_overflow=0)
    try:
        maintenance = Maintenance(uow_factory(create_sessionmaker(engine)))
        todo = tenants or await maintenance.tenants()
        for done, tenant in enumerate(todo, start=1):
            started = time.perf_counter()
            days, learners = await maintenance.rebuild_rollups(TenantId(tenant))
            print(
                f"[{done}/{len(todo)}] tenant {tenant}: {days} day rows, {learners} learner rows "
                f"in {time.perf_counter() - started:.1f} s",
                flush=True,
            )
        return len(todo)
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> None:
    """Parse flags and run the backfill."""
    parser = argparse.ArgumentParser(
        prog="python -m aigym_analytics.backfill",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--tenant", type=uuid.UUID, action="append", default=[], help="only this tenant (repeatable)"
    )
    args = parser.parse_args(argv)
    settings = AnalyticsSettings()
    count = asyncio.run(backfill(settings.database_url.get_secret_value(), args.tenant))
    print(f"rebuilt the active-learner rollups of {count} tenant(s)", file=sys.stderr)


if __name__ == "__main__":
    main()
