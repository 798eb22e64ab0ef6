"""Pure rules of programs: lifecycle states, field normalisation, update masks (no I/O)."""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
import uuid
from dataclasses import dataclass, field, replace

from aigym_platform.errors import Aborted, FailedPrecondition, FieldViolation, InvalidArgument
from aigym_programs.enrollment import EnrollmentRules
from aigym_programs.structure import Structure
from aigym_programs.structure import to_json as structure_json


class ProgramState(enum.StrEnum):
    """Lifecycle: draft -> published -> archived (-> restored to published)."""

    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class Visibility(enum.StrEnum):
    """Catalogue visibility inside the tenant."""

    PUBLIC = "public"
    RESTRICTED = "restricted"


UPDATABLE_FIELDS = frozenset(
    {
        "title",
        "description",
        "tags",
        "visibility",
        "self_enrollment_allowed",
        "structure",
        "enrollment_open_time",
        "enrollment_close_time",
        "default_due_offset",
        "default_access_duration",
        "default_due_time",
        "default_end_time",
    }
)
MAX_TAGS = 20


@dataclass(frozen=True)
class ProgramDraft:
    """The editable content of a program, as a client sends it."""

    title: str
    description: str = ""
    tags: tuple[str, ...] = ()
    visibility: Visibility = Visibility.RESTRICTED
    self_enrollment_allowed: bool = False
    enrollment_open_time: dt.datetime | None = None
    enrollment_close_time: dt.datetime | None = None
    default_due_offset: dt.timedelta | None = None
    default_access_duration: dt.timedelta | None = None
    default_due_time: dt.datetime | None = None
    default_end_time: dt.datetime | None = None

    @property
    def rules(self) -> EnrollmentRules:
        """The enrolment settings carried by this content."""
        return EnrollmentRules(
            self.enrollment_open_time,
            self.enrollment_close_time,
            self.default_due_offset,
            self.default_access_duration,
            self.default_due_time,
            self.default_end_time,
        )


@dataclass(frozen=True)
class Program:
    """A program as stored: content plus lifecycle and bookkeeping."""

    program_id: uuid.UUID
    content: ProgramDraft
    state: ProgramState
    version: int
    create_time: dt.datetime
    update_time: dt.datetime
    create_request_id: str | None = field(default=None)
    structure: Structure = field(default_factory=Structure)
    current_version: int = 0
    published_digest: str | None = None
    # Set by a BASIC read, which leaves `structure` empty: the stored digest of the content. None when
    # the structure was loaded (the digest is then computed from it).
    stored_digest: str | None = None

    @property
    def publishable_digest(self) -> str:
        """Digest of what a version captures (title, description, structure)."""
        payload = {
            "title": self.content.title,
            "description": self.content.description,
            "structure": structure_json(self.structure),
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()

    @property
    def has_unpublished_changes(self) -> bool:
        """True when the program differs from its latest published version (always for drafts)."""
        current = self.stored_digest if self.stored_digest is not None else self.publishable_digest
        return self.published_digest != current

    def as_published(self, version: ProgramVersion) -> Program:
        """The program as its published `version` shows it (title, description, structure): what
        learners see, never the working copy's unpublished edits."""
        content = replace(self.content, title=version.title, description=version.description)
        return replace(self, content=content, structure=version.structure, stored_digest=None)

    def check_transition(self, action: str, allowed_from: frozenset[ProgramState]) -> None:
        """FAILED_PRECONDITION unless the program's state allows `action`."""
        if self.state not in allowed_from:
            allowed = ", ".join(sorted(s.value for s in allowed_from))
            raise FailedPrecondition(
                f"cannot {action} a {self.state.value} program (allowed from: {allowed})",
                reason="INVALID_STATE_TRANSITION",
                metadata={"state": self.state.value, "action": action},
            )

    @property
    def etag(self) -> str:
        """Opaque concurrency token (AIP-154)."""
        return f'W/"{self.version}"'

    def check_etag(self, etag: str) -> None:
        """Raise ABORTED when a supplied etag is stale (lost-update protection)."""
        if etag and etag != self.etag:
            raise Aborted(
                "the program changed since it was read; re-read it and retry", reason="ETAG_MISMATCH"
            )

    def check_deletable(self) -> None:
        """Only drafts may be deleted: published/archived programs keep their enrolment history."""
        if self.state is not ProgramState.DRAFT:
            raise FailedPrecondition(
                f"only draft programs can be deleted; this one is {self.state.value} (archive it instead)",
                reason="PROGRAM_NOT_DRAFT",
            )


def normalise(draft: ProgramDraft, *, title_field: str = "program.title") -> ProgramDraft:
    """Trim text, lower-case and de-duplicate tags; reject a blank title with a field violation."""
    title = " ".join(draft.title.split())
    if not title:
        raise InvalidArgument(
            "title must not be blank",
            violations=[FieldViolation(title_field, "must not be blank", "PROGRAM_TITLE_BLANK")],
        )
    tags = tuple(dict.fromkeys(tag.strip().lower() for tag in draft.tags if tag.strip()))
    opens, closes = draft.enrollment_open_time, draft.enrollment_close_time
    if opens and closes and closes <= opens:
        raise InvalidArgument.for_field(
            "program.enrollment_close_time",
            "must be after enrollment_open_time",
            reason="WINDOW_INVERTED",
        )
    problems = []
    if draft.default_due_time is not None and draft.default_due_offset is not None:
        problems.append(
            FieldViolation(
                "program.default_due_time",
                "give an absolute due time or an offset, not both",
                "DUE_RULE_TWICE",
            )
        )
    if draft.default_end_time is not None and draft.default_access_duration is not None:
        problems.append(
            FieldViolation(
                "program.default_end_time",
                "give an absolute end time or a duration, not both",
                "END_RULE_TWICE",
            )
        )
    due, end = draft.default_due_time, draft.default_end_time
    if due is not None and end is not None and end < due:
        problems.append(
            FieldViolation(
                "program.default_end_time", "must not be before default_due_time", "END_BEFORE_DUE"
            )
        )
    if problems:
        raise InvalidArgument("; ".join(f"{p.field}: {p.description}" for p in problems), violations=problems)
    return replace(draft, title=title, description=draft.description.strip(), tags=tags)


def validate_update_mask(paths: list[str]) -> frozenset[str]:
    """The fields an update touches; INVALID_ARGUMENT for unknown or immutable paths."""
    if not paths:
        raise InvalidArgument.for_field("update_mask", "update_mask must name at least one field")
    unknown = sorted(set(paths) - UPDATABLE_FIELDS)
    if unknown:
        raise InvalidArgument(
            f"fields cannot be updated: {', '.join(unknown)}",
            violations=[
                FieldViolation("update_mask", f"{path} is not updatable", "FIELD_NOT_UPDATABLE")
                for path in unknown
            ],
        )
    return frozenset(paths)


def apply_update(current: ProgramDraft, changes: ProgramDraft, mask: frozenset[str]) -> ProgramDraft:
    """Copy the masked content fields from `changes` onto `current` (structure is handled separately)."""
    return replace(current, **{name: getattr(changes, name) for name in mask - {"structure"}})


EDITABLE_STATES = frozenset({ProgramState.DRAFT, ProgramState.PUBLISHED})
PUBLISHABLE_STATES = frozenset({ProgramState.DRAFT, ProgramState.PUBLISHED})


@dataclass(frozen=True)
class ProgramVersion:
    """An immutable published snapshot."""

    program_id: uuid.UUID
    version: int
    title: str
    description: str
    structure: Structure
    publish_time: dt.datetime
    published_by: str
