"""Unit tests of badge definitions and lifecycle, and of the Open Badges documents (pure code)."""

from __future__ import annotations

import datetime as dt
import uuid

import jwt
import pytest

from aigym_achievements.domain import BackfillState, BadgeDraft, BadgeState, new_badge
from aigym_achievements.openbadges import (
    STATUS_LIST_SIZE,
    AchievementView,
    CredentialInput,
    Urls,
    bit_is_set,
    decode_bitstring,
    encode_bitstring,
    generate_key,
    issuer_profile,
    open_badge_claims,
    sign,
    status_list_claims,
)
from aigym_achievements.rules import CourseCompleted, MilestoneReached
from aigym_platform.errors import Aborted, FailedPrecondition, InvalidArgument

NOW = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
URLS = Urls("https://badges.example")


def draft(**fields: object) -> BadgeDraft:
    values: dict[str, object] = {"display_name": "Finisher", "rule": CourseCompleted("c1"), **fields}
    return BadgeDraft(**values)  # type: ignore[arg-type]


def test_a_new_badge_is_a_draft_with_unique_tags() -> None:
    badge = new_badge(draft(tags=("a", "b", "a")), "admin", NOW)
    assert badge.state is BadgeState.DRAFT
    assert badge.tags == ("a", "b")


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"display_name": "  "}, "badge.display_name"),
        ({"rule": None}, "badge.rule"),
        ({"image_url": "javascript:alert(1)"}, "badge.image_url"),
        ({"validity": dt.timedelta(minutes=5)}, "badge.validity"),
        ({"rule": MilestoneReached(node_id="m1")}, "badge.program_id"),
    ],
)
def test_invalid_definitions_name_the_field(fields: dict[str, object], path: str) -> None:
    with pytest.raises(InvalidArgument) as error:
        new_badge(draft(**fields), "admin", NOW)
    assert path in [v.field for v in error.value.violations]


def test_lifecycle_and_what_may_change_when() -> None:
    badge = new_badge(draft(), "admin", NOW)
    renamed = badge.updated(
        draft(display_name="Renamed", rule=CourseCompleted("c2")), ["display_name", "rule"], NOW
    )
    assert (renamed.display_name, renamed.rule) == ("Renamed", CourseCompleted("c2"))
    assert renamed.etag != badge.etag
    with pytest.raises(Aborted):
        renamed.check_etag(badge.etag)
    active = renamed.activate(NOW, backfill=True)
    assert (active.state, active.backfill_state) == (BadgeState.ACTIVE, BackfillState.PENDING)
    with pytest.raises(FailedPrecondition):
        active.activate(NOW, backfill=False)
    with pytest.raises(FailedPrecondition):
        active.updated(draft(rule=CourseCompleted("c3")), ["rule"], NOW)
    assert (
        active.updated(draft(description="Now with text"), ["description"], NOW).description
        == "Now with text"
    )
    with pytest.raises(InvalidArgument):
        active.updated(draft(), ["state"], NOW)
    archived = active.archive(NOW)
    with pytest.raises(FailedPrecondition):
        archived.archive(NOW)
    with pytest.raises(FailedPrecondition):
        archived.updated(draft(description="x"), ["description"], NOW)


def test_bitstring_round_trip_sets_exactly_the_given_bits() -> None:
    encoded = encode_bitstring([0, 7, 8, 131_071])
    assert encoded.startswith("u")
    bits = decode_bitstring(encoded)
    assert len(bits) * 8 == STATUS_LIST_SIZE
    assert [i for i in (0, 1, 7, 8, 9, 131_070, 131_071) if bit_is_set(bits, i)] == [0, 7, 8, 131_071]
    with pytest.raises(ValueError, match="outside"):
        encode_bitstring([STATUS_LIST_SIZE])


def test_credential_claims_and_signature_verify_with_the_published_key_only() -> None:
    tenant, credential_id, badge_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    key = generate_key(URLS.key_id(tenant), NOW, "passphrase")
    assert "ENCRYPTED" in key.private_pem
    assert "d" not in key.public_jwk
    data = CredentialInput(
        tenant_id=tenant,
        credential_id=credential_id,
        learner_id="ann",
        achievement=AchievementView(
            badge_id, "Finisher", "", "Finish it", "https://img.example/b.png", ("t",)
        ),
        issuer_name="Acme",
        valid_from=NOW,
        valid_until=NOW + dt.timedelta(days=365),
        evidence=("e1",),
        revocation_list_id=uuid.uuid4(),
        revocation_index=5,
        suspension_list_id=uuid.uuid4(),
        suspension_index=5,
    )
    claims = open_badge_claims(URLS, data)
    vc = claims["vc"]
    assert claims["iss"] == f"https://badges.example/v1/issuers/{tenant}"
    assert vc["id"] == claims["jti"] == f"https://badges.example/v1/credentials/{credential_id}"
    assert vc["validUntil"] == "2027-11-02T09:00:00Z"
    assert claims["exp"] == int((NOW + dt.timedelta(days=365)).timestamp())
    assert vc["credentialSubject"]["achievement"]["image"] == {
        "id": "https://img.example/b.png",
        "type": "Image",
    }
    assert [s["statusPurpose"] for s in vc["credentialStatus"]] == ["revocation", "suspension"]
    token = sign(claims, key, "passphrase")
    profile = issuer_profile(URLS, tenant, "Acme", "", [key])
    (method,) = profile["verificationMethod"]
    assert method["id"] == jwt.get_unverified_header(token)["kid"]
    verified = jwt.decode(
        token, jwt.PyJWK(method["publicKeyJwk"]).key, algorithms=["ES256"], options={"verify_exp": False}
    )
    assert verified == claims
    other = generate_key(URLS.key_id(tenant), NOW)
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(
            token, jwt.PyJWK(other.public_jwk).key, algorithms=["ES256"], options={"verify_exp": False}
        )


def test_status_list_credential_names_its_purpose_and_list() -> None:
    tenant, list_id = uuid.uuid4(), uuid.uuid4()
    claims = status_list_claims(URLS, tenant, list_id, "revocation", encode_bitstring([3]), NOW)
    subject = claims["vc"]["credentialSubject"]
    assert claims["vc"]["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert subject["statusPurpose"] == "revocation"
    assert bit_is_set(decode_bitstring(subject["encodedList"]), 3)
    assert claims["jti"] == f"https://badges.example/v1/status-lists/{list_id}"
