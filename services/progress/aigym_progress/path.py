"""The path validator: may a learner start an item of a program now, and if not, why (pure, no I/O).

`validate_path` is the one rule every access check uses (the ValidatePath RPC, its "what if" variant for
admins, and any future gate in front of content). Semantics, on the learner's enrolment and its pinned
program version:

- Enrolment: none, pending approval or withdrawn -> NOT_ENROLLED; expired, or past its end time -> CLOSED;
  before its start time -> NOT_YET_OPEN (the root opens at the enrolment's start). A completed enrolment
  still allows review.
- Order: in an ALL_IN_ORDER set, every earlier sibling (milestones aside) must be complete before a node
  may start; a milestone needs every earlier sibling complete in any set. An incomplete earlier course is
  UNMET_PREREQUISITE, or MIN_SCORE_NOT_REACHED when all of its blocks are done but a minimum score is not
  met; an incomplete earlier set is SET_RULE_NOT_SATISFIED with what it has and needs (children or points).
  The rule is applied on every level from the root down to the item.
- Time: a node opens `start_delay` after its reference: in an ALL_IN_ORDER set the completion of the
  previous sibling (the set's own opening for the first child), in other sets the set's opening. Before
  that it is NOT_YET_OPEN with its open time.
- Completion of sets: ALL_* when every child is complete (at the latest child's time), AT_LEAST_N at the
  n-th completion, MIN_POINTS when the completed children's points first reach the requirement.

`earliest_open_time` is known only when every blocker is a wait (NOT_YET_OPEN): the latest of their open
times, unless that is at or after the enrolment's end: then the item is also CLOSED and has no earliest
time. `next_eligible` lists the courses, in program order, that are not complete and have no blocker now.
A course counts as complete only from its completion time on, so a what-if at an earlier time ignores what
the learner completed after it.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from aigym_platform.errors import NotFound


class NodeKind(enum.StrEnum):
    """What a program node is."""

    COURSE = "course"
    SET = "set"
    MILESTONE = "milestone"


class Rule(enum.StrEnum):
    """How a set is satisfied."""

    ALL_IN_ORDER = "all_in_order"
    ALL_ANY_ORDER = "all_any_order"
    AT_LEAST_N = "at_least_n"
    MIN_POINTS = "min_points"


@dataclass(frozen=True)
class PathNode:
    """One node of a program version's tree (as the programs service publishes it)."""

    node_id: str
    parent_id: str
    kind: NodeKind
    title: str = ""
    course_id: str = ""
    rule: Rule | None = None
    required_count: int = 0
    required_points: int = 0
    points: int = 0
    start_delay: dt.timedelta | None = None
    due_offset: dt.timedelta | None = None


@dataclass(frozen=True)
class ProgramTree:
    """An immutable published program version: its nodes, siblings in order."""

    program_id: str
    version: int
    nodes: tuple[PathNode, ...]

    @cached_property
    def by_id(self) -> dict[str, PathNode]:
        """Nodes by id."""
        return {n.node_id: n for n in self.nodes}

    @cached_property
    def children(self) -> dict[str, tuple[PathNode, ...]]:
        """Children of each set, in order."""
        found: dict[str, list[PathNode]] = {}
        for node in self.nodes:
            if node.parent_id:
                found.setdefault(node.parent_id, []).append(node)
        return {k: tuple(v) for k, v in found.items()}

    @cached_property
    def root(self) -> PathNode | None:
        """The root set (None for an empty tree)."""
        return next((n for n in self.nodes if not n.parent_id), None)

    def work(self, node_id: str) -> tuple[PathNode, ...]:
        """Children that count towards a set (milestones do not)."""
        return tuple(c for c in self.children.get(node_id, ()) if c.kind is not NodeKind.MILESTONE)

    def path_to(self, node_id: str) -> list[PathNode]:
        """The nodes from the root down to `node_id` (inclusive)."""
        path, node = [], self.by_id.get(node_id)
        while node is not None:
            path.append(node)
            node = self.by_id.get(node.parent_id) if node.parent_id else None
        return path[::-1]


class EnrollmentStatus(enum.StrEnum):
    """The enrolment as the validator sees it."""

    PENDING = "pending"
    ACTIVE = "active"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


@dataclass(frozen=True)
class EnrollmentView:
    """A learner's enrolment in the program: status, pinned version and dates."""

    status: EnrollmentStatus
    version: int
    start_time: dt.datetime
    end_time: dt.datetime | None = None
    due_time: dt.datetime | None = None


@dataclass(frozen=True)
class CourseState:
    """A learner's course for the validator: when it completed; whether only a score is missing."""

    complete_time: dt.datetime | None = None
    score_shortfall: bool = False


@dataclass(frozen=True)
class LearnerState:
    """A learner's enrolment in the program and their courses (recorded, or hypothetical for "what if")."""

    enrollment: EnrollmentView | None
    courses: Mapping[str, CourseState] = field(default_factory=dict)


