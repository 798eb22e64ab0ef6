"""All SQL of scheduled reports: definitions, runs (with their stored output) and the delivery log."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from aigym_analytics.reports import (
    DataScope,
    EmptyPolicy,
    Frequency,
    Recipient,
    ReportDefinition,
    ReportFormat,
    ReportType,
    Schedule,
)
from aigym_platform.identity import TenantId


@dataclass(frozen=True)
class StoredReport:
    """A definition with its identity and bookkeeping."""

    report_id: uuid.UUID
    owner_id: str
    owner_roles: tuple[str, ...]
    definition: ReportDefinition
    next_run_time: dt.datetime | None
    revision: int
    create_time: dt.datetime
    update_time: dt.datetime


@dataclass(frozen=True)
class StoredRun:
    """A run (without its content)."""

    run_id: uuid.UUID
    report_id: uuid.UUID
    trigger: str
    scheduled_time: dt.datetime
    state: str
    row_count: int
    filename: str
    content_type: str
    error: str
    create_time: dt.datetime
    delivered: int = 0
    retrying: int = 0
    failed: int = 0


@dataclass(frozen=True)
class DeliveryRow:
    """One delivery attempt."""

    run_id: uuid.UUID
    recipient_index: int
    channel: str
    recipient: str
    attempt: int
    status: str
    code: str
    detail: str
    attempt_time: dt.datetime
    next_attempt_time: dt.datetime | None


def _definition(row: Any) -> ReportDefinition:
    s = row.schedule
    return ReportDefinition(
        title=row.title,
        report_type=ReportType(row.report_type),
        format=ReportFormat(row.format),
        schedule=Schedule(
            Frequency(s["frequency"]),
            s["local_time"],
            s["weekday"],
            s["month_day"],
            s["cron"],
            s["time_zone"],
        ),
        recipients=tuple(
            Recipient(r["email"], r["webhook_url"], r["webhook_secret"]) for r in row.recipients
        ),
        data_scope=DataScope(row.data_scope),
        empty_policy=EmptyPolicy(row.empty_policy),
        program_id=row.program_id,
        period_days=row.period_days,
    )


def _stored(row: Any) -> StoredReport:
    return StoredReport(
        row.report_id,
        row.owner_id,
        tuple(row.owner_roles),
        _definition(row),
        row.next_run_time,
        row.revision,
        row.create_time,
        row.update_time,
    )


def _values(definition: ReportDefinition) -> dict[str, Any]:
    s = definition.schedule
    return {
        "title": definition.title,
        "report_type": definition.report_type.value,
        "program_id": definition.program_id,
        "period_days": definition.period_days,
        "format": definition.format.value,
        "schedule": json.dumps(
            {
                "frequency": s.frequency.value,
                "local_time": s.local_time,
                "weekday": s.weekday,
                "month_day": s.month_day,
                "cron": s.cron,
                "time_zone": s.time_zone,
            }
        ),
        "recipients": json.dumps(
            [
                {"email": r.email, "webhook_url": r.webhook_url, "webhook_secret": r.webhook_secret}
                for r in definition.recipients
            ]
        ),
        "data_scope": definition.data_scope.value,
        "empty_policy": definition.empty_policy.value,
    }


_RUN_COLUMNS = """r.run_id, r.report_id, r.trigger, r.scheduled_time, r.state, r.row_count, r.filename,
    r.content_type, r.error, r.create_time,
    (SELECT count(*) FROM report_deliveries d WHERE d.tenant_id = r.tenant_id AND d.run_id = r.run_id
        AND d.status = 'delivered'),
    (SELECT count(*) FROM report_deliveries d WHERE d.tenant_id = r.tenant_id AND d.run_id = r.run_id
        AND d.next_attempt_time IS NOT NULL),
    (SELECT count(*) FROM report_deliveries d WHERE d.tenant_id = r.tenant_id AND d.run_id = r.run_id
        AND d.status <> 'delivered' AND d.next_attempt_time IS NULL
        AND d.attempt = (SELECT max(x.attempt) FROM report_deliveries x WHERE x.tenant_id = d.tenant_id
                         AND x.run_id = d.run_id AND x.recipient_index = d.recipient_index))"""


class ReportRepository:
    """Report storage of one tenant."""

    def __init__(self, session: AsyncSession, tenant_id: TenantId) -> None:
        self._session = session
        self._tenant = tenant_id

    async def _exec(self, sql: str, **params: Any) -> Any:
        return await self._session.execute(text(sql), {"tenant": self._tenant, **params})

    async def add(
        self,
        report_id: uuid.UUID,
        owner: str,
        roles: list[str],
        definition: ReportDefinition,
        next_run: dt.datetime | None,
        now: dt.datetime,
    ) -> StoredReport:
        """Store a new definition."""
        result = await self._exec(
            """INSERT INTO report_definitions (tenant_id, report_id, owner_id, owner_roles, title,
                   report_type,
                   program_id, period_days, format, schedule, recipients, data_scope, empty_policy,
                   next_run_time, create_time, update_time)
               VALUES (:tenant, :report_id, :owner, :roles, :title, :report_type, :program_id, :period_days,
                   :format, CAST(:schedule AS jsonb), CAST(:recipients AS jsonb), :data_scope, :empty_policy,
                   :next_run, :now, :now)
               RETURNING *""",
            report_id=report_id,
            owner=owner,
            roles=roles,
            next_run=next_run,
            now=now,
            **_values(definition),
        )
        return _stored(result.one())

    async def get(self, report_id: uuid.UUID, *, lock: bool = False) -> StoredReport | None:
        """A live definition, optionally locked for update."""
        sql = "SELECT * FROM report_definitions WHERE tenant_id = :tenant AND report_id = :id AND NOT deleted"
        result = await self._exec(sql + " FOR UPDATE" if lock else sql, id=report_id)
        row = result.first()
        return _stored(row) if row else None

    async def list_reports(self, owner: str | None, limit: int, offset: int) -> list[StoredReport]:
        """Live definitions (of `owner` if given), newest first."""
        result = await self._exec(
            """SELECT * FROM report_definitions WHERE tenant_id = :tenant AND NOT deleted
                 AND (CAST(:owner AS text) IS NULL OR owner_id = :owner)
               ORDER BY create_time DESC, report_id LIMIT :limit OFFSET :offset""",
            owner=owner,
            limit=limit,
            offset=offset,
        )
        return [_stored(r) for r in result]

    async def update(
        self,
        report_id: uuid.UUID,
        definition: ReportDefinition,
        next_run: dt.datetime | None,
        now: dt.datetime,
    ) -> StoredReport:
        """Replace a definition (revision + 1)."""
        result = await self._exec(
            """UPDATE report_definitions SET title = :title, report_type = :report_type,
                   program_id = :program_id,
                   period_days = :period_days, format = :format, schedule = CAST(:schedule AS jsonb),
                   recipients = CAST(:recipients AS jsonb), data_scope = :data_scope,
                   empty_policy = :empty_policy,
                   next_run_time = :next_run, update_time = :now, revision = revision + 1
               WHERE tenant_id = :tenant AND report_id = :id RETURNING *""",
            id=report_id,
            next_run=next_run,
            now=now,
            **_values(definition),
        )
        return _stored(result.one())

    async def delete(self, report_id: uuid.UUID, now: dt.datetime) -> None:
        """Soft-delete a definition (runs and deliveries stay)."""
        await self._exec(
            """UPDATE report_definitions SET deleted = true, next_run_time = NULL, update_time = :now
               WHERE tenant_id = :tenant AND report_id = :id""",
            id=report_id,
            now=now,
        )

    async def due(self, now: dt.datetime) -> list[StoredReport]:
        """Definitions whose next run is due, locked (others skip them)."""
        result = await self._exec(
            """SELECT * FROM report_definitions WHERE tenant_id = :tenant AND NOT deleted
                 AND next_run_time <= :now ORDER BY next_run_time FOR UPDATE SKIP LOCKED""",
            now=now,
        )
        return [_stored(r) for r in result]

    async def set_next_run(self, report_id: uuid.UUID, next_run: dt.datetime | None) -> None:
        """Advance a definition's schedule."""
        await self._exec(
            "UPDATE report_definitions SET next_run_time = :next"
            " WHERE tenant_id = :tenant AND report_id = :id",
            id=report_id,
            next=next_run,
        )

    async def add_run(
        self, run_id: uuid.UUID, report_id: uuid.UUID, trigger: str, scheduled: dt.datetime, now: dt.datetime
    ) -> bool:
        """Claim a run of a schedule slot; False if that slot already has one."""
        result = await self._exec(
            """INSERT INTO report_runs (tenant_id, run_id, report_id, trigger, scheduled_time, state,
                   create_time)
               VALUES (:tenant, :run, :report, :trigger, :scheduled, 'running', :now)
               ON CONFLICT (tenant_id, report_id, trigger, scheduled_time) DO NOTHING RETURNING 1""",
            run=run_id,
            report=report_id,
            trigger=trigger,
            scheduled=scheduled,
            now=now,
        )
        return result.first() is not None

    async def finish_run(
        self,
        run_id: uuid.UUID,
        state: str,
        rows: int,
        filename: str,
        content_type: str,
        content: bytes | None,
        error: str = "",
    ) -> None:
        """Store a run's outcome and output."""
        await self._exec(
            """UPDATE report_runs SET state = :state, row_count = :rows, filename = :filename,
                   content_type = :content_type, content = :content, error = :error
               WHERE tenant_id = :tenant AND run_id = :run""",
            run=run_id,
            state=state,
            rows=rows,
            filename=filename,
            content_type=content_type,
            content=content,
            error=error,
        )

    async def runs(self, report_id: uuid.UUID, limit: int, offset: int) -> list[StoredRun]:
        """A report's runs, newest first."""
        result = await self._exec(
            f"""SELECT {_RUN_COLUMNS} FROM report_runs r WHERE r.tenant_id = :tenant AND r.report_id = :report
                ORDER BY r.create_time DESC, r.run_id LIMIT :limit OFFSET :offset""",  # noqa: S608
            report=report_id,
            limit=limit,
            offset=offset,
        )
        return [StoredRun(*r) for r in result]

    async def run(self, run_id: uuid.UUID) -> StoredRun | None:
        """One run."""
        result = await self._exec(
            f"SELECT {_RUN_COLUMNS} FROM report_runs r WHERE r.tenant_id = :tenant AND r.run_id = :run",  # noqa: S608
            run=run_id,
        )
        row = result.first()
        return StoredRun(*row) if row else None

    async def content(self, report_id: uuid.UUID, run_id: uuid.UUID) -> tuple[str, str, bytes] | None:
        """(filename, media type, bytes) of a run's output."""
        result = await self._exec(
            """SELECT filename, content_type, content FROM report_runs
               WHERE tenant_id = :tenant AND report_id = :report AND run_id = :run AND content IS NOT NULL""",
            report=report_id,
            run=run_id,
        )
        row = result.first()
        return (row[0], row[1], bytes(row[2])) if row else None

    async def add_delivery(self, row: DeliveryRow) -> None:
        """Log one attempt; the recipient's earlier attempt no longer waits for a retry."""
        await self._exec(
            """UPDATE report_deliveries SET next_attempt_time = NULL
               WHERE tenant_id = :tenant AND run_id = :run AND recipient_index = :idx""",
            run=row.run_id,
            idx=row.recipient_index,
        )
        await self._exec(
            """INSERT INTO report_deliveries (tenant_id, delivery_id, run_id, recipient_index, channel,
                   recipient,
                   attempt, status, code, detail, attempt_time, next_attempt_time)
               VALUES (:tenant, :id, :run, :idx, :channel, :recipient, :attempt, :status, :code, :detail,
                   :attempt_time, :next)
               ON CONFLICT (tenant_id, run_id, recipient_index, attempt) DO NOTHING""",
            id=uuid.uuid4(),
            run=row.run_id,
            idx=row.recipient_index,
            channel=row.channel,
            recipient=row.recipient,
            attempt=row.attempt,
            status=row.status,
            code=row.code,
            detail=row.detail,
            attempt_time=row.attempt_time,
            next=row.next_attempt_time,
        )

    async def deliveries(self, run_id: uuid.UUID) -> list[DeliveryRow]:
        """Every attempt of a run in order."""
        result = await self._exec(
            """SELECT run_id, recipient_index, channel, recipient, attempt, status, code, detail,
                      attempt_time,
                      next_attempt_time
               FROM report_deliveries WHERE tenant_id = :tenant AND run_id = :run
               ORDER BY attempt_time, recipient_index, attempt""",
            run=run_id,
        )
        return [DeliveryRow(*r) for r in result]

    async def due_retries(self, now: dt.datetime) -> list[DeliveryRow]:
        """Failed attempts whose retry is due, locked (others skip them)."""
        result = await self._exec(
            """SELECT run_id, recipient_index, channel, recipient, attempt, status, code, detail,
                      attempt_time,
                      next_attempt_time
               FROM report_deliveries WHERE tenant_id = :tenant AND next_attempt_time <= :now
               ORDER BY next_attempt_time FOR UPDATE SKIP LOCKED""",
            now=now,
        )
        return [DeliveryRow(*r) for r in result]

    async def run_report_id(self, run_id: uuid.UUID) -> uuid.UUID | None:
        """The report a run belongs to."""
        result = await self._exec(
            "SELECT report_id FROM report_runs WHERE tenant_id = :tenant AND run_id = :run", run=run_id
        )
        row = result.first()
        return row[0] if row else None

    async def definition_any(self, report_id: uuid.UUID) -> StoredReport | None:
        """A definition even if deleted (retries of its runs still need the recipients)."""
        result = await self._exec(
            "SELECT * FROM report_definitions WHERE tenant_id = :tenant AND report_id = :id", id=report_id
        )
        row = result.first()
        return _stored(row) if row else None

    async def due_tenants(self, now: dt.datetime) -> list[uuid.UUID]:
        """Tenants with a report due (a definer function: ids only, across tenants)."""
        result = await self._session.execute(text("SELECT report_due_tenants(:now)"), {"now": now})
        return [r[0] for r in result]

    async def retry_tenants(self, now: dt.datetime) -> list[uuid.UUID]:
        """Tenants with a delivery retry due (a definer function: ids only, across tenants)."""
        result = await self._session.execute(text("SELECT report_retry_tenants(:now)"), {"now": now})
        return [r[0] for r in result]
