"""End to end through Envoy: a learner completes a program via the progress and programs REST APIs and the
program's badge is awarded within two seconds; the credential then verifies with nothing but the public
(token-less) issuer profile, and a revocation shows in the public status list.

Path of the award: progress course_completed -> relay -> programs worker (enrolment completes) ->
enrollment_completed -> relay -> achievements worker (fact, rule, award, credential) -> REST.
"""

from __future__ import annotations

import base64
import gzip
import time
import uuid
from typing import Any

import httpx
import jwt
import pytest

from tests.e2e.conftest import Tokens

pytestmark = pytest.mark.e2e

COURSES = ("badge-basics", "badge-advanced")


def ok(response: httpx.Response) -> dict[str, object]:
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def revoked(gateway: httpx.Client, entry: dict[str, str], key: object) -> bool:
    token = str(ok(gateway.get(_path(entry)))["jwt"])
    claims = jwt.decode(token, key, algorithms=["ES256"], options={"verify_aud": False})  # type: ignore[arg-type]
    encoded = claims["vc"]["credentialSubject"]["encodedList"][1:]
    bits = gzip.decompress(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    index = int(entry["statusListIndex"])
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def _path(entry: dict[str, str]) -> str:
    return "/v1/status-lists/" + entry["statusListCredential"].rsplit("/", 1)[1]


def one_block_program(
    gateway: httpx.Client, admin: dict[str, str], title: str, courses: tuple[str, ...]
) -> str:
    """Courses of one required block ("only") each and a published program completed by all of them."""
    for course in courses:
        block = {"blockId": "only", "type": "BLOCK_TYPE_VIDEO", "weight": 1, "required": True}
        ok(gateway.put(f"/v1/courses/{course}/structure", headers=admin, json={"blocks": [block]}))
    structure = {
        "nodes": [
            {"nodeId": "root", "kind": "NODE_KIND_SET", "rule": "COMPLETION_RULE_ALL_ANY_ORDER"},
            *(
                {"nodeId": f"c{i}", "parentId": "root", "kind": "NODE_KIND_COURSE", "courseId": course}
                for i, course in enumerate(courses)
            ),
        ]
    }
    program = ok(
        gateway.post(
            "/v1/programs",
            headers=admin,
            json={"title": title, "visibility": "VISIBILITY_PUBLIC", "structure": structure},
        )
    )
    program_id = str(program["programId"])
    ok(gateway.post(f"/v1/programs/{program_id}:publish", headers=admin, json={}))
    return program_id


def test_completing_a_program_awards_its_badge_within_two_seconds(
    gateway: httpx.Client, tokens: Tokens
) -> None:
    tenant = uuid.uuid4()
    admin = tokens.headers(tenant, "client_admin", user="admin")
    program_id = one_block_program(gateway, admin, "Badge Program", COURSES)
    badge = ok(
        gateway.post(
            "/v1/badges",
            headers=admin,
            json={
                "displayName": "Program Graduate",
                "criteriaNarrative": "Complete the Badge Program",
                "programId": program_id,
                "rule": {"programCompleted": {}},
            },
        )
    )
    badge_id = str(badge["badgeId"])
    ok(gateway.post(f"/v1/badges/{badge_id}:activate", headers=admin, json={}))

    def finish_program(name: str) -> float:
        ok(gateway.post(f"/v1/programs/{program_id}/enrollments", headers=admin, json={"learnerId": name}))
        me = tokens.headers(tenant, "learner", user=name)
        for course in COURSES:
            body = {"learnerId": "me", "courseId": course, "blockId": "only", "value": 1}
            ok(gateway.post("/v1/completions", headers=me, json=body))
        return time.monotonic()

    def awards_within(name: str, since: float, seconds: float) -> list[dict[str, Any]]:
        me = tokens.headers(tenant, "learner", user=name)
        while True:
            found = ok(gateway.get("/v1/learners/me/achievements", headers=me)).get("awards", [])
            if found:
                return found  # type: ignore[return-value]
            assert time.monotonic() < since + seconds, f"{name}: badge not awarded within {seconds} s"
            time.sleep(0.05)

    # Warm-up (untimed beyond a generous bound): the stack's relays and workers start in the background
    # and may still be importing on a loaded machine; the measured run below is the steady state.
    awards_within("warm", finish_program("warm"), 60.0)
    awards = awards_within("lena", finish_program("lena"), 2.0)
    (award,) = awards
    assert award["badgeId"] == badge_id
    assert award["state"] == "AWARD_STATE_ACTIVE"
    assert len(award["evidenceEventIds"]) == 1

    # Public, no token: the credential, the issuer profile, the status list.
    credential = ok(gateway.get(f"/v1/credentials/{award['credentialId']}"))
    assert credential["status"] == "CREDENTIAL_STATUS_ACTIVE"
    token = str(credential["jwt"])
    kid = jwt.get_unverified_header(token)["kid"]
    issuer = ok(gateway.get(f"/v1/issuers/{tenant}"))
    (method,) = [m for m in issuer["profile"]["verificationMethod"] if m["id"] == kid]  # type: ignore[index]
    key = jwt.PyJWK(method["publicKeyJwk"]).key
    claims = jwt.decode(token, key, algorithms=["ES256"], options={"verify_aud": False})
    assert claims["vc"]["credentialSubject"]["achievement"]["name"] == "Program Graduate"
    (entry,) = [s for s in claims["vc"]["credentialStatus"] if s["statusPurpose"] == "revocation"]
    assert not revoked(gateway, entry, key)
    ok(gateway.post(f"/v1/awards/{award['awardId']}:revoke", headers=admin, json={"reason": "test"}))
    assert revoked(gateway, entry, key)
    # Everything else still needs a token.
    assert gateway.get("/v1/badges").status_code == 401
