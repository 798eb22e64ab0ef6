"""Pure rules of scheduled reports: definitions and their validation, schedules in a time zone (DST-safe),
delivery retry backoff."""

from __future__ import annotations

import datetime as dt
import enum
import zoneinfo
from dataclasses import dataclass, field, replace
from typing import cast
from urllib.parse import urlsplit

from croniter import croniter

from aigym_platform.delivery.webhook import literal_non_public_host
from aigym_platform.errors import FieldViolation, InvalidArgument

MAX_ATTEMPTS = 5
RETRY_BASE = dt.timedelta(minutes=1)
RETRY_CAP = dt.timedelta(hours=1)


class ReportType(enum.StrEnum):
    """What a report contains."""

    OVERVIEW = "overview"
    PROGRAM = "program"
    AT_RISK = "at_risk"
    ACTIVITY = "activity"


class ReportFormat(enum.StrEnum):
    """Output file format."""

    CSV = "csv"
    XLSX = "xlsx"
    PDF = "pdf"


class Frequency(enum.StrEnum):
    """How often a report runs."""

    MANUAL = "manual"
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    CRON = "cron"


class DataScope(enum.StrEnum):
    """Whose view of the data a report shows."""

    OWNER = "owner"
    RECIPIENT = "recipient"


class EmptyPolicy(enum.StrEnum):
    """What a run with no rows does."""

    SEND = "send"
    SKIP = "skip"


@dataclass(frozen=True)
class Schedule:
    """When a report runs: a frequency at a local time in a time zone, or a cron expression there."""

    frequency: Frequency = Frequency.MANUAL
    local_time: str = ""
    weekday: int = 0  # 1 Monday .. 7 Sunday
    month_day: int = 0
    cron: str = ""
    time_zone: str = "UTC"

    def next_after(self, after: dt.datetime) -> dt.datetime | None:
        """The first run strictly after `after` (UTC), or None for manual reports.

        Local times are resolved in the schedule's zone on the day of the run, so 08:00 stays 08:00 across
        a DST change; a local time that does not exist that day (the spring gap) runs at the same wall
        clock reading an hour later, and one that exists twice (autumn) runs at its first occurrence.
        """
        if self.frequency is Frequency.MANUAL:
            return None
        zone = zoneinfo.ZoneInfo(self.time_zone or "UTC")
        local_after = after.astimezone(zone)
        if self.frequency is Frequency.CRON:
            base = local_after.replace(tzinfo=None)
            nxt = cast(dt.datetime, croniter(self.cron, base).get_next(dt.datetime))
            return _resolve(nxt, zone)
        hour, minute = (int(part) for part in self.local_time.split(":"))
        day = local_after.date()
        for _ in range(400):
            if self._matches(day):
                candidate = _resolve(dt.datetime.combine(day, dt.time(hour, minute)), zone)
                if candidate > after:
                    return candidate
            day += dt.timedelta(days=1)
        return None  # unreachable for valid schedules

    def _matches(self, day: dt.date) -> bool:
        if self.frequency is Frequency.DAILY:
            return True
        if self.frequency is Frequency.WEEKLY:
            return day.isoweekday() == self.weekday
        last = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
        return day.day == min(self.month_day, last.day)


