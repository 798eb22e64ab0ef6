"""Report schedules in a time zone: local times hold across DST changes; validation names the fields."""

from __future__ import annotations

import datetime as dt

import pytest

from aigym_analytics.reports import (
    Frequency,
    Recipient,
    ReportDefinition,
    ReportFormat,
    ReportType,
    Schedule,
    retry_at,
    validate,
)
from aigym_platform.errors import InvalidArgument

UTC = dt.UTC


def test_weekly_monday_eight_in_berlin_follows_the_autumn_change() -> None:
    weekly = Schedule(Frequency.WEEKLY, "08:00", weekday=1, time_zone="Europe/Berlin")
    first = weekly.next_after(dt.datetime(2026, 10, 14, tzinfo=UTC))
    assert first == dt.datetime(2026, 10, 19, 6, 0, tzinfo=UTC)  # CEST, UTC+2
    second = weekly.next_after(first)  # type: ignore[arg-type]
    assert second == dt.datetime(2026, 10, 26, 7, 0, tzinfo=UTC)  # CET, UTC+1 since 25 October


def test_daily_in_new_york_across_the_november_change() -> None:
    daily = Schedule(Frequency.DAILY, "09:30", time_zone="America/New_York")
    runs = [dt.datetime(2026, 10, 31, 12, tzinfo=UTC)]
    for _ in range(2):
        runs.append(daily.next_after(runs[-1]))  # type: ignore[arg-type]
    # 09:30 EDT (UTC-4) on Saturday, 09:30 EST (UTC-5) on Sunday, the day the clocks go back.
    assert runs[1:] == [
        dt.datetime(2026, 10, 31, 13, 30, tzinfo=UTC),
        dt.datetime(2026, 11, 1, 14, 30, tzinfo=UTC),
    ]


def test_a_time_in_the_spring_gap_runs_after_the_jump() -> None:
    daily = Schedule(Frequency.DAILY, "02:30", time_zone="Europe/Berlin")
    assert daily.next_after(dt.datetime(2026, 3, 28, 12, tzinfo=UTC)) == dt.datetime(
        2026, 3, 29, 1, 30, tzinfo=UTC
    )


def test_monthly_on_the_31st_runs_on_shorter_months_last_day() -> None:
    monthly = Schedule(Frequency.MONTHLY, "07:00", month_day=31, time_zone="Asia/Tokyo")
    assert monthly.next_after(dt.datetime(2027, 2, 1, tzinfo=UTC)) == dt.datetime(
        2027, 2, 27, 22, 0, tzinfo=UTC
    )


def test_cron_is_read_in_the_schedule_zone_and_manual_never_runs() -> None:
    cron = Schedule(Frequency.CRON, cron="15 6 * * 1-5", time_zone="Europe/Berlin")
    assert cron.next_after(dt.datetime(2026, 10, 23, 12, tzinfo=UTC)) == dt.datetime(
        2026, 10, 26, 5, 15, tzinfo=UTC
    )
    assert Schedule().next_after(dt.datetime(2026, 1, 1, tzinfo=UTC)) is None


def test_validation_lists_every_broken_field() -> None:
    broken = ReportDefinition(
        title=" ",
        report_type=ReportType.PROGRAM,
        format=ReportFormat.CSV,
        schedule=Schedule(Frequency.CRON, cron="every day", time_zone="Moon/Base"),
        recipients=(Recipient(email="nobody"), Recipient(webhook_url="ftp://x"), Recipient()),
        period_days=0,
    )
    with pytest.raises(InvalidArgument) as error:
        validate(broken)
    assert {v.field: v.reason for v in error.value.violations} == {
        "report.title": "REQUIRED",
        "report.program_id": "REQUIRED",
        "report.period_days": "OUT_OF_RANGE",
        "report.recipients[0].email": "INVALID_EMAIL",
        "report.recipients[1].webhook_url": "INVALID_URL",
        "report.recipients[1].webhook_secret": "REQUIRED",
        "report.recipients[2]": "ONE_OF",
        "report.schedule.time_zone": "UNKNOWN_TIME_ZONE",
        "report.schedule.cron": "INVALID_CRON",
    }


def test_a_webhook_naming_a_local_address_is_refused_unless_private_addresses_are_allowed() -> None:
    hooks = (
        Recipient(webhook_url="http://127.0.0.1:9000/hook", webhook_secret="s" * 16),
        Recipient(webhook_url="http://localhost/hook", webhook_secret="s" * 16),
        Recipient(webhook_url="https://hooks.example.com/x", webhook_secret="s" * 16),
    )
    definition = ReportDefinition(
        title="Weekly",
        report_type=ReportType.OVERVIEW,
        format=ReportFormat.CSV,
        schedule=Schedule(),
        recipients=hooks,
    )

    with pytest.raises(InvalidArgument) as error:
        validate(definition)
    validate(definition, allow_private_webhooks=True)  # the dev stack and tests deliver to local receivers

    assert {v.field: v.reason for v in error.value.violations} == {
        "report.recipients[0].webhook_url": "ADDRESS_NOT_ALLOWED",
        "report.recipients[1].webhook_url": "ADDRESS_NOT_ALLOWED",
    }


def test_retries_back_off_and_give_up() -> None:
    t = dt.datetime(2026, 1, 1, tzinfo=UTC)
    assert [retry_at(n, t) for n in (1, 2, 3)] == [t + dt.timedelta(minutes=m) for m in (1, 2, 4)]
    assert retry_at(1, t, retry_after=600) == t + dt.timedelta(minutes=10)
    assert retry_at(5, t) is None
