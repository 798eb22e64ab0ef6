"""Badges and awards as values, their lifecycles and the checks of a badge definition (pure rules)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlparse

from aigym_achievements.rules import Fact, Rule, requires_program_scope, rule_to_json, validate_rule
from aigym_platform.errors import Aborted, FailedPrecondition, FieldViolation, InvalidArgument

MIN_VALIDITY = dt.timedelta(hours=1)
MAX_VALIDITY = dt.timedelta(days=3660)
SYSTEM_ACTOR = "system"


class BadgeState(enum.StrEnum):
    """Lifecycle of a badge: draft -> active -> archived."""

    DRAFT = "draft"
    ACTIVE = "active"
    ARCHIVED = "archived"


class BackfillState(enum.StrEnum):
    """The retroactive award job of an activation."""

    NONE = "none"
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class AwardState(enum.StrEnum):
    """An award is held (active), suspended, revoked or expired."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    EXPIRED = "expired"


class AwardSource(enum.StrEnum):
    """How an award came about."""

    RULE = "rule"
    BACKFILL = "backfill"
    MANUAL = "manual"


@dataclass(frozen=True)
class BadgeDraft:
    """The editable fields of a badge (a create request, or the new values of an update)."""

    display_name: str = ""
    description: str = ""
    image_url: str = ""
    criteria_narrative: str = ""
    tags: tuple[str, ...] = ()
    rule: Rule | None = None
    validity: dt.timedelta | None = None
    program_id: str = ""


EDITABLE_FIELDS = frozenset(
    {
        "display_name",
        "description",
        "image_url",
        "criteria_narrative",
        "tags",
        "rule",
        "validity",
        "program_id",
    }
)
# Fields that decide who earns the badge: frozen once the badge is active (awards were made under them).
DRAFT_ONLY_FIELDS = frozenset({"rule", "validity", "program_id"})


@dataclass(frozen=True)
class Badge:
    """A badge definition."""

    badge_id: uuid.UUID
    display_name: str
    description: str
    image_url: str
    criteria_narrative: str
    tags: tuple[str, ...]
    rule: Rule
    validity: dt.timedelta | None
    program_id: str
    state: BadgeState
    create_time: dt.datetime
    update_time: dt.datetime
    created_by: str
    activate_time: dt.datetime | None = None
    archive_time: dt.datetime | None = None
    backfill_state: BackfillState = BackfillState.NONE
    backfill_awarded: int = 0
    backfill_finish_time: dt.datetime | None = None
    backfill_error: str = ""
    revision: int = 1

    @property
    def etag(self) -> str:
        """Changes whenever the badge does."""
        return hashlib.sha256(f"{self.badge_id}:{self.revision}".encode()).hexdigest()[:16]

    def check_etag(self, etag: str) -> None:
        """ABORTED if `etag` is given and stale."""
        if etag and etag != self.etag:
            raise Aborted(f"badge {self.badge_id} changed since etag {etag}", reason="ETAG_MISMATCH")

    def rule_json(self) -> dict[str, object]:
        """The stored form of the rule."""
        return rule_to_json(self.rule)

    def activate(self, now: dt.datetime, *, backfill: bool) -> Badge:
        """draft -> active (FAILED_PRECONDITION otherwise); a backfill is queued if asked for."""
        if self.state is not BadgeState.DRAFT:
            raise FailedPrecondition(
                f"only a draft badge can be activated; this one is {self.state.value}",
                reason="BADGE_NOT_DRAFT",
            )
        return dataclasses.replace(
            self,
            state=BadgeState.ACTIVE,
            activate_time=now,
            update_time=now,
            backfill_state=BackfillState.PENDING if backfill else BackfillState.NONE,
            revision=self.revision + 1,
        )

    def archive(self, now: dt.datetime) -> Badge:
        """draft or active -> archived; archiving an archived badge is FAILED_PRECONDITION."""
        if self.state is BadgeState.ARCHIVED:
            raise FailedPrecondition(f"badge {self.badge_id} is already archived", reason="BADGE_ARCHIVED")
        return dataclasses.replace(
            self, state=BadgeState.ARCHIVED, archive_time=now, update_time=now, revision=self.revision + 1
        )

    def updated(self, draft: BadgeDraft, mask: Sequence[str], now: dt.datetime) -> Badge:
        """The badge with the masked fields of `draft` applied (checked; archived badges never change)."""
        if self.state is BadgeState.ARCHIVED:
            raise FailedPrecondition(f"badge {self.badge_id} is archived", reason="BADGE_ARCHIVED")
        unknown = sorted(set(mask) - EDITABLE_FIELDS)
        if unknown or not mask:
            raise InvalidArgument.for_field(
                "update_mask",
                f"name one or more of {', '.join(sorted(EDITABLE_FIELDS))}"
                + (f"; unknown: {', '.join(unknown)}" if unknown else ""),
            )
        frozen = sorted(set(mask) & DRAFT_ONLY_FIELDS)
        if frozen and self.state is not BadgeState.DRAFT:
            raise FailedPrecondition(
                f"{', '.join(frozen)} can change only while the badge is a draft", reason="BADGE_NOT_DRAFT"
            )
        values = {name: getattr(draft, name) for name in mask}
        if "rule" in values and values["rule"] is None:
            raise InvalidArgument.for_field("badge.rule", "a badge needs a rule")
        merged = dataclasses.replace(self, **values, update_time=now, revision=self.revision + 1)
        check_badge(merged.as_draft(), require_all=True)
        return merged

    def as_draft(self) -> BadgeDraft:
        """The editable fields as a draft (for re-checking after an update)."""
        return BadgeDraft(
            self.display_name,
            self.description,
            self.image_url,
            self.criteria_narrative,
            self.tags,
            self.rule,
            self.validity,
            self.program_id,
        )


