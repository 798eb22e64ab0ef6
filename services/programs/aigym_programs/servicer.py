"""Thin gRPC adapter of the programs service: proto -> mapper -> one service call -> proto."""

from __future__ import annotations

from typing import Any

import grpc
from google.protobuf import empty_pb2

from aigym.programs.v1 import programs_pb2, programs_pb2_grpc
from aigym_platform.identity import current_identity
from aigym_programs import mappers
from aigym_programs.directory_repository import LearnerFilter
from aigym_programs.directory_service import DirectoryService
from aigym_programs.enrollment_approval_service import EnrollmentApprovals
from aigym_programs.enrollment_dates_service import EnrollmentDateOverrides
from aigym_programs.enrollment_repository import EnrollmentFilter
from aigym_programs.enrollment_service import EnrollmentsService
from aigym_programs.maintenance_service import EnrollmentMaintenance
from aigym_programs.service import ProgramsService

Context = grpc.aio.ServicerContext[Any, Any]


# The generated base class is untyped (generated code is outside mypy); it answers UNIMPLEMENTED for
# methods a servicer does not override.
class ProgramsServicer(programs_pb2_grpc.ProgramsServiceServicer):  # type: ignore[misc]
    """gRPC face of ProgramsService."""

    def __init__(
        self,
        service: ProgramsService,
        enrollments: EnrollmentsService,
        approvals: EnrollmentApprovals,
        date_overrides: EnrollmentDateOverrides,
        directory: DirectoryService,
        maintenance: EnrollmentMaintenance,
    ) -> None:
        self._service = service
        self._enrollments = enrollments
        self._approvals = approvals
        self._date_overrides = date_overrides
        self._directory = directory
        self._maintenance = maintenance

    async def CreateProgram(
        self, request: programs_pb2.CreateProgramRequest, context: Context
    ) -> programs_pb2.Program:
        """Create a draft program."""
        program = await self._service.create_program(
            current_identity(),
            mappers.draft_from_proto(request.program),
            request.request_id,
            mappers.nodes_from_proto(request.program.structure),
        )
        return mappers.program_to_proto(program)

    async def GetProgram(
        self, request: programs_pb2.GetProgramRequest, context: Context
    ) -> programs_pb2.Program:
        """Return one program."""
        program_id = mappers.parse_id(request.program_id, "program_id")
        program = await self._service.get_program(current_identity(), program_id)
        return mappers.program_to_proto(
            program, with_structure=request.view != programs_pb2.PROGRAM_VIEW_BASIC
        )

    async def ListPrograms(
        self, request: programs_pb2.ListProgramsRequest, context: Context
    ) -> programs_pb2.ListProgramsResponse:
        """Return one page of programs."""
        full = request.view == programs_pb2.PROGRAM_VIEW_FULL
        page = await self._service.list_programs(
            current_identity(),
            mappers.filter_from_proto(request),
            request.page_size,
            request.page_token,
            basic=not full,
        )
        return programs_pb2.ListProgramsResponse(
            programs=[mappers.program_to_proto(p, with_structure=full) for p in page.programs],
            next_page_token=page.next_page_token,
        )

    async def UpdateProgram(
        self, request: programs_pb2.UpdateProgramRequest, context: Context
    ) -> programs_pb2.Program:
        """Update the masked fields of a program."""
        program_id = mappers.parse_id(request.program.program_id, "program.program_id")
        program = await self._service.update_program(
            current_identity(),
            program_id,
            mappers.draft_from_proto(request.program),
            list(request.update_mask.paths),
            request.program.etag,
            mappers.nodes_from_proto(request.program.structure),
        )
        return mappers.program_to_proto(program)

    async def PublishProgram(
        self, request: programs_pb2.PublishProgramRequest, context: Context
    ) -> programs_pb2.Program:
        """Publish the program's structure as a new version."""
        program_id = mappers.parse_id(request.program_id, "program_id")
        program = await self._service.publish_program(current_identity(), program_id, request.etag)
        return mappers.program_to_proto(program)

    async def ArchiveProgram(
        self, request: programs_pb2.ArchiveProgramRequest, context: Context
    ) -> programs_pb2.Program:
        """Archive a published program."""
        program_id = mappers.parse_id(request.program_id, "program_id")
        program = await self._service.archive_program(current_identity(), program_id, request.etag)
        return mappers.program_to_proto(program)

    async def RestoreProgram(
        self, request: programs_pb2.RestoreProgramRequest, context: Context
    ) -> programs_pb2.Program:
        """Restore an archived program."""
        program_id = mappers.parse_id(request.program_id, "program_id")
        program = await self._service.restore_program(current_identity(), program_id, request.etag)
        return mappers.program_to_proto(program)

    async def CloneProgram(
        self, request: programs_pb2.CloneProgramRequest, context: Context
    ) -> programs_pb2.Program:
        """Copy a program into a new draft."""
        program_id = mappers.parse_id(request.program_id, "program_id")
        program = await self._service.clone_program(
            current_identity(), program_id, request.title, request.request_id
        )
        return mappers.program_to_proto(program)

    async def ListProgramVersions(
        self, request: programs_pb2.ListProgramVersionsRequest, context: Context
    ) -> programs_pb2.ListProgramVersionsResponse:
        """Return one page of a program's versions."""
        program_id = mappers.parse_id(request.program_id, "program_id")
        versions, token = await self._service.list_versions(
            current_identity(), program_id, request.page_size, request.page_token
        )
        return programs_pb2.ListProgramVersionsResponse(
            versions=[mappers.version_to_proto(v) for v in versions], next_page_token=token
        )

    async def GetProgramVersion(
        self, request: programs_pb2.GetProgramVersionRequest, context: Context
    ) -> programs_pb2.ProgramVersion:
        """Return one published version."""
        program_id = mappers.parse_id(request.program_id, "program_id")
        version = await self._service.get_version(current_identity(), program_id, request.version)
        return mappers.version_to_proto(version)

    async def DeleteProgram(
        self, request: programs_pb2.DeleteProgramRequest, context: Context
    ) -> empty_pb2.Empty:
        """Delete a draft program."""
        program_id = mappers.parse_id(request.program_id, "program_id")
        await self._service.delete_program(current_identity(), program_id, request.etag)
        return empty_pb2.Empty()

    async def CreateEnrollment(
        self, request: programs_pb2.CreateEnrollmentRequest, context: Context
    ) -> programs_pb2.Enrollment:
        """Enrol one learner."""
        program_id = mappers.parse_id(request.program_id, "program_id")
        enrollment = await self._enrollments.enroll(
            current_identity(), program_id, mappers.enrollment_request_from_proto(request.enrollment)
        )
        return mappers.enrollment_to_proto(enrollment)

    async def BatchCreateEnrollments(
        self, request: programs_pb2.BatchCreateEnrollmentsRequest, context: Context
    ) -> programs_pb2.BatchCreateEnrollmentsResponse:
        """Enrol many learners with per-row results."""
        program_id = mappers.parse_id(request.program_id, "program_id")
        rows = [mappers.enrollment_request_from_proto(e) for e in request.enrollments]
        results = await self._enrollments.batch_enroll(
            current_identity(), program_id, rows, request.validate_only, request.request_id
        )
        return programs_pb2.BatchCreateEnrollmentsResponse(
            results=[mappers.batch_result_to_proto(r) for r in results]
        )

    async def GetEnrollment(
        self, request: programs_pb2.GetEnrollmentRequest, context: Context
    ) -> programs_pb2.Enrollment:
        """Return one enrolment."""
        program_id = mappers.parse_id(request.program_id, "program_id")
        enrollment_id = mappers.parse_id(request.enrollment_id, "enrollment_id")
        return mappers.enrollment_to_proto(
            await self._enrollments.get(current_identity(), program_id, enrollment_id)
        )

    async def ListEnrollments(
        self, request: programs_pb2.ListEnrollmentsRequest, context: Context
    ) -> programs_pb2.ListEnrollmentsResponse:
        """Return one page of a program's enrolments."""
        program_id = mappers.parse_id(request.program_id, "program_id")
        filters = EnrollmentFilter(
            state=mappers.enrollment_state_from_proto(request.state),
            overdue_only=request.overdue_only,
            min_progress=request.min_progress,
        )
        page, token = await self._enrollments.list_for_program(
            current_identity(), program_id, filters, request.page_size, request.page_token
        )
        response = programs_pb2.ListEnrollmentsResponse(next_page_token=token)
        mappers.enrollments_into(response.enrollments, page)
        return response

    async def ListLearnerEnrollments(
        self, request: programs_pb2.ListLearnerEnrollmentsRequest, context: Context
    ) -> programs_pb2.ListLearnerEnrollmentsResponse:
        """Return one page of a learner's enrolments."""
        page, token = await self._enrollments.list_for_learner(
            current_identity(),
            request.learner_id,
            mappers.enrollment_state_from_proto(request.state),
            request.page_size,
            request.page_token,
        )
        response = programs_pb2.ListLearnerEnrollmentsResponse(next_page_token=token)
        mappers.enrollments_into(response.enrollments, page)
        return response

    async def WithdrawEnrollment(
        self, request: programs_pb2.WithdrawEnrollmentRequest, context: Context
    ) -> programs_pb2.Enrollment:
        """Withdraw an enrolment."""
        program_id = mappers.parse_id(request.program_id, "program_id")
        enrollment_id = mappers.parse_id(request.enrollment_id, "enrollment_id")
        return mappers.enrollment_to_proto(
            await self._enrollments.withdraw(current_identity(), program_id, enrollment_id)
        )

    async def ApproveEnrollment(
        self, request: programs_pb2.ApproveEnrollmentRequest, context: Context
    ) -> programs_pb2.Enrollment:
        """Approve a pending enrolment request."""
        program_id = mappers.parse_id(request.program_id, "program_id")
        enrollment_id = mappers.parse_id(request.enrollment_id, "enrollment_id")
        return mappers.enrollment_to_proto(
            await self._approvals.approve(current_identity(), program_id, enrollment_id)
        )

    async def UpdateEnrollment(
        self, request: programs_pb2.UpdateEnrollmentRequest, context: Context
    ) -> programs_pb2.Enrollment:
        """Override an enrolment's dates."""
        program_id = mappers.parse_id(request.program_id, "program_id")
        enrollment_id = mappers.parse_id(request.enrollment.enrollment_id, "enrollment.enrollment_id")
        changed = await self._date_overrides.update_dates(
            current_identity(),
            program_id,
            enrollment_id,
            frozenset(request.update_mask.paths),
            mappers.enrollment_request_from_proto(request.enrollment),
            request.reason,
        )
        return mappers.enrollment_to_proto(changed)

    async def MigrateEnrollments(
        self, request: programs_pb2.MigrateEnrollmentsRequest, context: Context
    ) -> programs_pb2.MigrateEnrollmentsResponse:
        """Migrate (or dry-run migrating) one page of enrolments to a newer version."""
        result = await self._maintenance.migrate(
            current_identity(),
            mappers.parse_id(request.program_id, "program_id"),
            request.target_version,
            list(request.learner_ids),
            validate_only=request.validate_only,
            requested=request.page_size,
            token=request.page_token,
        )
        return programs_pb2.MigrateEnrollmentsResponse(
            target_version=result.target_version,
            changes=[mappers.enrollment_change_to_proto(change) for change in result.changes],
            applied=result.applied,
            next_page_token=result.next_token,
        )

    async def RecomputeEnrollments(
        self, request: programs_pb2.RecomputeEnrollmentsRequest, context: Context
    ) -> programs_pb2.RecomputeEnrollmentsResponse:
        """Recompute (or dry-run recomputing) one page of a program's enrolments."""
        result = await self._maintenance.recompute(
            current_identity(),
            mappers.parse_id(request.program_id, "program_id"),
            validate_only=request.validate_only,
            requested=request.page_size,
            token=request.page_token,
        )
        return programs_pb2.RecomputeEnrollmentsResponse(
            changes=[mappers.enrollment_change_to_proto(change) for change in result.changes],
            examined_count=result.examined,
            applied=result.applied,
            next_page_token=result.next_token,
        )

    async def UpsertLearner(
        self, request: programs_pb2.UpsertLearnerRequest, context: Context
    ) -> programs_pb2.Learner:
        """Create or replace a directory entry."""
        entry = mappers.learner_from_proto(request.learner_id, request.learner)
        return mappers.learner_to_proto(await self._directory.upsert_learner(current_identity(), entry))

    async def GetLearner(
        self, request: programs_pb2.GetLearnerRequest, context: Context
    ) -> programs_pb2.Learner:
        """Return a directory entry."""
        return mappers.learner_to_proto(
            await self._directory.get_learner(current_identity(), request.learner_id)
        )

    async def ListLearners(
        self, request: programs_pb2.ListLearnersRequest, context: Context
    ) -> programs_pb2.ListLearnersResponse:
        """Return one page of the directory (managers: their reports)."""
        filters = LearnerFilter(
            team=request.team.strip() or None,
            include_inactive=request.include_inactive,
            query=request.query.strip() or None,
        )
        page, token = await self._directory.list_learners(
            current_identity(), filters, request.page_size, request.page_token
        )
        return programs_pb2.ListLearnersResponse(
            learners=[mappers.learner_to_proto(e) for e in page], next_page_token=token
        )

    async def BatchUpsertLearners(
        self, request: programs_pb2.BatchUpsertLearnersRequest, context: Context
    ) -> programs_pb2.BatchUpsertLearnersResponse:
        """Apply (or dry-run) a directory import."""
        rows = [mappers.learner_from_proto(row.learner_id, row.learner) for row in request.rows]
        plan = await self._directory.batch_upsert(
            current_identity(),
            rows,
            deactivate_missing=request.deactivate_missing,
            max_deactivation_percent=request.max_deactivation_percent,
            force=request.force,
            validate_only=request.validate_only,
        )
        return mappers.import_plan_to_proto(plan, applied=not request.validate_only and bool(plan.changes))

    async def Ping(self, request: programs_pb2.PingRequest, context: Context) -> programs_pb2.PingResponse:
        """Echo the verified caller without touching storage."""
        identity = current_identity()
        response = programs_pb2.PingResponse(
            service="programs",
            user_id=identity.user_id,
            tenant_id=str(identity.tenant_id),
            roles=sorted(role.value for role in identity.roles),
        )
        response.server_time.GetCurrentTime()
        return response
