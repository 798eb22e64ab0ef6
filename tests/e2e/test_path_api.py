"""The path validator over REST through Envoy: progress asks the real programs service for the rules."""

from __future__ import annotations

import datetime as dt
import uuid

import httpx
import pytest

from tests.e2e.conftest import Tokens
from tests.e2e.test_program_progress_flow import COURSES, ok, program_body

pytestmark = pytest.mark.e2e


def test_validate_path_explains_blockers_and_next_items(gateway: httpx.Client, tokens: Tokens) -> None:
    tenant = uuid.uuid4()
    admin = tokens.headers(tenant, "client_admin", user="admin")
    learner = tokens.headers(tenant, "learner", user="lena")
    block = {"blockId": "intro", "type": "BLOCK_TYPE_VIDEO", "weight": 1, "required": True}
    for course in COURSES:
        ok(gateway.put(f"/v1/courses/{course}/structure", headers=admin, json={"blocks": [block]}))
    program_id = str(ok(gateway.post("/v1/programs", headers=admin, json=program_body()))["programId"])
    ok(gateway.post(f"/v1/programs/{program_id}:publish", headers=admin, json={}))

    def validate(item: str, headers: dict[str, str] = learner, **body: object) -> dict[str, object]:
        return ok(
            gateway.post(f"/v1/programs/{program_id}/items/{item}:validatePath", headers=headers, json=body)
        )

    outsider = validate("c1")
    assert (outsider.get("allowed", False), outsider["blockers"]) == (
        False,
        [{"reason": "PATH_BLOCKER_REASON_NOT_ENROLLED", "message": outsider["blockers"][0]["message"]}],  # type: ignore[index]
    )
    ok(gateway.post(f"/v1/programs/{program_id}/enrollments", headers=admin, json={"learnerId": "lena"}))
    assert validate("c1")["allowed"] is True
    blocked = validate("c3")
    assert [(b["reason"], b["nodeId"]) for b in blocked["blockers"]] == [  # type: ignore[attr-defined]
        ("PATH_BLOCKER_REASON_SET_RULE_NOT_SATISFIED", "core")
    ]
    assert [i["nodeId"] for i in blocked["nextEligibleItems"]] == ["c1", "c2"]  # type: ignore[attr-defined]
    for course in COURSES[:2]:
        done = {"learnerId": "me", "courseId": course, "blockId": "intro", "value": 1}
        ok(gateway.post("/v1/completions", headers=learner, json=done))
    opened = validate("c3")
    assert opened["allowed"] is True
    assert [i["nodeId"] for i in opened["nextEligibleItems"]] == ["c3", "c4"]  # type: ignore[attr-defined]
    what_if = {"learnerId": "lena", "whatIf": {"ignoreRecorded": True}}
    assert validate("c3", admin, **what_if).get("allowed", False) is False
    refused = gateway.post(f"/v1/programs/{program_id}/items/c3:validatePath", headers=learner, json=what_if)
    assert refused.status_code == 403, refused.text
    unknown = gateway.post(f"/v1/programs/{program_id}/items/zz:validatePath", headers=learner, json={})
    assert unknown.status_code == 404, unknown.text


def test_an_ended_enrolment_closes_every_item(gateway: httpx.Client, tokens: Tokens) -> None:
    tenant = uuid.uuid4()
    admin = tokens.headers(tenant, "client_admin", user="admin")
    learner = tokens.headers(tenant, "learner", user="max")
    block = {"blockId": "intro", "type": "BLOCK_TYPE_VIDEO", "weight": 1, "required": True}
    for course in COURSES:
        ok(gateway.put(f"/v1/courses/{course}/structure", headers=admin, json={"blocks": [block]}))
    program_id = str(ok(gateway.post("/v1/programs", headers=admin, json=program_body()))["programId"])
    ok(gateway.post(f"/v1/programs/{program_id}:publish", headers=admin, json={}))
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    dates = {
        "startTime": (now - dt.timedelta(days=10)).isoformat().replace("+00:00", "Z"),
        "endTime": (now - dt.timedelta(days=1)).isoformat().replace("+00:00", "Z"),
    }
    ok(
        gateway.post(
            f"/v1/programs/{program_id}/enrollments", headers=admin, json={"learnerId": "max", **dates}
        )
    )
    answer = ok(gateway.post(f"/v1/programs/{program_id}/items/c1:validatePath", headers=learner, json={}))
    assert answer.get("allowed", False) is False
    assert [b["reason"] for b in answer["blockers"]] == ["PATH_BLOCKER_REASON_CLOSED"]  # type: ignore[attr-defined]
    assert "earliestOpenTime" not in answer
