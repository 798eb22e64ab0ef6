"""Public, unauthenticated reads: credentials, status lists and issuer profiles.

A public id (credential or status list) is resolved to its tenant by one narrow SECURITY DEFINER lookup;
everything after that runs in a unit of work of that tenant under RLS, as every other call does.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from aigym_achievements.awarding import Awarder
from aigym_achievements.domain import AwardState
from aigym_achievements.openbadges import (
    encode_bitstring,
    issuer_profile,
    sign,
    status_list_claims,
    unverified_claims,
)
from aigym_achievements.repository import AchievementsRepository, public_tenant
from aigym_platform.db import UnitOfWorkFactory
from aigym_platform.errors import NotFound
from aigym_platform.identity import TenantId

# The lookup runs in a transaction scoped to no tenant: RLS shows it no rows, only the definer function.
NO_TENANT = TenantId(uuid.UUID(int=0))


@dataclass(frozen=True)
class CredentialView:
    """A credential as the public endpoint returns it."""

    credential_id: uuid.UUID
    jwt: str
    claims: dict[str, Any]
    status: str  # active, suspended, revoked, expired


@dataclass(frozen=True)
class StatusListView:
    """A signed status list credential."""

    list_id: uuid.UUID
    purpose: str
    jwt: str
    claims: dict[str, Any]


@dataclass(frozen=True)
class IssuerView:
    """A tenant's issuer profile and public keys."""

    issuer_id: str
    profile: dict[str, Any]
    jwks: dict[str, Any]


class PublicService:
    """Credential verification material anyone may fetch."""

    def __init__(self, uow_factory: UnitOfWorkFactory, awarder: Awarder) -> None:
        self._uow = uow_factory
        self._awarder = awarder

    async def _tenant(self, public_id: uuid.UUID, kind: str, what: str) -> TenantId:
        async with self._uow(NO_TENANT, None) as uow:
            tenant = await public_tenant(uow.session, public_id, kind)
        if tenant is None:
            raise NotFound(f"{what} {public_id} not found", reason=f"{kind.upper()}_NOT_FOUND")
        return TenantId(tenant)

    async def credential(self, credential_id: uuid.UUID) -> CredentialView:
        """An award's signed OpenBadgeCredential and its current status."""
        tenant = await self._tenant(credential_id, "credential", "credential")
        async with self._uow(tenant, None) as uow:
            award = await AchievementsRepository(uow.session, tenant).award_by_credential(credential_id)
        if award is None:
            raise NotFound(f"credential {credential_id} not found", reason="CREDENTIAL_NOT_FOUND")
        status = award.state.value
        if (
            award.state is AwardState.ACTIVE
            and award.expire_time
            and award.expire_time <= self._awarder.clock()
        ):
            status = AwardState.EXPIRED.value
        return CredentialView(
            credential_id, award.credential_jwt, unverified_claims(award.credential_jwt), status
        )

    async def status_list(self, list_id: uuid.UUID) -> StatusListView:
        """A Bitstring Status List credential as of now, signed with the tenant's key."""
        tenant = await self._tenant(list_id, "status_list", "status list")
        async with self._uow(tenant, None) as uow:
            repo = AchievementsRepository(uow.session, tenant)
            purpose = await repo.status_list_purpose(list_id)
            if purpose is None:
                raise NotFound(f"status list {list_id} not found", reason="STATUS_LIST_NOT_FOUND")
            indices = await repo.set_status_indices(list_id, purpose)
            keys = await repo.issuer_keys()
        if not keys:
            raise NotFound(f"status list {list_id} not found", reason="STATUS_LIST_NOT_FOUND")
        config = self._awarder.config
        claims = status_list_claims(
            config.urls, tenant, list_id, purpose, encode_bitstring(indices), self._awarder.clock()
        )
        return StatusListView(list_id, purpose, sign(claims, keys[-1], config.key_passphrase), claims)

    async def issuer(self, tenant_id: uuid.UUID) -> IssuerView:
        """A tenant's issuer profile (NOT_FOUND until its first credential created its key)."""
        tenant = TenantId(tenant_id)
        async with self._uow(tenant, None) as uow:
            repo = AchievementsRepository(uow.session, tenant)
            keys = await repo.issuer_keys()
            settings = await repo.get_settings()
        if not keys:
            raise NotFound(f"issuer {tenant_id} not found", reason="ISSUER_NOT_FOUND")
        urls = self._awarder.config.urls
        profile = issuer_profile(urls, tenant_id, settings.issuer_name, settings.issuer_url, keys)
        return IssuerView(urls.issuer(tenant_id), profile, {"keys": [key.public_jwk for key in keys]})
