"""Thin gRPC adapter of the analytics service: proto -> mapper -> one service call -> proto."""

from __future__ import annotations

from typing import Any

import grpc
from google.api import httpbody_pb2
from google.protobuf import empty_pb2

from aigym.analytics.v1 import analytics_pb2, analytics_pb2_grpc
from aigym_analytics import mappers
from aigym_analytics.charts import ChartService
from aigym_analytics.maintenance import Maintenance
from aigym_analytics.report_service import ReportService
from aigym_analytics.service import AnalyticsService
from aigym_platform.identity import current_identity

Context = grpc.aio.ServicerContext[Any, Any]


# The generated base class is untyped (generated code is outside mypy); it answers UNIMPLEMENTED for
# methods a servicer does not override.
class AnalyticsServicer(analytics_pb2_grpc.AnalyticsServiceServicer):  # type: ignore[misc]
    """gRPC face of the analytics service."""

    def __init__(
        self,
        service: AnalyticsService,
        reports: ReportService,
        charts: ChartService,
        maintenance: Maintenance,
    ) -> None:
        self._service = service
        self._reports = reports
        self._charts = charts
        self._maintenance = maintenance

    async def GetAnalyticsSettings(
        self, request: analytics_pb2.GetAnalyticsSettingsRequest, context: Context
    ) -> analytics_pb2.AnalyticsSettings:
        """The tenant's retention policy."""
        days = await self._maintenance.retention_days(current_identity())
        return analytics_pb2.AnalyticsSettings(fact_retention_days=days)

    async def UpdateAnalyticsSettings(
        self, request: analytics_pb2.UpdateAnalyticsSettingsRequest, context: Context
    ) -> analytics_pb2.AnalyticsSettings:
        """Change the tenant's retention policy."""
        days = await self._maintenance.set_retention_days(
            current_identity(), request.settings.fact_retention_days
        )
        return analytics_pb2.AnalyticsSettings(fact_retention_days=days)

    async def GetChart(
        self, request: analytics_pb2.GetChartRequest, context: Context
    ) -> httpbody_pb2.HttpBody:
        """A PNG chart."""
        png = await self._charts.chart(
            current_identity(), request.chart, mappers.range_from_proto(request.range), request.program_id
        )
        return httpbody_pb2.HttpBody(content_type="image/png", data=png)

    async def CreateReport(
        self, request: analytics_pb2.CreateReportRequest, context: Context
    ) -> analytics_pb2.Report:
        """Define a report."""
        stored = await self._reports.create(current_identity(), mappers.report_from_proto(request.report))
        return mappers.report_to_proto(stored)

    async def ListReports(
        self, request: analytics_pb2.ListReportsRequest, context: Context
    ) -> analytics_pb2.ListReportsResponse:
        """A page of reports."""
        size = request.page_size or 50
        offset = mappers.offset_from_token(request.page_token)
        found, more = await self._reports.list_reports(current_identity(), size, offset)
        return analytics_pb2.ListReportsResponse(
            reports=[mappers.report_to_proto(r) for r in found],
            next_page_token=mappers.page_token(offset + size if more else None),
        )

    async def GetReport(
        self, request: analytics_pb2.GetReportRequest, context: Context
    ) -> analytics_pb2.Report:
        """One report."""
        report_id = mappers.parse_uuid(request.report_id, "report_id")
        return mappers.report_to_proto(await self._reports.get(current_identity(), report_id))

    async def UpdateReport(
        self, request: analytics_pb2.UpdateReportRequest, context: Context
    ) -> analytics_pb2.Report:
        """Change a report."""
        report_id = mappers.parse_uuid(request.report_id, "report_id")
        change = mappers.report_change(request.report, list(request.update_mask.paths))
        stored = await self._reports.update(current_identity(), report_id, change, request.report.etag)
        return mappers.report_to_proto(stored)

    async def DeleteReport(
        self, request: analytics_pb2.DeleteReportRequest, context: Context
    ) -> empty_pb2.Empty:
        """Delete a report."""
        await self._reports.delete(current_identity(), mappers.parse_uuid(request.report_id, "report_id"))
        return empty_pb2.Empty()

    async def RunReport(
        self, request: analytics_pb2.RunReportRequest, context: Context
    ) -> analytics_pb2.ReportRun:
        """Run a report now."""
        run = await self._reports.run_now(
            current_identity(), mappers.parse_uuid(request.report_id, "report_id")
        )
        return mappers.run_to_proto(run)

    async def ListReportRuns(
        self, request: analytics_pb2.ListReportRunsRequest, context: Context
    ) -> analytics_pb2.ListReportRunsResponse:
        """A page of a report's runs."""
        size = request.page_size or 50
        offset = mappers.offset_from_token(request.page_token)
        runs, more = await self._reports.runs(
            current_identity(), mappers.parse_uuid(request.report_id, "report_id"), size, offset
        )
        return analytics_pb2.ListReportRunsResponse(
            runs=[mappers.run_to_proto(r) for r in runs],
            next_page_token=mappers.page_token(offset + size if more else None),
        )

    async def GetReportRunContent(
        self, request: analytics_pb2.GetReportRunContentRequest, context: Context
    ) -> httpbody_pb2.HttpBody:
        """A run's stored output."""
        filename, media, data = await self._reports.content(
            current_identity(),
            mappers.parse_uuid(request.report_id, "report_id"),
            mappers.parse_uuid(request.run_id, "run_id"),
        )
        context.set_trailing_metadata((("content-disposition", f'attachment; filename="{filename}"'),))
        return httpbody_pb2.HttpBody(content_type=media, data=data)

    async def ListReportDeliveries(
        self, request: analytics_pb2.ListReportDeliveriesRequest, context: Context
    ) -> analytics_pb2.ListReportDeliveriesResponse:
        """Every delivery attempt of a run."""
        rows = await self._reports.deliveries(
            current_identity(),
            mappers.parse_uuid(request.report_id, "report_id"),
            mappers.parse_uuid(request.run_id, "run_id"),
        )
        return analytics_pb2.ListReportDeliveriesResponse(
            deliveries=[mappers.delivery_to_proto(r) for r in rows]
        )

    async def GetOverview(
        self, request: analytics_pb2.GetOverviewRequest, context: Context
    ) -> analytics_pb2.Overview:
        """Tenant, team or own overview."""
        result = await self._service.overview(current_identity(), mappers.range_from_proto(request.range))
        return mappers.overview_to_proto(result)

    async def GetProgramPerformance(
        self, request: analytics_pb2.GetProgramPerformanceRequest, context: Context
    ) -> analytics_pb2.ProgramPerformance:
        """One program's performance."""
        result = await self._service.program_performance(
            current_identity(), request.program_id, mappers.range_from_proto(request.range)
        )
        return mappers.program_to_proto(result)

    async def GetCourseEngagement(
        self, request: analytics_pb2.GetCourseEngagementRequest, context: Context
    ) -> analytics_pb2.CourseEngagement:
        """One course's engagement."""
        result = await self._service.course_engagement(
            current_identity(), request.course_id, mappers.range_from_proto(request.range)
        )
        return mappers.course_to_proto(result)

    async def GetLearnerSummary(
        self, request: analytics_pb2.GetLearnerSummaryRequest, context: Context
    ) -> analytics_pb2.LearnerSummary:
        """One learner's summary."""
        result = await self._service.learner_summary(
            current_identity(), request.learner_id, mappers.range_from_proto(request.range)
        )
        return mappers.learner_to_proto(result)

    async def ListAtRiskLearners(
        self, request: analytics_pb2.ListAtRiskLearnersRequest, context: Context
    ) -> analytics_pb2.ListAtRiskLearnersResponse:
        """Learners at risk, ranked and explained."""
        result = await self._service.at_risk(
            current_identity(),
            request.program_id,
            request.inactive_days,
            request.page_size,
            mappers.offset_from_token(request.page_token),
        )
        return mappers.at_risk_to_proto(result)

    async def ListRecommendations(
        self, request: analytics_pb2.ListRecommendationsRequest, context: Context
    ) -> analytics_pb2.ListRecommendationsResponse:
        """Next-best actions for a learner."""
        actions = await self._service.recommendations(current_identity(), request.learner_id)
        return mappers.actions_to_proto(actions)

    async def Ping(self, request: analytics_pb2.PingRequest, context: Context) -> analytics_pb2.PingResponse:
        """Echo the verified caller without touching storage."""
        identity = current_identity()
        response = analytics_pb2.PingResponse(
            service="analytics",
            user_id=identity.user_id,
            tenant_id=str(identity.tenant_id),
            roles=sorted(role.value for role in identity.roles),
        )
        response.server_time.GetCurrentTime()
        return response
