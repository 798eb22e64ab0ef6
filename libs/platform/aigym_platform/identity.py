"""Who is calling: the verified `Identity`, the typed `TenantId`, roles, and the per-call context."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import NewType

from aigym_platform.errors import PermissionDenied, Unauthenticated

TenantId = NewType("TenantId", uuid.UUID)
"""A tenant id that came from verified identity; only this module and trusted job plumbing create one."""


class Role(enum.StrEnum):
    """Roles a token may carry (claim names are configurable, role values are not)."""

    PLATFORM_ADMIN = "platform_admin"
    CLIENT_ADMIN = "client_admin"
    MANAGER = "manager"
    LEARNER = "learner"
    SERVICE = "service"


# Roles that also satisfy a check for the key role: an admin may do what a manager may, etc.
_IMPLIED: dict[Role, frozenset[Role]] = {
    Role.CLIENT_ADMIN: frozenset({Role.PLATFORM_ADMIN, Role.SERVICE}),
    Role.MANAGER: frozenset({Role.CLIENT_ADMIN, Role.PLATFORM_ADMIN, Role.SERVICE}),
    Role.LEARNER: frozenset({Role.MANAGER, Role.CLIENT_ADMIN, Role.PLATFORM_ADMIN, Role.SERVICE}),
    Role.PLATFORM_ADMIN: frozenset(),
    Role.SERVICE: frozenset(),
}


@dataclass(frozen=True, slots=True)
class Identity:
    """A verified caller acting inside exactly one tenant."""

    user_id: str
    tenant_id: TenantId
    roles: frozenset[Role]
    # The human or service behind the call when it differs from user_id (platform admin acting in a
    # tenant, a job acting for a user); None when the caller acts as itself.
    real_user_id: str | None = None
    token: str = field(default="", repr=False)

    @property
    def is_service(self) -> bool:
        """True for service tokens minted for jobs and service-to-service calls."""
        return Role.SERVICE in self.roles

    def has_role(self, role: Role) -> bool:
        """True if the identity holds `role` or a role that implies it."""
        return role in self.roles or bool(self.roles & _IMPLIED[role])

    def require(self, *roles: Role) -> None:
        """Raise PermissionDenied unless the identity holds (or is implied to hold) one of `roles`."""
        if not any(self.has_role(role) for role in roles):
            needed = " or ".join(sorted(r.value for r in roles))
            raise PermissionDenied(f"this action requires the {needed} role")

    def is_self(self, user_id: str) -> bool:
        """True if `user_id` names the caller (the literal `me` included)."""
        return user_id in ("me", self.user_id)


def parse_roles(values: Iterable[str]) -> frozenset[Role]:
    """Known roles among `values`; unknown role names are ignored (tokens may carry other apps' roles)."""
    known = {role.value for role in Role}
    return frozenset(Role(v) for v in values if v in known)


def parse_tenant_id(value: object) -> TenantId:
    """Turn a verified claim or metadata value into a TenantId; UNAUTHENTICATED when malformed."""
    if not isinstance(value, str):
        raise Unauthenticated("token names no tenant")
    try:
        return TenantId(uuid.UUID(value))
    except ValueError as exc:
        raise Unauthenticated("token names a malformed tenant") from exc


current_identity_var: ContextVar[Identity | None] = ContextVar("aigym_identity", default=None)
request_id_var: ContextVar[str] = ContextVar("aigym_request_id", default="")
rpc_method_var: ContextVar[str] = ContextVar("aigym_rpc_method", default="")
deadline_var: ContextVar[float | None] = ContextVar("aigym_deadline", default=None)


def current_identity() -> Identity:
    """The identity the server interceptor verified for this call; UNAUTHENTICATED if there is none."""
    identity = current_identity_var.get()
    if identity is None:
        raise Unauthenticated("no verified identity for this call")
    return identity
