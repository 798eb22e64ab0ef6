"""Domain errors with stable codes. Nothing here imports gRPC: `rpc_errors` maps codes to statuses."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar


class ErrorCode(enum.StrEnum):
    """Stable error classes; each maps to one gRPC status in the catalogue (rpc_errors.CATALOGUE)."""

    INVALID_ARGUMENT = "INVALID_ARGUMENT"
    NOT_FOUND = "NOT_FOUND"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FAILED_PRECONDITION = "FAILED_PRECONDITION"
    ABORTED = "ABORTED"
    RESOURCE_EXHAUSTED = "RESOURCE_EXHAUSTED"
    UNAVAILABLE = "UNAVAILABLE"


@dataclass(frozen=True, slots=True)
class FieldViolation:
    """One invalid field: `field` is a dotted path in the request (`program.title`)."""

    field: str
    description: str
    reason: str = ""


class DomainError(Exception):
    """Base of every expected error. `reason` is a stable UPPER_SNAKE identifier clients may switch on."""

    code: ClassVar[ErrorCode] = ErrorCode.FAILED_PRECONDITION
    default_reason: ClassVar[str] = "FAILED_PRECONDITION"

    def __init__(
        self,
        message: str,
        *,
        reason: str | None = None,
        violations: Sequence[FieldViolation] = (),
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason or self.default_reason
        self.violations = tuple(violations)
        self.metadata = dict(metadata or {})


class InvalidArgument(DomainError):
    """The request is malformed or breaks a domain rule about its own content."""

    code = ErrorCode.INVALID_ARGUMENT
    default_reason = "INVALID_ARGUMENT"

    @classmethod
    def for_field(cls, field: str, description: str, *, reason: str = "") -> InvalidArgument:
        """An InvalidArgument carrying a single field violation."""
        return cls(f"{field}: {description}", violations=[FieldViolation(field, description, reason)])


class NotFound(DomainError):
    """The resource does not exist in the caller's tenant (other tenants' resources are not found too)."""

    code = ErrorCode.NOT_FOUND
    default_reason = "NOT_FOUND"


class AlreadyExists(DomainError):
    """A resource with the same unique key exists."""

    code = ErrorCode.ALREADY_EXISTS
    default_reason = "ALREADY_EXISTS"


class PermissionDenied(DomainError):
    """The caller is authenticated but lacks the role or relationship the action needs."""

    code = ErrorCode.PERMISSION_DENIED
    default_reason = "PERMISSION_DENIED"


class Unauthenticated(DomainError):
    """No valid credentials accompany the call."""

    code = ErrorCode.UNAUTHENTICATED
    default_reason = "UNAUTHENTICATED"


class FailedPrecondition(DomainError):
    """The resource is not in a state that allows the action (e.g. deleting a published program)."""

    code = ErrorCode.FAILED_PRECONDITION
    default_reason = "FAILED_PRECONDITION"


class Aborted(DomainError):
    """A concurrency conflict (stale etag, serialization failure); the client may retry."""

    code = ErrorCode.ABORTED
    default_reason = "ABORTED"


class Unavailable(DomainError):
    """The service cannot take the call right now (shutting down, dependency down); retrying is safe."""

    code = ErrorCode.UNAVAILABLE
    default_reason = "UNAVAILABLE"


class ResourceExhausted(DomainError):
    """A quota or size limit was reached."""

    code = ErrorCode.RESOURCE_EXHAUSTED
    default_reason = "RESOURCE_EXHAUSTED"
