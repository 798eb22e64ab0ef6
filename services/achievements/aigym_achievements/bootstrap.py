"""Composition root of the achievements service: settings -> engine -> unit of work -> services -> server."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from aigym.achievements.v1 import achievements_pb2, achievements_pb2_grpc
from aigym_achievements.award_service import AwardsService
from aigym_achievements.awarding import Awarder, CredentialConfig
from aigym_achievements.openbadges import Urls
from aigym_achievements.public_service import PublicService
from aigym_achievements.service import BackfillTrigger, BadgesService, no_trigger
from aigym_achievements.servicer import PUBLIC_METHODS, AchievementsServicer
from aigym_achievements.settings import AchievementsSettings
from aigym_platform.db import create_engine, create_sessionmaker, uow_factory
from aigym_platform.events.admin import events_admin_registration
from aigym_platform.identity import TenantId
from aigym_platform.jobs.app import create_celery_app
from aigym_platform.jobs.queues import job_task_name, jobs_queue
from aigym_platform.server import GrpcServer, Registration
from aigym_platform.tokens import verifier_from_settings

SERVICE_FULL_NAME = achievements_pb2.DESCRIPTOR.services_by_name["AchievementsService"].full_name
SWEEP_JOB = "sweep"


def awarder_from_settings(settings: AchievementsSettings) -> Awarder:
    """The awarder (credential URLs and key protection) the server and the worker share."""
    passphrase = settings.issuer_key_passphrase.get_secret_value() or None
    return Awarder(CredentialConfig(Urls(settings.public_base_url.rstrip("/")), passphrase))


def backfill_trigger(settings: AchievementsSettings) -> BackfillTrigger:
    """Enqueue the tenant's sweep job at once (without Redis the scheduled sweep picks backfills up)."""
    if not settings.redis_url.get_secret_value():
        return no_trigger
    app = create_celery_app(settings, main="aigym.achievements.server")

    def trigger(tenant_id: TenantId) -> None:
        app.send_task(
            job_task_name(settings.service_name, SWEEP_JOB),
            kwargs={"tenant_id": str(tenant_id)},
            queue=jobs_queue(settings.service_name),
        )

    return trigger


@dataclass
class App:
    """Everything one achievements process runs, for start-up and orderly shutdown."""

    settings: AchievementsSettings
    engine: AsyncEngine
    server: GrpcServer

    async def start(self) -> int:
        """Start serving; returns the bound port."""
        return await self.server.start()

    async def stop(self, grace: float | None = None) -> None:
        """Drain the server, then close database connections."""
        await self.server.stop(grace)
        await self.engine.dispose()


def build(settings: AchievementsSettings) -> App:
    """Wire the achievements service from its settings (no I/O until `App.start`)."""
    engine = create_engine(
        settings.database_url.get_secret_value(),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
    )
    units = uow_factory(create_sessionmaker(engine))
    awarder = awarder_from_settings(settings)
    servicer = AchievementsServicer(
        BadgesService(units, awarder, backfill_trigger(settings)),
        AwardsService(units, awarder),
        PublicService(units, awarder),
    )
    registration = Registration(
        SERVICE_FULL_NAME, servicer, achievements_pb2_grpc.add_AchievementsServiceServicer_to_server
    )
    admin = events_admin_registration(settings, units)  # dead letters of the achievements consumers
    server = GrpcServer(
        settings, verifier_from_settings(settings), [registration, admin], public_methods=PUBLIC_METHODS
    )
    return App(settings, engine, server)
