"""Scheduled reports against real PostgreSQL, the real SMTP sink and a real webhook receiver: a weekly
report in Berlin fires at 08:00 local time on both sides of the DST change; a failing webhook is retried
with backoff and logged while the email recipient gets the report; the email carries the attachment."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from pydantic import SecretStr

from aigym.progress.v1 import events_pb2 as ge
from aigym_analytics.report_service import ReportService
from aigym_analytics.reports import (
    DataScope,
    Frequency,
    Recipient,
    ReportDefinition,
    ReportFormat,
    ReportType,
    Schedule,
)
from aigym_analytics.settings import AnalyticsSettings
from aigym_platform.db import create_engine, create_sessionmaker, uow_factory
from aigym_platform.delivery import SmtpMailer, WebhookSender, verify_signature
from aigym_platform.events import registry as r
from aigym_platform.identity import Identity, Role, TenantId
from aigym_platform.provisioning import ServiceDatabase
from aigym_platform.testing.mail import SmtpSink, WebhookReceiver
from services.analytics.tests.feeder import Feeder, envelope
from services.analytics.tests.streams import stamp


class Clock:
    """A clock the test moves."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(dt.datetime(2026, 10, 14, 12, 0, tzinfo=dt.UTC))


@pytest_asyncio.fixture
async def reports(
    analytics_db: ServiceDatabase, smtp_sink_server: SmtpSink, clock: Clock
) -> AsyncIterator[ReportService]:
    settings = AnalyticsSettings(
        database_url=SecretStr(analytics_db.app_url),
        smtp_url=SecretStr(smtp_sink_server.url),
        webhook_timeout_seconds=3,
    )
    engine = create_engine(analytics_db.app_url, pool_size=2, max_overflow=0)
    yield ReportService(
        uow_factory(create_sessionmaker(engine)),
        SmtpMailer(settings),
        WebhookSender(settings),
        clock,
        allow_private_webhooks=True,  # the webhook receivers are local
    )
    await engine.dispose()


def admin(tenant: uuid.UUID) -> Identity:
    return Identity("owner", TenantId(tenant), frozenset({Role.CLIENT_ADMIN}))


def activity(feeder: Feeder, tenant: uuid.UUID, when: dt.datetime) -> None:
    payload = ge.BlockCompleted(
        learner_id="l1",
        course_id="c1",
        block_id="b",
        value=1,
        completed=True,
        completed_at=stamp(when),
        attempt=1,
        score=0.5,
    )
    feeder.deliver(envelope(tenant, r.BLOCK_COMPLETED, payload, when))


async def test_weekly_report_in_berlin_fires_at_eight_local_across_the_dst_change(
    reports: ReportService, feeder: Feeder, smtp_sink_server: SmtpSink, clock: Clock, tenant: uuid.UUID
) -> None:
    to = f"weekly-{uuid.uuid4().hex[:8]}@example.com"
    activity(feeder, tenant, dt.datetime(2026, 10, 16, 9, tzinfo=dt.UTC))
    definition = ReportDefinition(
        title="Weekly overview",
        report_type=ReportType.OVERVIEW,
        format=ReportFormat.CSV,
        schedule=Schedule(Frequency.WEEKLY, "08:00", weekday=1, time_zone="Europe/Berlin"),
        recipients=(Recipient(email=to),),
        period_days=7,
    )
    stored = await reports.create(admin(tenant), definition)
    assert stored.next_run_time == dt.datetime(2026, 10, 19, 6, 0, tzinfo=dt.UTC)  # 08:00 CEST

    clock.now = dt.datetime(2026, 10, 19, 5, 59, tzinfo=dt.UTC)
    assert await reports.run_due(TenantId(tenant)) == 0
    clock.now = dt.datetime(2026, 10, 19, 6, 0, 20, tzinfo=dt.UTC)
    assert await reports.run_due(TenantId(tenant)) == 1
    assert await reports.run_due(TenantId(tenant)) == 0  # the slot ran once
    first = smtp_sink_server.wait_for(1, to=to)[0]
    rows = list(csv.reader(io.StringIO(next(iter(first.iter_attachments())).get_content())))
    assert rows[0][:3] == ["date", "active_learners", "block_activities"]
    assert [row[0] for row in rows[1:]] == [f"2026-10-{d}" for d in range(12, 19)]  # the seven days before
    assert [row[2] for row in rows[1:]] == ["0", "0", "0", "0", "1", "0", "0"]

    after = await reports.get(admin(tenant), stored.report_id)
    assert after.next_run_time == dt.datetime(2026, 10, 26, 7, 0, tzinfo=dt.UTC)  # 08:00 CET after 25 Oct
    clock.now = dt.datetime(2026, 10, 26, 6, 0, 30, tzinfo=dt.UTC)  # 07:00 local: not yet
    assert await reports.run_due(TenantId(tenant)) == 0
    clock.now = dt.datetime(2026, 10, 26, 7, 0, 30, tzinfo=dt.UTC)
    assert await reports.run_due(TenantId(tenant)) == 1
    assert len(smtp_sink_server.wait_for(2, to=to)) == 2
    runs, _ = await reports.runs(admin(tenant), stored.report_id, 10, 0)
    assert [(run.trigger, run.scheduled_time, run.state, run.delivered) for run in runs] == [
        ("schedule", dt.datetime(2026, 10, 26, 7, 0, tzinfo=dt.UTC), "succeeded", 1),
        ("schedule", dt.datetime(2026, 10, 19, 6, 0, tzinfo=dt.UTC), "succeeded", 1),
    ]


