"""Thin gRPC adapter of the progress service: proto -> mapper -> one service call -> proto."""

from __future__ import annotations

import datetime as dt
from typing import Any

import grpc
from google.rpc import code_pb2, status_pb2

from aigym.progress.v1 import progress_pb2, progress_pb2_grpc
from aigym_platform.errors import DomainError
from aigym_platform.identity import current_identity, request_id_var
from aigym_platform.rpc_errors import to_status
from aigym_progress import mappers
from aigym_progress.export_service import ExportService
from aigym_progress.path_service import PathService
from aigym_progress.service import ProgressService
from aigym_progress.session_service import SessionService

Context = grpc.aio.ServicerContext[Any, Any]


# The generated base class is untyped (generated code is outside mypy); it answers UNIMPLEMENTED for
# methods a servicer does not override.
class ProgressServicer(progress_pb2_grpc.ProgressServiceServicer):  # type: ignore[misc]
    """gRPC face of ProgressService."""

    def __init__(
        self, service: ProgressService, sessions: SessionService, paths: PathService, exports: ExportService
    ) -> None:
        self._service = service
        self._sessions = sessions
        self._paths = paths
        self._exports = exports

    async def UpdateCourseStructure(
        self, request: progress_pb2.UpdateCourseStructureRequest, context: Context
    ) -> progress_pb2.CourseStructure:
        """Register or revise a course's structure."""
        structure = await self._service.update_structure(
            current_identity(),
            request.course_id,
            mappers.blocks_from_proto(request.structure),
            request.structure.etag,
        )
        return mappers.structure_to_proto(structure)

    async def GetCourseStructure(
        self, request: progress_pb2.GetCourseStructureRequest, context: Context
    ) -> progress_pb2.CourseStructure:
        """Return a course's current (or a past) structure."""
        structure = await self._service.get_structure(current_identity(), request.course_id, request.revision)
        return mappers.structure_to_proto(structure)

    async def CreateCompletion(
        self, request: progress_pb2.CreateCompletionRequest, context: Context
    ) -> progress_pb2.Completion:
        """Record one block completion."""
        completion = await self._service.record_completion(
            current_identity(), mappers.completion_from_proto(request.completion)
        )
        return mappers.completion_to_proto(completion)

    async def BatchCreateCompletions(
        self, request: progress_pb2.BatchCreateCompletionsRequest, context: Context
    ) -> progress_pb2.BatchCreateCompletionsResponse:
        """Record many completions, one result per item."""
        results = await self._service.record_completions(
            current_identity(), [mappers.completion_from_proto(c) for c in request.completions]
        )
        response = progress_pb2.BatchCreateCompletionsResponse()
        for index, result in enumerate(results):
            item = response.results.add(index=index)
            if isinstance(result, DomainError):
                item.status.CopyFrom(to_status(result, request_id=request_id_var.get()))
            else:
                item.completion.CopyFrom(mappers.completion_to_proto(result))
                item.status.CopyFrom(status_pb2.Status(code=code_pb2.OK))
        return response

    async def GetCourseProgress(
        self, request: progress_pb2.GetCourseProgressRequest, context: Context
    ) -> progress_pb2.CourseProgress:
        """Return a learner's progress in one course, block by block."""
        progress = await self._service.get_progress(current_identity(), request.learner_id, request.course_id)
        return mappers.progress_to_proto(progress)

    async def ListLearnerProgress(
        self, request: progress_pb2.ListLearnerProgressRequest, context: Context
    ) -> progress_pb2.ListLearnerProgressResponse:
        """Return one page of a learner's courses."""
        page = await self._service.list_learner_progress(
            current_identity(),
            request.learner_id,
            mappers.state_from_proto(request.state),
            request.page_size,
            request.page_token,
        )
        response = progress_pb2.ListLearnerProgressResponse(next_page_token=page.next_page_token)
        for progress in page.progress:
            mappers.fill_progress(response.progress.add(), progress)
        return response

    async def ListCourseRoster(
        self, request: progress_pb2.ListCourseRosterRequest, context: Context
    ) -> progress_pb2.ListCourseRosterResponse:
        """Return one page of a course's learners."""
        page = await self._service.list_roster(
            current_identity(),
            request.course_id,
            mappers.state_from_proto(request.state),
            request.order_by,
            request.page_size,
            request.page_token,
        )
        response = progress_pb2.ListCourseRosterResponse(next_page_token=page.next_page_token)
        for progress in page.progress:
            mappers.fill_progress(response.progress.add(), progress)
        return response

    async def ResetCourseProgress(
        self, request: progress_pb2.ResetCourseProgressRequest, context: Context
    ) -> progress_pb2.CourseProgress:
        """Archive a learner's attempt and start a new one."""
        progress = await self._service.reset_progress(
            current_identity(), request.learner_id, request.course_id, request.reason
        )
        return mappers.progress_to_proto(progress)

    async def StartSession(
        self, request: progress_pb2.StartSessionRequest, context: Context
    ) -> progress_pb2.LearningSession:
        """Start an online session or declare an offline one."""
        session = await self._sessions.start_session(
            current_identity(), mappers.session_from_proto(request.session)
        )
        return mappers.session_to_proto(session)

    async def HeartbeatSession(
        self, request: progress_pb2.HeartbeatSessionRequest, context: Context
    ) -> progress_pb2.LearningSession:
        """Keep an online session alive."""
        return mappers.session_to_proto(
            await self._sessions.heartbeat(current_identity(), request.session_id)
        )

    async def EndSession(
        self, request: progress_pb2.EndSessionRequest, context: Context
    ) -> progress_pb2.LearningSession:
        """End an online session."""
        return mappers.session_to_proto(
            await self._sessions.end_session(current_identity(), request.session_id)
        )

    async def ApproveSession(
        self, request: progress_pb2.ApproveSessionRequest, context: Context
    ) -> progress_pb2.LearningSession:
        """Approve a pending offline session."""
        session = await self._sessions.approve_session(current_identity(), request.session_id)
        return mappers.session_to_proto(session)

    async def RejectSession(
        self, request: progress_pb2.RejectSessionRequest, context: Context
    ) -> progress_pb2.LearningSession:
        """Reject a pending offline session."""
        session = await self._sessions.reject_session(current_identity(), request.session_id, request.reason)
        return mappers.session_to_proto(session)

    async def ListSessions(
        self, request: progress_pb2.ListSessionsRequest, context: Context
    ) -> progress_pb2.ListSessionsResponse:
        """Return one page of a learner's sessions."""
        page = await self._sessions.list_sessions(
            current_identity(),
            request.learner_id,
            request.course_id,
            mappers.session_state_from_proto(request.state),
            request.page_size,
            request.page_token,
        )
        return progress_pb2.ListSessionsResponse(
            sessions=[mappers.session_to_proto(s) for s in page.sessions],
            next_page_token=page.next_page_token,
        )

    async def ValidatePath(
        self, request: progress_pb2.ValidatePathRequest, context: Context
    ) -> progress_pb2.PathValidation:
        """May the learner start the program item now, and if not, why."""
        answer = await self._paths.validate_path(
            current_identity(),
            request.program_id,
            request.item_id,
            request.learner_id,
            mappers.what_if_from_proto(request),
        )
        return mappers.path_to_proto(answer)

    async def ListXapiStatements(
        self, request: progress_pb2.ListXapiStatementsRequest, context: Context
    ) -> progress_pb2.ListXapiStatementsResponse:
        """Return one page of a learner's records as xAPI statements."""
        page = await self._exports.list_statements(
            current_identity(),
            request.learner_id,
            request.page_size,
            request.page_token,
            request.since.ToDatetime(dt.UTC) if request.HasField("since") else None,
        )
        return mappers.statements_to_proto(page.statements, page.next_page_token)

    async def Ping(self, request: progress_pb2.PingRequest, context: Context) -> progress_pb2.PingResponse:
        """Echo the verified caller without touching storage."""
        identity = current_identity()
        response = progress_pb2.PingResponse(
            service="progress",
            user_id=identity.user_id,
            tenant_id=str(identity.tenant_id),
            roles=sorted(role.value for role in identity.roles),
        )
        response.server_time.GetCurrentTime()
        return response