def new_badge(draft: BadgeDraft, actor: str, now: dt.datetime) -> Badge:
    """A draft badge from a checked create request."""
    check_badge(draft, require_all=True)
    assert draft.rule is not None
    return Badge(
        badge_id=uuid.uuid4(),
        display_name=draft.display_name.strip(),
        description=draft.description,
        image_url=draft.image_url,
        criteria_narrative=draft.criteria_narrative,
        tags=tuple(dict.fromkeys(draft.tags)),
        rule=draft.rule,
        validity=draft.validity,
        program_id=draft.program_id,
        state=BadgeState.DRAFT,
        create_time=now,
        update_time=now,
        created_by=actor,
    )


def check_badge(draft: BadgeDraft, *, require_all: bool) -> None:
    """INVALID_ARGUMENT with every field violation of a badge definition (paths under `badge.`)."""
    violations: list[FieldViolation] = []
    if require_all and not draft.display_name.strip():
        violations.append(FieldViolation("badge.display_name", "a badge needs a display name", "REQUIRED"))
    if draft.image_url:
        parsed = urlparse(draft.image_url)
        if parsed.scheme not in ("https", "http") or not parsed.netloc:
            violations.append(FieldViolation("badge.image_url", "must be an http(s) URL", "INVALID_URL"))
    if draft.validity is not None and not MIN_VALIDITY <= draft.validity <= MAX_VALIDITY:
        violations.append(FieldViolation("badge.validity", "must be between 1 hour and 3660 days"))
    if draft.rule is None:
        if require_all:
            violations.append(FieldViolation("badge.rule", "a badge needs a rule", "REQUIRED"))
    else:
        violations.extend(validate_rule(draft.rule, "badge.rule"))
        if requires_program_scope(draft.rule) and not draft.program_id:
            violations.append(
                FieldViolation(
                    "badge.program_id",
                    "a milestone rule that names a node but no program needs the badge's program scope",
                    "PROGRAM_SCOPE_REQUIRED",
                )
            )
    if violations:
        raise InvalidArgument(
            "; ".join(f"{v.field}: {v.description}" for v in violations), violations=violations
        )


@dataclass(frozen=True)
class Award:
    """One badge held (or once held) by one learner in one award period."""

    award_id: uuid.UUID
    badge_id: uuid.UUID
    learner_id: str
    period: int
    state: AwardState
    source: AwardSource
    award_time: dt.datetime
    expire_time: dt.datetime | None
    evidence: tuple[str, ...]
    awarded_by: str
    reason: str
    credential_id: uuid.UUID
    revoke_time: dt.datetime | None = None
    revoke_reason: str = ""
    revoked_by: str = ""
    program_id: str = ""
    status: StatusEntries | None = None
    credential_jwt: str = ""

    @property
    def blocks_rule_award(self) -> bool:
        """True if this award keeps the rule from awarding the badge again (held, suspended or revoked)."""
        return self.state is not AwardState.EXPIRED


@dataclass(frozen=True)
class Standing:
    """What rule evaluation needs of a learner's latest award of one badge (its highest period)."""

    badge_id: uuid.UUID
    period: int
    state: AwardState
    expire_time: dt.datetime | None

    @property
    def blocks_rule_award(self) -> bool:
        """True if this award keeps the rule from awarding the badge again (held, suspended or revoked)."""
        return self.state is not AwardState.EXPIRED


@dataclass(frozen=True)
class LearnerState:
    """Everything the consumer reads about a learner to evaluate an event, in one statement: the tenant's
    badge revision (to check the cached active badges), the learner's time zone, latest award per badge
    and facts (oldest first), and the issuer name credentials carry."""

    badge_revision: int
    time_zone: str
    standings: dict[uuid.UUID, Standing]
    facts: list[Fact]
    issuer_name: str


@dataclass(frozen=True)
class StatusEntries:
    """Where an award's credential sits in its tenant's revocation and suspension status lists."""

    revocation_list_id: uuid.UUID
    revocation_index: int
    suspension_list_id: uuid.UUID
    suspension_index: int


@dataclass(frozen=True)
class TenantSettings:
    """A tenant's achievements settings."""

    leaderboards_enabled: bool = False
    issuer_name: str = "AI Gym"
    issuer_url: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def digest(value: object) -> str:
    """A short stable digest for audit records."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:16]
