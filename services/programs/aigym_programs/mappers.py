"""proto <-> domain conversion for the programs service."""

from __future__ import annotations

import datetime as dt
import uuid

from google.protobuf import duration_pb2

from aigym.programs.v1 import programs_pb2
from aigym_platform.errors import InvalidArgument
from aigym_programs.domain import Program, ProgramDraft, ProgramState, ProgramVersion, Visibility
from aigym_programs.repository import ProgramFilter
from aigym_programs.structure import Node, NodeKind, Rule, Structure

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


_KIND_FROM_PROTO = {
    programs_pb2.NODE_KIND_COURSE: NodeKind.COURSE,
    programs_pb2.NODE_KIND_SET: NodeKind.SET,
    programs_pb2.NODE_KIND_MILESTONE: NodeKind.MILESTONE,
}
_KIND_TO_PROTO = {v: k for k, v in _KIND_FROM_PROTO.items()}
_RULE_FROM_PROTO = {
    programs_pb2.COMPLETION_RULE_ALL_IN_ORDER: Rule.ALL_IN_ORDER,
    programs_pb2.COMPLETION_RULE_ALL_ANY_ORDER: Rule.ALL_ANY_ORDER,
    programs_pb2.COMPLETION_RULE_AT_LEAST_N: Rule.AT_LEAST_N,
    programs_pb2.COMPLETION_RULE_MIN_POINTS: Rule.MIN_POINTS,
}
_RULE_TO_PROTO = {v: k for k, v in _RULE_FROM_PROTO.items()}


def _duration(message: programs_pb2.ProgramNode, name: str) -> dt.timedelta | None:
    return getattr(message, name).ToTimedelta() if message.HasField(name) else None


def nodes_from_proto(structure: programs_pb2.ProgramStructure) -> list[Node]:
    """Structure nodes as the client sent them (validated by the domain)."""
    return [
        Node(
            node_id=n.node_id,
            kind=_KIND_FROM_PROTO[n.kind],
            parent_id=n.parent_id,
            title=n.title.strip(),
            course_id=n.course_id.strip(),
            rule=_RULE_FROM_PROTO.get(n.rule),
            required_count=n.required_count,
            required_points=n.required_points,
            points=n.points,
            start_delay=_duration(n, "start_delay"),
            due_offset=_duration(n, "due_offset"),
        )
        for n in structure.nodes
    ]


def structure_to_proto(structure: Structure) -> programs_pb2.ProgramStructure:
    """A structure as its API message."""
    message = programs_pb2.ProgramStructure()
    for node in structure.nodes:
        item = message.nodes.add(
            node_id=node.node_id,
            parent_id=node.parent_id,
            kind=_KIND_TO_PROTO[node.kind],
            title=node.title,
            course_id=node.course_id,
            rule=_RULE_TO_PROTO[node.rule] if node.rule else programs_pb2.COMPLETION_RULE_UNSPECIFIED,
            required_count=node.required_count,
            required_points=node.required_points,
            points=node.points,
        )
        for name in ("start_delay", "due_offset"):
            value = getattr(node, name)
            if value is not None:
                duration = duration_pb2.Duration()
                duration.FromTimedelta(value)
                getattr(item, name).CopyFrom(duration)
    return message


def version_to_proto(version: ProgramVersion) -> programs_pb2.ProgramVersion:
    """A published version as its API resource."""
    message = programs_pb2.ProgramVersion(
        program_id=str(version.program_id),
        version=version.version,
        title=version.title,
        description=version.description,
        structure=structure_to_proto(version.structure),
        published_by=version.published_by,
    )
    message.publish_time.FromDatetime(version.publish_time)
    return message


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
        structure=structure_to_proto(program.structure),
        current_version=program.current_version,
        has_unpublished_changes=program.has_unpublished_changes,
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
