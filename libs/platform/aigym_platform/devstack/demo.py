"""Demo data for `make run DEMO=1`: a tenant with a realistic catalogue, loaded through the public APIs."""

from __future__ import annotations

import uuid

import grpc

from aigym.programs.v1 import programs_pb2, programs_pb2_grpc
from aigym_platform.devstack.keys import DEV_AUDIENCE, DEV_ISSUER, DevKeys

DEMO_TENANT = uuid.UUID("00000000-0000-4000-8000-00000000a1a1")
DEMO_ADMIN = "demo-admin"

DEMO_PROGRAMS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "AI Foundations for Everyone",
        "What modern AI can and cannot do, with hands-on exercises.",
        ("ai", "foundations"),
    ),
    (
        "Prompt Engineering in Practice",
        "Writing, testing and reviewing prompts for daily work.",
        ("ai", "prompting"),
    ),
    ("Data Literacy", "Reading charts, questioning numbers, spotting misleading statistics.", ("data",)),
    (
        "Responsible AI and Compliance",
        "Privacy, bias, and the EU AI Act for teams that ship AI.",
        ("ai", "compliance"),
    ),
    (
        "Leading AI Transformation",
        "A six-month program for managers steering AI adoption.",
        ("leadership", "ai"),
    ),
)


def load_demo(keys: DevKeys, programs_port: int) -> int:
    """Create the demo catalogue (idempotent: request ids make reruns create nothing twice)."""
    token = keys.user_key.mint(
        issuer=DEV_ISSUER,
        audience=DEV_AUDIENCE,
        subject=DEMO_ADMIN,
        tenant_id=str(DEMO_TENANT),
        roles=["client_admin"],
        ttl_seconds=300,
    )
    metadata = (("authorization", f"Bearer {token}"),)
    with grpc.insecure_channel(f"127.0.0.1:{programs_port}") as channel:
        stub = programs_pb2_grpc.ProgramsServiceStub(channel)
        for index, (title, description, tags) in enumerate(DEMO_PROGRAMS):
            program = programs_pb2.Program(
                title=title,
                description=description,
                tags=list(tags),
                visibility=programs_pb2.VISIBILITY_PUBLIC,
                self_enrollment_allowed=index % 2 == 0,
            )
            stub.CreateProgram(
                programs_pb2.CreateProgramRequest(program=program, request_id=f"demo-program-{index}"),
                metadata=metadata,
                timeout=10,
            )
    return len(DEMO_PROGRAMS)
