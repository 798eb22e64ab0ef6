"""Pure rules: structure validation, forward-only merge, percent by weight, course completion, ordering."""

from __future__ import annotations

import datetime as dt

import pytest

from aigym_platform.errors import InvalidArgument
from aigym_progress.domain import (
    CompletionInput,
    CourseProgress,
    Ordering,
    ProgressState,
    RosterOrder,
    advance,
    evaluate,
    parse_order_by,
    summarise,
    validate_completion,
)
from aigym_progress.structure import (
    Block,
    BlockState,
    BlockType,
    CourseStructure,
    blocks_digest,
    validate_blocks,
)

T0 = dt.datetime(2026, 11, 1, 9, tzinfo=dt.UTC)


def structure(*blocks: Block, revision: int = 1) -> CourseStructure:
    return CourseStructure("course-1", revision, tuple(blocks), T0, "admin")


VIDEO = Block("intro", BlockType.VIDEO, 1.0, required=True)
QUIZ = Block("quiz", BlockType.QUIZ, 3.0, required=True, min_score=0.8)
EXTRA = Block("extra", BlockType.READING, 1.0)


def violations(error: pytest.ExceptionInfo[InvalidArgument]) -> dict[str, str]:
    return {v.field: v.reason for v in error.value.violations}


def test_rejects_malformed_structures_with_one_violation_per_problem() -> None:
    with pytest.raises(InvalidArgument) as error:
        validate_blocks(
            [
                Block("a", BlockType.VIDEO, 0.0),
                Block("a", BlockType.VIDEO, 1.0),
                Block("bad id!", BlockType.QUIZ, float("nan"), min_score=1.5),
            ]
        )
    assert violations(error) == {
        "structure.blocks[0].weight": "INVALID_WEIGHT",
        "structure.blocks[1].block_id": "DUPLICATE_BLOCK",
        "structure.blocks[2].block_id": "INVALID_ID",
        "structure.blocks[2].weight": "INVALID_WEIGHT",
        "structure.blocks[2].min_score": "INVALID_SCORE",
        "structure.blocks": "STRUCTURE_WITHOUT_REQUIRED_BLOCK",
    }
    with pytest.raises(InvalidArgument) as empty:
        validate_blocks([])
    assert violations(empty) == {"structure.blocks": "STRUCTURE_EMPTY"}


def test_digest_changes_with_order_and_content_only() -> None:
    assert blocks_digest([VIDEO, QUIZ]) == blocks_digest([VIDEO, QUIZ])
    assert blocks_digest([VIDEO, QUIZ]) != blocks_digest([QUIZ, VIDEO])
    assert blocks_digest([VIDEO]) != blocks_digest([Block("intro", BlockType.VIDEO, 2.0, required=True)])


def test_completion_only_moves_forward() -> None:
    first, moved = advance(None, "quiz", 0.5, None, T0)
    assert (first.value, first.score, moved) == (0.5, None, True)
    lower, moved = advance(first, "quiz", 0.2, None, T0 + dt.timedelta(1))
    assert lower is first
    assert not moved
    scored, moved = advance(first, "quiz", 0.4, 0.6, T0 + dt.timedelta(2))
    assert (scored.value, scored.score, moved) == (0.5, 0.6, True)
    worse, moved = advance(scored, "quiz", 1.0, 0.3, T0 + dt.timedelta(3))
    assert (worse.value, worse.score, moved) == (1.0, 0.6, True)
    opened, moved = advance(None, "intro", 0.0, None, T0)
    assert (opened.value, moved) == (0.0, False)


def test_block_completion_needs_full_value_and_the_minimum_score() -> None:
    assert not QUIZ.is_completed(BlockState("quiz", 1.0, 0.79, T0))
    assert not QUIZ.is_completed(BlockState("quiz", 1.0, None, T0))
    assert not QUIZ.is_completed(BlockState("quiz", 0.99, 1.0, T0))
    assert QUIZ.is_completed(BlockState("quiz", 1.0, 0.8, T0))
    assert VIDEO.is_completed(BlockState("intro", 1.0, None, T0))


def test_percent_is_by_weight_and_ignores_blocks_outside_the_revision() -> None:
    course = structure(VIDEO, QUIZ, EXTRA)
    states = {
        "intro": BlockState("intro", 1.0, None, T0),
        "quiz": BlockState("quiz", 0.5, None, T0),
        "gone": BlockState("gone", 1.0, None, T0),
    }
    summary = summarise(course, states)
    assert summary.percent == pytest.approx(100 * (1.0 + 1.5) / 5.0)
    assert (summary.completed_blocks, summary.total_blocks) == (1, 3)
    assert (summary.completed_required_blocks, summary.required_blocks) == (1, 2)
    assert not summary.requirements_met


def test_course_completes_once_required_blocks_are_done_and_stays_completed() -> None:
    course = structure(VIDEO, QUIZ, EXTRA)
    start = CourseProgress.fresh("l-1", "course-1", course)
    assert (start.state, start.percent, start.required_blocks) == (ProgressState.NOT_STARTED, 0.0, 2)
    states = {"intro": BlockState("intro", 1.0, None, T0)}
    going = evaluate(start, course, states, T0, activity=True)
    assert (going.state, going.start_time, going.complete_time) == (ProgressState.IN_PROGRESS, T0, None)
    states["quiz"] = BlockState("quiz", 1.0, 0.9, T0)
    later = T0 + dt.timedelta(hours=1)
    done = evaluate(going, course, states, later, activity=True)
    assert (done.state, done.complete_time, done.start_time) == (ProgressState.COMPLETED, later, T0)
    assert done.percent == pytest.approx(80.0)  # the optional block is not needed
    revised = structure(VIDEO, QUIZ, Block("new", BlockType.QUIZ, 5.0, required=True), revision=2)
    after = evaluate(done, revised, states, later + dt.timedelta(days=1))
    assert (after.state, after.complete_time, after.course_revision) == (ProgressState.COMPLETED, later, 2)
    assert after.last_activity_time == later  # a recompute is not learner activity


def test_validate_completion_names_each_bad_field() -> None:
    validate_completion(CompletionInput("me", "c-1", "b.1:x", 1.0, 0.0, "req-1"))
    with pytest.raises(InvalidArgument) as error:
        validate_completion(
            CompletionInput("", "c 1", "", 1.5, float("inf"), "x" * 65), path="completions[2]"
        )
    assert set(violations(error)) == {
        "completions[2].learner_id",
        "completions[2].course_id",
        "completions[2].block_id",
        "completions[2].value",
        "completions[2].score",
        "completions[2].request_id",
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Ordering()),
        ("percent", Ordering(RosterOrder.PERCENT)),
        ("percent desc", Ordering(RosterOrder.PERCENT, descending=True)),
        ("last_activity_time DESC", Ordering(RosterOrder.LAST_ACTIVITY, descending=True)),
        ("learner_id asc", Ordering(RosterOrder.LEARNER)),
        ("percent+desc", Ordering(RosterOrder.PERCENT, descending=True)),
    ],
)
def test_parses_roster_order(text: str, expected: Ordering) -> None:
    assert parse_order_by(text) == expected


@pytest.mark.parametrize("text", ["score", "percent down", "percent desc extra"])
def test_rejects_unknown_roster_order(text: str) -> None:
    with pytest.raises(InvalidArgument) as error:
        parse_order_by(text)
    assert list(violations(error)) == ["order_by"]
