"""Program performance without touching every learner-course pair: program starts (who worked on a course
of a program) and stall buckets (learners of active enrolments per program, course and UTC day of their
last activity in a course they have not completed), both kept by triggers

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27

Stall points and the funnel's "started" step used to join every active enrolment of a program with the
learner's courses (~24,000 pairs per program at 10 M facts: 0.3 s). The buckets hold at most one row per
(program, course, day), so the stall points read a few thousand rows; the funnel probes one primary key
per enrolment instead of the learner's courses.

What the triggers keep, exactly, for every writer (ingestion, the consistency repair, bulk loads):

- `program_starts(program, learner)`: the learner has a `learner_courses` row for a course of the program's
  current course list. Added when such a learner-course row appears, removed when the last one is deleted,
  and rebuilt for a program when its course list changes.
- `stall_buckets(program, course, last_day).learners`: distinct learners with at least one active
  enrolment in the program whose `learner_courses` row for that course of the program is not completed and
  was last active on `last_day` (UTC). Changed when a learner-course row is inserted, deleted, completed,
  reset or moves to a later day (the row-level trigger's WHEN skips every other update, so block activity
  on a day already counted costs nothing); when a (learner, program) gains its first or loses its last
  active enrolment; and rebuilt for a program when its course list changes.

The triggers never lock a row of the table they watch, only the counters they write (upserted in key
order) after advisory locks (see LOCK_LEARNERS), so writers cannot deadlock on each other through them.
The consistency check recomputes both and repairs any difference. Existing rows are filled here, with
forced row-level security lifted for the owner inside this migration's transaction only.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from aigym_platform.migration_ops import enable_tenant_rls, fill_across_tenants, grant_app

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# (tenant_id, program_id, course_id) for every course of every program's current course list.
PROGRAM_COURSES = "(SELECT tenant_id, program_id, unnest(course_ids) AS course_id FROM programs)"
UTC_DAY = "(({t}.last_activity_time AT TIME ZONE 'UTC')::date)"

# Adds `deltas` (tenant_id, learner_id, course_id, last_day, d) of learner-course rows to the buckets of
# every program of the course in which the learner has an active enrolment.
LEARNER_COURSE_DELTAS = f"""
INSERT INTO stall_buckets AS b (tenant_id, program_id, course_id, last_day, learners)
SELECT x.tenant_id, pc.program_id, x.course_id, x.last_day, sum(x.d)
FROM ({{deltas}}) AS x
JOIN {PROGRAM_COURSES} AS pc ON pc.tenant_id = x.tenant_id AND pc.course_id = x.course_id
WHERE EXISTS (SELECT 1 FROM enrollments e WHERE e.tenant_id = x.tenant_id AND e.learner_id = x.learner_id
                AND e.program_id = pc.program_id AND e.state = 'active')
GROUP BY 1, 2, 3, 4 HAVING sum(x.d) <> 0 ORDER BY 1, 2, 3, 4
ON CONFLICT (tenant_id, program_id, course_id, last_day)
  DO UPDATE SET learners = b.learners + excluded.learners
"""  # noqa: S608 - constant fragments

# The learners of new learner-course rows have started every program whose course list has the course.
START_PROGRAMS = f"""
INSERT INTO program_starts (tenant_id, program_id, learner_id)
SELECT DISTINCT n.tenant_id, pc.program_id, n.learner_id FROM new_rows n
JOIN {PROGRAM_COURSES} AS pc ON pc.tenant_id = n.tenant_id AND pc.course_id = n.course_id
ORDER BY 1, 2, 3
ON CONFLICT DO NOTHING
"""  # noqa: S608

# A program started only through deleted learner-course rows is no longer started.
UNSTART_PROGRAMS = """
DELETE FROM program_starts ps USING (SELECT DISTINCT tenant_id, learner_id FROM old_rows) AS o
WHERE ps.tenant_id = o.tenant_id AND ps.learner_id = o.learner_id AND NOT EXISTS (
    SELECT 1 FROM programs p JOIN learner_courses lc
      ON lc.tenant_id = p.tenant_id AND lc.course_id = ANY(p.course_ids)
    WHERE p.tenant_id = ps.tenant_id AND p.program_id = ps.program_id AND lc.learner_id = ps.learner_id)
