"""The programs service as the path validator sees it: enrolments and immutable program versions (gRPC).

Calls carry a short-lived service token for the caller's tenant (never the user's token: a learner may not
read their own enrolment's program structure through every RPC, but the validator must). Published
versions are immutable, so they are cached per (tenant, program, version) for the life of the process.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from typing import Protocol

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from aigym.programs.v1 import programs_pb2 as pb
from aigym.programs.v1 import programs_pb2_grpc
from aigym_platform.client import ServiceTokens
from aigym_platform.errors import FailedPrecondition, NotFound, Unavailable
from aigym_platform.identity import TenantId
from aigym_progress.path import EnrollmentStatus, EnrollmentView, NodeKind, PathNode, ProgramTree, Rule

_STATUS = {
    pb.ENROLLMENT_STATE_PENDING_APPROVAL: EnrollmentStatus.PENDING,
    pb.ENROLLMENT_STATE_ACTIVE: EnrollmentStatus.ACTIVE,
    pb.ENROLLMENT_STATE_COMPLETED: EnrollmentStatus.COMPLETED,
    pb.ENROLLMENT_STATE_WITHDRAWN: EnrollmentStatus.WITHDRAWN,
    pb.ENROLLMENT_STATE_EXPIRED: EnrollmentStatus.EXPIRED,
}
# When a learner has several enrolments in one program (withdrawn, then enrolled again), the most useful
# one decides: an active one first, then completed, pending, expired, withdrawn.
_PREFERENCE = [
    EnrollmentStatus.ACTIVE,
    EnrollmentStatus.COMPLETED,
    EnrollmentStatus.PENDING,
    EnrollmentStatus.EXPIRED,
    EnrollmentStatus.WITHDRAWN,
]
_KIND = {
    pb.NODE_KIND_COURSE: NodeKind.COURSE,
    pb.NODE_KIND_SET: NodeKind.SET,
    pb.NODE_KIND_MILESTONE: NodeKind.MILESTONE,
}
_RULE = {
    pb.COMPLETION_RULE_ALL_IN_ORDER: Rule.ALL_IN_ORDER,
    pb.COMPLETION_RULE_ALL_ANY_ORDER: Rule.ALL_ANY_ORDER,
    pb.COMPLETION_RULE_AT_LEAST_N: Rule.AT_LEAST_N,
    pb.COMPLETION_RULE_MIN_POINTS: Rule.MIN_POINTS,
}
MAX_PAGES = 20


class ProgramsDirectory(Protocol):
    """What the path validator needs from the programs service (a fake implements the same protocol)."""

    async def enrollment(self, tenant: TenantId, learner_id: str, program_id: str) -> EnrollmentView | None:
        """The learner's enrolment in the program that decides access, or None."""

    async def current_version(self, tenant: TenantId, program_id: str) -> int:
        """The program's latest published version; NotFound for unknown or never published programs."""

    async def program_version(self, tenant: TenantId, program_id: str, version: int) -> ProgramTree:
        """One published version's tree; NotFound if it does not exist."""


def _time(stamp: Timestamp, present: bool) -> dt.datetime | None:
    return stamp.ToDatetime(dt.UTC) if present else None


def tree_from_proto(version: pb.ProgramVersion) -> ProgramTree:
    """A published program version as the validator's tree."""
    nodes = tuple(
        PathNode(
            node_id=n.node_id,
            parent_id=n.parent_id,
            kind=_KIND[n.kind],
            title=n.title,
            course_id=n.course_id,
            rule=_RULE.get(n.rule),
            required_count=n.required_count,
            required_points=n.required_points,
            points=n.points,
            start_delay=n.start_delay.ToTimedelta() if n.HasField("start_delay") else None,
            due_offset=n.due_offset.ToTimedelta() if n.HasField("due_offset") else None,
        )
        for n in version.structure.nodes
    )
    return ProgramTree(version.program_id, version.version, nodes)


