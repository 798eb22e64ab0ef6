"""End to end through Envoy: a completed enrolment reopened by a course reset (recertification) and completed
again. Programs announces the reopening (enrollment_reopened) through the outbox, relay and workers:
analytics stops counting the completion and counts the re-completion once; the program badge awarded for
the first completion stays valid and is not awarded a second time.

Path: progress course_completed / progress_reset -> relay -> programs worker (enrolment completes, reopens,
completes) -> enrollment_completed / enrollment_reopened -> relay -> analytics and achievements workers.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Tokens
from tests.e2e.test_achievements_flow import one_block_program

pytestmark = pytest.mark.e2e

COURSES = ("recert-basics", "recert-practice")


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def wait_for(
    read: Callable[[], dict[str, Any]], done: Callable[[dict[str, Any]], bool], seconds: float
) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        state = read()
        if done(state):
            return state
        assert time.monotonic() < deadline, f"not reached in {seconds} s: {state}"
        time.sleep(0.1)


def test_a_reopened_enrolment_is_uncounted_and_its_recompletion_counted_once(
    gateway: httpx.Client, tokens: Tokens
) -> None:
    tenant = uuid.uuid4()
    admin = tokens.headers(tenant, "client_admin", user="admin")
    learner = tokens.headers(tenant, "learner", user="rea")
    program_id = one_block_program(gateway, admin, "Recert", COURSES)

    def program_badge(name: str) -> dict[str, Any]:
        body = {
            "displayName": name,
            "criteriaNarrative": "Complete Recert",
            "programId": program_id,
            "rule": {"programCompleted": {}},
        }
        created = ok(gateway.post("/v1/badges", headers=admin, json=body))
        return ok(gateway.post(f"/v1/badges/{created['badgeId']}:activate", headers=admin, json={}))

    badge = program_badge("Recert Graduate")
    enrollment = ok(
        gateway.post(f"/v1/programs/{program_id}/enrollments", headers=admin, json={"learnerId": "rea"})
    )
    enrollment_path = f"/v1/programs/{program_id}/enrollments/{enrollment['enrollmentId']}"

    def complete(course: str) -> None:
        body = {"learnerId": "me", "courseId": course, "blockId": "only", "value": 1}
        ok(gateway.post("/v1/completions", headers=learner, json=body))

    def enrolment() -> dict[str, Any]:
        return ok(gateway.get(enrollment_path, headers=admin))

    today = dt.datetime.now(dt.UTC).date()
    span = {"range.startDate": (today - dt.timedelta(days=1)).isoformat(), "range.endDate": today.isoformat()}

    def performance() -> dict[str, Any]:
        response = gateway.get(f"/v1/analytics/programs/{program_id}", headers=admin, params=span)
        if response.status_code == 404:  # analytics has not heard of the program yet
            return {"completed": None, "program_completions": None}
        body = ok(response)
        return {
            "completed": {s["key"]: int(s.get("enrollments", 0)) for s in body.get("funnel", [])}.get(
                "completed"
            ),
            "program_completions": sum(int(p.get("programCompletions", 0)) for p in body.get("points", [])),
        }

    def awards(of: dict[str, Any] = badge) -> dict[str, Any]:
        return ok(gateway.get(f"/v1/badges/{of['badgeId']}/awards", headers=admin))

    for course in COURSES:
        complete(course)
    # The first events also wait for the stack's workers to start (slow on a busy machine).
    wait_for(enrolment, lambda e: e["state"] == "ENROLLMENT_STATE_COMPLETED", 90)
    assert wait_for(performance, lambda p: p["completed"] == 1, 90) == {
        "completed": 1,
        "program_completions": 1,
    }
    (award,) = wait_for(awards, lambda a: len(a.get("awards", [])) == 1, 90)["awards"]

    # Recertification: an admin resets one course; the enrolment reopens and analytics stops counting it.
    reset = f"/v1/learners/rea/courses/{COURSES[0]}/progress:reset"
    ok(gateway.post(reset, headers=admin, json={"reason": "annual recertification"}))
    reopened = wait_for(enrolment, lambda e: e["state"] == "ENROLLMENT_STATE_ACTIVE", 30)
    assert "completeTime" not in reopened
    assert wait_for(performance, lambda p: p["completed"] == 0, 30) == {
        "completed": 0,
        "program_completions": 0,
    }
    assert awards()["awards"] == [award]  # the badge stays
    credential = ok(gateway.get(f"/v1/credentials/{award['credentialId']}"))
    assert credential["status"] == "CREDENTIAL_STATUS_ACTIVE"

    # Completed again: counted once, and no second badge. A badge activated meanwhile (no backfill) is
    # earned by the re-completion alone: once it shows, achievements has handled that event.
    recertified = program_badge("Recertified")
    complete(COURSES[0])
    wait_for(enrolment, lambda e: e["state"] == "ENROLLMENT_STATE_COMPLETED", 30)
    assert wait_for(performance, lambda p: p["completed"] == 1, 30) == {
        "completed": 1,
        "program_completions": 1,
    }
    wait_for(lambda: awards(recertified), lambda a: len(a.get("awards", [])) == 1, 30)
    assert awards()["awards"] == [award]