"""

# (tenant, learner, program) whose count of active enrolments went from 0 to more (d = 1) or back (d = -1)
# in this statement; `changes` are (tenant_id, learner_id, program_id, d) per changed row.
MEMBERSHIP_FLIPS = """
SELECT t.tenant_id, t.learner_id, t.program_id,
       CASE WHEN active_now.n > 0 THEN 1 ELSE -1 END AS d
FROM (SELECT tenant_id, learner_id, program_id, sum(d) AS change FROM ({changes}) AS c
      GROUP BY 1, 2, 3 HAVING sum(d) <> 0) AS t
CROSS JOIN LATERAL (SELECT count(*) AS n FROM enrollments e
                    WHERE e.tenant_id = t.tenant_id AND e.learner_id = t.learner_id
                      AND e.program_id = t.program_id AND e.state = 'active') AS active_now
WHERE (active_now.n > 0) <> (active_now.n - t.change > 0)
"""

MEMBERSHIP_DELTAS = f"""
INSERT INTO stall_buckets AS b (tenant_id, program_id, course_id, last_day, learners)
SELECT f.tenant_id, f.program_id, lc.course_id, {UTC_DAY.format(t="lc")}, sum(f.d)
FROM ({MEMBERSHIP_FLIPS}) AS f
JOIN programs p ON p.tenant_id = f.tenant_id AND p.program_id = f.program_id
JOIN learner_courses lc ON lc.tenant_id = f.tenant_id AND lc.learner_id = f.learner_id
  AND lc.course_id = ANY(p.course_ids) AND NOT lc.completed
GROUP BY 1, 2, 3, 4 HAVING sum(f.d) <> 0 ORDER BY 1, 2, 3, 4
ON CONFLICT (tenant_id, program_id, course_id, last_day)
  DO UPDATE SET learners = b.learners + excluded.learners
"""  # noqa: S608

ACTIVE_CHANGES = {
    "insert": "SELECT tenant_id, learner_id, program_id, 1 AS d FROM new_rows WHERE state = 'active'",
    "delete": "SELECT tenant_id, learner_id, program_id, -1 AS d FROM old_rows WHERE state = 'active'",
    "update": "SELECT tenant_id, learner_id, program_id, 1 AS d FROM new_rows WHERE state = 'active'"
    " UNION ALL SELECT tenant_id, learner_id, program_id, -1 FROM old_rows WHERE state = 'active'",
}
REFERENCING = {
    "insert": "REFERENCING NEW TABLE AS new_rows",
    "delete": "REFERENCING OLD TABLE AS old_rows",
    "update": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
}

# The buckets of the programs in `programs` (tenant_id, program_id) from scratch.
# (tenant_id, program_id, course_id) of the courses of the programs in `programs` (tenant_id, program_id).
COURSES_OF = """(SELECT p.tenant_id, p.program_id, unnest(p.course_ids) AS course_id FROM programs p
      JOIN ({programs}) AS chosen ON chosen.tenant_id = p.tenant_id AND chosen.program_id = p.program_id)"""

# The buckets of the programs in `programs` from scratch: each program course's learner-course rows (by the
# course index), kept if the learner has an active enrolment in the program.
BUCKETS_OF = f"""
INSERT INTO stall_buckets (tenant_id, program_id, course_id, last_day, learners)
SELECT pc.tenant_id, pc.program_id, lc.course_id, {UTC_DAY.format(t="lc")}, count(*)
FROM {COURSES_OF} AS pc
JOIN learner_courses lc ON lc.tenant_id = pc.tenant_id AND lc.course_id = pc.course_id AND NOT lc.completed
JOIN (SELECT DISTINCT e.tenant_id, e.program_id, e.learner_id FROM enrollments e
      JOIN ({{programs}}) AS chosen ON chosen.tenant_id = e.tenant_id AND chosen.program_id = e.program_id
      WHERE e.state = 'active') AS m
  ON m.tenant_id = pc.tenant_id AND m.program_id = pc.program_id AND m.learner_id = lc.learner_id
GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
"""  # noqa: S608

# The program starts of the programs in `programs` from scratch.
STARTS_OF = f"""
INSERT INTO program_starts (tenant_id, program_id, learner_id)
SELECT DISTINCT pc.tenant_id, pc.program_id, lc.learner_id FROM {COURSES_OF} AS pc
JOIN learner_courses lc ON lc.tenant_id = pc.tenant_id AND lc.course_id = pc.course_id
ORDER BY 1, 2, 3
"""  # noqa: S608

CHANGED_PROGRAMS = {
    "insert": "SELECT tenant_id, program_id FROM new_rows",
    "update": "SELECT n.tenant_id, n.program_id FROM new_rows n JOIN old_rows o USING (tenant_id, program_id)"
    " WHERE n.course_ids IS DISTINCT FROM o.course_ids",
}

# Locks make the triggers exact under concurrent writers. Changes of one learner's rows are serialised (a
# transaction-scoped lock on a hash of the learner: 1,024 keys at most, so a bulk statement cannot exhaust
# the lock table; taken in key order), and every learner change holds its tenant's key shared while a
# course-list change holds it exclusively. Statements after a lock see what the transactions it waited for
# committed, so rows of one learner (or a new course list) arriving together are counted once, by
# whichever transaction commits second.
LOCK_LEARNERS = """
PERFORM pg_advisory_xact_lock_shared(hashtext('aigym.analytics.stall-tenant'), hashtext(t))
FROM (SELECT DISTINCT tenant_id::text AS t FROM ({rows}) AS r ORDER BY 1) AS keys;
PERFORM pg_advisory_xact_lock(hashtext('aigym.analytics.stall'), k)
FROM (SELECT DISTINCT abs(hashtext(tenant_id::text || '/' || learner_id) % 1024) AS k FROM ({rows}) AS r
      ORDER BY 1) AS keys
