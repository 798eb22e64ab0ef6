"""Through the real Envoy to the real services: authentication, authorisation, validation, isolation."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

from aigym_platform.tokens import generate_signing_key
from tests.e2e.conftest import Tokens

pytestmark = pytest.mark.e2e


def assert_status_json(response: httpx.Response, http_status: int, grpc_code: int) -> dict[str, object]:
    assert response.status_code == http_status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert body["code"] == grpc_code, body
    assert isinstance(body["message"], str)
    return body


def create_program(gateway: httpx.Client, tokens: Tokens, tenant: uuid.UUID, title: str) -> dict[str, object]:
    response = gateway.post(
        "/v1/programs",
        json={"title": title, "visibility": "VISIBILITY_PUBLIC"},
        headers=tokens.headers(tenant, "client_admin"),
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_healthz_is_ok_when_every_service_serves(gateway: httpx.Client) -> None:
    # Envoy marks an endpoint down after two missed health checks (5 s apart); on a loaded machine an
    # earlier test's burst can make a check miss, so give the next checks time to see every service serve.
    deadline = time.monotonic() + 15
    while (status := gateway.get("/healthz").status_code) != 200 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert status == 200


def test_request_without_token_is_401_json(gateway: httpx.Client) -> None:
    assert_status_json(gateway.get("/v1/programs"), 401, 16)


def test_token_signed_by_another_key_is_401(gateway: httpx.Client) -> None:
    forged = generate_signing_key("dev-user").mint(
        issuer="aigym-dev",
        audience="aigym",
        subject="mallory",
        tenant_id=str(uuid.uuid4()),
        roles=["client_admin"],
    )
    assert_status_json(gateway.get("/v1/programs", headers={"authorization": f"Bearer {forged}"}), 401, 16)


def test_learner_on_admin_rpc_is_403(gateway: httpx.Client, tokens: Tokens) -> None:
    response = gateway.post(
        "/v1/programs", json={"title": "Nope"}, headers=tokens.headers(uuid.uuid4(), "learner")
    )
    body = assert_status_json(response, 403, 7)
    assert "client_admin" in str(body["message"])


def test_client_sent_tenant_header_changes_nothing(gateway: httpx.Client, tokens: Tokens) -> None:
    victim, attacker = uuid.uuid4(), uuid.uuid4()
    create_program(gateway, tokens, victim, "Confidential roadmap")
    headers = {**tokens.headers(attacker, "client_admin"), "x-tenant-id": str(victim)}
    response = gateway.get("/v1/programs", headers=headers)
    assert response.status_code == 200
    assert "Confidential roadmap" not in response.text


def test_malformed_input_is_400_with_field_violations(gateway: httpx.Client, tokens: Tokens) -> None:
    tenant = uuid.uuid4()
    for payload, field in (
        ({"title": "ok", "tags": ["bad tag!"]}, "program.tags[0]"),
        ({"title": " "}, "program.title"),
    ):
        response = gateway.post("/v1/programs", json=payload, headers=tokens.headers(tenant, "client_admin"))
        body = assert_status_json(response, 400, 3)
        details = body["details"]
        assert isinstance(details, list)
        violations = [v for d in details if d["@type"].endswith("BadRequest") for v in d["fieldViolations"]]
        assert [v["field"] for v in violations] == [field]
    assert (
        gateway.get("/v1/programs", headers=tokens.headers(tenant, "client_admin")).json().get("programs")
        is None
    )


def test_other_tenants_resource_is_404_without_its_data(gateway: httpx.Client, tokens: Tokens) -> None:
    owner, stranger = uuid.uuid4(), uuid.uuid4()
    program = create_program(gateway, tokens, owner, "Owner-only program")
    mine = gateway.get(f"/v1/programs/{program['programId']}", headers=tokens.headers(owner, "client_admin"))
    assert mine.json()["title"] == "Owner-only program"
    response = gateway.get(
        f"/v1/programs/{program['programId']}", headers=tokens.headers(stranger, "client_admin")
    )
    assert_status_json(response, 404, 5)
    assert "Owner-only" not in response.text


def test_unknown_path_is_404_json_and_unknown_query_parameter_is_400(
    gateway: httpx.Client, tokens: Tokens
) -> None:
    headers = tokens.headers(uuid.uuid4(), "client_admin")
    assert_status_json(gateway.get("/v1/nothing-here", headers=headers), 404, 5)
    response = gateway.get("/v1/programs", params={"pageSize": 2, "colour": "blue"}, headers=headers)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/json")


def test_rest_round_trip_create_update_list_delete(gateway: httpx.Client, tokens: Tokens) -> None:
    tenant = uuid.uuid4()
    headers = tokens.headers(tenant, "client_admin")
    created = create_program(gateway, tokens, tenant, "Round trip")
    program_id = created["programId"]
    patched = gateway.patch(
        f"/v1/programs/{program_id}",
        params={"updateMask": "description"},
        json={"description": "now with text", "etag": created["etag"]},
        headers=headers,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["description"] == "now with text"
    listed = gateway.get("/v1/programs", params={"pageSize": 10}, headers=headers).json()
    assert [p["programId"] for p in listed["programs"]] == [program_id]
    assert gateway.delete(f"/v1/programs/{program_id}", headers=headers).status_code == 200
    assert_status_json(gateway.get(f"/v1/programs/{program_id}", headers=headers), 404, 5)


def test_ping_echoes_the_verified_caller_not_client_headers(gateway: httpx.Client, tokens: Tokens) -> None:
    tenant = uuid.uuid4()
    headers = {**tokens.headers(tenant, "manager", user="pinger"), "x-tenant-id": str(uuid.uuid4())}
    body = gateway.get("/v1/programs:ping", headers=headers).json()
    assert (body["service"], body["userId"], body["tenantId"], body["roles"]) == (
        "programs",
        "pinger",
        str(tenant),
        ["manager"],
    )