def _translate(error: grpc.aio.AioRpcError, what: str) -> Exception:
    if error.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
        return NotFound(f"{what} not found", reason="PROGRAM_NOT_FOUND")
    if error.code() in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED):
        # A configuration mistake (the service signing key or its JWKS), not something a retry mends.
        return FailedPrecondition(
            f"the programs service refused this service's token ({error.code().name}): check the service "
            "signing key and the programs service's service JWKS",
            reason="PROGRAMS_REFUSED",
        )
    return Unavailable(
        f"the programs service did not answer ({error.code().name}); retry", reason="PROGRAMS_UNAVAILABLE"
    )


class GrpcProgramsDirectory:
    """ProgramsDirectory over the programs service's gRPC API, with service tokens and a version cache."""

    def __init__(self, channel: grpc.aio.Channel, tokens: ServiceTokens, *, cache_size: int = 512) -> None:
        self._stub = programs_pb2_grpc.ProgramsServiceStub(channel)
        self._tokens = tokens
        self._cache: OrderedDict[tuple[TenantId, str, int], ProgramTree] = OrderedDict()
        self._cache_size = cache_size

    def _metadata(self, tenant: TenantId) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self._tokens.token_for(tenant)}"),)

    async def enrollment(self, tenant: TenantId, learner_id: str, program_id: str) -> EnrollmentView | None:
        """The learner's enrolment in the program that decides access, or None."""
        found: list[pb.Enrollment] = []
        token = ""
        for _ in range(MAX_PAGES):
            try:
                page = await self._stub.ListLearnerEnrollments(
                    pb.ListLearnerEnrollmentsRequest(learner_id=learner_id, page_size=200, page_token=token),
                    metadata=self._metadata(tenant),
                    timeout=5,
                )
            except grpc.aio.AioRpcError as error:
                raise _translate(error, f"enrolments of {learner_id}") from None
            found.extend(e for e in page.enrollments if e.program_id == program_id)
            token = page.next_page_token
            if not token:
                break
        views = [
            EnrollmentView(
                status=_STATUS[e.state],
                version=e.program_version,
                start_time=e.start_time.ToDatetime(dt.UTC),
                end_time=_time(e.end_time, e.HasField("end_time")),
                due_time=_time(e.due_time, e.HasField("due_time")),
            )
            for e in found
            if e.state in _STATUS
        ]
        return min(views, key=lambda v: _PREFERENCE.index(v.status), default=None)

    async def current_version(self, tenant: TenantId, program_id: str) -> int:
        """The program's latest published version; NotFound for unknown or never published programs."""
        try:
            program = await self._stub.GetProgram(
                pb.GetProgramRequest(program_id=program_id), metadata=self._metadata(tenant), timeout=5
            )
        except grpc.aio.AioRpcError as error:
            raise _translate(error, f"program {program_id}") from None
        if program.current_version < 1:
            raise NotFound(f"program {program_id} has no published version", reason="PROGRAM_NOT_FOUND")
        return int(program.current_version)

    async def program_version(self, tenant: TenantId, program_id: str, version: int) -> ProgramTree:
        """One published version's tree (cached: versions never change); NotFound if it does not exist."""
        key = (tenant, program_id, version)
        if (cached := self._cache.get(key)) is not None:
            self._cache.move_to_end(key)
            return cached
        try:
            published = await self._stub.GetProgramVersion(
                pb.GetProgramVersionRequest(program_id=program_id, version=version),
                metadata=self._metadata(tenant),
                timeout=5,
            )
        except grpc.aio.AioRpcError as error:
            raise _translate(error, f"version {version} of program {program_id}") from None
        tree = tree_from_proto(published)
        self._cache[key] = tree
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return tree


class UnconfiguredPrograms:
    """Stands in when no service signing key is configured: every path question is FAILED_PRECONDITION."""

    def _refuse(self) -> Exception:
        return FailedPrecondition(
            "path validation needs AIGYM_SERVICE_SIGNING_KEY_FILE to call the programs service",
            reason="PROGRAMS_NOT_CONFIGURED",
        )

    async def enrollment(self, tenant: TenantId, learner_id: str, program_id: str) -> EnrollmentView | None:
        """Refuse (not configured)."""
        raise self._refuse()

    async def current_version(self, tenant: TenantId, program_id: str) -> int:
        """Refuse (not configured)."""
        raise self._refuse()

    async def program_version(self, tenant: TenantId, program_id: str, version: int) -> ProgramTree:
        """Refuse (not configured)."""
        raise self._refuse()
