"""Dead-letter administration: `python -m aigym_platform.events.deadletters --service NAME list|replay`.

`DeadLetters` is the service-layer API; this CLI is one transport, the admin RPC
(`aigym.events.v1.EventsAdminService`, `events/admin.py`, served by every consuming service) the other: it
calls the same methods inside the caller's tenant, for client admins.
Listing across tenants reads only the ids of tenants that have dead letters (a definer function); the
letters themselves are always read and changed under RLS inside one tenant, as the app role.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from dataclasses import dataclass

from celery import Celery
from sqlalchemy import text

from aigym_platform.db import UnitOfWorkFactory, create_engine, create_sessionmaker, uow_factory
from aigym_platform.events.envelope import encode
from aigym_platform.events.inbox import DeadLetter, dead_letter_tenants, list_dead_letters, mark_replayed
from aigym_platform.events.registry import Consumer
from aigym_platform.events.schema import DEAD_LETTER_TABLE
from aigym_platform.identity import Identity, TenantId
from aigym_platform.jobs.app import create_celery_app
from aigym_platform.settings import ServiceSettings


@dataclass
class DeadLetters:
    """List and replay one consuming service's dead letters."""

    service: str
    uow: UnitOfWorkFactory
    app: Celery | None  # needed only to replay

    async def tenants(self) -> list[uuid.UUID]:
        """Tenants that have dead letters waiting."""
        async with self.uow(TenantId(uuid.UUID(int=0)), None) as unit:
            return await dead_letter_tenants(unit.session)

    async def list(self, tenant: TenantId, *, state: str | None = "dead") -> list[DeadLetter]:
        """The tenant's dead letters (state None: replayed ones too)."""
        async with self.uow(tenant, None) as unit:
            return await list_dead_letters(unit.session, state=state)

    async def replay(
        self, tenant: TenantId, dead_letter_id: int, *, identity: Identity | None = None
    ) -> DeadLetter | None:
        """Send one dead letter to its handler again and flag it replayed; None if it is not dead. With an
        identity (the admin RPC) the replay is audited as that caller."""
        async with self.uow(tenant, identity) as unit:
            locked = await unit.session.execute(
                text(f"SELECT 1 FROM {DEAD_LETTER_TABLE} WHERE id = :id AND state = 'dead' FOR UPDATE"),  # noqa: S608
                {"id": dead_letter_id},
            )
            if locked.first() is None:
                return None
            if self.app is None:
                raise RuntimeError("replaying dead letters needs a Celery app")
            letters = [d for d in await list_dead_letters(unit.session) if d.id == dead_letter_id]
            letter = letters[0]
            consumer = Consumer(self.service, letter.handler)
            # Sent while the row is locked: a failing replay re-dead-letters it only after this commit.
            await asyncio.to_thread(
                self.app.send_task,
                consumer.task_name,
                args=[encode(letter.envelope), ""],
                queue=consumer.queue,
            )
            replayed = await mark_replayed(unit.session, dead_letter_id)
            if identity is not None:
                await unit.audit(
                    "dead_letter.replay",
                    "dead_letter",
                    str(dead_letter_id),
                    after={"event_id": str(letter.event_id), "handler": letter.handler},
                )
            await unit.commit()
            return replayed

    async def replay_all(self, tenant: TenantId) -> int:
        """Replay every dead letter of the tenant; returns how many."""
        count = 0
        for letter in await self.list(tenant):
            if await self.replay(tenant, letter.id) is not None:
                count += 1
        return count


async def _run(args: argparse.Namespace, settings: ServiceSettings) -> int:
    engine = create_engine(settings.database_url.get_secret_value(), pool_size=2, max_overflow=0)
    admin = DeadLetters(args.service, uow_factory(create_sessionmaker(engine)), create_celery_app(settings))
    try:
        tenants = [TenantId(args.tenant)] if args.tenant else [TenantId(t) for t in await admin.tenants()]
        if args.command == "list":
            for tenant in tenants:
                for d in await admin.list(tenant, state=None if args.all_states else "dead"):
                    print(
                        f"{d.tenant_id} {d.id} {d.state} {d.dead_at.isoformat()} {d.handler} {d.event_type}"
                        f" event={d.event_id} subject={d.subject} attempts={d.attempts} error={d.error!r}"
                    )
            return 0
        if args.id is not None:
            if not args.tenant:
                print("--id needs --tenant", file=sys.stderr)
                return 2
            done = await admin.replay(TenantId(args.tenant), args.id)
            print("replayed 1" if done else f"dead letter {args.id} not found or not dead")
            return 0 if done else 1
        total = sum([await admin.replay_all(tenant) for tenant in tenants])
        print(f"replayed {total}")
        return 0
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    """`list` or `replay` dead letters of one consuming service."""
    parser = argparse.ArgumentParser(
        prog="python -m aigym_platform.events.deadletters",
        description="List or replay the dead letters of a consuming service. Uses AIGYM_DATABASE_URL (the "
        "service's app role) and AIGYM_REDIS_URL.",
    )
    parser.add_argument("--service", required=True, help="the consuming service")
    parser.add_argument("--tenant", type=uuid.UUID, help="only this tenant (default: every tenant)")
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="print dead letters, oldest first")
    listing.add_argument("--all-states", action="store_true", help="include replayed letters")
    replay = commands.add_parser("replay", help="send dead letters to their handler again")
    replay.add_argument("--id", type=int, help="one dead letter (needs --tenant); default: all")
    args = parser.parse_args(argv)
    settings = ServiceSettings().model_copy(update={"service_name": args.service})
    return asyncio.run(_run(args, settings))


if __name__ == "__main__":
    sys.exit(main())
