"""Pure rules of course structures: ordered, weighted blocks, their validation and storage form (no I/O)."""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aigym_platform.errors import Aborted, FieldViolation, InvalidArgument

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")
MAX_BLOCKS = 500
MAX_WEIGHT = 1_000_000.0


class BlockType(enum.StrEnum):
    """What kind of content a block is (informational: every type completes the same way)."""

    VIDEO = "video"
    READING = "reading"
    QUIZ = "quiz"
    ASSIGNMENT = "assignment"
    INTERACTIVE = "interactive"
    LIVE_SESSION = "live_session"
    OTHER = "other"


@dataclass(frozen=True)
class Block:
    """One block of a course: its share of the course (weight) and what completing it takes."""

    block_id: str
    type: BlockType
    weight: float
    required: bool = False
    min_score: float | None = None

    def is_completed(self, state: BlockState | None) -> bool:
        """Value 1 and, when the block sets a minimum score, a best score reaching it."""
        if state is None or state.value < 1.0:
            return False
        if self.min_score is None:
            return True
        return state.score is not None and state.score >= self.min_score


@dataclass(frozen=True)
class CourseStructure:
    """One revision of a course's ordered blocks."""

    course_id: str
    revision: int
    blocks: tuple[Block, ...]
    create_time: dt.datetime
    created_by: str

    @property
    def etag(self) -> str:
        """Opaque concurrency token of the revision (AIP-154)."""
        return f'W/"{self.revision}"'

    @property
    def digest(self) -> str:
        """Digest of the blocks: an update with the same blocks creates no new revision."""
        return blocks_digest(self.blocks)

    def block(self, block_id: str) -> Block | None:
        """The block with this id in this revision, or None."""
        return next((b for b in self.blocks if b.block_id == block_id), None)

    def check_etag(self, etag: str) -> None:
        """ABORTED when a supplied etag names another revision (lost-update protection)."""
        if etag and etag != self.etag:
            raise Aborted(
                "the course structure changed since it was read; re-read it and retry", reason="ETAG_MISMATCH"
            )


def blocks_to_json(blocks: Sequence[Block]) -> list[dict[str, object]]:
    """Blocks as stored (JSONB) and digested."""
    return [
        {
            "block_id": b.block_id,
            "type": b.type.value,
            "weight": b.weight,
            "required": b.required,
            "min_score": b.min_score,
        }
        for b in blocks
    ]


def blocks_from_json(items: Sequence[Mapping[str, object]]) -> tuple[Block, ...]:
    """Blocks from their stored form."""
    return tuple(
        Block(
            block_id=str(item["block_id"]),
            type=BlockType(str(item["type"])),
            weight=float(item["weight"]),  # type: ignore[arg-type]
            required=bool(item["required"]),
            min_score=None if item.get("min_score") is None else float(item["min_score"]),  # type: ignore[arg-type]
        )
        for item in items
    )


def blocks_digest(blocks: Sequence[Block]) -> str:
    """SHA-256 of the canonical JSON of the blocks."""
    canonical = json.dumps(blocks_to_json(blocks), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def in_unit_interval(value: float) -> bool:
    return math.isfinite(value) and 0.0 <= value <= 1.0


def validate_blocks(blocks: Sequence[Block], *, path: str = "structure.blocks") -> tuple[Block, ...]:
    """The blocks if they form a valid structure; INVALID_ARGUMENT listing every problem otherwise."""
    problems: list[FieldViolation] = []
    if not blocks:
        problems.append(FieldViolation(path, "a course needs at least one block", "STRUCTURE_EMPTY"))
    if len(blocks) > MAX_BLOCKS:
        problems.append(FieldViolation(path, f"at most {MAX_BLOCKS} blocks", "STRUCTURE_TOO_LARGE"))
    seen: set[str] = set()
    for i, block in enumerate(blocks):
        where = f"{path}[{i}]"
        if not ID_PATTERN.match(block.block_id):
            problems.append(
                FieldViolation(
                    f"{where}.block_id", "must match ^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$", "INVALID_ID"
                )
            )
        elif block.block_id in seen:
            problems.append(
                FieldViolation(f"{where}.block_id", f"duplicate block id {block.block_id}", "DUPLICATE_BLOCK")
            )
        seen.add(block.block_id)
        if not (math.isfinite(block.weight) and 0.0 < block.weight <= MAX_WEIGHT):
            problems.append(
                FieldViolation(f"{where}.weight", f"must be > 0 and <= {MAX_WEIGHT:g}", "INVALID_WEIGHT")
            )
        if block.min_score is not None and not in_unit_interval(block.min_score):
            problems.append(FieldViolation(f"{where}.min_score", "must be between 0 and 1", "INVALID_SCORE"))
    if blocks and not any(b.required for b in blocks):
        problems.append(
            FieldViolation(path, "at least one block must be required", "STRUCTURE_WITHOUT_REQUIRED_BLOCK")
        )
    if problems:
        summary = "; ".join(f"{p.field}: {p.description}" for p in problems[:5])
        raise InvalidArgument(f"invalid course structure: {summary}", violations=problems)
    return tuple(blocks)


@dataclass(frozen=True)
class BlockState:
    """A learner's best recorded value and score in one block of the current attempt."""

    block_id: str
    value: float
    score: float | None
    update_time: dt.datetime
