"""iCalendar (RFC 5545) rendering of events and enrolment dates: rules kept as rules, VTIMEZONEs included.

Pure: it takes domain objects and returns bytes. Series are written with DTSTART/DTEND in their zone
(`TZID=`), RRULE (UNTIL rewritten to UTC as RFC 5545 requires with a zoned DTSTART), EXDATE (removed and
cancelled occurrences) and RDATE; changed occurrences follow as VEVENTs with the same UID and a
RECURRENCE-ID. VTIMEZONE blocks list each zone's real transitions (from the tz database) over the years the
calendar spans.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from aigym_calendar.domain import Enrollment, Event, EventKind, EventState
from aigym_calendar.recurrence import format_rule, rule_parts, to_local, until_local, zone

PRODID = "-//AI Gym//Calendar//EN"
UID_DOMAIN = "aigym"


@dataclass(frozen=True)
class CalendarDocument:
    """What goes into one .ics file."""

    name: str
    events: Sequence[Event]
    enrollments: Sequence[Enrollment] = ()
    stamp: datetime | None = None


def render(document: CalendarDocument) -> bytes:
    """The VCALENDAR as CRLF-separated, folded UTF-8 bytes."""
    stamp = document.stamp or datetime.now(UTC)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape(document.name)}",
    ]
    zones = sorted({e.draft.time_zone for e in document.events})
    if zones:
        first_year = min(e.draft.start.year for e in document.events) - 1
        last_year = max(_last_year(e, stamp) for e in document.events) + 1
        for name in zones:
            lines += vtimezone(name, first_year, last_year)
    head = b"".join(fold(line) for line in lines)
    dtstamp = b"\r\nDTSTAMP:" + _utc(stamp).encode() + b"\r\n"
    events = b"".join(_event_bytes(event).replace(_STAMP_MARK, dtstamp) for event in document.events)
    tail = [line for enrollment in document.enrollments for line in _enrollment_lines(enrollment, stamp)]
    tail.append("END:VCALENDAR")
    return head + events + b"".join(fold(line) for line in tail)


_STAMP_AT = datetime(1900, 1, 1, tzinfo=UTC)
# A DTSTAMP line is never folded and text values cannot hold a bare CRLF (escaped, or folded with a space),
# so this marks exactly the DTSTAMP lines of the bytes rendered with _STAMP_AT.
_STAMP_MARK = b"\r\nDTSTAMP:19000101T000000Z\r\n"


def _event_bytes(event: Event) -> bytes:
    """An event's folded VEVENTs with DTSTAMP 1900-01-01 (replaced per document), kept on the Event."""
    if not event._rendered:
        event._rendered.append(b"".join(fold(line) for line in _event_lines(event, _STAMP_AT)))
    return event._rendered[0]


def _last_year(event: Event, stamp: datetime) -> int:
    end = event.schedule.last_end()
    if end is None:
        return min(stamp.year + 5, event.draft.start.year + 30)
    return min(end.year, event.draft.start.year + 30)


def uid(event_id: str) -> str:
    """The stable UID of an event."""
    return f"{event_id}@{UID_DOMAIN}"


