"""Thin gRPC adapter of the analytics service: proto -> mapper -> one service call -> proto."""

from __future__ import annotations

from typing import Any

import grpc

from aigym.analytics.v1 import analytics_pb2, analytics_pb2_grpc
from aigym_analytics import mappers
from aigym_analytics.service import AnalyticsService
from aigym_platform.identity import current_identity

Context = grpc.aio.ServicerContext[Any, Any]


# The generated base class is untyped (generated code is outside mypy); it answers UNIMPLEMENTED for
# methods a servicer does not override.
class AnalyticsServicer(analytics_pb2_grpc.AnalyticsServiceServicer):  # type: ignore[misc]
    """gRPC face of the analytics service."""

    def __init__(self, service: AnalyticsService) -> None:
        self._service = service

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
