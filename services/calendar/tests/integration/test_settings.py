"""A learner's calendar settings: a webhook naming a local address is refused when it is saved."""

from __future__ import annotations

import uuid

import pytest

from aigym_calendar.repository import Settings
from aigym_calendar.service import CalendarService
from aigym_platform.db import create_engine, create_sessionmaker, uow_factory
from aigym_platform.errors import InvalidArgument
from aigym_platform.identity import Identity, Role, TenantId
from aigym_platform.provisioning import ServiceDatabase

SECRET = "a-webhook-secret-of-16+"


def webhook_settings(url: str) -> Settings:
    return Settings("me", "", ("webhook",), url, SECRET, "", "", "", "", None)


@pytest.mark.parametrize("allow_private", [False, True])
async def test_a_local_webhook_address_is_refused_on_save_unless_private_addresses_are_allowed(
    calendar_db: ServiceDatabase, allow_private: bool
) -> None:
    engine = create_engine(calendar_db.app_url, pool_size=1, max_overflow=0)
    service = CalendarService(uow_factory(create_sessionmaker(engine)), allow_private_webhooks=allow_private)
    ada = Identity("ada", TenantId(uuid.uuid4()), frozenset({Role.LEARNER}))
    try:
        public = await service.update_settings(ada, "me", webhook_settings("https://hooks.example.com/ada"))
        outcome = "saved"
        try:
            await service.update_settings(ada, "me", webhook_settings("http://169.254.169.254/latest"))
        except InvalidArgument as refused:
            outcome = {v.field: v.description for v in refused.violations}
        stored = await service.get_settings(ada, "me")
    finally:
        await engine.dispose()

    assert public.webhook_url == "https://hooks.example.com/ada"
    if allow_private:
        assert (outcome, stored.webhook_url) == ("saved", "http://169.254.169.254/latest")
    else:
        assert outcome == {
            "settings.webhook_url": "169.254.169.254 is not a public address; use a public URL"
        }
        assert stored.webhook_url == "https://hooks.example.com/ada"  # nothing written
