"""Progress API through Envoy: no-op ceiling (Ping) vs recording completions and reading progress.

Registers course structures through the API, COPIES 10,000 learners' progress (1,000,000 completions) into
one tenant plus smaller noise tenants (bench/progress_data.py), then runs closed-loop phases against the
REST gateway and prints a table whose throughput column is a ratio to the no-op ceiling measured in the
same run. Targets (issue #4): reads >= 60 % of the ceiling, single writes >= 35 %, read p99 < 25 ms at
concurrency 16, roster first page p95 < 50 ms. Figures are recorded in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import uuid

import grpc

from aigym.progress.v1 import progress_pb2 as pb
from aigym.progress.v1 import progress_pb2_grpc
from aigym_platform.devstack.stack import DevStack
from bench.harness import (
    Request,
    RequestFactory,
    add_stack_arguments,
    load_summary,
    report,
    run_phases,
    running_stack,
)
from bench.programs_api import admin_token, user_token
from bench.progress_data import block_ids, copy_progress, learner_courses

LEARNER_TOKENS = 500  # distinct learners the per-learner phases rotate through


def course_ids(count: int) -> list[str]:
    """Stable course ids `course-001`..."""
    return [f"course-{i:03d}" for i in range(1, count + 1)]


async def define_courses(stack: DevStack, tenant: uuid.UUID, courses: list[str]) -> None:
    """Register every course's structure (required blocks `b00`...) through the gRPC API."""
    metadata = (("authorization", f"Bearer {admin_token(stack, tenant)}"),)
    blocks = [pb.Block(block_id=b, type=pb.BLOCK_TYPE_VIDEO, weight=1, required=True) for b in block_ids()]
    async with grpc.aio.insecure_channel(f"127.0.0.1:{stack.services['progress'].grpc_port}") as channel:
        stub = progress_pb2_grpc.ProgressServiceStub(channel)
        for course in courses:
            await stub.UpdateCourseStructure(
                pb.UpdateCourseStructureRequest(
                    course_id=course, structure=pb.CourseStructure(blocks=blocks)
                ),
                metadata=metadata,
            )


def phases(
    courses: list[str], per_learner: int, auth: dict[str, str], learners: list[tuple[int, dict[str, str]]]
) -> list[tuple[str, RequestFactory]]:
    """The measured request mixes, the no-op ceiling first."""
    blocks = block_ids()

    def read(i: int) -> Request:
        index, headers = learners[i % len(learners)]
        course = learner_courses(index, courses, per_learner)[i % per_learner]
        return Request("GET", f"/v1/learners/me/courses/{course}/progress", headers)

    def write(i: int) -> Request:
        index, headers = learners[i % len(learners)]
        course = learner_courses(index, courses, per_learner)[i % per_learner]
        body = {"learnerId": "me", "courseId": course, "blockId": blocks[i % len(blocks)], "value": 0.9}
        return Request(
            "POST",
            "/v1/completions",
            {**headers, "content-type": "application/json"},
            json.dumps(body).encode(),
        )

    return [
        ("no-op ceiling (Ping)", lambda _: Request("GET", "/v1/progress:ping", auth)),
        ("GetCourseProgress (learner, 10 blocks)", read),
        ("CreateCompletion (write + audit)", write),
        (
            "roster first page (50, by learner)",
            lambda i: Request("GET", f"/v1/courses/{courses[i % len(courses)]}/roster?pageSize=50", auth),
        ),
        (
            "roster first page (50, percent desc)",
            lambda i: Request(
                "GET",
                f"/v1/courses/{courses[i % len(courses)]}/roster?pageSize=50&orderBy=percent%20desc",
                auth,
            ),
        ),
    ]


async def run(stack: DevStack, args: argparse.Namespace) -> None:
    """Seed, measure every phase, print the table."""
    tenant, courses = uuid.uuid4(), course_ids(args.courses)
    learners = [f"learner-{i:05d}" for i in range(1, args.learners + 1)]
    app_url = stack.services["progress"].database.app_url
    await define_courses(stack, tenant, courses)
    written = await copy_progress(app_url, tenant, learners, courses, args.courses_per_learner)
    for _ in range(args.noise_tenants):
        noise = uuid.uuid4()
        await define_courses(stack, noise, courses)
        await copy_progress(
            app_url, noise, learners[: args.learners // 10], courses, args.courses_per_learner
        )
    auth = {"authorization": f"Bearer {admin_token(stack, tenant)}"}
    learner_auth = [
        (i, {"authorization": f"Bearer {user_token(stack, tenant, learners[i], 'learner')}"})
        for i in range(min(LEARNER_TOKENS, len(learners)))
    ]
    measured = phases(courses, args.courses_per_learner, auth, learner_auth)
    results = await run_phases(stack, measured, args, "progress")
    print(
        f"\nprogress API through Envoy ({load_summary(args)}), "
        f"{written} completions of {args.learners} learners in {args.courses} courses in the measured tenant "
        f"({args.noise_tenants} other tenants with a tenth each)\n"
    )
    print(report(results, results[0]))


def main() -> None:
    """Parse flags, start a throwaway stack, run."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--learners", type=int, default=10_000, help="learners in the measured tenant")
    parser.add_argument("--courses", type=int, default=20, help="courses (10 required blocks each)")
    parser.add_argument(
        "--courses-per-learner",
        type=int,
        default=5,
        help="courses each learner works on (20 completions each)",
    )
    parser.add_argument(
        "--noise-tenants", type=int, default=2, help="other tenants (a tenth of the learners)"
    )
    add_stack_arguments(parser)
    args = parser.parse_args()
    with running_stack(args.replicas, shared_buffers=args.shared_buffers) as stack:
        asyncio.run(run(stack, args))


if __name__ == "__main__":
    main()
