"""Composition root of the analytics service: settings -> engine -> unit of work -> servicer -> server."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from aigym.analytics.v1 import analytics_pb2, analytics_pb2_grpc
from aigym_analytics.charts import ChartService
from aigym_analytics.maintenance import Maintenance
from aigym_analytics.report_service import ReportService
from aigym_analytics.service import AnalyticsService
from aigym_analytics.servicer import AnalyticsServicer
from aigym_analytics.settings import AnalyticsSettings
from aigym_platform.db import UnitOfWorkFactory, create_engine, create_sessionmaker, uow_factory
from aigym_platform.delivery import SmtpMailer, WebhookSender
from aigym_platform.server import GrpcServer, Registration
from aigym_platform.tokens import verifier_from_settings

SERVICE_FULL_NAME = analytics_pb2.DESCRIPTOR.services_by_name["AnalyticsService"].full_name


@dataclass
class App:
    """Everything one analytics process runs, for start-up and orderly shutdown."""

    settings: AnalyticsSettings
    engine: AsyncEngine
    server: GrpcServer

    async def start(self) -> int:
        """Start serving; returns the bound port."""
        return await self.server.start()

    async def stop(self, grace: float | None = None) -> None:
        """Drain the server, then close database connections."""
        await self.server.stop(grace)
        await self.engine.dispose()


def report_service(settings: AnalyticsSettings, units: UnitOfWorkFactory) -> ReportService:
    """Reports with email (when AIGYM_SMTP_URL is set) and signed webhooks."""
    mailer = SmtpMailer(settings) if settings.smtp_url.get_secret_value() else None
    return ReportService(
        units,
        mailer,
        WebhookSender(settings),
        allow_private_webhooks=settings.webhook_allow_private_addresses,
    )


def build(settings: AnalyticsSettings) -> App:
    """Wire the analytics service from its settings (no I/O until `App.start`)."""
    engine = create_engine(
        settings.database_url.get_secret_value(),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        session_scopes=settings.db_session_scopes,
    )
    units = uow_factory(create_sessionmaker(engine))
    servicer = AnalyticsServicer(
        AnalyticsService(units), report_service(settings, units), ChartService(units), Maintenance(units)
    )
    registration = Registration(
        SERVICE_FULL_NAME, servicer, analytics_pb2_grpc.add_AnalyticsServiceServicer_to_server
    )
    server = GrpcServer(settings, verifier_from_settings(settings), [registration])
    return App(settings, engine, server)
