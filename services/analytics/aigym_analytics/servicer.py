"""Thin gRPC adapter of the analytics service: proto -> mapper -> one service call -> proto."""

from __future__ import annotations

from typing import Any

import grpc

from aigym.analytics.v1 import analytics_pb2, analytics_pb2_grpc
from aigym_platform.identity import current_identity

Context = grpc.aio.ServicerContext[Any, Any]


# The generated base class is untyped (generated code is outside mypy); it answers UNIMPLEMENTED for
# methods a servicer does not override.
class AnalyticsServicer(analytics_pb2_grpc.AnalyticsServiceServicer):  # type: ignore[misc]
    """gRPC face of the analytics service."""

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
