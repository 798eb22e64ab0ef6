"""Composition root of the programs service: settings -> engine -> unit of work -> servicer -> server."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from aigym.programs.v1 import programs_pb2, programs_pb2_grpc
from aigym_platform.db import create_engine, create_sessionmaker, uow_factory
from aigym_platform.direct_reads import DirectReader
from aigym_platform.events.admin import events_admin_registration
from aigym_platform.server import GrpcServer, Registration
from aigym_platform.tokens import verifier_from_settings
from aigym_programs.directory_service import DirectoryService
from aigym_programs.enrollment_approval_service import EnrollmentApprovals
from aigym_programs.enrollment_dates_service import EnrollmentDateOverrides
from aigym_programs.enrollment_service import EnrollmentsService
from aigym_programs.hot_reads import EnrollmentHotReads
from aigym_programs.maintenance_service import EnrollmentMaintenance
from aigym_programs.service import ProgramsService
from aigym_programs.servicer import ProgramsServicer
from aigym_programs.settings import ProgramsSettings

SERVICE_FULL_NAME = programs_pb2.DESCRIPTOR.services_by_name["ProgramsService"].full_name


@dataclass
class App:
    """Everything one programs process runs, for start-up and orderly shutdown."""

    settings: ProgramsSettings
    engine: AsyncEngine
    server: GrpcServer
    reader: DirectReader

    async def start(self) -> int:
        """Start serving; returns the bound port."""
        return await self.server.start()

    async def stop(self, grace: float | None = None) -> None:
        """Drain the server, then close database connections."""
        await self.server.stop(grace)
        await self.reader.close()
        await self.engine.dispose()


def build(settings: ProgramsSettings) -> App:
    """Wire the programs service from its settings (no I/O until `App.start`)."""
    engine = create_engine(
        settings.database_url.get_secret_value(),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        session_scopes=settings.db_session_scopes,
    )
    units_of_work = uow_factory(create_sessionmaker(engine))
    reader = DirectReader(settings.database_url.get_secret_value(), size=settings.db_pool_size)
    servicer = ProgramsServicer(
        ProgramsService(units_of_work),
        EnrollmentsService(units_of_work, hot_reads=EnrollmentHotReads(reader)),
        EnrollmentApprovals(units_of_work),
        EnrollmentDateOverrides(units_of_work),
        DirectoryService(units_of_work),
        EnrollmentMaintenance(units_of_work),
    )
    registration = Registration(
        SERVICE_FULL_NAME, servicer, programs_pb2_grpc.add_ProgramsServiceServicer_to_server
    )
    admin = events_admin_registration(settings, units_of_work)  # dead letters of the programs consumers
    server = GrpcServer(settings, verifier_from_settings(settings), [registration, admin])
    return App(settings, engine, server, reader)
