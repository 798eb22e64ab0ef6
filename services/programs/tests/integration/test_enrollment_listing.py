"""Every filter shape of the enrolment list query against PostgreSQL, checked against a plain Python filter
(through a read unit's session and as direct reads).

The list statement is built once per filter shape with bind parameters; this walks every shape (and
keyset paging through it) so a wrong clause or a parameter bound to the wrong shape shows up.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import uuid
from collections.abc import AsyncIterator

import pytest

from aigym_platform.db import UnitOfWorkFactory, create_engine, create_sessionmaker, uow_factory
from aigym_platform.direct_reads import DirectReader
from aigym_platform.identity import TenantId
from aigym_platform.provisioning import ServiceDatabase
from aigym_programs.domain import Program, ProgramDraft, ProgramState
from aigym_programs.enrollment import Enrollment, EnrollmentDates, EnrollmentSource, EnrollmentState
from aigym_programs.enrollment_repository import EnrollmentFilter, SqlEnrollmentRepository
from aigym_programs.hot_reads import EnrollmentHotReads
from aigym_programs.repository import SqlProgramRepository

NOW = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
PROGRAMS = [uuid.uuid4(), uuid.uuid4()]
LEARNERS = ["ana", "ben", "cleo", "dev", "eli", "fay", "gus", "hal", "ivy", "jon"]


@pytest.fixture
async def make_uow(programs_db: ServiceDatabase) -> AsyncIterator[UnitOfWorkFactory]:
    engine = create_engine(programs_db.app_url, pool_size=2, max_overflow=0)
    yield uow_factory(create_sessionmaker(engine))
    await engine.dispose()


def _enrollments(rng: random.Random) -> list[Enrollment]:
    rows = []
    open_pairs: set[tuple[uuid.UUID, str]] = set()
    for i in range(60):
        start = NOW - rng.randint(1, 90) * DAY
        program_id, learner_id = rng.choice(PROGRAMS), rng.choice(LEARNERS)
        state = rng.choice([EnrollmentState.ACTIVE, EnrollmentState.COMPLETED, EnrollmentState.WITHDRAWN])
        if state is EnrollmentState.ACTIVE:
            if (program_id, learner_id) in open_pairs:  # one open enrolment per learner and program
                state = EnrollmentState.COMPLETED
            open_pairs.add((program_id, learner_id))
        rows.append(
            Enrollment(
                enrollment_id=uuid.uuid4(),
                program_id=program_id,
                learner_id=learner_id,
                state=state,
                program_version=1,
                dates=EnrollmentDates(
                    start,
                    rng.choice([None, NOW - 3 * DAY, NOW + 3 * DAY]),
                    rng.choice([None, None, NOW - DAY, NOW, NOW + 10 * DAY]),
                ),
                source=EnrollmentSource.ADMIN,
                # Two rows share each creation time, so the id breaks ties in the keyset.
                create_time=NOW - (i // 2) * dt.timedelta(minutes=1),
                progress=rng.choice([0.0, 0.25, 0.5, 0.75, 1.0]),
            )
        )
    return rows


def _expected(rows: list[Enrollment], f: EnrollmentFilter) -> list[uuid.UUID]:
    def keep(e: Enrollment) -> bool:
        active = e.state is EnrollmentState.ACTIVE
        not_ended = e.dates.end is None or e.dates.end > NOW
        return (
            (f.program_id is None or e.program_id == f.program_id)
            and (f.learner_id is None or e.learner_id == f.learner_id)
            and (
                f.state is None
                or (
                    f.state is EnrollmentState.EXPIRED
                    and active
                    and e.dates.end is not None
                    and not not_ended
                )
                or (f.state is EnrollmentState.ACTIVE and active and not_ended)
                or (f.state not in (EnrollmentState.EXPIRED, EnrollmentState.ACTIVE) and e.state is f.state)
            )
            and (
                not f.overdue_only or (active and not_ended and e.dates.due is not None and e.dates.due < NOW)
            )
            and (f.learner_ids is None or e.learner_id in f.learner_ids)
            and e.progress >= f.min_progress
        )

    kept = sorted((e for e in rows if keep(e)), key=lambda e: (e.create_time, e.enrollment_id), reverse=True)
    return [e.enrollment_id for e in kept]


async def test_every_filter_shape_and_keyset_page_matches_a_plain_filter(
    make_uow: UnitOfWorkFactory, programs_db: ServiceDatabase
) -> None:
    tenant, other = TenantId(uuid.uuid4()), TenantId(uuid.uuid4())
    rows = _enrollments(random.Random(11))
    for owner, batch in ((tenant, rows), (other, _enrollments(random.Random(12)))):
        async with make_uow(owner, None) as uow:
            programs = SqlProgramRepository(uow.session, owner)
            for program_id in PROGRAMS:
                await programs.add(
                    Program(program_id, ProgramDraft(title="P"), ProgramState.PUBLISHED, 1, NOW, NOW)
                )
            repo = SqlEnrollmentRepository(uow.session, owner)
            for enrollment in batch:
                assert await repo.add_if_absent(enrollment)
            await uow.commit()

    shapes = itertools.product(
        [None, PROGRAMS[0]],
        [None, "ben"],
        [None, EnrollmentState.ACTIVE, EnrollmentState.EXPIRED, EnrollmentState.COMPLETED],
        [False, True],
        [None, frozenset({"ana", "cleo"}), frozenset()],
        [0.0, 0.5],
    )
    checked = 0
    reader = DirectReader(programs_db.app_url, size=1)
    hot = EnrollmentHotReads(reader)
    async with make_uow(tenant, None) as uow:
        repo = SqlEnrollmentRepository(uow.session, tenant)
        for program_id, learner_id, state, overdue, learner_ids, min_progress in shapes:
            f = EnrollmentFilter(
                program_id=program_id,
                learner_id=learner_id,
                state=state,
                overdue_only=overdue,
                min_progress=min_progress,
                now=NOW,
                learner_ids=learner_ids,
            )
            got: list[uuid.UUID] = []
            after: tuple[dt.datetime, uuid.UUID] | None = None
            while True:
                page = await repo.list_enrollments(f, after, 7)
                assert page == await hot.list_enrollments(tenant, f, after, 7), f  # direct reads agree
                got += [e.enrollment_id for e in page]
                if len(page) < 7:
                    break
                after = (page[-1].create_time, page[-1].enrollment_id)
            assert got == _expected(rows, f), f
            checked += bool(got)
    await reader.close()
    assert checked > 40  # most shapes select something, so the comparison is not vacuous
