"""Program structure: a tree of courses, sets and milestones, its validation and its evaluation (pure)."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from aigym_platform.errors import FieldViolation, InvalidArgument


class NodeKind(enum.StrEnum):
    """What a node is."""

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
class Node:
    """One node; siblings keep the order in which they appear in the structure."""

    node_id: str
    kind: NodeKind
    parent_id: str = ""
    title: str = ""
    course_id: str = ""
    rule: Rule | None = None
    required_count: int = 0
    required_points: int = 0
    points: int = 0
    start_delay: dt.timedelta | None = None
    due_offset: dt.timedelta | None = None


@dataclass(frozen=True)
class Structure:
    """A validated tree (or the empty structure of a fresh draft)."""

    nodes: tuple[Node, ...] = ()

    @cached_property
    def by_id(self) -> dict[str, Node]:
        """Nodes by id."""
        return {node.node_id: node for node in self.nodes}

    @cached_property
    def children(self) -> dict[str, tuple[Node, ...]]:
        """Children of every set, in order."""
        result: dict[str, list[Node]] = {}
        for node in self.nodes:
            if node.parent_id:
                result.setdefault(node.parent_id, []).append(node)
        return {parent: tuple(nodes) for parent, nodes in result.items()}

    @property
    def root(self) -> Node | None:
        """The root set (None for an empty structure)."""
        return next((node for node in self.nodes if not node.parent_id), None)

    @property
    def course_ids(self) -> frozenset[str]:
        """Every course of the program."""
        return frozenset(node.course_id for node in self.nodes if node.kind is NodeKind.COURSE)

    def countable_children(self, node_id: str) -> tuple[Node, ...]:
        """Children that count toward a set's rule (milestones are markers, not work)."""
        return tuple(
            child for child in self.children.get(node_id, ()) if child.kind is not NodeKind.MILESTONE
        )


MAX_DEPTH = 32  # levels below the root; real programs use two to four


def validate_structure(nodes: Sequence[Node], *, field_path: str = "program.structure.nodes") -> Structure:
    """A Structure if `nodes` form a valid tree; INVALID_ARGUMENT listing every problem otherwise."""
    problems: list[FieldViolation] = []

    def bad(index: int | None, attribute: str, description: str, reason: str) -> None:
        where = field_path if index is None else f"{field_path}[{index}]"
        problems.append(FieldViolation(f"{where}.{attribute}" if attribute else where, description, reason))

    if not nodes:
        return Structure()
    index_of: dict[str, int] = {}
    for i, node in enumerate(nodes):
        if node.node_id in index_of:
            bad(i, "node_id", f"duplicate node id {node.node_id!r}", "DUPLICATE_NODE")
        else:
            index_of[node.node_id] = i
    roots = [i for i, node in enumerate(nodes) if not node.parent_id]
    if len(roots) != 1:
        bad(None, "", f"exactly one node must have no parent_id (found {len(roots)})", "ROOT_COUNT")
    elif nodes[roots[0]].kind is not NodeKind.SET:
        bad(roots[0], "kind", "the root must be a set", "ROOT_NOT_SET")
    for i, node in enumerate(nodes):
        if node.parent_id:
            parent_index = index_of.get(node.parent_id)
            if parent_index is None:
                bad(i, "parent_id", f"unknown parent {node.parent_id!r}", "UNKNOWN_PARENT")
            elif nodes[parent_index].kind is not NodeKind.SET:
                bad(i, "parent_id", f"parent {node.parent_id!r} is not a set", "PARENT_NOT_SET")
    _check_reachable(nodes, index_of, roots, bad)
    _check_contents(nodes, bad)
    if problems:
        summary = "; ".join(f"{p.field}: {p.description}" for p in problems[:5])
        raise InvalidArgument(f"invalid program structure: {summary}", violations=problems)
    return Structure(tuple(nodes))


def _check_reachable(
    nodes: Sequence[Node], index_of: Mapping[str, int], roots: Sequence[int], bad: Any
) -> None:
    """Every node must hang off the root, what doesn't is in a parent cycle; and no deeper than MAX_DEPTH
    (progress is evaluated recursively, here and by the path validator)."""
    if len(roots) != 1:
        return
    too_deep = False
    for i, node in enumerate(nodes):
        seen: set[str] = set()
        current: Node | None = node
        while current is not None and current.parent_id:
            if current.node_id in seen:
                bad(i, "parent_id", "parent references form a cycle", "CYCLE")
                break
            seen.add(current.node_id)
            parent = index_of.get(current.parent_id)
            current = nodes[parent] if parent is not None else None
        else:
            if len(seen) > MAX_DEPTH and not too_deep:
                too_deep = True
                bad(i, "parent_id", f"sets may nest at most {MAX_DEPTH} levels deep", "TOO_DEEP")


