"""Program structures: every validation rule and every set rule, as pure functions."""

from __future__ import annotations

import pytest

from aigym_platform.errors import InvalidArgument
from aigym_programs.structure import (
    MAX_DEPTH,
    Node,
    NodeKind,
    Rule,
    Structure,
    evaluate,
    from_json,
    to_json,
    validate_structure,
)


def course(node_id: str, parent: str, points: int = 0) -> Node:
    return Node(node_id, NodeKind.COURSE, parent, course_id=f"course-{node_id}", points=points)


def group(node_id: str, rule: Rule, parent: str = "", **kw: int) -> Node:
    return Node(node_id, NodeKind.SET, parent, rule=rule, **kw)  # type: ignore[arg-type]


def milestone(node_id: str, parent: str) -> Node:
    return Node(node_id, NodeKind.MILESTONE, parent, title=f"{node_id} reached")


def two_set_program() -> Structure:
    """root (in order): foundations (all, any order) -> milestone -> electives (2 of 3)."""
    return validate_structure(
        [
            group("root", Rule.ALL_IN_ORDER),
            group("foundations", Rule.ALL_ANY_ORDER, "root"),
            course("f1", "foundations"),
            course("f2", "foundations"),
            milestone("foundations-done", "root"),
            group("electives", Rule.AT_LEAST_N, "root", required_count=2),
            course("e1", "electives"),
            course("e2", "electives"),
            course("e3", "electives"),
        ]
    )


def violations(nodes: list[Node]) -> dict[str, str]:
    with pytest.raises(InvalidArgument) as error:
        validate_structure(nodes)
    return {v.field: v.reason for v in error.value.violations}


def test_all_any_order_and_at_least_n_and_milestones() -> None:
    structure = two_set_program()
    progress = evaluate(structure, {"course-f1"})
    assert not progress.of("foundations").complete
    assert progress.of("foundations").fraction == 0.5
    assert progress.milestones_reached == frozenset()
    progress = evaluate(structure, {"course-f1", "course-f2", "course-e3"})
    assert progress.of("foundations").complete
    assert progress.milestones_reached == {"foundations-done"}
    assert not progress.of("electives").complete
    assert progress.of("electives").fraction == 0.5
    assert not progress.of("root").complete
    done = evaluate(structure, {"course-f1", "course-f2", "course-e1", "course-e3"})
    assert done.of("electives").complete
    assert done.of("root").complete
    assert done.of("root").fraction == 1.0


def test_min_points_counts_points_of_complete_children() -> None:
    structure = validate_structure(
        [group("root", Rule.MIN_POINTS, required_points=30), course("a", "root", 10), course("b", "root", 25)]
    )
    assert not evaluate(structure, {"course-a"}).of("root").complete
    assert evaluate(structure, {"course-a"}).of("root").fraction == pytest.approx(10 / 30)
    assert evaluate(structure, {"course-b", "course-a"}).of("root").complete


def test_all_in_order_completes_like_all_any_order() -> None:
    structure = validate_structure(
        [group("root", Rule.ALL_IN_ORDER), course("a", "root"), course("b", "root")]
    )
    assert evaluate(structure, {"course-b", "course-a"}).of("root").complete
    assert not evaluate(structure, {"course-b"}).of("root").complete


def test_json_round_trip() -> None:
    structure = two_set_program()
    assert from_json(to_json(structure)) == structure


def nested(depth: int) -> list[Node]:
    """A chain of sets `depth` levels below the root, with a course at the bottom."""
    chain = [group("s0", Rule.ALL_ANY_ORDER)]
    chain += [group(f"s{i}", Rule.ALL_ANY_ORDER, f"s{i - 1}") for i in range(1, depth + 1)]
    return [*chain, course("deep", f"s{depth}")]


def test_sets_nest_at_most_max_depth_levels_so_evaluation_never_runs_out_of_stack() -> None:
    deepest = validate_structure(nested(MAX_DEPTH - 1))  # the course sits MAX_DEPTH levels down
    assert evaluate(deepest, {"course-deep"}).of("s0").complete
    assert violations(nested(MAX_DEPTH)) == {
        f"program.structure.nodes[{MAX_DEPTH + 1}].parent_id": "TOO_DEEP"  # reported once
    }
    assert violations(nested(1500)) == {f"program.structure.nodes[{MAX_DEPTH + 1}].parent_id": "TOO_DEEP"}


def test_rejects_cycles_unknown_parents_and_bad_roots() -> None:
    assert violations(
        [
            group("root", Rule.ALL_ANY_ORDER),
            course("a", "root"),
            group("x", Rule.ALL_ANY_ORDER, "y"),
            group("y", Rule.ALL_ANY_ORDER, "x"),
            course("c", "x"),
        ]
    ) == {
        "program.structure.nodes[2].parent_id": "CYCLE",
        "program.structure.nodes[3].parent_id": "CYCLE",
        "program.structure.nodes[4].parent_id": "CYCLE",
    }
    assert (
        violations([group("root", Rule.ALL_ANY_ORDER), course("a", "nowhere")])[
            "program.structure.nodes[1].parent_id"
        ]
        == "UNKNOWN_PARENT"
    )
    assert violations([course("a", "")])["program.structure.nodes[0].kind"] == "ROOT_NOT_SET"
    assert (
        violations([group("r1", Rule.ALL_ANY_ORDER), group("r2", Rule.ALL_ANY_ORDER)])[
            "program.structure.nodes"
        ]
        == "ROOT_COUNT"
    )


def test_rejects_bad_set_contents() -> None:
    assert (
        violations(
            [group("root", Rule.AT_LEAST_N, required_count=3), course("a", "root"), course("b", "root")]
        )["program.structure.nodes[0].required_count"]
        == "REQUIRED_COUNT_RANGE"
    )
    assert (
        violations([group("root", Rule.MIN_POINTS, required_points=50), course("a", "root", 10)])[
            "program.structure.nodes[0].required_points"
        ]
        == "REQUIRED_POINTS_RANGE"
    )
    assert (
        violations(
            [
                group("root", Rule.ALL_ANY_ORDER),
                group("empty", Rule.ALL_ANY_ORDER, "root"),
                milestone("m", "empty"),
                course("a", "root"),
            ]
        )["program.structure.nodes[1]"]
        == "EMPTY_SET"
    )
    found = violations(
        [
            group("root", Rule.ALL_ANY_ORDER),
            course("a", "root"),
            Node("dup", NodeKind.COURSE, "root", course_id="course-a"),
            course("a", "root"),
        ]
    )
    assert found["program.structure.nodes[2].course_id"] == "DUPLICATE_COURSE"
    assert found["program.structure.nodes[3].node_id"] == "DUPLICATE_NODE"
    assert violations([Node("root", NodeKind.SET), course("a", "root")])[
        "program.structure.nodes[0].rule"
    ] == ("RULE_MISSING")
    assert (
        violations([group("root", Rule.ALL_ANY_ORDER), course("a", "root"), course("b", "a")])[
            "program.structure.nodes[2].parent_id"
        ]
        == "PARENT_NOT_SET"
    )


def test_empty_structure_is_a_valid_draft() -> None:
    assert validate_structure([]) == Structure()
    assert evaluate(Structure(), {"x"}).nodes == {}