class BlockerReason(enum.StrEnum):
    """Why an item may not start."""

    NOT_ENROLLED = "not_enrolled"
    UNMET_PREREQUISITE = "unmet_prerequisite"
    SET_RULE_NOT_SATISFIED = "set_rule_not_satisfied"
    NOT_YET_OPEN = "not_yet_open"
    CLOSED = "closed"
    MIN_SCORE_NOT_REACHED = "min_score_not_reached"


@dataclass(frozen=True)
class Blocker:
    """One reason an item may not start, naming the node responsible."""

    reason: BlockerReason
    node_id: str = ""
    course_id: str = ""
    message: str = ""
    open_time: dt.datetime | None = None
    have: int = 0
    need: int = 0


@dataclass(frozen=True)
class PathDecision:
    """The validator's answer for one item."""

    item_id: str
    allowed: bool
    blockers: tuple[Blocker, ...]
    earliest_open_time: dt.datetime | None
    next_eligible: tuple[PathNode, ...]
    completed: bool
    version: int
    due_time: dt.datetime | None = None


class _Evaluation:
    """Completion and opening times of every node for one learner state (memoised)."""

    def __init__(self, tree: ProgramTree, state: LearnerState, start: dt.datetime, now: dt.datetime) -> None:
        # `now` bounds what counts as done: a what-if at a past time ignores completions after it.
        self.tree, self.state, self.start, self.now = tree, state, start, now
        self._done: dict[str, dt.datetime | None] = {}
        self._open: dict[str, dt.datetime | None] = {}

    def done(self, node: PathNode) -> dt.datetime | None:
        """When the node completed (None: not complete)."""
        if node.node_id not in self._done:
            self._done[node.node_id] = self._completion(node)
        return self._done[node.node_id]

    def _completion(self, node: PathNode) -> dt.datetime | None:
        if node.kind is NodeKind.COURSE:
            course = self.state.courses.get(node.course_id)
            finished = course.complete_time if course else None
            return finished if finished is not None and finished <= self.now else None
        if node.kind is NodeKind.MILESTONE:
            before = self.earlier_work(node)
            reached = [self.done(s) for s in before]
            if any(t is None for t in reached):
                return None
            return max((t for t in reached if t is not None), default=self.open(node))
        work = self.tree.work(node.node_id)
        times = sorted(t for t in (self.done(c) for c in work) if t is not None)
        if node.rule is Rule.AT_LEAST_N:
            need = max(node.required_count, 1)
            return times[need - 1] if len(times) >= need else None
        if node.rule is Rule.MIN_POINTS:
            earned = 0
            for child, time in sorted(
                ((c, self.done(c)) for c in work if self.done(c) is not None),
                key=lambda pair: pair[1] or self.start,
            ):
                earned += child.points
                if earned >= max(node.required_points, 1):
                    return time
            return None
        if len(times) < len(work):
            return None
        return times[-1] if times else self.open(node)

    def earlier_work(self, node: PathNode) -> list[PathNode]:
        """The node's earlier siblings that count (milestones aside)."""
        siblings = self.tree.children.get(node.parent_id, ())
        index = next(i for i, s in enumerate(siblings) if s.node_id == node.node_id)
        return [s for s in siblings[:index] if s.kind is not NodeKind.MILESTONE]

    def ordered(self, node: PathNode) -> bool:
        """Whether every earlier sibling must be complete before the node (in-order set, or a milestone)."""
        parent = self.tree.by_id.get(node.parent_id)
        return node.kind is NodeKind.MILESTONE or (parent is not None and parent.rule is Rule.ALL_IN_ORDER)

    def open(self, node: PathNode) -> dt.datetime | None:
        """When the node opens given its prerequisites (None: a prerequisite is not complete)."""
        if node.node_id not in self._open:
            self._open[node.node_id] = self._opening(node)
        return self._open[node.node_id]

    def _opening(self, node: PathNode) -> dt.datetime | None:
        delay = node.start_delay or dt.timedelta()
        parent = self.tree.by_id.get(node.parent_id)
        if parent is None:
            return self.start + delay
        base = self.open(parent)
        if base is None:
            return None
        if self.ordered(node):
            earlier = self.earlier_work(node)
            if earlier:
                previous = self.done(earlier[-1])
                if previous is None or any(self.done(s) is None for s in earlier):
                    return None
                if parent.rule is Rule.ALL_IN_ORDER:
                    base = max(base, previous)
        return base + delay


def _set_counts(ev: _Evaluation, node: PathNode) -> tuple[int, int]:
    work = ev.tree.work(node.node_id)
    complete = [c for c in work if ev.done(c) is not None]
    if node.rule is Rule.MIN_POINTS:
        return sum(c.points for c in complete), max(node.required_points, 1)
    if node.rule is Rule.AT_LEAST_N:
        return len(complete), max(node.required_count, 1)
    return len(complete), len(work)


