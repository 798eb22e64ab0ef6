"""Use cases of iCalendar feeds: secret per-learner feed URLs and the .ics documents they serve."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from aigym_calendar.domain import now
from aigym_calendar.ical import CalendarDocument, render
from aigym_calendar.repository import Feed
from aigym_calendar.service import RepositoryFactory, default_repository, resolve_learner
from aigym_platform.db import UnitOfWorkFactory
from aigym_platform.errors import NotFound
from aigym_platform.identity import Identity, Role, TenantId

TenantLookup = Callable[[str], Awaitable[uuid.UUID | None]]


@dataclass(frozen=True)
class IssuedFeed:
    """A feed with its secret token and URL (returned once, on create and rotate)."""

    feed: Feed
    token: str
    url: str


def token_hash(token: str) -> str:
    """What is stored and looked up instead of the token."""
    return hashlib.sha256(token.encode()).hexdigest()


class FeedService:
    """Feed URLs (create, list, rotate, revoke) and calendar documents (feed, single event)."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        tenant_of_token: TenantLookup,
        *,
        public_base_url: str,
        past: timedelta = timedelta(days=180),
        future: timedelta = timedelta(days=1100),
        repository: RepositoryFactory = default_repository,
    ) -> None:
        self._uow = uow
        self._tenant_of_token = tenant_of_token
        self._base = public_base_url.rstrip("/")
        self._past = past
        self._future = future
        self._repository = repository

    def _url(self, token: str) -> str:
        return f"{self._base}/v1/feeds/{token}/calendar.ics"

    async def create_feed(self, identity: Identity, learner_id: str) -> IssuedFeed:
        """A new secret feed URL for the learner (own, or anyone's for `client_admin`)."""
        learner = resolve_learner(identity, learner_id, Role.CLIENT_ADMIN)
        token = secrets.token_urlsafe(32)
        feed_id = str(uuid.uuid4())
        async with self._uow(identity.tenant_id, identity) as uow:
            repo = self._repository(uow)
            when = now()
            await repo.insert_feed(feed_id, learner, token_hash(token), when)
            await uow.audit("calendar.feed.create", "feed", feed_id, after={"learner_id": learner})
            feed = await repo.get_feed(feed_id, learner)
            assert feed is not None
            await uow.commit()
        return IssuedFeed(feed, token, self._url(token))

    async def list_feeds(self, identity: Identity, learner_id: str) -> list[Feed]:
        """The learner's active feeds."""
        learner = resolve_learner(identity, learner_id, Role.CLIENT_ADMIN)
        async with self._uow(identity.tenant_id, identity) as uow:
            return await self._repository(uow).list_feeds(learner)

    async def rotate_feed(self, identity: Identity, learner_id: str, feed_id: str) -> IssuedFeed:
        """Replace the token: the old URL stops working in the same commit."""
        learner = resolve_learner(identity, learner_id, Role.CLIENT_ADMIN)
        token = secrets.token_urlsafe(32)
        async with self._uow(identity.tenant_id, identity) as uow:
            repo = self._repository(uow)
            if await repo.get_feed(feed_id, learner) is None:
                raise NotFound(f"feed {feed_id} not found")
            await repo.rotate_feed(feed_id, token_hash(token), now())
            await uow.audit("calendar.feed.rotate", "feed", feed_id)
            feed = await repo.get_feed(feed_id, learner)
            assert feed is not None
            await uow.commit()
        return IssuedFeed(feed, token, self._url(token))

    async def delete_feed(self, identity: Identity, learner_id: str, feed_id: str) -> None:
        """Revoke a feed."""
        learner = resolve_learner(identity, learner_id, Role.CLIENT_ADMIN)
        async with self._uow(identity.tenant_id, identity) as uow:
            repo = self._repository(uow)
            if await repo.get_feed(feed_id, learner) is None:
                raise NotFound(f"feed {feed_id} not found")
            await repo.revoke_feed(feed_id, now())
            await uow.audit("calendar.feed.revoke", "feed", feed_id)
            await uow.commit()

    async def feed_calendar(self, token: str) -> bytes:
        """The learner's calendar for a feed token (NOT_FOUND for unknown, rotated or revoked tokens)."""
        hashed = token_hash(token)
        tenant = await self._tenant_of_token(hashed)
        if tenant is None:
            raise NotFound("feed not found")
        async with self._uow(TenantId(tenant), None) as uow:
            repo = self._repository(uow)
            found = await repo.feed_by_hash(hashed)
            if found is None:
                raise NotFound("feed not found")
            feed_id, learner = found
            when = now()
            events, _, enrollments = await repo.learner_calendar(
                learner, when - self._past, when + self._future, show_cancelled=True
            )
            await repo.touch_feed(feed_id, when)
            await uow.commit()
        return render(CalendarDocument("AI Gym", events, enrollments, stamp=when))

    async def event_calendar(self, identity: Identity, event_id: str) -> bytes:
        """One event (with its overrides) as a downloadable .ics."""
        async with self._uow(identity.tenant_id, identity) as uow:
            repo = self._repository(uow)
            event = await repo.get_event(event_id)
            if event is None or not (
                identity.has_role(Role.MANAGER) or await repo.learner_can_see(event, identity.user_id)
            ):
                raise NotFound(f"event {event_id} not found")
        return render(CalendarDocument(event.draft.title, [event], stamp=now()))
