"""The progress API over REST through the real Envoy: structures, completions, progress, roles, tenancy."""

from __future__ import annotations

import datetime as dt
import time
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
        headers=tokens.headers(tenant, "client_admin", user="admin-1"),
    ).json()
    assert [p["learnerId"] for p in roster["progress"]] == ["learner-1"]


def test_a_manager_sees_the_team_the_programs_directory_names(gateway: httpx.Client, tokens: Tokens) -> None:
    """Reporting lines set in programs reach progress as learner_upserted events (outbox, relay, worker)."""
    tenant = uuid.uuid4()
    define_course(gateway, tokens, tenant)
    admin = tokens.headers(tenant, "client_admin", user="admin-1")
    lines = {"lead": "boss", "direct": "boss", "indirect": "lead", "outsider": "other-boss"}
    for learner, manager in lines.items():
        entry = {"displayName": learner.title(), "managerId": manager}
        upserted = gateway.put(f"/v1/learners/{learner}", json=entry, headers=admin)
        assert upserted.status_code == 200, upserted.text
        body = {"learnerId": learner, "courseId": COURSE, "blockId": "intro", "value": 1}
        recorded = gateway.post("/v1/completions", json=body, headers=admin)
        assert recorded.status_code == 200, recorded.text
    boss = tokens.headers(tenant, "manager", user="boss")
    deadline = time.monotonic() + 60.0  # generous: the stack's workers may still be starting
    while True:
        roster = gateway.get(f"/v1/courses/{COURSE}/roster", headers=boss)
        assert roster.status_code == 200, roster.text
        team = [p["learnerId"] for p in roster.json().get("progress", [])]
        if team == ["direct", "indirect", "lead"]:
            break
        assert time.monotonic() < deadline, f"the directory never reached progress: roster {team}"
        time.sleep(0.1)
    indirect = gateway.get(f"/v1/learners/indirect/courses/{COURSE}/progress", headers=boss)
    assert indirect.status_code == 200, indirect.text
    assert indirect.json()["completedRequiredBlocks"] == 1
    outside = gateway.get(f"/v1/learners/outsider/courses/{COURSE}/progress", headers=boss)
    assert outside.status_code == 403, outside.text
    everyone = gateway.get(f"/v1/courses/{COURSE}/roster", headers=admin).json()
    assert [p["learnerId"] for p in everyone["progress"]] == ["direct", "indirect", "lead", "outsider"]


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


def test_sessions_over_rest_feed_time_on_task(gateway: httpx.Client, tokens: Tokens) -> None:
    tenant = uuid.uuid4()
    define_course(gateway, tokens, tenant)
    learner = tokens.headers(tenant, "learner", user="learner-1")
    started = gateway.post("/v1/sessions", json={"learnerId": "me", "courseId": COURSE}, headers=learner)
    assert started.status_code == 200, started.text
    session = started.json()
    assert (session["state"], session["kind"]) == ("SESSION_STATE_OPEN", "SESSION_KIND_ONLINE")
    beat = gateway.post(f"/v1/sessions/{session['sessionId']}:heartbeat", json={}, headers=learner)
    assert beat.status_code == 200, beat.text
    assert beat.json()["heartbeats"] == 1
    ended = gateway.post(f"/v1/sessions/{session['sessionId']}:end", json={}, headers=learner).json()
    assert (ended["state"], ended["endReason"], ended["timeOnTaskAlgorithm"]) == (
        "SESSION_STATE_CLOSED",
        "SESSION_END_REASON_ENDED",
        "tot.v1",
    )
    again = gateway.post(f"/v1/sessions/{session['sessionId']}:heartbeat", json={}, headers=learner)
    assert again.status_code == 400, again.text  # FAILED_PRECONDITION: the session is closed
    end = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=1)
    offline = {
        "learnerId": "me",
        "courseId": COURSE,
        "kind": "SESSION_KIND_OFFLINE",
        "startTime": (end - dt.timedelta(minutes=90)).isoformat().replace("+00:00", "Z"),
        "endTime": end.isoformat().replace("+00:00", "Z"),
        "note": "workshop",
    }
    declared = gateway.post("/v1/sessions", json=offline, headers=learner)
    assert declared.json()["state"] == "SESSION_STATE_PENDING_APPROVAL", declared.text
    denied = gateway.post(f"/v1/sessions/{declared.json()['sessionId']}:approve", json={}, headers=learner)
    assert denied.status_code == 403, denied.text
    approved = gateway.post(
        f"/v1/sessions/{declared.json()['sessionId']}:approve",
        json={},
        headers=tokens.headers(tenant, "client_admin", user="admin-1"),
    ).json()
    assert approved["state"] == "SESSION_STATE_CLOSED"
    assert int(approved["timeOnTaskSeconds"]) >= 90 * 60  # int64 is a JSON string
    progress = gateway.get(f"/v1/learners/me/courses/{COURSE}/progress", headers=learner).json()
    assert progress["timeOnTaskSeconds"] == approved["timeOnTaskSeconds"]
    listed = gateway.get("/v1/learners/me/sessions", params={"pageSize": 1}, headers=learner).json()
    assert len(listed["sessions"]) == 1
    assert listed["nextPageToken"]
    other_tenant = tokens.headers(uuid.uuid4(), "client_admin", user="admin-9")
    hidden = gateway.post(f"/v1/sessions/{session['sessionId']}:end", json={}, headers=other_tenant)
    assert hidden.status_code == 404, hidden.text


