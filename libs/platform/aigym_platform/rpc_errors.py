"""The error catalogue: domain error code -> gRPC status + public message + rich details."""

from __future__ import annotations

import logging

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2

from aigym_platform.errors import DomainError, ErrorCode

log = logging.getLogger(__name__)

ERROR_DOMAIN = "aigym"

CATALOGUE: dict[ErrorCode, grpc.StatusCode] = {
    ErrorCode.INVALID_ARGUMENT: grpc.StatusCode.INVALID_ARGUMENT,
    ErrorCode.NOT_FOUND: grpc.StatusCode.NOT_FOUND,
    ErrorCode.ALREADY_EXISTS: grpc.StatusCode.ALREADY_EXISTS,
    ErrorCode.PERMISSION_DENIED: grpc.StatusCode.PERMISSION_DENIED,
    ErrorCode.UNAUTHENTICATED: grpc.StatusCode.UNAUTHENTICATED,
    ErrorCode.FAILED_PRECONDITION: grpc.StatusCode.FAILED_PRECONDITION,
    ErrorCode.ABORTED: grpc.StatusCode.ABORTED,
    ErrorCode.RESOURCE_EXHAUSTED: grpc.StatusCode.RESOURCE_EXHAUSTED,
    ErrorCode.UNAVAILABLE: grpc.StatusCode.UNAVAILABLE,
}

INTERNAL_MESSAGE = "internal error; the incident was logged with the request id"


def _pack(message: object) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)  # type: ignore[arg-type]
    return packed


def to_status(error: DomainError, *, request_id: str = "") -> status_pb2.Status:
    """Build the google.rpc.Status for a domain error: ErrorInfo always, BadRequest for field violations."""
    grpc_code = CATALOGUE[error.code]
    status = status_pb2.Status(code=grpc_code.value[0], message=error.message)
    metadata = dict(error.metadata)
    if request_id:
        metadata["request_id"] = request_id
    status.details.append(
        _pack(error_details_pb2.ErrorInfo(reason=error.reason, domain=ERROR_DOMAIN, metadata=metadata))
    )
    if error.violations:
        bad_request = error_details_pb2.BadRequest(
            field_violations=[
                error_details_pb2.BadRequest.FieldViolation(
                    field=v.field, description=v.description, reason=v.reason
                )
                for v in error.violations
            ]
        )
        status.details.append(_pack(bad_request))
    return status


def internal_status(*, request_id: str = "") -> status_pb2.Status:
    """A sanitized INTERNAL status: no exception text ever reaches the client."""
    status = status_pb2.Status(code=code_pb2.INTERNAL, message=INTERNAL_MESSAGE)
    info = error_details_pb2.ErrorInfo(
        reason="INTERNAL", domain=ERROR_DOMAIN, metadata={"request_id": request_id}
    )
    status.details.append(_pack(info))
    return status


def status_code_of(status: status_pb2.Status) -> grpc.StatusCode:
    """The grpc.StatusCode enum member for a google.rpc.Status code number."""
    for code in grpc.StatusCode:
        if code.value[0] == status.code:
            return code
    return grpc.StatusCode.UNKNOWN