def _check_contents(nodes: Sequence[Node], bad: Any) -> None:
    children: dict[str, list[Node]] = {}
    for node in nodes:
        if node.parent_id:
            children.setdefault(node.parent_id, []).append(node)
    courses: dict[str, int] = {}
    for i, node in enumerate(nodes):
        if node.kind is NodeKind.COURSE:
            if not node.course_id:
                bad(i, "course_id", "a course node needs a course_id", "COURSE_ID_MISSING")
            elif node.course_id in courses:
                bad(i, "course_id", f"course {node.course_id!r} appears twice", "DUPLICATE_COURSE")
            else:
                courses[node.course_id] = i
        if node.kind is not NodeKind.SET and node.node_id in children:
            bad(i, "kind", f"a {node.kind.value} cannot have children", "LEAF_WITH_CHILDREN")
        if node.kind is NodeKind.MILESTONE and not node.title.strip():
            bad(i, "title", "a milestone needs a title", "MILESTONE_TITLE_MISSING")
        if node.kind is NodeKind.SET:
            work = [c for c in children.get(node.node_id, []) if c.kind is not NodeKind.MILESTONE]
            if not work:
                bad(i, "", "a set needs at least one course or set", "EMPTY_SET")
            if node.rule is None:
                bad(i, "rule", "a set needs a completion rule", "RULE_MISSING")
            elif node.rule is Rule.AT_LEAST_N and not 1 <= node.required_count <= len(work):
                bad(
                    i,
                    "required_count",
                    f"must be between 1 and the {len(work)} children",
                    "REQUIRED_COUNT_RANGE",
                )
            elif node.rule is Rule.MIN_POINTS:
                available = sum(c.points for c in work)
                if not 1 <= node.required_points <= available:
                    bad(
                        i,
                        "required_points",
                        f"must be between 1 and the children's {available} points",
                        "REQUIRED_POINTS_RANGE",
                    )


@dataclass(frozen=True)
class NodeProgress:
    """How far one node is: `fraction` in [0, 1], complete when its rule is met."""

    complete: bool
    fraction: float


@dataclass(frozen=True)
class Evaluation:
    """Every node's progress for one learner's set of completed courses."""

    nodes: dict[str, NodeProgress] = field(default_factory=dict)
    milestones_reached: frozenset[str] = frozenset()

    def of(self, node_id: str) -> NodeProgress:
        """Progress of a node."""
        return self.nodes[node_id]


def evaluate(structure: Structure, completed_courses: Iterable[str]) -> Evaluation:
    """Evaluate every set rule bottom-up, and which milestones are reached, for these completed courses."""
    root = structure.root
    if root is None:
        return Evaluation()
    done = frozenset(completed_courses)
    states: dict[str, NodeProgress] = {}

    def visit(node: Node) -> NodeProgress:
        if node.kind is NodeKind.COURSE:
            state = NodeProgress(node.course_id in done, 1.0 if node.course_id in done else 0.0)
        elif node.kind is NodeKind.MILESTONE:
            state = NodeProgress(False, 0.0)  # settled below, once its siblings are known
        else:
            work = structure.countable_children(node.node_id)
            child_states = [visit(child) for child in work]
            state = _set_progress(node, work, child_states)
            for child in structure.children.get(node.node_id, ()):
                if child.kind is NodeKind.MILESTONE:
                    visit(child)
        states[node.node_id] = state
        return state

    visit(root)
    reached = set()
    for siblings in structure.children.values():
        before_complete = True
        for sibling in siblings:
            if sibling.kind is NodeKind.MILESTONE:
                if before_complete:
                    reached.add(sibling.node_id)
                states[sibling.node_id] = NodeProgress(before_complete, 1.0 if before_complete else 0.0)
            else:
                before_complete = before_complete and states[sibling.node_id].complete
    return Evaluation(states, frozenset(reached))


def _set_progress(node: Node, work: Sequence[Node], states: Sequence[NodeProgress]) -> NodeProgress:
    if node.rule in (Rule.ALL_IN_ORDER, Rule.ALL_ANY_ORDER, None):
        complete = all(s.complete for s in states)
        return NodeProgress(complete, sum(s.fraction for s in states) / len(states) if states else 1.0)
    if node.rule is Rule.AT_LEAST_N:
        needed = max(node.required_count, 1)
        best = sorted((s.fraction for s in states), reverse=True)[:needed]
        complete = sum(s.complete for s in states) >= needed
        return NodeProgress(complete, 1.0 if complete else min(sum(best) / needed, 1.0))
    needed_points = max(node.required_points, 1)
    earned = sum(s.fraction * child.points for s, child in zip(states, work, strict=True))
    complete = sum(child.points for s, child in zip(states, work, strict=True) if s.complete) >= needed_points
    return NodeProgress(complete, 1.0 if complete else min(earned / needed_points, 1.0))


def to_json(structure: Structure) -> list[dict[str, Any]]:
    """JSON-able form for storage (durations in seconds)."""
    return [
        {
            "node_id": n.node_id,
            "kind": n.kind.value,
            "parent_id": n.parent_id,
            "title": n.title,
            "course_id": n.course_id,
            "rule": n.rule.value if n.rule else None,
            "required_count": n.required_count,
            "required_points": n.required_points,
            "points": n.points,
            "start_delay": n.start_delay.total_seconds() if n.start_delay is not None else None,
            "due_offset": n.due_offset.total_seconds() if n.due_offset is not None else None,
        }
        for n in structure.nodes
    ]


def from_json(data: Sequence[Mapping[str, Any]]) -> Structure:
    """Inverse of to_json (trusted, already validated data)."""
    return Structure(
        tuple(
            Node(
                node_id=d["node_id"],
                kind=NodeKind(d["kind"]),
                parent_id=d["parent_id"],
                title=d["title"],
                course_id=d["course_id"],
                rule=Rule(d["rule"]) if d["rule"] else None,
                required_count=d["required_count"],
                required_points=d["required_points"],
                points=d["points"],
                start_delay=dt.timedelta(seconds=d["start_delay"]) if d["start_delay"] is not None else None,
                due_offset=dt.timedelta(seconds=d["due_offset"]) if d["due_offset"] is not None else None,
            )
            for d in data
        )
    )
