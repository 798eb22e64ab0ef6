"""Announce a tenant's whole learner directory again: `python -m aigym_programs.republish --help`.

Other services keep a copy of the directory (managers' teams, e-mail addresses, time zones) from the
`learner_upserted` events the programs service publishes when a learner changes. A consumer added later
(or a copy lost) is filled by publishing every learner again: one event per learner, through the outbox
like any other change, in batches of one transaction each (audited). Consumers apply them idempotently, so
running it twice is harmless. Connects with AIGYM_DATABASE_URL (the app role), like the service; the relay
and the consumers' workers deliver the events.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid

from aigym_platform.db import create_engine, create_sessionmaker, uow_factory
from aigym_platform.identity import TenantId
from aigym_programs.directory_service import DirectoryService
from aigym_programs.settings import ProgramsSettings


async def republish(database_url: str, tenants: list[uuid.UUID], batch_size: int) -> int:
    """Republish the directory of each tenant, printing progress; return the learners announced."""
    engine = create_engine(database_url, pool_size=1, max_overflow=0)
    total = 0
    try:
        service = DirectoryService(uow_factory(create_sessionmaker(engine)))
        for index, tenant in enumerate(tenants, start=1):
            announced = 0
            async for announced in service.republish(TenantId(tenant), batch_size=batch_size):
                print(
                    f"[{index}/{len(tenants)}] tenant {tenant}: {announced} learners",
                    file=sys.stderr,
                    flush=True,
                )
            total += announced
        return total
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> None:
    """Parse flags and republish."""
    parser = argparse.ArgumentParser(
        prog="python -m aigym_programs.republish",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--tenant", type=uuid.UUID, action="append", required=True, help="tenant (repeatable)"
    )
    parser.add_argument("--batch-size", type=int, default=500, help="learners per transaction (default 500)")
    args = parser.parse_args(argv)
    if args.batch_size < 1:
        parser.error("--batch-size must be at least 1")
    settings = ProgramsSettings()
    total = asyncio.run(republish(settings.database_url.get_secret_value(), args.tenant, args.batch_size))
    print(f"announced {total} learner(s) of {len(args.tenant)} tenant(s)", file=sys.stderr)


if __name__ == "__main__":
    main()
