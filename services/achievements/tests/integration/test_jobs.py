"""The achievements worker's wiring against real PostgreSQL and Redis: every registry handler bound, the
beat schedule valid, the due-tenant lookup (a SECURITY DEFINER function) and the per-tenant sweep."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import redis
from pydantic import SecretStr

from aigym.progress.v1 import events_pb2 as progress_events
from aigym_achievements.awarding import utcnow
from aigym_achievements.bootstrap import awarder_from_settings
from aigym_achievements.domain import AwardSource, BackfillState, BadgeDraft
from aigym_achievements.public_service import NO_TENANT
from aigym_achievements.repository import AchievementsRepository, due_tenants
from aigym_achievements.rules import CourseCompleted
from aigym_achievements.service import BadgesService
from aigym_achievements.settings import AchievementsSettings
from aigym_achievements.tasks import SCHEDULES
from aigym_platform.db import UnitOfWorkFactory
from aigym_platform.events.registry import BLOCK_COMPLETED, REGISTRY
from aigym_platform.identity import Identity, Role, TenantId
from aigym_platform.jobs.queues import job_task_name, jobs_queue
from aigym_platform.jobs.worker import build_worker
from aigym_platform.provisioning import ServiceDatabase


async def test_worker_binds_every_handler_and_the_sweep_runs_pending_backfills(
    achievements_db: ServiceDatabase,
    achievements_settings: AchievementsSettings,
    redis_url: str,
    units: UnitOfWorkFactory,
    tenant: uuid.UUID,
    deliver: Any,
) -> None:
    settings = achievements_settings.model_copy(update={"redis_url": SecretStr(redis_url)})
    app, jobs = build_worker(settings, "aigym_achievements.tasks")
    try:
        bound = {consumer.task_name for _, consumer in REGISTRY.consumed_by("achievements")}
        assert bound <= set(app.tasks)
        assert {s.task for s in SCHEDULES} <= set(app.tasks)
        assert all(s.entry()["options"]["queue"] == jobs_queue("achievements") for s in SCHEDULES)

        payload = progress_events.CourseCompleted(learner_id="ann", course_id="c1")
        await deliver("record_course_completion", "aigym.progress.course_completed.v1", tenant, payload)
        admin = Identity("admin", TenantId(tenant), frozenset({Role.CLIENT_ADMIN}))
        badges = BadgesService(units, awarder_from_settings(settings))  # no trigger: the sweep must find it
        badge = await badges.create_badge(admin, BadgeDraft("Course one", rule=CourseCompleted("c1")))
        await badges.activate_badge(admin, badge.badge_id, backfill=True)
        async with units(NO_TENANT, None) as uow:
            assert tenant in await due_tenants(uow.session, utcnow())

        client = redis.Redis.from_url(redis_url)
        queue = jobs_queue("achievements")
        before = client.llen(queue)
        scheduler = app.tasks[job_task_name("achievements", "schedule_sweeps")]
        sent = await asyncio.to_thread(lambda: scheduler.apply().get())
        assert sent >= 1
        assert client.llen(queue) >= before + 1  # one sweep per due tenant, on the jobs queue

        sweep = app.tasks[job_task_name("achievements", "sweep")]
        await asyncio.to_thread(lambda: sweep.apply(kwargs={"tenant_id": str(tenant)}).get())
        async with units(TenantId(tenant), None) as uow:
            repo = AchievementsRepository(uow.session, uow.tenant_id)
            done = await repo.get_badge(badge.badge_id)
            awards = await repo.latest_awards("ann")
        assert done is not None
        assert (done.backfill_state, done.backfill_awarded) == (BackfillState.DONE, 1)
        assert awards[badge.badge_id].source is AwardSource.BACKFILL
        async with units(NO_TENANT, None) as uow:
            assert tenant not in await due_tenants(uow.session, utcnow())
        client.delete(queue)
    finally:
        jobs.close()


async def test_a_new_fact_for_a_learner_with_no_active_badges_awards_nothing(
    units: UnitOfWorkFactory, tenant: uuid.UUID, deliver: Any
) -> None:
    payload = progress_events.BlockCompleted(learner_id="ann", course_id="c", block_id="b", completed=True)
    assert await deliver("record_block_completion", BLOCK_COMPLETED, tenant, payload) == "applied"
    async with units(TenantId(tenant), None) as uow:
        repo = AchievementsRepository(uow.session, uow.tenant_id)
        assert len(await repo.learner_facts("ann")) == 1
        assert await repo.latest_awards("ann") == {}
