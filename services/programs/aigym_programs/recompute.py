"""Repair a program's enrolment progress: `python -m aigym_programs.recompute --tenant T --program P`.

Without `--apply` it is a dry run that lists every enrolment whose stored progress, milestones or
completion differ from a recomputation (from the learners' completed courses against each pinned
version). With `--apply` it writes the fixes page by page (each page one audited transaction, with the
milestone and completion events it causes). Configuration: the service's AIGYM_* variables.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid

from aigym_platform.db import create_engine, create_sessionmaker, uow_factory
from aigym_platform.identity import Identity, Role, TenantId
from aigym_programs.maintenance_service import EnrollmentMaintenance, change_summary
from aigym_programs.settings import ProgramsSettings

OPERATOR = "cli:recompute"


async def recompute(
    settings: ProgramsSettings, tenant: uuid.UUID, program: uuid.UUID, *, apply: bool, batch: int
) -> int:
    """Run every page; print each difference as a JSON line and progress on stderr; return the count."""
    engine = create_engine(settings.database_url.get_secret_value(), pool_size=1, max_overflow=0)
    try:
        maintenance = EnrollmentMaintenance(uow_factory(create_sessionmaker(engine)))
        operator = Identity(OPERATOR, TenantId(tenant), frozenset({Role.CLIENT_ADMIN}))
        token, examined, differences = "", 0, 0
        while True:
            page = await maintenance.recompute(
                operator, program, validate_only=not apply, requested=batch, token=token
            )
            examined += page.examined
            differences += len(page.changes)
            for change in page.changes:
                print(json.dumps(change_summary(change)), flush=True)
            print(f"examined {examined} enrolments, {differences} differ", file=sys.stderr, flush=True)
            token = page.next_token
            if not token:
                break
        verb = "fixed" if apply else "would fix (dry run; add --apply to write)"
        print(f"done: {examined} examined, {differences} {verb}", file=sys.stderr)
        return differences
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> None:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser(
        prog="python -m aigym_programs.recompute",
        description="Recompute the progress of every enrolment of a program from the learners' completed "
        "courses. Dry run unless --apply. Differences are printed as JSON lines on stdout.",
    )
    parser.add_argument("--tenant", type=uuid.UUID, required=True, help="tenant id")
    parser.add_argument("--program", type=uuid.UUID, required=True, help="program id")
    parser.add_argument("--apply", action="store_true", help="write the fixes (default: report only)")
    parser.add_argument("--batch", type=int, default=500, help="enrolments per transaction (max 1000)")
    args = parser.parse_args(argv)
    asyncio.run(recompute(ProgramsSettings(), args.tenant, args.program, apply=args.apply, batch=args.batch))


if __name__ == "__main__":
    main()