def test_xapi_statements_over_rest(gateway: httpx.Client, tokens: Tokens) -> None:
    tenant = uuid.uuid4()
    define_course(gateway, tokens, tenant)
    learner = tokens.headers(tenant, "learner", user="learner-1")
    body = {"learnerId": "me", "courseId": COURSE, "blockId": "intro", "value": 1}
    assert gateway.post("/v1/completions", json=body, headers=learner).status_code == 200
    response = gateway.get("/v1/learners/me/xapiStatements", headers=learner)
    assert response.status_code == 200, response.text
    [statement] = response.json()["statements"]
    assert statement["verb"]["id"] == "http://adlnet.gov/expapi/verbs/completed"
    assert statement["actor"]["account"]["name"] == "learner-1"
    assert statement["object"]["id"].endswith(f"/tenants/{tenant}/courses/{COURSE}/blocks/intro")
    other = gateway.get(
        "/v1/learners/learner-1/xapiStatements", headers=tokens.headers(tenant, "learner", user="x")
    )
    assert other.status_code == 403, other.text


def test_a_revision_recomputes_and_a_reset_starts_a_new_attempt_over_rest(
    gateway: httpx.Client, tokens: Tokens
) -> None:
    tenant = uuid.uuid4()
    defined = define_course(gateway, tokens, tenant)
    admin = tokens.headers(tenant, "client_admin", user="admin-1")
    learner = tokens.headers(tenant, "learner", user="learner-1")
    body = {"learnerId": "me", "courseId": COURSE, "blockId": "intro", "value": 1}
    assert gateway.post("/v1/completions", json=body, headers=learner).status_code == 200
    # Revision 2 drops the quiz: the intro alone now completes the course.
    revised = gateway.put(
        f"/v1/courses/{COURSE}/structure", json={"blocks": BLOCKS[:1], "etag": defined["etag"]}, headers=admin
    )
    assert (revised.status_code, revised.json().get("revision")) == (200, 2), revised.text
    stale = gateway.put(
        f"/v1/courses/{COURSE}/structure", json={"blocks": BLOCKS, "etag": defined["etag"]}, headers=admin
    )
    assert stale.status_code == 409, stale.text  # ABORTED: the etag is stale
    progress = gateway.get(f"/v1/learners/me/courses/{COURSE}/progress", headers=learner).json()
    assert (progress["state"], progress["courseRevision"]) == ("PROGRESS_STATE_COMPLETED", 2)
    path = f"/v1/learners/learner-1/courses/{COURSE}/progress:reset"
    assert gateway.post(path, json={}, headers=learner).status_code == 403
    reset = gateway.post(path, json={"reason": "recertification"}, headers=admin)
    assert reset.status_code == 200, reset.text
    assert (reset.json()["state"], reset.json()["attempt"]) == ("PROGRESS_STATE_NOT_STARTED", 2)
    after = gateway.get(f"/v1/learners/me/courses/{COURSE}/progress", headers=learner).json()
    assert (after["state"], after["attempt"]) == ("PROGRESS_STATE_NOT_STARTED", 2)


def test_a_rejected_offline_session_counts_nothing_over_rest(gateway: httpx.Client, tokens: Tokens) -> None:
    tenant = uuid.uuid4()
    define_course(gateway, tokens, tenant)
    learner = tokens.headers(tenant, "learner", user="learner-1")
    admin = tokens.headers(tenant, "client_admin", user="admin-1")
    end = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=3)
    offline = {
        "learnerId": "me",
        "courseId": COURSE,
        "kind": "SESSION_KIND_OFFLINE",
        "startTime": (end - dt.timedelta(minutes=60)).isoformat().replace("+00:00", "Z"),
        "endTime": end.isoformat().replace("+00:00", "Z"),
        "note": "claimed workshop",
    }
    declared = gateway.post("/v1/sessions", json=offline, headers=learner).json()
    reject = f"/v1/sessions/{declared['sessionId']}:reject"
    assert gateway.post(reject, json={"reason": "no"}, headers=learner).status_code == 403
    rejected = gateway.post(reject, json={"reason": "no attendance record"}, headers=admin)
    assert rejected.status_code == 200, rejected.text
    assert (rejected.json()["state"], rejected.json()["decisionReason"]) == (
        "SESSION_STATE_REJECTED",
        "no attendance record",
    )
    again = gateway.post(f"/v1/sessions/{declared['sessionId']}:approve", json={}, headers=admin)
    assert again.status_code == 400, again.text  # FAILED_PRECONDITION: no longer pending
    progress = gateway.get(f"/v1/learners/me/courses/{COURSE}/progress", headers=learner).json()
    assert int(progress.get("timeOnTaskSeconds", "0")) == 0
