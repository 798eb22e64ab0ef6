"""proto <-> domain conversion for the programs service."""

from __future__ import annotations

import uuid

from aigym.programs.v1 import programs_pb2
from aigym_platform.errors import InvalidArgument
from aigym_programs.domain import Program, ProgramDraft, ProgramState, Visibility
from aigym_programs.repository import ProgramFilter

_STATE_TO_PROTO = {
    ProgramState.DRAFT: programs_pb2.PROGRAM_STATE_DRAFT,
    ProgramState.PUBLISHED: programs_pb2.PROGRAM_STATE_PUBLISHED,
    ProgramState.ARCHIVED: programs_pb2.PROGRAM_STATE_ARCHIVED,
}
_STATE_FROM_PROTO = {v: k for k, v in _STATE_TO_PROTO.items()}
_VISIBILITY_TO_PROTO = {
    Visibility.PUBLIC: programs_pb2.VISIBILITY_PUBLIC,
    Visibility.RESTRICTED: programs_pb2.VISIBILITY_RESTRICTED,
}
_VISIBILITY_FROM_PROTO = {v: k for k, v in _VISIBILITY_TO_PROTO.items()}


def parse_id(value: str, field: str) -> uuid.UUID:
    """A UUID from a request field; INVALID_ARGUMENT naming the field otherwise."""
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise InvalidArgument.for_field(field, "must be a valid UUID", reason="INVALID_ID") from exc


def draft_from_proto(message: programs_pb2.Program) -> ProgramDraft:
    """The client-writable content of a Program message."""
    return ProgramDraft(
        title=message.title,
        description=message.description,
        tags=tuple(message.tags),
        visibility=_VISIBILITY_FROM_PROTO.get(message.visibility, Visibility.RESTRICTED),
        self_enrollment_allowed=message.self_enrollment_allowed,
    )


def program_to_proto(program: Program) -> programs_pb2.Program:
    """A stored program as its API resource."""
    message = programs_pb2.Program(
        program_id=str(program.program_id),
        title=program.content.title,
        description=program.content.description,
        tags=list(program.content.tags),
        visibility=_VISIBILITY_TO_PROTO[program.content.visibility],
        self_enrollment_allowed=program.content.self_enrollment_allowed,
        state=_STATE_TO_PROTO[program.state],
        etag=program.etag,
    )
    message.create_time.FromDatetime(program.create_time)
    message.update_time.FromDatetime(program.update_time)
    return message


def filter_from_proto(request: programs_pb2.ListProgramsRequest) -> ProgramFilter:
    """Listing filters from a ListProgramsRequest."""
    return ProgramFilter(
        state=_STATE_FROM_PROTO.get(request.state),
        tag=request.tag.strip().lower() or None,
        query=request.query.strip() or None,
    )