async def test_failing_webhook_is_retried_and_logged_while_email_is_delivered(
    reports: ReportService,
    feeder: Feeder,
    smtp_sink_server: SmtpSink,
    webhook_server: WebhookReceiver,
    clock: Clock,
    tenant: uuid.UUID,
) -> None:
    to = f"ops-{uuid.uuid4().hex[:8]}@example.com"
    activity(feeder, tenant, dt.datetime(2026, 10, 13, 9, tzinfo=dt.UTC))
    webhook_server.respond_with = [503, 204]
    definition = ReportDefinition(
        title="Activity export",
        report_type=ReportType.ACTIVITY,
        format=ReportFormat.XLSX,
        schedule=Schedule(),
        data_scope=DataScope.OWNER,
        period_days=30,
        recipients=(
            Recipient(webhook_url=webhook_server.url("/reports"), webhook_secret="s3cret"),
            Recipient(email=to),
        ),
    )
    stored = await reports.create(admin(tenant), definition)
    assert stored.next_run_time is None  # manual only
    run = await reports.run_now(admin(tenant), stored.report_id)
    assert (run.state, run.row_count, run.delivered, run.retrying, run.failed) == ("succeeded", 1, 1, 1, 0)

    mail = smtp_sink_server.wait_for(1, to=to)[0]  # the email went out although the webhook failed
    attachment = next(iter(mail.iter_attachments()))
    assert attachment.get_filename() == "activity-export-2026-10-13.xlsx"
    assert attachment.get_content()[:2] == b"PK"  # a zip container: the workbook
    log = await reports.deliveries(admin(tenant), stored.report_id, run.run_id)
    assert [(d.channel, d.attempt, d.status, d.code) for d in log] == [
        ("webhook", 1, "transient_failure", "http_503"),
        ("email", 1, "delivered", "smtp_250"),
    ]
    assert log[0].next_attempt_time == log[0].attempt_time + dt.timedelta(minutes=1)

    assert await reports.retry_due(TenantId(tenant)) == 0  # not due yet
    clock.now += dt.timedelta(minutes=2)
    assert await reports.retry_due(TenantId(tenant)) == 1
    requests = webhook_server.wait_for(2)
    assert requests[0].headers["x-aigym-delivery"] == requests[1].headers["x-aigym-delivery"]  # same delivery
    verify_signature(requests[1].headers["x-aigym-signature"], requests[1].body, ["s3cret"])
    body = json.loads(requests[1].body)
    assert (body["run_id"], body["filename"]) == (str(run.run_id), "activity-export-2026-10-13.xlsx")
    log = await reports.deliveries(admin(tenant), stored.report_id, run.run_id)
    assert [(d.channel, d.attempt, d.status, d.next_attempt_time is None) for d in log] == [
        ("webhook", 1, "transient_failure", True),
        ("email", 1, "delivered", True),
        ("webhook", 2, "delivered", True),
    ]
    runs, _ = await reports.runs(admin(tenant), stored.report_id, 10, 0)
    assert (runs[0].delivered, runs[0].retrying, runs[0].failed) == (2, 0, 0)
    assert await reports.retry_due(TenantId(tenant)) == 0
