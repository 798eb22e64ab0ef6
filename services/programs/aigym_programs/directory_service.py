"""Learner directory use cases: upsert, read with manager scope, HR/SIS-style batch imports, republishing."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import AsyncIterator, Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from aigym_platform.db import UnitOfWork, UnitOfWorkFactory
from aigym_platform.errors import NotFound
from aigym_platform.events.registry import LEARNER_DEACTIVATED, LEARNER_UPSERTED
from aigym_platform.identity import Identity, Role, TenantId
from aigym_platform.pagination import Cursor, decode_token, encode_token, page_size
from aigym_programs.directory import ChangeKind, ImportPlan, LearnerEntry, normalise_entry, plan_import
from aigym_programs.directory_repository import DirectoryRepository, LearnerFilter, SqlDirectoryRepository
from aigym_programs.events import learner_deactivated, learner_upserted

DirectoryRepositoryFactory = Callable[[AsyncSession, TenantId], DirectoryRepository]


async def team_scope(repo: DirectoryRepository, identity: Identity) -> frozenset[str] | None:
    """Learner ids a caller may see beyond themselves: None (everyone) for admins, reports for managers."""
    if identity.has_role(Role.CLIENT_ADMIN):
        return None
    if identity.has_role(Role.MANAGER):
        return await repo.reports_of(identity.user_id)
    return frozenset()


class DirectoryService:
    """The tenant's learner directory, independent of gRPC."""

    def __init__(
        self, uow_factory: UnitOfWorkFactory, directory: DirectoryRepositoryFactory = SqlDirectoryRepository
    ) -> None:
        self._uow = uow_factory
        self._directory = directory

    def _repo(self, uow: UnitOfWork) -> DirectoryRepository:
        return self._directory(uow.session, uow.tenant_id)

    async def upsert_learner(self, identity: Identity, entry: LearnerEntry) -> LearnerEntry:
        """Create or replace one learner; an identical entry changes nothing (no write, no audit)."""
        identity.require(Role.CLIENT_ADMIN)
        wanted = normalise_entry(entry)
        async with self._uow(identity.tenant_id, identity) as uow:
            repo = self._repo(uow)
            current = await repo.get(wanted.learner_id)
            if current is not None and current.same_data(wanted):
                return current
            now = dt.datetime.now(dt.UTC)
            await repo.upsert(wanted, now)
            await uow.audit(
                "learner.upsert",
                "learner",
                wanted.learner_id,
                before=dataclasses.asdict(current) if current else None,
                after=dataclasses.asdict(wanted),
            )
            await _announce(
                uow, wanted, deactivated=current is not None and current.active and not wanted.active
            )
            await uow.commit()
            return dataclasses.replace(wanted, update_time=now)

    async def get_learner(self, identity: Identity, learner_id: str) -> LearnerEntry:
        """A learner: themselves, their managers (direct or indirect) and admins."""
        identity.require(Role.LEARNER)
        learner_id = identity.user_id if identity.is_self(learner_id) else learner_id
        async with self._uow(identity.tenant_id, identity) as uow:
            repo = self._repo(uow)
            scope = await team_scope(repo, identity)
            entry = await repo.get(learner_id)
        visible = learner_id == identity.user_id or scope is None or learner_id in scope
        if entry is None or not visible:
            raise NotFound(f"learner {learner_id} not found", reason="LEARNER_NOT_FOUND")
        return entry

    async def list_learners(
        self, identity: Identity, filters: LearnerFilter, requested: int, token: str
    ) -> tuple[list[LearnerEntry], str]:
        """Admins list everyone, managers their direct and indirect reports."""
        identity.require(Role.MANAGER)
        fingerprint = {"team": filters.team, "inactive": filters.include_inactive, "query": filters.query}
        cursor = decode_token(token, fingerprint)
        size = page_size(requested)
        async with self._uow(identity.tenant_id, identity) as uow:
            repo = self._repo(uow)
            scoped = dataclasses.replace(filters, within=await team_scope(repo, identity))
            rows = await repo.list_learners(scoped, cursor.text(0) if cursor else None, size + 1)
        page = rows[:size]
        next_token = encode_token(Cursor((page[-1].learner_id,)), fingerprint) if len(rows) > size else ""
        return page, next_token

    async def batch_upsert(
        self,
        identity: Identity,
        rows: Sequence[LearnerEntry],
        *,
        deactivate_missing: bool,
        max_deactivation_percent: int,
        force: bool,
        validate_only: bool,
    ) -> ImportPlan:
        """Diff an export against the directory and apply it (unless a dry run) in one transaction."""
        identity.require(Role.CLIENT_ADMIN)
        async with self._uow(identity.tenant_id, identity) as uow:
            repo = self._repo(uow)
            plan = plan_import(
                await repo.all_entries(),
                rows,
                deactivate_missing=deactivate_missing,
                max_deactivation_percent=max_deactivation_percent,
                force=force,
            )
            if validate_only or not plan.changes:
                return plan
            now = dt.datetime.now(dt.UTC)
            for change in plan.changes:
                await repo.upsert(change.entry, now)
                await uow.audit(
                    f"learner.import.{change.kind.value}",
                    "learner",
                    change.entry.learner_id,
                    after={"changed_fields": list(change.changed_fields)},
                )
                await _announce(uow, change.entry, deactivated=change.kind is ChangeKind.DEACTIVATED)
            await uow.commit()
            return plan

    async def republish(self, tenant_id: TenantId, *, batch_size: int = 500) -> AsyncIterator[int]:
        """Announce every learner of the tenant again (learner_upserted, as they are now), batch by batch.

        For consumers added after learners were imported: they fill their directory copy from these events
        (a republished entry is newer than anything they stored, so it applies). Each batch is one
        transaction with one audit entry; yields the number of learners announced so far.
        """
        after: str | None = None
        done = 0
        while True:
            async with self._uow(tenant_id, None) as uow:
                batch = await self._repo(uow).list_learners(
                    LearnerFilter(include_inactive=True), after, batch_size
                )
                if not batch:
                    return
                for entry in batch:
                    await uow.publish(
                        LEARNER_UPSERTED, f"learners/{entry.learner_id}", learner_upserted(entry)
                    )
                await uow.audit(
                    "learner.republish",
                    "directory",
                    f"{batch[0].learner_id}..{batch[-1].learner_id}",
                    after={"learners": len(batch)},
                )
                await uow.commit()
            done += len(batch)
            after = batch[-1].learner_id
            yield done


async def _announce(uow: UnitOfWork, entry: LearnerEntry, *, deactivated: bool) -> None:
    """Publish the changed entry, and the deactivation when an active learner became inactive."""
    subject = f"learners/{entry.learner_id}"
    await uow.publish(LEARNER_UPSERTED, subject, learner_upserted(entry))
    if deactivated:
        await uow.publish(LEARNER_DEACTIVATED, subject, learner_deactivated(entry.learner_id))
