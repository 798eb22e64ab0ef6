"""Programs API through Envoy: no-op ceiling (Ping) vs reads and writes, at fixed concurrency.

Seeds one big tenant (plus noise tenants) through the gRPC API, then runs closed-loop phases against the
REST gateway and prints a table whose throughput column is a ratio to the no-op ceiling measured in the
same run. Figures are recorded in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import uuid

import grpc

from aigym.programs.v1 import programs_pb2 as pb
from aigym.programs.v1 import programs_pb2_grpc
from aigym_platform.devstack.keys import DEV_AUDIENCE, DEV_ISSUER
from aigym_platform.devstack.stack import DevStack
from bench.harness import (
    Request,
    RequestFactory,
    add_stack_arguments,
    load_summary,
    progress,
    report,
    run_phases,
    running_stack,
)
from bench.programs_data import copy_enrollments, learner_ids


def admin_token(stack: DevStack, tenant: uuid.UUID) -> str:
    """A client_admin token of `tenant` signed with the stack's dev key."""
    return user_token(stack, tenant, "bench-admin", "client_admin")


def user_token(stack: DevStack, tenant: uuid.UUID, user: str, role: str) -> str:
    """A token of `user` with `role` in `tenant`, signed with the stack's dev key."""
    assert stack.keys is not None
    return stack.keys.user_key.mint(
        issuer=DEV_ISSUER,
        audience=DEV_AUDIENCE,
        subject=user,
        tenant_id=str(tenant),
        roles=[role],
        ttl_seconds=3600,
    )


async def seed(stack: DevStack, tenant: uuid.UUID, count: int) -> list[str]:
    """Create and publish `count` programs in `tenant` through the gRPC API (20 concurrent calls)."""
    metadata = (("authorization", f"Bearer {admin_token(stack, tenant)}"),)
    ids: list[str] = []
    async with grpc.aio.insecure_channel(f"127.0.0.1:{stack.services['programs'].grpc_port}") as channel:
        stub = programs_pb2_grpc.ProgramsServiceStub(channel)
        semaphore = asyncio.Semaphore(20)

        async def one(i: int) -> None:
            async with semaphore:
                program = pb.Program(
                    title=f"Program {i:05d}",
                    description="seeded for benchmarks",
                    tags=[f"t{i % 10}"],
                    visibility=pb.VISIBILITY_PUBLIC,
                    structure=STRUCTURE,
                )
                created = await stub.CreateProgram(
                    pb.CreateProgramRequest(program=program), metadata=metadata
                )
                await stub.PublishProgram(
                    pb.PublishProgramRequest(program_id=created.program_id), metadata=metadata
                )
                ids.append(created.program_id)
                if len(ids) % 50 == 0 or len(ids) == count:
                    progress(f"seeding tenant {str(tenant)[:8]}", len(ids), count)

        await asyncio.gather(*(one(i) for i in range(count)))
    return ids


STRUCTURE = pb.ProgramStructure(
    nodes=[
        pb.ProgramNode(node_id="root", kind=pb.NODE_KIND_SET, rule=pb.COMPLETION_RULE_ALL_ANY_ORDER),
        pb.ProgramNode(node_id="c1", parent_id="root", kind=pb.NODE_KIND_COURSE, course_id="course-1"),
        pb.ProgramNode(node_id="c2", parent_id="root", kind=pb.NODE_KIND_COURSE, course_id="course-2"),
    ]
)
LEARNER_TOKENS = 500  # distinct learners whose "my programs" pages the phase rotates through


def phases(
    ids: list[str], auth: dict[str, str], learner_auth: list[dict[str, str]]
) -> list[tuple[str, RequestFactory]]:
    """The measured request mixes, the no-op ceiling first."""
    json_auth = {**auth, "content-type": "application/json"}

    def create(i: int) -> Request:
        return Request("POST", "/v1/programs", json_auth, json.dumps({"title": f"Bench {i}"}).encode())

    return [
        ("no-op ceiling (Ping)", lambda _: Request("GET", "/v1/programs:ping", auth)),
        ("GetProgram", lambda i: Request("GET", f"/v1/programs/{ids[i % len(ids)]}", auth)),
        ("ListPrograms first page (50, BASIC)", lambda _: Request("GET", "/v1/programs?pageSize=50", auth)),
        (
            "ListPrograms first page (50, FULL)",
            lambda _: Request("GET", "/v1/programs?pageSize=50&view=PROGRAM_VIEW_FULL", auth),
        ),
        (
            '"my programs" (ListLearnerEnrollments me)',
            lambda i: Request("GET", "/v1/learners/me/enrollments", learner_auth[i % len(learner_auth)]),
        ),
        (
            "admin enrolment list (first 50)",
            lambda i: Request("GET", f"/v1/programs/{ids[i % len(ids)]}/enrollments?pageSize=50", auth),
        ),
        (
            "admin list, active + progress >= 0.5",
            lambda i: Request(
                "GET",
                f"/v1/programs/{ids[i % len(ids)]}/enrollments?state=ENROLLMENT_STATE_ACTIVE&minProgress=0.5",
                auth,
            ),
        ),
        ("CreateProgram (write + audit)", create),
    ]


async def run(stack: DevStack, args: argparse.Namespace) -> None:
    """Seed, measure every phase, print the table."""
    tenant = uuid.uuid4()
    ids = await seed(stack, tenant, args.programs)
    app_url = stack.services["programs"].database.app_url
    learners = learner_ids(args.learners)
    await copy_enrollments(app_url, tenant, ids, learners, args.enrollments)
    for _ in range(args.noise_tenants):
        noise = uuid.uuid4()
        noise_ids = await seed(stack, noise, args.programs // 5)
        await copy_enrollments(app_url, noise, noise_ids, learners[:1000], args.enrollments // 10)
    auth = {"authorization": f"Bearer {admin_token(stack, tenant)}"}
    learner_auth = [
        {"authorization": f"Bearer {user_token(stack, tenant, learner, 'learner')}"}
        for learner in learners[:LEARNER_TOKENS]
    ]
    results = await run_phases(stack, phases(ids, auth, learner_auth), args, "programs")
    print(
        f"\nprograms API through Envoy ({load_summary(args)}), "
        f"{args.programs} programs, {args.enrollments} enrolments of {args.learners} learners in the "
        f"measured tenant ({args.noise_tenants} other tenants)\n"
    )
    print(report(results, results[0]))


def main() -> None:
    """Parse flags, start a throwaway stack, run."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--programs", type=int, default=1000, help="programs in the measured tenant")
    parser.add_argument("--enrollments", type=int, default=100_000, help="enrolments in the measured tenant")
    parser.add_argument("--learners", type=int, default=10_000, help="learners they are spread over")
    parser.add_argument(
        "--noise-tenants", type=int, default=2, help="other tenants (each with programs/5, enrolments/10)"
    )
    add_stack_arguments(parser)
    args = parser.parse_args()
    with running_stack(args.replicas, shared_buffers=args.shared_buffers) as stack:
        asyncio.run(run(stack, args))


if __name__ == "__main__":
    main()