def _resolve(local: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """A naive local wall-clock time in `zone` as a UTC instant (fold 0: first occurrence; gaps shift on)."""
    # zoneinfo reads a time in the spring gap with the offset before the jump, which lands it one hour
    # later on the wall clock after the jump; fold 0 picks the first of two autumn occurrences.
    return local.replace(tzinfo=zone, fold=0).astimezone(dt.UTC)


@dataclass(frozen=True)
class Recipient:
    """An email address or a signed webhook."""

    email: str = ""
    webhook_url: str = ""
    webhook_secret: str = ""

    @property
    def channel(self) -> str:
        """email or webhook."""
        return "email" if self.email else "webhook"

    @property
    def address(self) -> str:
        """The address or URL (what the delivery log shows)."""
        return self.email or self.webhook_url


@dataclass(frozen=True)
class ReportDefinition:
    """A report as stored."""

    title: str
    report_type: ReportType
    format: ReportFormat
    schedule: Schedule
    recipients: tuple[Recipient, ...]
    data_scope: DataScope = DataScope.OWNER
    empty_policy: EmptyPolicy = EmptyPolicy.SEND
    program_id: str = ""
    period_days: int = 7
    extra: dict[str, str] = field(default_factory=dict)

    def with_changes(self, **changes: object) -> ReportDefinition:
        """A copy with some fields replaced."""
        return replace(self, **changes)  # type: ignore[arg-type]


def validate(
    definition: ReportDefinition, prefix: str = "report", *, allow_private_webhooks: bool = False
) -> None:
    """Every rule a definition must meet; InvalidArgument listing each broken field.

    Unless `allow_private_webhooks` (AIGYM_WEBHOOK_ALLOW_PRIVATE_ADDRESSES), a webhook naming localhost or a
    literal non-public IP is refused here; host names are resolved and checked again at delivery.
    """
    problems: list[FieldViolation] = []

    def bad(path: str, description: str, reason: str) -> None:
        problems.append(FieldViolation(f"{prefix}.{path}", description, reason))

    if not definition.title.strip():
        bad("title", "is required", "REQUIRED")
    if definition.report_type is ReportType.PROGRAM and not definition.program_id:
        bad("program_id", "is required for a program report", "REQUIRED")
    if not 1 <= definition.period_days <= 366:
        bad("period_days", "must be 1..366", "OUT_OF_RANGE")
    if not definition.recipients:
        bad("recipients", "at least one recipient is required", "REQUIRED")
    for i, recipient in enumerate(definition.recipients):
        path = f"recipients[{i}]"
        if bool(recipient.email) == bool(recipient.webhook_url):
            bad(path, "give exactly one of email and webhook_url", "ONE_OF")
        elif recipient.email and (
            recipient.email.count("@") != 1 or "." not in recipient.email.split("@")[1]
        ):
            bad(f"{path}.email", "is not an email address", "INVALID_EMAIL")
        elif recipient.webhook_url:
            parts = urlsplit(recipient.webhook_url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                bad(f"{path}.webhook_url", "must be an http(s) URL", "INVALID_URL")
            elif not allow_private_webhooks and (local := literal_non_public_host(recipient.webhook_url)):
                bad(f"{path}.webhook_url", f"{local} is not a public address", "ADDRESS_NOT_ALLOWED")
            if not recipient.webhook_secret:
                bad(f"{path}.webhook_secret", "a webhook needs a signing secret", "REQUIRED")
    s = definition.schedule
    try:
        zoneinfo.ZoneInfo(s.time_zone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        bad("schedule.time_zone", f"unknown time zone {s.time_zone!r}", "UNKNOWN_TIME_ZONE")
    if s.frequency in (Frequency.DAILY, Frequency.WEEKLY, Frequency.MONTHLY) and not s.local_time:
        bad("schedule.local_time", "is required (HH:MM)", "REQUIRED")
    if s.frequency is Frequency.WEEKLY and not 1 <= s.weekday <= 7:
        bad("schedule.weekday", "must be 1 (Monday) .. 7 (Sunday)", "OUT_OF_RANGE")
    if s.frequency is Frequency.MONTHLY and not 1 <= s.month_day <= 31:
        bad("schedule.month_day", "must be 1..31", "OUT_OF_RANGE")
    if s.frequency is Frequency.CRON and (len(s.cron.split()) != 5 or not croniter.is_valid(s.cron)):
        bad("schedule.cron", "is not a five-field cron expression", "INVALID_CRON")
    if problems:
        raise InvalidArgument("invalid report definition", violations=problems)


def retry_at(attempt: int, attempted: dt.datetime, retry_after: float | None = None) -> dt.datetime | None:
    """When to try again after failed attempt number `attempt` (None: give up)."""
    if attempt >= MAX_ATTEMPTS:
        return None
    delay: dt.timedelta = min(RETRY_CAP, RETRY_BASE * (2 ** (attempt - 1)))
    if retry_after:
        delay = max(delay, dt.timedelta(seconds=min(retry_after, RETRY_CAP.total_seconds())))
    return attempted + delay
