"""The progress repository's hot statements, written once as SQL with bind parameters.

Each folds what used to be several round trips into one: a learner's progress read (revision, progress
row, block states, time on task) and the three steps of recording a completion (the locks; what the merge
reads under them; what it writes). Block states travel as parallel arrays, which the driver decodes
natively. Every statement names the tenant explicitly; row-level security checks it again.
"""

from __future__ import annotations

from sqlalchemy import TextClause, text

READ_PROGRESS = """
    SELECT c.current_revision, p.attempt, p.course_revision, p.state, p.percent, p.completed_blocks,
           p.total_blocks, p.completed_required_blocks, p.required_blocks, p.start_time,
           p.last_activity_time, p.complete_time, t.seconds, t.algorithm,
           b.block_ids, b.block_values, b.block_scores, b.block_times
    FROM courses AS c
    LEFT JOIN course_progress AS p
      ON p.tenant_id = c.tenant_id AND p.learner_id = $2 AND p.course_id = c.course_id
    LEFT JOIN time_on_task AS t
      ON t.tenant_id = c.tenant_id AND t.learner_id = $2 AND t.course_id = c.course_id
    CROSS JOIN LATERAL (
        SELECT array_agg(bp.block_id) AS block_ids, array_agg(bp.value) AS block_values,
               array_agg(bp.score) AS block_scores, array_agg(bp.update_time) AS block_times
        FROM block_progress AS bp
        WHERE bp.tenant_id = c.tenant_id AND bp.learner_id = $2 AND bp.course_id = c.course_id
          AND bp.attempt = COALESCE(p.attempt, 1) AND bp.archive_time IS NULL
    ) AS b
    WHERE c.tenant_id = $1 AND c.course_id = $3
    """
"""The course's current revision with one learner's progress row, the live block states of its attempt
(attempt 1 without a row) and time on task; no row for an unknown course. Driver SQL ($1 tenant, $2
learner, $3 course), run as is by direct reads and by the read unit; `repository.progress_snapshot` maps
its row."""

LOCK_LEARNER_IN_COURSE: TextClause = text(
    """
    WITH course AS MATERIALIZED (
        SELECT current_revision FROM courses
        WHERE tenant_id = :tenant AND course_id = :course_id
        FOR SHARE
    )
    SELECT course.current_revision, pg_advisory_xact_lock(hashtextextended(:key, 0))::text AS locked
    FROM course
    """
)
"""Share-lock the course row, then take the learner-in-course advisory lock (the lock order of every
writer): the materialised CTE locks the row before the outer projection takes the advisory lock. No row
(and no advisory lock) for an unknown course."""

COMPLETION_COLUMNS = (
    "completion_id",
    "request_id",
    "learner_id",
    "course_id",
    "block_id",
    "value",
    "score",
    "course_revision",
    "attempt",
    "applied",
    "block_completed",
    "course_completed",
    "create_time",
    "recorded_by",
)
"""A completion's columns: `k_<column>` results of COMPLETION_CONTEXT, `c_<column>` save parameters."""

COMPLETION_CONTEXT: TextClause = text(
    """
    SELECT p.attempt, p.course_revision, p.state, p.percent, p.completed_blocks, p.total_blocks,
           p.completed_required_blocks, p.required_blocks, p.start_time, p.last_activity_time,
           p.complete_time, b.block_ids, b.block_values, b.block_scores, b.block_times,
           k.completion_id AS k_completion_id, k.request_id AS k_request_id, k.learner_id AS k_learner_id,
           k.course_id AS k_course_id, k.block_id AS k_block_id, k.value AS k_value, k.score AS k_score,
           k.course_revision AS k_course_revision, k.attempt AS k_attempt, k.applied AS k_applied,
           k.block_completed AS k_block_completed, k.course_completed AS k_course_completed,
           k.create_time AS k_create_time, k.recorded_by AS k_recorded_by
    FROM (SELECT 1) AS one
    LEFT JOIN course_progress AS p
      ON p.tenant_id = :tenant AND p.learner_id = :learner_id AND p.course_id = :course_id
    CROSS JOIN LATERAL (
        SELECT array_agg(bp.block_id) AS block_ids, array_agg(bp.value) AS block_values,
               array_agg(bp.score) AS block_scores, array_agg(bp.update_time) AS block_times
        FROM block_progress AS bp
        WHERE bp.tenant_id = :tenant AND bp.learner_id = :learner_id AND bp.course_id = :course_id
          AND bp.attempt = COALESCE(p.attempt, 1) AND bp.archive_time IS NULL
    ) AS b
    LEFT JOIN completions AS k ON k.tenant_id = :tenant AND k.request_id = :request_id
    """
)
"""What recording a completion reads once its locks are held (a fresh snapshot): the learner's progress
row, the live block states of its attempt and the completion already recorded under the request id."""

_SAVE_BLOCK = """
    block AS (
        INSERT INTO block_progress
            (tenant_id, learner_id, course_id, attempt, block_id, value, score, update_time)
        VALUES (:tenant, :learner_id, :course_id, :attempt, :block_id, :block_value, :block_score,
                :block_time)
        ON CONFLICT (tenant_id, learner_id, course_id, attempt, block_id) DO UPDATE SET
            value = excluded.value, score = excluded.score, update_time = excluded.update_time
    ),
"""

_SAVE_PROGRESS_AND_ADD_COMPLETION = """
    progress AS (
        INSERT INTO course_progress
            (tenant_id, learner_id, course_id, attempt, course_revision, state, percent, completed_blocks,
             total_blocks, completed_required_blocks, required_blocks, start_time, last_activity_time,
             complete_time, update_time)
        VALUES (:tenant, :learner_id, :course_id, :attempt, :course_revision, :state, :percent,
                :completed_blocks, :total_blocks, :completed_required_blocks, :required_blocks,
                :start_time, :last_activity_time, :complete_time, now())
        ON CONFLICT (tenant_id, learner_id, course_id) DO UPDATE SET
            attempt = excluded.attempt, course_revision = excluded.course_revision,
            state = excluded.state, percent = excluded.percent,
            completed_blocks = excluded.completed_blocks, total_blocks = excluded.total_blocks,
            completed_required_blocks = excluded.completed_required_blocks,
            required_blocks = excluded.required_blocks, start_time = excluded.start_time,
            last_activity_time = excluded.last_activity_time, complete_time = excluded.complete_time,
            update_time = now()
    )
    INSERT INTO completions
        (tenant_id, completion_id, request_id, learner_id, course_id, block_id, value, score,
         course_revision, attempt, applied, block_completed, course_completed, create_time, recorded_by)
    VALUES (:tenant, :c_completion_id, :c_request_id, :c_learner_id, :c_course_id, :c_block_id, :c_value,
            :c_score, :c_course_revision, :c_attempt, :c_applied, :c_block_completed, :c_course_completed,
            :c_create_time, :c_recorded_by)
    ON CONFLICT (tenant_id, request_id) DO NOTHING
    RETURNING completion_id
"""

SAVE_COMPLETION: TextClause = text("WITH " + _SAVE_PROGRESS_AND_ADD_COMPLETION)
"""Replace the progress row and insert the completion (no row back: its request id was taken)."""

SAVE_COMPLETION_WITH_BLOCK: TextClause = text("WITH " + _SAVE_BLOCK + _SAVE_PROGRESS_AND_ADD_COMPLETION)
"""The same, also replacing one block state."""
