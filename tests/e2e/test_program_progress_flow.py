"""Cross-service flow through Envoy: course completions in progress complete a program enrolment in programs.

A learner finishes the courses of a two-set program via the progress service's REST API; its
course_completed events travel outbox -> relay -> Redis -> programs worker -> inbox, and the enrolment in
the programs service shows completed within two seconds of the last completion.
"""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

from tests.e2e.conftest import Tokens

pytestmark = pytest.mark.e2e

COURSES = ("ai-basics", "prompting", "ethics", "data-101")


def program_body() -> dict[str, object]:
    return {
        "title": "AI Practitioner",
        "visibility": "VISIBILITY_PUBLIC",
        "structure": {
            "nodes": [
                {"nodeId": "root", "kind": "NODE_KIND_SET", "rule": "COMPLETION_RULE_ALL_IN_ORDER"},
                {
                    "nodeId": "core",
                    "parentId": "root",
                    "kind": "NODE_KIND_SET",
                    "rule": "COMPLETION_RULE_ALL_ANY_ORDER",
                },
                {"nodeId": "c1", "parentId": "core", "kind": "NODE_KIND_COURSE", "courseId": COURSES[0]},
                {"nodeId": "c2", "parentId": "core", "kind": "NODE_KIND_COURSE", "courseId": COURSES[1]},
                {"nodeId": "m", "parentId": "root", "kind": "NODE_KIND_MILESTONE", "title": "Core done"},
                {
                    "nodeId": "electives",
                    "parentId": "root",
                    "kind": "NODE_KIND_SET",
                    "rule": "COMPLETION_RULE_AT_LEAST_N",
                    "requiredCount": 1,
                },
                {"nodeId": "c3", "parentId": "electives", "kind": "NODE_KIND_COURSE", "courseId": COURSES[2]},
                {"nodeId": "c4", "parentId": "electives", "kind": "NODE_KIND_COURSE", "courseId": COURSES[3]},
            ]
        },
    }


def ok(response: httpx.Response) -> dict[str, object]:
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def enrollment_of(
    gateway: httpx.Client, headers: dict[str, str], program_id: str, enrollment_id: str
) -> dict[str, object]:
    return ok(gateway.get(f"/v1/programs/{program_id}/enrollments/{enrollment_id}", headers=headers))


def test_completing_the_courses_completes_the_enrollment_within_two_seconds(
    gateway: httpx.Client, tokens: Tokens
) -> None:
    tenant = uuid.uuid4()
    admin = tokens.headers(tenant, "client_admin", user="admin")
    learner = tokens.headers(tenant, "learner", user="lena")
    for course in COURSES:
        ok(
            gateway.put(
                f"/v1/courses/{course}/structure",
                headers=admin,
                json={
                    "blocks": [
                        {"blockId": "intro", "type": "BLOCK_TYPE_VIDEO", "weight": 1, "required": True},
                        {"blockId": "quiz", "type": "BLOCK_TYPE_QUIZ", "weight": 2, "required": True},
                    ]
                },
            )
        )
    program_id = str(ok(gateway.post("/v1/programs", headers=admin, json=program_body()))["programId"])
    ok(gateway.post(f"/v1/programs/{program_id}:publish", headers=admin, json={}))
    enrollment_id = str(
        ok(gateway.post(f"/v1/programs/{program_id}/enrollments", headers=admin, json={"learnerId": "lena"}))[
            "enrollmentId"
        ]
    )

    def complete(course: str) -> float:
        for block in ("intro", "quiz"):
            ok(
                gateway.post(
                    "/v1/completions",
                    headers=learner,
                    json={
                        "learnerId": "me",
                        "courseId": course,
                        "blockId": block,
                        "value": 1,
                        "score": 0.9,
                        "requestId": f"{course}-{block}",
                    },
                )
            )
        return time.monotonic()

    def wait_for(predicate: object, deadline: float) -> dict[str, object]:
        while True:
            state = enrollment_of(gateway, learner, program_id, enrollment_id)
            if predicate(state):  # type: ignore[operator]
                return state
            assert time.monotonic() < deadline, f"enrolment did not progress in time: {state}"
            time.sleep(0.05)

    complete(COURSES[0])
    done_at = complete(COURSES[1])
    # The first events also wait for the stack's Celery worker to finish starting (10-20 s on a busy
    # 2-core machine); the 2-second claim is measured below, once the worker is demonstrably running.
    core = wait_for(lambda s: "m" in s.get("reachedMilestones", []), done_at + 60)
    assert core["state"] == "ENROLLMENT_STATE_ACTIVE"
    assert sorted(core["completedCourseIds"]) == sorted(COURSES[:2])  # type: ignore[arg-type]
    last = complete(COURSES[3])
    finished = wait_for(lambda s: s["state"] == "ENROLLMENT_STATE_COMPLETED", last + 2.0)
    assert finished["progress"] == 1
    assert "completeTime" in finished
