"""Composition root of the progress service: settings -> engine -> unit of work -> servicer -> server."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from aigym.progress.v1 import progress_pb2, progress_pb2_grpc
from aigym_platform.db import create_engine, create_sessionmaker, uow_factory
from aigym_platform.server import GrpcServer, Registration
from aigym_platform.tokens import verifier_from_settings
from aigym_progress.service import ProgressService
from aigym_progress.servicer import ProgressServicer
from aigym_progress.session_service import SessionService
from aigym_progress.settings import ProgressSettings

SERVICE_FULL_NAME = progress_pb2.DESCRIPTOR.services_by_name["ProgressService"].full_name


@dataclass
class App:
    """Everything one progress process runs, for start-up and orderly shutdown."""

    settings: ProgressSettings
    engine: AsyncEngine
    server: GrpcServer

    async def start(self) -> int:
        """Start serving; returns the bound port."""
        return await self.server.start()

    async def stop(self, grace: float | None = None) -> None:
        """Drain the server, then close database connections."""
        await self.server.stop(grace)
        await self.engine.dispose()


def build(settings: ProgressSettings) -> App:
    """Wire the progress service from its settings (no I/O until `App.start`)."""
    engine = create_engine(
        settings.database_url.get_secret_value(),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
    )
    uow = uow_factory(create_sessionmaker(engine))
    servicer = ProgressServicer(ProgressService(uow), SessionService(uow))
    registration = Registration(
        SERVICE_FULL_NAME, servicer, progress_pb2_grpc.add_ProgressServiceServicer_to_server
    )
    server = GrpcServer(settings, verifier_from_settings(settings), [registration])
    return App(settings, engine, server)