def _prerequisite(ev: _Evaluation, node: PathNode) -> Blocker:
    if node.kind is NodeKind.SET:
        have, need = _set_counts(ev, node)
        unit = "points" if node.rule is Rule.MIN_POINTS else "items"
        return Blocker(
            BlockerReason.SET_RULE_NOT_SATISFIED,
            node.node_id,
            message=f"set {node.node_id} ({node.rule or Rule.ALL_ANY_ORDER}) has {have} of {need} {unit}",
            have=have,
            need=need,
        )
    course = ev.state.courses.get(node.course_id)
    if course is not None and course.score_shortfall:
        return Blocker(
            BlockerReason.MIN_SCORE_NOT_REACHED,
            node.node_id,
            node.course_id,
            f"course {node.course_id} is done but a minimum score is not reached",
        )
    return Blocker(
        BlockerReason.UNMET_PREREQUISITE,
        node.node_id,
        node.course_id,
        f"{node.kind} {node.node_id} must be completed first",
    )


def _blockers(ev: _Evaluation, item: PathNode, now: dt.datetime) -> list[Blocker]:
    """Order and time blockers of `item` on every level from the root down."""
    found: dict[str, Blocker] = {}
    for node in ev.tree.path_to(item.node_id):
        if node.parent_id and ev.ordered(node):
            for sibling in ev.earlier_work(node):
                if ev.done(sibling) is None and sibling.node_id not in found:
                    found[sibling.node_id] = _prerequisite(ev, sibling)
        opens = ev.open(node)
        parent = ev.tree.by_id.get(node.parent_id)
        # A node opening together with its set is already explained by the set's own wait.
        if opens is not None and opens > now and (parent is None or ev.open(parent) != opens):
            found.setdefault(
                f"open:{node.node_id}",
                Blocker(
                    BlockerReason.NOT_YET_OPEN,
                    node.node_id,
                    node.course_id,
                    f"{node.kind} {node.node_id} opens at {opens.isoformat()}",
                    open_time=opens,
                ),
            )
    return list(found.values())


def _enrollment_blockers(state: LearnerState, root: PathNode, now: dt.datetime) -> list[Blocker]:
    enrollment = state.enrollment
    if enrollment is None or enrollment.status in (EnrollmentStatus.PENDING, EnrollmentStatus.WITHDRAWN):
        what = "pending approval" if enrollment and enrollment.status is EnrollmentStatus.PENDING else "none"
        return [Blocker(BlockerReason.NOT_ENROLLED, message=f"no active enrolment in the program ({what})")]
    if enrollment.status is EnrollmentStatus.EXPIRED or (
        enrollment.end_time is not None and now >= enrollment.end_time
    ):
        return [Blocker(BlockerReason.CLOSED, root.node_id, message="the enrolment has ended")]
    return []


def validate_path(
    tree: ProgramTree, item_id: str, state: LearnerState, now: dt.datetime, *, next_limit: int = 10
) -> PathDecision:
    """May the learner start `item_id` at `now`? Blockers, earliest open time, next eligible items."""
    item, root = tree.by_id.get(item_id), tree.root
    if item is None or root is None:
        raise NotFound(
            f"program {tree.program_id} version {tree.version} has no item {item_id}", reason="ITEM_NOT_FOUND"
        )
    blocked = _enrollment_blockers(state, root, now)
    if blocked or state.enrollment is None:
        return PathDecision(item_id, False, tuple(blocked), None, (), False, tree.version)
    ev = _Evaluation(tree, state, state.enrollment.start_time, now)
    blockers = _blockers(ev, item, now)
    earliest = None
    if blockers and all(b.reason is BlockerReason.NOT_YET_OPEN for b in blockers):
        earliest = max(b.open_time for b in blockers if b.open_time is not None)
        end = state.enrollment.end_time
        if end is not None and earliest >= end:  # it would open only after the enrolment has ended
            blockers.append(
                Blocker(
                    BlockerReason.CLOSED,
                    item.node_id,
                    message=f"it opens at {earliest.isoformat()}, after the enrolment ends at "
                    f"{end.isoformat()}",
                    open_time=earliest,
                )
            )
            earliest = None
    eligible: list[PathNode] = []
    for node in _in_program_order(tree, root):
        if len(eligible) >= next_limit:
            break
        if node.kind is NodeKind.COURSE and ev.done(node) is None and not _blockers(ev, node, now):
            eligible.append(node)
    due = state.enrollment.start_time + item.due_offset if item.due_offset is not None else None
    return PathDecision(
        item_id,
        not blockers,
        tuple(blockers),
        earliest,
        tuple(eligible),
        ev.done(item) is not None,
        tree.version,
        due,
    )


def _in_program_order(tree: ProgramTree, root: PathNode) -> list[PathNode]:
    """Depth-first order of the tree (siblings in order), which is the order a learner meets them."""
    order: list[PathNode] = []
    stack = [root]
    while stack:
        node = stack.pop()
        order.append(node)
        stack.extend(reversed(tree.children.get(node.node_id, ())))
    return order
