"""End-to-end fixtures: the real dev stack (embedded PostgreSQL/Redis, service processes, Envoy)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from aigym_platform.devstack.keys import DEV_AUDIENCE, DEV_ISSUER
from aigym_platform.devstack.ports import free_port
from aigym_platform.devstack.services import SERVICES
from aigym_platform.devstack.stack import DevStack, StackOptions
from aigym_platform.testing.fixtures import server_workdir


@pytest.fixture(scope="session")
def stack() -> Iterator[DevStack]:
    """The whole suite as `make run` starts it, on free ports, in a temporary data directory."""
    with server_workdir("stack") as data_dir:
        yield from _stack(data_dir)


def _stack(data_dir: Path) -> Iterator[DevStack]:
    options = StackOptions(
        data_dir=data_dir,
        gateway_port=free_port(),
        gateway_admin_port=free_port(),
        postgres_port=free_port(),
        redis_port=free_port(),
        database_url=os.environ.get("AIGYM_TEST_DATABASE_URL", ""),
        database_prefix=f"aigyme2e{uuid.uuid4().hex[:6]}"
        if os.environ.get("AIGYM_TEST_DATABASE_URL")
        else "aigym",
        service_ports={spec.name: (free_port(), 0) for spec in SERVICES},
        durable=False,
        prefix_output=False,
        # Two programs processes behind Envoy, as two pods: every programs test also crosses the balancer.
        service_replicas={"programs": 2},
    )
    dev = DevStack(options)
    try:
        dev.start()
        yield dev
    finally:
        dev.stop(grace=3)


@pytest.fixture(scope="session")
def gateway(stack: DevStack) -> Iterator[httpx.Client]:
    """An HTTP client bound to the gateway."""
    with httpx.Client(base_url=stack.gateway_url, timeout=10) as client:
        yield client


class Tokens:
    """Mints tokens the running stack accepts (its dev keys)."""

    def __init__(self, stack: DevStack) -> None:
        assert stack.keys is not None
        self._key = stack.keys.user_key

    def headers(self, tenant: uuid.UUID | None, role: str, user: str = "e2e-user") -> dict[str, str]:
        """Authorization header for a user of `tenant` with `role`."""
        token = self._key.mint(
            issuer=DEV_ISSUER,
            audience=DEV_AUDIENCE,
            subject=user,
            tenant_id=str(tenant) if tenant else None,
            roles=[role],
        )
        return {"authorization": f"Bearer {token}"}


@pytest.fixture(scope="session")
def tokens(stack: DevStack) -> Tokens:
    """Token minting for the running stack."""
    return Tokens(stack)
