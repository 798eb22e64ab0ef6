"""The progress API over REST through the real Envoy: structures, completions, progress, roles, tenancy."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.e2e.conftest import Tokens

pytestmark = pytest.mark.e2e

COURSE = "e2e-course"
BLOCKS = [
    {"blockId": "intro", "type": "BLOCK_TYPE_VIDEO", "weight": 1, "required": True},
    {"blockId": "quiz", "type": "BLOCK_TYPE_QUIZ", "weight": 3, "required": True, "minScore": 0.7},
]


def define_course(gateway: httpx.Client, tokens: Tokens, tenant: uuid.UUID) -> dict[str, object]:
    response = gateway.put(
        f"/v1/courses/{COURSE}/structure",
        json={"blocks": BLOCKS},
        headers=tokens.headers(tenant, "client_admin", user="admin-1"),
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_learner_records_completions_and_reads_progress(gateway: httpx.Client, tokens: Tokens) -> None:
    tenant = uuid.uuid4()
    structure = define_course(gateway, tokens, tenant)
    assert (structure["courseId"], structure["revision"], len(structure["blocks"])) == (COURSE, 1, 2)  # type: ignore[arg-type]
    learner = tokens.headers(tenant, "learner", user="learner-1")
    body = {"learnerId": "me", "courseId": COURSE, "blockId": "intro", "value": 1, "requestId": "e2e-1"}
    first = gateway.post("/v1/completions", json=body, headers=learner)
    assert first.status_code == 200, first.text
    recorded = first.json()
    assert (recorded["learnerId"], recorded["applied"], recorded["blockCompleted"]) == (
        "learner-1",
        True,
        True,
    )
    retry = gateway.post("/v1/completions", json=body, headers=learner)
    assert retry.json()["completionId"] == recorded["completionId"]
    halfway = gateway.get(f"/v1/learners/me/courses/{COURSE}/progress", headers=learner).json()
    assert (halfway["state"], halfway["percent"], halfway["completedRequiredBlocks"]) == (
        "PROGRESS_STATE_IN_PROGRESS",
        25,
        1,
    )
    quiz = {"learnerId": "learner-1", "courseId": COURSE, "blockId": "quiz", "value": 1, "score": 0.9}
    finished = gateway.post("/v1/completions", json=quiz, headers=learner).json()
    assert finished["courseCompleted"] is True
    done = gateway.get(f"/v1/learners/learner-1/courses/{COURSE}/progress", headers=learner).json()
    assert (done["state"], done["percent"], done["completeTime"]) == (
        "PROGRESS_STATE_COMPLETED",
        100,
        finished["createTime"],
    )
    assert [(b["blockId"], b["completed"]) for b in done["blocks"]] == [("intro", True), ("quiz", True)]
    mine = gateway.get("/v1/learners/me/progress", headers=learner).json()
    assert [p["courseId"] for p in mine["progress"]] == [COURSE]
    roster = gateway.get(
        f"/v1/courses/{COURSE}/roster",
        params={"state": "PROGRESS_STATE_COMPLETED", "orderBy": "percent desc"},
        headers=tokens.headers(tenant, "manager", user="boss"),
    ).json()
    assert [p["learnerId"] for p in roster["progress"]] == ["learner-1"]


def test_learner_writing_for_someone_else_is_403(gateway: httpx.Client, tokens: Tokens) -> None:
    tenant = uuid.uuid4()
    define_course(gateway, tokens, tenant)
    body = {"learnerId": "someone-else", "courseId": COURSE, "blockId": "intro", "value": 1}
    response = gateway.post(
        "/v1/completions", json=body, headers=tokens.headers(tenant, "learner", user="l-1")
    )
    assert response.status_code == 403, response.text
    assert response.json()["code"] == 7
    peek = gateway.get(
        f"/v1/learners/someone-else/courses/{COURSE}/progress",
        headers=tokens.headers(tenant, "learner", user="l-1"),
    )
    assert peek.status_code == 403, peek.text
    admin = gateway.post("/v1/completions", json=body, headers=tokens.headers(tenant, "client_admin"))
    assert admin.status_code == 200, admin.text


def test_bad_values_are_400_with_field_violations(gateway: httpx.Client, tokens: Tokens) -> None:
    tenant = uuid.uuid4()
    define_course(gateway, tokens, tenant)
    learner = tokens.headers(tenant, "learner", user="l-1")
    for body, field in (
        ({"learnerId": "me", "courseId": COURSE, "blockId": "intro", "value": 1.5}, "completion.value"),
        ({"learnerId": "me", "courseId": COURSE, "blockId": "nope", "value": 1}, "completion.block_id"),
    ):
        response = gateway.post("/v1/completions", json=body, headers=learner)
        assert response.status_code == 400, response.text
        details = response.json()["details"]
        fields = [
            v["field"] for d in details if d["@type"].endswith("BadRequest") for v in d["fieldViolations"]
        ]
        assert fields == [field]
    batch = gateway.post(
        "/v1/completions:batchCreate",
        json={
            "completions": [
                {"learnerId": "me", "courseId": COURSE, "blockId": "intro", "value": 1},
                {"learnerId": "me", "courseId": COURSE, "blockId": "intro", "value": 2},
            ]
        },
        headers=learner,
    )
    assert batch.status_code == 200, batch.text
    results = batch.json()["results"]
    assert [r["status"].get("code", 0) for r in results] == [0, 3]


def test_another_tenant_sees_404_or_nothing(gateway: httpx.Client, tokens: Tokens) -> None:
    owner, stranger = uuid.uuid4(), uuid.uuid4()
    define_course(gateway, tokens, owner)
    body = {"learnerId": "me", "courseId": COURSE, "blockId": "intro", "value": 1}
    recorded = gateway.post(
        "/v1/completions", json=body, headers=tokens.headers(owner, "learner", user="l-1")
    )
    assert recorded.status_code == 200, recorded.text
    outsider = tokens.headers(stranger, "client_admin", user="admin-x")
    for path in (
        f"/v1/courses/{COURSE}/structure",
        f"/v1/learners/l-1/courses/{COURSE}/progress",
        f"/v1/courses/{COURSE}/roster",
    ):
        response = gateway.get(path, headers=outsider)
        assert response.status_code == 404, (path, response.text)
        assert "intro" not in response.text
    listed = gateway.get("/v1/learners/l-1/progress", headers=outsider)
    assert listed.status_code == 200
    assert listed.json().get("progress") is None
    same_learner_elsewhere = gateway.get(
        "/v1/learners/me/progress", headers=tokens.headers(stranger, "learner", user="l-1")
    )
    assert same_learner_elsewhere.json().get("progress") is None


def test_ping(gateway: httpx.Client, tokens: Tokens) -> None:
    tenant = uuid.uuid4()
    body = gateway.get("/v1/progress:ping", headers=tokens.headers(tenant, "learner", user="pinger")).json()
    assert (body["service"], body["userId"], body["tenantId"]) == ("progress", "pinger", str(tenant))