"""
LOCK_TENANTS = """
PERFORM pg_advisory_xact_lock(hashtext('aigym.analytics.stall-tenant'), hashtext(t))
FROM (SELECT DISTINCT tenant_id::text AS t FROM ({rows}) AS r ORDER BY 1) AS keys
"""


def when_changed(rows: str, *statements: str) -> str:
    """A trigger body: if `rows` is not empty, lock their learners, then run `statements`."""
    lock = LOCK_LEARNERS.format(rows=rows)
    steps = "".join(f"  {statement.strip()};\n" for statement in (lock, *statements))
    return f"IF EXISTS ({rows}) THEN\n{steps}END IF"


def learner_course_deltas(rows: str, d: int) -> str:
    """The (tenant, learner, course, last day, d) of the not completed learner-course rows of `rows`."""
    return (
        f"SELECT tenant_id, learner_id, course_id, {UTC_DAY.format(t=rows)} AS last_day, {d} AS d"  # noqa: S608
        f" FROM {rows} WHERE NOT completed"
    )


ROW_UPDATE_DELTAS = (
    f"SELECT OLD.tenant_id, OLD.learner_id, OLD.course_id, {UTC_DAY.format(t='OLD')} AS last_day, -1 AS d"
    " WHERE NOT OLD.completed"
    f" UNION ALL SELECT NEW.tenant_id, NEW.learner_id, NEW.course_id, {UTC_DAY.format(t='NEW')}, 1"
    " WHERE NOT NEW.completed"
)

FUNCTIONS = {
    # learner-course rows
    "stall_on_learner_course_insert": when_changed(
        "SELECT tenant_id, learner_id FROM new_rows",
        LEARNER_COURSE_DELTAS.format(deltas=learner_course_deltas("new_rows", 1)),
        START_PROGRAMS,
    ),
    "stall_on_learner_course_delete": when_changed(
        "SELECT tenant_id, learner_id FROM old_rows",
        LEARNER_COURSE_DELTAS.format(deltas=learner_course_deltas("old_rows", -1)),
        UNSTART_PROGRAMS,
    ),
    "stall_on_learner_course_update": when_changed(
        "SELECT NEW.tenant_id, NEW.learner_id", LEARNER_COURSE_DELTAS.format(deltas=ROW_UPDATE_DELTAS)
    ),
    # enrolments
    **{
        f"stall_on_enrollment_{operation}": when_changed(changes, MEMBERSHIP_DELTAS.format(changes=changes))
        for operation, changes in ACTIVE_CHANGES.items()
    },
    # programs
    **{
        f"stall_on_program_{operation}": (
            f"IF EXISTS ({changed}) THEN\n  {LOCK_TENANTS.format(rows=changed).strip()};\n"  # noqa: S608
            + "".join(
                f"  DELETE FROM {table} t USING ({changed}) AS c"  # noqa: S608
                " WHERE t.tenant_id = c.tenant_id AND t.program_id = c.program_id;\n"
                for table in ("stall_buckets", "program_starts")
            )
            + f"  {BUCKETS_OF.format(programs=changed).strip()};\n"
            f"  {STARTS_OF.format(programs=changed).strip()};\n"
            "END IF"
        )
        for operation, changed in CHANGED_PROGRAMS.items()
    },
}

TRIGGERS = (
    # (function, timing and event, table, referencing, level and condition)
    ("stall_on_learner_course_insert", "AFTER INSERT", "learner_courses", REFERENCING["insert"], "STATEMENT"),
    ("stall_on_learner_course_delete", "AFTER DELETE", "learner_courses", REFERENCING["delete"], "STATEMENT"),
    (
        "stall_on_learner_course_update",
        "AFTER UPDATE",
        "learner_courses",
        "",
        "ROW WHEN (OLD.completed IS DISTINCT FROM NEW.completed"
        " OR (OLD.last_activity_time AT TIME ZONE 'UTC')::date"
        " IS DISTINCT FROM (NEW.last_activity_time AT TIME ZONE 'UTC')::date)",
    ),
    ("stall_on_enrollment_insert", "AFTER INSERT", "enrollments", REFERENCING["insert"], "STATEMENT"),
    ("stall_on_enrollment_delete", "AFTER DELETE", "enrollments", REFERENCING["delete"], "STATEMENT"),
    ("stall_on_enrollment_update", "AFTER UPDATE", "enrollments", REFERENCING["update"], "STATEMENT"),
    ("stall_on_program_insert", "AFTER INSERT", "programs", REFERENCING["insert"], "STATEMENT"),
    ("stall_on_program_update", "AFTER UPDATE", "programs", REFERENCING["update"], "STATEMENT"),
)


def upgrade() -> None:
    op.create_table(
        "program_starts",
        sa.Column("tenant_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("program_id", sa.String(128), nullable=False),
        sa.Column("learner_id", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "program_id", "learner_id", name="pk_program_starts"),
    )
    op.create_table(
        "stall_buckets",
        sa.Column("tenant_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("program_id", sa.String(128), nullable=False),
        sa.Column("course_id", sa.String(128), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("learners", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "program_id", "course_id", "last_day", name="pk_stall_buckets"),
    )
    for table in ("stall_buckets", "program_starts"):
        enable_tenant_rls(table)
        grant_app(table)
    for function, body in FUNCTIONS.items():
        op.execute(
            f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n{body};\n"
            "RETURN NULL;\nEND\n$$"
        )
    for function, event, table, referencing, level in TRIGGERS:
        op.execute(
            f"CREATE TRIGGER {function} {event} ON {table} {referencing} FOR EACH {level}"
            f" EXECUTE FUNCTION {function}()"
        )
    # The funnel scans a program's enrolments by enrolment time, overdue counts the open ones by due time, and
    # the program series counts distinct learners of the program facts: all three from the index alone.
    op.execute(
        "CREATE INDEX ix_enrollments_program_enrolled ON enrollments (tenant_id, program_id, enroll_time)"
        " INCLUDE (state, learner_id, complete_time, milestones)"
    )
    op.execute(
        "CREATE INDEX ix_enrollments_program_due ON enrollments (tenant_id, program_id, due_time)"
        " INCLUDE (learner_id) WHERE state IN ('active', 'pending_approval')"
    )
    op.execute(
        "CREATE INDEX ix_facts_program_learners ON facts (tenant_id, program_id, occur_time)"
        " INCLUDE (learner_id) WHERE program_id <> ''"
    )
    op.execute("DROP INDEX ix_facts_program")
    every_program = "SELECT tenant_id, program_id FROM programs"
    sources = ("enrollments", "programs", "learner_courses")
    fill_across_tenants(BUCKETS_OF.format(programs=every_program), "stall_buckets", *sources)
    fill_across_tenants(STARTS_OF.format(programs=every_program), "program_starts", *sources)


def downgrade() -> None:
    op.execute(
        "CREATE INDEX ix_facts_program ON facts (tenant_id, program_id, occur_time) WHERE program_id <> ''"
    )
    for index in ("facts_program_learners", "enrollments_program_due", "enrollments_program_enrolled"):
        op.execute(f"DROP INDEX ix_{index}")
    for function, _, table, _, _ in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {function} ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {function}()")
    op.drop_table("program_starts")
    op.drop_table("stall_buckets")
