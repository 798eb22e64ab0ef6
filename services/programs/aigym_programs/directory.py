"""The learner directory's pure rules: entries, normalisation and the diff of a directory import."""

from __future__ import annotations

import datetime as dt
import enum
import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace

from aigym_platform.errors import FailedPrecondition, InvalidArgument

DEFAULT_MAX_DEACTIVATION_PERCENT = 10


@dataclass(frozen=True)
class LearnerEntry:
    """One person as other services need them (profile data replicated through events)."""

    learner_id: str
    display_name: str
    email: str = ""
    time_zone: str = "UTC"
    locale: str = ""
    manager_id: str = ""
    teams: tuple[str, ...] = ()
    active: bool = True
    update_time: dt.datetime | None = None

    def same_data(self, other: LearnerEntry) -> bool:
        """True if every field but update_time is equal."""
        return not self.changed_fields(other)

    def changed_fields(self, other: LearnerEntry) -> list[str]:
        """Names of the fields that differ from `other` (update_time ignored)."""
        return [
            f.name
            for f in fields(self)
            if f.name != "update_time" and getattr(self, f.name) != getattr(other, f.name)
        ]


def normalise_entry(entry: LearnerEntry, *, field_prefix: str = "learner") -> LearnerEntry:
    """Trim text, lower-case the email, de-duplicate teams; INVALID_ARGUMENT for an unknown time zone or a
    learner managing themselves."""
    time_zone = entry.time_zone.strip() or "UTC"
    try:
        zoneinfo.ZoneInfo(time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidArgument.for_field(
            f"{field_prefix}.time_zone", f"unknown IANA time zone {time_zone!r}", reason="UNKNOWN_TIME_ZONE"
        ) from exc
    if entry.manager_id and entry.manager_id == entry.learner_id:
        raise InvalidArgument.for_field(
            f"{field_prefix}.manager_id", "a learner cannot be their own manager", reason="SELF_MANAGED"
        )
    return replace(
        entry,
        display_name=" ".join(entry.display_name.split()),
        email=entry.email.strip().lower(),
        time_zone=time_zone,
        locale=entry.locale.strip(),
        manager_id=entry.manager_id.strip(),
        teams=tuple(dict.fromkeys(team.strip() for team in entry.teams if team.strip())),
    )


class ChangeKind(enum.StrEnum):
    """What an import does to one learner."""

    CREATED = "created"
    CHANGED = "changed"
    DEACTIVATED = "deactivated"
    REACTIVATED = "reactivated"


@dataclass(frozen=True)
class Change:
    """One learner's change and the entry to store."""

    kind: ChangeKind
    entry: LearnerEntry
    changed_fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImportPlan:
    """The diff of an import against the current directory."""

    changes: tuple[Change, ...]
    unchanged: int

    def count(self, kind: ChangeKind) -> int:
        """How many changes of this kind."""
        return sum(1 for change in self.changes if change.kind is kind)


def plan_import(
    current: Mapping[str, LearnerEntry],
    rows: Sequence[LearnerEntry],
    *,
    deactivate_missing: bool,
    max_deactivation_percent: int,
    force: bool,
) -> ImportPlan:
    """Diff an export against the directory; refuse a deactivation above the threshold unless forced."""
    listed: dict[str, LearnerEntry] = {}
    for index, row in enumerate(rows):
        if row.learner_id in listed:
            raise InvalidArgument.for_field(
                f"rows[{index}].learner_id", f"{row.learner_id!r} is listed twice", reason="DUPLICATE_ROW"
            )
        listed[row.learner_id] = normalise_entry(
            replace(row, active=True), field_prefix=f"rows[{index}].learner"
        )
    changes: list[Change] = []
    unchanged = 0
    for learner_id, wanted in listed.items():
        existing = current.get(learner_id)
        if existing is None:
            changes.append(Change(ChangeKind.CREATED, wanted))
        elif not existing.same_data(wanted):
            kind = ChangeKind.CHANGED if existing.active else ChangeKind.REACTIVATED
            changes.append(Change(kind, wanted, tuple(existing.changed_fields(wanted))))
        else:
            unchanged += 1
    if deactivate_missing:
        missing = [e for learner_id, e in current.items() if e.active and learner_id not in listed]
        active = sum(1 for e in current.values() if e.active)
        limit = max_deactivation_percent or DEFAULT_MAX_DEACTIVATION_PERCENT
        if missing and not force and len(missing) * 100 > active * limit:
            raise FailedPrecondition(
                f"the import would deactivate {len(missing)} of {active} active learners"
                f" (more than {limit}%); check the export or repeat with force",
                reason="DEACTIVATION_THRESHOLD_EXCEEDED",
                metadata={"would_deactivate": str(len(missing)), "active": str(active)},
            )
        changes += [Change(ChangeKind.DEACTIVATED, replace(e, active=False), ("active",)) for e in missing]
    return ImportPlan(tuple(changes), unchanged)