def _event_lines(event: Event, stamp: datetime) -> list[str]:
    draft = event.draft
    tz_name = draft.time_zone
    tz = zone(tz_name)
    schedule = event.schedule
    common = [
        f"UID:{uid(event.event_id)}",
        f"DTSTAMP:{_utc(stamp)}",
        f"CREATED:{_utc(event.create_time)}",
        f"LAST-MODIFIED:{_utc(event.update_time)}",
        f"SEQUENCE:{event.sequence}",
    ]
    lines = ["BEGIN:VEVENT", *common]
    lines.append(f"DTSTART;TZID={tz_name}:{_local(schedule.start_local)}")
    if draft.duration:
        lines.append(f"DURATION:{duration(draft.duration)}")
    lines += _text_lines(draft.title, draft.description, draft.location, draft.online_url)
    lines.append(f"CATEGORIES:{draft.kind.value.upper()}")
    if draft.kind is EventKind.DEADLINE:
        lines.append("TRANSP:TRANSPARENT")
    lines.append("STATUS:CANCELLED" if event.state is EventState.CANCELLED else "STATUS:CONFIRMED")
    if draft.rrule:
        lines.append(f"RRULE:{utc_until_rule(draft.rrule, tz_name)}")
    cancelled = [o.occurrence_id for o in event.overrides if o.cancelled]
    exdates = sorted(set(schedule.exdates) | set(cancelled))
    if exdates:
        values = ",".join(_local(to_local(_instant(oid), tz)) for oid in exdates)
        lines.append(f"EXDATE;TZID={tz_name}:{values}")
    if schedule.rdates:
        lines.append(f"RDATE;TZID={tz_name}:{','.join(_local(d) for d in schedule.rdates)}")
    lines.append("END:VEVENT")
    for found in event.overrides:
        if found.cancelled or event.state is EventState.CANCELLED:
            continue
        start = found.start or found.original_start
        length = found.duration if found.duration is not None else draft.duration
        lines += ["BEGIN:VEVENT", *common]
        lines.append(f"RECURRENCE-ID;TZID={tz_name}:{_local(to_local(found.original_start, tz))}")
        lines.append(f"DTSTART;TZID={tz_name}:{_local(to_local(start, tz))}")
        if length:
            lines.append(f"DURATION:{duration(length)}")
        lines += _text_lines(
            found.title or draft.title,
            found.description or draft.description,
            found.location or draft.location,
            found.online_url or draft.online_url,
        )
        lines.append("STATUS:CONFIRMED")
        lines.append("END:VEVENT")
    return lines


_ENROLLMENT_DATES = (("start", "starts"), ("due", "is due"), ("end", "ends"))


