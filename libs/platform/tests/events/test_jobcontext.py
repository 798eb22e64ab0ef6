"""The job context of a worker process: one loop and one engine per task thread, all closed at shutdown."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

from pydantic import SecretStr
from sqlalchemy import text

from aigym_platform.identity import TenantId
from aigym_platform.jobs.bridge import JobContext
from aigym_platform.provisioning import ServiceDatabase
from aigym_platform.settings import ServiceSettings


def _context(probe_dbs: dict[str, ServiceDatabase]) -> JobContext:
    settings = ServiceSettings(
        service_name="eventsink",
        database_url=SecretStr(probe_dbs["eventsink"].app_url),
        redis_url=SecretStr("redis://127.0.0.1:1/0"),
    )
    return JobContext(settings)


def test_each_task_thread_has_its_own_engine_and_keeps_it(probe_dbs: dict[str, ServiceDatabase]) -> None:
    jobs = _context(probe_dbs)
    tenant = TenantId(uuid.uuid4())

    async def task() -> tuple[int, int, str]:
        async with jobs.uow(tenant) as unit:
            seen = (await unit.session.execute(text("SELECT current_setting('app.tenant_id')"))).scalar_one()
        return threading.get_ident(), id(jobs.engine), seen

    def two_tasks() -> list[tuple[int, int, str]]:
        return [jobs.run(task()), jobs.run(task())]

    with ThreadPoolExecutor(2) as pool:
        barrier = threading.Barrier(2)

        def in_thread() -> list[tuple[int, int, str]]:
            barrier.wait(5)  # both threads alive at once: no adoption of the other's loop
            return two_tasks()

        results = [f.result() for f in [pool.submit(in_thread), pool.submit(in_thread)]]
    jobs.close()

    for first, again in results:
        assert first == again  # same thread, same engine, across tasks
        assert first[2] == str(tenant)
    assert results[0][0][1] != results[1][0][1]  # two threads, two engines


def test_close_disposes_the_engines_and_a_later_task_starts_afresh(
    probe_dbs: dict[str, ServiceDatabase],
) -> None:
    jobs = _context(probe_dbs)

    async def one_query() -> None:
        async with jobs.uow(TenantId(uuid.uuid4())) as unit:
            await unit.session.execute(text("SELECT 1"))

    jobs.run(one_query())
    engine = jobs.engine
    jobs.close()

    assert engine.pool.checkedin() == 0  # the pooled connection was closed
    jobs.run(one_query())
    assert jobs.engine is not engine
    jobs.close()
