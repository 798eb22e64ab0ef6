"""Composition root of the progress service: settings -> engine -> unit of work -> servicer -> server."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
from sqlalchemy.ext.asyncio import AsyncEngine

from aigym.progress.v1 import progress_pb2, progress_pb2_grpc
from aigym_platform.client import ServiceTokens, service_channel
from aigym_platform.db import create_engine, create_sessionmaker, uow_factory
from aigym_platform.direct_reads import DirectReader
from aigym_platform.server import GrpcServer, Registration
from aigym_platform.tokens import SigningKey, verifier_from_settings
from aigym_progress.export_service import ExportService
from aigym_progress.hot_reads import ProgressHotReads
from aigym_progress.path_service import PathService
from aigym_progress.programs_client import GrpcProgramsDirectory, ProgramsDirectory, UnconfiguredPrograms
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
    reader: DirectReader
    programs_channel: grpc.aio.Channel | None = None

    async def start(self) -> int:
        """Start serving; returns the bound port."""
        return await self.server.start()

    async def stop(self, grace: float | None = None) -> None:
        """Drain the server, then close database connections."""
        await self.server.stop(grace)
        if self.programs_channel is not None:
            await self.programs_channel.close()
        await self.reader.close()
        await self.engine.dispose()


def build(settings: ProgressSettings) -> App:
    """Wire the progress service from its settings (no I/O until `App.start`)."""
    engine = create_engine(
        settings.database_url.get_secret_value(),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        session_scopes=settings.db_session_scopes,
    )
    uow = uow_factory(create_sessionmaker(engine))
    reader = DirectReader(settings.database_url.get_secret_value(), size=settings.db_pool_size)
    channel: grpc.aio.Channel | None = None
    programs: ProgramsDirectory = UnconfiguredPrograms()
    if settings.service_signing_key_file:
        tokens = ServiceTokens(
            SigningKey.load(settings.service_signing_key_file),
            issuer=settings.service_token_issuer,
            audience=settings.jwt_audience,
            service=settings.service_name,
        )
        channel = service_channel(settings.programs_target)
        programs = GrpcProgramsDirectory(channel, tokens)
    exports = ExportService(uow, settings.xapi_home_page, settings.xapi_activity_base)
    servicer = ProgressServicer(
        ProgressService(uow, hot_reads=ProgressHotReads(reader)),
        SessionService(uow),
        PathService(uow, programs),
        exports,
    )
    registration = Registration(
        SERVICE_FULL_NAME, servicer, progress_pb2_grpc.add_ProgressServiceServicer_to_server
    )
    server = GrpcServer(settings, verifier_from_settings(settings), [registration])
    return App(settings, engine, server, reader, channel)