def _enrollment_lines(enrollment: Enrollment, stamp: datetime) -> list[str]:
    if enrollment.state not in ("active", "pending_approval"):
        return []
    lines: list[str] = []
    label = enrollment.program_title or "Program"
    for attribute, verb in _ENROLLMENT_DATES:
        instant: datetime | None = getattr(enrollment, attribute)
        if instant is None:
            continue
        lines += [
            "BEGIN:VEVENT",
            f"UID:enrollment-{enrollment.enrollment_id}-{attribute}@{UID_DOMAIN}",
            f"DTSTAMP:{_utc(stamp)}",
            f"SEQUENCE:{enrollment.sequence}",
            f"DTSTART:{_utc(instant)}",
            f"SUMMARY:{escape(f'{label} {verb}')}",
            "CATEGORIES:DEADLINE",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    return lines


def _text_lines(title: str, description: str, location: str, url: str) -> list[str]:
    lines = [f"SUMMARY:{escape(title)}"]
    if description:
        lines.append(f"DESCRIPTION:{escape(description)}")
    if location:
        lines.append(f"LOCATION:{escape(location)}")
    if url:
        lines.append(f"URL:{url}")
    return lines


def utc_until_rule(rule: str, tz_name: str) -> str:
    """The rule with UNTIL as a UTC date-time (RFC 5545: required when DTSTART names a TZID)."""
    parts = rule_parts(rule)
    if "UNTIL" in parts and not parts["UNTIL"].endswith("Z"):
        tz = zone(tz_name)
        local = until_local(parts["UNTIL"], tz)
        parts["UNTIL"] = local.replace(tzinfo=tz).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return format_rule(parts)


def vtimezone(name: str, first_year: int, last_year: int) -> list[str]:
    """A VTIMEZONE with one STANDARD/DAYLIGHT block per distinct observance and RDATEs for its onsets."""
    lines = ["BEGIN:VTIMEZONE", f"TZID:{name}"]
    for kind, offset_from, offset_to, abbreviation, onsets in _observances(name, first_year, last_year):
        lines += [
            f"BEGIN:{kind}",
            f"DTSTART:{_local(onsets[0])}",
            f"TZOFFSETFROM:{_offset(offset_from)}",
            f"TZOFFSETTO:{_offset(offset_to)}",
        ]
        if abbreviation:
            lines.append(f"TZNAME:{escape(abbreviation)}")
        if len(onsets) > 1:
            lines.append(f"RDATE:{','.join(_local(d) for d in onsets[1:])}")
        lines.append(f"END:{kind}")
    lines.append("END:VTIMEZONE")
    return lines


Observance = tuple[str, timedelta, timedelta, str, tuple[datetime, ...]]


@lru_cache(maxsize=256)
def _observances(name: str, first_year: int, last_year: int) -> tuple[Observance, ...]:
    """Transitions of `name` between the years, grouped by (kind, offsets, abbreviation)."""
    tz = zone(name)
    start = datetime(first_year, 1, 1, tzinfo=UTC)
    end = datetime(last_year + 1, 1, 1, tzinfo=UTC)
    groups: dict[tuple[str, timedelta, timedelta, str], list[datetime]] = {}
    previous = start.astimezone(tz)
    previous_offset = previous.utcoffset() or timedelta(0)
    cursor = start
    while cursor < end:
        step = cursor + timedelta(days=7)
        offset = step.astimezone(tz).utcoffset() or timedelta(0)
        if offset != previous_offset:
            low, high = cursor, step  # bisect to the minute of the transition
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                if (middle.astimezone(tz).utcoffset() or timedelta(0)) == previous_offset:
                    low = middle
                else:
                    high = middle
            after = high.astimezone(tz)
            kind = "DAYLIGHT" if after.dst() else "STANDARD"
            onset = (high + previous_offset).replace(tzinfo=None, second=0, microsecond=0)
            key = (kind, previous_offset, offset, after.tzname() or "")
            groups.setdefault(key, []).append(onset)
            previous_offset = offset
        cursor = step
    if not groups:
        local = start.astimezone(tz)
        kind = "DAYLIGHT" if local.dst() else "STANDARD"
        offset = local.utcoffset() or timedelta(0)
        return ((kind, offset, offset, local.tzname() or "", (datetime(1970, 1, 1),)),)
    return tuple((k[0], k[1], k[2], k[3], tuple(onsets)) for k, onsets in groups.items())


def escape(value: str) -> str:
    """RFC 5545 TEXT escaping."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> bytes:
    """One content line folded at 75 octets (never inside a UTF-8 character), CRLF-terminated."""
    data = line.encode()
    if len(data) <= 75:
        return data + b"\r\n"
    chunks: list[bytes] = []
    limit = 75
    while data:
        cut = min(limit, len(data))
        while cut < len(data) and (data[cut] & 0xC0) == 0x80:  # do not split a multi-byte character
            cut -= 1
        chunks.append(data[:cut])
        data = data[cut:]
        limit = 74  # continuation lines start with a space
    return b"\r\n ".join(chunks) + b"\r\n"


def duration(value: timedelta) -> str:
    """RFC 5545 DURATION (`PT1H30M`, `P1DT2H`)."""
    seconds = int(value.total_seconds())
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    text = "P" + (f"{days}D" if days else "")
    clock = (
        (f"{hours}H" if hours else "")
        + (f"{minutes}M" if minutes else "")
        + (f"{seconds}S" if seconds else "")
    )
    if clock:
        text += "T" + clock
    return text if text != "P" else "PT0S"


def _utc(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _local(local: datetime) -> str:
    return local.strftime("%Y%m%dT%H%M%S")


def _instant(oid: str) -> datetime:
    return datetime.strptime(oid, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def _offset(value: timedelta) -> str:
    total = int(value.total_seconds())
    sign = "+" if total >= 0 else "-"
    hours, rest = divmod(abs(total), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{sign}{hours:02d}{minutes:02d}" + (f"{seconds:02d}" if seconds else "")


def events_with_zones(events: Iterable[Event]) -> list[str]:
    """The distinct zones of events (for callers that pre-warm VTIMEZONE caches)."""
    return sorted({e.draft.time_zone for e in events})
