"""Background analytics: the consistency check that repairs counter drift, and raw-fact retention.

Counters are maintained incrementally in the ingestion transaction, so drift should never happen; the check
exists for what nobody planned (a manual fix in the database, a bug, a restore of one table). It compares
first in one REPEATABLE READ snapshot without the tenant's ingestion lock: an event's fact and its counters
commit together, so the snapshot is consistent and ingestion goes on meanwhile (at 10 M facts the
comparison takes about 20 s). Only when that finds drift does it compare again and repair holding the lock
exclusively, so no event is applied in between and a repair never overwrites a concurrent increment.
Retention deletes raw facts older than the tenant's policy; the
hourly counters stay (they are the long-term record), and the check only looks at hours whose facts are
all still kept.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from aigym_analytics.domain import hour_of
from aigym_analytics.ingest_repository import IngestRepository
from aigym_analytics.ingest_service import drift
from aigym_analytics.rollup_repository import RollupRepository
from aigym_platform.db import UnitOfWorkFactory
from aigym_platform.errors import InvalidArgument
from aigym_platform.identity import Identity, Role, TenantId

log = logging.getLogger(__name__)
DEFAULT_RETENTION_DAYS = 730
CHECK_WINDOW = dt.timedelta(days=2)
PURGE_BATCH = 10_000
SERIALIZATION_FAILURE = "40001"


def utcnow() -> dt.datetime:
    """The current UTC time."""
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class CheckResult:
    """What a consistency check compared and repaired."""

    since: dt.datetime
    compared: int
    repaired: int
    rollups_repaired: int = 0
    counts_repaired: int = 0  # trigger-kept rows: row counts, stall buckets, program starts


class Maintenance:
    """Consistency check, retention and the retention policy of a tenant."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Callable[[], dt.datetime] = utcnow,
        repository: Callable[[AsyncSession, TenantId], IngestRepository] = IngestRepository,
        default_retention_days: int = DEFAULT_RETENTION_DAYS,
    ) -> None:
        self._uow, self._clock, self._repository = uow, clock, repository
        self._default = default_retention_days

    async def check_consistency(self, tenant: TenantId, since: dt.datetime | None = None) -> CheckResult:
        """Compare the counters from `since` (default: the last two days) with a recomputation and repair
        them; then the active-learner rollup rows those hours determine, against the repaired counters;
        then the trigger-kept row counts (enrolments, directory) against a count of the rows, and the
        trigger-kept stall buckets and program starts against a recomputation.

        The comparison runs first in a snapshot without the ingestion lock and is rolled back; only if it
        found drift (or met a concurrent change) does it run again under the lock and commit its repairs.
        """
        now = self._clock()
        try:
            clean = await self._compare(tenant, since, now, locked=False)
        except DBAPIError as error:
            if getattr(error.orig, "sqlstate", None) != SERIALIZATION_FAILURE:
                raise
            clean = None  # a repair met a concurrent change: redo it under the lock
        if clean is not None:
            return clean
        result = await self._compare(tenant, since, now, locked=True)
        assert result is not None
        if result.repaired:
            log.warning("analytics counters of tenant %s drifted: %s rows repaired", tenant, result.repaired)
        if result.rollups_repaired:
            log.warning(
                "analytics rollups of tenant %s drifted: %s rows repaired", tenant, result.rollups_repaired
            )
        if result.counts_repaired:
            log.warning(
                "analytics row counts of tenant %s drifted: %s rows repaired", tenant, result.counts_repaired
            )
        return result

    async def _compare(
        self, tenant: TenantId, since: dt.datetime | None, now: dt.datetime, *, locked: bool
    ) -> CheckResult | None:
        """One pass of the check: under the exclusive ingestion lock, repairing and committing; else in a
        snapshot, rolled back, returning None as soon as anything needs repair."""
        unit = self._uow(tenant, None)
        async with unit if locked else unit.snapshot() as uow:
            repo = self._repository(uow.session, tenant)
            horizon = now - dt.timedelta(days=await repo.retention_days(self._default))
            start = hour_of(max(since or now - CHECK_WINDOW, horizon) + dt.timedelta(minutes=59, seconds=59))
            if locked:
                await repo.lock_exclusive()
            stored, recomputed = await repo.stored_stats(start), await repo.recomputed_stats(start)
            fixes = drift(stored, recomputed)
            if fixes and not locked:
                return None
            for key, values in fixes.items():
                await repo.replace_stats(key, values)
            # The repairs below write only rows that differ, so a clean pass writes nothing.
            rollups = await RollupRepository(uow.session, tenant).repair_since(start)
            counts = await repo.repair_row_counts()
            buckets, starts = await repo.repair_stall_state()
            counts += buckets + starts
            if not locked:
                return None if rollups or counts else CheckResult(start, len(recomputed), 0)
            await uow.commit()
        return CheckResult(start, len(recomputed), len(fixes), rollups, counts)

    async def rebuild_rollups(self, tenant: TenantId) -> tuple[int, int]:
        """Recompute the tenant's active-learner rollups from its hourly counters (backfill, repair), under
        the ingestion lock held exclusively; returns (day rows, learner rows)."""
        async with self._uow(tenant, None) as uow:
            await self._repository(uow.session, tenant).lock_exclusive()
            rows = await RollupRepository(uow.session, tenant).rebuild()
            await uow.commit()
        return rows

    async def purge(self, tenant: TenantId) -> int:
        """Delete raw facts older than the tenant's retention, in batches, and the stall buckets nobody is
        in any more; returns how many facts."""
        now, total = self._clock(), 0
        while True:
            async with self._uow(tenant, None) as uow:
                repo = self._repository(uow.session, tenant)
                before = now - dt.timedelta(days=await repo.retention_days(self._default))
                deleted = await repo.purge_facts(before, PURGE_BATCH)
                await uow.commit()
            total += deleted
            if deleted < PURGE_BATCH:
                break
        async with self._uow(tenant, None) as uow:
            await self._repository(uow.session, tenant).drop_empty_stall_buckets()
            await uow.commit()
        return total

    async def retention_days(self, identity: Identity) -> int:
        """The caller's tenant's raw-fact retention (client_admin)."""
        identity.require(Role.CLIENT_ADMIN)
        async with self._uow(identity.tenant_id, identity) as uow:
            return await self._repository(uow.session, identity.tenant_id).retention_days(self._default)

    async def set_retention_days(self, identity: Identity, days: int) -> int:
        """Change the tenant's raw-fact retention (client_admin, 30..3650 days, audited)."""
        identity.require(Role.CLIENT_ADMIN)
        if not 30 <= days <= 3650:
            raise InvalidArgument.for_field("fact_retention_days", "must be 30..3650", reason="OUT_OF_RANGE")
        async with self._uow(identity.tenant_id, identity) as uow:
            repo = self._repository(uow.session, identity.tenant_id)
            before = await repo.retention_days(self._default)
            await repo.set_retention_days(days, identity.user_id, self._clock())
            await uow.audit(
                "analytics.retention",
                "analytics_settings",
                str(identity.tenant_id),
                before={"fact_retention_days": before},
                after={"fact_retention_days": days},
            )
            await uow.commit()
        return days

    async def tenants(self) -> list[uuid.UUID]:
        """Every tenant with analytics (for the daily fan-out)."""
        zero = TenantId(uuid.UUID(int=0))
        async with self._uow(zero, None) as uow:
            return await self._repository(uow.session, zero).tenants()
