"""Pure rules of learning sessions and the time-on-task algorithm `tot.v1` (no I/O).

Algorithm `tot.v1` (the figure's version is stored and returned with every figure):

1. An online session is one active interval from its start to its last signal (start, heartbeats, end), all
   times taken from the server clock. A session silent for longer than IDLE_TIMEOUT is abandoned: it closes
   at its last signal, so the silence never counts, whoever notices first (a late heartbeat, the end call
   or the idle-closing job).
2. An offline session is the interval the learner declared (at most MAX_OFFLINE long), counted only once an
   admin approved it; pending and rejected ones count nothing.
3. A learner's time on task in a course is the length of the union of the counted intervals of all their
   sessions in the course, in whole seconds (rounded down): overlapping sessions (several tabs, an offline
   session overlapping an online one) count once. Resets do not clear it: it is time spent, not progress.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from aigym_platform.errors import FailedPrecondition, FieldViolation, InvalidArgument
from aigym_progress.domain import MAX_LEARNER_ID, REQUEST_ID_PATTERN, TimeOnTask
from aigym_progress.structure import ID_PATTERN

ALGORITHM = "tot.v1"
IDLE_TIMEOUT = dt.timedelta(minutes=5)
MAX_OFFLINE = dt.timedelta(hours=12)
MAX_OFFLINE_AGE = dt.timedelta(days=90)
CLOCK_SKEW = dt.timedelta(minutes=1)
MAX_NOTE = 500


class SessionKind(enum.StrEnum):
    """Tracked live or declared afterwards."""

    ONLINE = "online"
    OFFLINE = "offline"


class SessionState(enum.StrEnum):
    """Where a session is in its life."""

    OPEN = "open"
    CLOSED = "closed"
    PENDING_APPROVAL = "pending_approval"
    REJECTED = "rejected"


class EndReason(enum.StrEnum):
    """Why a session closed."""

    ENDED = "ended"
    IDLE_TIMEOUT = "idle_timeout"
    OFFLINE_APPROVED = "offline_approved"


@dataclass(frozen=True)
class Interval:
    """A half-open span of time [start, end)."""

    start: dt.datetime
    end: dt.datetime


def union_seconds(intervals: Iterable[Interval]) -> int:
    """Length of the union of the intervals in whole seconds (overlaps and duplicates count once)."""
    total = dt.timedelta()
    current: Interval | None = None
    for item in sorted((i for i in intervals if i.end > i.start), key=lambda i: i.start):
        if current is None or item.start > current.end:
            if current is not None:
                total += current.end - current.start
            current = item
        elif item.end > current.end:
            current = Interval(current.start, item.end)
    if current is not None:
        total += current.end - current.start
    return int(total.total_seconds())


@dataclass(frozen=True)
class SessionInput:
    """A session as a client starts or declares it (learner id may still be `me`)."""

    learner_id: str
    course_id: str
    kind: SessionKind = SessionKind.ONLINE
    start_time: dt.datetime | None = None
    end_time: dt.datetime | None = None
    request_id: str = ""
    note: str = ""


def validate_session(item: SessionInput, now: dt.datetime, *, path: str = "session") -> None:
    """INVALID_ARGUMENT listing every malformed field (ids, offline times and their limits, note)."""
    problems = []
    if not item.learner_id or len(item.learner_id) > MAX_LEARNER_ID:
        problems.append(FieldViolation(f"{path}.learner_id", "must be 1 to 128 characters", "INVALID_ID"))
    if not ID_PATTERN.match(item.course_id):
        problems.append(
            FieldViolation(
                f"{path}.course_id", "must match ^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$", "INVALID_ID"
            )
        )
    if not REQUEST_ID_PATTERN.match(item.request_id):
        problems.append(
            FieldViolation(f"{path}.request_id", "must match ^[A-Za-z0-9_.:-]{0,64}$", "INVALID_REQUEST_ID")
        )
    if len(item.note) > MAX_NOTE:
        problems.append(FieldViolation(f"{path}.note", "must be at most 500 characters", "NOTE_TOO_LONG"))
    if item.kind is SessionKind.ONLINE:
        for name in ("start_time", "end_time"):
            if getattr(item, name) is not None:
                problems.append(
                    FieldViolation(
                        f"{path}.{name}", "is set by the server for online sessions", "ONLINE_TIME_GIVEN"
                    )
                )
    else:
        problems.extend(_offline_violations(item, now, path))
    if problems:
        summary = "; ".join(f"{p.field}: {p.description}" for p in problems)
        raise InvalidArgument(f"invalid session: {summary}", violations=problems)


def _offline_violations(item: SessionInput, now: dt.datetime, path: str) -> list[FieldViolation]:
    start, end = item.start_time, item.end_time
    problems = []
    if start is None:
        problems.append(FieldViolation(f"{path}.start_time", "required for offline sessions", "REQUIRED"))
    if end is None:
        problems.append(FieldViolation(f"{path}.end_time", "required for offline sessions", "REQUIRED"))
    if start is None or end is None:
        return problems
    if end <= start:
        problems.append(FieldViolation(f"{path}.end_time", "must be after start_time", "END_BEFORE_START"))
    elif end - start > MAX_OFFLINE:
        problems.append(
            FieldViolation(f"{path}.end_time", "an offline session lasts at most 12 hours", "TOO_LONG")
        )
    if end > now + CLOCK_SKEW:
        problems.append(FieldViolation(f"{path}.end_time", "must not be in the future", "IN_FUTURE"))
    if start < now - MAX_OFFLINE_AGE:
        problems.append(FieldViolation(f"{path}.start_time", "must be within the last 90 days", "TOO_OLD"))
    return problems


@dataclass(frozen=True)
class LearningSession:
    """A learning session and its own active time (figures of `algorithm`)."""

    session_id: uuid.UUID
    learner_id: str
    course_id: str
    kind: SessionKind
    state: SessionState
    start_time: dt.datetime
    last_signal_time: dt.datetime
    created_by: str
    end_time: dt.datetime | None = None
    end_reason: EndReason | None = None
    heartbeats: int = 0
    request_id: str | None = None
    note: str = ""
    decided_by: str | None = None
    decide_time: dt.datetime | None = None
    decision_reason: str = ""
    algorithm: str = ALGORITHM
    time_on_task: TimeOnTask | None = None

    @classmethod
    def start(
        cls, item: SessionInput, learner_id: str, now: dt.datetime, by: str, *, admin: bool
    ) -> LearningSession:
        """A new session: online and open from now, or offline pending (approved at once for admins)."""
        base = cls(
            session_id=uuid.uuid4(),
            learner_id=learner_id,
            course_id=item.course_id,
            kind=item.kind,
            state=SessionState.OPEN,
            start_time=now,
            last_signal_time=now,
            created_by=by,
            request_id=item.request_id or None,
            note=item.note.strip(),
        )
        if item.kind is SessionKind.ONLINE:
            return base
        assert item.start_time is not None
        assert item.end_time is not None
        offline = dataclasses.replace(
            base,
            state=SessionState.PENDING_APPROVAL,
            start_time=item.start_time,
            last_signal_time=item.end_time,
            end_time=item.end_time,
        )
        return offline.approve(by, now) if admin else offline

    @property
    def counts(self) -> bool:
        """Whether the session counts towards time on task (online; offline once approved)."""
        if self.kind is SessionKind.ONLINE:
            return True
        return self.state is SessionState.CLOSED

    @property
    def interval(self) -> Interval:
        """The session's active interval under `tot.v1`."""
        return Interval(self.start_time, self.end_time or self.last_signal_time)

    @property
    def active_seconds(self) -> int:
        """This session's own active time (0 while it does not count)."""
        return union_seconds([self.interval]) if self.counts else 0

    def is_idle(self, now: dt.datetime) -> bool:
        """An open online session silent for longer than the idle timeout."""
        return self.state is SessionState.OPEN and now - self.last_signal_time > IDLE_TIMEOUT

    def close(self, now: dt.datetime) -> LearningSession:
        """Close an open session: at `now` if it was alive, at its last signal if it had gone idle."""
        if self.state is not SessionState.OPEN:
            raise FailedPrecondition(f"session {self.session_id} is not open", reason="SESSION_NOT_OPEN")
        if self.is_idle(now):
            end, reason = self.last_signal_time, EndReason.IDLE_TIMEOUT
        else:
            end, reason = max(now, self.last_signal_time), EndReason.ENDED
        return dataclasses.replace(
            self, state=SessionState.CLOSED, last_signal_time=end, end_time=end, end_reason=reason
        )

    def heartbeat(self, now: dt.datetime) -> LearningSession:
        """Extend an open online session to `now` (callers close idle sessions first)."""
        if self.kind is not SessionKind.ONLINE:
            raise FailedPrecondition(
                f"session {self.session_id} is an offline session", reason="SESSION_NOT_ONLINE"
            )
        if self.state is not SessionState.OPEN:
            raise FailedPrecondition(
                f"session {self.session_id} is closed; start a new session", reason="SESSION_CLOSED"
            )
        return dataclasses.replace(
            self, last_signal_time=max(now, self.last_signal_time), heartbeats=self.heartbeats + 1
        )

    def approve(self, by: str, now: dt.datetime) -> LearningSession:
        """Approve a pending offline session: it closes and counts."""
        self._check_pending()
        return dataclasses.replace(
            self,
            state=SessionState.CLOSED,
            end_reason=EndReason.OFFLINE_APPROVED,
            decided_by=by,
            decide_time=now,
        )

    def reject(self, by: str, now: dt.datetime, reason: str) -> LearningSession:
        """Reject a pending offline session: it never counts."""
        self._check_pending()
        return dataclasses.replace(
            self, state=SessionState.REJECTED, decided_by=by, decide_time=now, decision_reason=reason
        )

    def _check_pending(self) -> None:
        if self.state is not SessionState.PENDING_APPROVAL:
            raise FailedPrecondition(
                f"session {self.session_id} is not an offline session pending approval",
                reason="SESSION_NOT_PENDING",
            )

    def check_same_request(self, item: SessionInput, learner_id: str) -> None:
        """FAILED_PRECONDITION when a start's request id is reused for a different session (for an offline
        one, a different declared interval or note too: the second declaration would be lost silently)."""
        mine: tuple[object, ...] = (self.learner_id, self.course_id, self.kind)
        theirs: tuple[object, ...] = (learner_id, item.course_id, item.kind)
        if self.kind is SessionKind.OFFLINE:
            mine += (self.start_time, self.end_time, self.note)
            theirs += (item.start_time, item.end_time, item.note)
        if mine != theirs:
            raise FailedPrecondition(
                f"request_id {self.request_id} was already used for a different session",
                reason="REQUEST_ID_REUSED",
            )


def time_on_task(sessions: Iterable[LearningSession]) -> TimeOnTask:
    """`tot.v1`: the union of the counted sessions' intervals, in whole seconds."""
    return TimeOnTask(union_seconds(s.interval for s in sessions if s.counts), ALGORITHM)
