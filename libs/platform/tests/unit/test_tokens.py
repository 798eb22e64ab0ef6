"""Token verification rules, without servers."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import pytest

from aigym_platform import tokens as tokens_module
from aigym_platform.errors import PermissionDenied, Unauthenticated
from aigym_platform.identity import Role
from aigym_platform.testing.tokens import TokenFactory
from aigym_platform.tokens import Issuer, JwksFile, TokenVerifier, generate_signing_key, write_jwks


@pytest.fixture
def factory(tmp_path: Path) -> TokenFactory:
    return TokenFactory.create(tmp_path)


def verifier_for(factory: TokenFactory, **claims: str) -> TokenVerifier:
    return TokenVerifier(
        [Issuer(factory.issuer, JwksFile(str(factory.jwks_file)), factory.audience, **claims)]
    )


def test_valid_token_becomes_an_identity(factory: TokenFactory) -> None:
    tenant = uuid.uuid4()
    identity = verifier_for(factory).verify(
        factory.token(tenant, ["manager", "someone_elses_role"], user="u1")
    )
    assert (identity.user_id, identity.tenant_id, identity.roles) == ("u1", tenant, frozenset({Role.MANAGER}))
    assert identity.has_role(Role.LEARNER)
    assert not identity.has_role(Role.CLIENT_ADMIN)


def test_rejects_wrong_audience_issuer_key_and_garbage(factory: TokenFactory, tmp_path: Path) -> None:
    verifier, tenant = verifier_for(factory), uuid.uuid4()
    key = factory.user_key
    wrong_audience = key.mint(
        issuer=factory.issuer, audience="other", subject="u", tenant_id=str(tenant), roles=[]
    )
    wrong_issuer = key.mint(
        issuer="evil", audience=factory.audience, subject="u", tenant_id=str(tenant), roles=[]
    )
    stranger = generate_signing_key(key.kid).mint(
        issuer=factory.issuer, audience=factory.audience, subject="u", tenant_id=str(tenant), roles=[]
    )
    no_tenant = factory.token(None, ["learner"])
    for token in (wrong_audience, wrong_issuer, stranger, no_tenant, "not-a-jwt"):
        with pytest.raises(Unauthenticated):
            verifier.verify(token)


def test_configurable_claim_names(tmp_path: Path) -> None:
    factory = TokenFactory.create(tmp_path)
    token = factory.user_key.mint(
        issuer=factory.issuer,
        audience=factory.audience,
        subject="ignored",
        tenant_id=None,
        roles=[],
        extra={"org": str(uuid.uuid4()), "uid": "idp-user", "app_roles": ["client_admin"]},
    )
    identity = verifier_for(factory, claim_tenant="org", claim_user="uid", claim_roles="app_roles").verify(
        token
    )
    assert (identity.user_id, identity.roles) == ("idp-user", frozenset({Role.CLIENT_ADMIN}))


def test_only_platform_admins_act_in_a_named_tenant(factory: TokenFactory) -> None:
    verifier, target = verifier_for(factory), uuid.uuid4()
    with pytest.raises(PermissionDenied):
        verifier.verify(factory.token(uuid.uuid4(), ["client_admin"]), act_as_tenant=str(target))
    operator = verifier.verify(factory.token(None, ["platform_admin"], user="ops"), act_as_tenant=str(target))
    assert (operator.tenant_id, operator.real_user_id) == (target, "ops")


def test_cached_verification_is_bounded_so_a_removed_key_stops_working(
    factory: TokenFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    verifier, token = verifier_for(factory), factory.token(uuid.uuid4(), ["learner"])
    assert verifier.verify(token).user_id
    write_jwks(factory.jwks_file, [generate_signing_key("replacement")])  # the signing key is withdrawn
    _touch_later(factory.jwks_file)
    assert verifier.verify(token).user_id  # still inside the cache bound: no signature check
    later = time.time() + TokenVerifier.CACHE_SECONDS + 1
    monkeypatch.setattr(tokens_module.time, "time", lambda: later)
    with pytest.raises(Unauthenticated):
        verifier.verify(token)


def _touch_later(path: Path) -> None:
    stat = path.stat()
    os.utime(path, (stat.st_atime, stat.st_mtime + 10))


def test_rotated_jwks_file_is_reloaded(factory: TokenFactory) -> None:
    verifier = verifier_for(factory)
    rotated = generate_signing_key("rotated")
    write_jwks(factory.jwks_file, [factory.user_key, rotated])
    token = rotated.mint(
        issuer=factory.issuer, audience=factory.audience, subject="u", tenant_id=str(uuid.uuid4()), roles=[]
    )
    _touch_later(factory.jwks_file)
    assert verifier.verify(token).user_id == "u"
